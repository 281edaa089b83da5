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

    /// True if a guest load or store occurs (see `addr::addr_input`).
    pub fn accesses(self) -> bool {
        let mut m = self.0;
        while m != 0 {
            // `Opcode::ALL` is in discriminant order.
            let opc = Opcode::ALL[m.trailing_zeros() as usize];
            if crate::addr::addr_input(opc).is_some() {
                return true;
            }
            m &= m - 1;
        }
        false
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
        assert!(!c.accesses());
        c.note(&Op::new(Opcode::St16));
        assert!(c.accesses());
        for (i, &o) in Opcode::ALL.iter().enumerate() {
            assert_eq!(o as usize, i, "ALL in discriminant order");
        }
    }
}
