//! MXCSR access as IR: LDMXCSR (reserved bits set give #GP) and STMXCSR.

use super::gp_unless;
use crate::cpu::{CpuState, MXCSR_MASK};
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;
use ox86_ir::Cond;
use std::mem::offset_of;

pub fn translate(cx: &mut Cx) -> Outcome {
    let off = offset_of!(CpuState, mxcsr);
    match cx.insn.mnemonic() {
        Mnemonic::Ldmxcsr => {
            let a = cx.ea();
            let v = cx.load(4, a);
            let reserved = cx.b.movi(!(MXCSR_MASK as u64));
            gp_unless(cx, Cond::TstEq, v, reserved);
            // The 64-bit field also covers the padding after MXCSR: zero.
            cx.b.st_env(v, off);
            cx.call(&crate::helpers::sse::MXCSR_LOADED, &[]);
        }
        Mnemonic::Stmxcsr => {
            cx.call(&crate::helpers::sse::MXCSR_SYNC, &[]);
            let v = cx.b.ld_env(off);
            let a = cx.ea();
            cx.store(4, v, a);
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}
