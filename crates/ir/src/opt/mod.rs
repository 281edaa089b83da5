//! The IR optimiser: one pass per file, run in order on each TB before a
//! backend sees it (QEMU's `tcg_optimize` + liveness).

mod dce;
mod fold;
mod sink;
mod unreachable;

pub use dce::eliminate_dead_code;
pub use fold::fold_constants;
pub use sink::sink_into_branches;
pub use unreachable::remove_unreachable;

use crate::func::IrBlock;

/// Runs every pass: constant folding and copy propagation, removal of the
/// code that folding made unreachable, sinking of what only a branch's
/// target needs into it, then dead-code elimination (which also removes
/// flag computations overwritten before they are read).
pub fn optimize(block: &mut IrBlock) {
    Optimizer::default().run(block);
}

/// The passes' working buffers, kept from one TB to the next so that
/// optimising a TB allocates nothing once they have grown.
#[derive(Default)]
pub struct Optimizer {
    fold: fold::State,
    unreachable: unreachable::Scratch,
    sink: sink::Scratch,
    dce: dce::Scratch,
}

impl Optimizer {
    /// Runs every pass on `block`, as `optimize` does.
    pub fn run(&mut self, block: &mut IrBlock) {
        fold::run(block, &mut self.fold);
        unreachable::run(block, &mut self.unreachable);
        sink::run(block, &mut self.sink);
        dce::run(block, &mut self.dce);
    }
}
