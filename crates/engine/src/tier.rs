//! The first tier of the JIT engine, for a program's start-up: code that
//! has not yet run `jit_after` times is interpreted instead of compiled.
//! Start-up code (the dynamic loader, libc's initialisation) mostly runs
//! once: 650 of the 830 TBs of a static hello world do, and compiling is
//! about two thirds of the cost of translating. Later code is different
//! (gcc's cc1 runs 91% of its TBs more than once, and an interpreted run
//! costs more than the compile it saves), so only the first
//! `STARTUP_TBS` pcs a program runs start here. Each interpreted run
//! translates its code afresh: keeping the IR for the compiling run cost
//! more (a heap page fault for every few TBs, most of which never run
//! again) than translating the few TBs that do run again.
//!
//! With the compile thread (`background`) every pc starts here: its
//! `jit_after`th run submits the code to the thread instead of compiling
//! it, and the interpreter runs it until the code is installed.
//!
//! The count also keeps where a TB's indirect CALL or JMP went on its
//! last interpreted run: the compiled CALL or JMP goes straight there while
//! its operand holds it (`TbFlags::seen_target`). Such sites mostly go to
//! one place: each of busybox sort's 8.1 million calls through a register
//! went to its site's first target, 80% of lua's and 76% of python's did,
//! and 96% of sqlite's jumps through memory that are no GOT slot.

use crate::hash::BuildWordHasher;
use std::collections::HashMap;

/// How many distinct pcs start in the first tier.
pub const STARTUP_TBS: u32 = 2048;

/// What is known of not yet compiled code.
#[derive(Default)]
struct Seen {
    runs: u32,
    /// Where its indirect CALL or JMP went last (`note_target`), or 0.
    target: u64,
}

/// Run counts of not yet compiled code.
#[derive(Default)]
pub struct FirstTier {
    runs: HashMap<u64, Seen, BuildWordHasher>,
    /// Distinct pcs that started here.
    started: u32,
}

impl FirstTier {
    /// Counts a run of the code at `pc`; returns how many runs it has had,
    /// this one included, and where its indirect CALL or JMP went last. The
    /// count is dropped once it reaches `limit`.
    pub fn count_run(&mut self, pc: u64, limit: u32) -> (u32, Option<u64>) {
        let seen = self.runs.entry(pc).or_insert_with(|| {
            self.started += 1;
            Seen::default()
        });
        seen.runs += 1;
        let (n, target) = (seen.runs, seen.target);
        if n >= limit {
            self.runs.remove(&pc);
        }
        (n, Some(target).filter(|&t| t != 0))
    }

    /// Notes that the code at `pc`, still counted, ended with an indirect
    /// CALL or JMP to `target` (for `TbFlags::seen_target`).
    pub fn note_target(&mut self, pc: u64, target: u64) {
        if let Some(seen) = self.runs.get_mut(&pc) {
            seen.target = target;
        }
    }

    /// Whether the code at `pc` runs in the first tier: still start-up
    /// (fewer than `STARTUP_TBS` pcs seen), or a pc already counted.
    pub fn admits(&self, pc: u64) -> bool {
        self.started < STARTUP_TBS || self.runs.contains_key(&pc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_runs_up_to_the_limit() {
        let mut f = FirstTier::default();
        assert_eq!(f.count_run(0x1000, 3), (1, None));
        f.note_target(0x1000, 0x2000);
        assert_eq!(f.count_run(0x1000, 3), (2, Some(0x2000)));
        assert_eq!(f.count_run(0x1000, 3), (3, Some(0x2000)));
        // Dropped at the limit: a TB invalidated later starts again.
        assert_eq!(f.count_run(0x1000, 3), (1, None));
        f.note_target(0x3000, 0x2000);
        assert_eq!(
            f.count_run(0x3000, 3),
            (1, None),
            "noted only while counted"
        );
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
        assert_eq!(f.count_run(0, 2).0, 2);
        assert!(!f.admits(0), "compiled at its second run");
    }
}
