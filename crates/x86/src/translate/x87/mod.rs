//! The x87 FPU front end: each instruction becomes guest memory accesses in
//! IR around calls to the x87 helpers (`helpers/x87`), which run it on the
//! host FPU against the guest's x87 state. Sub-families have their own files.

mod arith;
mod compare;
mod control;
mod transfer;

use super::{Cx, Outcome};
use crate::cpu::{CpuState, X87State};
use crate::helpers::x87::control::FWAIT;
use crate::helpers::x87::transfer::FPOP;
use crate::helpers::HelperInfo;
use iced_x86::{OpKind, Register};
use ox86_ir::{Cond, Temp};
use std::mem::offset_of;

pub fn translate(cx: &mut Cx) -> Outcome {
    for part in [
        arith::translate,
        transfer::translate,
        compare::translate,
        control::translate,
    ] {
        if part(cx) == Outcome::Done {
            return Outcome::Done;
        }
    }
    Outcome::NotMine
}

/// The i of the instruction's ST(i) operand: in two-operand forms one
/// operand is ST(0), so i is the other one's number.
fn st_index(cx: &Cx) -> u64 {
    (0..cx.insn.op_count())
        .filter(|&k| cx.insn.op_kind(k) == OpKind::Register)
        .map(|k| cx.insn.op_register(k))
        .filter(|r| (Register::ST0..=Register::ST7).contains(r))
        .fold(0, |i, r| i | (r as u64 - Register::ST0 as u64))
}

/// Calls `h()`.
fn plain(cx: &mut Cx, h: &'static HelperInfo) {
    cx.call(h, &[]);
}

/// Calls `h(i)` for the ST(i) operand.
fn sti(cx: &mut Cx, h: &'static HelperInfo) {
    let i = cx.b.movi(st_index(cx));
    cx.call(h, &[i]);
}

/// Loads the memory operand (2, 4, 8 or 10 bytes) as (low quadword, high
/// quadword) at address `a`.
fn load_mem(cx: &mut Cx, a: Temp) -> (Temp, Option<Temp>) {
    match cx.insn.memory_size().size() {
        10 => {
            let lo = cx.load(8, a);
            let a8 = cx.b.addi(a, 8);
            let hi = cx.load(2, a8);
            (lo, Some(hi))
        }
        size => (cx.load(size as u32, a), None),
    }
}

/// A memory source: loads it and calls `h(lo[, hi])`. A pending unmasked
/// exception (#MF) comes before any fault of the access.
fn load(cx: &mut Cx, h: &'static HelperInfo) {
    plain(cx, &FWAIT);
    let a = cx.ea();
    let (lo, hi) = load_mem(cx, a);
    match hi {
        Some(hi) => cx.call(h, &[lo, hi]),
        None => cx.call(h, &[lo]),
    };
}

/// A store to memory: `lo` (and for 10-byte operands `hi`) compute the
/// bytes to write and whether the instruction writes them (an unmasked
/// exception suppresses the store, and then memory is not written; on an
/// Intel host not touched at all, on an AMD one checked for writing: see
/// `Cx::x87_suppressed_store_checks_page`); the memory is written, and
/// only then does the status word the helpers computed reach the x87
/// state (a fault on the store leaves it as it was) and do the popping
/// forms pop. #MF comes first, as for loads.
fn store(cx: &mut Cx, lo_h: &'static HelperInfo, hi_h: Option<&'static HelperInfo>, pop: bool) {
    const WORD: usize = offset_of!(CpuState, fpu) + offset_of!(X87State, top);
    const _: () = assert!(offset_of!(X87State, fcw) == offset_of!(X87State, top) + 4);
    const _: () = assert!(offset_of!(X87State, fsw) == offset_of!(X87State, top) + 6);
    plain(cx, &FWAIT);
    let a = cx.ea();
    let lo = cx.call(lo_h, &[]);
    let hi = hi_h.map(|h| cx.call(h, &[]));
    let stored = cx.b.ld_env(offset_of!(CpuState, x87_stored));
    let zero = cx.b.movi(0);
    let suppressed = cx.b.label();
    cx.b.brcond(Cond::Eq, stored, zero, suppressed);
    let size = cx.insn.memory_size().size() as u32;
    match hi {
        Some(hi) => {
            cx.store(8, lo, a);
            let a8 = cx.b.addi(a, 8);
            cx.store(2, hi, a8);
        }
        None => cx.store(size, lo, a),
    }
    if cx.x87_suppressed_store_checks_page {
        // Suppressed: the destination's bytes written back as they are.
        let done = cx.b.label();
        cx.b.br(done);
        cx.b.set_label(suppressed);
        let parts: &[(u64, u32)] = if hi.is_some() {
            &[(0, 8), (8, 2)]
        } else {
            &[(0, size)]
        };
        for &(off, n) in parts {
            let at = if off == 0 { a } else { cx.b.addi(a, off) };
            let v = cx.load(n, at);
            cx.store(n, v, at);
        }
        cx.b.set_label(done);
    } else {
        cx.b.set_label(suppressed);
    }
    let word = cx.b.ld_env(offset_of!(CpuState, x87_word));
    cx.b.st_env(word, WORD);
    if pop {
        cx.call(&FPOP, &[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::Names;
    use iced_x86::{Decoder, DecoderOptions};
    use ox86_ir::{text, verify};

    /// Translates the one instruction in `bytes` with the x87 family and
    /// returns its IR text, or None when the family declines it.
    fn translate_one(bytes: &[u8]) -> Option<String> {
        let insn = Decoder::with_ip(64, bytes, 0x1000, DecoderOptions::NONE).decode();
        let mut cx = Cx::for_test(insn);
        if translate(&mut cx) == Outcome::NotMine {
            return None;
        }
        let next = cx.next_pc;
        cx.goto(next, 0);
        verify::verify(&cx.b, &Names, crate::helpers::count()).expect("valid IR");
        Some(text::format_block(&cx.b, &Names))
    }

    /// Every x87 opcode (D8..DF with each ModRM byte; memory forms through
    /// [rax]) that iced decodes in 64-bit mode is translated, and the IR
    /// verifies.
    #[test]
    fn every_x87_encoding_is_translated() {
        let mut seen = 0;
        for esc in 0xd8u8..=0xdf {
            for modrm in 0..=255u8 {
                // Memory forms only through mod=00 rm=000 ([rax]): the other
                // encodings differ in addressing alone.
                if modrm < 0xc0 && modrm & 0xc7 != 0 {
                    continue;
                }
                let bytes = [esc, modrm, 0, 0, 0, 0];
                let insn = Decoder::with_ip(64, &bytes, 0, DecoderOptions::NONE).decode();
                if insn.is_invalid() {
                    continue;
                }
                seen += 1;
                assert!(
                    translate_one(&bytes).is_some(),
                    "{bytes:02x?} ({:?}) not translated",
                    insn.code()
                );
            }
        }
        assert!(seen >= 480, "only {seen} encodings decoded");
    }

    fn calls(ir: &str) -> Vec<&str> {
        ir.lines()
            .filter(|l| {
                l.trim_start().starts_with("call") || l.contains(" ld") || l.contains(" st")
            })
            .map(|l| l.split_whitespace().next().unwrap_or(""))
            .collect()
    }

    #[test]
    fn stores_write_memory_before_popping() {
        // fstp qword ptr [rax]: pending #MF checked, the value computed
        // without reading memory, stored unless suppressed, the status
        // word committed, popped.
        let ir = translate_one(&[0xdd, 0x18]).unwrap();
        assert!(ir.contains("fst_m64") && ir.contains("fpop"), "{ir}");
        assert_eq!(
            calls(&ir),
            ["call", "call", "ld_env", "st64", "ld_env", "st_env", "call"],
            "{ir}"
        );
        // fstp tbyte ptr [rax]: both halves computed before either is stored.
        let ir = translate_one(&[0xdb, 0x38]).unwrap();
        assert_eq!(
            calls(&ir),
            ["call", "call", "call", "ld_env", "st64", "st16", "ld_env", "st_env", "call"],
            "{ir}"
        );
        // fst dword ptr [rax] does not pop.
        let ir = translate_one(&[0xd9, 0x10]).unwrap();
        assert!(!ir.contains("fpop"), "{ir}");
    }

    #[test]
    fn a_suppressed_store_checks_its_destination_where_the_host_does() {
        let probing = |bytes: &[u8]| {
            let insn = Decoder::with_ip(64, bytes, 0x1000, DecoderOptions::NONE).decode();
            let mut cx = Cx::for_test(insn);
            cx.x87_suppressed_store_checks_page = true;
            assert_eq!(translate(&mut cx), Outcome::Done);
            let next = cx.next_pc;
            cx.goto(next, 0);
            verify::verify(&cx.b, &Names, crate::helpers::count()).expect("valid IR");
            text::format_block(&cx.b, &Names)
        };
        // fistp dword ptr [rax]: the store, or (suppressed) the four
        // bytes there read and written back.
        let ir = probing(&[0xdb, 0x18]);
        assert_eq!(
            calls(&ir),
            ["call", "call", "ld_env", "st32", "ld32u", "st32", "ld_env", "st_env", "call"],
            "{ir}"
        );
        // fstp tbyte ptr [rax]: both parts, each read and written back.
        let ir = probing(&[0xdb, 0x38]);
        assert_eq!(
            calls(&ir),
            [
                "call", "call", "call", "ld_env", "st64", "st16", "ld64", "st64", "ld16u", "st16",
                "ld_env", "st_env", "call"
            ],
            "{ir}"
        );
    }

    #[test]
    fn register_forms_pass_the_st_index() {
        // fsubp st(5), st(0) = DE ED.
        let ir = translate_one(&[0xde, 0xed]).unwrap();
        assert!(ir.contains("$0x5") && ir.contains("fsubp_sti_st0"), "{ir}");
        // fxch st(0) = D9 C8.
        let ir = translate_one(&[0xd9, 0xc8]).unwrap();
        assert!(ir.contains("$0x0") && ir.contains("fxch"), "{ir}");
        // fdiv st(0), st(7) = D8 F7.
        let ir = translate_one(&[0xd8, 0xf7]).unwrap();
        assert!(ir.contains("$0x7") && ir.contains("fdiv_st0_sti"), "{ir}");
    }

    #[test]
    fn waiting_forms_check_first() {
        // fstsw ax (9B DF E0) is WAIT, then FNSTSW AX, which has no check.
        let ir = translate_one(&[0x9b, 0xdf, 0xe0]).unwrap();
        assert!(ir.contains("fwait"), "{ir}");
        let ir = translate_one(&[0xdf, 0xe0]).unwrap();
        assert!(ir.contains("fnstsw") && !ir.contains("fwait"), "{ir}");
        // FNOP waits; FNENI does nothing.
        assert!(translate_one(&[0xd9, 0xd0]).unwrap().contains("fwait"));
        assert!(!translate_one(&[0xdb, 0xe0]).unwrap().contains("call"));
    }
}
