//! SSE and SSE2: moves, integer and floating-point arithmetic, conversions, shuffles.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
