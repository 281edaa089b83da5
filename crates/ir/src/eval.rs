//! The meaning of every pure IR op on constant inputs: the contract each
//! backend implements, used by the interpreter and by constant folding.

use crate::op::Cond;
use crate::table::Opcode;

/// Evaluates a pure single-output op on its inputs `a..` and constants;
/// `None` for ops with side effects, two outputs, or control flow.
#[inline(always)]
pub fn eval1(opc: Opcode, ins: [u64; 4], consts: [u64; 2]) -> Option<u64> {
    let [a, b, c, d] = ins;
    Some(match opc {
        Opcode::Mov => a,
        Opcode::Movi => consts[0],
        Opcode::Add => a.wrapping_add(b),
        Opcode::Sub => a.wrapping_sub(b),
        Opcode::Mul => a.wrapping_mul(b),
        Opcode::And => a & b,
        Opcode::Or => a | b,
        Opcode::Xor => a ^ b,
        Opcode::Shl => a << (b & 63),
        Opcode::Shr => a >> (b & 63),
        Opcode::Sar => ((a as i64) >> (b & 63)) as u64,
        Opcode::Rotl => a.rotate_left((b & 63) as u32),
        Opcode::Rotr => a.rotate_right((b & 63) as u32),
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
        Opcode::Setcond => cond(consts[0])?.eval(a, b) as u64,
        Opcode::Movcond => {
            if cond(consts[0])?.eval(a, b) {
                c
            } else {
                d
            }
        }
        _ => return None,
    })
}

/// Evaluates `mulu2` / `muls2`: (low, high) of the 128-bit product.
#[inline(always)]
pub fn eval_mul2(opc: Opcode, a: u64, b: u64) -> Option<(u64, u64)> {
    let p = match opc {
        Opcode::Mulu2 => (a as u128).wrapping_mul(b as u128),
        Opcode::Muls2 => (a as i64 as i128).wrapping_mul(b as i64 as i128) as u128,
        _ => return None,
    };
    Some((p as u64, (p >> 64) as u64))
}

/// Evaluates `divu2` / `divs2`: (quotient, remainder), or `None` where
/// the op is undefined (a zero divisor, or a signed quotient that does
/// not fit).
#[inline(always)]
pub fn eval_div2(opc: Opcode, a: u64, b: u64) -> Option<(u64, u64)> {
    match opc {
        Opcode::Divu2 => Some((a.checked_div(b)?, a.checked_rem(b)?)),
        Opcode::Divs2 => {
            let (a, b) = (a as i64, b as i64);
            Some((a.checked_div(b)? as u64, a.checked_rem(b)? as u64))
        }
        _ => None,
    }
}

fn cond(c: u64) -> Option<Cond> {
    Cond::from_u64(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisions_are_undefined_only_where_div_and_idiv_fault() {
        assert_eq!(eval_div2(Opcode::Divu2, 100, 7), Some((14, 2)));
        assert_eq!(
            eval_div2(Opcode::Divu2, u64::MAX, 2),
            Some((u64::MAX / 2, 1))
        );
        assert_eq!(
            eval_div2(Opcode::Divs2, -100i64 as u64, 7),
            Some((-14i64 as u64, -2i64 as u64))
        );
        assert_eq!(eval_div2(Opcode::Divu2, 1, 0), None);
        assert_eq!(eval_div2(Opcode::Divs2, 1, 0), None);
        assert_eq!(eval_div2(Opcode::Divs2, i64::MIN as u64, u64::MAX), None);
    }

    #[test]
    fn shifts_mask_their_count() {
        assert_eq!(eval1(Opcode::Shl, [1, 65, 0, 0], [0; 2]), Some(2));
        assert_eq!(
            eval1(Opcode::Sar, [u64::MAX << 4, 4, 0, 0], [0; 2]),
            Some(u64::MAX)
        );
    }

    #[test]
    fn mul2_gives_both_halves() {
        assert_eq!(
            eval_mul2(Opcode::Mulu2, u64::MAX, 2),
            Some((u64::MAX - 1, 1))
        );
        assert_eq!(
            eval_mul2(Opcode::Muls2, u64::MAX, 2),
            Some((u64::MAX - 1, u64::MAX))
        );
    }

    #[test]
    fn side_effect_ops_do_not_evaluate() {
        assert_eq!(eval1(Opcode::Ld64, [0; 4], [0; 2]), None);
        assert_eq!(eval1(Opcode::Call, [0; 4], [0; 2]), None);
    }
}
