//! The IR optimiser: one pass per file, run in order on each TB before a
//! backend sees it (QEMU's `tcg_optimize` + liveness).

mod dce;
mod fold;
mod unreachable;

pub use dce::eliminate_dead_code;
pub use fold::fold_constants;
pub use unreachable::remove_unreachable;

use crate::func::IrBlock;

/// Runs every pass: constant folding and copy propagation, removal of the
/// code that folding made unreachable, then dead-code elimination (which
/// also removes flag computations overwritten before they are read).
pub fn optimize(block: &mut IrBlock) {
    fold_constants(block);
    remove_unreachable(block);
    eliminate_dead_code(block);
}
