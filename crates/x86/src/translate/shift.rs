//! Shifts and rotates: SHL SAL SHR SAR ROL ROR RCL RCR SHLD SHRD.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
