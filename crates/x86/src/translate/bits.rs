//! Bit instructions: BT BTS BTR BTC BSF BSR LZCNT TZCNT POPCNT BSWAP.

use super::{Cx, Outcome};

pub fn translate(cx: &mut Cx) -> Outcome {
    let _ = cx.insn.mnemonic();
    Outcome::NotMine
}
