//! MXCSR at a TB's entry. The host runs a guest floating-point SSE
//! instruction as itself only under the default MXCSR control bits (the
//! guest's rounding, FTZ/DAZ and exception masks are then the host's), so
//! each such `call_xmm` checks them and calls the helper out of line when
//! they differ (`xmm`). In user mode a TB in which nothing can change the
//! control bits (no `call`, which LDMXCSR, FXRSTOR and XRSTOR use, and no
//! `st_env` of MXCSR; `call_xmm` helpers only set its exception flags)
//! checks once, at its entry, instead: when they are not the default, it
//! leaves before doing anything (`JitExit::MxcsrNotDefault`), and the
//! engine compiles it again with the per-instruction checks.

use crate::abi::{env_disp, RIP_DISP};
use crate::gen::{Cold, Gen};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use ox86_ir::{IrBlock, Opcode};
use ox86_x86::cpu::CpuState;
use ox86_x86::helpers;
use std::mem::offset_of;

/// `ENV_REG` displacement of `CpuState.mxcsr`.
const MXCSR_DISP: i32 = env_disp(offset_of!(CpuState, mxcsr));
/// MXCSR with every exception masked, round to nearest, no DAZ/FTZ.
const MXCSR_DEFAULT: i32 = 0x1f80;
/// MXCSR's exception flag bits.
const MXCSR_FLAGS: i32 = 0x3f;

/// True if `ir` has an inline floating-point `call_xmm` and nothing that
/// may change MXCSR's control bits.
fn checks_at_entry(ir: &IrBlock) -> bool {
    let field = offset_of!(CpuState, mxcsr) as u64;
    let mut float = false;
    for op in &ir.ops {
        match op.opc {
            Opcode::CallXmm => {
                float |= crate::xmm::is_inline_float(helpers::by_id(op.consts[0] as u32).name)
            }
            Opcode::Call => return false,
            Opcode::StEnv if op.consts[0] + 8 > field && op.consts[0] < field + 4 => return false,
            _ => {}
        }
    }
    float
}

impl Gen {
    /// At the TB's entry (before any other code): the MXCSR check, if the
    /// options allow it and the TB qualifies; sets `mxcsr_known`.
    pub(crate) fn mxcsr_entry(&mut self) {
        self.mxcsr_known = self.opts.mxcsr_at_entry
            && self.census.has(Opcode::CallXmm)
            && checks_at_entry(&self.ir);
        if self.mxcsr_known {
            let label = self.mxcsr_check();
            self.cold.push(Cold::Mxcsr { label });
        }
    }

    /// Compares MXCSR's control bits with the default; returns the label
    /// jumped to when they differ.
    pub(crate) fn mxcsr_check(&mut self) -> DynamicLabel {
        dynasm!(self.a ; .arch x64
            ; mov r11d, [rbp + MXCSR_DISP]
            ; and r11d, !MXCSR_FLAGS
            ; cmp r11d, MXCSR_DEFAULT
        );
        let label = self.a.new_dynamic_label();
        self.jcc_label(0x5, label);
        label
    }

    /// The way out of a failed entry check: nothing has run, the pinned
    /// globals are in their registers.
    pub(crate) fn emit_mxcsr_exit(&mut self, label: DynamicLabel) {
        self.a.dynamic_label(label);
        self.st_env_imm(RIP_DISP, self.tb_pc);
        self.jmp_abs(self.stubs.mxcsr);
    }
}
