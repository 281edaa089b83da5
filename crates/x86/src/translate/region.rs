//! Loop regions: a TB that heads a small loop spread over several blocks
//! (the exec loop sees one chained jump go back to it, see the engine)
//! is translated as the whole loop, so that the loop's back edges become
//! the TB's jumps to itself (which the backend keeps in registers, see
//! the JIT's `loops`) and its other edges jumps inside the TB.
//!
//! The region is found before translating: from the TB's pc, the code is
//! decoded along conditional branches (both ways) and direct jumps that
//! stay on the TB's page and within `REACH` bytes of its pc, up to
//! `MAX_INSNS` instructions. Each block start found gets an IR label when
//! a branch first goes there; the translator then translates it once.
//! Other control transfers end their block as in any TB. A loop region
//! never leaves its page, so invalidation by page keeps it exact.

use super::{CodeFetch, Mode, PAGE_SIZE};
use iced_x86::{Decoder, DecoderOptions, FlowControl};
use ox86_ir::Label;

/// Most instructions a region's decoding looks at.
const MAX_INSNS: usize = 48;

/// Farthest a region's block starts lie from the TB's pc, either way.
const REACH: u64 = 512;

/// The blocks of a loop region and their labels.
#[derive(Debug, Default)]
pub struct Region {
    /// The block starts (guest pcs) other than the TB's own pc.
    starts: Vec<u64>,
    /// Per block start: its label once something branches there or the
    /// translation falls into it, and whether it is translated already.
    labels: Vec<Option<(Label, bool)>>,
    /// Labelled blocks not yet translated, in order.
    pub queue: Vec<usize>,
}

impl Region {
    /// The index of block start `pc`, if it is one.
    pub fn block(&self, pc: u64) -> Option<usize> {
        self.starts.iter().position(|&s| s == pc)
    }

    /// The label of block `k`, made (and queued for translation) on first use.
    pub fn label(&mut self, k: usize, new_label: impl FnOnce() -> Label) -> Label {
        match self.labels[k] {
            Some((l, _)) => l,
            None => {
                let l = new_label();
                self.labels[k] = Some((l, false));
                self.queue.push(k);
                l
            }
        }
    }

    /// Block `k` is being translated now (`placed` false: the label is
    /// still to be set); returns its pc and its label.
    pub fn start(&mut self, k: usize) -> (u64, Label) {
        let (l, _) = self.labels[k].expect("a queued block has a label");
        self.labels[k] = Some((l, true));
        (self.starts[k], l)
    }

    /// True if block `k` has been translated.
    pub fn translated(&self, k: usize) -> bool {
        matches!(self.labels[k], Some((_, true)))
    }
}

/// The loop region headed by the code at `pc` (on page `page`), if the
/// code there loops back to `pc` within the limits.
pub fn find(code: &mut dyn CodeFetch, pc: u64, page: u64, mode: &Mode) -> Option<Region> {
    let lin = mode.cs_base.wrapping_add(pc);
    if lin & !(PAGE_SIZE - 1) != page {
        return None;
    }
    let lo = lin.saturating_sub(REACH).max(page);
    let hi = (lin + REACH).min(page + PAGE_SIZE);
    let mut buf = [0u8; 2 * REACH as usize];
    let n = code.fetch(lo, &mut buf[..(hi - lo) as usize]);
    let base = pc.wrapping_sub(lin - lo);
    let end = base + n as u64;
    let inside = |t: u64| t >= base && t < end;
    let mut starts: Vec<u64> = Vec::new();
    let mut work = vec![pc];
    let mut seen = 0;
    let mut loops = false;
    while let Some(b) = work.pop() {
        let mut dec = Decoder::with_ip(
            mode.code_bits,
            &buf[(b - base) as usize..n],
            b,
            DecoderOptions::NONE,
        );
        loop {
            if !dec.can_decode() || seen >= MAX_INSNS {
                return None;
            }
            let insn = dec.decode();
            seen += 1;
            if insn.is_invalid() {
                break;
            }
            let mut edge = |t: u64| {
                if t == pc {
                    loops = true;
                } else if inside(t) && !starts.contains(&t) {
                    starts.push(t);
                    work.push(t);
                }
            };
            match insn.flow_control() {
                FlowControl::Next => {
                    let next = insn.next_ip();
                    if next == pc || starts.contains(&next) || !inside(next) {
                        break;
                    }
                }
                FlowControl::ConditionalBranch if is_direct(&insn) => {
                    edge(insn.near_branch_target());
                    edge(insn.next_ip());
                    break;
                }
                FlowControl::UnconditionalBranch if is_direct(&insn) => {
                    edge(insn.near_branch_target());
                    break;
                }
                _ => break,
            }
        }
    }
    loops.then(|| Region {
        labels: vec![None; starts.len()],
        starts,
        queue: Vec::new(),
    })
}

fn is_direct(insn: &iced_x86::Instruction) -> bool {
    use iced_x86::OpKind;
    matches!(
        insn.op0_kind(),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    )
}
