//! Cacheability hints and fences: PREFETCHh (no effect: never faults),
//! SFENCE and LFENCE (nothing to order: non-temporal stores are plain
//! stores and the host orders loads), MFENCE (a host fence, by helper).

use crate::helpers::sse::fence::MFENCE;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Prefetchnta
        | Mnemonic::Prefetcht0
        | Mnemonic::Prefetcht1
        | Mnemonic::Prefetcht2
        | Mnemonic::Sfence
        | Mnemonic::Lfence => {}
        Mnemonic::Mfence => {
            cx.call(&MFENCE, &[]);
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}
