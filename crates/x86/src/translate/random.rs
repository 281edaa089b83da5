//! RDRAND and RDSEED: a random value in the destination register, CF = 1
//! (the value is valid) and OF, SF, ZF, AF, PF clear.

use super::{Cx, Outcome};
use crate::cpu::eflags::CF;
use crate::helpers::random::{RDRAND, RDSEED};
use iced_x86::Mnemonic;

pub fn translate(cx: &mut Cx) -> Outcome {
    let h = match cx.insn.mnemonic() {
        Mnemonic::Rdrand => &RDRAND,
        Mnemonic::Rdseed => &RDSEED,
        _ => return Outcome::NotMine,
    };
    let v = cx.call(h, &[]);
    cx.write_reg(cx.insn.op0_register(), v);
    let flags = cx.b.movi(CF);
    cx.set_cc_eflags(flags);
    Outcome::Done
}
