//! String instructions MOVS STOS LODS CMPS SCAS, with REP/REPE/REPNE.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
