//! SSE placeholder.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
