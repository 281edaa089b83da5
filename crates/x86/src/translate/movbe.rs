//! MOVBE: a 16-, 32- or 64-bit load or store with its bytes reversed.

use super::{Cx, Outcome};
use iced_x86::Mnemonic;
use ox86_ir::{Opcode, Temp};

pub fn translate(cx: &mut Cx) -> Outcome {
    if cx.insn.mnemonic() != Mnemonic::Movbe {
        return Outcome::NotMine;
    }
    let size = cx.op_size(0);
    let a = cx.ea();
    if cx.is_mem(0) {
        let v = cx.read_reg(cx.insn.op1_register());
        let v = swap(cx, size, v);
        cx.store(size, v, a);
    } else {
        let v = cx.load(size, a);
        let v = swap(cx, size, v);
        cx.write_reg(cx.insn.op0_register(), v);
    }
    Outcome::Done
}

/// The `size`-byte value `v` (zero-extended) with its bytes reversed.
fn swap(cx: &mut Cx, size: u32, v: Temp) -> Temp {
    match size {
        8 => cx.b.unop(Opcode::Bswap64, v),
        4 => cx.b.unop(Opcode::Bswap32, v),
        _ => {
            let s = cx.b.unop(Opcode::Bswap32, v);
            cx.b.shri(s, 16)
        }
    }
}
