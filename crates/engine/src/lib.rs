//! The engine: the exec loop, the TB cache (global hash + per-vCPU jump
//! cache), invalidation, host fault handling, and `-d` logging.

mod background;
pub mod cache;
mod compare;
pub mod cpu_exec;
mod hash;
pub mod log;
mod page_protect;
pub mod perfmap;
mod quiet_thread;
pub mod signal;
mod system;
pub mod tb;
mod tier;
pub mod warm;

pub use cpu_exec::{
    disassemble, CompileThread, Engine, EngineKind, EngineOptions, Exit, GuestFault, Stats,
};
pub use log::{LogMask, LogSink};
pub use system::{disassemble_system, SysExit};
