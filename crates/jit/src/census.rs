//! Which opcodes a TB's ops use, one bit per opcode: the rewrite passes
//! that look for a pattern are skipped where its opcodes do not occur.
//! Taken once, from the ops the backend starts with; the passes only
//! remove ops or turn them into copies, so an opcode absent at the start
//! stays absent.

use ox86_ir::{Op, Opcode};

/// A set of opcodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Census(u64);

// One bit per opcode.
const _: () = assert!(Opcode::ALL.len() <= 64);

impl Census {
    /// Adds `op`'s opcode.
    #[inline]
    pub fn note(&mut self, op: &Op) {
        self.0 |= 1 << op.opc as u8;
    }

    /// True if any of `opcs` occurs.
    #[inline]
    pub fn any(self, opcs: &[Opcode]) -> bool {
        opcs.iter().any(|&o| self.0 & 1 << o as u8 != 0)
    }

    /// True if `opc` occurs.
    #[inline]
    pub fn has(self, opc: Opcode) -> bool {
        self.any(&[opc])
    }

    /// True if a guest load or store occurs.
    pub fn accesses(self) -> bool {
        self.any(&[
            Opcode::Ld8u,
            Opcode::Ld8s,
            Opcode::Ld16u,
            Opcode::Ld16s,
            Opcode::Ld32u,
            Opcode::Ld32s,
            Opcode::Ld64,
            Opcode::St8,
            Opcode::St16,
            Opcode::St32,
            Opcode::St64,
            Opcode::LdXmm,
            Opcode::StXmm,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_opcodes() {
        let mut c = Census::default();
        assert!(!c.accesses());
        c.note(&Op::new(Opcode::Brcond));
        assert!(c.has(Opcode::Brcond) && !c.has(Opcode::And));
        assert!(c.any(&[Opcode::And, Opcode::Brcond]));
        c.note(&Op::new(Opcode::St16));
        assert!(c.accesses());
    }
}
