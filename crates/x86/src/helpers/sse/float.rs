//! Floating-point arithmetic: ADD/SUB/MUL/DIV/SQRT/MIN/MAX in PS, SS, PD,
//! SD forms, RCP/RSQRT (PS, SS), the SSE3 ADDSUB/HADD/HSUB, and the SSE4.1
//! ROUND and DPPS/DPPD. Each runs on the host under the guest MXCSR.

use super::host;
use super::lanes::from_fn;
use super::HelperInfo;
use crate::cpu::CpuState;

/// ROUNDxx: imm[1:0] is the rounding mode unless imm[2] selects MXCSR.RC;
/// imm[3] suppresses the precision exception. The host's instruction
/// takes imm[3:0] as it is, under the guest MXCSR (so with the default
/// control bits on the fast path, its flags left pending like those of
/// the other instructions there, and of the JIT's inline forms).
fn round(
    f: fn(u32, u128, u128, u8) -> (u128, u32),
    mxcsr: u32,
    a: u128,
    b: u128,
    imm: u8,
) -> (u128, u32) {
    f(mxcsr, a, b, imm & 15)
}

/// DPPS: the host's own DPPS with the product mask imm[7:4]; the sum goes
/// to the lanes selected by imm[3:0]. Which NaN a sum of NaNs returns is
/// the microarchitecture's (Sapphire Rapids and earlier Intel cores differ
/// from a sum of MULPS, HADDPS and ADDSS), so the host's instruction is
/// what the guest would see natively.
fn dpps(mxcsr: u32, a: u128, b: u128, imm: u8) -> (u128, u32) {
    let (r, f) = host::dpps(mxcsr, a, b, imm | 0x0f);
    let write = from_fn::<u32>(|i| if imm >> i & 1 != 0 { u32::MAX } else { 0 });
    (r & write, f)
}

/// DPPD: the host's DPPD with the product mask imm[5:4], the sum written
/// to the lanes selected by imm[1:0] (see `dpps`).
fn dppd(mxcsr: u32, a: u128, b: u128, imm: u8) -> (u128, u32) {
    let (r, f) = host::dppd(mxcsr, a, b, imm & 0x30 | 0x03);
    let write = from_fn::<u64>(|i| if imm >> i & 1 != 0 { u64::MAX } else { 0 });
    (r & write, f)
}

mxcsr_ops! {
    MXCSR;
    /// ADDPS: packed single add.
    ADDPS = "addps", host::addps;
    /// ADDSS: scalar single add.
    ADDSS = "addss", host::addss;
    /// ADDPD: packed double add.
    ADDPD = "addpd", host::addpd;
    /// ADDSD: scalar double add.
    ADDSD = "addsd", host::addsd;
    /// SUBPS: packed single subtract.
    SUBPS = "subps", host::subps;
    /// SUBSS: scalar single subtract.
    SUBSS = "subss", host::subss;
    /// SUBPD: packed double subtract.
    SUBPD = "subpd", host::subpd;
    /// SUBSD: scalar double subtract.
    SUBSD = "subsd", host::subsd;
    /// MULPS: packed single multiply.
    MULPS = "mulps", host::mulps;
    /// MULSS: scalar single multiply.
    MULSS = "mulss", host::mulss;
    /// MULPD: packed double multiply.
    MULPD = "mulpd", host::mulpd;
    /// MULSD: scalar double multiply.
    MULSD = "mulsd", host::mulsd;
    /// DIVPS: packed single divide.
    DIVPS = "divps", host::divps;
    /// DIVSS: scalar single divide.
    DIVSS = "divss", host::divss;
    /// DIVPD: packed double divide.
    DIVPD = "divpd", host::divpd;
    /// DIVSD: scalar double divide.
    DIVSD = "divsd", host::divsd;
    /// SQRTPS: packed single square root of the source.
    SQRTPS = "sqrtps", host::sqrtps;
    /// SQRTSS: scalar single square root of the source.
    SQRTSS = "sqrtss", host::sqrtss;
    /// SQRTPD: packed double square root of the source.
    SQRTPD = "sqrtpd", host::sqrtpd;
    /// SQRTSD: scalar double square root of the source.
    SQRTSD = "sqrtsd", host::sqrtsd;
    /// MINPS: packed single minimum (the source when unordered or equal).
    MINPS = "minps", host::minps;
    /// MINSS: scalar single minimum.
    MINSS = "minss", host::minss;
    /// MINPD: packed double minimum.
    MINPD = "minpd", host::minpd;
    /// MINSD: scalar double minimum.
    MINSD = "minsd", host::minsd;
    /// MAXPS: packed single maximum (the source when unordered or equal).
    MAXPS = "maxps", host::maxps;
    /// MAXSS: scalar single maximum.
    MAXSS = "maxss", host::maxss;
    /// MAXPD: packed double maximum.
    MAXPD = "maxpd", host::maxpd;
    /// MAXSD: scalar double maximum.
    MAXSD = "maxsd", host::maxsd;
    /// RCPPS: packed single reciprocal approximation (the host's).
    RCPPS = "rcpps", host::rcpps;
    /// RCPSS: scalar single reciprocal approximation (the host's).
    RCPSS = "rcpss", host::rcpss;
    /// RSQRTPS: packed single reciprocal square root approximation (the host's).
    RSQRTPS = "rsqrtps", host::rsqrtps;
    /// RSQRTSS: scalar single reciprocal square root approximation (the host's).
    RSQRTSS = "rsqrtss", host::rsqrtss;
    /// ADDSUBPS (SSE3): subtract in even lanes, add in odd lanes.
    ADDSUBPS = "addsubps", host::addsubps;
    /// ADDSUBPD (SSE3): subtract in lane 0, add in lane 1.
    ADDSUBPD = "addsubpd", host::addsubpd;
    /// HADDPS (SSE3): horizontal single adds.
    HADDPS = "haddps", host::haddps;
    /// HADDPD (SSE3): horizontal double adds.
    HADDPD = "haddpd", host::haddpd;
    /// HSUBPS (SSE3): horizontal single subtracts.
    HSUBPS = "hsubps", host::hsubps;
    /// HSUBPD (SSE3): horizontal double subtracts.
    HSUBPD = "hsubpd", host::hsubpd;
    /// ROUNDPS (SSE4.1): packed single round to integral.
    ROUNDPS = "roundps", |m, a, b, i| round(host::roundps, m, a, b, i);
    /// ROUNDSS (SSE4.1): scalar single round to integral.
    ROUNDSS = "roundss", |m, a, b, i| round(host::roundss, m, a, b, i);
    /// ROUNDPD (SSE4.1): packed double round to integral.
    ROUNDPD = "roundpd", |m, a, b, i| round(host::roundpd, m, a, b, i);
    /// ROUNDSD (SSE4.1): scalar double round to integral.
    ROUNDSD = "roundsd", |m, a, b, i| round(host::roundsd, m, a, b, i);
    /// DPPS (SSE4.1): single dot product with lane masks.
    DPPS = "dpps", dpps;
    /// DPPD (SSE4.1): double dot product with lane masks.
    DPPD = "dppd", dppd;
}

#[cfg(test)]
mod tests {
    use super::super::native::{check_float, pd_inputs, ps_inputs, run_env};
    use super::*;

    #[test]
    fn single_arithmetic_matches_host() {
        check_float!(ADDPS, "addps", ps_inputs);
        check_float!(ADDSS, "addss", ps_inputs);
        check_float!(SUBPS, "subps", ps_inputs);
        check_float!(SUBSS, "subss", ps_inputs);
        check_float!(MULPS, "mulps", ps_inputs);
        check_float!(MULSS, "mulss", ps_inputs);
        check_float!(DIVPS, "divps", ps_inputs);
        check_float!(DIVSS, "divss", ps_inputs);
        check_float!(SQRTPS, "sqrtps", ps_inputs);
        check_float!(SQRTSS, "sqrtss", ps_inputs);
        check_float!(MINPS, "minps", ps_inputs);
        check_float!(MINSS, "minss", ps_inputs);
        check_float!(MAXPS, "maxps", ps_inputs);
        check_float!(MAXSS, "maxss", ps_inputs);
        check_float!(RCPPS, "rcpps", ps_inputs);
        check_float!(RCPSS, "rcpss", ps_inputs);
        check_float!(RSQRTPS, "rsqrtps", ps_inputs);
        check_float!(RSQRTSS, "rsqrtss", ps_inputs);
        check_float!(ADDSUBPS, "addsubps", ps_inputs);
        check_float!(HADDPS, "haddps", ps_inputs);
        check_float!(HSUBPS, "hsubps", ps_inputs);
    }

    #[test]
    fn double_arithmetic_matches_host() {
        check_float!(ADDPD, "addpd", pd_inputs);
        check_float!(ADDSD, "addsd", pd_inputs);
        check_float!(SUBPD, "subpd", pd_inputs);
        check_float!(SUBSD, "subsd", pd_inputs);
        check_float!(MULPD, "mulpd", pd_inputs);
        check_float!(MULSD, "mulsd", pd_inputs);
        check_float!(DIVPD, "divpd", pd_inputs);
        check_float!(DIVSD, "divsd", pd_inputs);
        check_float!(SQRTPD, "sqrtpd", pd_inputs);
        check_float!(SQRTSD, "sqrtsd", pd_inputs);
        check_float!(MINPD, "minpd", pd_inputs);
        check_float!(MINSD, "minsd", pd_inputs);
        check_float!(MAXPD, "maxpd", pd_inputs);
        check_float!(MAXSD, "maxsd", pd_inputs);
        check_float!(ADDSUBPD, "addsubpd", pd_inputs);
        check_float!(HADDPD, "haddpd", pd_inputs);
        check_float!(HSUBPD, "hsubpd", pd_inputs);
    }

    #[test]
    fn round_and_dot_product_match_host() {
        check_float!(ROUNDPS, "roundps", ps_inputs, 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 15);
        check_float!(ROUNDSS, "roundss", ps_inputs, 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 15);
        check_float!(ROUNDPD, "roundpd", pd_inputs, 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 15);
        check_float!(ROUNDSD, "roundsd", pd_inputs, 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 15);
        check_float!(DPPS, "dpps", ps_inputs, 0xff, 0xf1, 0x31, 0x5a, 0xc3, 0x0f, 0xf0, 0x1e);
        check_float!(DPPD, "dppd", pd_inputs, 0x33, 0x31, 0x12, 0x23, 0x03, 0x30, 0x11);
    }

    #[test]
    fn rounding_mode_daz_and_ftz_come_from_the_guest() {
        let third = |mxcsr| {
            let (r, _) = run_env(
                &DIVSS,
                mxcsr,
                1.0f32.to_bits() as u128,
                3.0f32.to_bits() as u128,
                0,
            );
            r as u32
        };
        assert_eq!(third(0x1f80), 0x3eaa_aaab, "nearest");
        assert_eq!(third(0x3f80), 0x3eaa_aaaa, "down");
        assert_eq!(third(0x5f80), 0x3eaa_aaab, "up");
        assert_eq!(third(0x7f80), 0x3eaa_aaaa, "toward zero");
        let tiny = 0x0080_0000u128; // smallest normal single
        let (r, env) = run_env(&MULSS, 0x9f80, tiny, 0x3f00_0000, 0);
        assert_eq!(
            (r as u32, env.mxcsr & 0x3f),
            (0, 0x30),
            "FTZ flushes with UE|PE"
        );
        let (r, env) = run_env(&ADDSS, 0x1fc0, 1, 0, 0);
        assert_eq!(
            (r as u32, env.mxcsr & 0x3f),
            (0, 0),
            "DAZ reads a denormal as +0"
        );
        let (_, env) = run_env(&ADDSS, 0x1f80, 1, 0, 0);
        assert_eq!(env.mxcsr & 0x3f, 2, "DE without DAZ");
    }
}
