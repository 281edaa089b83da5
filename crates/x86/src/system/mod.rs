//! System mode: the privileged CPU state, the softmmu (TLB, page walks,
//! physical memory and the bus), and the x86 semantics that live outside
//! translated code (segment loads, far transfers, interrupt and exception
//! delivery, control registers and MSRs).

pub mod access;
pub mod control;
pub mod far;
pub mod interrupt;
pub mod mmu;
pub mod paging;
pub mod regs;
pub mod segment;
pub mod stack;

pub use access::{attach, with_mmu, Fault};
pub use mmu::{Bus, Mmu};
pub use regs::{Segment, SysRegs};
