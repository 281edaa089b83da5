//! Constant folding at code generation: a pure op whose inputs are all
//! known constants becomes a constant (the translator emits many, e.g.
//! `movi 0` then `ext32u`).

use ox86_ir::Opcode;

/// The value of pure op `opc` on constant inputs, if `opc` folds.
pub(crate) fn fold(opc: Opcode, a: u64, b: u64) -> Option<u64> {
    let sh = (b & 63) as u32;
    Some(match opc {
        Opcode::Add => a.wrapping_add(b),
        Opcode::Sub => a.wrapping_sub(b),
        Opcode::Mul => a.wrapping_mul(b),
        Opcode::And => a & b,
        Opcode::Or => a | b,
        Opcode::Xor => a ^ b,
        Opcode::Shl => a << sh,
        Opcode::Shr => a >> sh,
        Opcode::Sar => ((a as i64) >> sh) as u64,
        Opcode::Rotl => a.rotate_left(sh),
        Opcode::Rotr => a.rotate_right(sh),
        Opcode::Not => !a,
        Opcode::Neg => a.wrapping_neg(),
        Opcode::Ext8s => a as i8 as i64 as u64,
        Opcode::Ext8u => a as u8 as u64,
        Opcode::Ext16s => a as i16 as i64 as u64,
        Opcode::Ext16u => a as u16 as u64,
        Opcode::Ext32s => a as i32 as i64 as u64,
        Opcode::Ext32u => a as u32 as u64,
        Opcode::Ctz => a.trailing_zeros() as u64,
        Opcode::Clz => a.leading_zeros() as u64,
        Opcode::Ctpop => a.count_ones() as u64,
        Opcode::Bswap64 => a.swap_bytes(),
        Opcode::Bswap32 => (a as u32).swap_bytes() as u64,
        _ => return None,
    })
}
