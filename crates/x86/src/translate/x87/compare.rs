//! Comparisons: FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP FICOM FICOMP FTST
//! FXAM (C0-C3), and FCOMI FCOMIP FUCOMI FUCOMIP (EFLAGS ZF, PF, CF).

use super::{load, plain, st_index, sti};
use crate::cpu::glob;
use crate::helpers::x87::compare::*;
use crate::translate::{Cx, Outcome};
use iced_x86::Code;

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.code() {
        Code::Fcom_m32fp => load(cx, &FCOM_M32),
        Code::Fcom_m64fp => load(cx, &FCOM_M64),
        Code::Fcomp_m32fp => load(cx, &FCOMP_M32),
        Code::Fcomp_m64fp => load(cx, &FCOMP_M64),
        Code::Ficom_m16int => load(cx, &FICOM_M16),
        Code::Ficom_m32int => load(cx, &FICOM_M32),
        Code::Ficomp_m16int => load(cx, &FICOMP_M16),
        Code::Ficomp_m32int => load(cx, &FICOMP_M32),
        // DC D0+i is an alias of FCOM ST(i); DC D8+i and DE D0+i of FCOMP ST(i).
        Code::Fcom_st0_sti | Code::Fcom_st0_sti_DCD0 => sti(cx, &FCOM_STI),
        Code::Fcomp_st0_sti | Code::Fcomp_st0_sti_DCD8 | Code::Fcomp_st0_sti_DED0 => {
            sti(cx, &FCOMP_STI)
        }
        Code::Fucom_st0_sti => sti(cx, &FUCOM_STI),
        Code::Fucomp_st0_sti => sti(cx, &FUCOMP_STI),
        Code::Fcompp => plain(cx, &FCOMPP),
        Code::Fucompp => plain(cx, &FUCOMPP),
        Code::Ftst => plain(cx, &FTST),
        Code::Fxam => plain(cx, &FXAM),
        Code::Fcomi_st0_sti => fcomi(cx, &FCOMI),
        Code::Fcomip_st0_sti => fcomi(cx, &FCOMIP),
        Code::Fucomi_st0_sti => fcomi(cx, &FUCOMI),
        Code::Fucomip_st0_sti => fcomi(cx, &FUCOMIP),
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// FCOMI and friends: the helper gets the lazy flags state, whose flags it
/// computes only when an unmasked invalid operation may keep them (with
/// every exception masked the instruction writes all six), and returns
/// the new ones.
fn fcomi(cx: &mut Cx, h: &'static crate::helpers::HelperInfo) {
    let i = cx.b.movi(st_index(cx));
    let lazy = [glob::CC_OP, glob::CC_DST, glob::CC_SRC, glob::CC_SRC2].map(|g| cx.g(g));
    let r = cx.call(h, &[i, lazy[0], lazy[1], lazy[2], lazy[3]]);
    cx.set_cc_eflags(r);
}
