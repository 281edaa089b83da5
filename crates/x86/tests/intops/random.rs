//! RDRAND and RDSEED under ox86 (the host's values cannot be compared):
//! CF set and the other arithmetic flags clear, the destination written by
//! the operand-size rules, and fresh values each time.

use crate::harness::*;
use iced_x86::code_asm::*;
use ox86_x86::cpu::eflags::{ARITH, CF};

#[test]
fn rdrand_rdseed_set_cf_and_write_the_destination() {
    let mut rng = Rng::new(0x7d);
    let forms = [
        (asm(|a| a.rdrand(rax)), u64::MAX),
        (asm(|a| a.rdrand(eax)), u32::MAX as u64),
        (asm(|a| a.rdrand(ax)), 0xffff),
        (asm(|a| a.rdseed(rax)), u64::MAX),
        (asm(|a| a.rdseed(eax)), u32::MAX as u64),
        (asm(|a| a.rdseed(ax)), 0xffff),
    ];
    for (code, mask) in forms {
        let mut seen = Vec::new();
        for _ in 0..20 {
            let mut case = rng.case();
            case.state.rflags |= ARITH;
            let before = case.state.gpr[RAX];
            let (after, end) = run_ox86(&code, &case);
            assert_eq!(end, End::Done);
            assert_eq!(after.rflags & ARITH, CF);
            let kept = if mask == 0xffff { before & !mask } else { 0 };
            assert_eq!(after.gpr[RAX] & !mask, kept);
            seen.push(after.gpr[RAX] & mask);
        }
        seen.sort_unstable();
        seen.dedup();
        assert!(seen.len() >= 15, "{} distinct values of 20", seen.len());
    }
}
