//! CMPXCHG and XADD (register and memory, all widths, with and without
//! LOCK), CMPXCHG8B and CMPXCHG16B (and its #GP on misalignment).

use crate::harness::*;
use ox86_x86::cpu::eflags::ARITH;
use ox86_x86::cpu::excp;

#[test]
fn cmpxchg_xadd() {
    let mut rng = Rng::new(0xca5);
    // (byte opcode, other sizes) after 0F.
    for (op8, op) in [(0xb0u8, 0xb1u8), (0xc0, 0xc1)] {
        for size in [1, 2, 4, 8] {
            let rms: &[Rm] = if size == 1 {
                &[Rm::Reg(3), Rm::Reg(0), Rm::Reg(7), Rm::Reg(9), Rm::Mem(6)]
            } else {
                &[Rm::Reg(3), Rm::Reg(0), Rm::Reg(2), Rm::Reg(9), Rm::Mem(6)]
            };
            for &rm in rms {
                for lock in [false, true] {
                    if lock && !matches!(rm, Rm::Mem(_)) {
                        continue;
                    }
                    let pre: &[u8] = if lock { &[0xf0] } else { &[] };
                    let opc = if size == 1 { op8 } else { op };
                    let code = enc(size, pre, &[0x0f, opc], 2, rm, &[]);
                    for t in 0..300 {
                        let mut case = rng.case();
                        match rm {
                            Rm::Mem(b) => {
                                case.state.gpr[b as usize] = 0;
                                case.ptrs = vec![b as usize];
                                let v = if t % 2 == 0 {
                                    case.state.gpr[RAX]
                                } else {
                                    rng.value()
                                };
                                case.state.mem = v.to_le_bytes().to_vec();
                            }
                            Rm::Reg(r) if t % 2 == 0 && !(size == 1 && (4..8).contains(&r)) => {
                                case.state.gpr[RAX] = case.state.gpr[r as usize];
                            }
                            _ => {}
                        }
                        check(&code, &case, ARITH);
                    }
                }
            }
        }
    }
}

#[test]
fn cmpxchg8b_16b() {
    let mut rng = Rng::new(0x816);
    for wide in [false, true] {
        let size = if wide { 8 } else { 4 };
        for lock in [false, true] {
            let pre: &[u8] = if lock { &[0xf0] } else { &[] };
            let code = enc(size, pre, &[0x0f, 0xc7], 1, Rm::Mem(6), &[]);
            for t in 0..300 {
                let mut case = rng.case();
                case.state.gpr[RSI] = 16 * (rng.next() % 2);
                case.ptrs = vec![RSI];
                let mut mem: Vec<u8> = (0..48).map(|_| rng.next() as u8).collect();
                if t % 2 == 0 {
                    let at = case.state.gpr[RSI] as usize;
                    let (a, d) = (case.state.gpr[RAX], case.state.gpr[RDX]);
                    if wide {
                        mem[at..at + 8].copy_from_slice(&a.to_le_bytes());
                        mem[at + 8..at + 16].copy_from_slice(&d.to_le_bytes());
                    } else {
                        mem[at..at + 4].copy_from_slice(&(a as u32).to_le_bytes());
                        mem[at + 4..at + 8].copy_from_slice(&(d as u32).to_le_bytes());
                    }
                }
                case.state.mem = mem;
                check(&code, &case, ARITH);
            }
        }
    }
}

#[test]
fn cmpxchg16b_misaligned_raises_gp() {
    let mut gpr = [0u64; 16];
    gpr[RSI] = 8;
    let mut case = Case::regs(gpr, 0);
    case.ptrs = vec![RSI];
    case.state.mem = vec![0; 32];
    let code = enc(8, &[0xf0], &[0x0f, 0xc7], 1, Rm::Mem(6), &[]);
    let (after, end) = run_ox86(&code, &case);
    assert_eq!(end, End::Exception(excp::GP, 0));
    assert_eq!(after.gpr, case.state.gpr);
    assert_eq!(after.mem, case.state.mem);
}
