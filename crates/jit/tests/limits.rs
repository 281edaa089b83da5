//! Resource limits: a full code cache and a TB needing more spill slots
//! than the frame has are reported, not mishandled.

mod common;

use common::{adder, block, g, goto, jit};
use ox86_ir::{Cond, Temp};
use ox86_jit::JitError;
use ox86_x86::cpu::reg;

const PC_A: u64 = 0x1000;
const PC_B: u64 = 0x2000;

#[test]
fn code_cache_fills_up() {
    let mut j = jit();
    let mut n = 0;
    loop {
        match j.compile(&adder(PC_A, 1, PC_B), PC_A) {
            Ok(_) => n += 1,
            Err(JitError::CacheFull) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(n > 100);
    j.flush();
    assert!(j.compile(&adder(PC_A, 1, PC_B), PC_A).is_ok());
}

#[test]
fn too_many_live_values_across_a_branch() {
    let mut j = jit();
    let mut b = block();
    b.insn_start(PC_A);
    // 300 values live across a block boundary need 300 frame slots.
    let vals: Vec<Temp> = (0..300u64)
        .map(|k| {
            let c = b.movi(k);
            b.add(g(reg::RAX), c)
        })
        .collect();
    let l = b.label();
    b.brcond(Cond::Eq, g(reg::RAX), g(reg::RBX), l);
    b.set_label(l);
    let mut acc = g(reg::RAX);
    for v in vals {
        acc = b.xor(acc, v);
    }
    b.mov_to(g(reg::RAX), acc);
    goto(&mut b, PC_B, 0);
    assert!(matches!(
        j.compile(&b, PC_A),
        Err(JitError::TooManySpills(_))
    ));
}
