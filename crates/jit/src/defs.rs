//! Where each temp of a TB is defined: the definition count and the op of
//! the last definition, per temp. The backend's rewrite passes (`addr`,
//! `bits`) change only op inputs once addresses are folded, so one table
//! serves them all.

use ox86_ir::{IrBlock, Temp};

/// Per-temp definition facts for one TB (buffers reused across TBs).
#[derive(Default)]
pub(crate) struct Defs {
    /// Number of ops writing each temp.
    pub count: Vec<u32>,
    /// Index of the last op writing each temp (`u32::MAX`: none).
    pub at: Vec<u32>,
    /// Number of globals (temps below it are globals).
    pub ng: usize,
}

impl Defs {
    /// The table for `ir`.
    #[cfg(test)]
    pub fn of(ir: &IrBlock) -> Defs {
        let mut d = Defs::default();
        d.compute(ir);
        d
    }

    /// Recomputes the table for `ir`.
    pub fn compute(&mut self, ir: &IrBlock) {
        self.start(ir);
        for (i, op) in ir.ops.iter().enumerate() {
            for &t in op.outputs() {
                self.count[t.index()] += 1;
                self.at[t.index()] = i as u32;
            }
        }
    }

    /// Recomputes the table for `ir` and fills `uses` with the number of
    /// reads of each temp, in the same walk.
    pub fn compute_with_uses(&mut self, ir: &IrBlock, uses: &mut Vec<u32>) {
        self.start(ir);
        uses.clear();
        uses.resize(ir.n_temps as usize, 0);
        for (i, op) in ir.ops.iter().enumerate() {
            for &t in op.inputs() {
                uses[t.index()] += 1;
            }
            for &t in op.outputs() {
                self.count[t.index()] += 1;
                self.at[t.index()] = i as u32;
            }
        }
    }

    fn start(&mut self, ir: &IrBlock) {
        let n = ir.n_temps as usize;
        self.ng = ir.globals.len();
        self.count.clear();
        self.count.resize(n, 0);
        self.at.clear();
        self.at.resize(n, u32::MAX);
    }

    /// True if `t` is a local temp written by exactly one op.
    #[inline]
    pub fn single(&self, t: Temp) -> bool {
        t.index() >= self.ng && self.count[t.index()] == 1
    }

    /// Index of the op that last writes `t` (`usize::MAX` if none does).
    #[inline]
    pub fn at(&self, t: Temp) -> usize {
        match self.at[t.index()] {
            u32::MAX => usize::MAX,
            i => i as usize,
        }
    }
}
