//! Read-modify-write instructions: CMPXCHG XADD CMPXCHG8B CMPXCHG16B.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
