//! BT BTS BTR BTC (register and immediate offsets, register and memory
//! bit strings), BSF BSR, LZCNT TZCNT POPCNT, BSWAP.

use crate::harness::*;
use ox86_x86::cpu::eflags::{ARITH, CF, ZF};

fn sparse(rng: &mut Rng) -> u64 {
    // Zero and few-bit values exercise the scans' edge cases.
    match rng.next() % 4 {
        0 => 0,
        1 => 1 << (rng.next() % 64),
        2 => rng.value() & rng.value(),
        _ => rng.value(),
    }
}

#[test]
fn bt_family() {
    let mut rng = Rng::new(0xb7);
    // (register-offset opcode, 0F BA extension)
    for (opc, ext) in [(0xa3, 4), (0xab, 5), (0xb3, 6), (0xbb, 7)] {
        for size in [2, 4, 8] {
            for rm in [Rm::Reg(3), Rm::Reg(11), Rm::Mem(6)] {
                for t in 0..400 {
                    let code = if t % 2 == 0 {
                        enc(size, &[], &[0x0f, opc], 2, rm, &[])
                    } else {
                        enc(size, &[], &[0x0f, 0xba], ext, rm, &[rng.next() as u8])
                    };
                    let mut case = rng.case();
                    if let Rm::Mem(b) = rm {
                        // The bit string reaches 32 bytes either side.
                        case.state.gpr[b as usize] = 32;
                        case.ptrs = vec![b as usize];
                        case.state.mem = (0..64).map(|_| rng.next() as u8).collect();
                        let off = (rng.next() % 512) as i64 - 256;
                        case.state.gpr[RDX] = off as u64;
                    }
                    check(&code, &case, CF | ZF);
                }
            }
        }
    }
}

#[test]
fn bsf_bsr() {
    let mut rng = Rng::new(0xb5f);
    for opc in [0xbc, 0xbd] {
        for size in [2, 4, 8] {
            for rm in [Rm::Reg(3), Rm::Reg(2), Rm::Mem(6)] {
                let code = enc(size, &[], &[0x0f, opc], 2, rm, &[]);
                for _ in 0..300 {
                    let mut case = rng.case();
                    case.state.gpr[RBX] = sparse(&mut rng);
                    if let Rm::Mem(b) = rm {
                        case.state.gpr[b as usize] = 0;
                        case.ptrs = vec![b as usize];
                        case.state.mem = sparse(&mut rng).to_le_bytes().to_vec();
                    }
                    check(&code, &case, ZF);
                }
            }
        }
    }
}

#[test]
fn lzcnt_tzcnt_popcnt() {
    let mut rng = Rng::new(0x1c);
    for (opc, flags) in [(0xbd, CF | ZF), (0xbc, CF | ZF), (0xb8, ARITH)] {
        for size in [2, 4, 8] {
            for rm in [Rm::Reg(3), Rm::Reg(2), Rm::Mem(6)] {
                let code = enc(size, &[0xf3], &[0x0f, opc], 2, rm, &[]);
                for _ in 0..300 {
                    let mut case = rng.case();
                    case.state.gpr[RBX] = sparse(&mut rng);
                    if let Rm::Mem(b) = rm {
                        case.state.gpr[b as usize] = 0;
                        case.ptrs = vec![b as usize];
                        case.state.mem = sparse(&mut rng).to_le_bytes().to_vec();
                    }
                    check(&code, &case, flags);
                }
            }
        }
    }
}

#[test]
fn bswap() {
    let mut rng = Rng::new(0xb5);
    for size in [2, 4, 8] {
        for r in [0u8, 3, 9, 15] {
            let mut code = Vec::new();
            if size == 2 {
                code.push(0x66);
            }
            let rex = 0x40 | if size == 8 { 8 } else { 0 } | (r >> 3);
            if rex != 0x40 {
                code.push(rex);
            }
            code.extend([0x0f, 0xc8 + (r & 7)]);
            for _ in 0..20 {
                check(&code, &rng.case(), ARITH);
            }
        }
    }
}
