//! Data transfer: FLD FILD FBLD and the load-constant instructions, FST FSTP
//! FIST FISTP FISTTP FBSTP (memory and register forms), FXCH, FCMOVcc.

use super::{load, plain, st_index, sti, store};
use crate::helpers::x87::transfer::*;
use crate::translate::{Cx, Outcome};
use iced_x86::{Code, ConditionCode};

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.code() {
        Code::Fld_m32fp => load(cx, &FLD_M32),
        Code::Fld_m64fp => load(cx, &FLD_M64),
        Code::Fld_m80fp => load(cx, &FLD_M80),
        Code::Fild_m16int => load(cx, &FILD_M16),
        Code::Fild_m32int => load(cx, &FILD_M32),
        Code::Fild_m64int => load(cx, &FILD_M64),
        Code::Fbld_m80bcd => load(cx, &FBLD),
        Code::Fld_sti => sti(cx, &FLD_STI),
        Code::Fldz => plain(cx, &FLDZ),
        Code::Fld1 => plain(cx, &FLD1),
        Code::Fldpi => plain(cx, &FLDPI),
        Code::Fldl2e => plain(cx, &FLDL2E),
        Code::Fldln2 => plain(cx, &FLDLN2),
        Code::Fldl2t => plain(cx, &FLDL2T),
        Code::Fldlg2 => plain(cx, &FLDLG2),
        Code::Fst_m32fp => store(cx, &FST_M32, None, false),
        Code::Fstp_m32fp => store(cx, &FST_M32, None, true),
        Code::Fst_m64fp => store(cx, &FST_M64, None, false),
        Code::Fstp_m64fp => store(cx, &FST_M64, None, true),
        Code::Fstp_m80fp => store(cx, &FST_M80_LO, Some(&FST_M80_HI), true),
        Code::Fist_m16int => store(cx, &FIST_M16, None, false),
        Code::Fistp_m16int => store(cx, &FIST_M16, None, true),
        Code::Fist_m32int => store(cx, &FIST_M32, None, false),
        Code::Fistp_m32int => store(cx, &FIST_M32, None, true),
        Code::Fistp_m64int => store(cx, &FIST_M64, None, true),
        Code::Fisttp_m16int => store(cx, &FISTTP_M16, None, true),
        Code::Fisttp_m32int => store(cx, &FISTTP_M32, None, true),
        Code::Fisttp_m64int => store(cx, &FISTTP_M64, None, true),
        Code::Fbstp_m80bcd => store(cx, &FBST_LO, Some(&FBST_HI), true),
        Code::Fst_sti => sti(cx, &FST_STI),
        Code::Fstp_sti => sti(cx, &FSTP_STI),
        // D9 D8+i, DF D0+i and DF D8+i: aliases of FSTP ST(i) that differ
        // from it on an empty ST(0); the host runs them as they are.
        Code::Fstpnce_sti => sti(cx, &FSTP1_STI),
        Code::Fstp_sti_DFD0 => sti(cx, &FSTP8_STI),
        Code::Fstp_sti_DFD8 => sti(cx, &FSTP9_STI),
        // DD C8+i and DF C8+i are aliases of FXCH ST(i).
        Code::Fxch_st0_sti | Code::Fxch_st0_sti_DDC8 | Code::Fxch_st0_sti_DFC8 => sti(cx, &FXCH),
        code => match fcmov_condition(code) {
            Some(cc) => {
                let c = cx.cond_value(cc);
                let i = cx.b.movi(st_index(cx));
                cx.call(&FCMOV, &[i, c]);
            }
            None => return Outcome::NotMine,
        },
    }
    Outcome::Done
}

/// The EFLAGS condition under which FCMOVcc moves.
fn fcmov_condition(code: Code) -> Option<ConditionCode> {
    Some(match code {
        Code::Fcmovb_st0_sti => ConditionCode::b,
        Code::Fcmove_st0_sti => ConditionCode::e,
        Code::Fcmovbe_st0_sti => ConditionCode::be,
        Code::Fcmovu_st0_sti => ConditionCode::p,
        Code::Fcmovnb_st0_sti => ConditionCode::ae,
        Code::Fcmovne_st0_sti => ConditionCode::ne,
        Code::Fcmovnbe_st0_sti => ConditionCode::a,
        Code::Fcmovnu_st0_sti => ConditionCode::np,
        _ => return None,
    })
}
