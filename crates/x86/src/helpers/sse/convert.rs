//! Conversions between single, double and integer formats: CVT* and
//! CVTT* (truncating) in packed, scalar and general-register forms. The
//! general-register source of CVTSI2SS/SD arrives as the source operand's
//! low quadword.

use super::host;
use super::HelperInfo;
use crate::cpu::CpuState;

mxcsr_ops! {
    MXCSR;
    /// CVTSS2SD: scalar single to double.
    CVTSS2SD = "cvtss2sd", host::cvtss2sd;
    /// CVTSD2SS: scalar double to single.
    CVTSD2SS = "cvtsd2ss", host::cvtsd2ss;
    /// CVTPS2PD: two singles to doubles.
    CVTPS2PD = "cvtps2pd", host::cvtps2pd;
    /// CVTPD2PS: two doubles to singles, upper half zeroed.
    CVTPD2PS = "cvtpd2ps", host::cvtpd2ps;
    /// CVTDQ2PS: four doubleword integers to singles.
    CVTDQ2PS = "cvtdq2ps", host::cvtdq2ps;
    /// CVTPS2DQ: four singles to doubleword integers (MXCSR rounding).
    CVTPS2DQ = "cvtps2dq", host::cvtps2dq;
    /// CVTTPS2DQ: four singles to doubleword integers, truncating.
    CVTTPS2DQ = "cvttps2dq", host::cvttps2dq;
    /// CVTDQ2PD: two doubleword integers to doubles.
    CVTDQ2PD = "cvtdq2pd", host::cvtdq2pd;
    /// CVTPD2DQ: two doubles to doubleword integers, upper half zeroed.
    CVTPD2DQ = "cvtpd2dq", host::cvtpd2dq;
    /// CVTTPD2DQ: two doubles to doubleword integers, truncating.
    CVTTPD2DQ = "cvttpd2dq", host::cvttpd2dq;
    /// CVTPI2PS from memory: two doubleword integers to the low singles,
    /// the high quadword kept.
    CVTPI2PS = "cvtpi2ps", |m, a, b, _| {
        let low = u64::MAX as u128;
        let (r, flags) = host::cvtdq2ps(m, a, b & low, 0);
        ((r & low) | (a & !low), flags)
    };
    /// CVTSI2SS with a 32-bit integer source.
    CVTSI2SS32 = "cvtsi2ss32", host::cvtsi2ss32;
    /// CVTSI2SS with a 64-bit integer source.
    CVTSI2SS64 = "cvtsi2ss64", host::cvtsi2ss64;
    /// CVTSI2SD with a 32-bit integer source.
    CVTSI2SD32 = "cvtsi2sd32", host::cvtsi2sd32;
    /// CVTSI2SD with a 64-bit integer source.
    CVTSI2SD64 = "cvtsi2sd64", host::cvtsi2sd64;
}

mxcsr_value_ops! {
    TO_GPR;
    /// CVTSS2SI to a 32-bit register (zero-extended result).
    CVTSS2SI32 = "cvtss2si32", |m, _, b| host::cvtss2si32(m, b);
    /// CVTSS2SI to a 64-bit register.
    CVTSS2SI64 = "cvtss2si64", |m, _, b| host::cvtss2si64(m, b);
    /// CVTTSS2SI to a 32-bit register, truncating.
    CVTTSS2SI32 = "cvttss2si32", |m, _, b| host::cvttss2si32(m, b);
    /// CVTTSS2SI to a 64-bit register, truncating.
    CVTTSS2SI64 = "cvttss2si64", |m, _, b| host::cvttss2si64(m, b);
    /// CVTSD2SI to a 32-bit register.
    CVTSD2SI32 = "cvtsd2si32", |m, _, b| host::cvtsd2si32(m, b);
    /// CVTSD2SI to a 64-bit register.
    CVTSD2SI64 = "cvtsd2si64", |m, _, b| host::cvtsd2si64(m, b);
    /// CVTTSD2SI to a 32-bit register, truncating.
    CVTTSD2SI32 = "cvttsd2si32", |m, _, b| host::cvttsd2si32(m, b);
    /// CVTTSD2SI to a 64-bit register, truncating.
    CVTTSD2SI64 = "cvttsd2si64", |m, _, b| host::cvttsd2si64(m, b);
}

#[cfg(test)]
mod tests {
    use super::super::native::{check_float, pd_inputs, ps_inputs, run_env, MXCSRS};
    use super::*;

    #[test]
    fn vector_conversions_match_host() {
        check_float!(CVTSS2SD, "cvtss2sd", ps_inputs);
        check_float!(CVTSD2SS, "cvtsd2ss", pd_inputs);
        check_float!(CVTPS2PD, "cvtps2pd", ps_inputs);
        check_float!(CVTPD2PS, "cvtpd2ps", pd_inputs);
        check_float!(CVTDQ2PS, "cvtdq2ps", ps_inputs);
        check_float!(CVTPS2DQ, "cvtps2dq", ps_inputs);
        check_float!(CVTTPS2DQ, "cvttps2dq", ps_inputs);
        check_float!(CVTDQ2PD, "cvtdq2pd", ps_inputs);
        check_float!(CVTPD2DQ, "cvtpd2dq", pd_inputs);
        check_float!(CVTTPD2DQ, "cvttpd2dq", pd_inputs);
    }

    /// Runs `insn r, y` natively under `mxcsr`.
    macro_rules! native_to_gpr {
        ($insn:literal, $r:literal, $mxcsr:expr, $b:expr) => {{
            use core::arch::x86_64::__m128i;
            // SAFETY: u128 and __m128i are both 16 bytes of plain data.
            let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($b) };
            let r: u64;
            let mut m = [0u32, $mxcsr, 0];
            // SAFETY: one SSE instruction between saving and restoring MXCSR.
            unsafe {
                core::arch::asm!(
                    "stmxcsr [{m}]",
                    "ldmxcsr [{m} + 4]",
                    concat!($insn, " ", $r, ", {y}"),
                    "stmxcsr [{m} + 8]",
                    "ldmxcsr [{m}]",
                    m = in(reg) m.as_mut_ptr(),
                    r = out(reg) r,
                    y = in(xmm_reg) y,
                    options(nostack, preserves_flags),
                );
            }
            (r, m[2])
        }};
    }

    /// Runs `insn x, r` natively under `mxcsr`.
    macro_rules! native_from_gpr {
        ($insn:literal, $r:literal, $mxcsr:expr, $a:expr, $v:expr) => {{
            use core::arch::x86_64::__m128i;
            // SAFETY: u128 and __m128i are both 16 bytes of plain data.
            let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
            let mut m = [0u32, $mxcsr, 0];
            // SAFETY: one SSE instruction between saving and restoring MXCSR.
            unsafe {
                core::arch::asm!(
                    "stmxcsr [{m}]",
                    "ldmxcsr [{m} + 4]",
                    concat!($insn, " {x}, ", $r),
                    "stmxcsr [{m} + 8]",
                    "ldmxcsr [{m}]",
                    m = in(reg) m.as_mut_ptr(),
                    x = inout(xmm_reg) x,
                    r = in(reg) $v,
                    options(nostack, preserves_flags),
                );
            }
            // SAFETY: as above.
            (unsafe { core::mem::transmute::<__m128i, u128>(x) }, m[2])
        }};
    }

    fn to_gpr(h: &HelperInfo, mxcsr: u32, b: u128) -> (u64, u32) {
        let mut env = CpuState {
            mxcsr,
            ..CpuState::default()
        };
        let v =
            crate::helpers::sse::native::call(h, &mut env, [0, b as u64, (b >> 64) as u64, 0, 0]);
        (v, env.mxcsr)
    }

    #[test]
    fn conversions_to_integer_registers_match_host() {
        for mxcsr in MXCSRS {
            for (_, b) in ps_inputs() {
                for (h, want) in [
                    (&CVTSS2SI32, native_to_gpr!("cvtss2si", "{r:e}", mxcsr, b)),
                    (&CVTSS2SI64, native_to_gpr!("cvtss2si", "{r}", mxcsr, b)),
                    (&CVTTSS2SI32, native_to_gpr!("cvttss2si", "{r:e}", mxcsr, b)),
                    (&CVTTSS2SI64, native_to_gpr!("cvttss2si", "{r}", mxcsr, b)),
                ] {
                    assert_eq!(to_gpr(h, mxcsr, b), want, "{} {b:#x}", h.name);
                }
            }
            for (_, b) in pd_inputs() {
                for (h, want) in [
                    (&CVTSD2SI32, native_to_gpr!("cvtsd2si", "{r:e}", mxcsr, b)),
                    (&CVTSD2SI64, native_to_gpr!("cvtsd2si", "{r}", mxcsr, b)),
                    (&CVTTSD2SI32, native_to_gpr!("cvttsd2si", "{r:e}", mxcsr, b)),
                    (&CVTTSD2SI64, native_to_gpr!("cvttsd2si", "{r}", mxcsr, b)),
                ] {
                    assert_eq!(to_gpr(h, mxcsr, b), want, "{} {b:#x}", h.name);
                }
            }
        }
    }

    #[test]
    fn cvtpi2ps_from_memory_matches_host() {
        use core::arch::x86_64::__m128i;
        for mxcsr in MXCSRS {
            for (a, b) in ps_inputs() {
                let src = b as u64;
                // SAFETY: u128 and __m128i are both 16 bytes of plain data.
                let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(a) };
                let mut m = [0u32, mxcsr, 0];
                // SAFETY: one SSE instruction reading `src` between saving
                // and restoring MXCSR.
                unsafe {
                    core::arch::asm!(
                        "stmxcsr [{m}]",
                        "ldmxcsr [{m} + 4]",
                        "cvtpi2ps {x}, qword ptr [{p}]",
                        "stmxcsr [{m} + 8]",
                        "ldmxcsr [{m}]",
                        m = in(reg) m.as_mut_ptr(),
                        x = inout(xmm_reg) x,
                        p = in(reg) &src,
                        options(nostack, preserves_flags),
                    );
                }
                // SAFETY: as above.
                let want = (unsafe { core::mem::transmute::<__m128i, u128>(x) }, m[2]);
                let (got, env) = run_env(&CVTPI2PS, mxcsr, a, src as u128, 0);
                assert_eq!((got, env.mxcsr), want, "cvtpi2ps {a:#x}, {src:#x}");
            }
        }
    }

    #[test]
    fn conversions_from_integer_registers_match_host() {
        let values = [
            0u64,
            1,
            u64::MAX,
            i32::MAX as u64,
            i32::MIN as u32 as u64,
            0x0100_0001,
            0x8000_0000_0000_0001,
            0x7fff_ffff_ffff_ffff,
            0x0020_0000_0000_0001,
            0x1234_5678_9abc_def1,
        ];
        let a = 0xdead_beef_0bad_f00d_cafe_babe_1234_5678u128;
        for mxcsr in MXCSRS {
            for v in values {
                for (h, want) in [
                    (
                        &CVTSI2SS32,
                        native_from_gpr!("cvtsi2ss", "{r:e}", mxcsr, a, v),
                    ),
                    (
                        &CVTSI2SS64,
                        native_from_gpr!("cvtsi2ss", "{r}", mxcsr, a, v),
                    ),
                    (
                        &CVTSI2SD32,
                        native_from_gpr!("cvtsi2sd", "{r:e}", mxcsr, a, v),
                    ),
                    (
                        &CVTSI2SD64,
                        native_from_gpr!("cvtsi2sd", "{r}", mxcsr, a, v),
                    ),
                ] {
                    let (got, env) = run_env(h, mxcsr, a, v as u128, 0);
                    assert_eq!((got, env.mxcsr), want, "{} {v:#x}", h.name);
                }
            }
        }
    }
}
