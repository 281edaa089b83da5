//! BMI1, BMI2, ADX and MOVBE against the host, in 32- and 64-bit forms
//! with register and memory sources: every register, memory, and every
//! flag the SDM defines (all of them for the instructions that leave the
//! flags alone).

use crate::harness::*;
use iced_x86::code_asm::*;
use ox86_x86::cpu::eflags::{ARITH, CF, OF, SF, ZF};

type Emit = fn(&mut CodeAssembler, bool, bool) -> Result<(), IcedError>;

/// A count or bit index near the interesting range (below, at and past the
/// operand width), sometimes with other bits set.
fn index(rng: &mut Rng) -> u64 {
    match rng.next() % 4 {
        0 => rng.next() % 70,
        1 => rng.next() % 256,
        2 => ((rng.next() % 70) << 8) | (rng.next() % 70),
        _ => rng.value(),
    }
}

/// Runs `emit(wide, mem)` for both widths and both source kinds: RAX is
/// the destination, RBX and RCX (or [RSI]) the sources; RCX and the memory
/// hold `second(rng)`.
fn check_forms(seed: u64, flags: u64, emit: Emit, second: fn(&mut Rng) -> u64) {
    let mut rng = Rng::new(seed);
    for wide in [false, true] {
        for mem in [false, true] {
            let code = asm(|a| emit(a, wide, mem));
            for _ in 0..300 {
                let mut case = rng.case();
                let v = second(&mut rng);
                case.state.gpr[RCX] = v;
                case.state.gpr[RSI] = 0;
                case.ptrs = vec![RSI];
                case.state.mem = v.to_le_bytes().to_vec();
                check(&code, &case, flags);
            }
        }
    }
}

/// `insn dst, src1, src2` with src2 = RCX or [RSI].
macro_rules! three {
    ($insn:ident) => {
        |a: &mut CodeAssembler, wide: bool, mem: bool| match (wide, mem) {
            (true, false) => a.$insn(rax, rbx, rcx),
            (true, true) => a.$insn(rax, rbx, qword_ptr(rsi)),
            (false, false) => a.$insn(eax, ebx, ecx),
            (false, true) => a.$insn(eax, ebx, dword_ptr(rsi)),
        }
    };
}

/// `insn dst, src1, src2` with src1 = RCX or [RSI] and src2 = RBX.
macro_rules! three_rm_first {
    ($insn:ident) => {
        |a: &mut CodeAssembler, wide: bool, mem: bool| match (wide, mem) {
            (true, false) => a.$insn(rax, rcx, rbx),
            (true, true) => a.$insn(rax, qword_ptr(rsi), rbx),
            (false, false) => a.$insn(eax, ecx, ebx),
            (false, true) => a.$insn(eax, dword_ptr(rsi), ebx),
        }
    };
}

/// `insn dst, src` with src = RCX or [RSI].
macro_rules! two {
    ($insn:ident) => {
        |a: &mut CodeAssembler, wide: bool, mem: bool| match (wide, mem) {
            (true, false) => a.$insn(rax, rcx),
            (true, true) => a.$insn(rax, qword_ptr(rsi)),
            (false, false) => a.$insn(eax, ecx),
            (false, true) => a.$insn(eax, dword_ptr(rsi)),
        }
    };
}

#[test]
fn bmi1() {
    check_forms(0xb1, SF | ZF | CF | OF, three!(andn), |r| r.value());
    // BEXTR's control is the register operand.
    check_forms(0xb2, ZF | CF | OF, three_rm_first!(bextr), |r| r.value());
    let mut rng = Rng::new(0xb3);
    for wide in [false, true] {
        let code = asm(|a| {
            if wide {
                a.bextr(rax, rdx, rcx)
            } else {
                a.bextr(eax, edx, ecx)
            }
        });
        for _ in 0..2000 {
            let mut case = rng.case();
            case.state.gpr[RCX] = index(&mut rng);
            check(&code, &case, ZF | CF | OF);
        }
    }
    check_forms(0xb4, SF | ZF | CF | OF, two!(blsi), |r| r.value());
    check_forms(0xb5, SF | ZF | CF | OF, two!(blsmsk), |r| r.value());
    check_forms(0xb6, SF | ZF | CF | OF, two!(blsr), |r| r.value());
}

#[test]
fn bmi2() {
    check_forms(0xb7, SF | ZF | CF | OF, three_rm_first!(bzhi), |r| {
        r.value()
    });
    let mut rng = Rng::new(0xb8);
    for wide in [false, true] {
        let code = asm(|a| {
            if wide {
                a.bzhi(rax, rdx, rcx)
            } else {
                a.bzhi(eax, edx, ecx)
            }
        });
        for _ in 0..2000 {
            let mut case = rng.case();
            case.state.gpr[RCX] = index(&mut rng);
            check(&code, &case, SF | ZF | CF | OF);
        }
    }
    check_forms(0xb9, ARITH, three!(mulx), |r| r.value());
    // MULX with both destinations in one register keeps the high half.
    let mut rng = Rng::new(0xba);
    for code in [
        asm(|a| a.mulx(rax, rax, rcx)),
        asm(|a| a.mulx(eax, eax, ecx)),
        asm(|a| a.mulx(rdx, rbx, rdx)),
    ] {
        for _ in 0..300 {
            check(&code, &rng.case(), ARITH);
        }
    }
    check_forms(0xbb, ARITH, three!(pdep), |r| r.value());
    check_forms(0xbc, ARITH, three!(pext), |r| r.value());
    check_forms(0xbd, ARITH, three_rm_first!(sarx), index);
    check_forms(0xbe, ARITH, three_rm_first!(shlx), index);
    check_forms(0xbf, ARITH, three_rm_first!(shrx), index);
    let mut rng = Rng::new(0xc0);
    for imm in [0, 1, 7, 31, 32, 33, 63, 64, 200] {
        for (wide, mem) in [(false, false), (false, true), (true, false), (true, true)] {
            let code = asm(|a| match (wide, mem) {
                (true, false) => a.rorx(rax, rcx, imm),
                (true, true) => a.rorx(rax, qword_ptr(rsi), imm),
                (false, false) => a.rorx(eax, ecx, imm),
                (false, true) => a.rorx(eax, dword_ptr(rsi), imm),
            });
            for _ in 0..50 {
                let mut case = rng.case();
                case.state.gpr[RSI] = 0;
                case.ptrs = vec![RSI];
                case.state.mem = rng.value().to_le_bytes().to_vec();
                check(&code, &case, ARITH);
            }
        }
    }
}

#[test]
fn adx() {
    check_forms(0xad, ARITH, two!(adcx), |r| r.value());
    check_forms(0xae, ARITH, two!(adox), |r| r.value());
    // Two interleaved carry chains, as in multi-precision multiplication.
    let mut rng = Rng::new(0xaf);
    let code = asm(|a| {
        a.adcx(rax, rcx)?;
        a.adox(rbx, rdx)?;
        a.adcx(r8, r9)?;
        a.adox(r10, r11)?;
        a.adcx(r12d, r13d)?;
        a.adox(r14d, r15d)
    });
    for _ in 0..2000 {
        check(&code, &rng.case(), ARITH);
    }
}

#[test]
fn movbe() {
    let mut rng = Rng::new(0xbe);
    let forms = [
        asm(|a| a.movbe(ax, word_ptr(rsi))),
        asm(|a| a.movbe(eax, dword_ptr(rsi))),
        asm(|a| a.movbe(rax, qword_ptr(rsi))),
        asm(|a| a.movbe(word_ptr(rsi + 2), cx)),
        asm(|a| a.movbe(dword_ptr(rsi + 1), ecx)),
        asm(|a| a.movbe(qword_ptr(rsi + 3), rcx)),
    ];
    for code in forms {
        for _ in 0..200 {
            let mut case = rng.case();
            case.state.gpr[RSI] = 0;
            case.ptrs = vec![RSI];
            case.state.mem = (0..16).map(|_| rng.next() as u8).collect();
            check(&code, &case, ARITH);
        }
    }
}
