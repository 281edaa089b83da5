//! Register allocation inside one TB, done on the fly while emitting
//! (in the manner of TCG): every temp is dead, in its home (`CpuState`
//! field or spill slot), in a host register, or a known constant. A copy
//! shares its source's register. When registers run out, the value read
//! again furthest ahead is spilled. Globals are written back at block
//! ends and helper calls (fault sites record where they are instead),
//! but at block ends the pinned globals (`abi::PINNED`) and a loop's
//! globals go to their registers instead (`canon`, see `loops`); locals
//! that cross a block boundary go through their spill slot.

use crate::abi::{env_disp, ALLOCATABLE, N_SLOTS};
use crate::emit::fits_i32;
use crate::gen::MAX_HOLDERS;
use crate::gen::{Gen, Loc, NONE};
use ox86_ir::{Op, Temp};

/// An operand as an instruction can take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    /// A host register.
    Reg(u8),
    /// A sign-extended 32-bit immediate.
    Imm(i32),
}

impl Gen {
    /// True if temp index `t` is a global.
    pub fn is_global(&self, t: u32) -> bool {
        (t as usize) < self.ng
    }

    /// Marks temp `t`'s home stale (`true`) or current.
    #[inline]
    pub fn set_dirty(&mut self, t: usize, dirty: bool) {
        self.dirty[t] = dirty;
        if t < self.ng {
            let bit = 1u64 << t;
            if dirty {
                self.dirty_mask |= bit;
            } else {
                self.dirty_mask &= !bit;
            }
        }
    }

    /// Marks the globals of `mask` (of the first 64) stale or current.
    pub fn set_dirty_mask(&mut self, mut mask: u64, dirty: bool) {
        while mask != 0 {
            let g = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            self.set_dirty(g, dirty);
        }
    }

    /// The dirty globals, in index order.
    pub fn dirty_globals(&self) -> impl Iterator<Item = u32> + use<> {
        let mut m = self.dirty_mask;
        std::iter::from_fn(move || {
            (m != 0).then(|| {
                let g = m.trailing_zeros();
                m &= m - 1;
                g
            })
        })
    }

    /// `ENV_REG` displacement of global `t`.
    pub fn global_disp(&self, t: u32) -> i32 {
        env_disp(self.ir.globals[t as usize].offset)
    }

    fn slot_of(&mut self, t: u32) -> u32 {
        let ti = t as usize;
        if self.slot[ti] != NONE {
            return self.slot[ti];
        }
        let reuse = if self.live.crossing[ti] {
            None
        } else {
            self.free_slots.pop()
        };
        let s = reuse.unwrap_or_else(|| {
            if self.next_slot as usize >= N_SLOTS {
                self.overflow = true;
                0
            } else {
                self.next_slot += 1;
                self.next_slot - 1
            }
        });
        self.slot[ti] = s;
        s
    }

    /// Emits `r = value of t` without changing where `t` lives.
    pub fn load_value(&mut self, r: u8, t: u32) {
        match self.loc[t as usize] {
            Loc::Const(c) => self.mov_ri(r, c),
            Loc::Reg(s) => self.mov_rr(r, s),
            Loc::Mem if self.is_global(t) => self.ld_env_reg(r, self.global_disp(t)),
            Loc::Mem => {
                let s = self.slot_of(t);
                self.ld_slot(r, s)
            }
            Loc::Dead => panic!("TB reads temp t{t} before writing it"),
        }
    }

    /// The temps register `r` holds (all with the same value).
    pub fn holders(&self, r: u8) -> &[u32] {
        &self.held[r as usize][..self.n_held[r as usize] as usize]
    }

    /// True if register `r` holds no temp.
    pub fn is_free(&self, r: u8) -> bool {
        self.n_held[r as usize] == 0
    }

    /// True if register `r` can take one more holder.
    fn has_room(&self, r: u8) -> bool {
        (self.n_held[r as usize] as usize) < MAX_HOLDERS
    }

    /// Removes `t` from the holders of the register it is in (its `loc`
    /// is left for the caller to set).
    fn detach(&mut self, t: u32) {
        if let Loc::Reg(r) = self.loc[t as usize] {
            let r = r as usize;
            let n = self.n_held[r] as usize;
            if let Some(k) = self.held[r][..n].iter().position(|&h| h == t) {
                self.held[r][k] = self.held[r][n - 1];
                self.n_held[r] -= 1;
            }
        }
    }

    /// `t` is now (also) in register `r`.
    fn bind(&mut self, t: u32, r: u8) {
        self.detach(t);
        let n = self.n_held[r as usize] as usize;
        debug_assert!(n < MAX_HOLDERS, "r{r} holds too many temps");
        self.held[r as usize][n] = t;
        self.n_held[r as usize] += 1;
        self.loc[t as usize] = Loc::Reg(r);
    }

    /// `t` leaves its register for its home, unwritten (the register is
    /// about to be clobbered, and the home is current or `t` was saved).
    pub fn forget(&mut self, t: u32) {
        self.detach(t);
        self.loc[t as usize] = Loc::Mem;
    }

    /// `t` is in register `r` from now on (its value put there already).
    pub fn place(&mut self, t: u32, r: u8) {
        self.bind(t, r);
    }

    /// Moves every holder of `from` to register `to` (free), with the move.
    pub fn move_holders(&mut self, to: u8, from: u8) {
        self.mov_rr(to, from);
        self.held[to as usize] = self.held[from as usize];
        self.n_held[to as usize] = self.n_held[from as usize];
        self.n_held[from as usize] = 0;
        for k in 0..self.n_held[to as usize] as usize {
            self.loc[self.held[to as usize][k] as usize] = Loc::Reg(to);
        }
    }

    /// `discard t`: its value is dropped unwritten (its home keeps an
    /// older, now meaningless value).
    pub fn discard(&mut self, t: Temp) {
        let ti = t.index();
        self.detach(t.0);
        self.loc[ti] = Loc::Mem;
        self.set_dirty(ti, false);
        if ti < 64 {
            self.pin_junk |= self.pinned_mask & 1 << ti;
        }
    }

    /// Writes `t` to its home if the home is stale.
    pub fn write_home(&mut self, t: u32) {
        let ti = t as usize;
        if !self.dirty[ti] {
            return;
        }
        self.set_dirty(ti, false);
        let global = self.is_global(t);
        match self.loc[ti] {
            Loc::Reg(r) if global => self.st_env_reg(self.global_disp(t), r),
            Loc::Reg(r) => {
                let s = self.slot_of(t);
                self.st_slot(s, r)
            }
            Loc::Const(c) if global => self.st_env_imm(self.global_disp(t), c),
            Loc::Const(c) => {
                let s = self.slot_of(t);
                self.st_slot_imm(s, c)
            }
            Loc::Mem | Loc::Dead => {}
        }
    }

    /// Moves `t` out of its register to its home.
    pub fn spill(&mut self, t: u32) {
        self.write_home(t);
        self.detach(t);
        self.loc[t as usize] = Loc::Mem;
    }

    /// Frees register `r`: every holder goes to its home.
    fn evict(&mut self, r: u8) {
        while let Some(&t) = self.holders(r).first() {
            self.spill(t);
        }
    }

    /// A register not locked and not in `avoid`: a free one, else the one
    /// whose value is read again furthest ahead (clean values first on a
    /// tie), spilled.
    pub fn alloc_reg(&mut self, avoid: u16) -> u8 {
        let blocked = self.locked | avoid;
        let usable = |r: u8| blocked & (1 << r) == 0;
        if let Some(&r) = self.order.iter().find(|&&r| usable(r) && self.is_free(r)) {
            return r;
        }
        let victim = ALLOCATABLE
            .iter()
            .copied()
            .filter(|&r| usable(r))
            .max_by_key(|&r| {
                let hs = self.holders(r);
                let at = self.tick as usize;
                let next = hs
                    .iter()
                    .map(|&t| crate::nextuse::next_read(&self.ir, &self.live.dead_op, Temp(t), at))
                    .min();
                let clean = hs.iter().all(|&t| !self.dirty[t as usize]);
                (next, clean)
            })
            .expect("an op locks fewer registers than there are");
        self.evict(victim);
        victim
    }

    /// Makes register `r` free for this op's own use (it stays unbound and
    /// locked): its temps move to another free register or are spilled.
    pub fn claim(&mut self, r: u8) {
        self.locked |= 1 << r;
        if self.is_free(r) {
            return;
        }
        let blocked = self.locked;
        if let Some(&s) = self
            .order
            .iter()
            .find(|&&s| blocked & (1 << s) == 0 && self.is_free(s))
        {
            self.move_holders(s, r);
        } else {
            self.evict(r);
        }
    }

    /// Puts `t` in a register (not in `avoid`) and locks it.
    pub fn in_reg(&mut self, t: Temp, avoid: u16) -> u8 {
        let ti = t.0;
        if let Loc::Reg(r) = self.loc[ti as usize] {
            if avoid & (1 << r) == 0 {
                self.locked |= 1 << r;
                return r;
            }
        }
        let h = self.hints.hint[ti as usize];
        let hinted = self.is_global(ti)
            && self.loc[ti as usize] == Loc::Mem
            && h != crate::hints::NO_HINT
            && (avoid | self.locked) & (1 << h) == 0
            && self.is_free(h);
        let r = if hinted { h } else { self.alloc_reg(avoid) };
        self.load_value(r, ti);
        if ti == crate::rip::RIP.0 && self.rip_lazy {
            // In a register rip can be spilled: it must be stored then.
            self.rip_lazy = false;
            self.set_dirty(ti as usize, true);
        }
        self.bind(ti, r);
        self.locked |= 1 << r;
        r
    }

    /// `t` as an immediate if it is a constant that fits, else in a register.
    pub fn val(&mut self, t: Temp, avoid: u16) -> Val {
        match self.loc[t.index()] {
            Loc::Const(c) if fits_i32(c) => Val::Imm(c as i32),
            _ => Val::Reg(self.in_reg(t, avoid)),
        }
    }

    /// The constant value of `t`, if known.
    pub fn konst(&self, t: Temp) -> Option<u64> {
        match self.loc[t.index()] {
            Loc::Const(c) => Some(c),
            _ => None,
        }
    }

    /// True if input `k` of op `i` is not needed after the op: a local
    /// read for the last time or a global about to be overwritten.
    pub fn dies(&self, i: usize, k: usize) -> bool {
        (self.live.dead_ins[i] | self.nu.gdies[i]) & (1 << k) != 0
    }

    /// True if op `i` may overwrite register `r`: each of its temps is an
    /// input that dies there, `d` (the op's output), or a global
    /// overwritten later before anything needs it (unless the op can
    /// fault: its fault site comes first).
    fn reusable(&self, i: usize, op: &Op, r: u8, d: Temp) -> bool {
        let can_fault = op.opc.flags() & ox86_ir::opf::CAN_FAULT != 0;
        self.holders(r).iter().all(|&h| {
            h == d.0
                || (!can_fault && self.dead_global(i, h))
                || op
                    .inputs()
                    .iter()
                    .enumerate()
                    .any(|(k, t)| t.0 == h && self.dies(i, k))
        })
    }

    /// True if `t` is a global whose value nothing needs after op `i`.
    fn dead_global(&self, i: usize, t: u32) -> bool {
        t < 64 && self.is_global(t) && self.nu.gdead[i] & (1 << t) != 0
    }

    /// Drops the globals whose values nothing needs after op `i` (loop
    /// globals stay in their registers).
    pub fn drop_dead_globals(&mut self, i: usize) {
        self.drop_globals(self.nu.gdead[i]);
    }

    /// Drops the globals of `mask` (a loop's globals aside) that are in a
    /// register or a constant (see `drop_global`).
    pub fn drop_globals(&mut self, mut mask: u64) {
        if mask == 0 {
            return;
        }
        if self.loop_tb {
            for &(g, _) in &self.canon {
                mask &= !(1u64.checked_shl(g).unwrap_or(0));
            }
        }
        while mask != 0 {
            let g = mask.trailing_zeros();
            mask &= mask - 1;
            if let Loc::Reg(_) | Loc::Const(_) = self.loc[g as usize] {
                self.drop_global(g);
            }
        }
    }

    /// Global `g`'s value is overwritten before anything reads it or needs
    /// it in `CpuState`: its register is free and its stale home is never
    /// seen (nor, if it is pinned, placed in its register at a block end).
    fn drop_global(&mut self, g: u32) {
        self.detach(g);
        self.loc[g as usize] = Loc::Mem;
        self.set_dirty(g as usize, false);
        if g < 64 {
            self.pin_junk |= self.pinned_mask & 1 << g;
        }
    }

    /// The register of input `k` of op `i` if the op's output may go
    /// there (see `reusable`).
    pub fn dies_in_reg(&self, i: usize, op: &Op, k: usize) -> Option<u8> {
        if !self.dies(i, k) {
            return None;
        }
        match self.loc[op.ins[k].index()] {
            Loc::Reg(r) if self.reusable(i, op, r, op.outs[0]) => Some(r),
            _ => None,
        }
    }

    /// A destination register for output `d` of op `i`: the register of
    /// the first input in `reuse` that may be overwritten, else `d`'s own
    /// register if `d` is not an input, else a fresh one. Locked.
    pub fn dst_reg(&mut self, i: usize, op: &Op, d: Temp, reuse: &[usize]) -> u8 {
        for &k in reuse {
            if let Some(r) = self.dies_in_reg(i, op, k) {
                self.locked |= 1 << r;
                return r;
            }
        }
        for &k in reuse {
            if let Some(r) = self.evacuate(i, op, k) {
                self.locked |= 1 << r;
                return r;
            }
        }
        if op.inputs().contains(&d) {
            let r = self.alloc_for(d);
            self.locked |= 1 << r;
            return r;
        }
        self.own_reg(d)
    }

    /// The register of input `k` of op `i` freed for the op's output by
    /// moving the one value it holds that is needed after the op, a
    /// global with a register at block ends (`canon`) that is free, to
    /// that register, where the block's end would put it (the global is
    /// not written again before): `add rsp, 8` after `add rsp, 38h`, whose
    /// lazy result shares RSP's register, goes on in RSP's register, the
    /// result moving to its own now rather than RSP at the block's end.
    /// (The op reads its inputs before it writes: the value may be one.)
    fn evacuate(&mut self, i: usize, op: &Op, k: usize) -> Option<u8> {
        let Loc::Reg(r) = self.loc[op.ins[k].index()] else {
            return None;
        };
        let can_fault = op.opc.flags() & ox86_ir::opf::CAN_FAULT != 0;
        let mut mover = None;
        for &h in self.holders(r) {
            let freed = h == op.outs[0].0
                || (!can_fault && self.dead_global(i, h))
                || op
                    .inputs()
                    .iter()
                    .enumerate()
                    .any(|(k, t)| t.0 == h && self.dies(i, k));
            if freed {
                continue;
            }
            if mover.is_some() {
                return None;
            }
            mover = Some(self.movable(i, h, r)?);
        }
        let (h, c) = mover?;
        self.mov_rr(c, r);
        self.bind(h, c);
        Some(r)
    }

    /// The register `t`, held in `r` and needed after op `i`, may move to
    /// ahead of the block's end: `t` is a global with a register at block
    /// ends (`canon`) other than `r`, free and not locked, and is not
    /// written again in the block (the move is the one the block's end
    /// would make).
    fn movable(&self, i: usize, t: u32, r: u8) -> Option<(u32, u8)> {
        if !self.is_global(t) {
            return None;
        }
        let c = self.canon_reg(t as usize)?;
        let placed = c != r
            && self.is_free(c)
            && self.locked & (1 << c) == 0
            && !crate::nextuse::written_in_block(&self.ir, &self.live.dead_op, Temp(t), i + 1);
        placed.then_some((t, c))
    }

    /// Frees hinted register `r` for the current op's output when it holds
    /// what `hint_free` allows and one global needed after the op, not its
    /// input, that may move to its own register (see `movable`).
    fn hint_evacuate(&mut self, r: u8) -> bool {
        let i = self.tick as usize;
        let Some(&op) = self.ir.ops.get(i) else {
            return false;
        };
        let dead_ok = op.opc.flags() & ox86_ir::opf::CAN_FAULT == 0 || plain_load(op.opc);
        let mut mover = None;
        for &t in self.holders(r) {
            if op.inputs().contains(&Temp(t)) {
                return false;
            }
            if dead_ok && self.dead_global(i, t) {
                continue;
            }
            if mover.is_some() {
                return false;
            }
            match self.movable(i, t, r) {
                Some(m) => mover = Some(m),
                None => return false,
            }
        }
        let Some((t, c)) = mover else {
            return false;
        };
        self.mov_rr(c, r);
        self.bind(t, c);
        true
    }

    /// `d`'s own register if it holds nothing else and is not locked (its
    /// old value is about to be overwritten), else a fresh one. Locked.
    pub fn own_reg(&mut self, d: Temp) -> u8 {
        if let Loc::Reg(r) = self.loc[d.index()] {
            if self.locked & (1 << r) == 0 && self.holders(r) == [d.0] {
                self.locked |= 1 << r;
                return r;
            }
        }
        let r = self.alloc_for(d);
        self.locked |= 1 << r;
        r
    }

    /// True if hinted register `r` may take the current op's output: it
    /// is free, or holds only globals nothing needs after the op that are
    /// not its inputs (and the op cannot fault: its fault site would look
    /// for them there; but a load's faulting access is the one instruction
    /// that writes its output, which a fault leaves as it was). `def_reg`
    /// drops them.
    fn hint_free(&self, r: u8) -> bool {
        if self.is_free(r) {
            return true;
        }
        let i = self.tick as usize;
        let Some(op) = self.ir.ops.get(i) else {
            return false;
        };
        (op.opc.flags() & ox86_ir::opf::CAN_FAULT == 0 || plain_load(op.opc))
            && self
                .holders(r)
                .iter()
                .all(|&t| self.dead_global(i, t) && !op.inputs().contains(&Temp(t)))
    }

    /// A register for a new value of `d`: its hint (`hints`; for a global,
    /// its register at block ends) if that is free, else `alloc_reg`'s.
    fn alloc_for(&mut self, d: Temp) -> u8 {
        let h = if self.is_global(d.0) {
            self.canon_reg(d.index()).unwrap_or(crate::hints::NO_HINT)
        } else {
            self.hints.hint[d.index()]
        };
        if h != crate::hints::NO_HINT
            && self.locked & (1 << h) == 0
            && (self.hint_free(h) || self.hint_evacuate(h))
        {
            return h;
        }
        self.alloc_reg(0)
    }

    /// Frees the inputs of op `i` that die there.
    pub fn kill_inputs(&mut self, i: usize, op: &Op) {
        let mask = self.live.dead_ins[i];
        let gmask = self.nu.gdies[i];
        if mask | gmask == 0 {
            return;
        }
        for (k, &t) in op.inputs().iter().enumerate() {
            if mask & (1 << k) != 0 {
                self.kill(t.0);
            } else if gmask & (1 << k) != 0 {
                self.drop_global(t.0);
            }
        }
    }

    /// Frees the outputs of op `i` that are never read.
    pub fn kill_outputs(&mut self, i: usize, op: &Op) {
        let mask = self.live.dead_outs[i];
        for (k, &t) in op.outputs().iter().enumerate() {
            if mask & (1 << k) != 0 {
                self.kill(t.0);
            }
        }
    }

    /// Marks `t` dead and frees its register and slot.
    pub fn kill(&mut self, t: u32) {
        let ti = t as usize;
        self.detach(t);
        self.loc[ti] = Loc::Dead;
        self.set_dirty(ti, false);
        let s = self.slot[ti];
        if s != NONE && !self.live.crossing[ti] {
            self.slot[ti] = NONE;
            self.free_slots.push(s);
        }
    }

    fn note_def(&mut self, t: u32) {
        let ti = t as usize;
        self.set_dirty(ti, true);
        if ti < 64 {
            self.pin_junk &= !(1 << ti);
        }
        if t == crate::rip::RIP.0 {
            self.rip_lazy = false;
        }
        if !self.is_global(t) && self.live.crossing[ti] {
            self.crossing_active.push(t);
        }
    }

    /// `t` is now the value in register `r` (which is free or held by
    /// temps that just died or by `t` itself).
    pub fn def_reg(&mut self, t: Temp, r: u8) {
        let ti = t.0;
        self.detach(ti);
        if self.loc[ti as usize] == Loc::Reg(r) {
            self.loc[ti as usize] = Loc::Mem;
        }
        while let Some(&prev) = self.holders(r).first() {
            if self.dead_global(self.tick as usize, prev) {
                self.drop_global(prev);
                continue;
            }
            debug_assert!(false, "t{ti} defined into r{r}, still held by live t{prev}");
            self.spill(prev);
        }
        self.bind(ti, r);
        self.note_def(ti);
    }

    /// `t` is now a copy of `s`, which is in register `r`: both share it.
    pub fn def_copy(&mut self, t: Temp, r: u8) {
        self.bind(t.0, r);
        self.note_def(t.0);
    }

    /// True if register `r` can take one more holder.
    pub fn can_share(&self, r: u8) -> bool {
        self.has_room(r)
    }

    /// `t` is now the constant `c`.
    pub fn def_const(&mut self, t: Temp, c: u64) {
        let ti = t.0;
        self.detach(ti);
        self.loc[ti as usize] = Loc::Const(c);
        self.note_def(ti);
    }

    /// After op `i`: drops globals nothing needs any more.
    pub fn note_uses(&mut self, i: usize, op: &Op) {
        if self.live.dead_op[i] {
            return;
        }
        // Globals found dead after the previous op and not written since
        // were dropped then.
        let written = op
            .outputs()
            .iter()
            .filter(|t| t.index() < self.ng)
            .fold(0u64, |m, t| m | 1 << t.index());
        let dead = self.nu.gdead[i];
        self.drop_globals(dead & !(self.prev_dead & !written));
        self.prev_dead = dead;
    }

    /// Writes every dirty global and XMM register to `CpuState` (they
    /// stay where they are).
    pub fn sync_globals(&mut self) {
        for g in self.dirty_globals() {
            self.write_home(g);
        }
        self.xmm_flush(true);
    }

    /// Writes the locals that cross blocks to their spill slots.
    pub fn write_crossing(&mut self) {
        let active = std::mem::take(&mut self.crossing_active);
        for &t in &active {
            self.write_home(t);
        }
        self.crossing_active = active;
    }

    /// Writes dirty globals and crossing locals to their homes: the state
    /// every block boundary expects.
    pub fn sync_all(&mut self) {
        self.sync_globals();
        self.write_crossing();
    }

    /// Before a jump to other generated code, or to an exit stub that
    /// stores the pinned globals (see `stubs`): dirty globals, XMM
    /// registers and crossing locals go home, the pinned globals to their
    /// registers. Values left
    /// in registers are not to be read afterwards (the pinned registers
    /// may have been overwritten).
    pub fn sync_exit(&mut self) {
        self.xmm_flush(false);
        for g in self.dirty_globals() {
            if self.pinned_mask & (1 << g) == 0 {
                self.write_home(g);
            }
        }
        self.write_crossing();
        let pinned = std::mem::take(&mut self.pinned);
        self.place_in_regs(&pinned);
        self.pinned = pinned;
    }

    /// After a block boundary: loop globals are in their registers (see
    /// `loops`), other globals (but a lazy rip) and crossing locals in their
    /// homes, block-local temps are dead.
    pub fn reset(&mut self) {
        for r in 0..16u8 {
            for k in 0..self.n_held[r as usize] as usize {
                let t = self.held[r as usize][k];
                let keep = self.is_global(t) || self.live.crossing[t as usize];
                self.loc[t as usize] = if keep { Loc::Mem } else { Loc::Dead };
            }
            self.n_held[r as usize] = 0;
        }
        for g in 0..self.ng {
            let lazy_rip = self.rip_lazy && g == crate::rip::RIP.index();
            if let (Loc::Const(_), false) = (self.loc[g], lazy_rip) {
                self.loc[g] = Loc::Mem;
            }
        }
        for t in std::mem::take(&mut self.crossing_active) {
            if let Loc::Const(_) | Loc::Reg(_) = self.loc[t as usize] {
                self.loc[t as usize] = Loc::Mem;
            }
        }
        self.pin_junk = 0;
        self.canonical_state();
    }
}

/// True for the loads of guest memory whose output is written by the
/// access itself (`ops::load`, `sib::access_sib`): one host instruction.
fn plain_load(opc: ox86_ir::Opcode) -> bool {
    use ox86_ir::Opcode::*;
    matches!(opc, Ld8u | Ld8s | Ld16u | Ld16s | Ld32u | Ld32s | Ld64)
}
