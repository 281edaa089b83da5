//! Register allocation inside one TB, done on the fly while emitting
//! (in the manner of TCG): every temp is dead, in its home (`CpuState`
//! field or frame slot), in a host register, or a known constant. Globals
//! are written back at block ends, helper calls and ops that can fault;
//! locals that cross a block boundary go through their frame slot.

use crate::abi::{env_disp, ALLOCATABLE, N_SLOTS};
use crate::emit::fits_i32;
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

    /// `discard t`: its value is dropped unwritten (its home keeps an
    /// older, now meaningless value).
    pub fn discard(&mut self, t: Temp) {
        let ti = t.index();
        if let Loc::Reg(r) = self.loc[ti] {
            self.reg_temp[r as usize] = NONE;
        }
        self.loc[ti] = Loc::Mem;
        self.set_dirty(ti, false);
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

    fn bind(&mut self, t: u32, r: u8) {
        self.reg_temp[r as usize] = t;
        self.loc[t as usize] = Loc::Reg(r);
        self.age[r as usize] = self.tick;
    }

    /// Moves `t` out of its register to its home.
    pub fn spill(&mut self, t: u32) {
        self.write_home(t);
        if let Loc::Reg(r) = self.loc[t as usize] {
            self.reg_temp[r as usize] = NONE;
        }
        self.loc[t as usize] = Loc::Mem;
    }

    /// A register not locked and not in `avoid`: a free one, else the
    /// least recently used one (clean values first), spilled.
    pub fn alloc_reg(&mut self, avoid: u16) -> u8 {
        let blocked = self.locked | avoid;
        let usable = |r: u8| blocked & (1 << r) == 0;
        if let Some(&r) = ALLOCATABLE
            .iter()
            .find(|&&r| usable(r) && self.reg_temp[r as usize] == NONE)
        {
            return r;
        }
        let victim = ALLOCATABLE
            .iter()
            .copied()
            .filter(|&r| usable(r))
            .min_by_key(|&r| {
                let t = self.reg_temp[r as usize] as usize;
                (self.dirty[t], self.age[r as usize])
            })
            .expect("an op locks fewer registers than there are");
        self.spill(self.reg_temp[victim as usize]);
        victim
    }

    /// Makes register `r` free for this op's own use (it stays unbound and
    /// locked): its temp moves to another free register or is spilled.
    pub fn claim(&mut self, r: u8) {
        let t = self.reg_temp[r as usize];
        self.locked |= 1 << r;
        if t == NONE {
            return;
        }
        let blocked = self.locked;
        if let Some(&s) = ALLOCATABLE
            .iter()
            .find(|&&s| blocked & (1 << s) == 0 && self.reg_temp[s as usize] == NONE)
        {
            self.mov_rr(s, r);
            self.reg_temp[r as usize] = NONE;
            self.bind(t, s);
        } else {
            self.spill(t);
        }
    }

    /// Puts `t` in a register (not in `avoid`) and locks it.
    pub fn in_reg(&mut self, t: Temp, avoid: u16) -> u8 {
        let ti = t.0;
        if let Loc::Reg(r) = self.loc[ti as usize] {
            if avoid & (1 << r) == 0 {
                self.locked |= 1 << r;
                self.age[r as usize] = self.tick;
                return r;
            }
        }
        let r = self.alloc_reg(avoid);
        self.load_value(r, ti);
        if let Loc::Reg(old) = self.loc[ti as usize] {
            self.reg_temp[old as usize] = NONE;
        }
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

    /// True if input `k` of op `i` dies there and sits in a register.
    pub fn dies_in_reg(&self, i: usize, op: &Op, k: usize) -> Option<u8> {
        if self.live.dead_ins[i] & (1 << k) == 0 {
            return None;
        }
        match self.loc[op.ins[k].index()] {
            Loc::Reg(r) => Some(r),
            _ => None,
        }
    }

    /// A destination register for output `d` of op `i`: the register of
    /// the first input in `reuse` that dies here, else `d`'s own register
    /// if `d` is not an input, else a fresh one. Locked.
    pub fn dst_reg(&mut self, i: usize, op: &Op, d: Temp, reuse: &[usize]) -> u8 {
        for &k in reuse {
            if let Some(r) = self.dies_in_reg(i, op, k) {
                return r;
            }
            if op.ins[k] == d {
                if let Loc::Reg(r) = self.loc[d.index()] {
                    return r;
                }
            }
        }
        if op.inputs().contains(&d) {
            let r = self.alloc_reg(0);
            self.locked |= 1 << r;
            return r;
        }
        self.own_reg(d)
    }

    /// `d`'s own register if it has one that is not locked (its old value
    /// is about to be overwritten), else a fresh one. Locked.
    pub fn own_reg(&mut self, d: Temp) -> u8 {
        if let Loc::Reg(r) = self.loc[d.index()] {
            if self.locked & (1 << r) == 0 {
                self.locked |= 1 << r;
                return r;
            }
        }
        let r = self.alloc_reg(0);
        self.locked |= 1 << r;
        r
    }

    /// Frees the inputs of op `i` that die there.
    pub fn kill_inputs(&mut self, i: usize, op: &Op) {
        let mask = self.live.dead_ins[i];
        if mask == 0 {
            return;
        }
        for (k, &t) in op.inputs().iter().enumerate() {
            if mask & (1 << k) != 0 {
                self.kill(t.0);
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
        if let Loc::Reg(r) = self.loc[ti] {
            if self.reg_temp[r as usize] == t {
                self.reg_temp[r as usize] = NONE;
            }
        }
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
        if t == crate::rip::RIP.0 {
            self.rip_lazy = false;
        }
        if !self.is_global(t) && self.live.crossing[ti] {
            self.crossing_active.push(t);
        }
    }

    /// `t` is now the value in register `r` (which is free or held by a
    /// temp that just died or by `t` itself).
    pub fn def_reg(&mut self, t: Temp, r: u8) {
        let ti = t.0;
        if let Loc::Reg(old) = self.loc[ti as usize] {
            if old != r {
                self.reg_temp[old as usize] = NONE;
            }
        }
        let prev = self.reg_temp[r as usize];
        if prev != NONE && prev != ti {
            debug_assert!(false, "t{ti} defined into r{r}, still held by live t{prev}");
            self.spill(prev);
        }
        self.bind(ti, r);
        self.note_def(ti);
    }

    /// `t` is now the constant `c`.
    pub fn def_const(&mut self, t: Temp, c: u64) {
        let ti = t.0;
        if let Loc::Reg(old) = self.loc[ti as usize] {
            self.reg_temp[old as usize] = NONE;
        }
        self.loc[ti as usize] = Loc::Const(c);
        self.note_def(ti);
    }

    /// Writes every dirty global to `CpuState` (they stay where they are).
    pub fn sync_globals(&mut self) {
        for g in self.dirty_globals() {
            self.write_home(g);
        }
    }

    /// Writes dirty globals and crossing locals to their homes: the state
    /// every block boundary expects.
    pub fn sync_all(&mut self) {
        self.sync_globals();
        let active = std::mem::take(&mut self.crossing_active);
        for &t in &active {
            self.write_home(t);
        }
        self.crossing_active = active;
    }

    /// After a block boundary: loop globals are in their registers (see
    /// `loops`), other globals (but a lazy rip) and crossing locals in their
    /// homes, block-local temps are dead.
    pub fn reset(&mut self) {
        for r in 0..16 {
            let t = self.reg_temp[r];
            if t != NONE {
                self.reg_temp[r] = NONE;
                let keep = self.is_global(t) || self.live.crossing[t as usize];
                self.loc[t as usize] = if keep { Loc::Mem } else { Loc::Dead };
            }
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
        self.canonical_state();
    }
}
