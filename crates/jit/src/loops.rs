//! Self-loops: a TB with a `goto_tb` back to its own pc keeps its most-used
//! globals in fixed host registers across the back edge and across its
//! internal block boundaries (the canonical state), so an iteration touches
//! `CpuState` only where it leaves the loop, calls a helper or runs out of
//! registers. The back edge jumps straight to the body, after a preheader
//! that loaded the globals once: in user mode by a jump an exit request
//! repoints (`ox86_x86::back_edges`), else after a test of `exit_request`.

use crate::abi::{hreg, EXIT_REQUEST_DISP};
use crate::gen::{Cold, Gen, Loc};
use crate::rip::RIP;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use ox86_ir::{IrBlock, Opcode};

/// Registers that hold loop globals, in order of preference.
const LOOP_REGS: [u8; 8] = [
    hreg::RBX,
    hreg::R12,
    hreg::R13,
    hreg::R14,
    hreg::R15,
    hreg::RSI,
    hreg::RDI,
    hreg::R8,
];

/// Fills `canon`, for a TB at `tb_pc` that jumps back to itself, with the
/// pinned globals the loop uses, in their registers, then its most-used
/// other globals (rip aside) and the free host registers each lives in,
/// then the pinned globals live at the back edge whose registers are left;
/// returns false (`canon` empty) for a TB that does not loop. `uses` is
/// a scratch buffer.
pub(crate) fn loop_globals(
    ir: &IrBlock,
    tb_pc: u64,
    pinned: &[(u32, u8)],
    uses: &mut Vec<u32>,
    canon: &mut Vec<(u32, u8)>,
) -> bool {
    canon.clear();
    let ng = ir.globals.len();
    // A `goto_tb` loops if the last write to rip before it is `movi rip, tb_pc`.
    let loops = ir.ops.iter().enumerate().any(|(i, op)| {
        op.opc == Opcode::GotoTb
            && ir.ops[..i]
                .iter()
                .rev()
                .find(|o| o.outputs().contains(&RIP))
                .is_some_and(|o| o.opc == Opcode::Movi && o.consts[0] == tb_pc)
    });
    if !loops {
        return false;
    }
    // Globals discarded before a back edge are dead there: not kept.
    let mut discarded = 0u64;
    for i in 0..ir.ops.len() {
        if back_edge(ir, i, tb_pc) {
            for o in ir.ops[..i - 1].iter().rev() {
                if o.opc != Opcode::Discard {
                    break;
                }
                discarded |= 1u64.checked_shl(o.outs[0].0).unwrap_or(0);
            }
        }
    }
    uses.clear();
    uses.resize(ng, 0);
    // Up to the first back edge, the code is the loop (a loop region is
    // translated from its pc on): its uses weigh more than the rest's,
    // and those of its inner loops 16 times more for each level.
    let depth = inner_depth(ir);
    let mut outer = 16u32;
    for (i, op) in ir.ops.iter().enumerate() {
        let weight = outer << (4 * depth[i].min(4));
        // A discard is no use: a global the loop only discards has
        // nothing to keep.
        let outs = if op.opc == Opcode::Discard {
            &[][..]
        } else {
            op.outputs()
        };
        for &t in op.inputs().iter().chain(outs) {
            if t.index() < ng && t != RIP {
                uses[t.index()] += weight;
            }
        }
        if back_edge(ir, i, tb_pc) {
            outer = 1;
        }
    }
    let live = |g: u32| discarded & (1u64 << g) == 0;
    let kept = |g: u32| uses[g as usize] > 0 && live(g);
    canon.extend(pinned.iter().filter(|&&(g, _)| kept(g)));
    let mut used: Vec<u32> = (0..ng as u32)
        .filter(|&g| kept(g) && !pinned.iter().any(|&(p, _)| p == g))
        .collect();
    used.sort_by_key(|&g| std::cmp::Reverse(uses[g as usize]));
    let mask = |regs: &mut dyn Iterator<Item = u8>| regs.fold(0u16, |m, r| m | 1 << r);
    let taken = mask(&mut canon.iter().map(|&(_, r)| r));
    // The registers of pinned globals the loop leaves alone go to the
    // other loop globals last: a pinned global that keeps its register
    // costs nothing where the loop is entered and left, which an
    // interpreter's dispatch loop (left at nearly every iteration) does
    // most of the time.
    let idle = mask(
        &mut pinned
            .iter()
            .filter(|&&(g, _)| !kept(g) && live(g))
            .map(|&(_, r)| r),
    );
    let free = LOOP_REGS.into_iter().filter(|&r| taken & (1 << r) == 0);
    let (others, last): (Vec<u8>, Vec<u8>) = free.partition(|&r| idle & (1 << r) == 0);
    canon.extend(used.into_iter().zip(others.into_iter().chain(last)));
    let taken = mask(&mut canon.iter().map(|&(_, r)| r));
    canon.extend(
        pinned
            .iter()
            .filter(|&&(g, r)| !kept(g) && live(g) && taken & (1 << r) == 0),
    );
    true
}

/// Per op: how many branches back to a label (a jump back to an inner
/// loop's head, in a loop region) pass over it, each counting from the
/// label: the ops of an inner loop are passed over by its own jump back
/// as well as by those to heads before it.
fn inner_depth(ir: &IrBlock) -> Vec<u8> {
    let mut placed = vec![None; ir.n_labels as usize];
    let mut depth = vec![0u8; ir.ops.len()];
    for (i, op) in ir.ops.iter().enumerate() {
        let to = match op.opc {
            Opcode::SetLabel => {
                placed[op.consts[0] as usize] = Some(i);
                continue;
            }
            Opcode::Br => op.consts[0],
            Opcode::Brcond => op.consts[1],
            _ => continue,
        };
        if let Some(at) = placed[to as usize] {
            depth[at..=i]
                .iter_mut()
                .for_each(|d| *d = d.saturating_add(1));
        }
    }
    depth
}

/// True if op `i` is a `goto_tb` right after `movi rip, tb_pc`.
fn back_edge(ir: &IrBlock, i: usize, tb_pc: u64) -> bool {
    i > 0
        && ir.ops[i].opc == Opcode::GotoTb
        && ir.ops[i - 1].opc == Opcode::Movi
        && ir.ops[i - 1].outs[0] == RIP
        && ir.ops[i - 1].consts[0] == tb_pc
}

impl Gen {
    /// The canonical register of global `g`, if it is a loop global.
    pub(crate) fn canon_reg(&self, g: usize) -> Option<u8> {
        self.canon.iter().find(|c| c.0 as usize == g).map(|c| c.1)
    }

    /// At a block boundary: writes back globals that are not kept in
    /// registers (`canon`; but those overwritten first on every path from
    /// here) and crossing locals, and moves the kept ones into their
    /// registers.
    /// Flags are left alone (a `brcond` compares before this).
    pub fn canonicalize(&mut self) {
        self.drop_dead_globals(self.tick as usize);
        for g in self.dirty_globals() {
            if self.canon_reg(g as usize).is_none() {
                self.write_home(g);
            }
        }
        self.write_crossing();
        let canon = std::mem::take(&mut self.canon);
        self.place_in_regs(&canon);
        self.canon = canon;
    }

    /// Puts each global of `which` in its register (a discarded pinned
    /// global aside); the allocator's view is left as it was.
    pub fn place_in_regs(&mut self, which: &[(u32, u8)]) {
        let mut moves = std::mem::take(&mut self.moves);
        for &(g, r) in which {
            if let Loc::Reg(s) = self.loc[g as usize] {
                moves.push((r, s));
            }
        }
        self.parallel_move(&mut moves);
        self.moves = moves;
        for &(g, r) in which {
            let junk = self.pin_junk & 1u64.checked_shl(g).unwrap_or(0) != 0;
            if !matches!(self.loc[g as usize], Loc::Reg(_)) && !junk {
                self.load_value(r, g);
            }
        }
    }

    /// After `reset`: the loop globals are in their registers, dirty.
    pub fn canonical_state(&mut self) {
        for i in 0..self.canon.len() {
            let (g, r) = self.canon[i];
            while let Some(&old) = self.holders(r).iter().find(|&&t| t != g) {
                self.forget(old);
                if !self.is_global(old) && !self.live.crossing[old as usize] {
                    self.loc[old as usize] = Loc::Dead;
                }
            }
            self.place(g, r);
            self.set_dirty(g as usize, true);
        }
    }

    /// The loop preheader: the pinned globals that are no loop globals
    /// (dead at the back edge, or their registers given to others) go to
    /// `CpuState`, the loop globals come from it; then the body label.
    pub fn preheader(&mut self) {
        for k in 0..self.pinned.len() {
            let g = self.pinned[k].0;
            if self.canon_reg(g as usize).is_none() {
                self.spill(g);
            }
        }
        for i in 0..self.canon.len() {
            let (g, r) = self.canon[i];
            if self.pinned_mask & (1 << g) == 0 {
                self.ld_env_reg(r, self.global_disp(g));
            }
        }
        self.canonical_state();
        self.xmm_loop_entry();
        let body = self.a.new_dynamic_label();
        self.a.dynamic_label(body);
        self.body = Some(body);
    }

    /// `goto_tb` back to this TB: leave the loop globals in their
    /// registers and jump to the body (by a jump an exit request repoints,
    /// or after a test of `exit_request`).
    pub fn back_edge(&mut self) {
        let body = self.body.expect("loop TB has a body label");
        self.set_dirty(RIP.index(), false);
        self.canonicalize();
        self.xmm_back_edge();
        let label = self.a.new_dynamic_label();
        let xmm = self.xc.dirty_entries().collect();
        self.cold.push(Cold::LoopRequest { label, xmm });
        if self.opts.patch_back_edges {
            // A jump `request_exit` points at the request's path.
            self.pad_branch_to(3);
            let at = self.off();
            dynasm!(self.a ; .arch x64 ; jmp =>body);
            assert_eq!(self.off() - at, 5, "a back edge must be rel32");
            self.back_edge_labels.push((at + 1, body, label));
            return;
        }
        // The loop goes on by the conditional jump, taken: one jump per
        // iteration, the jump to the request's path never runs.
        dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbp + EXIT_REQUEST_DISP], 0);
        self.jcc_label(0x4, body);
        dynasm!(self.a ; .arch x64 ; jmp =>label);
    }

    /// Cold path of the back edge's `exit_request` check: the loop globals
    /// go back to `CpuState` and the pinned globals to their registers
    /// first (the request stub stores those).
    pub fn loop_request_stub(&mut self) {
        for i in 0..self.canon.len() {
            let (g, r) = self.canon[i];
            if self.pinned_mask & (1 << g) == 0 {
                self.st_env_reg(self.global_disp(g), r);
            }
        }
        for k in 0..self.pinned.len() {
            let (g, r) = self.pinned[k];
            if self.canon_reg(g as usize).is_none() {
                self.ld_env_reg(r, self.global_disp(g));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_x86::cpu::{glob, reg};

    #[test]
    fn a_global_the_loop_only_discards_is_not_kept() {
        let mut b = IrBlock::new(&ox86_x86::GLOBALS);
        let (rax, rcx) = (b.global(reg::RAX), b.global(reg::RCX));
        // Discarded mid-loop (not right before the back edge).
        b.discard(b.global(glob::CC_SRC2));
        b.discard(rcx);
        let one = b.movi(1);
        let t = b.add(rax, one);
        b.mov_to(rax, t);
        b.movi_to(RIP, 0x1000);
        b.goto_tb(0);
        let (mut uses, mut canon) = (Vec::new(), Vec::new());
        assert!(loop_globals(&b, 0x1000, &[], &mut uses, &mut canon));
        assert_eq!(canon, [(reg::RAX as u32, hreg::RBX)]);
    }

    #[test]
    fn pinned_globals_the_loop_uses_keep_their_registers() {
        let mut b = IrBlock::new(&ox86_x86::GLOBALS);
        let (rax, rsp) = (b.global(reg::RAX), b.global(reg::RSP));
        let cc_dst = b.global(glob::CC_DST);
        let one = b.movi(1);
        let t = b.add(rax, one);
        b.mov_to(rax, t);
        b.mov_to(cc_dst, t);
        b.movi_to(RIP, 0x1000);
        b.goto_tb(0);
        let pinned = [(rsp.0, hreg::RBX), (cc_dst.0, hreg::R13)];
        let (mut uses, mut canon) = (Vec::new(), Vec::new());
        assert!(loop_globals(&b, 0x1000, &pinned, &mut uses, &mut canon));
        // rsp is not used, but live: rax takes a register no pinned
        // global holds, and rsp stays in its own.
        assert_eq!(
            canon,
            [
                (cc_dst.0, hreg::R13),
                (rax.0, hreg::R12),
                (rsp.0, hreg::RBX)
            ]
        );
    }

    /// A global an inner loop uses once outranks one the outer loop uses
    /// three times: the inner loop's ops weigh 16 times more.
    #[test]
    fn an_inner_loops_globals_weigh_most() {
        let mut b = IrBlock::new(&ox86_x86::GLOBALS);
        let (rcx, r8) = (b.global(reg::RCX), b.global(reg::R8));
        let one = b.movi(1);
        for _ in 0..3 {
            let t = b.add(r8, one);
            b.mov_to(r8, t);
        }
        let head = b.label();
        b.set_label(head);
        let t = b.add(rcx, one);
        b.mov_to(rcx, t);
        let zero = b.movi(0);
        b.brcond(ox86_ir::Cond::Ne, rcx, zero, head);
        b.movi_to(RIP, 0x1000);
        b.goto_tb(0);
        let depth = inner_depth(&b);
        let at = b
            .ops
            .iter()
            .position(|o| o.opc == Opcode::SetLabel)
            .unwrap();
        let back = b.ops.iter().position(|o| o.opc == Opcode::Brcond).unwrap();
        for (i, &d) in depth.iter().enumerate() {
            assert_eq!(d, (at..=back).contains(&i) as u8, "op {i}");
        }
        let (mut uses, mut canon) = (Vec::new(), Vec::new());
        assert!(loop_globals(&b, 0x1000, &[], &mut uses, &mut canon));
        assert_eq!(canon[0].0, rcx.0);
        assert_eq!(canon[1].0, r8.0);
    }

    #[test]
    fn idle_pinned_registers_go_to_loop_globals_last() {
        // Eight unpinned globals the loop uses, and rsp pinned to RBX,
        // unused: the seven registers of `LOOP_REGS` no pinned global
        // holds go first, then rsp's; rsp is then no loop global (the
        // preheader stores it).
        let mut b = IrBlock::new(&ox86_x86::GLOBALS);
        let rsp = b.global(reg::RSP);
        let regs = [
            reg::RAX,
            reg::RCX,
            reg::RDX,
            reg::RBX,
            reg::RBP,
            reg::RSI,
            reg::RDI,
            reg::R8,
        ];
        let one = b.movi(1);
        for (k, &r) in regs.iter().enumerate() {
            let g = b.global(r);
            // Fewer uses for later ones: the order of `canon` below.
            for _ in 0..regs.len() - k {
                let t = b.add(g, one);
                b.mov_to(g, t);
            }
        }
        b.movi_to(RIP, 0x1000);
        b.goto_tb(0);
        let pinned = [(rsp.0, hreg::RBX)];
        let (mut uses, mut canon) = (Vec::new(), Vec::new());
        assert!(loop_globals(&b, 0x1000, &pinned, &mut uses, &mut canon));
        let homes: Vec<u8> = canon.iter().map(|&(_, r)| r).collect();
        let others = LOOP_REGS.into_iter().filter(|&r| r != hreg::RBX);
        assert_eq!(homes, others.chain([hreg::RBX]).collect::<Vec<_>>());
        assert!(canon.iter().all(|&(g, _)| g != rsp.0));
    }

    #[test]
    fn a_tb_without_a_back_edge_has_no_loop_globals() {
        let mut b = IrBlock::new(&ox86_x86::GLOBALS);
        b.movi_to(RIP, 0x2000);
        b.goto_tb(0);
        let (mut uses, mut canon) = (Vec::new(), Vec::new());
        assert!(!loop_globals(&b, 0x1000, &[], &mut uses, &mut canon));
        assert!(canon.is_empty());
    }
}
