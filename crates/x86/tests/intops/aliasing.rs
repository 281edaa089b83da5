//! Instructions outside the integer families whose 64-bit register
//! operands are read and then overwritten (NEG, ADD/ADC/SUB r, r with one
//! register, XCHG r, r): fixed alongside them, checked against the host.

use crate::harness::*;
use ox86_x86::cpu::eflags::ARITH;

#[test]
fn read_then_overwritten_registers() {
    let mut rng = Rng::new(0xa1);
    let snippets: [&[u8]; 6] = [
        &[0x48, 0xf7, 0xd9],                         // neg rcx
        &[0x48, 0x01, 0xc0],                         // add rax, rax
        &[0x48, 0x11, 0xdb],                         // adc rbx, rbx
        &[0x48, 0x19, 0xc9],                         // sbb rcx, rcx
        &[0x48, 0x87, 0xd8],                         // xchg rax, rbx
        &[0x48, 0xf7, 0xd9, 0x48, 0x83, 0xd3, 0x00], // neg rcx; adc rbx, 0
    ];
    for code in snippets {
        for _ in 0..200 {
            check(code, &rng.case(), ARITH);
        }
    }
}
