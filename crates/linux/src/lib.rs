//! User mode: runs a Linux x86-64 ELF program under ox86. Owns the ELF
//! loader, the initial stack and auxv, guest memory bookkeeping, system
//! calls, the `-L` path prefix, and the process loop that turns guest faults into signals.

pub mod error;
pub mod huge_pages;
pub mod loader;
pub mod mm;
pub mod process;
pub mod signal;
pub mod stack;
pub mod syscall;
pub mod sysroot;

pub use error::LinuxError;
pub use process::{Process, RunOptions};
pub use sysroot::Sysroot;
