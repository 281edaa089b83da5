//! `Compiler`: the code generator detached from its `Jit`, so that TBs can
//! be compiled on another thread while generated code runs. It predicts
//! where the `Jit` will place each TB (the code cache is bump-allocated
//! and TB ids are dense), compiles for that place, and hands back a
//! `Compiled` TB, which the `Jit` installs (`Jit::install`) in the order
//! the `Compiler` made them. Code generated for a place depends on it
//! (calls to helpers and stubs are rel32), so the two must agree: a
//! `Jit::flush` or a compile the `Jit` made itself invalidates the
//! prediction, and the owner tells the `Compiler` where to go on
//! (`Compiler::restart_at`).

use crate::error::JitError;
use crate::gen::{BackEdgeSite, ExitSite, Gen, GenOptions};
use ox86_ir::IrBlock;

/// Where the next TB goes: its id and host code address, and where the
/// cold parts start (the next one ends there, see `split`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slot {
    /// The `TbId` it gets.
    pub id: u32,
    /// Host address of its code.
    pub addr: usize,
    /// Host address of the lowest cold part so far (the end of the cache
    /// when there is none).
    pub cold: usize,
}

/// A TB compiled by a `Compiler`, not yet in the code cache. Its buffers
/// are meant to be reused (`Compiler::compile` fills one).
#[derive(Default)]
pub struct Compiled {
    /// Guest pc of the TB.
    pub pc: u64,
    /// Where it was compiled to go.
    pub slot: Slot,
    pub(crate) code: Vec<u8>,
    /// Its cold part and the host address it goes to, if apart.
    pub(crate) cold: Vec<u8>,
    pub(crate) cold_at: Option<usize>,
    pub(crate) exits: Vec<ExitSite>,
    pub(crate) back_edges: Vec<BackEdgeSite>,
    pub(crate) sites: Vec<u8>,
}

/// A code generator with its own buffers; `Send`, for a compile thread.
pub struct Compiler {
    gen: Gen,
    opts: GenOptions,
    next: Slot,
}

impl Compiler {
    pub(crate) fn new(gen: Gen, opts: GenOptions, next: Slot) -> Compiler {
        Compiler { gen, opts, next }
    }

    /// Compiles `ir` (the TB at guest `pc`) into `out` for the next slot,
    /// which it then takes. `mxcsr_at_entry` as in
    /// `Jit::set_mxcsr_at_entry`. `CacheFull`: the TB does not fit;
    /// nothing is taken.
    pub fn compile(
        &mut self,
        ir: &IrBlock,
        pc: u64,
        mxcsr_at_entry: bool,
        out: &mut Compiled,
    ) -> Result<(), JitError> {
        let slot = self.next;
        if slot.id >= crate::jit::MAX_TBS {
            return Err(JitError::CacheFull);
        }
        let opts = GenOptions {
            mxcsr_at_entry,
            ..self.opts
        };
        let g = &mut self.gen;
        g.compile(ir, slot.id, pc, slot.addr, opts)?;
        let placed = crate::split::place(g, slot)?;
        self.next = placed.next;
        out.pc = pc;
        out.slot = slot;
        let (hot, cold) = g.a.code().split_at(placed.hot_len);
        out.code.clear();
        out.code.extend_from_slice(hot);
        out.cold.clear();
        out.cold.extend_from_slice(cold);
        out.cold_at = placed.cold_at;
        out.exits.clear();
        out.exits.extend_from_slice(&g.exits);
        out.back_edges.clear();
        out.back_edges.extend_from_slice(&g.back_edges);
        out.sites.clear();
        out.sites.extend_from_slice(&g.sites.bytes);
        Ok(())
    }

    /// Goes on at `next` (the owning `Jit`'s `next_slot` after it flushed
    /// or compiled by itself).
    pub fn restart_at(&mut self, next: Slot) {
        self.next = next;
    }
}

/// A `Compiler` and its output move to and from a compile thread.
const _: () = {
    const fn send<T: Send>() {}
    send::<Compiler>();
    send::<Compiled>();
};
