//! PCMPESTRI/PCMPISTRI/PCMPESTRM/PCMPISTRM on the host's own SSE4.2
//! instruction, one function per immediate: the fast path of `pcmpstr`
//! (whose portable core is checked against these).

use super::pcmpstr::Outputs;
use crate::cpu::eflags::{CF, OF, SF, ZF};
use core::arch::x86_64::__m128i;

/// One form for one immediate: `(a, b, eax, edx)` to its outputs.
pub(super) type HostForm = fn(u128, u128, u64, u64) -> Outputs;

/// True when the host has SSE4.2.
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("sse4.2")
}

/// Defines `$name::<I>`: `$insn xmm1, xmm2, I` with EAX/EDX as given.
macro_rules! host_form {
    ($name:ident, $insn:literal) => {
        fn $name<const I: u8>(a: u128, b: u128, eax: u64, edx: u64) -> Outputs {
            debug_assert!(available());
            // SAFETY: u128 and __m128i are both 16 bytes of plain data.
            let x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(a) };
            // SAFETY: as above.
            let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(b) };
            // SAFETY: as above.
            let mut m0: __m128i = unsafe { core::mem::transmute::<u128, __m128i>(0) };
            let mut ecx: u64 = 0;
            let (c, z, s, o): (u8, u8, u8, u8);
            // SAFETY: one SSE4.2 instruction on registers (the callers
            // check `available`); the flags are read with SETcc.
            unsafe {
                core::arch::asm!(
                    concat!($insn, " {x}, {y}, {i}"),
                    "setc {c}",
                    "setz {z}",
                    "sets {s}",
                    "seto {o}",
                    x = in(xmm_reg) x,
                    y = in(xmm_reg) y,
                    i = const I,
                    c = out(reg_byte) c,
                    z = out(reg_byte) z,
                    s = out(reg_byte) s,
                    o = out(reg_byte) o,
                    inout("xmm0") m0,
                    inout("rcx") ecx,
                    in("rax") eax,
                    in("rdx") edx,
                    options(nostack, nomem),
                );
            }
            let flags = (c as u64) * CF | (z as u64) * ZF | (s as u64) * SF | (o as u64) * OF;
            // SAFETY: as above.
            let m0 = unsafe { core::mem::transmute::<__m128i, u128>(m0) };
            (ecx as u32, m0, flags)
        }
    };
}

host_form!(estri, "pcmpestri");
host_form!(istri, "pcmpistri");
host_form!(estrm, "pcmpestrm");
host_form!(istrm, "pcmpistrm");

/// The four forms (estri, istri, estrm, istrm) for immediates `16 * $hi + lo`.
macro_rules! row {
    ($hi:literal) => {
        row!(@ $hi; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    };
    (@ $hi:literal; $($lo:literal)*) => {
        [$([
            estri::<{ 16 * $hi + $lo }> as HostForm,
            istri::<{ 16 * $hi + $lo }>,
            estrm::<{ 16 * $hi + $lo }>,
            istrm::<{ 16 * $hi + $lo }>,
        ]),*]
    };
}

const ROWS: [[[HostForm; 4]; 16]; 8] = [
    row!(0),
    row!(1),
    row!(2),
    row!(3),
    row!(4),
    row!(5),
    row!(6),
    row!(7),
];

/// The forms for each immediate 0..=0x7f (bit 7 is reserved).
pub(super) static FORMS: [[HostForm; 4]; 128] = {
    let mut out = [ROWS[0][0]; 128];
    let mut i = 0;
    while i < 128 {
        out[i] = ROWS[i / 16][i % 16];
        i += 1;
    }
    out
};
