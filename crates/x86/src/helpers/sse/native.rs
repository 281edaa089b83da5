//! Test support: runs an SSE instruction natively with inline asm and
//! checks a helper against it over tables of integer and float inputs.

use super::HelperInfo;
use crate::cpu::CpuState;

/// XMM register the helpers under test use as their destination.
pub const D: u64 = 3;

/// Calls helper `h` as generated code would, with the host MXCSR flags
/// clear before and the pending ones moved to the guest after (see `host`).
pub fn call(h: &HelperInfo, env: &mut CpuState, args: [u64; 5]) -> u64 {
    super::clear_host_flags();
    let v = (h.func)(env, args[0], args[1], args[2], args[3], args[4]);
    super::sync_mxcsr_flags(env);
    v
}

/// Runs helper `h` with XMM `D` = `a`, source `b` and third operand `c`;
/// returns XMM `D` and the state.
pub fn run_env(h: &HelperInfo, mxcsr: u32, a: u128, b: u128, c: u128) -> (u128, CpuState) {
    let mut env = CpuState {
        mxcsr,
        ..CpuState::default()
    };
    env.xmm[D as usize] = [a as u64, (a >> 64) as u64];
    call(
        h,
        &mut env,
        [D, b as u64, (b >> 64) as u64, c as u64, (c >> 64) as u64],
    );
    let [lo, hi] = env.xmm[D as usize];
    (lo as u128 | (hi as u128) << 64, env)
}

/// Runs helper `h` under the default MXCSR; returns XMM `D`.
pub fn run(h: &HelperInfo, a: u128, b: u128, c: u128) -> u128 {
    run_env(h, 0x1f80, a, b, c).0
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A byte biased towards saturation and sign edges.
    fn edge_byte(&mut self) -> u8 {
        const EDGES: [u8; 6] = [0, 1, 0x7f, 0x80, 0xff, 0xfe];
        let r = self.next();
        if r & 1 == 0 {
            EDGES[(r >> 8) as usize % EDGES.len()]
        } else {
            (r >> 16) as u8
        }
    }

    /// 128 bits mixing edge bytes and random ones.
    pub fn edge_u128(&mut self) -> u128 {
        let mut b = [0u8; 16];
        for x in &mut b {
            *x = self.edge_byte();
        }
        u128::from_le_bytes(b)
    }
}

/// Operand pairs for integer instructions: fixed edge patterns, every pair
/// of them, then random mixtures of edge and random bytes.
pub fn inputs() -> impl Iterator<Item = (u128, u128)> {
    const FIXED: [u128; 10] = [
        0,
        u128::MAX,
        0x8080_8080_8080_8080_8080_8080_8080_8080,
        0x7f7f_7f7f_7f7f_7f7f_7f7f_7f7f_7f7f_7f7f,
        0x8000_8000_8000_8000_8000_8000_8000_8000,
        0x7fff_7fff_7fff_7fff_7fff_7fff_7fff_7fff,
        0x8000_0000_7fff_ffff_8000_0000_0000_0001,
        0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100,
        0x0000_0000_0000_0021_ffff_ffff_ffff_ffff,
        0x0000_0000_0000_0040_0000_0000_0000_0007,
    ];
    let fixed = FIXED
        .into_iter()
        .flat_map(|a| FIXED.into_iter().map(move |b| (a, b)));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let random = (0..400).map(move |_| (rng.edge_u128(), rng.edge_u128()));
    fixed.chain(random)
}

/// Runs `insn x, y` natively.
macro_rules! native_xx {
    ($insn:literal, $a:expr, $b:expr) => {{
        use core::arch::x86_64::__m128i;
        // SAFETY: u128 and __m128i are both 16 bytes of plain data.
        let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
        // SAFETY: as above.
        let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($b) };
        // SAFETY: one SSE instruction on registers.
        unsafe {
            core::arch::asm!(
                concat!($insn, " {x}, {y}"),
                x = inout(xmm_reg) x,
                y = in(xmm_reg) y,
                options(nostack, preserves_flags),
            );
        }
        // SAFETY: as above.
        unsafe { core::mem::transmute::<__m128i, u128>(x) }
    }};
}
pub(crate) use native_xx;

/// Runs `insn x, y, imm` natively.
macro_rules! native_xx_imm {
    ($insn:literal, $a:expr, $b:expr, $imm:literal) => {{
        use core::arch::x86_64::__m128i;
        // SAFETY: u128 and __m128i are both 16 bytes of plain data.
        let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
        // SAFETY: as above.
        let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($b) };
        // SAFETY: one SSE instruction on registers.
        unsafe {
            core::arch::asm!(
                concat!($insn, " {x}, {y}, ", $imm),
                x = inout(xmm_reg) x,
                y = in(xmm_reg) y,
                options(nostack, preserves_flags),
            );
        }
        // SAFETY: as above.
        unsafe { core::mem::transmute::<__m128i, u128>(x) }
    }};
}
pub(crate) use native_xx_imm;

/// Checks helper `h` (no immediate) against native `insn` on `inputs()`.
macro_rules! check_binary {
    ($h:expr, $insn:literal) => {
        for (a, b) in $crate::helpers::sse::native::inputs() {
            let want = $crate::helpers::sse::native::native_xx!($insn, a, b);
            let got = $crate::helpers::sse::native::run(&$h, a, b, 0);
            assert_eq!(got, want, "{} {:#034x}, {:#034x}", $insn, a, b);
        }
    };
}
pub(crate) use check_binary;

/// Checks helper `h` against native `insn` for each listed immediate.
macro_rules! check_binary_imm {
    ($h:expr, $insn:literal, $($imm:literal),*) => {
        for (a, b) in $crate::helpers::sse::native::inputs() {
            $(
                let want = $crate::helpers::sse::native::native_xx_imm!($insn, a, b, $imm);
                let got = $crate::helpers::sse::native::run(&$h, a, b, $imm);
                assert_eq!(got, want, "{} {:#034x}, {:#034x}, {}", $insn, a, b, $imm);
            )*
        }
    };
}
pub(crate) use check_binary_imm;

/// Guest MXCSR values the float checks run under: each rounding mode,
/// DAZ, FTZ, both, and sticky flags already set.
pub const MXCSRS: [u32; 8] = [
    0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x1fc0, 0x9f80, 0xffc0, 0x1fbf,
];

const F32_EDGES: [u32; 22] = [
    0x0000_0000, // +0
    0x8000_0000, // -0
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x3fc0_0000, // 1.5
    0x4020_0000, // 2.5
    0x3eaa_aaab, // 1/3
    0x7f7f_ffff, // max
    0x0080_0000, // min normal
    0x0000_0001, // min denormal
    0x807f_ffff, // -max denormal
    0x7f80_0000, // +inf
    0xff80_0000, // -inf
    0x7fc0_0000, // QNaN
    0xffc0_1234, // -QNaN with payload
    0x7f80_0001, // SNaN
    0x4f00_0000, // 2^31
    0xcf00_0000, // -2^31
    0x5f00_0000, // 2^63
    0xdf00_0000, // -2^63
    0x4b7f_ffff, // 2^24 - 1
    0x4480_0000, // 1024
];

const F64_EDGES: [u64; 22] = [
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
    0x4004_0000_0000_0000,
    0x3fd5_5555_5555_5555,
    0x7fef_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x800f_ffff_ffff_ffff,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_1234,
    0x7ff0_0000_0000_0001,
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0020_0000, // -2^31 - 1
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x47ef_ffff_e000_0000, // f32 max
    0x3810_0000_0000_0000, // f32 min normal
];

/// Operand pairs of packed singles: lanes from edge values and random bits.
pub fn ps_inputs() -> Vec<(u128, u128)> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let lane = |rng: &mut Rng| -> u128 {
        let r = rng.next();
        if r & 3 != 0 {
            F32_EDGES[(r >> 8) as usize % F32_EDGES.len()] as u128
        } else {
            (r >> 32) as u128
        }
    };
    let mut v: Vec<(u128, u128)> = F32_EDGES
        .iter()
        .flat_map(|&a| F32_EDGES.iter().map(move |&b| (a as u128, b as u128)))
        .collect();
    for _ in 0..300 {
        let mut a = 0;
        let mut b = 0;
        for i in 0..4 {
            a |= lane(&mut rng) << (32 * i);
            b |= lane(&mut rng) << (32 * i);
        }
        v.push((a, b));
    }
    v
}

/// Operand pairs of packed doubles: lanes from edge values and random bits.
pub fn pd_inputs() -> Vec<(u128, u128)> {
    let mut rng = Rng(0x0fed_cba9_8765_4321);
    let lane = |rng: &mut Rng| -> u128 {
        let r = rng.next();
        if r & 3 != 0 {
            F64_EDGES[(r >> 8) as usize % F64_EDGES.len()] as u128
        } else {
            rng.next() as u128
        }
    };
    let mut v: Vec<(u128, u128)> = F64_EDGES
        .iter()
        .flat_map(|&a| F64_EDGES.iter().map(move |&b| (a as u128, b as u128)))
        .collect();
    for _ in 0..300 {
        let a = lane(&mut rng) | lane(&mut rng) << 64;
        let b = lane(&mut rng) | lane(&mut rng) << 64;
        v.push((a, b));
    }
    v
}

/// Runs `insn x, y[, imm]` natively under `mxcsr`; returns x and the
/// MXCSR after.
macro_rules! native_mx {
    ($insn:literal, $mxcsr:expr, $a:expr, $b:expr $(, $imm:literal)?) => {{
        use core::arch::x86_64::__m128i;
        // SAFETY: u128 and __m128i are both 16 bytes of plain data.
        let mut x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
        // SAFETY: as above.
        let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($b) };
        let mut m = [0u32, $mxcsr, 0];
        // SAFETY: one SSE instruction between saving and restoring MXCSR;
        // the tests only use fully masked MXCSR values.
        unsafe {
            core::arch::asm!(
                "stmxcsr [{m}]",
                "ldmxcsr [{m} + 4]",
                concat!($insn, " {x}, {y}" $(, ", ", $imm)?),
                "stmxcsr [{m} + 8]",
                "ldmxcsr [{m}]",
                m = in(reg) m.as_mut_ptr(),
                x = inout(xmm_reg) x,
                y = in(xmm_reg) y,
                options(nostack, preserves_flags),
            );
        }
        // SAFETY: as above.
        (unsafe { core::mem::transmute::<__m128i, u128>(x) }, m[2])
    }};
}
pub(crate) use native_mx;

/// Checks an MXCSR helper against the native instruction for every input
/// pair of `$inputs()` and every MXCSR of `MXCSRS`: result and MXCSR.
macro_rules! check_float {
    ($h:expr, $insn:literal, $inputs:ident $(, $imm:literal)*) => {
        for (a, b) in $inputs() {
            for mxcsr in $crate::helpers::sse::native::MXCSRS {
                check_float!(@one $h, $insn, mxcsr, a, b $(, $imm)*);
            }
        }
    };
    (@one $h:expr, $insn:literal, $mxcsr:expr, $a:expr, $b:expr) => {{
        let want = $crate::helpers::sse::native::native_mx!($insn, $mxcsr, $a, $b);
        let (got, env) = $crate::helpers::sse::native::run_env(&$h, $mxcsr, $a, $b, 0);
        assert_eq!((got, env.mxcsr), want, "{} {:#x}, {:#x} mxcsr {:#x}", $insn, $a, $b, $mxcsr);
    }};
    (@one $h:expr, $insn:literal, $mxcsr:expr, $a:expr, $b:expr $(, $imm:literal)+) => {$(
        let want = $crate::helpers::sse::native::native_mx!($insn, $mxcsr, $a, $b, $imm);
        let (got, env) = $crate::helpers::sse::native::run_env(&$h, $mxcsr, $a, $b, $imm);
        assert_eq!(
            (got, env.mxcsr), want,
            "{} {:#x}, {:#x}, {} mxcsr {:#x}", $insn, $a, $b, $imm, $mxcsr
        );
    )+};
}
pub(crate) use check_float;

/// Runs `insn x, y` natively under `mxcsr` and reads ZF, PF, CF; returns
/// them in EFLAGS layout and the MXCSR after.
macro_rules! native_flags {
    ($insn:literal, $mxcsr:expr, $a:expr, $b:expr) => {{
        use core::arch::x86_64::__m128i;
        // SAFETY: u128 and __m128i are both 16 bytes of plain data.
        let x: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($a) };
        // SAFETY: as above.
        let y: __m128i = unsafe { core::mem::transmute::<u128, __m128i>($b) };
        let mut m = [0u32, $mxcsr, 0];
        let (z, p, c): (u8, u8, u8);
        // SAFETY: as for `native_mx!`, reading the flags with SETcc.
        unsafe {
            core::arch::asm!(
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
        ((z as u64) << 6 | (p as u64) << 2 | c as u64, m[2])
    }};
}
pub(crate) use native_flags;

/// Checks a COMIS-style helper (value in the return register) against the
/// native instruction's ZF, PF, CF.
macro_rules! check_float_value {
    ($h:expr, $insn:literal, $inputs:ident) => {
        for (a, b) in $inputs() {
            for mxcsr in $crate::helpers::sse::native::MXCSRS {
                let want = $crate::helpers::sse::native::native_flags!($insn, mxcsr, a, b);
                let mut env = CpuState {
                    mxcsr,
                    ..CpuState::default()
                };
                env.xmm[D as usize] = [a as u64, (a >> 64) as u64];
                let got = $crate::helpers::sse::native::call(
                    &$h,
                    &mut env,
                    [D, b as u64, (b >> 64) as u64, 0, 0],
                );
                assert_eq!(
                    (got, env.mxcsr),
                    want,
                    "{} {a:#x}, {b:#x} mxcsr {mxcsr:#x}",
                    $insn
                );
            }
        }
    };
}
pub(crate) use check_float_value;
