//! Short encodings of run-time operands: dynasm encodes a displacement or
//! immediate given as a Rust value in 32 bits; these emit the 8-bit form
//! (SDM vol. 2, 2.1.5: disp8, the sign-extended imm8 of 83 and 6B) when
//! the value fits, which makes generated code about an eighth smaller.

/// `dynasm!` of one instruction whose memory operand, written
/// `[Rq(b) + d]`, `[Rq(b) - d]` or `[Rq(b) + Rq(x) * k + d]` with `d` an
/// `i32` variable, gets an 8-bit displacement when `d` fits in one
/// (`[Rq(x) * k + d]`, without a base, has none).
macro_rules! short_disp {
    (@at $a:expr, [$($pre:tt)*] [Rq($b:expr) + $d:ident] $($post:tt)*) => {{
        let d: i32 = $d;
        if let Ok(d8) = i8::try_from(d) {
            dynasm!($a ; .arch x64 ; $($pre)* [BYTE Rq($b) + d8] $($post)*)
        } else {
            dynasm!($a ; .arch x64 ; $($pre)* [Rq($b) + d] $($post)*)
        }
    }};
    (@at $a:expr, [$($pre:tt)*] [Rq($b:expr) - $d:ident] $($post:tt)*) => {{
        let d: i32 = $d;
        if let Ok(d8) = i8::try_from(d.wrapping_neg()) {
            dynasm!($a ; .arch x64 ; $($pre)* [BYTE Rq($b) + d8] $($post)*)
        } else {
            dynasm!($a ; .arch x64 ; $($pre)* [Rq($b) - d] $($post)*)
        }
    }};
    (@at $a:expr, [$($pre:tt)*] [Rq($b:expr) + Rq($x:expr) * $k:tt + $d:ident] $($post:tt)*) => {{
        let d: i32 = $d;
        if let Ok(d8) = i8::try_from(d) {
            dynasm!($a ; .arch x64 ; $($pre)* [BYTE Rq($b) + Rq($x) * $k + d8] $($post)*)
        } else {
            dynasm!($a ; .arch x64 ; $($pre)* [Rq($b) + Rq($x) * $k + d] $($post)*)
        }
    }};
    // No base: the displacement is always 32 bits (SDM vol. 2, table 2-3).
    (@at $a:expr, [$($pre:tt)*] [Rq($x:expr) * $k:tt + $d:ident] $($post:tt)*) => {{
        let d: i32 = $d;
        dynasm!($a ; .arch x64 ; $($pre)* [Rq($x) * $k + d] $($post)*)
    }};
    (@at $a:expr, [$($pre:tt)*] $t:tt $($rest:tt)*) => {
        short_disp!(@at $a, [$($pre)* $t] $($rest)*)
    };
    ($a:expr ; $($insn:tt)*) => {
        short_disp!(@at $a, [] $($insn)*)
    };
}

/// `dynasm!` of one instruction `insn, c` whose last operand is the `i32`
/// immediate `c`, given apart: `short_imm!(a, c ; add Rq(r))`. Uses the
/// sign-extended 8-bit form when `c` fits in one, so only for operations
/// that have it (ALU ops and IMUL on a register).
macro_rules! short_imm {
    ($a:expr, $c:expr ; $($insn:tt)*) => {{
        let c: i32 = $c;
        if let Ok(c8) = i8::try_from(c) {
            dynasm!($a ; .arch x64 ; $($insn)*, BYTE c8)
        } else {
            dynasm!($a ; .arch x64 ; $($insn)*, DWORD c)
        }
    }};
}

use dynasmrt::{dynasm, DynasmApi};

/// `cmp r, i` (64-bit if `wide`, else 32) as `83 /7 ib` when `i` fits in
/// a byte. dynasm's table lists the imm32 form of `cmp` first and never
/// picks that one, even for a literal, so its four bytes are put here.
pub(crate) fn cmp_imm<A: DynasmApi>(a: &mut A, wide: bool, r: u8, i: i32) {
    if let Ok(i8) = i8::try_from(i) {
        a.push(0x40 | (wide as u8) << 3 | r >> 3);
        a.push(0x83);
        a.push(0xc0 | 7 << 3 | (r & 7));
        a.push(i8 as u8);
    } else if wide {
        dynasm!(a ; .arch x64 ; cmp Rq(r), i);
    } else {
        dynasm!(a ; .arch x64 ; cmp Rd(r), i);
    }
}

#[cfg(test)]
mod tests {
    use dynasmrt::x64::X64Relocation;
    use dynasmrt::{dynasm, DynasmApi, VecAssembler};
    use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

    /// The one instruction `f` assembles, decoded, and its length.
    fn one(f: impl Fn(&mut VecAssembler<X64Relocation>)) -> (Instruction, usize) {
        let mut a = VecAssembler::<X64Relocation>::new(0);
        f(&mut a);
        let code = a.finalize().unwrap();
        let insn = Decoder::new(64, &code, DecoderOptions::NONE).decode();
        assert_eq!(insn.len(), code.len(), "one instruction");
        (insn, code.len())
    }

    /// Decoded by iced: the same displacement or immediate, in an 8-bit
    /// field exactly when the value fits in one.
    #[test]
    fn eight_bit_fields_when_the_value_fits() {
        let (r, b, x) = (12u8, 8u8, 3u8);
        for d in [0i32, 0x10, -128, 127, 128, -129, -0x1000, i32::MAX] {
            let fits = i8::try_from(d).is_ok();
            let (i, len) = one(|a| short_disp!(a ; mov Rq(r), QWORD [Rq(b) + d]));
            assert_eq!(
                i.memory_displacement64(),
                d as i64 as u64,
                "mov r12, [r8 + {d}]"
            );
            assert_eq!(len, if fits { 5 } else { 8 });

            if d != i32::MIN {
                let (i, len) = one(|a| short_disp!(a ; lea Rq(r), [Rq(b) - d]));
                assert_eq!(
                    i.memory_displacement64(),
                    (-d) as i64 as u64,
                    "lea r12, [r8 - {d}]"
                );
                assert_eq!(len, if i8::try_from(-d).is_ok() { 5 } else { 8 });
            }

            let (i, len) = one(|a| short_disp!(a ; mov Rd(r), DWORD [Rq(b) + Rq(x) * 8 + d]));
            assert_eq!(i.memory_displacement64(), d as i64 as u64);
            assert_eq!(i.memory_index_scale(), 8);
            assert_eq!(len, if fits { 5 } else { 8 });

            let (i, len) = one(|a| short_disp!(a ; mov Rd(r), DWORD [Rq(x) * 4 + d]));
            assert_eq!(i.memory_displacement64(), d as i64 as u64);
            assert_eq!(
                (i.memory_base(), i.memory_index()),
                (Register::None, Register::RBX)
            );
            assert_eq!(i.memory_index_scale(), 4);
            assert_eq!(len, 8);

            let (i, len) = one(|a| short_imm!(a, d ; add Rq(r)));
            assert_eq!(i.immediate(1), d as i64 as u64, "add r12, {d}");
            let kind = if fits {
                OpKind::Immediate8to64
            } else {
                OpKind::Immediate32to64
            };
            assert_eq!(i.op1_kind(), kind);
            assert_eq!(len, if fits { 4 } else { 7 });

            for wide in [false, true] {
                for reg in [0u8, 4, 7, 8, 15] {
                    let (i, len) = one(|a| super::cmp_imm(a, wide, reg, d));
                    let want = if wide { Register::RAX } else { Register::EAX };
                    assert_eq!(i.mnemonic(), Mnemonic::Cmp);
                    assert_eq!(i.op0_register(), iced_reg(want, reg), "cmp r{reg}, {d}");
                    if wide {
                        assert_eq!(i.immediate(1), d as i64 as u64, "cmp r{reg}, {d}");
                    } else {
                        assert_eq!(i.immediate(1) as u32, d as u32, "cmp r{reg}d, {d}");
                    }
                    assert_eq!(len, if fits { 4 } else { 7 });
                }
            }
        }
    }

    /// The `n`th register of `first`'s family (RAX or EAX).
    fn iced_reg(first: Register, n: u8) -> Register {
        let all = Register::values().collect::<Vec<_>>();
        let at = all.iter().position(|&r| r == first).unwrap();
        all[at + n as usize]
    }
}
