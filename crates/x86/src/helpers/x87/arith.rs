//! Basic arithmetic: FADD FSUB FSUBR FMUL FDIV FDIVR in every operand
//! form (m32fp, m64fp, ST(0)/ST(i), ST(i)/ST(0), the popping forms, m16int
//! and m32int), and FSQRT FABS FCHS FRNDINT FSCALE FXTRACT FPREM FPREM1.

use crate::helpers::HelperInfo;

x87_helper! {
    /// FADD m32fp: ST(0) = ST(0) + src, src = `lo` (m32fp bits).
    FADD_M32 = "fadd_m32", arith_load ["fadd dword ptr [{m}]"]
}
x87_helper! {
    /// FADD m64fp: ST(0) = ST(0) + src, src = `lo` (m64fp bits).
    FADD_M64 = "fadd_m64", arith_load ["fadd qword ptr [{m}]"]
}
x87_helper! {
    /// FIADD m16int: ST(0) = ST(0) + src, src = `lo` (the 16-bit integer).
    FIADD_M16 = "fiadd_m16", arith_load ["fiadd word ptr [{m}]"]
}
x87_helper! {
    /// FIADD m32int: ST(0) = ST(0) + src, src = `lo` (the 32-bit integer).
    FIADD_M32 = "fiadd_m32", arith_load ["fiadd dword ptr [{m}]"]
}
x87_helper! {
    /// FADD ST(0), ST(i): ST(0) = ST(0) + ST(i).
    FADD_ST0_STI = "fadd_st0_sti", arith_sti ["fadd st(0), st({i})"]
}
x87_helper! {
    /// FADD ST(i), ST(0): ST(i) = ST(i) + ST(0).
    FADD_STI_ST0 = "fadd_sti_st0", arith_sti ["fadd st({i}), st(0)"]
}
x87_helper! {
    /// FADDP ST(i), ST(0): ST(i) = ST(i) + ST(0), then pop.
    FADDP_STI_ST0 = "faddp_sti_st0", arith_sti ["faddp st({i}), st(0)"]
}

x87_helper! {
    /// FMUL m32fp: ST(0) = ST(0) * src, src = `lo` (m32fp bits).
    FMUL_M32 = "fmul_m32", arith_load ["fmul dword ptr [{m}]"]
}
x87_helper! {
    /// FMUL m64fp: ST(0) = ST(0) * src, src = `lo` (m64fp bits).
    FMUL_M64 = "fmul_m64", arith_load ["fmul qword ptr [{m}]"]
}
x87_helper! {
    /// FIMUL m16int: ST(0) = ST(0) * src, src = `lo` (the 16-bit integer).
    FIMUL_M16 = "fimul_m16", arith_load ["fimul word ptr [{m}]"]
}
x87_helper! {
    /// FIMUL m32int: ST(0) = ST(0) * src, src = `lo` (the 32-bit integer).
    FIMUL_M32 = "fimul_m32", arith_load ["fimul dword ptr [{m}]"]
}
x87_helper! {
    /// FMUL ST(0), ST(i): ST(0) = ST(0) * ST(i).
    FMUL_ST0_STI = "fmul_st0_sti", arith_sti ["fmul st(0), st({i})"]
}
x87_helper! {
    /// FMUL ST(i), ST(0): ST(i) = ST(i) * ST(0).
    FMUL_STI_ST0 = "fmul_sti_st0", arith_sti ["fmul st({i}), st(0)"]
}
x87_helper! {
    /// FMULP ST(i), ST(0): ST(i) = ST(i) * ST(0), then pop.
    FMULP_STI_ST0 = "fmulp_sti_st0", arith_sti ["fmulp st({i}), st(0)"]
}

x87_helper! {
    /// FSUB m32fp: ST(0) = ST(0) - src, src = `lo` (m32fp bits).
    FSUB_M32 = "fsub_m32", arith_load ["fsub dword ptr [{m}]"]
}
x87_helper! {
    /// FSUB m64fp: ST(0) = ST(0) - src, src = `lo` (m64fp bits).
    FSUB_M64 = "fsub_m64", arith_load ["fsub qword ptr [{m}]"]
}
x87_helper! {
    /// FISUB m16int: ST(0) = ST(0) - src, src = `lo` (the 16-bit integer).
    FISUB_M16 = "fisub_m16", arith_load ["fisub word ptr [{m}]"]
}
x87_helper! {
    /// FISUB m32int: ST(0) = ST(0) - src, src = `lo` (the 32-bit integer).
    FISUB_M32 = "fisub_m32", arith_load ["fisub dword ptr [{m}]"]
}
x87_helper! {
    /// FSUB ST(0), ST(i): ST(0) = ST(0) - ST(i).
    FSUB_ST0_STI = "fsub_st0_sti", arith_sti ["fsub st(0), st({i})"]
}
x87_helper! {
    /// FSUB ST(i), ST(0): ST(i) = ST(i) - ST(0).
    FSUB_STI_ST0 = "fsub_sti_st0", arith_sti ["fsub st({i}), st(0)"]
}
x87_helper! {
    /// FSUBP ST(i), ST(0): ST(i) = ST(i) - ST(0), then pop.
    FSUBP_STI_ST0 = "fsubp_sti_st0", arith_sti ["fsubp st({i}), st(0)"]
}

x87_helper! {
    /// FSUBR m32fp: ST(0) = src - ST(0), src = `lo` (m32fp bits).
    FSUBR_M32 = "fsubr_m32", arith_load ["fsubr dword ptr [{m}]"]
}
x87_helper! {
    /// FSUBR m64fp: ST(0) = src - ST(0), src = `lo` (m64fp bits).
    FSUBR_M64 = "fsubr_m64", arith_load ["fsubr qword ptr [{m}]"]
}
x87_helper! {
    /// FISUBR m16int: ST(0) = src - ST(0), src = `lo` (the 16-bit integer).
    FISUBR_M16 = "fisubr_m16", arith_load ["fisubr word ptr [{m}]"]
}
x87_helper! {
    /// FISUBR m32int: ST(0) = src - ST(0), src = `lo` (the 32-bit integer).
    FISUBR_M32 = "fisubr_m32", arith_load ["fisubr dword ptr [{m}]"]
}
x87_helper! {
    /// FSUBR ST(0), ST(i): ST(0) = ST(i) - ST(0).
    FSUBR_ST0_STI = "fsubr_st0_sti", arith_sti ["fsubr st(0), st({i})"]
}
x87_helper! {
    /// FSUBR ST(i), ST(0): ST(i) = ST(0) - ST(i).
    FSUBR_STI_ST0 = "fsubr_sti_st0", arith_sti ["fsubr st({i}), st(0)"]
}
x87_helper! {
    /// FSUBRP ST(i), ST(0): ST(i) = ST(0) - ST(i), then pop.
    FSUBRP_STI_ST0 = "fsubrp_sti_st0", arith_sti ["fsubrp st({i}), st(0)"]
}

x87_helper! {
    /// FDIV m32fp: ST(0) = ST(0) / src, src = `lo` (m32fp bits).
    FDIV_M32 = "fdiv_m32", arith_load ["fdiv dword ptr [{m}]"]
}
x87_helper! {
    /// FDIV m64fp: ST(0) = ST(0) / src, src = `lo` (m64fp bits).
    FDIV_M64 = "fdiv_m64", arith_load ["fdiv qword ptr [{m}]"]
}
x87_helper! {
    /// FIDIV m16int: ST(0) = ST(0) / src, src = `lo` (the 16-bit integer).
    FIDIV_M16 = "fidiv_m16", arith_load ["fidiv word ptr [{m}]"]
}
x87_helper! {
    /// FIDIV m32int: ST(0) = ST(0) / src, src = `lo` (the 32-bit integer).
    FIDIV_M32 = "fidiv_m32", arith_load ["fidiv dword ptr [{m}]"]
}
x87_helper! {
    /// FDIV ST(0), ST(i): ST(0) = ST(0) / ST(i).
    FDIV_ST0_STI = "fdiv_st0_sti", arith_sti ["fdiv st(0), st({i})"]
}
x87_helper! {
    /// FDIV ST(i), ST(0): ST(i) = ST(i) / ST(0).
    FDIV_STI_ST0 = "fdiv_sti_st0", arith_sti ["fdiv st({i}), st(0)"]
}
x87_helper! {
    /// FDIVP ST(i), ST(0): ST(i) = ST(i) / ST(0), then pop.
    FDIVP_STI_ST0 = "fdivp_sti_st0", arith_sti ["fdivp st({i}), st(0)"]
}

x87_helper! {
    /// FDIVR m32fp: ST(0) = src / ST(0), src = `lo` (m32fp bits).
    FDIVR_M32 = "fdivr_m32", arith_load ["fdivr dword ptr [{m}]"]
}
x87_helper! {
    /// FDIVR m64fp: ST(0) = src / ST(0), src = `lo` (m64fp bits).
    FDIVR_M64 = "fdivr_m64", arith_load ["fdivr qword ptr [{m}]"]
}
x87_helper! {
    /// FIDIVR m16int: ST(0) = src / ST(0), src = `lo` (the 16-bit integer).
    FIDIVR_M16 = "fidivr_m16", arith_load ["fidivr word ptr [{m}]"]
}
x87_helper! {
    /// FIDIVR m32int: ST(0) = src / ST(0), src = `lo` (the 32-bit integer).
    FIDIVR_M32 = "fidivr_m32", arith_load ["fidivr dword ptr [{m}]"]
}
x87_helper! {
    /// FDIVR ST(0), ST(i): ST(0) = ST(i) / ST(0).
    FDIVR_ST0_STI = "fdivr_st0_sti", arith_sti ["fdivr st(0), st({i})"]
}
x87_helper! {
    /// FDIVR ST(i), ST(0): ST(i) = ST(0) / ST(i).
    FDIVR_STI_ST0 = "fdivr_sti_st0", arith_sti ["fdivr st({i}), st(0)"]
}
x87_helper! {
    /// FDIVRP ST(i), ST(0): ST(i) = ST(0) / ST(i), then pop.
    FDIVRP_STI_ST0 = "fdivrp_sti_st0", arith_sti ["fdivrp st({i}), st(0)"]
}

x87_helper! {
    /// FSQRT: ST(0) = square root of ST(0).
    FSQRT = "fsqrt", plain(Check, Stack) ["fsqrt"]
}

x87_helper! {
    /// FABS: ST(0) = |ST(0)|.
    FABS = "fabs", plain(Check, Stack) ["fabs"]
}

x87_helper! {
    /// FCHS: ST(0) = -ST(0).
    FCHS = "fchs", plain(Check, Stack) ["fchs"]
}

x87_helper! {
    /// FRNDINT: ST(0) rounded to an integer (FCW.RC).
    FRNDINT = "frndint", plain(Check, Stack) ["frndint"]
}

x87_helper! {
    /// FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)).
    FSCALE = "fscale", plain(Check, Stack) ["fscale"]
}

x87_helper! {
    /// FXTRACT: ST(0) = exponent of ST(0), then push its significand.
    FXTRACT = "fxtract", plain(Check, Stack) ["fxtract"]
}

x87_helper! {
    /// FPREM: ST(0) = partial remainder of ST(0) / ST(1), truncating quotient (C2 = incomplete).
    FPREM = "fprem", plain(Check, Stack) ["fprem"]
}

x87_helper! {
    /// FPREM1: ST(0) = IEEE partial remainder of ST(0) / ST(1) (C2 = incomplete).
    FPREM1 = "fprem1", plain(Check, Stack) ["fprem1"]
}

/// This file's helpers.
pub const LIST: &[&HelperInfo] = &[
    &FADD_M32,
    &FADD_M64,
    &FIADD_M16,
    &FIADD_M32,
    &FADD_ST0_STI,
    &FADD_STI_ST0,
    &FADDP_STI_ST0,
    &FMUL_M32,
    &FMUL_M64,
    &FIMUL_M16,
    &FIMUL_M32,
    &FMUL_ST0_STI,
    &FMUL_STI_ST0,
    &FMULP_STI_ST0,
    &FSUB_M32,
    &FSUB_M64,
    &FISUB_M16,
    &FISUB_M32,
    &FSUB_ST0_STI,
    &FSUB_STI_ST0,
    &FSUBP_STI_ST0,
    &FSUBR_M32,
    &FSUBR_M64,
    &FISUBR_M16,
    &FISUBR_M32,
    &FSUBR_ST0_STI,
    &FSUBR_STI_ST0,
    &FSUBRP_STI_ST0,
    &FDIV_M32,
    &FDIV_M64,
    &FIDIV_M16,
    &FIDIV_M32,
    &FDIV_ST0_STI,
    &FDIV_STI_ST0,
    &FDIVP_STI_ST0,
    &FDIVR_M32,
    &FDIVR_M64,
    &FIDIVR_M16,
    &FIDIVR_M32,
    &FDIVR_ST0_STI,
    &FDIVR_STI_ST0,
    &FDIVRP_STI_ST0,
    &FSQRT,
    &FABS,
    &FCHS,
    &FRNDINT,
    &FSCALE,
    &FXTRACT,
    &FPREM,
    &FPREM1,
];
