//! Host SSE instructions run under the guest's MXCSR: the guest's rounding,
//! DAZ and FTZ bits with every exception masked and the flags cleared, then
//! the host MXCSR restored. Each returns its result and the exception flags
//! the instruction raised, for the helpers to merge into the guest MXCSR.
//!
//! Fast path: while guest code runs, the host MXCSR has the default control
//! bits (0x1f80: all exceptions masked, round to nearest) and its sticky
//! exception flags are the guest's flags not yet copied to
//! `CpuState.mxcsr`. When the guest's control bits are that default too,
//! the instruction runs directly and its flags stay in the host MXCSR;
//! `sync_mxcsr_flags` moves them to the guest before anything reads the
//! guest MXCSR (STMXCSR, signal frames), and `clear_host_flags` empties them
//! when the guest MXCSR is replaced (LDMXCSR, signal entry and return).

use core::arch::asm;
use core::arch::x86_64::__m128i;

/// MXCSR exception flags IE DE ZE OE UE PE (bits 0..6).
pub const FLAGS: u32 = 0x3f;
/// MXCSR exception masks IM..PM (bits 7..13).
pub const MASKS: u32 = 0x1f80;

/// The MXCSR a guest operation runs under on the host.
fn host_mxcsr(guest: u32) -> u32 {
    (guest & !FLAGS) | MASKS
}

/// True when the guest's control bits equal the host's default MXCSR, so
/// the instruction can run without switching MXCSR (see the module doc).
#[inline(always)]
fn default_control(guest: u32) -> bool {
    guest & !FLAGS == MASKS
}

/// Flags a fast-path instruction reports: none now; they stay in the
/// host MXCSR until `sync_mxcsr_flags`.
#[inline(always)]
fn take_host_flags() -> u32 {
    0
}

/// Sets the host MXCSR to the default with no exception flags: at the
/// start of guest code and whenever the guest MXCSR is replaced.
pub fn clear_host_flags() {
    let d = MASKS;
    // SAFETY: loads the default MXCSR.
    unsafe {
        asm!(
            "ldmxcsr [{m}]",
            m = in(reg) &d as *const u32,
            options(nostack, preserves_flags, readonly)
        )
    };
}

/// Moves the exception flags pending in the host MXCSR into the guest's.
pub fn sync_mxcsr_flags(env: &mut crate::cpu::CpuState) {
    let mut m = 0u32;
    // SAFETY: stores the host MXCSR into `m`.
    unsafe {
        asm!(
            "stmxcsr [{m}]",
            m = in(reg) &mut m as *mut u32,
            options(nostack, preserves_flags)
        )
    };
    if m & FLAGS != 0 {
        env.mxcsr |= m & FLAGS;
        clear_host_flags();
    }
}

fn to_m(v: u128) -> __m128i {
    // SAFETY: both types are 16 bytes of plain data.
    unsafe { core::mem::transmute::<u128, __m128i>(v) }
}

fn from_m(v: __m128i) -> u128 {
    // SAFETY: both types are 16 bytes of plain data.
    unsafe { core::mem::transmute::<__m128i, u128>(v) }
}

/// `insn x, y` on two XMM registers: `fn(mxcsr, x, y, _) -> (x', flags)`.
macro_rules! xx {
    ($($f:ident = $insn:literal;)*) => {$(
        #[doc = concat!("`", $insn, " x, y` under the guest MXCSR.")]
        pub fn $f(mxcsr: u32, a: u128, b: u128, _imm: u8) -> (u128, u32) {
            let mut x = to_m(a);
            let y = to_m(b);
            if default_control(mxcsr) {
                // SAFETY: one SSE instruction on registers, under the
                // default MXCSR the host already has.
                unsafe {
                    asm!(
                        concat!($insn, " {x}, {y}"),
                        x = inout(xmm_reg) x,
                        y = in(xmm_reg) y,
                        options(nostack, nomem, preserves_flags),
                    );
                }
                return (from_m(x), take_host_flags());
            }
            let mut m = [0, host_mxcsr(mxcsr), 0u32];
            // SAFETY: saves the host MXCSR into m[0], runs one SSE
            // instruction on registers with all exceptions masked, stores
            // the resulting MXCSR in m[2] and restores the host's; `m` is
            // the only memory touched.
            unsafe {
                asm!(
                    "stmxcsr [{m}]",
                    "ldmxcsr [{m} + 4]",
                    concat!($insn, " {x}, {y}"),
                    "stmxcsr [{m} + 8]",
                    "ldmxcsr [{m}]",
                    m = in(reg) m.as_mut_ptr(),
                    x = inout(xmm_reg) x,
                    y = in(xmm_reg) y,
                    options(nostack, preserves_flags),
                );
            }
            let r = from_m(x);
            (r, m[2] & FLAGS | unmasked_exact_underflow(mxcsr, $insn, r))
        }
    )*};
}

/// MXCSR underflow mask.
const UM: u32 = 1 << 11;
/// MXCSR underflow flag.
const UE: u32 = 1 << 4;

/// UE for an exact tiny result when underflow is unmasked. Masked, the
/// CPU reports underflow only for a tiny and inexact result, and the host
/// runs every instruction masked; unmasked, a tiny result alone underflows
/// (SDM vol. 1, 11.5.2.3). An exact tiny result is a denormal, so the
/// arithmetic instructions' result lanes are checked for one.
fn unmasked_exact_underflow(mxcsr: u32, insn: &str, r: u128) -> u32 {
    if mxcsr & UM != 0 {
        return 0;
    }
    let f32s = |n: u32| {
        (0..n).any(|i| {
            let v = (r >> (32 * i)) as u32;
            v & 0x7f80_0000 == 0 && v & 0x7f_ffff != 0
        })
    };
    let f64s = |n: u32| {
        (0..n).any(|i| {
            let v = (r >> (64 * i)) as u64;
            v & 0x7ff0_0000_0000_0000 == 0 && v & 0xf_ffff_ffff_ffff != 0
        })
    };
    let tiny = match insn {
        "addps" | "subps" | "mulps" | "divps" | "addsubps" | "haddps" | "hsubps" => f32s(4),
        "addss" | "subss" | "mulss" | "divss" | "cvtsd2ss" => f32s(1),
        "cvtpd2ps" => f32s(2),
        "addpd" | "subpd" | "mulpd" | "divpd" | "addsubpd" | "haddpd" | "hsubpd" => f64s(2),
        "addsd" | "subsd" | "mulsd" | "divsd" => f64s(1),
        _ => false,
    };
    if tiny {
        UE
    } else {
        0
    }
}

/// `insn x, y, imm` for the listed immediates (the caller masks `imm`).
macro_rules! xx_imm {
    ($($f:ident = $insn:literal, [$($i:literal),*];)*) => {$(
        #[doc = concat!("`", $insn, " x, y, imm` under the guest MXCSR.")]
        pub fn $f(mxcsr: u32, a: u128, b: u128, imm: u8) -> (u128, u32) {
            fn run<const I: u8>(mxcsr: u32, a: u128, b: u128) -> (u128, u32) {
                let mut x = to_m(a);
                let y = to_m(b);
                if default_control(mxcsr) {
                    // SAFETY: as in `xx!`'s fast path.
                    unsafe {
                        asm!(
                            concat!($insn, " {x}, {y}, {i}"),
                            x = inout(xmm_reg) x,
                            y = in(xmm_reg) y,
                            i = const I,
                            options(nostack, nomem, preserves_flags),
                        );
                    }
                    return (from_m(x), take_host_flags());
                }
                let mut m = [0, host_mxcsr(mxcsr), 0u32];
                // SAFETY: as for `xx!`: one SSE instruction between saving
                // and restoring the host MXCSR, memory limited to `m`.
                unsafe {
                    asm!(
                        "stmxcsr [{m}]",
                        "ldmxcsr [{m} + 4]",
                        concat!($insn, " {x}, {y}, {i}"),
                        "stmxcsr [{m} + 8]",
                        "ldmxcsr [{m}]",
                        m = in(reg) m.as_mut_ptr(),
                        x = inout(xmm_reg) x,
                        y = in(xmm_reg) y,
                        i = const I,
                        options(nostack, preserves_flags),
                    );
                }
                (from_m(x), m[2] & FLAGS)
            }
            match imm {
                $($i => run::<$i>(mxcsr, a, b),)*
                _ => unreachable!("immediate {imm} not masked by the caller"),
            }
        }
    )*};
}

/// `insn r, y`: XMM to general register, `fn(mxcsr, y) -> (r, flags)`.
macro_rules! gx {
    ($($f:ident = $insn:literal, $r:literal;)*) => {$(
        #[doc = concat!("`", $insn, " ", $r, ", y` under the guest MXCSR.")]
        pub fn $f(mxcsr: u32, b: u128) -> (u64, u32) {
            let y = to_m(b);
            let r: u64;
            if default_control(mxcsr) {
                // SAFETY: as in `xx!`'s fast path.
                unsafe {
                    asm!(
                        concat!($insn, " ", $r, ", {y}"),
                        r = out(reg) r,
                        y = in(xmm_reg) y,
                        options(nostack, nomem, preserves_flags),
                    );
                }
                return (r, take_host_flags());
            }
            let mut m = [0, host_mxcsr(mxcsr), 0u32];
            // SAFETY: as for `xx!`; the 32-bit forms zero-extend `r`.
            unsafe {
                asm!(
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
            (r, m[2] & FLAGS)
        }
    )*};
}

/// `insn x, r`: general register to XMM, `fn(mxcsr, x, r, _) -> (x', flags)`.
macro_rules! xg {
    ($($f:ident = $insn:literal, $r:literal;)*) => {$(
        #[doc = concat!("`", $insn, " x, ", $r, "` under the guest MXCSR.")]
        pub fn $f(mxcsr: u32, a: u128, b: u128, _imm: u8) -> (u128, u32) {
            let mut x = to_m(a);
            if default_control(mxcsr) {
                // SAFETY: as in `xx!`'s fast path.
                unsafe {
                    asm!(
                        concat!($insn, " {x}, ", $r),
                        x = inout(xmm_reg) x,
                        r = in(reg) b as u64,
                        options(nostack, nomem, preserves_flags),
                    );
                }
                return (from_m(x), take_host_flags());
            }
            let mut m = [0, host_mxcsr(mxcsr), 0u32];
            // SAFETY: as for `xx!`.
            unsafe {
                asm!(
                    "stmxcsr [{m}]",
                    "ldmxcsr [{m} + 4]",
                    concat!($insn, " {x}, ", $r),
                    "stmxcsr [{m} + 8]",
                    "ldmxcsr [{m}]",
                    m = in(reg) m.as_mut_ptr(),
                    x = inout(xmm_reg) x,
                    r = in(reg) b as u64,
                    options(nostack, preserves_flags),
                );
            }
            (from_m(x), m[2] & FLAGS)
        }
    )*};
}

/// `insn x, y` setting ZF, PF, CF: `fn(mxcsr, x, y) -> (eflags, flags)`.
macro_rules! flags_xx {
    ($($f:ident = $insn:literal;)*) => {$(
        #[doc = concat!("`", $insn, " x, y` under the guest MXCSR, returning ZF|PF|CF.")]
        pub fn $f(mxcsr: u32, a: u128, b: u128) -> (u64, u32) {
            use crate::cpu::eflags::{CF, PF, ZF};
            let x = to_m(a);
            let y = to_m(b);
            let (z, p, c): (u8, u8, u8);
            if default_control(mxcsr) {
                // SAFETY: as in `xx!`'s fast path; the flags are read with SETcc.
                unsafe {
                    asm!(
                        concat!($insn, " {x}, {y}"),
                        "setz {z}",
                        "setp {p}",
                        "setc {c}",
                        x = in(xmm_reg) x,
                        y = in(xmm_reg) y,
                        z = out(reg_byte) z,
                        p = out(reg_byte) p,
                        c = out(reg_byte) c,
                        options(nostack, nomem),
                    );
                }
                let fl = if z != 0 { ZF } else { 0 } | if p != 0 { PF } else { 0 } | if c != 0 { CF } else { 0 };
                return (fl, take_host_flags());
            }
            let mut m = [0, host_mxcsr(mxcsr), 0u32];
            // SAFETY: as for `xx!`; the flags are read with SETcc.
            unsafe {
                asm!(
                    "stmxcsr [{m}]",
                    "ldmxcsr [{m} + 4]",
                    concat!($insn, " {x}, {y}"),
                    "setz {z}",
                    "setp {p}",
                    "setc {c}",
                    "stmxcsr [{m} + 8]",
                    "ldmxcsr [{m}]",
                    m = in(reg) m.as_mut_ptr(),
                    x = in(xmm_reg) x,
                    y = in(xmm_reg) y,
                    z = out(reg_byte) z,
                    p = out(reg_byte) p,
                    c = out(reg_byte) c,
                    options(nostack),
                );
            }
            let fl = if z != 0 { ZF } else { 0 } | if p != 0 { PF } else { 0 } | if c != 0 { CF } else { 0 };
            (fl, m[2] & FLAGS)
        }
    )*};
}

xx! {
    addps = "addps"; addss = "addss"; addpd = "addpd"; addsd = "addsd";
    subps = "subps"; subss = "subss"; subpd = "subpd"; subsd = "subsd";
    mulps = "mulps"; mulss = "mulss"; mulpd = "mulpd"; mulsd = "mulsd";
    divps = "divps"; divss = "divss"; divpd = "divpd"; divsd = "divsd";
    sqrtps = "sqrtps"; sqrtss = "sqrtss"; sqrtpd = "sqrtpd"; sqrtsd = "sqrtsd";
    minps = "minps"; minss = "minss"; minpd = "minpd"; minsd = "minsd";
    maxps = "maxps"; maxss = "maxss"; maxpd = "maxpd"; maxsd = "maxsd";
    rcpps = "rcpps"; rcpss = "rcpss"; rsqrtps = "rsqrtps"; rsqrtss = "rsqrtss";
    addsubps = "addsubps"; addsubpd = "addsubpd";
    haddps = "haddps"; haddpd = "haddpd"; hsubps = "hsubps"; hsubpd = "hsubpd";
    cvtss2sd = "cvtss2sd"; cvtsd2ss = "cvtsd2ss";
    cvtps2pd = "cvtps2pd"; cvtpd2ps = "cvtpd2ps";
    cvtdq2ps = "cvtdq2ps"; cvtps2dq = "cvtps2dq"; cvttps2dq = "cvttps2dq";
    cvtdq2pd = "cvtdq2pd"; cvtpd2dq = "cvtpd2dq"; cvttpd2dq = "cvttpd2dq";
}

xx_imm! {
    cmpps = "cmpps", [0, 1, 2, 3, 4, 5, 6, 7];
    cmpss = "cmpss", [0, 1, 2, 3, 4, 5, 6, 7];
    cmppd = "cmppd", [0, 1, 2, 3, 4, 5, 6, 7];
    cmpsd = "cmpsd", [0, 1, 2, 3, 4, 5, 6, 7];
    roundps = "roundps", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    roundss = "roundss", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    roundpd = "roundpd", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    roundsd = "roundsd", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    // Every product mask, all lanes written (the caller applies the
    // write mask, which changes neither the sum nor the flags).
    dpps = "dpps", [
        0x0f, 0x1f, 0x2f, 0x3f, 0x4f, 0x5f, 0x6f, 0x7f,
        0x8f, 0x9f, 0xaf, 0xbf, 0xcf, 0xdf, 0xef, 0xff
    ];
    dppd = "dppd", [0x03, 0x13, 0x23, 0x33];
}

gx! {
    cvtss2si32 = "cvtss2si", "{r:e}"; cvtss2si64 = "cvtss2si", "{r}";
    cvttss2si32 = "cvttss2si", "{r:e}"; cvttss2si64 = "cvttss2si", "{r}";
    cvtsd2si32 = "cvtsd2si", "{r:e}"; cvtsd2si64 = "cvtsd2si", "{r}";
    cvttsd2si32 = "cvttsd2si", "{r:e}"; cvttsd2si64 = "cvttsd2si", "{r}";
}

xg! {
    cvtsi2ss32 = "cvtsi2ss", "{r:e}"; cvtsi2ss64 = "cvtsi2ss", "{r}";
    cvtsi2sd32 = "cvtsi2sd", "{r:e}"; cvtsi2sd64 = "cvtsi2sd", "{r}";
}

flags_xx! {
    comiss = "comiss"; ucomiss = "ucomiss"; comisd = "comisd"; ucomisd = "ucomisd";
}
