//! The translation block as the engine keeps it: key, guest range, and
//! the prepared code of each backend.

use ox86_interp::InterpTb;
use ox86_jit::TbId;
use ox86_x86::translate::lookahead::Seen;

/// What identifies a TB in the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TbKey {
    /// rip of the first instruction.
    pub pc: u64,
    /// Mode flags (`Mode::flags`; `Mode::USER64.flags()` in user mode).
    pub flags: u32,
    /// CS base (linear pc = CS base + pc).
    pub cs_base: u64,
    /// Physical address of the first byte (user mode: the pc).
    pub phys: u64,
}

/// One cached translation block.
#[derive(Debug)]
pub struct Tb {
    /// What identifies it: rip of the first instruction (the linear pc in
    /// user mode), mode flags, CS base, physical address of the first byte.
    pub key: TbKey,
    /// Physical address of the page its last bytes are on, when it
    /// crosses a page boundary (system mode).
    pub phys2: Option<u64>,
    /// Guest bytes covered.
    pub size: u64,
    /// Guest instructions translated.
    pub n_insns: u32,
    /// Other guest code its translation relies on (user mode: what the
    /// flag look-ahead decoded at its exits), dropped with the TB.
    pub lookahead: Option<Seen>,
    /// The IR, prepared for the interpreter (interp engine, engine
    /// comparison); boxed, so that JIT-only TBs stay small.
    pub interp: Option<Box<InterpTb>>,
    /// The compiled code (JIT engine).
    pub jit: Option<TbId>,
}
