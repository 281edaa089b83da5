//! The IR op table: every opcode declared once (name, outputs, inputs,
//! constants, flags, doc); the enum, names, arity and docs come from here.

/// Op property bits, as in QEMU's `TCG_OPF_*`.
pub mod opf {
    /// The op ends a basic block inside the TB (branch or label).
    pub const BB_END: u8 = 1 << 0;
    /// The op has a side effect besides its outputs (memory, exits, state).
    pub const SIDE_EFFECTS: u8 = 1 << 1;
    /// The op may fault and so needs guest state to be precise.
    pub const CAN_FAULT: u8 = 1 << 2;
    /// The op leaves the TB.
    pub const TB_EXIT: u8 = 1 << 3;
    /// The op has a variable number of inputs (`call`: count in its 2nd constant).
    pub const VAR_INPUTS: u8 = 1 << 4;
}

macro_rules! ir_ops {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal : $outs:literal, $ins:literal, $consts:literal, $flags:expr; )*) => {
        /// One IR opcode. Operands are listed as outputs, then inputs, then constants.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $( $(#[doc = $doc])* $variant, )*
        }

        /// Per opcode, in table order: outputs, inputs, constants, `opf`
        /// bits. A table rather than a `match`, so that reading an op's
        /// shape is one load, not a jump on the opcode.
        const SHAPE: &[[u8; 4]] = &[$([$outs, $ins, $consts, $flags]),*];

        impl Opcode {
            /// Every opcode, in table order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant),*];

            /// The name used in the text form.
            #[inline]
            pub const fn name(self) -> &'static str {
                match self { $(Opcode::$variant => $name,)* }
            }
            /// Number of output temps.
            #[inline]
            pub const fn n_outs(self) -> usize {
                SHAPE[self as usize][0] as usize
            }
            /// Number of input temps (for `VAR_INPUTS` ops: the maximum).
            #[inline]
            pub const fn n_ins(self) -> usize {
                SHAPE[self as usize][1] as usize
            }
            /// Number of constant operands.
            #[inline]
            pub const fn n_consts(self) -> usize {
                SHAPE[self as usize][2] as usize
            }
            /// The `opf` property bits.
            #[inline]
            pub const fn flags(self) -> u8 {
                SHAPE[self as usize][3]
            }
            /// One-line description.
            pub const fn doc(self) -> &'static str {
                match self { $(Opcode::$variant => concat!($($doc),*),)* }
            }
            /// Looks an opcode up by its text name.
            pub fn from_name(name: &str) -> Option<Opcode> {
                match name { $($name => Some(Opcode::$variant),)* _ => None }
            }
        }
    };
}

use opf::*;

ir_ops! {
    /// Marks the start of guest instruction at constant pc (for -d, fault recovery).
    InsnStart = "insn_start": 0, 0, 1, 0;
    /// d = s
    Mov = "mov": 1, 1, 0, 0;
    /// d = constant
    Movi = "movi": 1, 0, 1, 0;
    /// d's value is no longer needed: it becomes undefined (nothing stores it)
    Discard = "discard": 1, 0, 0, 0;
    /// d = a + b
    Add = "add": 1, 2, 0, 0;
    /// d = a - b
    Sub = "sub": 1, 2, 0, 0;
    /// d = a * b (low 64 bits)
    Mul = "mul": 1, 2, 0, 0;
    /// d = a & b
    And = "and": 1, 2, 0, 0;
    /// d = a | b
    Or = "or": 1, 2, 0, 0;
    /// d = a ^ b
    Xor = "xor": 1, 2, 0, 0;
    /// d = a << (b & 63)
    Shl = "shl": 1, 2, 0, 0;
    /// d = a >> (b & 63), logical
    Shr = "shr": 1, 2, 0, 0;
    /// d = a >> (b & 63), arithmetic
    Sar = "sar": 1, 2, 0, 0;
    /// d = a rotated left by (b & 63)
    Rotl = "rotl": 1, 2, 0, 0;
    /// d = a rotated right by (b & 63)
    Rotr = "rotr": 1, 2, 0, 0;
    /// d = !a
    Not = "not": 1, 1, 0, 0;
    /// d = -a
    Neg = "neg": 1, 1, 0, 0;
    /// d = sign-extend a from 8 bits
    Ext8s = "ext8s": 1, 1, 0, 0;
    /// d = zero-extend a from 8 bits
    Ext8u = "ext8u": 1, 1, 0, 0;
    /// d = sign-extend a from 16 bits
    Ext16s = "ext16s": 1, 1, 0, 0;
    /// d = zero-extend a from 16 bits
    Ext16u = "ext16u": 1, 1, 0, 0;
    /// d = sign-extend a from 32 bits
    Ext32s = "ext32s": 1, 1, 0, 0;
    /// d = zero-extend a from 32 bits
    Ext32u = "ext32u": 1, 1, 0, 0;
    /// (lo, hi) = unsigned 128-bit product of a and b
    Mulu2 = "mulu2": 2, 2, 0, 0;
    /// (lo, hi) = signed 128-bit product of a and b
    Muls2 = "muls2": 2, 2, 0, 0;
    /// (q, r) = unsigned quotient and remainder of a by b; b is not 0 (the
    /// translator's guards ensure it: DIV's #DE goes to a helper)
    Divu2 = "divu2": 2, 2, 0, 0;
    /// (q, r) = signed quotient (rounded toward zero) and remainder of a
    /// by b; b is not 0, and not -1 when a is the least i64
    Divs2 = "divs2": 2, 2, 0, 0;
    /// d = number of trailing zero bits of a (64 if a == 0)
    Ctz = "ctz": 1, 1, 0, 0;
    /// d = number of leading zero bits of a (64 if a == 0)
    Clz = "clz": 1, 1, 0, 0;
    /// d = number of set bits of a
    Ctpop = "ctpop": 1, 1, 0, 0;
    /// d = a with its 8 bytes reversed
    Bswap64 = "bswap64": 1, 1, 0, 0;
    /// d = a with its low 4 bytes reversed, zero-extended
    Bswap32 = "bswap32": 1, 1, 0, 0;
    /// d = cond(a, b) ? 1 : 0
    Setcond = "setcond": 1, 2, 1, 0;
    /// d = cond(a, b) ? t : f
    Movcond = "movcond": 1, 4, 1, 0;
    /// if cond(a, b) goto label
    Brcond = "brcond": 0, 2, 2, BB_END;
    /// goto label
    Br = "br": 0, 0, 1, BB_END;
    /// defines label
    SetLabel = "set_label": 0, 0, 1, BB_END;
    /// d = zero-extended 8-bit guest load from address a
    Ld8u = "ld8u": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = sign-extended 8-bit guest load from address a
    Ld8s = "ld8s": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = zero-extended 16-bit guest load from address a
    Ld16u = "ld16u": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = sign-extended 16-bit guest load from address a
    Ld16s = "ld16s": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = zero-extended 32-bit guest load from address a
    Ld32u = "ld32u": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = sign-extended 32-bit guest load from address a
    Ld32s = "ld32s": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = 64-bit guest load from address a
    Ld64 = "ld64": 1, 1, 0, SIDE_EFFECTS | CAN_FAULT;
    /// 8-bit guest store of v to address a
    St8 = "st8": 0, 2, 0, SIDE_EFFECTS | CAN_FAULT;
    /// 16-bit guest store of v to address a
    St16 = "st16": 0, 2, 0, SIDE_EFFECTS | CAN_FAULT;
    /// 32-bit guest store of v to address a
    St32 = "st32": 0, 2, 0, SIDE_EFFECTS | CAN_FAULT;
    /// 64-bit guest store of v to address a
    St64 = "st64": 0, 2, 0, SIDE_EFFECTS | CAN_FAULT;
    /// d = guest load from virtual address a through the system-mode
    /// softmmu; constant: memop (size, sign, MMU mode; see the guest's softmmu)
    LdMmu = "ld_mmu": 1, 1, 1, SIDE_EFFECTS | CAN_FAULT;
    /// guest store of v to virtual address a through the softmmu; constant: memop
    StMmu = "st_mmu": 0, 2, 1, SIDE_EFFECTS | CAN_FAULT;
    /// d = 64-bit CpuState field at constant byte offset
    LdEnv = "ld_env": 1, 0, 1, 0;
    /// 64-bit CpuState field at constant byte offset = v
    StEnv = "st_env": 0, 1, 1, SIDE_EFFECTS;
    /// d = helper(env, inputs...); constants: helper id, input count
    Call = "call": 1, 6, 2, SIDE_EFFECTS | CAN_FAULT | VAR_INPUTS;
    /// d = helper(inputs...) for a helper that neither reads nor writes guest
    /// state nor faults (removable when d is dead); constants as for `call`
    CallPure = "call_pure": 1, 6, 2, VAR_INPUTS;
    /// helper(env, d, v[s].lo, v[s].hi, imm, 0) for a helper that reads and writes
    /// only the 128-bit vector registers v[0..] of the state and its vector
    /// control word, and may raise; constants: helper id, then d | s << 8 | imm << 16
    /// (the text form lists d, s and imm apart)
    CallXmm = "call_xmm": 0, 0, 2, SIDE_EFFECTS | CAN_FAULT;
    /// v[d] = the n (4, 8 or 16) bytes of guest memory at address a,
    /// zero-extended (user mode); constants: d, n (16 | `XMM_ALIGNED`:
    /// #GP unless a is a multiple of 16)
    LdXmm = "ld_xmm": 0, 1, 2, SIDE_EFFECTS | CAN_FAULT;
    /// the 16 bytes of guest memory at address a = v[s], all written or, if
    /// the store faults, none (user mode); constants: s, n (16, or 16 |
    /// `XMM_ALIGNED` as for `ld_xmm`)
    StXmm = "st_xmm": 0, 1, 2, SIDE_EFFECTS | CAN_FAULT;
    /// direct exit through patchable slot n (0 or 1); rip already written
    GotoTb = "goto_tb": 0, 0, 1, SIDE_EFFECTS | TB_EXIT | BB_END;
    /// indirect exit: look rip up in the jump cache, else return to the loop
    LookupAndGotoPtr = "lookup_and_goto_ptr": 0, 0, 0, SIDE_EFFECTS | TB_EXIT | BB_END;
    /// `goto_tb` of a guest CALL whose return address is r: the JIT records
    /// r for the `lookup_ret` that returns there; constants: n, r
    CallTb = "call_tb": 0, 0, 2, SIDE_EFFECTS | TB_EXIT | BB_END;
    /// `lookup_and_goto_ptr` of an indirect guest CALL whose return address
    /// is r (recorded as by `call_tb`); constant: r
    LookupCall = "lookup_call": 0, 0, 1, SIDE_EFFECTS | TB_EXIT | BB_END;
    /// `lookup_and_goto_ptr` of a guest RET: the JIT first tries the
    /// return address the matching CALL recorded
    LookupRet = "lookup_ret": 0, 0, 0, SIDE_EFFECTS | TB_EXIT | BB_END;
    /// leave the TB to the exec loop with exception number n; rip already written
    Raise = "raise": 0, 0, 1, SIDE_EFFECTS | TB_EXIT | BB_END;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for &op in Opcode::ALL {
            assert_eq!(Opcode::from_name(op.name()), Some(op));
            assert!(!op.doc().is_empty());
        }
    }
}
