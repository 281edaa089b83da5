//! The x86-64 guest: `CpuState`, the decoder-driven translator to IR (one
//! file per instruction family), lazy flags, and the helpers IR calls.

pub mod back_edges;
pub mod cc;
pub mod cpu;
pub mod helpers;
pub mod host_vendor;
pub mod system;
pub mod translate;

pub use cpu::{CpuState, GLOBALS};
pub use translate::{translate_tb, translate_tb_into, CodeFetch, TbFlags, TranslatedTb};
