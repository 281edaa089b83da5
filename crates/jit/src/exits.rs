//! Code for the ops that leave straight-line code: helper calls (SysV
//! ABI, exception check after the call), `goto_tb` (patchable jump to an
//! exit stub), `lookup_and_goto_ptr` (inline jump-table probe) and `raise`.

use crate::abi::{
    exc_disp, hreg, ARG_REGS, CALLEE_SAVED, CALLER_SAVED, ENV_BIAS, EXIT_REQUEST_DISP,
    JMP_CACHE_DISP, LOOP_COUNTDOWN_DISP, MAX_EXITS,
};
use crate::emit::fits_i32;
use crate::gen::{Cold, Gen, Loc};
use crate::jmp_table::{HITS_OFFSET, MASK_OFFSET};
use crate::rip::RIP;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use ox86_ir::{Op, Opcode};
use ox86_x86::cpu::PendingException;
use ox86_x86::helpers;
use std::mem::offset_of;

/// `ENV_REG` displacement of `CpuState.exception.pending`.
pub(crate) const PENDING: i32 = exc_disp(offset_of!(PendingException, pending));

impl Gen {
    /// `call` (`pure` false: the helper may read and write every global
    /// and raise) or `call_pure` (it touches no guest state).
    pub(crate) fn call(&mut self, i: usize, op: &Op, pure: bool) {
        let h = helpers::by_id(op.consts[0] as u32);
        if pure && std::ptr::eq(h, &helpers::flags::CC_COMPUTE_C) {
            return self.compute_c(i, op, h.func as usize);
        }
        if !pure {
            self.materialize_rip();
            self.sync_globals();
        }
        // The call clobbers every host XMM register.
        self.xmm_flush(true);
        self.save_caller_saved(i, op, pure);
        self.move_args(op);
        dynasm!(self.a ; .arch x64 ; lea rdi, [rbp - ENV_BIAS]);
        self.call_abs(h.func as usize);
        self.xc.clear();
        for r in 0..16u8 {
            let clobbered = CALLER_SAVED & (1 << r) != 0;
            let mut k = 0;
            while let Some(&t) = self.holders(r).get(k) {
                if clobbered || (!pure && self.is_global(t)) {
                    self.forget(t);
                } else {
                    k += 1;
                }
            }
        }
        if !pure {
            for g in 0..self.ng {
                self.loc[g] = Loc::Mem;
            }
        }
        self.kill_inputs(i, op);
        if !pure {
            dynasm!(self.a ; .arch x64 ; cmp DWORD [rbp + PENDING], 0);
            let label = self.a.new_dynamic_label();
            self.jcc_label(0x5, label);
            self.cold.push(Cold::Exception {
                label,
                pc: self.cur_pc,
            });
        }
        self.def_reg(op.outs[0], hreg::RAX);
        self.kill_outputs(i, op);
    }

    /// Before a call: every value in a caller-saved register that is still
    /// needed afterwards moves to a free callee-saved register or to its
    /// home. (Globals matter only for pure helpers: otherwise they are
    /// written back and reloaded after the call anyway.)
    pub(crate) fn save_caller_saved(&mut self, i: usize, op: &Op, pure: bool) {
        let dead = self.live.dead_ins[i];
        let dying = |t: u32| {
            op.inputs()
                .iter()
                .enumerate()
                .any(|(k, u)| u.0 == t && dead & (1 << k) != 0)
        };
        for r in 0..16u8 {
            if CALLER_SAVED & (1 << r) == 0 {
                continue;
            }
            let needed = |g: &Self, t: u32| !dying(t) && (pure || !g.is_global(t));
            if !self.holders(r).iter().any(|&t| needed(self, t)) {
                continue;
            }
            let free = CALLEE_SAVED
                .iter()
                .copied()
                .find(|&s| self.is_free(s) && self.locked & (1 << s) == 0);
            match free {
                Some(s) => self.move_holders(s, r),
                None => {
                    for k in 0..self.holders(r).len() {
                        let t = self.holders(r)[k];
                        if needed(self, t) {
                            self.write_home(t);
                        }
                    }
                }
            }
        }
    }

    /// Loads the helper arguments into their registers: register-to-register
    /// moves first (cycles broken through the scratch register), then
    /// constants and values from memory.
    pub(crate) fn move_args(&mut self, op: &Op) {
        let mut moves = std::mem::take(&mut self.moves);
        for (k, &t) in op.inputs().iter().enumerate() {
            let dst = ARG_REGS[k];
            match self.loc[t.index()] {
                Loc::Reg(r) if r != dst => moves.push((dst, r)),
                _ => {}
            }
        }
        self.parallel_move(&mut moves);
        self.moves = moves;
        for (k, &t) in op.inputs().iter().enumerate() {
            if !matches!(self.loc[t.index()], Loc::Reg(_)) {
                self.load_value(ARG_REGS[k], t.0);
            }
        }
    }

    pub(crate) fn goto_tb(&mut self) {
        match self.konst(RIP) {
            Some(pc) if pc == self.tb_pc && self.body.is_some() => self.back_edge(),
            Some(pc) if self.exit_labels.len() < MAX_EXITS => {
                // Chained, the target does not need `CpuState.rip`;
                // unchained, `Jit::run` sets it from the exit's target.
                self.set_dirty(RIP.index(), false);
                self.sync_exit();
                self.guarded_jump(pc);
            }
            // It leaves the TB in the state `reset_for` gives.
            _ => return self.lookup_and_goto_ptr(),
        }
        self.reset_for(self.tick as usize + 1);
    }

    /// After code that leaves the TB, with op `next` the next to compile:
    /// the register state at a block start (`reset`), unless no op is left
    /// (most exits end their TB, and nothing after them reads the state).
    pub(crate) fn reset_for(&mut self, next: usize) {
        if next < self.ir.ops.len() {
            self.reset();
        }
    }

    /// A `brcond` to label `l` that ends the TB with two chainable exits
    /// (`brcond; movi rip, x; goto_tb; set_label l; movi rip, y; goto_tb`,
    /// discards aside, `l` branched to from nowhere else): the targets
    /// `(x, y)` and the index of the last `goto_tb`.
    pub(crate) fn two_way_exit(&self, i: usize, l: u64) -> Option<(u64, u64, usize)> {
        let ops = &self.ir.ops;
        let mut j = i + 1;
        let target = |j: &mut usize| -> Option<u64> {
            while ops.get(*j)?.opc == Opcode::Discard {
                *j += 1;
            }
            let (m, g) = (ops.get(*j)?, ops.get(*j + 1)?);
            let pc = m.consts[0];
            let chains = m.opc == Opcode::Movi
                && m.outs[0] == RIP
                && g.opc == Opcode::GotoTb
                && !(pc == self.tb_pc && self.body.is_some());
            *j += 2;
            chains.then_some(pc)
        };
        let x = target(&mut j)?;
        let set = ops.get(j)?;
        if set.opc != Opcode::SetLabel || set.consts[0] != l {
            return None;
        }
        j += 1;
        let y = target(&mut j)?;
        let elsewhere = ops.iter().enumerate().any(|(k, o)| {
            k != i
                && ((o.opc == Opcode::Brcond && o.consts[1] == l)
                    || (o.opc == Opcode::Br && o.consts[0] == l))
        });
        let room = self.exit_labels.len() + 2 <= MAX_EXITS;
        (!elsewhere && room).then_some((x, y, j - 1))
    }

    /// The two exits of a `two_way_exit` after its compare: the jump to
    /// the target that needs no `exit_request` check (one after the TB's
    /// pc) is the patchable `j<cc>` itself, so that either way out takes
    /// one jump; the other target follows. `cc` is the condition for `y`.
    /// Returns false (emitting nothing) if both targets need the check.
    pub(crate) fn emit_two_way_exit(&mut self, cc: u8, x: u64, y: u64) -> bool {
        let (cc, near, far) = if y > self.tb_pc {
            (cc, y, x)
        } else if x > self.tb_pc {
            (cc ^ 1, x, y)
        } else {
            return false;
        };
        self.drop_dead_globals(self.tick as usize);
        self.set_dirty(RIP.index(), false);
        self.sync_exit();
        self.chainable_jcc(cc, near);
        self.guarded_jump(far);
        self.xc_falls = false;
        true
    }

    /// True if a chained jump to `pc` counts down `loop_countdown`: a
    /// jump back (to `pc` not above the TB's) on the TB's page, in user
    /// mode. It needs no `exit_request` test of its own: a request sets
    /// the countdown to 1 (`CpuState::request_exit`), so the jump leaves.
    pub(crate) fn counts_down(&self, pc: u64) -> bool {
        let page = !(ox86_x86::translate::PAGE_SIZE - 1);
        pc <= self.tb_pc && pc & page == self.tb_pc & page && self.opts.store_hook.is_none()
    }

    /// The patchable `jmp` of a chainable exit to `pc`. A jump that
    /// `counts_down` decrements `loop_countdown` first and leaves through
    /// the exit stub when it reaches zero: the exec loop samples those
    /// jumps for loop heads, which it only takes on the page of the jump,
    /// and sees an exit request there.
    pub(crate) fn chained_jump(&mut self, pc: u64) {
        self.chained_exit(pc, false);
    }

    /// The chainable exit to `pc` with the test a jump back needs (the
    /// loop countdown where `counts_down`, else a test of `exit_request`),
    /// the test's conditional jump being the patchable jump itself: the
    /// way on is `dec; jne` or `cmp; je` to the target, where it was the
    /// test's jump, not taken, and then a `jmp` (lua 211.9 -> 207.3 ms); the
    /// way out, when the countdown runs out or an exit is requested,
    /// follows. A jump forward needs no test: `chained_jump`.
    pub(crate) fn guarded_jump(&mut self, pc: u64) {
        let countdown = self.counts_down(pc);
        if !countdown && pc > self.tb_pc {
            return self.chained_jump(pc);
        }
        let (on, out) = if countdown {
            dynasm!(self.a ; .arch x64 ; dec DWORD [BYTE rbp + LOOP_COUNTDOWN_DISP]);
            (0x5, None)
        } else {
            dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbp + EXIT_REQUEST_DISP], 0);
            (0x4, Some(self.a.new_dynamic_label()))
        };
        let label = self.chainable_jcc(on, pc);
        match out {
            // The countdown ran out: the exit stub, unchained or not.
            None => dynasm!(self.a ; .arch x64 ; jmp =>label),
            Some(request) => {
                dynasm!(self.a ; .arch x64 ; jmp =>request);
                self.cold.push(Cold::Request { label: request, pc });
            }
        }
    }

    /// The chainable exit to `pc` as a `j<cc>` (rel32, its field aligned
    /// for patching) to a new exit stub, whose label it returns: chained,
    /// the jump goes straight to `pc`'s code.
    pub(crate) fn chainable_jcc(&mut self, cc: u8, pc: u64) -> DynamicLabel {
        let label = self.a.new_dynamic_label();
        self.pad_branch_to(2);
        let at = self.off();
        self.jcc_label(cc, label);
        assert_eq!(self.off() - at, 6, "a chainable j<cc> must be rel32");
        let k = self.exit_labels.len();
        self.exit_labels.push((label, at + 2, pc));
        self.cold.push(Cold::Exit { label, k });
        label
    }

    /// `chained_jump`, or with `call` the same exit as a `call rel32` (a
    /// guest CALL; see `ras`).
    pub(crate) fn chained_exit(&mut self, pc: u64, call: bool) {
        let label = self.a.new_dynamic_label();
        if self.counts_down(pc) {
            dynasm!(self.a ; .arch x64 ; dec DWORD [BYTE rbp + LOOP_COUNTDOWN_DISP]);
            self.jcc_label(0x4, label);
        }
        self.pad_branch_to(3);
        let at = self.off();
        if call {
            dynasm!(self.a ; .arch x64 ; call =>label);
        } else {
            dynasm!(self.a ; .arch x64 ; jmp =>label);
        }
        assert_eq!(self.off() - at, 5, "a chainable exit must be rel32");
        let k = self.exit_labels.len();
        self.exit_labels.push((label, at + 1, pc));
        self.cold.push(Cold::Exit { label, k });
    }

    pub(crate) fn lookup_and_goto_ptr(&mut self) {
        self.target_to_rax();
        self.emit_lookup();
        self.reset_for(self.tick as usize + 1);
    }

    /// Syncs everything for an indirect exit and moves its target (rip)
    /// to RAX.
    pub(crate) fn target_to_rax(&mut self) {
        // The target does not need `CpuState.rip`; the miss path stores it.
        // Its register must survive the pinned globals' placement.
        // (It may stay in a pinned global's register that already holds
        // that global: placing the others leaves it alone.)
        let pinned = self.pinned.iter().fold(0u16, |m, &(_, r)| m | 1 << r);
        let stays = |r: u8| {
            self.pinned
                .iter()
                .any(|&(g, p)| p == r && self.loc[g as usize] == Loc::Reg(r))
        };
        let r = match self.loc[RIP.index()] {
            Loc::Reg(r) if stays(r) => {
                self.locked |= 1 << r;
                r
            }
            _ => self.in_reg(RIP, pinned),
        };
        self.set_dirty(RIP.index(), false);
        self.sync_exit();
        self.mov_rr(hreg::RAX, r);
    }

    /// Probes the jump table for `rip` (in RAX) and jumps to the code
    /// found; a miss stores rip and returns to the exec loop. Everything
    /// else is in its home or pinned register already, so RCX and RDX are
    /// free.
    pub(crate) fn emit_lookup(&mut self) {
        dynasm!(self.a ; .arch x64 ; mov rdx, QWORD [rbp + JMP_CACHE_DISP]);
        // `jmp_hash`: with BMI2, RORX copies and shifts in one (a rotate
        // differs from the shift only in the top 12 bits, which the mask
        // drops).
        const _: () = assert!(crate::jmp_table::LARGE_BITS < 64 - 12);
        if self.opts.bmi2 {
            dynasm!(self.a ; .arch x64 ; rorx rcx, rax, 12);
        } else {
            dynasm!(self.a ; .arch x64 ; mov rcx, rax ; shr rcx, 12);
        }
        dynasm!(self.a ; .arch x64
            ; xor rcx, rax
            ; and rcx, QWORD [BYTE rdx + MASK_OFFSET]
            ; cmp QWORD [rdx + rcx * 8], rax
        );
        // A hit may close a loop: an exit request empties the table
        // (`CpuState::request_exit`), so that the probe misses.
        self.jcc_abs(0x5, self.stubs.miss);
        if self.opts.count_hits {
            dynasm!(self.a ; .arch x64 ; inc QWORD [rdx + HITS_OFFSET]);
        }
        dynasm!(self.a ; .arch x64 ; jmp QWORD [rdx + rcx * 8 + 8]);
    }

    pub(crate) fn raise(&mut self, v: u64) {
        self.materialize_rip();
        self.sync_all();
        let vector = exc_disp(offset_of!(PendingException, vector));
        let addr = exc_disp(offset_of!(PendingException, addr));
        let write = exc_disp(offset_of!(PendingException, write));
        let bus = exc_disp(offset_of!(PendingException, bus));
        debug_assert!(fits_i32(v));
        dynasm!(self.a ; .arch x64
            ; cmp DWORD [rbp + PENDING], 0
            ; jne >pending
            ; mov DWORD [rbp + PENDING], 1
            ; mov DWORD [rbp + vector], v as i32
            ; mov QWORD [rbp + addr], 0
            ; mov DWORD [rbp + write], 0
            ; mov DWORD [rbp + bus], 0
            ; pending:
        );
        self.jmp_abs(self.stubs.exception);
        self.reset_for(self.tick as usize + 1);
    }
}
