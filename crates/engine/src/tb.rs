//! The translation block as the engine keeps it: key, guest range, and
//! the prepared code of each backend.

use ox86_interp::InterpTb;
use ox86_jit::TbId;

/// One cached translation block.
#[derive(Debug)]
pub struct Tb {
    /// Guest linear pc of the first instruction.
    pub pc: u64,
    /// Mode flags that were part of the key (reserved: 0 for 64-bit user mode).
    pub flags: u32,
    /// Guest bytes covered.
    pub size: u64,
    /// Guest instructions translated.
    pub n_insns: usize,
    /// The IR, prepared for the interpreter (interp engine, engine comparison).
    pub interp: Option<InterpTb>,
    /// The compiled code (JIT engine).
    pub jit: Option<TbId>,
}
