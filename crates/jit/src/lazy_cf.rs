//! CF of a lazy-flags state whose producer is known only at run time
//! (`call_pure cc_compute_c`, as a JB, JAE, ADC or a CF-keeping INC at
//! the start of a TB reads it). The states whose CF needs no arithmetic
//! (`ox86_x86::cc::CF_SHORTCUTS`: flags held in `cc_src`, INC and DEC,
//! logic ops) are answered inline; the others call the helper out of
//! line, with every register kept: the op costs no spill of the values in
//! caller-saved registers, as a call would. busybox awk reads CF after a
//! 32-bit logic op of another TB three million times in its bench run,
//! mostly at an INC.

use crate::gen::{Cold, Gen, Loc};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use ox86_ir::Op;
use ox86_x86::cc::{CfShortcut, CF_SHORTCUTS};
use ox86_x86::cpu::xmm_offset;

// The inline checks take the masks and values as sign-extended imm32s.
const _: () = {
    let mut i = 0;
    while i < CF_SHORTCUTS.len() {
        let (mask, value, _) = CF_SHORTCUTS[i];
        assert!(mask as i64 as i32 as i64 as u64 == mask && value <= i32::MAX as u64);
        i += 1;
    }
};

/// The caller-saved registers the out-of-line call saves, in push order
/// (R11, the scratch register, holds no value across ops).
const SAVED: [u8; 8] = [0, 1, 2, 6, 7, 8, 9, 10];

/// The helper's argument registers after `env`: `cc_op`, `cc_dst`,
/// `cc_src`, `cc_src2` (RSI, RDX, RCX, R8).
const ARGS: [u8; 4] = [6, 2, 1, 8];

/// Where an argument of the out-of-line call is.
#[derive(Clone, Copy, Debug)]
enum Arg {
    Reg(u8),
    Const(u64),
    /// A global's home in `CpuState` (its `ENV_REG` displacement).
    Env(i32),
}

/// The out-of-line call of `cc_compute_c`.
pub(crate) struct SlowCf {
    label: DynamicLabel,
    back: DynamicLabel,
    func: usize,
    args: [Arg; 4],
    /// The result's register.
    out: u8,
    /// Dirty XMM registers to store before the call: (guest, host).
    flush: Vec<(usize, u8)>,
    /// The XMM cache: (host register, displacement of its guest
    /// register), reloaded after the call (which may clobber them).
    reload: Vec<(u8, i32)>,
}

impl Gen {
    /// Op `i`, `op`: `call_pure cc_compute_c` (at `func`).
    pub(crate) fn compute_c(&mut self, i: usize, op: &Op, func: usize) {
        let kind = self.in_reg(op.ins[0], 0);
        let src = self.in_reg(op.ins[2], 0);
        let mut args = [Arg::Reg(kind), Arg::Const(0), Arg::Reg(src), Arg::Const(0)];
        for k in [1, 3] {
            let t = op.ins[k];
            args[k] = match self.loc[t.index()] {
                Loc::Reg(r) => Arg::Reg(r),
                Loc::Const(c) => Arg::Const(c),
                Loc::Mem if self.is_global(t.0) => Arg::Env(self.global_disp(t.0)),
                Loc::Mem | Loc::Dead => Arg::Reg(self.in_reg(t, 0)),
            };
        }
        let out = self.dst_reg(i, op, op.outs[0], &[]);
        let (zero, carry_in, label, back) = (
            self.a.new_dynamic_label(),
            self.a.new_dynamic_label(),
            self.a.new_dynamic_label(),
            self.a.new_dynamic_label(),
        );
        for (mask, value, rule) in CF_SHORTCUTS {
            let to = match rule {
                CfShortcut::Clear => zero,
                CfShortcut::SrcBit0 => carry_in,
            };
            let (mask, value) = (mask as i64 as i32, value as i32);
            if mask == -1 {
                dynasm!(self.a ; .arch x64 ; cmp Rq(kind), value ; je =>to);
            } else {
                dynasm!(self.a ; .arch x64
                    ; mov r11, Rq(kind)
                    ; and r11, mask
                    ; cmp r11, value
                    ; je =>to
                );
            }
        }
        dynasm!(self.a ; .arch x64
            ; jmp =>label
            ; =>carry_in
            ; mov Rd(out), Rd(src)
            ; and Rd(out), 1
            ; jmp =>back
            ; =>zero
            ; xor Rd(out), Rd(out)
            ; =>back
        );
        let flush = self.xc.dirty_entries().collect();
        let reload = self
            .xc
            .entries()
            .map(|(g, h)| (h, crate::abi::env_disp(xmm_offset(g, 0))))
            .collect();
        self.cold.push(Cold::Cf(SlowCf {
            label,
            back,
            func,
            args,
            out,
            flush,
            reload,
        }));
        self.kill_inputs(i, op);
        self.def_reg(op.outs[0], out);
        self.kill_outputs(i, op);
    }

    /// The out-of-line call of `compute_c`: every caller-saved register
    /// kept (the arguments read from their saved copies), the XMM cache
    /// stored and reloaded around it.
    pub(crate) fn emit_slow_cf(&mut self, slow: SlowCf) {
        self.a.dynamic_label(slow.label);
        for &(g, h) in &slow.flush {
            self.xmm_store(g, h);
        }
        for r in SAVED {
            dynasm!(self.a ; .arch x64 ; push Rq(r));
        }
        // Eight pushes keep the stack 16-byte aligned for the call.
        for (k, arg) in slow.args.iter().enumerate() {
            let a = ARGS[k];
            match *arg {
                Arg::Reg(r) => match SAVED.iter().position(|&s| s == r) {
                    Some(at) => {
                        let disp = 8 * (SAVED.len() - 1 - at) as i32;
                        dynasm!(self.a ; .arch x64 ; mov Rq(a), [rsp + disp]);
                    }
                    None => dynasm!(self.a ; .arch x64 ; mov Rq(a), Rq(r)),
                },
                Arg::Const(c) => self.mov_ri(a, c),
                Arg::Env(disp) => dynasm!(self.a ; .arch x64 ; mov Rq(a), [rbp + disp]),
            }
        }
        dynasm!(self.a ; .arch x64
            ; lea rdi, [rbp - crate::abi::ENV_BIAS]
            ; mov rax, QWORD slow.func as i64
            ; call rax
            ; mov r11, rax
        );
        for r in SAVED.iter().rev() {
            dynasm!(self.a ; .arch x64 ; pop Rq(*r));
        }
        for &(h, disp) in &slow.reload {
            dynasm!(self.a ; .arch x64 ; movdqa Rx(h), [rbp + disp]);
        }
        dynasm!(self.a ; .arch x64
            ; mov Rq(slow.out), r11
            ; jmp =>slow.back
        );
    }
}
