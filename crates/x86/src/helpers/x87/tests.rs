//! The x87 helpers against the real thing: each case sets up an FPU state
//! natively (FNINIT, FLDCW, FINCSTP to rotate TOP, FLD pushes), runs the
//! instruction natively, and compares registers, tags, TOP, status word,
//! memory result and EFLAGS with the helper run on the same guest state.

use super::arith::*;
use super::compare::*;
use super::control::*;
use super::host::Mem;
use super::transcendental::*;
use super::transfer::*;
use crate::cpu::{eflags, CpuState};
use crate::helpers::HelperInfo;
use core::arch::asm;

type F80 = [u8; 10];

const fn f80(neg: bool, exp: u16, mant: u64) -> F80 {
    let m = mant.to_le_bytes();
    let e = (exp | if neg { 0x8000 } else { 0 }).to_le_bytes();
    [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], e[0], e[1]]
}

const J: u64 = 1 << 63;

/// Interesting operands: zeros, ordinary values, values that need rounding
/// (and ties), extremes, denormals, pseudo-denormals, unnormals,
/// infinities and NaNs.
const VALUES: &[F80] = &[
    f80(false, 0, 0),
    f80(true, 0, 0),
    f80(false, 0x3fff, J),                     // 1
    f80(true, 0x3fff, J | J >> 1),             // -1.5
    f80(false, 0x4000, J | J >> 1),            // 3
    f80(false, 0x3ffd, 0xaaaa_aaaa_aaaa_aaab), // 1/3
    f80(false, 0x4000, 0xc90f_daa2_2168_c235), // pi
    f80(false, 0x4000, J | J >> 2),            // 2.5
    f80(true, 0x4000, J | J >> 2),             // -2.5
    f80(false, 0x3ffe, J),                     // 0.5
    f80(false, 0x3fff, J | 1 << 10),           // 1 + 2^-53: a double tie
    f80(false, 0x3fff, J | 1 << 39 | 1),       // just above a float tie
    f80(false, 0x403e, J),                     // 2^63
    f80(true, 0x403e, J),                      // -2^63
    f80(false, 0x401e, J | 1 << 32),           // 2^31 + 1
    f80(false, 0x400e, 0xffff_0000_0000_0000), // 65535
    f80(false, 0x7ffe, u64::MAX),              // largest finite
    f80(false, 0x43fe, J | 12345),             // overflows double
    f80(false, 0x3bcd, J | 777),               // underflows double
    f80(false, 0x0001, J),                     // smallest normal
    f80(false, 0, 1),                          // smallest denormal
    f80(true, 0, 0x4000_0000_0000_0000),       // denormal
    f80(false, 0, J | 5),                      // pseudo-denormal
    f80(false, 0x4000, 0x4000_0000_0000_0000), // unnormal
    f80(false, 0x7fff, J),                     // +inf
    f80(true, 0x7fff, J),                      // -inf
    f80(false, 0x7fff, J | J >> 1 | 3),        // QNaN
    f80(true, 0x7fff, J | 1),                  // SNaN
    f80(true, 0x7fff, J | J >> 1),             // indefinite
    f80(false, 0x7fff, 0),                     // pseudo-infinity
];

/// Control words: the default, each precision and rounding control, and
/// some with exceptions unmasked.
const CONTROL_WORDS: &[u16] = &[
    0x037f, 0x007f, 0x027f, 0x077f, 0x0b7f, 0x0f7f, 0x0c7f, 0x037e, 0x037b, 0x0377, 0x036f, 0x035f,
    0x0340,
];

/// Starting FPU state for one case.
#[derive(Clone, Debug)]
struct Setup {
    cw: u16,
    /// TOP before the pushes (FINCSTP count after FNINIT).
    rotate: u32,
    /// Valid registers from ST(0) down; the rest are empty.
    stack: Vec<F80>,
    /// The memory operand (input, or the old bytes of a store).
    mem: [u64; 2],
    /// EFLAGS before (FCOMI, FCMOVcc).
    flags: u64,
}

/// What can be observed after the instruction.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    cw: u16,
    /// Status word with TOP.
    sw: u16,
    /// ST(0)..ST(7): None when empty.
    st: [Option<F80>; 8],
    mem: [u64; 2],
    flags: u64,
}

/// Runs `insn` natively from `s` and records the outcome. `{m}` in the
/// instruction names the memory operand.
macro_rules! native {
    ($s:expr, [$($insn:literal),+]) => {{
        let s: &Setup = $s;
        let mut img = [0u8; 108];
        let mut mem = Mem::new(&s.mem);
        let mut pushes = [0u8; 16 * 8];
        for (k, v) in s.stack.iter().rev().enumerate() {
            pushes[16 * k..16 * k + 10].copy_from_slice(v);
        }
        let mut flags = (s.flags & eflags::ARITH) | eflags::FIXED1;
        let cw = s.cw;
        // SAFETY: the asm uses the FPU from an FNINIT to an FNSAVE (which
        // leaves it initialised, as Rust expects), reads `cw` and `pushes`,
        // writes `img`, and uses `mem` as the instruction's memory operand;
        // push/pop stay balanced. No waiting x87 instruction follows the one
        // under test, so an exception it leaves pending never traps.
        unsafe {
            asm!(
                "fninit",
                "fldcw word ptr [{cw}]",
                "test {k:e}, {k:e}",
                "jz 3f",
                "2:",
                "fincstp",
                "dec {k:e}",
                "jnz 2b",
                "3:",
                "test {n:e}, {n:e}",
                "jz 5f",
                "4:",
                "fld tbyte ptr [{p}]",
                "add {p}, 16",
                "dec {n:e}",
                "jnz 4b",
                "5:",
                "push {fl}",
                "popfq",
                $($insn,)+
                "pushfq",
                "pop {fl}",
                "fnsave [{img}]",
                "/* {m} */",
                cw = in(reg) &raw const cw,
                k = inout(reg) s.rotate => _,
                n = inout(reg) s.stack.len() as u32 => _,
                p = inout(reg) pushes.as_ptr() => _,
                fl = inout(reg) flags,
                img = in(reg) img.as_mut_ptr(),
                m = in(reg) mem.0.as_mut_ptr(),
                out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            );
        }
        observe_image(&img, [mem.qword(0), mem.qword(1)], flags & eflags::ARITH)
    }};
}

/// Runs one instruction natively from a setup.
type Native = fn(&Setup) -> Observed;

/// A native runner for one instruction (a non-capturing closure).
macro_rules! native_fn {
    ($($insn:literal),+) => {
        |s: &Setup| native!(s, [$($insn),+])
    };
}

fn observe_image(img: &[u8; 108], mem: [u64; 2], flags: u64) -> Observed {
    let cw = u16::from_le_bytes([img[0], img[1]]);
    let sw = u16::from_le_bytes([img[4], img[5]]);
    let tw = u16::from_le_bytes([img[8], img[9]]);
    let top = ((sw >> 11) & 7) as usize;
    let st = core::array::from_fn(|i| {
        let phys = (top + i) & 7;
        (tw >> (2 * phys) & 3 != 3).then(|| img[28 + 10 * i..38 + 10 * i].try_into().unwrap())
    });
    Observed {
        cw,
        sw,
        st,
        mem,
        flags,
    }
}

/// The guest state for `s`, built field by field.
fn guest_state(s: &Setup) -> Box<CpuState> {
    let mut env = Box::<CpuState>::default();
    let x = &mut env.fpu;
    x.fcw = s.cw;
    x.fsw = 0;
    x.top = (s.rotate.wrapping_sub(s.stack.len() as u32)) & 7;
    x.ftw = 0;
    for (i, v) in s.stack.iter().enumerate() {
        let p = (x.top as usize + i) & 7;
        x.regs[p][..10].copy_from_slice(v);
        x.ftw |= 1 << p;
    }
    env
}

fn observe_guest(env: &CpuState, mem: [u64; 2], flags: u64) -> Observed {
    let x = &env.fpu;
    let top = x.top as usize;
    assert_eq!(x.fsw & 0x3800, 0, "TOP kept out of fsw");
    Observed {
        cw: x.fcw,
        sw: x.fsw | (top as u16) << 11,
        st: core::array::from_fn(|i| {
            let p = (top + i) & 7;
            (x.ftw & (1 << p) != 0).then(|| x.regs[p][..10].try_into().unwrap())
        }),
        mem,
        flags,
    }
}

fn call(h: &HelperInfo, env: &mut CpuState, args: [u64; 5]) -> u64 {
    (h.func)(env, args[0], args[1], args[2], args[3], args[4])
}

/// How the translator drives a helper for one instruction form.
#[derive(Clone, Copy)]
enum Form {
    /// `h()`.
    Plain(&'static HelperInfo),
    /// `h(i)`.
    Sti(&'static HelperInfo, u64),
    /// `h(lo, hi)` with the memory operand.
    Load(&'static HelperInfo),
    /// `v = h(old)`, store, then `fpop` if popping.
    Store(&'static HelperInfo, bool),
    /// `lo = h1(old)`, `hi = h2(old)`, store 10 bytes, `fpop`.
    Store80(&'static HelperInfo, &'static HelperInfo),
    /// `flags = h(i, flags)`.
    Fcomi(&'static HelperInfo, u64),
}

/// Writes `CpuState::x87_word` to TOP, FCW and FSW.
fn commit_word(env: &mut CpuState) {
    let w = env.x87_word;
    env.fpu.top = w as u32;
    env.fpu.fcw = (w >> 32) as u16;
    env.fpu.fsw = (w >> 48) as u16;
}

fn run_guest(form: Form, s: &Setup) -> Observed {
    run_on(form, guest_state(s), s)
}

/// Runs `form` on `env`, with the memory operand and EFLAGS of `s`.
fn run_on(form: Form, mut env: Box<CpuState>, s: &Setup) -> Observed {
    let [m0, m1] = s.mem;
    let mut mem = s.mem;
    let mut flags = s.flags & eflags::ARITH;
    match form {
        Form::Plain(h) => {
            call(h, &mut env, [0; 5]);
        }
        Form::Sti(h, i) => {
            call(h, &mut env, [i, 0, 0, 0, 0]);
        }
        Form::Load(h) => {
            call(h, &mut env, [m0, m1, 0, 0, 0]);
        }
        // As the translator does: the operand's bytes are written only if
        // the instruction stores, then the status word is committed.
        Form::Store(h, pop) => {
            let v = call(h, &mut env, [0; 5]);
            let bits = 8 * h
                .name
                .rsplit_once("_m")
                .map_or(8, |(_, n)| n.parse::<u32>().unwrap() / 8);
            let keep = if bits == 64 { 0 } else { u64::MAX << bits };
            if env.x87_stored != 0 {
                mem[0] = (m0 & keep) | (v & !keep);
            }
            commit_word(&mut env);
            if pop && env.exception.pending == 0 {
                call(&FPOP, &mut env, [0; 5]);
            }
        }
        Form::Store80(lo, hi) => {
            let l = call(lo, &mut env, [0; 5]);
            let h = call(hi, &mut env, [0; 5]);
            if env.x87_stored != 0 {
                mem = [l, (m1 & !0xffff) | (h & 0xffff)];
            }
            commit_word(&mut env);
            call(&FPOP, &mut env, [0; 5]);
        }
        Form::Fcomi(h, i) => {
            // The incoming flags as a lazy state.
            flags = call(h, &mut env, [i, crate::cc::CC_OP_EFLAGS, 0, flags, 0]);
        }
    }
    assert_eq!(env.exception.pending, 0, "no #MF from a clean state");
    observe_guest(&env, mem, flags)
}

/// Compares native and helper over every setup.
fn check(name: &str, native: Native, form: Form, setups: &[Setup]) {
    let mut failures = 0;
    for s in setups {
        let want = native(s);
        let got = run_guest(form, s);
        if want != got {
            failures += 1;
            if failures <= 5 {
                eprintln!("{name}: mismatch for {s:x?}\n  native {want:x?}\n  helper {got:x?}");
            }
        }
    }
    assert_eq!(
        failures,
        0,
        "{name}: {failures} of {} cases differ",
        setups.len()
    );
}

/// A deterministic filler for the registers a case does not care about.
fn filler(k: usize) -> F80 {
    VALUES[(k * 7 + 3) % VALUES.len()]
}

/// Setups for an instruction reading ST(0) and ST(i): every (a, b) pair
/// of `VALUES` with a few control words, and every control word with a
/// few pairs; then empty and full stacks.
fn binary_setups(i: usize) -> Vec<Setup> {
    let mut v = Vec::new();
    let mut n = 0;
    let mut add = |cw: u16, a: F80, b: F80, depth: usize| {
        let mut stack: Vec<F80> = (0..depth).map(filler).collect();
        if depth > 0 {
            stack[i.min(depth - 1)] = b;
            stack[0] = a;
        }
        n += 1;
        v.push(Setup {
            cw,
            rotate: (n % 8) as u32,
            stack,
            mem: [0, 0],
            flags: 0,
        });
    };
    let depth = (i + 1).max(2);
    for &cw in &[0x037f, 0x007f, 0x0b7f, 0x0340] {
        for &a in VALUES {
            for &b in VALUES {
                add(cw, a, b, depth);
            }
        }
    }
    for &cw in CONTROL_WORDS {
        for k in 0..VALUES.len() {
            add(cw, VALUES[k], VALUES[(k * 5 + 1) % VALUES.len()], depth);
        }
    }
    for depth in [0, 1, i, 8] {
        for &cw in &[0x037f, 0x037e] {
            add(cw, VALUES[2], VALUES[4], depth);
        }
    }
    v
}

/// Setups for an instruction reading ST(0) (and ST(1)) and maybe a memory
/// operand: each value on top, each memory pattern, each control word.
fn unary_setups(mems: &[u64]) -> Vec<Setup> {
    let mut v = Vec::new();
    let mut n = 0u32;
    for &cw in CONTROL_WORDS {
        for (k, &a) in VALUES.iter().enumerate() {
            for &m in mems {
                n += 1;
                v.push(Setup {
                    cw,
                    rotate: n % 8,
                    stack: vec![a, VALUES[(k * 3 + 2) % VALUES.len()], filler(k)],
                    mem: [m, 0x5a5a_5a5a_5a5a_5a5a],
                    flags: 0,
                });
            }
        }
    }
    for depth in [0, 1, 7, 8] {
        for &cw in &[0x037f, 0x037e] {
            n += 1;
            v.push(Setup {
                cw,
                rotate: n % 8,
                stack: (0..depth).map(filler).collect(),
                mem: [mems[0], 0],
                flags: 0,
            });
        }
    }
    v
}

/// Memory patterns for m32fp operands: zeros, ordinary values, extremes,
/// denormals, infinities, NaNs.
const M32: &[u64] = &[
    0,
    0x8000_0000,
    0x3f80_0000,
    0xc0a0_0000,
    0x3eaa_aaab,
    0x7f7f_ffff,
    0x0000_0001,
    0x0080_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0001,
    0x7f80_0001,
];
/// Memory patterns for m64fp operands.
const M64: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xc004_0000_0000_0000,
    0x3fd5_5555_5555_5555,
    0x7fef_ffff_ffff_ffff,
    0x0000_0000_0000_0001,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0001,
    0x7ff0_0000_0000_0001,
];
/// Memory patterns for integer operands (16-, 32- and 64-bit readings).
const MINT: &[u64] = &[
    0,
    1,
    0xffff,
    0x8000,
    0x7fff,
    0xffff_ffff,
    0x8000_0000,
    0x7fff_ffff,
    0x1234_5678,
    0x8000_0000_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0xffff_ffff_ffff_fffe,
];

#[test]
fn arithmetic_with_registers() {
    for i in [0u64, 1, 3, 7] {
        let s = binary_setups(i as usize);
        macro_rules! case {
            ($h:expr, $n0:literal, $n1:literal, $n3:literal, $n7:literal) => {
                let native: Native = match i {
                    0 => native_fn!($n0),
                    1 => native_fn!($n1),
                    3 => native_fn!($n3),
                    _ => native_fn!($n7),
                };
                check($n3, native, Form::Sti($h, i), &s);
            };
        }
        case!(
            &FADD_ST0_STI,
            "fadd st(0), st(0)",
            "fadd st(0), st(1)",
            "fadd st(0), st(3)",
            "fadd st(0), st(7)"
        );
        case!(
            &FMUL_ST0_STI,
            "fmul st(0), st(0)",
            "fmul st(0), st(1)",
            "fmul st(0), st(3)",
            "fmul st(0), st(7)"
        );
        case!(
            &FSUB_ST0_STI,
            "fsub st(0), st(0)",
            "fsub st(0), st(1)",
            "fsub st(0), st(3)",
            "fsub st(0), st(7)"
        );
        case!(
            &FSUBR_ST0_STI,
            "fsubr st(0), st(0)",
            "fsubr st(0), st(1)",
            "fsubr st(0), st(3)",
            "fsubr st(0), st(7)"
        );
        case!(
            &FDIV_ST0_STI,
            "fdiv st(0), st(0)",
            "fdiv st(0), st(1)",
            "fdiv st(0), st(3)",
            "fdiv st(0), st(7)"
        );
        case!(
            &FDIVR_ST0_STI,
            "fdivr st(0), st(0)",
            "fdivr st(0), st(1)",
            "fdivr st(0), st(3)",
            "fdivr st(0), st(7)"
        );
        case!(
            &FADD_STI_ST0,
            "fadd st(0), st(0)",
            "fadd st(1), st(0)",
            "fadd st(3), st(0)",
            "fadd st(7), st(0)"
        );
        case!(
            &FMUL_STI_ST0,
            "fmul st(0), st(0)",
            "fmul st(1), st(0)",
            "fmul st(3), st(0)",
            "fmul st(7), st(0)"
        );
        case!(
            &FSUB_STI_ST0,
            "fsub st(0), st(0)",
            "fsub st(1), st(0)",
            "fsub st(3), st(0)",
            "fsub st(7), st(0)"
        );
        case!(
            &FSUBR_STI_ST0,
            "fsubr st(0), st(0)",
            "fsubr st(1), st(0)",
            "fsubr st(3), st(0)",
            "fsubr st(7), st(0)"
        );
        case!(
            &FDIV_STI_ST0,
            "fdiv st(0), st(0)",
            "fdiv st(1), st(0)",
            "fdiv st(3), st(0)",
            "fdiv st(7), st(0)"
        );
        case!(
            &FDIVR_STI_ST0,
            "fdivr st(0), st(0)",
            "fdivr st(1), st(0)",
            "fdivr st(3), st(0)",
            "fdivr st(7), st(0)"
        );
        case!(
            &FADDP_STI_ST0,
            "faddp st(0), st(0)",
            "faddp st(1), st(0)",
            "faddp st(3), st(0)",
            "faddp st(7), st(0)"
        );
        case!(
            &FMULP_STI_ST0,
            "fmulp st(0), st(0)",
            "fmulp st(1), st(0)",
            "fmulp st(3), st(0)",
            "fmulp st(7), st(0)"
        );
        case!(
            &FSUBP_STI_ST0,
            "fsubp st(0), st(0)",
            "fsubp st(1), st(0)",
            "fsubp st(3), st(0)",
            "fsubp st(7), st(0)"
        );
        case!(
            &FSUBRP_STI_ST0,
            "fsubrp st(0), st(0)",
            "fsubrp st(1), st(0)",
            "fsubrp st(3), st(0)",
            "fsubrp st(7), st(0)"
        );
        case!(
            &FDIVP_STI_ST0,
            "fdivp st(0), st(0)",
            "fdivp st(1), st(0)",
            "fdivp st(3), st(0)",
            "fdivp st(7), st(0)"
        );
        case!(
            &FDIVRP_STI_ST0,
            "fdivrp st(0), st(0)",
            "fdivrp st(1), st(0)",
            "fdivrp st(3), st(0)",
            "fdivrp st(7), st(0)"
        );
    }
}

#[test]
fn arithmetic_with_memory() {
    let cases: &[(&str, Native, &HelperInfo, &[u64])] = &[
        (
            "fadd m32",
            native_fn!("fadd dword ptr [{m}]"),
            &FADD_M32,
            M32,
        ),
        (
            "fmul m32",
            native_fn!("fmul dword ptr [{m}]"),
            &FMUL_M32,
            M32,
        ),
        (
            "fsub m32",
            native_fn!("fsub dword ptr [{m}]"),
            &FSUB_M32,
            M32,
        ),
        (
            "fsubr m32",
            native_fn!("fsubr dword ptr [{m}]"),
            &FSUBR_M32,
            M32,
        ),
        (
            "fdiv m32",
            native_fn!("fdiv dword ptr [{m}]"),
            &FDIV_M32,
            M32,
        ),
        (
            "fdivr m32",
            native_fn!("fdivr dword ptr [{m}]"),
            &FDIVR_M32,
            M32,
        ),
        (
            "fadd m64",
            native_fn!("fadd qword ptr [{m}]"),
            &FADD_M64,
            M64,
        ),
        (
            "fmul m64",
            native_fn!("fmul qword ptr [{m}]"),
            &FMUL_M64,
            M64,
        ),
        (
            "fsub m64",
            native_fn!("fsub qword ptr [{m}]"),
            &FSUB_M64,
            M64,
        ),
        (
            "fsubr m64",
            native_fn!("fsubr qword ptr [{m}]"),
            &FSUBR_M64,
            M64,
        ),
        (
            "fdiv m64",
            native_fn!("fdiv qword ptr [{m}]"),
            &FDIV_M64,
            M64,
        ),
        (
            "fdivr m64",
            native_fn!("fdivr qword ptr [{m}]"),
            &FDIVR_M64,
            M64,
        ),
        (
            "fiadd m16",
            native_fn!("fiadd word ptr [{m}]"),
            &FIADD_M16,
            MINT,
        ),
        (
            "fimul m16",
            native_fn!("fimul word ptr [{m}]"),
            &FIMUL_M16,
            MINT,
        ),
        (
            "fisub m16",
            native_fn!("fisub word ptr [{m}]"),
            &FISUB_M16,
            MINT,
        ),
        (
            "fisubr m16",
            native_fn!("fisubr word ptr [{m}]"),
            &FISUBR_M16,
            MINT,
        ),
        (
            "fidiv m16",
            native_fn!("fidiv word ptr [{m}]"),
            &FIDIV_M16,
            MINT,
        ),
        (
            "fidivr m16",
            native_fn!("fidivr word ptr [{m}]"),
            &FIDIVR_M16,
            MINT,
        ),
        (
            "fiadd m32",
            native_fn!("fiadd dword ptr [{m}]"),
            &FIADD_M32,
            MINT,
        ),
        (
            "fimul m32",
            native_fn!("fimul dword ptr [{m}]"),
            &FIMUL_M32,
            MINT,
        ),
        (
            "fisub m32",
            native_fn!("fisub dword ptr [{m}]"),
            &FISUB_M32,
            MINT,
        ),
        (
            "fisubr m32",
            native_fn!("fisubr dword ptr [{m}]"),
            &FISUBR_M32,
            MINT,
        ),
        (
            "fidiv m32",
            native_fn!("fidiv dword ptr [{m}]"),
            &FIDIV_M32,
            MINT,
        ),
        (
            "fidivr m32",
            native_fn!("fidivr dword ptr [{m}]"),
            &FIDIVR_M32,
            MINT,
        ),
    ];
    for &(name, native, h, mems) in cases {
        check(name, native, Form::Load(h), &unary_setups(mems));
    }
}

#[test]
fn one_operand_arithmetic_and_transcendentals() {
    let cases: &[(&str, Native, &HelperInfo)] = &[
        ("fsqrt", native_fn!("fsqrt"), &FSQRT),
        ("fabs", native_fn!("fabs"), &FABS),
        ("fchs", native_fn!("fchs"), &FCHS),
        ("frndint", native_fn!("frndint"), &FRNDINT),
        ("fscale", native_fn!("fscale"), &FSCALE),
        ("fxtract", native_fn!("fxtract"), &FXTRACT),
        ("fprem", native_fn!("fprem"), &FPREM),
        ("fprem1", native_fn!("fprem1"), &FPREM1),
        ("fsin", native_fn!("fsin"), &FSIN),
        ("fcos", native_fn!("fcos"), &FCOS),
        ("fsincos", native_fn!("fsincos"), &FSINCOS),
        ("fptan", native_fn!("fptan"), &FPTAN),
        ("fpatan", native_fn!("fpatan"), &FPATAN),
        ("f2xm1", native_fn!("f2xm1"), &F2XM1),
        ("fyl2x", native_fn!("fyl2x"), &FYL2X),
        ("fyl2xp1", native_fn!("fyl2xp1"), &FYL2XP1),
    ];
    let setups = unary_setups(&[0]);
    for &(name, native, h) in cases {
        check(name, native, Form::Plain(h), &setups);
    }
}

#[test]
fn loads_and_constants() {
    let cases: &[(&str, Native, Form, &[u64])] = &[
        (
            "fld m32",
            native_fn!("fld dword ptr [{m}]"),
            Form::Load(&FLD_M32),
            M32,
        ),
        (
            "fld m64",
            native_fn!("fld qword ptr [{m}]"),
            Form::Load(&FLD_M64),
            M64,
        ),
        (
            "fild m16",
            native_fn!("fild word ptr [{m}]"),
            Form::Load(&FILD_M16),
            MINT,
        ),
        (
            "fild m32",
            native_fn!("fild dword ptr [{m}]"),
            Form::Load(&FILD_M32),
            MINT,
        ),
        (
            "fild m64",
            native_fn!("fild qword ptr [{m}]"),
            Form::Load(&FILD_M64),
            MINT,
        ),
        (
            "fld st(0)",
            native_fn!("fld st(0)"),
            Form::Sti(&FLD_STI, 0),
            &[0],
        ),
        (
            "fld st(2)",
            native_fn!("fld st(2)"),
            Form::Sti(&FLD_STI, 2),
            &[0],
        ),
        (
            "fld st(7)",
            native_fn!("fld st(7)"),
            Form::Sti(&FLD_STI, 7),
            &[0],
        ),
        ("fldz", native_fn!("fldz"), Form::Plain(&FLDZ), &[0]),
        ("fld1", native_fn!("fld1"), Form::Plain(&FLD1), &[0]),
        ("fldpi", native_fn!("fldpi"), Form::Plain(&FLDPI), &[0]),
        ("fldl2e", native_fn!("fldl2e"), Form::Plain(&FLDL2E), &[0]),
        ("fldln2", native_fn!("fldln2"), Form::Plain(&FLDLN2), &[0]),
        ("fldl2t", native_fn!("fldl2t"), Form::Plain(&FLDL2T), &[0]),
        ("fldlg2", native_fn!("fldlg2"), Form::Plain(&FLDLG2), &[0]),
    ];
    for &(name, native, form, mems) in cases {
        check(name, native, form, &unary_setups(mems));
    }
    // FLD m80fp and FBLD: every value as the memory operand.
    let m80: Vec<Setup> = unary_setups(&[0])
        .into_iter()
        .enumerate()
        .map(|(k, mut s)| {
            let v = VALUES[k % VALUES.len()];
            s.mem = [
                u64::from_le_bytes(v[..8].try_into().unwrap()),
                u16::from_le_bytes([v[8], v[9]]) as u64,
            ];
            s
        })
        .collect();
    check(
        "fld m80",
        native_fn!("fld tbyte ptr [{m}]"),
        Form::Load(&FLD_M80),
        &m80,
    );
    let bcd: Vec<Setup> = unary_setups(&[0, 0x1234_5678_9012_3456, 0x99, 0xfa, 0x0909])
        .into_iter()
        .enumerate()
        .map(|(k, mut s)| {
            s.mem[1] = [0, 0x80, 0x12, 0xff][k % 4];
            s
        })
        .collect();
    check(
        "fbld",
        native_fn!("fbld tbyte ptr [{m}]"),
        Form::Load(&FBLD),
        &bcd,
    );
}

#[test]
fn stores() {
    let old = &[0x0123_4567_89ab_cdef];
    let cases: &[(&str, Native, Form)] = &[
        (
            "fst m32",
            native_fn!("fst dword ptr [{m}]"),
            Form::Store(&FST_M32, false),
        ),
        (
            "fstp m32",
            native_fn!("fstp dword ptr [{m}]"),
            Form::Store(&FST_M32, true),
        ),
        (
            "fst m64",
            native_fn!("fst qword ptr [{m}]"),
            Form::Store(&FST_M64, false),
        ),
        (
            "fstp m64",
            native_fn!("fstp qword ptr [{m}]"),
            Form::Store(&FST_M64, true),
        ),
        (
            "fist m16",
            native_fn!("fist word ptr [{m}]"),
            Form::Store(&FIST_M16, false),
        ),
        (
            "fistp m16",
            native_fn!("fistp word ptr [{m}]"),
            Form::Store(&FIST_M16, true),
        ),
        (
            "fist m32",
            native_fn!("fist dword ptr [{m}]"),
            Form::Store(&FIST_M32, false),
        ),
        (
            "fistp m32",
            native_fn!("fistp dword ptr [{m}]"),
            Form::Store(&FIST_M32, true),
        ),
        (
            "fistp m64",
            native_fn!("fistp qword ptr [{m}]"),
            Form::Store(&FIST_M64, true),
        ),
        (
            "fisttp m16",
            native_fn!("fisttp word ptr [{m}]"),
            Form::Store(&FISTTP_M16, true),
        ),
        (
            "fisttp m32",
            native_fn!("fisttp dword ptr [{m}]"),
            Form::Store(&FISTTP_M32, true),
        ),
        (
            "fisttp m64",
            native_fn!("fisttp qword ptr [{m}]"),
            Form::Store(&FISTTP_M64, true),
        ),
        (
            "fstp m80",
            native_fn!("fstp tbyte ptr [{m}]"),
            Form::Store80(&FST_M80_LO, &FST_M80_HI),
        ),
        (
            "fbstp",
            native_fn!("fbstp tbyte ptr [{m}]"),
            Form::Store80(&FBST_LO, &FBST_HI),
        ),
        ("fst st(0)", native_fn!("fst st(0)"), Form::Sti(&FST_STI, 0)),
        ("fst st(3)", native_fn!("fst st(3)"), Form::Sti(&FST_STI, 3)),
        (
            "fstp st(0)",
            native_fn!("fstp st(0)"),
            Form::Sti(&FSTP_STI, 0),
        ),
        (
            "fstp st(1)",
            native_fn!("fstp st(1)"),
            Form::Sti(&FSTP_STI, 1),
        ),
        (
            "fstp st(6)",
            native_fn!("fstp st(6)"),
            Form::Sti(&FSTP_STI, 6),
        ),
        ("fxch st(1)", native_fn!("fxch st(1)"), Form::Sti(&FXCH, 1)),
        ("fxch st(5)", native_fn!("fxch st(5)"), Form::Sti(&FXCH, 5)),
    ];
    for &(name, native, form) in cases {
        check(name, native, form, &unary_setups(old));
    }
}

#[test]
fn conditional_moves() {
    let mut setups = Vec::new();
    for flags in 0..16u64 {
        // CF, PF, ZF from the bits of `flags`.
        let f = ((flags & 1) * eflags::CF)
            | (((flags >> 1) & 1) * eflags::PF)
            | (((flags >> 2) & 1) * eflags::ZF);
        for mut s in unary_setups(&[0]).into_iter().step_by(7) {
            s.flags = f;
            setups.push(s);
        }
    }
    type Moves = fn(u64) -> bool;
    let cases: &[(&str, Native, Moves)] = &[
        ("fcmovb", native_fn!("fcmovb st(0), st(2)"), |f| {
            f & eflags::CF != 0
        }),
        ("fcmove", native_fn!("fcmove st(0), st(2)"), |f| {
            f & eflags::ZF != 0
        }),
        ("fcmovbe", native_fn!("fcmovbe st(0), st(2)"), |f| {
            f & (eflags::CF | eflags::ZF) != 0
        }),
        ("fcmovu", native_fn!("fcmovu st(0), st(2)"), |f| {
            f & eflags::PF != 0
        }),
        ("fcmovnb", native_fn!("fcmovnb st(0), st(2)"), |f| {
            f & eflags::CF == 0
        }),
        ("fcmovne", native_fn!("fcmovne st(0), st(2)"), |f| {
            f & eflags::ZF == 0
        }),
        ("fcmovnbe", native_fn!("fcmovnbe st(0), st(2)"), |f| {
            f & (eflags::CF | eflags::ZF) == 0
        }),
        ("fcmovnu", native_fn!("fcmovnu st(0), st(2)"), |f| {
            f & eflags::PF == 0
        }),
    ];
    for &(name, native, cond) in cases {
        for s in &setups {
            let want = native(s);
            let mut env = guest_state(s);
            call(&FCMOV, &mut env, [2, cond(s.flags) as u64, 0, 0, 0]);
            let got = observe_guest(&env, s.mem, want.flags);
            assert_eq!(want, got, "{name} {s:x?}");
        }
    }
}

#[test]
fn comparisons() {
    let s1 = binary_setups(1);
    let s3 = binary_setups(3);
    let cases: &[(&str, Native, Form, &[Setup])] = &[
        (
            "fcom st(1)",
            native_fn!("fcom st(1)"),
            Form::Sti(&FCOM_STI, 1),
            &s1,
        ),
        (
            "fcomp st(3)",
            native_fn!("fcomp st(3)"),
            Form::Sti(&FCOMP_STI, 3),
            &s3,
        ),
        (
            "fucom st(3)",
            native_fn!("fucom st(3)"),
            Form::Sti(&FUCOM_STI, 3),
            &s3,
        ),
        (
            "fucomp st(1)",
            native_fn!("fucomp st(1)"),
            Form::Sti(&FUCOMP_STI, 1),
            &s1,
        ),
        ("fcompp", native_fn!("fcompp"), Form::Plain(&FCOMPP), &s1),
        ("fucompp", native_fn!("fucompp"), Form::Plain(&FUCOMPP), &s1),
        (
            "fcomi st(1)",
            native_fn!("fcomi st(0), st(1)"),
            Form::Fcomi(&FCOMI, 1),
            &s1,
        ),
        (
            "fcomip st(3)",
            native_fn!("fcomip st(0), st(3)"),
            Form::Fcomi(&FCOMIP, 3),
            &s3,
        ),
        (
            "fucomi st(3)",
            native_fn!("fucomi st(0), st(3)"),
            Form::Fcomi(&FUCOMI, 3),
            &s3,
        ),
        (
            "fucomip st(1)",
            native_fn!("fucomip st(0), st(1)"),
            Form::Fcomi(&FUCOMIP, 1),
            &s1,
        ),
        ("ftst", native_fn!("ftst"), Form::Plain(&FTST), &s1),
        ("fxam", native_fn!("fxam"), Form::Plain(&FXAM), &s1),
    ];
    for &(name, native, form, setups) in cases {
        let mut setups = setups.to_vec();
        // Vary the incoming flags: FCOMI keeps them on an unmasked #IA.
        for (k, s) in setups.iter_mut().enumerate() {
            s.flags = [0, eflags::ARITH, eflags::OF | eflags::CF][k % 3];
        }
        check(name, native, form, &setups);
    }
    let mem_cases: &[(&str, Native, &HelperInfo, &[u64])] = &[
        (
            "fcom m32",
            native_fn!("fcom dword ptr [{m}]"),
            &FCOM_M32,
            M32,
        ),
        (
            "fcomp m32",
            native_fn!("fcomp dword ptr [{m}]"),
            &FCOMP_M32,
            M32,
        ),
        (
            "fcom m64",
            native_fn!("fcom qword ptr [{m}]"),
            &FCOM_M64,
            M64,
        ),
        (
            "fcomp m64",
            native_fn!("fcomp qword ptr [{m}]"),
            &FCOMP_M64,
            M64,
        ),
        (
            "ficom m16",
            native_fn!("ficom word ptr [{m}]"),
            &FICOM_M16,
            MINT,
        ),
        (
            "ficomp m16",
            native_fn!("ficomp word ptr [{m}]"),
            &FICOMP_M16,
            MINT,
        ),
        (
            "ficom m32",
            native_fn!("ficom dword ptr [{m}]"),
            &FICOM_M32,
            MINT,
        ),
        (
            "ficomp m32",
            native_fn!("ficomp dword ptr [{m}]"),
            &FICOMP_M32,
            MINT,
        ),
    ];
    for &(name, native, h, mems) in mem_cases {
        check(name, native, Form::Load(h), &unary_setups(mems));
    }
}

#[test]
fn stack_and_control() {
    let setups = unary_setups(&[0x037f, 0x0c7f, 0x0000, 0xffff, 0x1f7b]);
    let cases: &[(&str, Native, Form)] = &[
        ("fincstp", native_fn!("fincstp"), Form::Plain(&FINCSTP)),
        ("fdecstp", native_fn!("fdecstp"), Form::Plain(&FDECSTP)),
        (
            "ffree st(0)",
            native_fn!("ffree st(0)"),
            Form::Sti(&FFREE, 0),
        ),
        (
            "ffree st(2)",
            native_fn!("ffree st(2)"),
            Form::Sti(&FFREE, 2),
        ),
        (
            "ffreep st(1)",
            native_fn!("ffreep st(1)"),
            Form::Sti(&FFREEP, 1),
        ),
        ("fnclex", native_fn!("fnclex"), Form::Plain(&FNCLEX)),
        ("fninit", native_fn!("fninit"), Form::Plain(&FNINIT)),
        (
            "fldcw",
            native_fn!("fldcw word ptr [{m}]"),
            Form::Load(&FLDCW),
        ),
    ];
    for &(name, native, form) in cases {
        check(name, native, form, &setups);
    }
}

/// Runs `pre` natively (to leave flags, C0-C3 and exceptions set) and
/// returns the state as the guest sees it.
fn after_native_pre(s: &Setup, pre: Native) -> Box<CpuState> {
    let o = pre(s);
    let mut env = Box::<CpuState>::default();
    let x = &mut env.fpu;
    x.fcw = o.cw;
    x.top = ((o.sw >> 11) & 7) as u32;
    x.fsw = o.sw & !0x3800;
    x.ftw = 0;
    for (i, v) in o.st.iter().enumerate() {
        let p = (x.top as usize + i) & 7;
        if let Some(v) = v {
            x.regs[p][..10].copy_from_slice(v);
            x.ftw |= 1 << p;
        }
    }
    env
}

#[test]
fn register_moves_after_condition_codes_are_set() {
    // A division leaves C1 (rounded up or not), C0, C2, C3 and exception
    // flags, for the register moves (`moves`) to clear or keep as the FPU
    // does; a full stack makes the pushes overflow.
    let cases: &[(&str, Native, &HelperInfo, u64)] = &[
        (
            "fxch st(1)",
            native_fn!("fdiv st(0), st(1)", "fxch st(1)"),
            &FXCH,
            1,
        ),
        (
            "fxch st(3)",
            native_fn!("fdiv st(0), st(1)", "fxch st(3)"),
            &FXCH,
            3,
        ),
        (
            "fld st(1)",
            native_fn!("fdiv st(0), st(1)", "fld st(1)"),
            &FLD_STI,
            1,
        ),
        ("fld1", native_fn!("fdiv st(0), st(1)", "fld1"), &FLD1, 0),
        ("fldz", native_fn!("fdiv st(0), st(1)", "fldz"), &FLDZ, 0),
        (
            "fst st(2)",
            native_fn!("fdiv st(0), st(1)", "fst st(2)"),
            &FST_STI,
            2,
        ),
        (
            "fstp st(1)",
            native_fn!("fdiv st(0), st(1)", "fstp st(1)"),
            &FSTP_STI,
            1,
        ),
    ];
    let mut full = binary_setups(1);
    for s in &mut full {
        while s.stack.len() < 8 {
            s.stack.push(filler(s.stack.len()));
        }
    }
    let setups = binary_setups(1).into_iter().chain(full);
    let mut moved = 0;
    for s in setups {
        let pre = native_fn!("fdiv st(0), st(1)");
        if super::host::pending(&after_native_pre(&s, pre).fpu) {
            // The move would trap natively.
            continue;
        }
        for &(name, native, h, i) in cases {
            let want = native(&s);
            let mut env = after_native_pre(&s, pre);
            call(h, &mut env, [i, 0, 0, 0, 0]);
            let got = observe_guest(&env, want.mem, want.flags);
            assert_eq!(got, want, "{name} after fdiv from {s:x?}");
            moved += 1;
        }
    }
    assert!(moved > 100, "only {moved} cases ran");
}

#[test]
fn partial_stack_instructions_after_condition_codes_are_set() {
    // A compare leaves C0, C2 and C3, a division then C1 (rounded up or
    // not) and exception flags: the instructions run on a partial host
    // stack (`partial`, under a masked control word) set C1 and add their
    // exception flags, and the other condition codes are what the FPU
    // leaves (FCOMI's C1 too).
    let cases: &[(&str, Native, Form)] = &[
        (
            "fmul st(0), st(1)",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fmul st(0), st(1)"),
            Form::Sti(&FMUL_ST0_STI, 1),
        ),
        (
            "fadd st(3), st(0)",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fadd st(3), st(0)"),
            Form::Sti(&FADD_STI_ST0, 3),
        ),
        (
            "fdivrp st(1), st(0)",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fdivrp st(1), st(0)"),
            Form::Sti(&FDIVRP_STI_ST0, 1),
        ),
        (
            "fsubp st(6), st(0)",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fsubp st(6), st(0)"),
            Form::Sti(&FSUBP_STI_ST0, 6),
        ),
        (
            "fmul m64fp",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fmul qword ptr [{m}]"),
            Form::Load(&FMUL_M64),
        ),
        (
            "fst m64fp",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fst qword ptr [{m}]"),
            Form::Store(&FST_M64, false),
        ),
        (
            "fistp m32int",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fistp dword ptr [{m}]"),
            Form::Store(&FIST_M32, true),
        ),
        (
            "fstp m80fp",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fstp tbyte ptr [{m}]"),
            Form::Store80(&FST_M80_LO, &FST_M80_HI),
        ),
        (
            "fcomi st(0), st(2)",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fcomi st(0), st(2)"),
            Form::Fcomi(&FCOMI, 2),
        ),
        (
            "fucomip st(0), st(1)",
            native_fn!("fcom st(2)", "fdiv st(0), st(1)", "fucomip st(0), st(1)"),
            Form::Fcomi(&FUCOMIP, 1),
        ),
    ];
    // Every exception masked: FDIV waits, and would trap natively on
    // one the compare left pending, as would the instruction under test.
    let mut setups = binary_setups(1);
    setups.retain(|s| s.cw & 0x3f == 0x3f);
    for (k, s) in setups.iter_mut().enumerate() {
        while s.stack.len() < 8 {
            s.stack.push(filler(s.stack.len()));
        }
        s.mem = [
            VALUES[k % VALUES.len()][..8]
                .try_into()
                .map(u64::from_le_bytes)
                .unwrap(),
            0,
        ];
        s.flags = if k % 2 == 0 { eflags::ARITH } else { 0 };
    }
    let pre = native_fn!("fcom st(2)", "fdiv st(0), st(1)");
    let mut ran = 0;
    for s in &setups {
        for &(name, native, form) in cases {
            let want = native(s);
            let got = run_on(form, after_native_pre(s, pre), s);
            assert_eq!(got, want, "{name} after fcom and fdiv from {s:x?}");
            ran += 1;
        }
    }
    assert!(ran > 100, "only {ran} cases ran");
}

#[test]
fn a_popped_result_stays_in_its_register() {
    // FMULP ST(0), ST(0) squares ST(0) and pops it: the square stays in
    // the register, now empty (FNSAVE, and the difftest, see it).
    let mut env = guest_state(&Setup {
        cw: 0x037f,
        rotate: 0,
        stack: vec![f80(true, 0x3fff, J | J >> 1), f80(false, 0x3fff, J)],
        mem: [0; 2],
        flags: 0,
    });
    let r = env.fpu.top as usize;
    call(&FMULP_STI_ST0, &mut env, [0; 5]);
    assert_eq!(env.fpu.top as usize, (r + 1) & 7);
    assert_eq!(env.fpu.ftw & (1 << r), 0, "popped");
    // (-1.5)^2 = 2.25.
    assert_eq!(env.fpu.regs[r][..10], f80(false, 0x4000, J | J >> 3));
}

#[test]
fn status_word_control_word_and_environment() {
    // A division leaves flags and condition codes for FNSTSW/FNSTENV to see.
    let setups = binary_setups(1);
    for s in setups.iter().step_by(13) {
        let pre = native_fn!("fdiv st(0), st(1)");
        let env_want = native!(
            s,
            [
                "fdiv st(0), st(1)",
                "fnstenv [{m}]",
                "fnstsw word ptr [{m} + 28]",
                "fnstcw word ptr [{m} + 30]"
            ]
        );
        let mut env = after_native_pre(s, pre);
        let sw = call(&FNSTSW, &mut env, [0; 5]);
        let cw = call(&FNSTCW, &mut env, [0; 5]);
        let q: Vec<u64> = (0..4)
            .map(|k| call(&FNSTENV_PEEK, &mut env, [k, 0, 0, 0, 0]))
            .collect();
        call(&FNSTENV, &mut env, [0; 5]);
        // FCW, FSW and FTW (bytes 0..12) and the reserved halves; the
        // instruction and data pointers (12..28) are zero in ox86.
        let mut want_img = [0u8; 16];
        want_img[..8].copy_from_slice(&env_want.mem[0].to_le_bytes());
        want_img[8..].copy_from_slice(&env_want.mem[1].to_le_bytes());
        let mut got_img = [0u8; 16];
        got_img[..8].copy_from_slice(&q[0].to_le_bytes());
        got_img[8..].copy_from_slice(&q[1].to_le_bytes());
        assert_eq!(want_img[..12], got_img[..12], "fnstenv image {s:x?}");
        assert_eq!(
            observe_guest(&env, env_want.mem, env_want.flags).cw,
            env_want.cw,
            "fnstenv masks all"
        );
        let sw_cw_native = native!(
            s,
            [
                "fdiv st(0), st(1)",
                "fnstsw word ptr [{m}]",
                "fnstcw word ptr [{m} + 2]"
            ]
        );
        assert_eq!(sw_cw_native.mem[0] & 0xffff, sw, "fnstsw {s:x?}");
        assert_eq!(sw_cw_native.mem[0] >> 16 & 0xffff, cw, "fnstcw {s:x?}");
        // FLDENV of the image just stored puts the state back.
        let mut env2 = after_native_pre(s, pre);
        let before = observe_guest(&env2, [0; 2], 0);
        call(&FLDENV, &mut env2, [q[0], q[1], q[2], q[3], 0]);
        let mut after = observe_guest(&env2, [0; 2], 0);
        after.cw = before.cw;
        if before.sw & 0x80 == 0 {
            assert_eq!(before, after, "fldenv round trip {s:x?}");
        }
    }
}

#[test]
fn fsave_image_and_frstor() {
    for s in binary_setups(2).iter().step_by(17) {
        let native = native!(s, ["fnsave [{m}]", "frstor [{m}]", "fnstsw word ptr [{m}]"]);
        let mut env = guest_state(s);
        let img: Vec<u8> = (0..14)
            .flat_map(|k| call(&FNSAVE_PEEK, &mut env, [k, 0, 0, 0, 0]).to_le_bytes())
            .collect();
        // The image re-read natively by FRSTOR gives the same status word.
        assert_eq!(
            u16::from_le_bytes([img[4], img[5]]) as u64,
            native.mem[0] & 0xffff
        );
        // FRSTOR of it into a fresh state reproduces the original.
        let mut env2 = Box::<CpuState>::default();
        let q = |k: usize| u64::from_le_bytes(img[8 * k..8 * k + 8].try_into().unwrap());
        call(
            &FLDENV,
            &mut env2,
            [q(0), q(1), q(2), q(3) & 0xffff_ffff, 0],
        );
        for i in 0..8 {
            let o = 28 + 10 * i;
            let lo = u64::from_le_bytes(img[o..o + 8].try_into().unwrap());
            let hi = u16::from_le_bytes([img[o + 8], img[o + 9]]) as u64;
            call(&FRSTOR_ST, &mut env2, [i as u64, lo, hi, 0, 0]);
        }
        assert_eq!(
            observe_guest(&env, [0; 2], 0),
            observe_guest(&env2, [0; 2], 0),
            "{s:x?}"
        );
    }
}

#[test]
fn pending_exception_raises_mf() {
    // Unmask ZE, divide by zero: ES is set and the next waiting
    // instruction faults instead of executing, as FWAIT does.
    let s = Setup {
        cw: 0x037b,
        rotate: 0,
        stack: vec![f80(false, 0, 0), f80(false, 0x3fff, J)],
        mem: [0; 2],
        flags: 0,
    };
    let mut env = guest_state(&s);
    call(&FDIVR_ST0_STI, &mut env, [1, 0, 0, 0, 0]);
    assert_eq!(env.exception.pending, 0);
    assert_ne!(env.fpu.fsw & 0x80, 0, "ES set");
    let before = observe_guest(&env, [0; 2], 0);
    call(&FLD1, &mut env, [0; 5]);
    assert_eq!(env.exception.pending, 1);
    assert_eq!(env.exception.vector as u64, crate::cpu::excp::MF);
    assert_eq!(observe_guest(&env, [0; 2], 0), before, "nothing executed");
    env.exception = Default::default();
    call(&FWAIT, &mut env, [0; 5]);
    assert_eq!(env.exception.pending, 1);
    // The non-waiting FNCLEX clears it.
    env.exception = Default::default();
    call(&FNCLEX, &mut env, [0; 5]);
    call(&FWAIT, &mut env, [0; 5]);
    assert_eq!(env.exception.pending, 0);
}

/// The value of a normal 80-bit number.
fn to_f64(v: &F80) -> f64 {
    let mant = u64::from_le_bytes(v[..8].try_into().unwrap());
    let se = u16::from_le_bytes([v[8], v[9]]);
    let mag = mant as f64 * 2f64.powi((se & 0x7fff) as i32 - 16383 - 63);
    if se & 0x8000 != 0 {
        -mag
    } else {
        mag
    }
}

/// The operand order of the non-commutative forms is the SDM's: the host
/// assembler's spelling of each form is checked against plain arithmetic.
#[test]
fn operand_order_follows_the_sdm() {
    let one = f80(false, 0x3fff, J);
    let three = f80(false, 0x4000, J | J >> 1);
    let st = |h: &HelperInfo, pop: bool| {
        let s = Setup {
            cw: 0x037f,
            rotate: 0,
            stack: vec![one, three, one],
            mem: [0; 2],
            flags: 0,
        };
        let mut env = guest_state(&s);
        call(h, &mut env, [1, 0, 0, 0, 0]);
        let o = observe_guest(&env, [0; 2], 0);
        to_f64(&o.st[if pop { 0 } else { 1 }].unwrap())
    };
    let st0 = |h: &HelperInfo| {
        let s = Setup {
            cw: 0x037f,
            rotate: 0,
            stack: vec![one, three],
            mem: [3f64.to_bits(), 0],
            flags: 0,
        };
        let mut env = guest_state(&s);
        let args = if h.name.ends_with("_m64") {
            [s.mem[0], 0, 0, 0, 0]
        } else {
            [1, 0, 0, 0, 0]
        };
        call(h, &mut env, args);
        to_f64(&observe_guest(&env, [0; 2], 0).st[0].unwrap())
    };
    // ST(0) = 1, ST(1) = 3 (and m64 = 3).
    assert_eq!(st0(&FSUB_ST0_STI), -2.0);
    assert_eq!(st0(&FSUBR_ST0_STI), 2.0);
    assert_eq!(st0(&FDIV_ST0_STI), 1.0 / 3.0);
    assert_eq!(st0(&FDIVR_ST0_STI), 3.0);
    assert_eq!(st0(&FSUB_M64), -2.0);
    assert_eq!(st0(&FSUBR_M64), 2.0);
    assert_eq!(st0(&FDIV_M64), 1.0 / 3.0);
    assert_eq!(st0(&FDIVR_M64), 3.0);
    assert_eq!(st(&FSUB_STI_ST0, false), 2.0);
    assert_eq!(st(&FSUBR_STI_ST0, false), -2.0);
    assert_eq!(st(&FDIV_STI_ST0, false), 3.0);
    assert_eq!(st(&FDIVR_STI_ST0, false), 1.0 / 3.0);
    assert_eq!(st(&FSUBP_STI_ST0, true), 2.0);
    assert_eq!(st(&FSUBRP_STI_ST0, true), -2.0);
    assert_eq!(st(&FDIVP_STI_ST0, true), 3.0);
    assert_eq!(st(&FDIVRP_STI_ST0, true), 1.0 / 3.0);
}

#[test]
fn every_helper_is_listed_once() {
    let names: std::collections::HashSet<_> = super::HELPERS.iter().map(|h| h.name).collect();
    assert_eq!(names.len(), super::HELPERS.len());
    assert!(names.contains("fadd_m32") && names.contains("frstor_st") && names.contains("fcmov"));
}
