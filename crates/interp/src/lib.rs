//! The IR interpreter: ox86's reference backend (portable, Bochs-like).
//! It runs exactly the IR the JIT compiles, so any difference between the
//! two engines is a backend bug.

pub mod exec;
pub mod guest_mem;

pub use exec::{exec, InterpTb, TbExit};
