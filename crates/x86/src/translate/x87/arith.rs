//! Arithmetic: FADD FSUB FSUBR FMUL FDIV FDIVR (memory, integer, register
//! and popping forms), FSQRT FABS FCHS FRNDINT FSCALE FXTRACT FPREM FPREM1,
//! and the transcendental instructions.

use super::{load, plain, sti};
use crate::helpers::x87::arith::*;
use crate::helpers::x87::transcendental::*;
use crate::helpers::HelperInfo;
use crate::translate::{Cx, Outcome};
use iced_x86::Code;

pub fn translate(cx: &mut Cx) -> Outcome {
    let (h, form): (&'static HelperInfo, fn(&mut Cx, &'static HelperInfo)) = match cx.insn.code() {
        Code::Fadd_m32fp => (&FADD_M32, load),
        Code::Fadd_m64fp => (&FADD_M64, load),
        Code::Fiadd_m16int => (&FIADD_M16, load),
        Code::Fiadd_m32int => (&FIADD_M32, load),
        Code::Fmul_m32fp => (&FMUL_M32, load),
        Code::Fmul_m64fp => (&FMUL_M64, load),
        Code::Fimul_m16int => (&FIMUL_M16, load),
        Code::Fimul_m32int => (&FIMUL_M32, load),
        Code::Fsub_m32fp => (&FSUB_M32, load),
        Code::Fsub_m64fp => (&FSUB_M64, load),
        Code::Fisub_m16int => (&FISUB_M16, load),
        Code::Fisub_m32int => (&FISUB_M32, load),
        Code::Fsubr_m32fp => (&FSUBR_M32, load),
        Code::Fsubr_m64fp => (&FSUBR_M64, load),
        Code::Fisubr_m16int => (&FISUBR_M16, load),
        Code::Fisubr_m32int => (&FISUBR_M32, load),
        Code::Fdiv_m32fp => (&FDIV_M32, load),
        Code::Fdiv_m64fp => (&FDIV_M64, load),
        Code::Fidiv_m16int => (&FIDIV_M16, load),
        Code::Fidiv_m32int => (&FIDIV_M32, load),
        Code::Fdivr_m32fp => (&FDIVR_M32, load),
        Code::Fdivr_m64fp => (&FDIVR_M64, load),
        Code::Fidivr_m16int => (&FIDIVR_M16, load),
        Code::Fidivr_m32int => (&FIDIVR_M32, load),
        Code::Fadd_st0_sti => (&FADD_ST0_STI, sti),
        Code::Fadd_sti_st0 => (&FADD_STI_ST0, sti),
        Code::Faddp_sti_st0 => (&FADDP_STI_ST0, sti),
        Code::Fmul_st0_sti => (&FMUL_ST0_STI, sti),
        Code::Fmul_sti_st0 => (&FMUL_STI_ST0, sti),
        Code::Fmulp_sti_st0 => (&FMULP_STI_ST0, sti),
        Code::Fsub_st0_sti => (&FSUB_ST0_STI, sti),
        Code::Fsub_sti_st0 => (&FSUB_STI_ST0, sti),
        Code::Fsubp_sti_st0 => (&FSUBP_STI_ST0, sti),
        Code::Fsubr_st0_sti => (&FSUBR_ST0_STI, sti),
        Code::Fsubr_sti_st0 => (&FSUBR_STI_ST0, sti),
        Code::Fsubrp_sti_st0 => (&FSUBRP_STI_ST0, sti),
        Code::Fdiv_st0_sti => (&FDIV_ST0_STI, sti),
        Code::Fdiv_sti_st0 => (&FDIV_STI_ST0, sti),
        Code::Fdivp_sti_st0 => (&FDIVP_STI_ST0, sti),
        Code::Fdivr_st0_sti => (&FDIVR_ST0_STI, sti),
        Code::Fdivr_sti_st0 => (&FDIVR_STI_ST0, sti),
        Code::Fdivrp_sti_st0 => (&FDIVRP_STI_ST0, sti),
        Code::Fsqrt => (&FSQRT, plain),
        Code::Fabs => (&FABS, plain),
        Code::Fchs => (&FCHS, plain),
        Code::Frndint => (&FRNDINT, plain),
        Code::Fscale => (&FSCALE, plain),
        Code::Fxtract => (&FXTRACT, plain),
        Code::Fprem => (&FPREM, plain),
        Code::Fprem1 => (&FPREM1, plain),
        Code::Fsin => (&FSIN, plain),
        Code::Fcos => (&FCOS, plain),
        Code::Fsincos => (&FSINCOS, plain),
        Code::Fptan => (&FPTAN, plain),
        Code::Fpatan => (&FPATAN, plain),
        Code::F2xm1 => (&F2XM1, plain),
        Code::Fyl2x => (&FYL2X, plain),
        Code::Fyl2xp1 => (&FYL2XP1, plain),
        _ => return Outcome::NotMine,
    };
    form(cx, h);
    Outcome::Done
}
