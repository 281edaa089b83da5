//! SHL SHR SAR ROL ROR RCL RCR (count 1, imm8, CL; register and memory
//! destinations; all widths) and SHLD SHRD.

use crate::harness::*;
use ox86_x86::cpu::eflags::{AF, ARITH, CF, OF, PF, SF, ZF};

/// Group 2 ModRM.reg extensions.
const ROL: u8 = 0;
const ROR: u8 = 1;
const RCL: u8 = 2;
const RCR: u8 = 3;
const SHL: u8 = 4;
const SHR: u8 = 5;
const SAL: u8 = 6;
const SAR: u8 = 7;

#[derive(Clone, Copy, Debug)]
enum Count {
    One,
    Imm(u8),
    Cl,
}

fn group2(op: u8, size: u32, count: Count, rm: Rm) -> Vec<u8> {
    let b = (size != 1) as u8;
    match count {
        Count::One => enc(size, &[], &[0xd0 | b], op, rm, &[]),
        Count::Imm(n) => enc(size, &[], &[0xc0 | b], op, rm, &[n]),
        Count::Cl => enc(size, &[], &[0xd2 | b], op, rm, &[]),
    }
}

/// The flags the SDM defines after `op` with raw count `raw`.
fn defined(op: u8, size: u32, raw: u64) -> u64 {
    let w = size as u64 * 8;
    let n = raw & if size == 8 { 63 } else { 31 };
    let of = if n == 1 { OF } else { 0 };
    match op {
        _ if n == 0 => ARITH,
        ROL | ROR | RCL | RCR => CF | SF | ZF | AF | PF | of,
        SAR => CF | SF | ZF | PF | of,
        _ => SF | ZF | PF | of | if n < w { CF } else { 0 },
    }
}

fn counts(size: u32) -> Vec<u8> {
    let w = size as u8 * 8;
    let mut v = vec![
        0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0xff,
    ];
    v.extend([w - 1, w, w + 1]);
    v
}

fn run_group2(op: u8) {
    let mut rng = Rng::new(0x5151 + op as u64);
    for size in [1, 2, 4, 8] {
        let rms: &[Rm] = if size == 1 {
            &[Rm::Reg(3), Rm::Reg(7), Rm::Reg(9), Rm::Mem(6)]
        } else {
            &[Rm::Reg(3), Rm::Reg(9), Rm::Mem(6)]
        };
        for &rm in rms {
            let mut forms = vec![Count::One, Count::Cl];
            forms.extend(counts(size).into_iter().map(Count::Imm));
            for form in forms {
                let code = group2(op, size, form, rm);
                let tries = if matches!(form, Count::Cl) { 200 } else { 12 };
                for t in 0..tries {
                    let mut case = rng.case();
                    if let Rm::Mem(b) = rm {
                        case.state.gpr[b as usize] = 0;
                        case.ptrs = vec![b as usize];
                        case.state.mem = rng.next().to_le_bytes().to_vec();
                    }
                    if matches!(form, Count::Cl) && t < 70 {
                        case.state.gpr[RCX] = t as u64;
                    }
                    let raw = match form {
                        Count::One => 1,
                        Count::Imm(n) => n as u64,
                        Count::Cl => case.state.gpr[RCX] & 0xff,
                    };
                    check(&code, &case, defined(op, size, raw));
                }
            }
        }
    }
}

#[test]
fn shl() {
    run_group2(SHL);
}

#[test]
fn sal() {
    run_group2(SAL);
}

#[test]
fn shr() {
    run_group2(SHR);
}

#[test]
fn sar() {
    run_group2(SAR);
}

#[test]
fn rol() {
    run_group2(ROL);
}

#[test]
fn ror() {
    run_group2(ROR);
}

#[test]
fn rcl() {
    run_group2(RCL);
}

#[test]
fn rcr() {
    run_group2(RCR);
}

fn run_double(left: bool) {
    let mut rng = Rng::new(0xd0d0 + left as u64);
    for size in [2, 4, 8] {
        for rm in [Rm::Reg(3), Rm::Reg(10), Rm::Mem(6)] {
            let mut forms = vec![Count::Cl];
            forms.extend(counts(size).into_iter().map(Count::Imm));
            for form in forms {
                let (imm_op, cl_op) = if left { (0xa4, 0xa5) } else { (0xac, 0xad) };
                let code = match form {
                    Count::Imm(n) => enc(size, &[], &[0x0f, imm_op], 2, rm, &[n]),
                    _ => enc(size, &[], &[0x0f, cl_op], 2, rm, &[]),
                };
                let tries = if matches!(form, Count::Cl) { 200 } else { 12 };
                for t in 0..tries {
                    let mut case = rng.case();
                    if let Rm::Mem(b) = rm {
                        case.state.gpr[b as usize] = 0;
                        case.ptrs = vec![b as usize];
                        case.state.mem = rng.next().to_le_bytes().to_vec();
                    }
                    if matches!(form, Count::Cl) && t < 70 {
                        case.state.gpr[RCX] = t as u64;
                    }
                    let raw = match form {
                        Count::Imm(n) => n as u64,
                        _ => case.state.gpr[RCX] & 0xff,
                    };
                    let n = raw & if size == 8 { 63 } else { 31 };
                    // Counts above the width (16-bit only) are undefined.
                    if n > size as u64 * 8 {
                        continue;
                    }
                    let mask = match n {
                        0 => ARITH,
                        1 => CF | OF | SF | ZF | PF,
                        _ => CF | SF | ZF | PF,
                    };
                    check(&code, &case, mask);
                }
            }
        }
    }
}

#[test]
fn shld() {
    run_double(true);
}

#[test]
fn shrd() {
    run_double(false);
}

/// A CL count of 0 keeps the flags of the instruction before, whatever
/// lazy state that left.
#[test]
fn zero_count_keeps_earlier_flags() {
    let mut rng = Rng::new(77);
    let prefixes: [&[u8]; 4] = [
        &[0x48, 0x01, 0xd8], // add rax, rbx
        &[0x48, 0x29, 0xd8], // sub rax, rbx
        &[0x48, 0x21, 0xd8], // and rax, rbx
        &[0x48, 0xff, 0xc0], // inc rax
    ];
    for pre in prefixes {
        for op in [ROL, RCR, SHL, SHR, SAR] {
            for size in [1, 4, 8] {
                let mut code = pre.to_vec();
                code.extend(group2(op, size, Count::Cl, Rm::Reg(3)));
                // shld rbx, rdx, cl
                let mut code2 = pre.to_vec();
                code2.extend(enc(8, &[], &[0x0f, 0xa5], 2, Rm::Reg(3), &[]));
                for _ in 0..20 {
                    let mut case = rng.case();
                    case.state.gpr[RCX] = rng.next() & 0xc0;
                    check(&code, &case, ARITH);
                    check(&code2, &case, ARITH);
                }
            }
        }
    }
}
