//! Loop regions: a TB that heads a small loop spread over several blocks
//! (the exec loop sees one chained jump go back to it, see the engine)
//! is translated as the whole loop, so that the loop's back edges become
//! the TB's jumps to itself (which the backend keeps in registers, see
//! the JIT's `loops`) and its other edges jumps inside the TB.
//!
//! The region is found before translating: from the TB's pc, the code is
//! decoded along conditional branches (both ways) and direct jumps that
//! stay on the TB's page and within `REACH` bytes of its pc, and the
//! blocks found that lead back to the pc make up the region, up to
//! `MAX_INSNS` instructions. Each block start gets an IR label when a
//! branch first goes there; the translator then translates it once.
//! Other control transfers, and branches out of the loop, end their
//! block as in any TB. A loop region never leaves its page, so
//! invalidation by page keeps it exact. Inner loops are part of the
//! region: their jumps back test for exit requests
//! (`Cx::leave_if_exit_requested`), the head's back edges being the TB's
//! own.

use super::{CodeFetch, Mode, PAGE_SIZE};
use iced_x86::{Decoder, DecoderOptions, FlowControl};
use ox86_ir::Label;

/// Most instructions in a region's blocks.
const MAX_INSNS: usize = 48;

/// Most instructions decoded looking for a region's blocks.
const SCAN_INSNS: usize = 160;

/// Farthest a region's block starts lie from the TB's pc, either way.
const REACH: u64 = 512;

/// The blocks of a loop region and their labels.
#[derive(Debug, Default)]
pub struct Region {
    /// The block starts (guest pcs) other than the TB's own pc.
    starts: Vec<u64>,
    /// Per block start: whether the block is on a cycle of the region's
    /// blocks that avoids the head (see `Cx::leave_if_exit_requested`).
    cyclic: Vec<bool>,
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

    /// True if block `k` is on a cycle of the region's blocks that does
    /// not pass the head: the jumps back to it must test for exit requests,
    /// which the head's back edges test for the other cycles.
    pub fn cyclic(&self, k: usize) -> bool {
        self.cyclic[k]
    }

    /// True if block `k` has been translated.
    pub fn translated(&self, k: usize) -> bool {
        matches!(self.labels[k], Some((_, true)))
    }
}

/// The loop region headed by the code at `pc` (on page `page`), if the
/// code there loops back to `pc` within the limits.
///
/// The code is decoded breadth first from `pc`, up to `SCAN_INSNS`
/// instructions; the region is the blocks found that lead back to `pc`
/// (the natural loop of the back edges to it), nearest first while they
/// fit in `MAX_INSNS`. Blocks that leave the loop stay exits, so a loop
/// with a long way out is still a region.
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
    let blocks = scan(&buf[..n], base, pc, mode.code_bits);
    let (starts, cyclic) = loop_blocks(&blocks)?;
    Some(Region {
        labels: vec![None; starts.len()],
        starts,
        cyclic,
        queue: Vec::new(),
    })
}

/// A stretch of code decoded from one block start.
#[derive(Debug)]
struct Block {
    start: u64,
    /// The end of its last instruction.
    end: u64,
    insns: usize,
    /// The block starts it goes to (by a branch, a jump or falling in).
    succs: Vec<u64>,
}

/// The blocks reached from `pc` in `code` (at `base`), breadth first:
/// blocks[0] starts at `pc`. A block ends at a branch or jump (whose
/// direct targets inside `code` are new blocks), at a block start it
/// falls into, or at any other control transfer.
fn scan(code: &[u8], base: u64, pc: u64, bits: u32) -> Vec<Block> {
    let end = base + code.len() as u64;
    let inside = |t: u64| t >= base && t < end;
    let mut starts = vec![pc];
    let mut blocks: Vec<Block> = Vec::new();
    let mut seen = 0;
    let mut next = 0;
    while next < starts.len() && seen < SCAN_INSNS {
        let b = starts[next];
        next += 1;
        let mut dec = Decoder::with_ip(bits, &code[(b - base) as usize..], b, DecoderOptions::NONE);
        let mut block = Block {
            start: b,
            end: b,
            insns: 0,
            succs: Vec::new(),
        };
        let edge = |t: u64, block: &mut Block, starts: &mut Vec<u64>| {
            if inside(t) {
                if !starts.contains(&t) {
                    starts.push(t);
                }
                block.succs.push(t);
            }
        };
        while dec.can_decode() && seen < SCAN_INSNS {
            let insn = dec.decode();
            seen += 1;
            if insn.is_invalid() {
                break;
            }
            block.insns += 1;
            block.end = insn.next_ip();
            match insn.flow_control() {
                FlowControl::Next => {
                    let next = insn.next_ip();
                    if starts.contains(&next) {
                        block.succs.push(next);
                        break;
                    }
                }
                FlowControl::ConditionalBranch if is_direct(&insn) => {
                    edge(insn.near_branch_target(), &mut block, &mut starts);
                    edge(insn.next_ip(), &mut block, &mut starts);
                    break;
                }
                FlowControl::UnconditionalBranch if is_direct(&insn) => {
                    edge(insn.near_branch_target(), &mut block, &mut starts);
                    break;
                }
                _ => break,
            }
        }
        blocks.push(block);
    }
    blocks
}

/// The starts of the blocks other than blocks[0] that make up the loop
/// back to blocks[0]'s start, or None if nothing goes back there, and
/// which of them are on a cycle that avoids the head: an inner loop, or
/// an outer loop entering this one at a block that jumps to the head
/// (the test of a loop whose condition is checked first, at the bottom).
/// Inner loops stay in: one TB then runs a loop nest without leaving
/// generated code at each turn of the outer loop (fir's inner loop of 8
/// turns: 94.6 -> 70.3 ms). Blocks are taken in order while their
/// instructions fit in `MAX_INSNS`; a block that leads back only through
/// one left out is left out too.
fn loop_blocks(blocks: &[Block]) -> Option<(Vec<u64>, Vec<bool>)> {
    let n = blocks.len();
    // A block may run on into a later block start (found after it was
    // decoded): it leads wherever that one does.
    let leads_to = |k: usize, j: usize| {
        let (b, s) = (&blocks[k], blocks[j].start);
        b.succs.contains(&s) || (s > b.start && s < b.end)
    };
    // The blocks of `keep` that lead back to the head through blocks of
    // `keep`: the set grown backwards from the head.
    let back_to_head = |keep: &[bool]| {
        let mut back = vec![false; n];
        let mut grew = true;
        while grew {
            grew = false;
            for k in 0..n {
                if keep[k]
                    && !back[k]
                    && (leads_to(k, 0) || (1..n).any(|j| back[j] && leads_to(k, j)))
                {
                    back[k] = true;
                    grew = true;
                }
            }
        }
        back
    };
    let in_loop = back_to_head(&vec![true; n]);
    if !in_loop[0] {
        return None;
    }
    // Block k is on a cycle that avoids the head if it leads back to
    // itself through blocks of `set` without passing the head.
    let on_cycle = |set: &[bool], k: usize| {
        let mut seen = vec![false; n];
        let mut work = vec![k];
        while let Some(x) = work.pop() {
            for j in 1..n {
                if set[j] && leads_to(x, j) {
                    if j == k {
                        return true;
                    }
                    if !seen[j] {
                        seen[j] = true;
                        work.push(j);
                    }
                }
            }
        }
        false
    };
    let mut keep = vec![false; n];
    let mut budget = MAX_INSNS;
    for k in 0..n {
        if in_loop[k] && blocks[k].insns <= budget {
            keep[k] = true;
            budget -= blocks[k].insns;
        }
    }
    let back = back_to_head(&keep);
    back[0].then(|| {
        (1..n)
            .filter(|&k| back[k])
            .map(|k| (blocks[k].start, on_cycle(&back, k)))
            .unzip()
    })
}

fn is_direct(insn: &iced_x86::Instruction) -> bool {
    use iced_x86::OpKind;
    matches!(
        insn.op0_kind(),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::test_code::Code;

    fn region(bytes: &[u8]) -> Option<Vec<u64>> {
        find(&mut Code(bytes.to_vec()), 0x1000, 0x1000, &Mode::USER64).map(|r| {
            assert!(!r.cyclic.contains(&true), "no cycle avoids the head");
            r.starts
        })
    }

    /// `dec ecx; jz out; add eax, 1; jmp 0x1000; out:` then `tail`.
    fn counted_loop(tail: &[u8]) -> Vec<u8> {
        let mut code = vec![0xff, 0xc9, 0x74, 0x05, 0x83, 0xc0, 0x01, 0xeb, 0xf7];
        code.extend_from_slice(tail);
        code
    }

    #[test]
    fn a_loop_is_its_blocks_that_lead_back() {
        let out = [0x31, 0xc0, 0xc3]; // xor eax, eax; ret
        assert_eq!(region(&counted_loop(&out)), Some(vec![0x1004]));
    }

    #[test]
    fn a_long_way_out_of_the_loop_stays_out() {
        let mut out = vec![0x90; 100]; // nop
        out.push(0xc3);
        assert_eq!(region(&counted_loop(&out)), Some(vec![0x1004]));
    }

    /// An inner loop is part of the region, and its jump back tests for
    /// exit requests.
    #[test]
    fn an_inner_loop_stays_in() {
        let code = [
            0xba, 0x05, 0x00, 0x00, 0x00, // mov edx, 5
            0xff, 0xca, // 0x1005: dec edx
            0x75, 0xfc, // jnz 0x1005
            0xff, 0xc9, // 0x1009: dec ecx
            0x75, 0xf3, // jnz 0x1000
            0xc3, // ret
        ];
        let r = find(&mut Code(code.to_vec()), 0x1000, 0x1000, &Mode::USER64).expect("a region");
        assert_eq!(r.starts, [0x1005, 0x1009]);
        assert_eq!(r.cyclic, [true, false]);
        assert_eq!(exit_request_tests(&code, 0x1000, true), 1);
    }

    /// An inner loop whose test is at its bottom, inside an outer loop
    /// that enters it at the test: the outer loop's blocks are in the
    /// region too, on a cycle that avoids the head (the outer loop's jump
    /// back tests for exit requests).
    #[test]
    fn a_loop_entered_at_its_test_keeps_the_outer_loop() {
        let code = [
            0x83, 0xc0, 0x01, // 0x1000: add eax, 1
            0x83, 0xf8, 0x64, // cmp eax, 100
            0x74, 0x0a, // je 0x1012
            0x39, 0xd1, // 0x1008: cmp ecx, edx
            0x73, 0xf4, // jae 0x1000
            0xff, 0xc6, // 0x100c: inc esi
            0x31, 0xc0, // xor eax, eax
            0xeb, 0xf6, // jmp 0x1008
            0x31, 0xc0, // 0x1012: xor eax, eax
            0xc3, // ret
        ];
        let r = find(&mut Code(code.to_vec()), 0x1000, 0x1000, &Mode::USER64).expect("a region");
        assert_eq!(r.starts, [0x1008, 0x100c]);
        assert_eq!(r.cyclic, [true, true]);
        assert_eq!(exit_request_tests(&code, 0x1000, true), 1);
    }

    /// Two blocks before the head that each lead to it and to each other
    /// (L's test jumps to the head, M falls into it): a cycle L, M, L
    /// that avoids the head, which stays in the region. Its jump back, and
    /// the head's jump back to L, test `exit_request` (a translation
    /// without the region has no such test).
    #[test]
    fn a_cycle_that_avoids_the_head_tests_exit_requests() {
        let code = [
            0x83, 0xf9, 0x00, // 0x1000 L: cmp ecx, 0
            0x75, 0x08, // jne 0x100d
            0x48, 0xff, 0xc0, // 0x1005 M: inc rax
            0x48, 0x39, 0xf0, // cmp rax, rsi
            0x72, 0xf3, // jb 0x1000
            0x48, 0xff, 0xc2, // 0x100d H: inc rdx
            0x48, 0x39, 0xfa, // cmp rdx, rdi
            0x74, 0x07, // je 0x101c
            0xf6, 0xc2, 0x01, // test dl, 1
            0x75, 0xe6, // jnz 0x1000
            0xeb, 0xf1, // jmp 0x100d
            0xc3, // 0x101c: ret
        ];
        let head = 0x100d;
        let r = find(&mut Code(code.to_vec()), head, 0x1000, &Mode::USER64).expect("a region");
        assert_eq!(r.starts, [0x1015, 0x1000, 0x101a, 0x1005]);
        assert_eq!(r.cyclic, [false, true, false, true]);
        assert_eq!(
            exit_request_tests(&code, head, true),
            2,
            "M's jb and the head's jnz"
        );
        assert_eq!(exit_request_tests(&code, head, false), 0);
    }

    /// A loop whose odd way runs a block before the head, which falls
    /// into the head (collatz's): that block's cycle passes the head, and
    /// the head's jump back to it tests nothing (the back edge does).
    #[test]
    fn a_cycle_through_the_head_tests_no_exit_requests() {
        let code = [
            0x48, 0x8d, 0x54, 0x52, 0x01, // 0x1000: lea rdx, [rdx+rdx*2+1]
            0x48, 0x83, 0xfa, 0x01, // cmp rdx, 1
            0x74, 0x0e, // je 0x1019
            0xf6, 0xc2, 0x01, // 0x100b H: test dl, 1
            0x75, 0xf0, // jne 0x1000
            0x48, 0xd1, 0xea, // shr rdx, 1
            0x48, 0x83, 0xfa, 0x01, // cmp rdx, 1
            0x75, 0xf2, // jne 0x100b
            0xc3, // 0x1019: ret
        ];
        let r = find(&mut Code(code.to_vec()), 0x100b, 0x1000, &Mode::USER64).expect("a region");
        assert_eq!(r.starts, [0x1000, 0x1010]);
        assert_eq!(r.cyclic, [false, false]);
        assert_eq!(exit_request_tests(&code, 0x100b, true), 0);
    }

    /// The `exit_request` tests in the translation of `code` at `head`,
    /// as a loop region or not.
    fn exit_request_tests(code: &[u8], head: u64, region: bool) -> usize {
        use crate::translate::{translate_tb_into, TbFlags};
        let exit_request = std::mem::offset_of!(crate::cpu::CpuState, exit_request) as u64;
        let flags = TbFlags {
            region,
            ..Default::default()
        };
        let ir = ox86_ir::IrBlock::new(&crate::GLOBALS);
        let t = translate_tb_into(ir, head, &mut Code(code.to_vec()), flags);
        t.ir.ops
            .iter()
            .filter(|o| o.opc == ox86_ir::Opcode::LdEnv && o.consts[0] == exit_request)
            .count()
    }

    #[test]
    fn code_that_does_not_come_back_is_no_region() {
        // dec ecx; jz +2; add eax, 1; ret
        assert_eq!(
            region(&[0xff, 0xc9, 0x74, 0x03, 0x83, 0xc0, 0x01, 0xc3]),
            None
        );
    }

    #[test]
    fn a_loop_longer_than_the_limit_is_no_region() {
        // 60 nops, then jmp back to the first (rel32).
        let mut code = vec![0x90; 60];
        let rel = -(60i32 + 5);
        code.push(0xe9);
        code.extend_from_slice(&rel.to_le_bytes());
        assert_eq!(region(&code), None);
        code.drain(..20);
        let rel = -(40i32 + 5);
        code.truncate(40);
        code.push(0xe9);
        code.extend_from_slice(&rel.to_le_bytes());
        assert_eq!(region(&code), Some(vec![]));
    }
}
