//! IR operands and ops: temps (`t3`, or a global's name), labels (`L1`),
//! conditions, and the fixed-size `Op` record the builders, passes and
//! backends share.

use crate::table::{opf, Opcode};
use std::fmt;

/// An IR value: a 64-bit temp. Indices below the global count name guest
/// state fields of `CpuState` (the globals); the rest live for one TB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Temp(pub u32);

impl Temp {
    /// The temp's index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A branch target inside one TB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Label(pub u32);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// Comparison used by `setcond`, `movcond` and `brcond` (TCG's `TCGCond`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cond {
    /// a == b
    Eq,
    /// a != b
    Ne,
    /// signed a < b
    Lt,
    /// signed a >= b
    Ge,
    /// signed a <= b
    Le,
    /// signed a > b
    Gt,
    /// unsigned a < b
    Ltu,
    /// unsigned a >= b
    Geu,
    /// unsigned a <= b
    Leu,
    /// unsigned a > b
    Gtu,
    /// (a & b) == 0
    TstEq,
    /// (a & b) != 0
    TstNe,
}

impl Cond {
    /// Every condition, in encoding order.
    pub const ALL: [Cond; 12] = [
        Cond::Eq,
        Cond::Ne,
        Cond::Lt,
        Cond::Ge,
        Cond::Le,
        Cond::Gt,
        Cond::Ltu,
        Cond::Geu,
        Cond::Leu,
        Cond::Gtu,
        Cond::TstEq,
        Cond::TstNe,
    ];

    /// The text-form name.
    pub fn name(self) -> &'static str {
        match self {
            Cond::Eq => "eq",
            Cond::Ne => "ne",
            Cond::Lt => "lt",
            Cond::Ge => "ge",
            Cond::Le => "le",
            Cond::Gt => "gt",
            Cond::Ltu => "ltu",
            Cond::Geu => "geu",
            Cond::Leu => "leu",
            Cond::Gtu => "gtu",
            Cond::TstEq => "tsteq",
            Cond::TstNe => "tstne",
        }
    }

    /// Decodes a constant operand.
    pub fn from_u64(v: u64) -> Option<Cond> {
        Cond::ALL.get(v as usize).copied()
    }

    /// The condition that holds exactly when `self` does not.
    pub fn invert(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Lt => Cond::Ge,
            Cond::Ge => Cond::Lt,
            Cond::Le => Cond::Gt,
            Cond::Gt => Cond::Le,
            Cond::Ltu => Cond::Geu,
            Cond::Geu => Cond::Ltu,
            Cond::Leu => Cond::Gtu,
            Cond::Gtu => Cond::Leu,
            Cond::TstEq => Cond::TstNe,
            Cond::TstNe => Cond::TstEq,
        }
    }

    /// Evaluates the condition on two 64-bit values.
    #[inline]
    pub fn eval(self, a: u64, b: u64) -> bool {
        match self {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::Lt => (a as i64) < (b as i64),
            Cond::Ge => (a as i64) >= (b as i64),
            Cond::Le => (a as i64) <= (b as i64),
            Cond::Gt => (a as i64) > (b as i64),
            Cond::Ltu => a < b,
            Cond::Geu => a >= b,
            Cond::Leu => a <= b,
            Cond::Gtu => a > b,
            Cond::TstEq => a & b == 0,
            Cond::TstNe => a & b != 0,
        }
    }
}

/// Maximum inputs of any op (`call`).
pub const MAX_INS: usize = 6;

/// One IR op: opcode plus outputs, inputs and constants in fixed arrays
/// (no allocation per op). Unused slots are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// What the op does.
    pub opc: Opcode,
    /// Output temps (`opc.n_outs()` used).
    pub outs: [Temp; 2],
    /// Input temps (`n_ins()` used).
    pub ins: [Temp; MAX_INS],
    /// Constant operands (`opc.n_consts()` used).
    pub consts: [u64; 2],
}

impl Opcode {
    /// For the extensions (`ext8u` ... `ext32s`), the width in bits of the
    /// part of the input they keep.
    pub const fn extension_width(self) -> Option<u8> {
        match self {
            Opcode::Ext8u | Opcode::Ext8s => Some(8),
            Opcode::Ext16u | Opcode::Ext16s => Some(16),
            Opcode::Ext32u | Opcode::Ext32s => Some(32),
            _ => None,
        }
    }
}

impl Op {
    /// An op with all operand slots empty.
    #[inline]
    pub fn new(opc: Opcode) -> Op {
        Op {
            opc,
            outs: [Temp(0); 2],
            ins: [Temp(0); MAX_INS],
            consts: [0; 2],
        }
    }

    /// Number of inputs this op actually uses.
    #[inline]
    pub fn n_ins(&self) -> usize {
        if self.opc.flags() & opf::VAR_INPUTS != 0 {
            self.consts[1] as usize
        } else {
            self.opc.n_ins()
        }
    }

    /// The used outputs.
    #[inline]
    pub fn outputs(&self) -> &[Temp] {
        &self.outs[..self.opc.n_outs()]
    }

    /// The used inputs.
    #[inline]
    pub fn inputs(&self) -> &[Temp] {
        &self.ins[..self.n_ins()]
    }

    /// The used constants.
    #[inline]
    pub fn constants(&self) -> &[u64] {
        &self.consts[..self.opc.n_consts()]
    }
}
