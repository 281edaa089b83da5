//! AES-NI, PCLMULQDQ and the SHA extensions against the host, register
//! and (aligned) memory forms, with the XMM operands loaded from and stored
//! to the case memory; a misaligned memory operand raises #GP.

use crate::harness::*;
use iced_x86::code_asm::*;
use ox86_x86::cpu::eflags::ARITH;
use ox86_x86::cpu::excp;

/// Emits `insn xmm0, src[, imm]` with src = XMM1 or, for the memory
/// form, [rsi + 16].
type Emit = fn(&mut CodeAssembler, bool, u32) -> Result<(), IcedError>;

macro_rules! form {
    ($insn:ident) => {
        |a: &mut CodeAssembler, mem: bool, _: u32| {
            if mem {
                a.$insn(xmm0, xmmword_ptr(rsi + 16))
            } else {
                a.$insn(xmm0, xmm1)
            }
        }
    };
    ($insn:ident, imm) => {
        |a: &mut CodeAssembler, mem: bool, imm: u32| {
            if mem {
                a.$insn(xmm0, xmmword_ptr(rsi + 16), imm)
            } else {
                a.$insn(xmm0, xmm1, imm)
            }
        }
    };
}

/// Loads XMM0 and XMM1 from [rsi] and [rsi + 16], runs `op`, stores XMM0
/// at [rsi + 32].
fn snippet(op: Emit, mem: bool, imm: u32) -> Vec<u8> {
    asm(|a| {
        a.movdqu(xmm0, xmmword_ptr(rsi))?;
        a.movdqu(xmm1, xmmword_ptr(rsi + 16))?;
        op(a, mem, imm)?;
        a.movdqu(xmmword_ptr(rsi + 32), xmm0)
    })
}

fn case(rng: &mut Rng) -> Case {
    let mut case = rng.case();
    case.state.gpr[RSI] = 0;
    case.ptrs = vec![RSI];
    case.state.mem = (0..48).map(|_| rng.next() as u8).collect();
    case
}

#[test]
fn aes_pclmulqdq_and_sha_match_host() {
    let ops: [(Emit, &[u32]); 13] = [
        (form!(aesenc), &[0]),
        (form!(aesenclast), &[0]),
        (form!(aesdec), &[0]),
        (form!(aesdeclast), &[0]),
        (form!(aesimc), &[0]),
        (form!(aeskeygenassist, imm), &[0, 1, 0x1b, 0x36, 0x80, 0xff]),
        (form!(pclmulqdq, imm), &[0, 1, 0x10, 0x11, 0xfe]),
        (form!(sha1rnds4, imm), &[0, 1, 2, 3]),
        (form!(sha1nexte), &[0]),
        (form!(sha1msg1), &[0]),
        (form!(sha1msg2), &[0]),
        (form!(sha256msg1), &[0]),
        (form!(sha256msg2), &[0]),
    ];
    let mut rng = Rng::new(0xae5);
    for (op, imms) in ops {
        for &imm in imms {
            for mem in [false, true] {
                let code = snippet(op, mem, imm);
                for _ in 0..50 {
                    check(&code, &case(&mut rng), ARITH);
                }
            }
        }
    }
}

#[test]
fn sha256rnds2_takes_xmm0() {
    let mut rng = Rng::new(0x5a2);
    for mem in [false, true] {
        let code = asm(|a| {
            a.movdqu(xmm1, xmmword_ptr(rsi))?;
            a.movdqu(xmm2, xmmword_ptr(rsi + 16))?;
            a.movdqu(xmm0, xmmword_ptr(rsi + 32))?;
            if mem {
                a.sha256rnds2(xmm1, xmmword_ptr(rsi + 16))?;
            } else {
                a.sha256rnds2(xmm1, xmm2)?;
            }
            a.movdqu(xmmword_ptr(rsi + 32), xmm1)
        });
        for _ in 0..100 {
            check(&code, &case(&mut rng), ARITH);
        }
    }
}

#[test]
fn misaligned_operand_raises_gp() {
    let mut rng = Rng::new(0xae6);
    for code in [
        asm(|a| a.aesenc(xmm0, xmmword_ptr(rsi + 8))),
        asm(|a| a.pclmulqdq(xmm0, xmmword_ptr(rsi + 4), 0)),
    ] {
        assert_eq!(
            run_ox86(&code, &case(&mut rng)).1,
            End::Exception(excp::GP, 0)
        );
    }
}
