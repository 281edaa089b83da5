//! MUL, IMUL (one, two and three operands), DIV and IDIV, all widths,
//! register and memory sources; #DE cases run under ox86 only.

use crate::harness::*;
use ox86_x86::cpu::eflags::{CF, OF};
use ox86_x86::cpu::excp;

const MUL: u8 = 4;
const IMUL: u8 = 5;
const DIV: u8 = 6;
const IDIV: u8 = 7;

fn group3(op: u8, size: u32, rm: Rm) -> Vec<u8> {
    let opc = if size == 1 { 0xf6 } else { 0xf7 };
    enc(size, &[], &[opc], op, rm, &[])
}

fn with_mem(rng: &mut Rng, case: &mut Case, rm: Rm) {
    if let Rm::Mem(b) = rm {
        case.state.gpr[b as usize] = 0;
        case.ptrs = vec![b as usize];
        case.state.mem = rng.value().to_le_bytes().to_vec();
    }
}

/// The source operand's value for a case.
fn source(case: &Case, rm: Rm, size: u32) -> u64 {
    let v = match rm {
        Rm::Mem(_) => u64::from_le_bytes(case.state.mem[..8].try_into().unwrap()),
        Rm::Reg(r) if size == 1 && (4..8).contains(&r) => case.state.gpr[r as usize - 4] >> 8,
        Rm::Reg(r) => case.state.gpr[r as usize],
    };
    v & mask(size)
}

fn mask(size: u32) -> u64 {
    u64::MAX >> (64 - size * 8)
}

fn sext(v: u64, size: u32) -> i128 {
    let s = 64 - size * 8;
    (((v << s) as i64) >> s) as i128
}

/// Whether DIV/IDIV of the case's rDX:rAX (AX) by `d` raises #DE.
fn divide_error(case: &Case, size: u32, d: u64, signed: bool) -> bool {
    let bits = size * 8;
    let (hi, lo) = if size == 1 {
        (
            (case.state.gpr[RAX] >> 8) & 0xff,
            case.state.gpr[RAX] & 0xff,
        )
    } else {
        (
            case.state.gpr[RDX] & mask(size),
            case.state.gpr[RAX] & mask(size),
        )
    };
    if d == 0 {
        return true;
    }
    if signed {
        let n = (sext(hi, size) << bits) | lo as i128;
        let q = n / sext(d, size);
        q < -(1i128 << (bits - 1)) || q >= 1i128 << (bits - 1)
    } else {
        let n = ((hi as u128) << bits) | lo as u128;
        n / d as u128 > mask(size) as u128
    }
}

fn run_group3(op: u8) {
    let mut rng = Rng::new(0x3333 + op as u64);
    for size in [1, 2, 4, 8] {
        let rms: &[Rm] = if size == 1 {
            &[Rm::Reg(3), Rm::Reg(7), Rm::Reg(9), Rm::Mem(6)]
        } else {
            &[Rm::Reg(3), Rm::Reg(9), Rm::Mem(6)]
        };
        for &rm in rms {
            let code = group3(op, size, rm);
            for t in 0..600 {
                let mut case = rng.case();
                with_mem(&mut rng, &mut case, rm);
                let d = source(&case, rm, size);
                if op >= DIV && t % 2 == 0 && d != 0 {
                    // Mostly dividends whose quotient fits.
                    let hi = if op == DIV {
                        rng.next() % d
                    } else if case.state.gpr[RAX] & (1 << (size * 8 - 1)) != 0 {
                        u64::MAX
                    } else {
                        0
                    };
                    if size == 1 {
                        let ax = (case.state.gpr[RAX] & !0xff00) | (hi & 0xff) << 8;
                        case.state.gpr[RAX] = ax;
                    } else {
                        case.state.gpr[RDX] = hi;
                    }
                }
                let d = source(&case, rm, size);
                if op >= DIV && divide_error(&case, size, d, op == IDIV) {
                    let (after, end) = run_ox86(&code, &case);
                    assert_eq!(end, End::Exception(excp::DE, 0), "{}", disasm(&code));
                    assert_eq!(after.gpr[..4], case.state.gpr[..4], "{}", disasm(&code));
                    continue;
                }
                let flags = if op >= DIV { 0 } else { CF | OF };
                check(&code, &case, flags);
            }
        }
    }
}

#[test]
fn mul() {
    run_group3(MUL);
}

#[test]
fn imul_one_operand() {
    run_group3(IMUL);
}

#[test]
fn div() {
    run_group3(DIV);
}

#[test]
fn idiv() {
    run_group3(IDIV);
}

#[test]
fn idiv_overflow_cases() {
    // INT_MIN / -1 at every width, and a zero divisor.
    for size in [1u32, 2, 4, 8] {
        let min = 1u64 << (size * 8 - 1);
        let mut gpr = [0u64; 16];
        gpr[RBX] = u64::MAX;
        if size == 1 {
            gpr[RAX] = 0xff80;
        } else {
            gpr[RAX] = min;
            gpr[RDX] = u64::MAX;
        }
        let code = group3(IDIV, size, Rm::Reg(3));
        let case = Case::regs(gpr, 0);
        let (after, end) = run_ox86(&code, &case);
        assert_eq!(end, End::Exception(excp::DE, 0), "size {size}");
        assert_eq!(after.gpr, case.state.gpr);
        gpr[RBX] = 0;
        let (_, end) = run_ox86(&group3(DIV, size, Rm::Reg(3)), &Case::regs(gpr, 0));
        assert_eq!(end, End::Exception(excp::DE, 0), "size {size}");
    }
}

#[test]
fn imul_two_and_three_operands() {
    let mut rng = Rng::new(0x1313);
    for size in [2, 4, 8] {
        for rm in [Rm::Reg(3), Rm::Reg(10), Rm::Mem(6), Rm::Reg(2)] {
            let imm = |rng: &mut Rng| -> Vec<u8> {
                let v = rng.value();
                if size == 2 {
                    v.to_le_bytes()[..2].to_vec()
                } else {
                    v.to_le_bytes()[..4].to_vec()
                }
            };
            for t in 0..600 {
                let code = match t % 3 {
                    0 => enc(size, &[], &[0x0f, 0xaf], 2, rm, &[]),
                    1 => enc(size, &[], &[0x6b], 2, rm, &[rng.next() as u8]),
                    _ => enc(size, &[], &[0x69], 2, rm, &imm(&mut rng)),
                };
                let mut case = rng.case();
                with_mem(&mut rng, &mut case, rm);
                check(&code, &case, CF | OF);
            }
        }
    }
}
