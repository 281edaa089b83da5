//! Control: FNINIT FNCLEX FLDCW FNSTCW FNSTSW FNSTENV FLDENV FNSAVE FRSTOR,
//! FWAIT (the first half of FINIT, FSTSW and the other waiting forms),
//! FNOP, FINCSTP FDECSTP FFREE FFREEP, and the 8087/80287 leftovers FNENI
//! FNDISI FNSETPM, which later FPUs ignore.

use super::{plain, sti};
use crate::helpers::x87::control::*;
use crate::translate::{Cx, Outcome};
use iced_x86::{Code, Register};

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.code() {
        // The decoder gives a 9B prefix (FSTSW = FWAIT + FNSTSW ...) as its
        // own WAIT instruction.
        Code::Wait | Code::Fnop => plain(cx, &FWAIT),
        Code::Fneni | Code::Fndisi | Code::Fnsetpm => {}
        Code::Fninit => plain(cx, &FNINIT),
        Code::Fnclex => plain(cx, &FNCLEX),
        Code::Fincstp => plain(cx, &FINCSTP),
        Code::Fdecstp => plain(cx, &FDECSTP),
        Code::Ffree_sti => sti(cx, &FFREE),
        Code::Ffreep_sti => sti(cx, &FFREEP),
        Code::Fnstsw_AX => {
            let sw = cx.call(&FNSTSW, &[]);
            cx.write_reg(Register::AX, sw);
        }
        Code::Fnstsw_m2byte => {
            let a = cx.ea();
            let sw = cx.call(&FNSTSW, &[]);
            cx.store(2, sw, a);
        }
        Code::Fnstcw_m2byte => {
            let a = cx.ea();
            let cw = cx.call(&FNSTCW, &[]);
            cx.store(2, cw, a);
        }
        Code::Fldcw_m2byte => {
            // A waiting instruction: a pending #MF comes before the load.
            plain(cx, &FWAIT);
            let a = cx.ea();
            let cw = cx.load(2, a);
            cx.call(&FLDCW, &[cw]);
        }
        Code::Fnstenv_m28byte => {
            let a = cx.ea();
            store_image(cx, a, &FNSTENV_PEEK, 28);
            plain(cx, &FNSTENV);
        }
        Code::Fldenv_m28byte => {
            let a = cx.ea();
            let env = load_env(cx, a);
            cx.call(&FLDENV, &env);
        }
        Code::Fnsave_m108byte => {
            let a = cx.ea();
            store_image(cx, a, &FNSAVE_PEEK, 108);
            plain(cx, &FNINIT);
        }
        Code::Frstor_m108byte => {
            let a = cx.ea();
            let env = load_env(cx, a);
            let regs: Vec<_> = (0..8u64)
                .map(|i| {
                    let at = cx.b.addi(a, 28 + 10 * i);
                    let lo = cx.load(8, at);
                    let at = cx.b.addi(a, 36 + 10 * i);
                    let hi = cx.load(2, at);
                    (lo, hi)
                })
                .collect();
            cx.call(&FLDENV, &env);
            for (i, (lo, hi)) in regs.into_iter().enumerate() {
                let i = cx.b.movi(i as u64);
                cx.call(&FRSTOR_ST, &[i, lo, hi]);
            }
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// Writes the `size`-byte image that `peek(k)` hands out a quadword at a
/// time to guest memory at `a`.
fn store_image(
    cx: &mut Cx,
    a: ox86_ir::Temp,
    peek: &'static crate::helpers::HelperInfo,
    size: u64,
) {
    for k in 0..size.div_ceil(8) {
        let kt = cx.b.movi(k);
        let q = cx.call(peek, &[kt]);
        let at = cx.b.addi(a, 8 * k);
        cx.store((size - 8 * k).min(8) as u32, q, at);
    }
}

/// Loads the 28-byte FLDENV image at `a` as four quadwords (the last one 4 bytes).
fn load_env(cx: &mut Cx, a: ox86_ir::Temp) -> [ox86_ir::Temp; 4] {
    [0u64, 8, 16, 24].map(|off| {
        let at = cx.b.addi(a, off);
        cx.load(if off == 24 { 4 } else { 8 }, at)
    })
}
