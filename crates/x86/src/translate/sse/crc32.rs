//! CRC32 (SSE4.2) on general registers, by helper: the 32-bit accumulator
//! in the destination, 1 to 8 source bytes from a register or memory.

use crate::helpers::sse::crc32::CRC32;
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic;

pub fn translate(cx: &mut Cx) -> Outcome {
    if cx.insn.mnemonic() != Mnemonic::Crc32 {
        return Outcome::NotMine;
    }
    let size = cx.op_size(1);
    let mut addr = None;
    let v = cx.read_op(1, size, &mut addr);
    let dst = cx.insn.op_register(0);
    let crc = cx.read_reg(dst);
    let size = cx.b.movi(size as u64);
    let r = cx.call(&CRC32, &[crc, v, size]);
    cx.write_reg(dst, r);
    Outcome::Done
}
