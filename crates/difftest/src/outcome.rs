//! How a run ended and what it left: the result both the native runner and
//! ox86's engines produce, compared field by field.

use crate::state::Regs;

/// A fault, as the CPU reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// #PF at `addr` (SIGSEGV with SEGV_MAPERR/SEGV_ACCERR).
    PageFault {
        /// The faulting address.
        addr: u64,
        /// The access was a write.
        write: bool,
    },
    /// #GP (SIGSEGV with SI_KERNEL).
    GeneralProtection,
    /// #UD (SIGILL).
    InvalidOpcode,
    /// #DE (SIGFPE with FPE_INTDIV/FPE_INTOVF).
    DivideError,
    /// #MF or #XM (SIGFPE with a floating-point code).
    FloatingPoint,
    /// #BP (SIGTRAP after INT3).
    Breakpoint,
    /// Anything else (described).
    Other(String),
}

/// A fault and the pc it was reported at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What happened.
    pub kind: FaultKind,
    /// The faulting instruction's address (after it for a trap).
    pub pc: u64,
}

/// The state a run left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Registers at the end or at the fault.
    pub regs: Regs,
    /// The scratch page.
    pub mem: Vec<u8>,
    /// The fault that ended the run, if any.
    pub fault: Option<Fault>,
}
