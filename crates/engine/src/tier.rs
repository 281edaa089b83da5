//! The first tier of the JIT engine, for a program's start-up: code that
//! has not yet run `jit_after` times is interpreted instead of compiled.
//! Start-up code (the dynamic loader, libc's initialisation) mostly runs
//! once: 650 of the 830 TBs of a static hello world do, and compiling is
//! about two thirds of the cost of translating. Later code is different
//! (gcc's cc1 runs 91% of its TBs more than once, and an interpreted run
//! costs more than the compile it saves), so only the first
//! `STARTUP_TBS` pcs a program runs start here. Until a pc is compiled
//! this keeps its run count and the translated IR, so that the run that
//! compiles it need not translate the guest code again.

use crate::hash::BuildWordHasher;
use ox86_x86::translate::TranslatedTb;
use std::collections::{HashMap, VecDeque};

/// IR kept at most, in ops (about 48 bytes each): a bound on the memory
/// the first tier may hold.
const KEPT_OPS: usize = 1 << 17;

/// How many distinct pcs start in the first tier.
pub const STARTUP_TBS: u32 = 2048;

/// Run counts and kept IR of not yet compiled code.
#[derive(Default)]
pub struct FirstTier {
    runs: HashMap<u64, u32, BuildWordHasher>,
    kept: HashMap<u64, TranslatedTb, BuildWordHasher>,
    /// Pcs of `kept` in the order they were kept (oldest first; may name
    /// pcs no longer kept).
    order: VecDeque<u64>,
    kept_ops: usize,
    /// Distinct pcs that started here.
    started: u32,
}

impl FirstTier {
    /// Counts a run of the code at `pc`; returns how many runs it has had,
    /// this one included. The count is dropped once it reaches `limit`.
    pub fn count_run(&mut self, pc: u64, limit: u32) -> u32 {
        let runs = self.runs.entry(pc).or_insert_with(|| {
            self.started += 1;
            0
        });
        *runs += 1;
        let n = *runs;
        if n >= limit {
            self.runs.remove(&pc);
        }
        n
    }

    /// Whether the code at `pc` runs in the first tier: still start-up
    /// (fewer than `STARTUP_TBS` pcs seen), or a pc already counted.
    pub fn admits(&self, pc: u64) -> bool {
        self.started < STARTUP_TBS || self.runs.contains_key(&pc)
    }

    /// Takes the IR kept for `pc`, if any.
    pub fn take(&mut self, pc: u64) -> Option<TranslatedTb> {
        let t = self.kept.remove(&pc)?;
        self.kept_ops -= t.ir.ops.len();
        Some(t)
    }

    /// Keeps `t`'s IR for its next run, dropping the oldest kept IR to
    /// stay within the bound.
    pub fn keep(&mut self, t: TranslatedTb) {
        self.kept_ops += t.ir.ops.len();
        self.order.push_back(t.pc);
        if let Some(old) = self.kept.insert(t.pc, t) {
            self.kept_ops -= old.ir.ops.len();
        }
        while self.kept_ops > KEPT_OPS {
            let Some(pc) = self.order.pop_front() else {
                break;
            };
            self.take(pc);
        }
        if self.order.len() > 4 * self.kept.len() + 64 {
            let kept = &self.kept;
            self.order.retain(|pc| kept.contains_key(pc));
        }
    }

    /// Forgets the IR of code overlapping guest range `[start, end)`
    /// (changed or unmapped); run counts stay, since they are hints only.
    pub fn invalidate(&mut self, start: u64, end: u64) {
        let gone: Vec<u64> = self
            .kept
            .values()
            .filter(|t| t.pc < end && t.pc.wrapping_add(t.size.max(1)) > start)
            .map(|t| t.pc)
            .collect();
        for pc in gone {
            self.take(pc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(pc: u64, size: u64, n_ops: usize) -> TranslatedTb {
        let mut ir = ox86_ir::IrBlock::new(&ox86_x86::GLOBALS);
        for _ in 0..n_ops {
            ir.movi(1);
        }
        TranslatedTb {
            ir,
            pc,
            size,
            n_insns: 1,
        }
    }

    #[test]
    fn counts_runs_up_to_the_limit() {
        let mut f = FirstTier::default();
        assert_eq!(f.count_run(0x1000, 3), 1);
        assert_eq!(f.count_run(0x1000, 3), 2);
        assert_eq!(f.count_run(0x1000, 3), 3);
        // Dropped at the limit: a TB invalidated later starts again.
        assert_eq!(f.count_run(0x1000, 3), 1);
    }

    #[test]
    fn only_start_up_pcs_are_admitted() {
        let mut f = FirstTier::default();
        for pc in 0..STARTUP_TBS as u64 {
            assert!(f.admits(pc));
            f.count_run(pc, 2);
        }
        assert!(!f.admits(u64::MAX), "start-up is over");
        assert!(f.admits(0), "a counted pc finishes its first tier");
        assert_eq!(f.count_run(0, 2), 2);
        assert!(!f.admits(0), "compiled at its second run");
    }

    #[test]
    fn keeps_ir_within_the_bound_oldest_out_first() {
        let mut f = FirstTier::default();
        let per = KEPT_OPS / 4;
        for i in 0..6u64 {
            f.keep(translated(0x1000 * (i + 1), 16, per));
        }
        assert!(f.kept_ops <= KEPT_OPS);
        assert!(f.take(0x1000).is_none(), "the oldest went first");
        assert!(f.take(0x6000).is_some());
        assert!(f.take(0x6000).is_none(), "taken once");
    }

    #[test]
    fn invalidation_drops_overlapping_ir() {
        let mut f = FirstTier::default();
        f.keep(translated(0x1000, 0x20, 4));
        f.keep(translated(0x2000, 0x20, 4));
        f.invalidate(0x101f, 0x1020);
        assert!(f.take(0x1000).is_none());
        assert!(f.take(0x2000).is_some());
        assert_eq!(f.kept_ops, 0);
    }
}
