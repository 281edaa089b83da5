//! CLFLUSH, CLFLUSHOPT and CLWB. ox86 has no caches of its own to write
//! back (guest memory is host memory, kept coherent by the host), so each
//! only checks its line's address as a one-byte load does: an unmapped or
//! unreadable address faults.

use super::{Cx, Outcome};
use iced_x86::Mnemonic;

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Clflush | Mnemonic::Clflushopt | Mnemonic::Clwb => {
            let a = cx.ea();
            cx.load(1, a);
            Outcome::Done
        }
        _ => Outcome::NotMine,
    }
}
