//! ox86-difftest: differential testing of ox86 against the host CPU.
//! Random sequences of instructions (built and encoded with iced-x86) run
//! natively in a sandboxed child process and under ox86's engines from the
//! same state; every register, flag (undefined ones masked), the x87 and
//! SSE state, the scratch page and any fault must agree.

pub mod analysis;
pub mod compare;
pub mod emu;
pub mod forms;
pub mod gen;
pub mod layout;
pub mod native;
pub mod outcome;
pub mod rng;
pub mod state;
pub mod sweep;
pub mod tester;

pub use forms::Class;
pub use sweep::{coverage, sweep, Config, Report};
pub use tester::{engine_name, Case, Mismatch, Tester};
