//! System mode's own instructions: I/O (IN OUT INS OUTS), interrupts (INT
//! INT3 INTO INT1 IRET CLI STI HLT), control and descriptor-table
//! registers (MOV CR/DR, LGDT LIDT SGDT SIDT LLDT LTR SLDT STR LMSW SMSW
//! CLTS INVLPG WBINVD), segment registers and far transfers (MOV/PUSH/POP
//! Sreg, LDS..LSS, far JMP CALL RET), fast system calls, MSRs, SWAPGS,
//! PUSHF/POPF with their privilege rules, RDTSC/RDTSCP on guest time, and
//! PUSHA/POPA. In user
//! mode this family declines everything.

use super::mode::sreg_of;
use super::{Cx, Outcome};
use crate::cpu::{eflags, excp, glob, reg, CpuState};
use crate::helpers::system::*;
use crate::system::regs::sreg;
use iced_x86::{Code, ConditionCode, MemorySize, Mnemonic, OpKind, Register};
use ox86_ir::{Cond, Opcode, Temp};
use std::mem::offset_of;

pub fn translate(cx: &mut Cx) -> Outcome {
    if !cx.mode.system {
        return Outcome::NotMine;
    }
    let insn = cx.insn;
    let cpl0 = cx.mode.cpl == 0;
    match insn.mnemonic() {
        Mnemonic::Hlt if !cpl0 => cx.raise(excp::GP),
        Mnemonic::Hlt => cx.raise_after(excp::HLT),
        Mnemonic::Cli => {
            cx.call(&CLI, &[]);
        }
        Mnemonic::Sti => {
            cx.call(&STI, &[]);
            end_tb(cx);
        }
        Mnemonic::In | Mnemonic::Out => in_out(cx),
        Mnemonic::Insb | Mnemonic::Insw | Mnemonic::Insd => ins_outs(cx, true),
        Mnemonic::Outsb | Mnemonic::Outsw | Mnemonic::Outsd => ins_outs(cx, false),
        Mnemonic::Int => cx.raise_after(excp::SOFT_INT + insn.immediate8() as u64),
        Mnemonic::Int3 => cx.raise_after(excp::SOFT_INT + 3),
        Mnemonic::Int1 => cx.raise_after(excp::DB),
        Mnemonic::Into => {
            let (c, a, b) = cx.cond(ConditionCode::o);
            let taken = cx.b.label();
            cx.b.brcond(c, a, b, taken);
            let next = cx.next_pc;
            cx.goto(next, 0);
            cx.b.set_label(taken);
            cx.raise_after(excp::SOFT_INT + 4);
        }
        Mnemonic::Iret | Mnemonic::Iretd | Mnemonic::Iretq => {
            let size = match insn.code() {
                Code::Iretw => 2,
                Code::Iretd => 4,
                _ => 8,
            };
            let s = cx.b.movi(size);
            cx.call(&IRET, &[s]);
            leave_to_loop(cx);
        }
        Mnemonic::Pushf | Mnemonic::Pushfd | Mnemonic::Pushfq => {
            let size = insn.stack_pointer_increment().unsigned_abs();
            let f = super::stack::rflags(cx);
            let f = cx.b.andi(f, !(eflags::VM | eflags::RF));
            cx.push(size, f);
        }
        Mnemonic::Popf | Mnemonic::Popfd | Mnemonic::Popfq => {
            let size = insn.stack_pointer_increment().unsigned_abs();
            let (v, n) = cx.pop_peek(size);
            let s = cx.b.movi(size as u64);
            cx.call(&POPF, &[v, s]);
            cx.set_stack_ptr(n);
            end_tb(cx);
        }
        Mnemonic::Mov => return mov(cx),
        Mnemonic::Push if is_sreg(insn.op0_register()) => {
            let s = sreg_of(insn.op0_register());
            let sel = cx.b.ld_env(selector_offset(s));
            let size = insn.stack_pointer_increment().unsigned_abs();
            cx.push(size, sel);
        }
        Mnemonic::Pop if is_sreg(insn.op0_register()) => {
            let s = sreg_of(insn.op0_register());
            let size = insn.stack_pointer_increment() as u32;
            let (v, n) = cx.pop_peek(size);
            load_seg(cx, s, v);
            cx.set_stack_ptr(n);
            if s == sreg::SS {
                end_tb(cx);
            }
        }
        Mnemonic::Lds | Mnemonic::Les | Mnemonic::Lfs | Mnemonic::Lgs | Mnemonic::Lss => {
            let size = cx.op_size(0);
            let a = cx.ea();
            let off = cx.load(size, a);
            let a2 = cx.b.addi(a, size as u64);
            let sel = cx.load(2, a2);
            let s = match insn.mnemonic() {
                Mnemonic::Lds => sreg::DS,
                Mnemonic::Les => sreg::ES,
                Mnemonic::Lfs => sreg::FS,
                Mnemonic::Lgs => sreg::GS,
                _ => sreg::SS,
            };
            load_seg(cx, s, sel);
            cx.write_reg(insn.op0_register(), off);
            if s == sreg::SS {
                end_tb(cx);
            }
        }
        Mnemonic::Jmp | Mnemonic::Call if far_target(cx).is_some() => far_jmp_call(cx),
        Mnemonic::Retf => {
            let size = match insn.code() {
                Code::Retfw | Code::Retfw_imm16 => 2,
                Code::Retfd | Code::Retfd_imm16 => 4,
                _ => 8,
            };
            let imm = if insn.op_count() > 0 {
                insn.immediate16() as u64
            } else {
                0
            };
            let (s, i) = (cx.b.movi(size), cx.b.movi(imm));
            cx.call(&FAR_RET, &[s, i]);
            leave_to_loop(cx);
        }
        Mnemonic::Syscall => {
            let rip = cx.g(glob::RIP);
            cx.b.movi_to(rip, cx.next_pc);
            cx.call(&SYSCALL, &[]);
            leave_to_loop(cx);
        }
        Mnemonic::Sysret | Mnemonic::Sysretq => {
            let size = if insn.code() == Code::Sysretq { 8 } else { 4 };
            let s = cx.b.movi(size);
            cx.call(&SYSRET, &[s]);
            leave_to_loop(cx);
        }
        Mnemonic::Sysenter => {
            cx.call(&SYSENTER, &[]);
            leave_to_loop(cx);
        }
        Mnemonic::Sysexit | Mnemonic::Sysexitq => {
            let size = if insn.code() == Code::Sysexitq { 8 } else { 4 };
            let s = cx.b.movi(size);
            cx.call(&SYSEXIT, &[s]);
            leave_to_loop(cx);
        }
        Mnemonic::Rdtsc | Mnemonic::Rdtscp => {
            let t = cx.call(&RDTSC, &[]);
            let hi = cx.b.shri(t, 32);
            cx.write_reg(Register::EAX, t);
            cx.write_reg(Register::EDX, hi);
            if insn.mnemonic() == Mnemonic::Rdtscp {
                let aux = cx.b.ld_env(offset_of!(CpuState, sys.tsc_aux));
                cx.write_reg(Register::ECX, aux);
            }
        }
        Mnemonic::Pusha | Mnemonic::Pushad => pusha(cx),
        Mnemonic::Popa | Mnemonic::Popad => popa(cx),
        // Everything below is CPL 0 only.
        Mnemonic::Lgdt
        | Mnemonic::Lidt
        | Mnemonic::Lldt
        | Mnemonic::Ltr
        | Mnemonic::Lmsw
        | Mnemonic::Clts
        | Mnemonic::Invlpg
        | Mnemonic::Wbinvd
        | Mnemonic::Invd
        | Mnemonic::Rdmsr
        | Mnemonic::Wrmsr
        | Mnemonic::Swapgs
            if !cpl0 =>
        {
            cx.raise(excp::GP)
        }
        Mnemonic::Lgdt | Mnemonic::Lidt | Mnemonic::Sgdt | Mnemonic::Sidt => {
            let bytes = match (cx.mode.code_bits, insn.memory_size()) {
                (64, _) => 8,
                (_, MemorySize::Fword6) => 4,
                _ => 3,
            };
            let a = cx.ea();
            let idt = matches!(insn.mnemonic(), Mnemonic::Lidt | Mnemonic::Sidt) as u64;
            let (i, n) = (cx.b.movi(idt), cx.b.movi(bytes));
            let load = matches!(insn.mnemonic(), Mnemonic::Lgdt | Mnemonic::Lidt);
            let h = if load {
                &LOAD_DESC_TABLE
            } else {
                &STORE_DESC_TABLE
            };
            cx.call(h, &[a, i, n]);
        }
        Mnemonic::Lldt | Mnemonic::Ltr => {
            if !cx.mode.pe {
                cx.raise(excp::UD);
                return Outcome::Done;
            }
            let mut addr = None;
            let sel = cx.read_op(0, 2, &mut addr);
            let h = if insn.mnemonic() == Mnemonic::Lldt {
                &LLDT
            } else {
                &LTR
            };
            cx.call(h, &[sel]);
        }
        Mnemonic::Sldt | Mnemonic::Str => {
            let off = if insn.mnemonic() == Mnemonic::Sldt {
                offset_of!(CpuState, sys.ldtr.selector)
            } else {
                offset_of!(CpuState, sys.tr.selector)
            };
            let v = cx.b.ld_env(off);
            let size = cx.op_size(0);
            let mut addr = None;
            cx.write_op(0, size, v, &mut addr);
        }
        Mnemonic::Smsw => {
            let v = cx.b.ld_env(offset_of!(CpuState, sys.cr0));
            let size = cx.op_size(0);
            let mut addr = None;
            cx.write_op(0, size, v, &mut addr);
        }
        Mnemonic::Lmsw => {
            let mut addr = None;
            let v = cx.read_op(0, 2, &mut addr);
            cx.call(&LMSW, &[v]);
            end_tb(cx);
        }
        Mnemonic::Clts => {
            let off = offset_of!(CpuState, sys.cr0);
            let v = cx.b.ld_env(off);
            let v = cx.b.andi(v, !crate::system::regs::cr0::TS);
            cx.b.st_env(v, off);
            // CR0.TS is part of the TB key.
            end_tb(cx);
        }
        Mnemonic::Invlpg => {
            let a = cx.ea();
            cx.call(&INVLPG, &[a]);
            end_tb(cx);
        }
        Mnemonic::Wbinvd | Mnemonic::Invd => {}
        Mnemonic::Rdmsr => {
            let ecx = cx.read_reg(Register::ECX);
            let v = cx.call(&RDMSR, &[ecx]);
            let hi = cx.b.shri(v, 32);
            cx.write_reg(Register::EAX, v);
            cx.write_reg(Register::EDX, hi);
        }
        Mnemonic::Wrmsr => {
            let ecx = cx.read_reg(Register::ECX);
            let lo = cx.read_reg(Register::EAX);
            let hi = cx.read_reg(Register::EDX);
            let hi = cx.b.shli(hi, 32);
            let v = cx.b.or(hi, lo);
            cx.call(&WRMSR, &[ecx, v]);
            end_tb(cx);
        }
        Mnemonic::Swapgs => {
            let off = offset_of!(CpuState, sys.kernel_gs_base);
            let k = cx.b.ld_env(off);
            let gs = cx.g(glob::GS_BASE);
            cx.b.st_env(gs, off);
            cx.b.mov_to(gs, k);
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

fn is_sreg(r: Register) -> bool {
    r.is_segment_register()
}

/// `CpuState` offset of segment register `s`'s selector.
fn selector_offset(s: usize) -> usize {
    super::mode::seg_base_offset(s) - offset_of!(crate::system::Segment, base)
        + offset_of!(crate::system::Segment, selector)
}

/// Ends the TB after this instruction, back in the exec loop (the TB key
/// or the interrupt window may have changed).
fn end_tb(cx: &mut Cx) {
    cx.raise_after(excp::NEW_STATE);
}

/// Ends the TB after a helper that set rip itself (far transfers).
fn leave_to_loop(cx: &mut Cx) {
    cx.b.raise(excp::NEW_STATE);
    cx.ended = true;
}

/// Loads segment register `s` with selector `sel` (checks in the helper).
fn load_seg(cx: &mut Cx, s: usize, sel: Temp) {
    let n = cx.b.movi(s as u64);
    cx.call(&LOAD_SEG, &[n, sel]);
}

/// MOV to and from control, debug and segment registers; plain MOV
/// declines.
fn mov(cx: &mut Cx) -> Outcome {
    let insn = cx.insn;
    let (r0, r1) = (insn.op0_register(), insn.op1_register());
    let is_cr = |r: Register| r.is_cr();
    let is_dr = |r: Register| r.is_dr();
    let mut addr = None;
    if (is_cr(r0) || is_cr(r1) || is_dr(r0) || is_dr(r1)) && cx.mode.cpl != 0 {
        cx.raise(excp::GP);
        return Outcome::Done;
    }
    if is_cr(r0) {
        let n = r0 as u64 - Register::CR0 as u64;
        let v = cx.read_reg(r1);
        let n = cx.b.movi(n);
        cx.call(&MOV_TO_CR, &[n, v]);
        end_tb(cx);
    } else if is_cr(r1) {
        let n = cx.b.movi(r1 as u64 - Register::CR0 as u64);
        let v = cx.call(&MOV_FROM_CR, &[n]);
        cx.write_reg(r0, v);
    } else if is_dr(r0) {
        let n = r0 as usize - Register::DR0 as usize;
        let v = cx.read_reg(r1);
        cx.b.st_env(v, offset_of!(CpuState, sys.dr) + 8 * (n & 7));
    } else if is_dr(r1) {
        let n = r1 as usize - Register::DR0 as usize;
        let v = cx.b.ld_env(offset_of!(CpuState, sys.dr) + 8 * (n & 7));
        cx.write_reg(r0, v);
    } else if insn.op_kind(0) == OpKind::Register && is_sreg(r0) {
        let s = sreg_of(r0);
        if s == sreg::CS {
            cx.raise(excp::UD);
            return Outcome::Done;
        }
        let sel = cx.read_op(1, 2, &mut addr);
        load_seg(cx, s, sel);
        if s == sreg::SS {
            end_tb(cx);
        }
    } else if insn.op_kind(1) == OpKind::Register && is_sreg(r1) {
        let sel = cx.b.ld_env(selector_offset(sreg_of(r1)));
        let size = cx.op_size(0);
        cx.write_op(0, size, sel, &mut addr);
    } else {
        return Outcome::NotMine;
    }
    Outcome::Done
}

/// The far target of a JMP/CALL: direct `ptr16:x` or a memory `m16:x`.
fn far_target(cx: &Cx) -> Option<()> {
    match cx.insn.op0_kind() {
        OpKind::FarBranch16 | OpKind::FarBranch32 => Some(()),
        OpKind::Memory => matches!(
            cx.insn.memory_size(),
            MemorySize::SegPtr16 | MemorySize::SegPtr32 | MemorySize::SegPtr64
        )
        .then_some(()),
        _ => None,
    }
}

fn far_jmp_call(cx: &mut Cx) {
    let insn = cx.insn;
    let (sel, off, size) = match insn.op0_kind() {
        OpKind::FarBranch16 => (
            cx.b.movi(insn.far_branch_selector() as u64),
            cx.b.movi(insn.far_branch16() as u64),
            2,
        ),
        OpKind::FarBranch32 => (
            cx.b.movi(insn.far_branch_selector() as u64),
            cx.b.movi(insn.far_branch32() as u64),
            4,
        ),
        _ => {
            let size = match insn.memory_size() {
                MemorySize::SegPtr16 => 2,
                MemorySize::SegPtr32 => 4,
                _ => 8,
            };
            let a = cx.ea();
            let off = cx.load(size, a);
            let a2 = cx.b.addi(a, size as u64);
            let sel = cx.load(2, a2);
            (sel, off, size)
        }
    };
    if insn.mnemonic() == Mnemonic::Jmp {
        cx.call(&FAR_JMP, &[sel, off]);
    } else {
        let rip = cx.g(glob::RIP);
        cx.b.movi_to(rip, cx.next_pc);
        let s = cx.b.movi(size as u64);
        cx.call(&FAR_CALL, &[sel, off, s]);
    }
    leave_to_loop(cx);
}

/// The accumulator register of an `size`-byte I/O.
fn acc(size: u32) -> Register {
    match size {
        1 => Register::AL,
        2 => Register::AX,
        _ => Register::EAX,
    }
}

fn in_out(cx: &mut Cx) {
    let insn = cx.insn;
    let is_in = insn.mnemonic() == Mnemonic::In;
    let (port_op, data_op) = if is_in { (1, 0) } else { (0, 1) };
    let size = cx.insn.op_register(data_op).size() as u32;
    let port = match insn.op_kind(port_op) {
        OpKind::Register => cx.read_reg(Register::DX),
        _ => cx.b.movi(insn.immediate8() as u64),
    };
    let s = cx.b.movi(size as u64);
    if is_in {
        let v = cx.call(&IN, &[port, s]);
        cx.write_reg(acc(size), v);
    } else {
        let v = cx.read_reg(acc(size));
        cx.call(&OUT, &[port, s, v]);
        // A device may have raised an interrupt: let the loop look.
        end_tb(cx);
    }
}

/// INS/OUTS, with REP: one element per iteration, address-sized rDI/rSI
/// and rCX as for the string instructions.
fn ins_outs(cx: &mut Cx, is_in: bool) {
    let insn = cx.insn;
    let size = insn.memory_size().size() as u32;
    let addr_bits = (0..insn.op_count())
        .find_map(|i| match insn.op_kind(i) {
            OpKind::MemoryESDI | OpKind::MemorySegSI => Some(16),
            OpKind::MemoryESEDI | OpKind::MemorySegESI => Some(32),
            OpKind::MemoryESRDI | OpKind::MemorySegRSI => Some(64),
            _ => None,
        })
        .unwrap_or(64);
    let trunc = |cx: &mut Cx, t: Temp| match addr_bits {
        16 => cx.b.unop(Opcode::Ext16u, t),
        32 => cx.b.unop(Opcode::Ext32u, t),
        _ => t,
    };
    let set = |cx: &mut Cx, r: usize, v: Temp| {
        let g = cx.g(r);
        let v = match addr_bits {
            16 => {
                let keep = cx.b.andi(g, !0xffff);
                let low = cx.b.unop(Opcode::Ext16u, v);
                cx.b.or(keep, low)
            }
            32 => cx.b.unop(Opcode::Ext32u, v),
            _ => v,
        };
        cx.b.mov_to(g, v);
    };
    let rep = insn.has_rep_prefix() || insn.has_repne_prefix();
    let (top, done) = (cx.b.label(), cx.b.label());
    if rep {
        cx.b.set_label(top);
        let c = cx.g(reg::RCX);
        let count = trunc(cx, c);
        let zero = cx.b.movi(0);
        cx.b.brcond(Cond::Eq, count, zero, done);
    }
    let port = cx.read_reg(Register::DX);
    let s = cx.b.movi(size as u64);
    let df = cx.g(glob::DF);
    let step = match size {
        1 => df,
        n => cx.b.shli(df, n.trailing_zeros() as u64),
    };
    let r = if is_in { reg::RDI } else { reg::RSI };
    let g = cx.g(r);
    let off = trunc(cx, g);
    if is_in {
        let a = cx.linear(Register::ES, off);
        let v = cx.call(&IN, &[port, s]);
        cx.store(size, v, a);
    } else {
        let seg = insn.memory_segment();
        let a = cx.linear(seg, off);
        let v = cx.load(size, a);
        cx.call(&OUT, &[port, s, v]);
    }
    let g = cx.g(r);
    let n = cx.b.add(g, step);
    set(cx, r, n);
    if rep {
        let c = cx.g(reg::RCX);
        let count = trunc(cx, c);
        let one = cx.b.movi(1);
        let n = cx.b.sub(count, one);
        set(cx, reg::RCX, n);
        cx.cc_known = None;
        cx.b.br(top);
        cx.b.set_label(done);
    }
}

/// PUSHA/PUSHAD: AX CX DX BX (original) SP BP SI DI.
fn pusha(cx: &mut Cx) {
    let size = if cx.insn.mnemonic() == Mnemonic::Pushad {
        4
    } else {
        2
    };
    let sp = cx.stack_ptr();
    let regs: Vec<Temp> = (0..8)
        .map(|r| if r == reg::RSP { sp } else { cx.g(r) })
        .collect();
    let mut cur = sp;
    for v in regs {
        cur = cx.stack_add(cur, -(size as i64));
        let a = cx.stack_addr(cur);
        cx.store(size, v, a);
    }
    cx.set_stack_ptr(cur);
}

/// POPA/POPAD: DI SI BP (SP skipped) BX DX CX AX.
fn popa(cx: &mut Cx) {
    let size = if cx.insn.mnemonic() == Mnemonic::Popad {
        4
    } else {
        2
    };
    let mut cur = cx.stack_ptr();
    let mut vals = Vec::new();
    for r in (0..8).rev() {
        let a = cx.stack_addr(cur);
        let v = cx.load(size, a);
        vals.push((r, v));
        cur = cx.stack_add(cur, size as i64);
    }
    for (r, v) in vals {
        if r == reg::RSP {
            continue;
        }
        let name = gpr_name(r, size);
        cx.write_reg(name, v);
    }
    cx.set_stack_ptr(cur);
}

/// The iced register for GPR `n` (0-7) at `size` bytes (2 or 4).
fn gpr_name(n: usize, size: u32) -> Register {
    const W: [Register; 8] = [
        Register::AX,
        Register::CX,
        Register::DX,
        Register::BX,
        Register::SP,
        Register::BP,
        Register::SI,
        Register::DI,
    ];
    const D: [Register; 8] = [
        Register::EAX,
        Register::ECX,
        Register::EDX,
        Register::EBX,
        Register::ESP,
        Register::EBP,
        Register::ESI,
        Register::EDI,
    ];
    if size == 2 {
        W[n]
    } else {
        D[n]
    }
}
