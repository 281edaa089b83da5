//! Every MMX-register instruction form against the host: each one iced
//! decodes from the 0F, 0F 38 and 0F 3A maps (register and memory forms,
//! every ModRM.reg) runs from random MMX, XMM, memory and MXCSR contents;
//! the x87/MMX/SSE state is then saved with FXSAVE (TOP, tags, exponents,
//! MXCSR flags), again after EMMS, and compared with the registers and
//! memory. Also: a pending x87 exception makes MMX instructions raise #MF.

use crate::fxsr::clear_unmodelled;
use crate::harness::*;
use iced_x86::code_asm::*;
use iced_x86::{CpuidFeature, Decoder, DecoderOptions, Instruction, OpKind, Register};
use ox86_x86::cpu::eflags::ARITH;
use ox86_x86::cpu::excp;

/// Case memory layout: MM0..MM7, XMM0..XMM15, the case's MXCSR and the
/// default one, two FXSAVE areas, the [rcx] operand and the [rdi] target.
const MM: i32 = 0;
const XMM: i32 = 64;
const MXCSR: i32 = 320;
const DEFAULT_MXCSR: i32 = 324;
const AREA1: i32 = 384;
const AREA2: i32 = 896;
const OPERAND: usize = 1408;
const TARGET: usize = 1424;
const SIZE: usize = 1440;

fn uses_mmx(insn: &Instruction) -> bool {
    (0..insn.op_count()).any(|i| insn.op_kind(i) == OpKind::Register && insn.op_register(i).is_mm())
}

/// A general register the snippet itself needs (stack and area pointers).
fn reserved_gpr(insn: &Instruction) -> bool {
    (0..insn.op_count()).any(|i| {
        insn.op_kind(i) == OpKind::Register
            && matches!(
                insn.op_register(i).full_register(),
                Register::RSP | Register::RSI | Register::RDI
            )
    })
}

/// The encodings of every MMX-register form: (bytes, memory form, has an
/// immediate byte last).
fn forms() -> Vec<(Vec<u8>, bool, bool)> {
    let prefixes: [&[u8]; 5] = [&[], &[0x66], &[0xf2], &[0xf3], &[0x48]];
    let maps: [&[u8]; 3] = [&[0x0f], &[0x0f, 0x38], &[0x0f, 0x3a]];
    let mut out = Vec::new();
    for prefix in prefixes {
        for map in maps {
            for op in 0..=255u8 {
                for modrm in (0..8u8).flat_map(|reg| [0xc1 | reg << 3, 0x01 | reg << 3]) {
                    let mut bytes = prefix.to_vec();
                    bytes.extend_from_slice(map);
                    bytes.extend_from_slice(&[op, modrm, 0x05]);
                    let insn = Decoder::with_ip(64, &bytes, 0, DecoderOptions::NONE).decode();
                    if insn.is_invalid()
                        || !uses_mmx(&insn)
                        || insn.cpuid_features().contains(&CpuidFeature::D3NOW)
                        || reserved_gpr(&insn)
                    {
                        continue;
                    }
                    let imm = (0..insn.op_count()).any(|i| insn.op_kind(i) == OpKind::Immediate8);
                    bytes.truncate(insn.len());
                    out.push((bytes, modrm < 0xc0, imm));
                }
            }
        }
    }
    out
}

/// Loads the case's MMX, XMM and MXCSR state, runs `insn`, saves the state
/// before and after EMMS, and leaves the host FPU empty with the default MXCSR.
fn snippet(insn: &[u8]) -> Vec<u8> {
    let mmx = [mm0, mm1, mm2, mm3, mm4, mm5, mm6, mm7];
    let xmms = [
        xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13,
        xmm14, xmm15,
    ];
    let before = asm(|a| {
        a.fninit()?;
        a.ldmxcsr(dword_ptr(rsi + MXCSR))?;
        for (i, r) in mmx.into_iter().enumerate() {
            a.movq(r, qword_ptr(rsi + MM + 8 * i as i32))?;
        }
        for (i, r) in xmms.into_iter().enumerate() {
            a.movdqu(r, xmmword_ptr(rsi + XMM + 16 * i as i32))?;
        }
        Ok(())
    });
    let after = asm(|a| {
        a.fxsave64(ptr(rsi + AREA1))?;
        clear_unmodelled(a, AREA1)?;
        a.emms()?;
        a.fxsave64(ptr(rsi + AREA2))?;
        clear_unmodelled(a, AREA2)?;
        a.ldmxcsr(dword_ptr(rsi + DEFAULT_MXCSR))
    });
    [before, insn.to_vec(), after].concat()
}

/// A quadword of edge bytes and random ones, or two small binary
/// fractions as singles.
fn lanes(rng: &mut Rng) -> u64 {
    match rng.next() % 4 {
        0 => {
            let f = |r: u64| ((r % 4096) as i32 - 2048) as f32 / 8.0;
            f(rng.next()).to_bits() as u64 | (f(rng.next()).to_bits() as u64) << 32
        }
        1 => ((rng.next() % 4096) as i64 - 2048) as f64 as u64,
        _ => u64::from_le_bytes(std::array::from_fn(|_| {
            let r = rng.next();
            [0, 1, 0x7f, 0x80, 0xff, 0xfe, r as u8, (r >> 8) as u8][(r >> 16) as usize % 8]
        })),
    }
}

fn case(rng: &mut Rng, mem_form: bool) -> Case {
    let mut case = rng.case();
    let mut mem = vec![0u8; SIZE];
    for q in 0..(XMM as usize + 256) / 8 {
        mem[8 * q..8 * q + 8].copy_from_slice(&lanes(rng).to_le_bytes());
    }
    for q in 0..4 {
        let at = OPERAND + 8 * q;
        mem[at..at + 8].copy_from_slice(&lanes(rng).to_le_bytes());
    }
    // Every exception masked; random rounding, DAZ and FTZ.
    let mxcsr = 0x1f80 | (rng.next() as u32 & 0xe040);
    mem[MXCSR as usize..][..4].copy_from_slice(&mxcsr.to_le_bytes());
    mem[DEFAULT_MXCSR as usize..][..4].copy_from_slice(&0x1f80u32.to_le_bytes());
    case.state.mem = mem;
    case.state.gpr[RSI] = 0;
    case.state.gpr[RDI] = TARGET as u64;
    case.ptrs = vec![RSI, RDI];
    if mem_form {
        case.state.gpr[RCX] = OPERAND as u64;
        case.ptrs.push(RCX);
    }
    case
}

#[test]
fn every_mmx_form_matches_host() {
    let mut rng = Rng::new(0x33);
    let forms = forms();
    assert!(forms.len() > 600, "{} forms", forms.len());
    for (bytes, mem_form, imm) in forms {
        for _ in 0..8 {
            let mut insn = bytes.clone();
            if imm {
                *insn.last_mut().expect("immediate") = rng.next() as u8;
            }
            check(&snippet(&insn), &case(&mut rng, mem_form), ARITH);
        }
    }
}

#[test]
fn pending_x87_exception_raises_mf() {
    let mut rng = Rng::new(0x34);
    let mut case = case(&mut rng, false);
    // FCW with ZE unmasked, at [rsi + DEFAULT_MXCSR + 4].
    case.state.mem[DEFAULT_MXCSR as usize + 4..][..2].copy_from_slice(&0x37bu16.to_le_bytes());
    let setup = asm(|a| {
        a.fninit()?;
        a.fldcw(word_ptr(rsi + DEFAULT_MXCSR + 4))?;
        a.fld1()?;
        a.fldz()?;
        a.fdivp(st1, st0)
    });
    let at = setup.len() as u64;
    for insn in [
        asm(|a| a.paddb(mm0, mm1)),
        asm(|a| a.movq(mm0, rax)),
        asm(|a| a.emms()),
        asm(|a| a.cvtpi2ps(xmm0, mm1)),
    ] {
        let code = [setup.clone(), insn].concat();
        assert_eq!(run_ox86(&code, &case).1, End::Exception(excp::MF, at));
    }
}
