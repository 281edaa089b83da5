//! Lazy condition codes, QEMU style: a flag-setting instruction records
//! (`cc_op`, `cc_dst`, `cc_src`, `cc_src2`); flags are computed only when
//! read. This file owns the encoding and the run-time computation; the
//! translation-time fast paths live in `translate/flags.rs`.

use crate::cpu::eflags::{AF, CF, OF, PF, SF, ZF};

/// What produced the lazy flags. The encoded `cc_op` is `kind * 4 + log2(size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CcKind {
    /// Flags are materialised in `cc_src` (EFLAGS layout).
    Eflags = 0,
    /// `cc_dst` = result, `cc_src` = second operand.
    Add,
    /// As `Add`, `cc_src2` = carry in.
    Adc,
    /// `cc_dst` = result, `cc_src` = second operand.
    Sub,
    /// As `Sub`, `cc_src2` = borrow in.
    Sbb,
    /// AND/OR/XOR/TEST: `cc_dst` = result; CF = OF = 0.
    Logic,
    /// `cc_dst` = result, `cc_src` = CF before the instruction.
    Inc,
    /// `cc_dst` = result, `cc_src` = CF before the instruction.
    Dec,
    /// `cc_dst` = result, `cc_src` = operand shifted left by count-1.
    Shl,
    /// SAR/SHR: `cc_dst` = result, `cc_src` = operand shifted right by count-1.
    Sar,
    /// MUL/IMUL: `cc_dst` = low result, `cc_src` nonzero when CF = OF = 1.
    Mul,
    /// Two- and three-operand IMUL of 1, 2 or 4 bytes: `cc_dst` = result,
    /// `cc_src` = the whole product of the sign-extended operands; CF =
    /// OF = 1 when it is not the result sign-extended.
    Imul,
}

/// `cc_op` value for flags held in `cc_src`.
pub const CC_OP_EFLAGS: u64 = 0;

/// Bit of a `cc_op`: a rotate by a nonzero count came after the
/// instruction the rest of the state describes. CF and OF are those of
/// `cc_src2` (EFLAGS layout), the other flags those the state gives
/// without this bit (whose kind must not use `cc_src2`).
pub const CC_OP_ROT: u64 = 1 << 8;

impl CcKind {
    /// Encodes kind and operand size (bytes: 1, 2, 4, 8) as a `cc_op`.
    pub const fn op(self, size: u32) -> u64 {
        let log2 = match size {
            1 => 0,
            2 => 1,
            4 => 2,
            _ => 3,
        };
        if matches!(self, CcKind::Eflags) {
            return CC_OP_EFLAGS;
        }
        self as u64 * 4 + log2
    }

    /// Decodes a `cc_op` into kind and size in bytes.
    pub fn decode(cc_op: u64) -> (CcKind, u32) {
        const KINDS: [CcKind; 12] = [
            CcKind::Eflags,
            CcKind::Add,
            CcKind::Adc,
            CcKind::Sub,
            CcKind::Sbb,
            CcKind::Logic,
            CcKind::Inc,
            CcKind::Dec,
            CcKind::Shl,
            CcKind::Sar,
            CcKind::Mul,
            CcKind::Imul,
        ];
        let kind = KINDS
            .get((cc_op / 4) as usize)
            .copied()
            .unwrap_or(CcKind::Eflags);
        (kind, 1 << (cc_op % 4))
    }
}

/// PF: set when the low byte of `v` has an even number of set bits.
pub fn parity(v: u64) -> u64 {
    if (v as u8).count_ones().is_multiple_of(2) {
        PF
    } else {
        0
    }
}

/// The six arithmetic flags for a lazy state.
pub fn compute_all(cc_op: u64, dst: u64, src: u64, src2: u64) -> u64 {
    if cc_op & CC_OP_ROT != 0 {
        let rest = compute_all(cc_op & !CC_OP_ROT, dst, src, 0);
        return (rest & !(CF | OF)) | (src2 & (CF | OF));
    }
    let (kind, size) = CcKind::decode(cc_op);
    let bits = size * 8;
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let sign = 1u64 << (bits - 1);
    let d = dst & mask;
    let zf_sf_pf =
        |d: u64| (if d == 0 { ZF } else { 0 }) | (if d & sign != 0 { SF } else { 0 }) | parity(d);
    let flag = |b: bool, f: u64| if b { f } else { 0 };
    match kind {
        CcKind::Eflags => src & (CF | PF | AF | ZF | SF | OF),
        CcKind::Add | CcKind::Adc => {
            let carry = if kind == CcKind::Adc { src2 & 1 } else { 0 };
            let s2 = src & mask;
            let s1 = d.wrapping_sub(s2).wrapping_sub(carry) & mask;
            let cf = if carry != 0 { d <= s1 } else { d < s1 };
            flag(cf, CF)
                | zf_sf_pf(d)
                | ((d ^ s1 ^ s2) & AF)
                | flag((!(s1 ^ s2) & (s1 ^ d)) & sign != 0, OF)
        }
        CcKind::Sub | CcKind::Sbb => {
            let borrow = if kind == CcKind::Sbb { src2 & 1 } else { 0 };
            let s2 = src & mask;
            let s1 = d.wrapping_add(s2).wrapping_add(borrow) & mask;
            let cf = if borrow != 0 { s1 <= s2 } else { s1 < s2 };
            flag(cf, CF)
                | zf_sf_pf(d)
                | ((d ^ s1 ^ s2) & AF)
                | flag(((s1 ^ s2) & (s1 ^ d)) & sign != 0, OF)
        }
        CcKind::Logic => zf_sf_pf(d),
        CcKind::Inc => {
            let s1 = d.wrapping_sub(1) & mask;
            (src & CF) | zf_sf_pf(d) | ((d ^ s1 ^ 1) & AF) | flag(d == sign, OF)
        }
        CcKind::Dec => {
            let s1 = d.wrapping_add(1) & mask;
            (src & CF) | zf_sf_pf(d) | ((d ^ s1 ^ 1) & AF) | flag(d == sign - 1, OF)
        }
        CcKind::Shl => flag(src & sign != 0, CF) | zf_sf_pf(d) | flag((src ^ d) & sign != 0, OF),
        CcKind::Sar => flag(src & 1 != 0, CF) | zf_sf_pf(d) | flag((src ^ d) & sign != 0, OF),
        CcKind::Mul => flag(src != 0, CF | OF) | zf_sf_pf(d),
        CcKind::Imul => flag(src != sext(d, bits), CF | OF) | zf_sf_pf(d),
    }
}

/// How CF follows from a lazy-flags state with no arithmetic (see
/// `CF_SHORTCUTS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfShortcut {
    /// CF is clear.
    Clear,
    /// CF is bit 0 of `cc_src`.
    SrcBit0,
}

/// The `cc_op`s whose CF needs no arithmetic, as (mask, value, rule): a
/// `cc_op` with `cc_op & mask == value` has its CF by the rule. Flags held
/// in `cc_src` and the CF that INC and DEC keep there are its bit 0; a
/// logic op clears CF. What the JIT answers inline at a `cc_compute_c`
/// (`ox86_jit`'s `lazy_cf`); a `cc_op` with `CC_OP_ROT` matches none.
pub const CF_SHORTCUTS: [(u64, u64, CfShortcut); 3] = [
    (!0, CC_OP_EFLAGS, CfShortcut::SrcBit0),
    (!3, CcKind::Logic.op(1), CfShortcut::Clear),
    // INC and DEC, each size.
    (!7, CcKind::Inc.op(1), CfShortcut::SrcBit0),
];

/// The low `bits` bits of `v` sign-extended.
fn sext(v: u64, bits: u32) -> u64 {
    (((v << (64 - bits)) as i64) >> (64 - bits)) as u64
}

/// CF alone (0 or 1) for a lazy state: `compute_all(..) & CF` without the
/// other five flags.
pub fn compute_c(cc_op: u64, dst: u64, src: u64, src2: u64) -> u64 {
    if cc_op & CC_OP_ROT != 0 {
        return src2 & CF;
    }
    let (kind, size) = CcKind::decode(cc_op);
    let bits = size * 8;
    let mask = u64::MAX >> (64 - bits);
    let d = dst & mask;
    let s2 = src & mask;
    let cf = match kind {
        CcKind::Eflags | CcKind::Inc | CcKind::Dec => return src & CF,
        CcKind::Logic => false,
        CcKind::Add => d < s2,
        CcKind::Adc => {
            let s1 = d.wrapping_sub(s2).wrapping_sub(src2 & 1) & mask;
            if src2 & 1 != 0 {
                d <= s1
            } else {
                d < s1
            }
        }
        CcKind::Sub => d.wrapping_add(s2) & mask < s2,
        CcKind::Sbb => {
            let s1 = d.wrapping_add(s2).wrapping_add(src2 & 1) & mask;
            if src2 & 1 != 0 {
                s1 <= s2
            } else {
                s1 < s2
            }
        }
        CcKind::Shl => src >> (bits - 1) & 1 != 0,
        CcKind::Sar => src & 1 != 0,
        CcKind::Mul => src != 0,
        CcKind::Imul => src != sext(d, bits),
    };
    cf as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cf_shortcuts_agree_with_compute_c() {
        assert_eq!(CcKind::Dec.op(1), CcKind::Inc.op(1) + 4);
        let values = [
            0u64,
            1,
            0x7f,
            0x80,
            0xffff_ffff,
            1 << 63,
            u64::MAX,
            0x1234_5678_9abc_def1,
        ];
        let mut matched = 0;
        for op in (0..64u64).flat_map(|op| [op, op | CC_OP_ROT]) {
            let rule = CF_SHORTCUTS.iter().find(|&&(m, v, _)| op & m == v);
            let kind = CcKind::decode(op & !CC_OP_ROT).0;
            let expected_kind = op & CC_OP_ROT == 0
                && matches!(
                    kind,
                    CcKind::Eflags | CcKind::Logic | CcKind::Inc | CcKind::Dec
                )
                && (kind != CcKind::Eflags || op == CC_OP_EFLAGS);
            assert_eq!(rule.is_some(), expected_kind, "cc_op {op:#x}");
            let Some(&(_, _, rule)) = rule else { continue };
            matched += 1;
            for &dst in &values {
                for &src in &values {
                    for &src2 in &values {
                        let want = match rule {
                            CfShortcut::Clear => 0,
                            CfShortcut::SrcBit0 => src & 1,
                        };
                        assert_eq!(compute_c(op, dst, src, src2), want, "cc_op {op:#x}");
                    }
                }
            }
        }
        assert_eq!(matched, 1 + 4 + 8);
    }

    /// `compute_c` is `compute_all`'s CF for every kind, size and rotate
    /// bit, on edge and random operands.
    #[test]
    fn compute_c_is_compute_alls_cf() {
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let edges = [
            0,
            1,
            0x7f,
            0x80,
            0xff,
            0xffff,
            1 << 31,
            u32::MAX as u64,
            1 << 63,
            u64::MAX,
        ];
        for i in 0..100_000u64 {
            let mut val = |k: u64| {
                let r = next();
                if k.is_multiple_of(2) {
                    edges[(r % 10) as usize].wrapping_add(r % 3).wrapping_sub(1)
                } else {
                    r
                }
            };
            let (dst, src, src2) = (val(i), val(i >> 1), val(i >> 2) & (CF | OF | 1));
            for kind in 1..=11u64 {
                for log2 in 0..4 {
                    for rot in [0, CC_OP_ROT] {
                        let op = (kind * 4 + log2) | rot;
                        let all = compute_all(op, dst, src, src2);
                        let what = format!("{op:#x} {dst:#x} {src:#x} {src2:#x}");
                        assert_eq!(compute_c(op, dst, src, src2), all & CF, "{what}");
                    }
                }
            }
            let all = compute_all(CC_OP_EFLAGS, dst, src, src2);
            assert_eq!(compute_c(CC_OP_EFLAGS, dst, src, src2), all & CF);
        }
    }

    fn flags(kind: CcKind, size: u32, dst: u64, src: u64, src2: u64) -> u64 {
        compute_all(kind.op(size), dst, src, src2)
    }

    // Values follow the SDM's definitions of each flag (vol. 1, 3.4.3.1,
    // and the ADD/SUB/INC/DEC/SHL/SAR/MUL pages).
    #[test]
    fn add_family() {
        // 0xff + 1 = 0x00: CF, ZF, AF, PF; no OF.
        assert_eq!(flags(CcKind::Add, 1, 0x00, 1, 0), CF | ZF | AF | PF);
        // 0x7f + 1 = 0x80: OF, SF, AF.
        assert_eq!(flags(CcKind::Add, 1, 0x80, 1, 0), OF | SF | AF);
        // 0xffffffff + 0xffffffff + carry 1 = 0xffffffff, CF.
        assert_eq!(
            flags(CcKind::Adc, 4, 0xffff_ffff, 0xffff_ffff, 1),
            CF | SF | PF | AF
        );
        // 64-bit: 0x8000..0 + 0x8000..0 = 0: CF, OF, ZF, PF.
        assert_eq!(flags(CcKind::Add, 8, 0, 1 << 63, 0), CF | OF | ZF | PF);
    }

    #[test]
    fn sub_family() {
        // cmp 0, 1: 0 - 1 = 0xffff: CF, SF, AF, PF.
        assert_eq!(flags(CcKind::Sub, 2, 0xffff, 1, 0), CF | SF | AF | PF);
        // 0x80 - 1 = 0x7f: OF, AF.
        assert_eq!(flags(CcKind::Sub, 1, 0x7f, 1, 0), OF | AF);
        // sbb 5, 5 with borrow: 5 - 5 - 1 = -1: CF.
        assert_eq!(flags(CcKind::Sbb, 4, 0xffff_ffff, 5, 1), CF | SF | PF | AF);
        // 5 - 5 = 0: ZF, PF.
        assert_eq!(flags(CcKind::Sub, 8, 0, 5, 0), ZF | PF);
    }

    #[test]
    fn inc_dec_keep_cf() {
        assert_eq!(flags(CcKind::Inc, 1, 0x80, CF, 0), CF | OF | SF | AF);
        assert_eq!(flags(CcKind::Dec, 4, 0x7fff_ffff, 0, 0), OF | AF | PF);
        assert_eq!(flags(CcKind::Dec, 8, 0, 0, 0), ZF | PF);
    }

    #[test]
    fn logic_clears_cf_of() {
        assert_eq!(flags(CcKind::Logic, 1, 0x81, 0, 0), SF | PF);
        assert_eq!(flags(CcKind::Logic, 8, 0, 0, 0), ZF | PF);
    }

    #[test]
    fn shifts() {
        // shl al(0x81), 1 = 0x02: CF = old msb, OF = CF ^ new msb = 1.
        assert_eq!(flags(CcKind::Shl, 1, 0x02, 0x81, 0), CF | OF);
        // shr al(0x81), 1 = 0x40: CF = 1, OF = old msb = 1.
        assert_eq!(flags(CcKind::Sar, 1, 0x40, 0x81, 0), CF | OF);
        // sar al(0x81), 1 = 0xc0: CF = 1, OF = 0, SF, PF.
        assert_eq!(flags(CcKind::Sar, 1, 0xc0, 0x81, 0), CF | SF | PF);
    }

    #[test]
    fn mul_and_eflags() {
        assert_eq!(flags(CcKind::Mul, 4, 1, 1, 0) & (CF | OF), CF | OF);
        assert_eq!(flags(CcKind::Mul, 4, 1, 0, 0) & (CF | OF), 0);
        assert_eq!(compute_all(CC_OP_EFLAGS, 0, CF | ZF | 0x200, 0), CF | ZF);
        // imul r32: -2 * 3 = -6 fits; 0x10000 * 0x10000 does not.
        let p = (-6i64) as u64;
        assert_eq!(flags(CcKind::Imul, 4, p & 0xffff_ffff, p, 0), SF | PF);
        assert_eq!(flags(CcKind::Imul, 4, 0, 1 << 32, 0), CF | OF | ZF | PF);
        assert_eq!(flags(CcKind::Imul, 1, 0x80, 0x80, 0) & (CF | OF), CF | OF);
    }

    #[test]
    fn rotate_replaces_cf_and_of_only() {
        // sub 0x80 - 1 = 0x7f (OF, AF), then a rotate setting CF only.
        let sub = CcKind::Sub.op(1);
        assert_eq!(compute_all(sub, 0x7f, 1, 0), OF | AF);
        assert_eq!(compute_all(sub | CC_OP_ROT, 0x7f, 1, CF), CF | AF);
        // and 0 (ZF, PF), then a rotate setting OF.
        let logic = CcKind::Logic.op(4);
        assert_eq!(
            compute_all(logic | CC_OP_ROT, 0, 0, OF | 0x40),
            ZF | PF | OF
        );
    }

    #[test]
    fn parity_counts_low_byte_only() {
        assert_eq!(parity(0x0300), PF);
        assert_eq!(parity(0x01), 0);
        assert_eq!(parity(0x03), PF);
    }
}
