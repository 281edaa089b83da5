//! The return-address stack: guest CALLs and RETs become host `call`s and
//! `ret`s, so that the host's return predictor serves guest returns, and
//! a RET goes straight back to the code after its CALL's `call`, without
//! a jump-table probe.
//!
//! A guest CALL (`call_tb`, `lookup_call`) is a host `call`: to the callee
//! directly (the `call` is the chainable exit), or to the jump-table probe
//! of an indirect CALL. Its return point R, the code after the `call`,
//! checks that the guest target (in RAX) is the CALL's return address and
//! then takes a chainable exit there; any other target goes to the
//! jump-table probe (`Stubs::lookup`). A guest RET (`lookup_ret`) is
//! `ret 8` with its target in RAX: each entry is 16 bytes, R and 8 bytes
//! that keep the host stack aligned for helper calls.
//!
//! The stack only predicts. An entry of a CALL that never returns (a
//! longjmp, an exception) is popped by a later RET whose target differs.
//! The stub that enters generated code starts the stack with a sentinel
//! entry whose R is the miss stub, at `CpuState.ras_base`; a CALL at
//! `CpuState.ras_limit` (`RAS_DEPTH` entries) empties the stack first; the
//! stub that leaves generated code drops the stack whatever its depth, so
//! entries never outlive one run of generated code, during which no code
//! is invalidated. Spill slots live in `CpuState`, not in the host stack
//! frame, which moves.
//!
//! In user mode only: the translator emits the three ops there.

use crate::abi::{hreg, MAX_EXITS, RAS_BASE_DISP, RAS_LIMIT_DISP};
use crate::emit::fits_i32;
use crate::gen::{Cold, Gen};
use crate::rip::RIP;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

impl Gen {
    /// `call_tb`: a direct CALL returning to `ret`. Falls back to a plain
    /// `goto_tb` where that would not chain (or the TB has no two exits
    /// left).
    pub(crate) fn call_tb(&mut self, ret: u64) {
        let target = match self.konst(RIP) {
            Some(pc) if !(pc == self.tb_pc && self.body.is_some()) => pc,
            _ => return self.goto_tb(),
        };
        if self.exit_labels.len() + 2 > MAX_EXITS {
            return self.goto_tb();
        }
        self.set_dirty(RIP.index(), false);
        self.sync_exit();
        if target <= self.tb_pc && !self.counts_down(target) {
            self.check_exit_request(target);
        }
        // Unchained (or at the end of the loop countdown), the exit stub
        // leaves with the entry pushed: leaving drops the stack anyway.
        self.ras_room();
        self.chained_exit(target, true);
        self.return_point(ret);
        self.reset_for(self.tick as usize + 1);
    }

    /// `lookup_call`: an indirect CALL returning to `ret`, the target in
    /// rip.
    pub(crate) fn lookup_call(&mut self, ret: u64) {
        if self.exit_labels.len() + 1 > MAX_EXITS {
            return self.lookup_and_goto_ptr();
        }
        self.target_to_rax();
        self.ras_room();
        let probe = self.a.new_dynamic_label();
        dynasm!(self.a ; .arch x64 ; call =>probe);
        self.return_point(ret);
        self.a.dynamic_label(probe);
        self.emit_lookup();
        self.reset_for(self.tick as usize + 1);
    }

    /// `lookup_ret`: a RET, the target in rip.
    pub(crate) fn lookup_ret(&mut self) {
        self.target_to_rax();
        dynasm!(self.a ; .arch x64 ; ret 8);
        self.reset_for(self.tick as usize + 1);
    }

    /// Makes room for an entry and pushes its padding half (the `call`
    /// that follows pushes R), first emptying a full stack.
    fn ras_room(&mut self) {
        let (full, back) = (self.a.new_dynamic_label(), self.a.new_dynamic_label());
        dynasm!(self.a ; .arch x64
            ; cmp rsp, QWORD [rbp + RAS_LIMIT_DISP]
            ; jbe =>full
            ; =>back
            ; push rax
        );
        self.cold.push(Cold::RasFull { label: full, back });
    }

    /// The return point R of a CALL returning to `ret`, reached by the
    /// `ret 8` of a guest RET with its target in RAX: the chainable exit
    /// to `ret` if that is the target. Everything is synced; RDX is free.
    fn return_point(&mut self, ret: u64) {
        if fits_i32(ret) {
            dynasm!(self.a ; .arch x64 ; cmp rax, ret as i32);
        } else {
            self.mov_ri(hreg::RDX, ret);
            dynasm!(self.a ; .arch x64 ; cmp rax, rdx);
        }
        if ret <= self.tb_pc {
            self.jcc_abs(0x5, self.stubs.lookup);
            return self.guarded_jump(ret);
        }
        // The `je` is the chainable exit: a return to its CALL takes one
        // jump, where it was a `jne` not taken and then a `jmp`.
        self.chainable_jcc(0x4, ret);
        self.jmp_abs(self.stubs.lookup);
    }

    /// The cold path of `ras_room` at `label`: drops every entry (down to
    /// the sentinel) and goes `back`.
    pub(crate) fn emit_ras_full(&mut self, label: DynamicLabel, back: DynamicLabel) {
        dynasm!(self.a ; .arch x64
            ; =>label
            ; mov rsp, QWORD [rbp + RAS_BASE_DISP]
            ; jmp =>back
        );
    }
}
