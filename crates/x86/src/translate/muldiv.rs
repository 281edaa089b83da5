//! Multiply and divide: MUL IMUL DIV IDIV of every width.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
