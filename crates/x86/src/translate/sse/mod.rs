//! SSE through SSE4.2, AES-NI, PCLMULQDQ and SHA in their legacy (non-VEX)
//! encodings, MMX, and FXSAVE/FXRSTOR: each family has its own file; this
//! one offers the instruction to each and holds the operand plumbing they
//! share. Moves, logic and inserts/extracts are IR on the registers'
//! 64-bit halves (`CpuState::xmm`, reached with
//! `ld_env`/`st_env`); arithmetic calls `helpers::sse`, which works on XMM
//! `d` in place with the source operand passed by value, so a memory
//! source is loaded (and faults) before any state changes. Forms with MMX
//! registers go to `mmx.rs`.

mod compare;
mod convert;
mod crc32;
mod crypto;
mod extract;
mod float;
mod fxsr;
mod int;
mod logic;
mod mmx;
mod moves;
mod mxcsr;
mod pcmpstr;
mod shift;
mod shuffle;

use super::{Cx, Outcome};
use crate::cpu::{excp, glob, xmm_offset, XMM_SRC};
use crate::helpers::HelperInfo;
use iced_x86::{Mnemonic, OpKind};
use ox86_ir::{Cond, Temp};

/// Offers the instruction to each SSE family.
pub fn translate(cx: &mut Cx) -> Outcome {
    let uses_mmx = (0..cx.insn.op_count())
        .any(|i| cx.insn.op_kind(i) == OpKind::Register && cx.insn.op_register(i).is_mm());
    if uses_mmx || cx.insn.mnemonic() == Mnemonic::Emms {
        return mmx::translate(cx);
    }
    const FAMILIES: &[fn(&mut Cx) -> Outcome] = &[
        moves::translate,
        logic::translate,
        int::translate,
        compare::translate,
        shuffle::translate,
        shift::translate,
        float::translate,
        convert::translate,
        extract::translate,
        mxcsr::translate,
        pcmpstr::translate,
        crc32::translate,
        fxsr::translate,
        crypto::translate,
    ];
    for family in FAMILIES {
        if family(cx) == Outcome::Done {
            return Outcome::Done;
        }
    }
    Outcome::NotMine
}

/// A 128-bit value as its low and high quadword temps.
#[derive(Clone, Copy, Debug)]
pub struct Xmm {
    /// Bits 0..64.
    pub lo: Temp,
    /// Bits 64..128.
    pub hi: Temp,
}

/// The XMM number of operand `i` (which must be an XMM register).
fn xmm_of(cx: &Cx, i: u32) -> usize {
    let r = cx.insn.op_register(i);
    debug_assert!(r.is_xmm(), "operand {i} is {r:?}, not an XMM register");
    r.number()
}

/// Reads XMM register `n`.
fn read_xmm(cx: &mut Cx, n: usize) -> Xmm {
    Xmm {
        lo: cx.b.ld_env(xmm_offset(n, 0)),
        hi: cx.b.ld_env(xmm_offset(n, 1)),
    }
}

/// Reads one quadword of XMM register `n`.
fn read_half(cx: &mut Cx, n: usize, half: usize) -> Temp {
    cx.b.ld_env(xmm_offset(n, half))
}

/// Writes XMM register `n`.
fn write_xmm(cx: &mut Cx, n: usize, v: Xmm) {
    cx.b.st_env(v.lo, xmm_offset(n, 0));
    cx.b.st_env(v.hi, xmm_offset(n, 1));
}

/// Writes one quadword of XMM register `n`.
fn write_half(cx: &mut Cx, n: usize, half: usize, v: Temp) {
    cx.b.st_env(v, xmm_offset(n, half));
}

/// Raises #GP at this instruction unless `cond(a, b)` holds; translation
/// continues on the path where it holds.
fn gp_unless(cx: &mut Cx, cond: Cond, a: Temp, b: Temp) {
    let ok = cx.b.label();
    cx.b.brcond(cond, a, b, ok);
    let rip = cx.g(glob::RIP);
    cx.b.movi_to(rip, cx.pc);
    cx.b.raise(excp::GP);
    cx.b.set_label(ok);
}

/// Raises #GP unless `a` is 16-byte aligned, as legacy SSE instructions do
/// for 128-bit memory operands (Linux reports it as SIGSEGV).
fn check_align16(cx: &mut Cx, a: Temp) {
    let mask = cx.b.movi(15);
    gp_unless(cx, Cond::TstEq, a, mask);
}

/// Loads 16 bytes at `a`.
fn load128(cx: &mut Cx, a: Temp) -> Xmm {
    let lo = cx.load(8, a);
    let a8 = cx.b.addi(a, 8);
    let hi = cx.load(8, a8);
    Xmm { lo, hi }
}

/// Loads XMM register `n` from the 16 bytes at `a` (#GP unless `a` is
/// 16-byte aligned, if `aligned`): one `ld_xmm` in user mode, two softmmu
/// loads in system mode.
fn load_xmm(cx: &mut Cx, n: usize, a: Temp, aligned: bool) {
    if !cx.mode.system {
        cx.b.ld_xmm(n as u64, 16, a, aligned);
        return;
    }
    if aligned {
        check_align16(cx, a);
    }
    load_xmm_zx(cx, n, 16, a);
}

/// Loads XMM register `n` from the `size` (4, 8 or 16) bytes at `a`,
/// zero-extended.
fn load_xmm_zx(cx: &mut Cx, n: usize, size: u32, a: Temp) {
    if !cx.mode.system {
        cx.b.ld_xmm(n as u64, size as u64, a, false);
    } else if size == 16 {
        let v = load128(cx, a);
        write_xmm(cx, n, v);
    } else {
        let lo = cx.load(size, a);
        let hi = cx.b.movi(0);
        write_xmm(cx, n, Xmm { lo, hi });
    }
}

/// Stores XMM register `n` to the 16 bytes at `a`, all or (if it faults)
/// none (#GP unless `a` is 16-byte aligned, if `aligned`): one `st_xmm`
/// in user mode.
fn store_xmm(cx: &mut Cx, a: Temp, n: usize, aligned: bool) {
    if !cx.mode.system {
        cx.b.st_xmm(n as u64, a, aligned);
        return;
    }
    if aligned {
        check_align16(cx, a);
    }
    let v = read_xmm(cx, n);
    store128(cx, a, v);
}

/// Stores 16 bytes at `a` (all or, if it faults, none).
fn store128(cx: &mut Cx, a: Temp, v: Xmm) {
    cx.probe_split_store(a, 16);
    cx.store(8, v.lo, a);
    let a8 = cx.b.addi(a, 8);
    cx.store(8, v.hi, a8);
}

/// Reads source operand `i` as a 128-bit value: an XMM register, a
/// general register or memory (zero-extended from the operand size). A
/// 16-byte memory operand must be aligned unless `unaligned`.
fn read_src(cx: &mut Cx, i: u32, unaligned: bool) -> Xmm {
    match cx.insn.op_kind(i) {
        OpKind::Register => {
            let r = cx.insn.op_register(i);
            if r.is_xmm() {
                read_xmm(cx, r.number())
            } else {
                let lo = cx.read_reg(r);
                let hi = cx.b.movi(0);
                Xmm { lo, hi }
            }
        }
        OpKind::Memory => {
            let a = cx.ea();
            let size = cx.insn.memory_size().size() as u32;
            if size == 16 {
                if !unaligned {
                    check_align16(cx, a);
                }
                load128(cx, a)
            } else {
                let lo = cx.load(size, a);
                let hi = cx.b.movi(0);
                Xmm { lo, hi }
            }
        }
        k => panic!("SSE source operand of kind {k:?}"),
    }
}

/// The immediate operand `i` as a temp.
fn imm(cx: &mut Cx, i: u32) -> Temp {
    let v = cx.insn.immediate(i) & 0xff;
    cx.b.movi(v)
}

/// The register `call_xmm` reads source operand `i` from: the XMM
/// register itself, or `XMM_SRC` with a memory or general-register source
/// staged there (loaded, and so faulting, before any state changes).
fn xmm_src(cx: &mut Cx, i: u32) -> usize {
    xmm_src_maybe_unaligned(cx, i, false)
}

/// `xmm_src`, with a 16-byte memory operand that need not be aligned if
/// `unaligned`.
fn xmm_src_maybe_unaligned(cx: &mut Cx, i: u32, unaligned: bool) -> usize {
    if is_xmm_reg(cx, i) {
        return xmm_of(cx, i);
    }
    let size = cx.insn.memory_size().size() as u32;
    if cx.insn.op_kind(i) == OpKind::Memory && matches!(size, 4 | 8 | 16) {
        let a = cx.ea();
        if size == 16 {
            load_xmm(cx, XMM_SRC, a, !unaligned);
        } else {
            load_xmm_zx(cx, XMM_SRC, size, a);
        }
        return XMM_SRC;
    }
    let s = read_src(cx, i, unaligned);
    write_xmm(cx, XMM_SRC, s);
    XMM_SRC
}

/// `h(d, src)` on XMM `d` = operand 0 and the source operand 1: the shape
/// of most packed instructions.
fn call_binary(cx: &mut Cx, h: &'static HelperInfo) {
    let d = xmm_of(cx, 0);
    let s = xmm_src(cx, 1);
    cx.call_xmm(h, d, s, 0);
}

/// `h(d, src, imm)` with the immediate as operand 2.
fn call_binary_imm(cx: &mut Cx, h: &'static HelperInfo) {
    let d = xmm_of(cx, 0);
    let s = xmm_src(cx, 1);
    let c = cx.insn.immediate(2) & 0xff;
    cx.call_xmm(h, d, s, c);
}

/// A table from mnemonic to helper, for families that only call helpers.
type HelperTable = [(Mnemonic, &'static HelperInfo)];

/// The helper `table` has for the current mnemonic.
fn lookup(cx: &Cx, table: &HelperTable) -> Option<&'static HelperInfo> {
    let m = cx.insn.mnemonic();
    table.iter().find(|(k, _)| *k == m).map(|&(_, h)| h)
}

/// True if operand `i` is the XMM register (not memory) form.
fn is_xmm_reg(cx: &Cx, i: u32) -> bool {
    cx.insn.op_kind(i) == OpKind::Register && cx.insn.op_register(i).is_xmm()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers::{self, Names};
    use iced_x86::{CpuidFeature, Decoder, DecoderOptions, Instruction};

    /// The CPUID features whose legacy XMM forms this module implements.
    const FEATURES: &[CpuidFeature] = &[
        CpuidFeature::SSE,
        CpuidFeature::SSE2,
        CpuidFeature::SSE3,
        CpuidFeature::SSSE3,
        CpuidFeature::SSE4_1,
        CpuidFeature::SSE4_2,
        CpuidFeature::AES,
        CpuidFeature::PCLMULQDQ,
        CpuidFeature::SHA,
    ];

    /// SSE-era instructions other families own: x87's FISTTP and the
    /// hints and fences of `system.rs`.
    fn elsewhere(m: Mnemonic) -> bool {
        matches!(
            m,
            Mnemonic::Fisttp
                | Mnemonic::Lfence
                | Mnemonic::Mfence
                | Mnemonic::Sfence
                | Mnemonic::Prefetchnta
                | Mnemonic::Prefetcht0
                | Mnemonic::Prefetcht1
                | Mnemonic::Prefetcht2
        )
    }

    /// Every instruction iced decodes from the 0F, 0F 38 and 0F 3A maps
    /// with any mandatory prefix and REX.W, in register and memory forms,
    /// that `wanted` accepts.
    fn decoded_forms(wanted: impl Fn(&Instruction) -> bool) -> Vec<Instruction> {
        let prefixes: [&[u8]; 9] = [
            &[],
            &[0x66, 0xf2],
            &[0x66],
            &[0xf2],
            &[0xf3],
            &[0x48],
            &[0x66, 0x48],
            &[0xf2, 0x48],
            &[0xf3, 0x48],
        ];
        let maps: [&[u8]; 3] = [&[0x0f], &[0x0f, 0x38], &[0x0f, 0x3a]];
        let mut out = Vec::new();
        for prefix in prefixes {
            for map in maps {
                for op in 0..=255u8 {
                    // ModRM: each reg field (group opcodes select by it)
                    // with rm = xmm1/mm1/ecx, then with rm = [rcx].
                    for modrm in (0..8u8).flat_map(|reg| [0xc1 | reg << 3, 0x01 | reg << 3]) {
                        let mut bytes = prefix.to_vec();
                        bytes.extend_from_slice(map);
                        bytes.extend_from_slice(&[op, modrm, 0x05, 0x90, 0x90]);
                        let insn =
                            Decoder::with_ip(64, &bytes, 0x1000, DecoderOptions::NONE).decode();
                        if !insn.is_invalid() && wanted(&insn) {
                            out.push(insn);
                        }
                    }
                }
            }
        }
        out
    }

    fn uses_mmx(insn: &Instruction) -> bool {
        (0..insn.op_count())
            .any(|i| insn.op_kind(i) == OpKind::Register && insn.op_register(i).is_mm())
    }

    /// Every instruction of `FEATURES` in its XMM forms, except `elsewhere`.
    fn all_forms() -> Vec<Instruction> {
        decoded_forms(|insn| {
            insn.cpuid_features().iter().any(|f| FEATURES.contains(f))
                && !uses_mmx(insn)
                && !elsewhere(insn.mnemonic())
        })
    }

    /// Translates each of `forms` alone and verifies the IR; returns the
    /// number of distinct instruction codes.
    fn check_translates(forms: Vec<Instruction>) -> usize {
        let mut codes: Vec<_> = forms.iter().map(|i| i.code()).collect();
        codes.sort();
        codes.dedup();
        for insn in forms {
            let mut cx = Cx::for_test(insn);
            assert_eq!(
                translate(&mut cx),
                Outcome::Done,
                "{:?} ({insn})",
                insn.code()
            );
            assert!(!cx.ended, "{:?} ended the TB", insn.code());
            cx.b.goto_tb(0);
            if let Err(e) = ox86_ir::verify(&cx.b, &Names, helpers::count()) {
                panic!("{:?} ({insn}): {e}", insn.code());
            }
        }
        codes.len()
    }

    #[test]
    fn every_form_translates_to_valid_ir() {
        assert_eq!(check_translates(all_forms()), 303, "codes decoded");
    }

    #[test]
    fn every_mmx_form_translates_to_valid_ir() {
        let mut forms = decoded_forms(|insn| {
            uses_mmx(insn) && !insn.cpuid_features().contains(&CpuidFeature::D3NOW)
        });
        forms.push(Decoder::with_ip(64, &[0x0f, 0x77], 0, DecoderOptions::NONE).decode());
        assert_eq!(check_translates(forms), 103, "codes decoded");
    }
}
