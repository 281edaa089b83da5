//! Comparisons: the packed integer PCMPEQ/PCMPGT (B, W, D; Q from SSE4.1
//! and SSE4.2), the floating-point CMPPS/CMPSS/CMPPD/CMPSD with all eight
//! predicates, and COMISS/UCOMISS/COMISD/UCOMISD returning ZF, PF, CF.

use super::host;
use super::lanes::cmp;
use super::HelperInfo;
use crate::cpu::CpuState;

pure_ops! {
    PURE;
    /// PCMPEQB: all ones in each equal byte.
    PCMPEQB = "pcmpeqb", |a, b, _| cmp::<u8>(a, b, |x, y| x == y);
    /// PCMPEQW: all ones in each equal word.
    PCMPEQW = "pcmpeqw", |a, b, _| cmp::<u16>(a, b, |x, y| x == y);
    /// PCMPEQD: all ones in each equal doubleword.
    PCMPEQD = "pcmpeqd", |a, b, _| cmp::<u32>(a, b, |x, y| x == y);
    /// PCMPEQQ (SSE4.1): all ones in each equal quadword.
    PCMPEQQ = "pcmpeqq", |a, b, _| cmp::<u64>(a, b, |x, y| x == y);
    /// PCMPGTB: all ones where the destination byte is greater (signed).
    PCMPGTB = "pcmpgtb", |a, b, _| cmp::<i8>(a, b, |x, y| x > y);
    /// PCMPGTW: all ones where the destination word is greater (signed).
    PCMPGTW = "pcmpgtw", |a, b, _| cmp::<i16>(a, b, |x, y| x > y);
    /// PCMPGTD: all ones where the destination doubleword is greater (signed).
    PCMPGTD = "pcmpgtd", |a, b, _| cmp::<i32>(a, b, |x, y| x > y);
    /// PCMPGTQ (SSE4.2): all ones where the destination quadword is greater (signed).
    PCMPGTQ = "pcmpgtq", |a, b, _| cmp::<i64>(a, b, |x, y| x > y);
}

mxcsr_ops! {
    MXCSR;
    /// CMPPS: packed single compare with predicate imm[2:0].
    CMPPS = "cmpps", |m, a, b, i| host::cmpps(m, a, b, i & 7);
    /// CMPSS: scalar single compare with predicate imm[2:0].
    CMPSS = "cmpss", |m, a, b, i| host::cmpss(m, a, b, i & 7);
    /// CMPPD: packed double compare with predicate imm[2:0].
    CMPPD = "cmppd", |m, a, b, i| host::cmppd(m, a, b, i & 7);
    /// CMPSD: scalar double compare with predicate imm[2:0].
    CMPSD = "cmpsd", |m, a, b, i| host::cmpsd(m, a, b, i & 7);
}

mxcsr_value_ops! {
    COMIS;
    /// COMISS: ordered scalar single compare -> ZF|PF|CF.
    COMISS = "comiss", host::comiss;
    /// UCOMISS: unordered scalar single compare -> ZF|PF|CF.
    UCOMISS = "ucomiss", host::ucomiss;
    /// COMISD: ordered scalar double compare -> ZF|PF|CF.
    COMISD = "comisd", host::comisd;
    /// UCOMISD: unordered scalar double compare -> ZF|PF|CF.
    UCOMISD = "ucomisd", host::ucomisd;
}

#[cfg(test)]
mod tests {
    use super::super::native::{
        check_binary, check_float, check_float_value, pd_inputs, ps_inputs, run_env, D,
    };
    use super::*;
    use crate::cpu::eflags::{CF, PF, ZF};

    #[test]
    fn integer_compares_match_host() {
        check_binary!(PCMPEQB, "pcmpeqb");
        check_binary!(PCMPEQW, "pcmpeqw");
        check_binary!(PCMPEQD, "pcmpeqd");
        check_binary!(PCMPEQQ, "pcmpeqq");
        check_binary!(PCMPGTB, "pcmpgtb");
        check_binary!(PCMPGTW, "pcmpgtw");
        check_binary!(PCMPGTD, "pcmpgtd");
        check_binary!(PCMPGTQ, "pcmpgtq");
    }

    #[test]
    fn float_compares_match_host() {
        check_float!(CMPPS, "cmpps", ps_inputs, 0, 1, 2, 3, 4, 5, 6, 7);
        check_float!(CMPSS, "cmpss", ps_inputs, 0, 1, 2, 3, 4, 5, 6, 7);
        check_float!(CMPPD, "cmppd", pd_inputs, 0, 1, 2, 3, 4, 5, 6, 7);
        check_float!(CMPSD, "cmpsd", pd_inputs, 0, 1, 2, 3, 4, 5, 6, 7);
        check_float_value!(COMISS, "comiss", ps_inputs);
        check_float_value!(UCOMISS, "ucomiss", ps_inputs);
        check_float_value!(COMISD, "comisd", pd_inputs);
        check_float_value!(UCOMISD, "ucomisd", pd_inputs);
    }

    #[test]
    fn compare_predicates_and_flags() {
        // 1.0 < NaN is false and signals invalid; 1.0 == 1.0 is quiet.
        let one = 1.0f32.to_bits() as u128;
        let qnan = f32::NAN.to_bits() as u128;
        let (r, env) = run_env(&CMPSS, 0x1f80, one, qnan, 1);
        assert_eq!(r as u32, 0);
        assert_eq!(env.mxcsr & 0x3f, 1);
        let (r, env) = run_env(&CMPSS, 0x1f80, one, one, 8);
        assert_eq!(r as u32, u32::MAX, "imm 8 keeps only bits 2:0 (EQ)");
        assert_eq!(env.mxcsr & 0x3f, 0);
        let (r, env) = run_env(&CMPSS, 0x1f80, one, qnan, 3);
        assert_eq!(r as u32, u32::MAX, "UNORD");
        assert_eq!(env.mxcsr & 0x3f, 0, "UNORD is quiet for a QNaN");
    }

    #[test]
    fn comis_sets_zf_pf_cf() {
        let f = |v: f64| v.to_bits() as u128;
        let mut env = CpuState::default();
        let mut comisd = |a: f64, b: f64| {
            env.xmm[D as usize][0] = a.to_bits();
            let v = crate::helpers::sse::native::call(&COMISD, &mut env, [D, f(b) as u64, 0, 0, 0]);
            (v, env.mxcsr & 0x3f)
        };
        assert_eq!(comisd(1.0, 2.0), (CF, 0));
        assert_eq!(comisd(2.0, 1.0), (0, 0));
        assert_eq!(comisd(1.0, 1.0), (ZF, 0));
        assert_eq!(comisd(1.0, f64::NAN), (ZF | PF | CF, 1));
    }

    #[test]
    fn unmasked_invalid_raises_xm_and_keeps_the_destination() {
        let one = 1.0f32.to_bits() as u128;
        let qnan = f32::NAN.to_bits() as u128;
        let (r, env) = run_env(&CMPSS, 0x1f80 & !0x80, one, qnan, 1);
        assert_eq!(r, one);
        assert_eq!(env.exception.pending, 1);
        assert_eq!(env.exception.vector, crate::cpu::excp::XM as u32);
        assert_eq!(env.mxcsr & 1, 1);
    }
}
