//! CLFLUSH, CLFLUSHOPT and CLWB against the host: no change to registers,
//! flags or memory.

use crate::harness::*;
use iced_x86::code_asm::*;
use ox86_x86::cpu::eflags::ARITH;

#[test]
fn cache_line_flushes_change_nothing() {
    let mut rng = Rng::new(0xc1f);
    for code in [
        asm(|a| a.clflush(byte_ptr(rsi + 3))),
        asm(|a| a.clflushopt(byte_ptr(rsi + 70))),
        asm(|a| a.clwb(byte_ptr(rsi))),
    ] {
        for _ in 0..20 {
            let mut case = rng.case();
            case.state.gpr[RSI] = 0;
            case.ptrs = vec![RSI];
            case.state.mem = (0..128).map(|_| rng.next() as u8).collect();
            check(&code, &case, ARITH);
        }
    }
}
