//! Executes one TB's IR on a `CpuState`: the reference backend. Globals
//! are the first 64-bit words of `CpuState`, so every op reads and writes
//! guest state in place and the state is precise at any fault.

use crate::guest_mem::{self, Access};
use ox86_ir::eval::{eval1, eval_div2, eval_mul2};
use ox86_ir::{unpack_xmm_operands, Cond, IrBlock, Op, Opcode, Temp, XMM_ALIGNED};
use ox86_x86::cpu::{excp, glob, xmm_offset};
use ox86_x86::helpers;
use ox86_x86::CpuState;

/// How a TB left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TbExit {
    /// `goto_tb n`: a direct exit; `CpuState.rip` holds the target.
    Direct(u8),
    /// `lookup_and_goto_ptr`: an indirect exit to `CpuState.rip`.
    Indirect,
    /// `raise n`, or an exception recorded by a helper / memory access;
    /// `CpuState.rip` is the faulting (or, for traps, next) instruction and
    /// `CpuState.exception` (still pending) describes it.
    Exception(u64),
}

/// A TB prepared for the interpreter: its IR and each label's op index.
#[derive(Debug)]
pub struct InterpTb {
    /// The IR.
    pub ir: IrBlock,
    labels: Labels,
}

/// Labels a TB holds without a heap allocation of their own: most TBs
/// are interpreted once, and allocating and freeing their few labels'
/// indices cost about as much as running them.
const INLINE_LABELS: usize = 8;

/// Each label's op index.
#[derive(Debug)]
enum Labels {
    Inline([u32; INLINE_LABELS]),
    Heap(Vec<u32>),
}

impl InterpTb {
    /// Resolves labels once.
    pub fn new(ir: IrBlock) -> InterpTb {
        let n = ir.n_labels as usize;
        let mut labels = if n <= INLINE_LABELS {
            Labels::Inline([0; INLINE_LABELS])
        } else {
            Labels::Heap(vec![0; n])
        };
        let slots = match &mut labels {
            Labels::Inline(a) => &mut a[..],
            Labels::Heap(v) => &mut v[..],
        };
        // From the end, where a TB's labels mostly are (a conditional
        // jump's other exit), until every label is found.
        let mut missing = n;
        for (i, op) in ir.ops.iter().enumerate().rev() {
            if missing == 0 {
                break;
            }
            if op.opc == Opcode::SetLabel {
                slots[op.consts[0] as usize] = i as u32;
                missing -= 1;
            }
        }
        InterpTb { ir, labels }
    }

    /// The op index of label `l`.
    #[inline]
    fn label(&self, l: u64) -> usize {
        let slots = match &self.labels {
            Labels::Inline(a) => &a[..],
            Labels::Heap(v) => &v[..],
        };
        slots[l as usize] as usize
    }
}

struct Frame<'a> {
    env: &'a mut CpuState,
    locals: &'a mut Vec<u64>,
}

const NG: usize = glob::COUNT;

// Global `i` is the `i`th 64-bit word of `CpuState`: GPRs, then the rest
// in `glob` order (what `Frame::get` and `Frame::set` rely on).
const _: () = {
    use std::mem::offset_of;
    assert!(offset_of!(CpuState, regs) == 0);
    assert!(offset_of!(CpuState, rip) == 8 * glob::RIP);
    assert!(offset_of!(CpuState, cc_op) == 8 * glob::CC_OP);
    assert!(offset_of!(CpuState, cc_dst) == 8 * glob::CC_DST);
    assert!(offset_of!(CpuState, cc_src) == 8 * glob::CC_SRC);
    assert!(offset_of!(CpuState, cc_src2) == 8 * glob::CC_SRC2);
    assert!(offset_of!(CpuState, df) == 8 * glob::DF);
    assert!(offset_of!(CpuState, fs_base) == 8 * glob::FS_BASE);
    assert!(offset_of!(CpuState, gs_base) == 8 * glob::GS_BASE);
    assert!(NG == glob::GS_BASE + 1);
};

impl Frame<'_> {
    // Globals are read and written by index into the first `NG` words:
    // one access rather than a branch per global, which the interpreter's
    // every op paid.

    #[inline(always)]
    fn get(&self, t: Temp) -> u64 {
        let i = t.index();
        if i < NG {
            let words = &*self.env as *const CpuState as *const u64;
            // SAFETY: `i < NG`, and the first `NG` 64-bit words of
            // `CpuState` (`repr(C)`) are the globals' `u64` fields
            // (checked at compile time above): in bounds, aligned, plain
            // data.
            unsafe { *words.add(i) }
        } else {
            self.locals[i]
        }
    }

    #[inline(always)]
    fn set(&mut self, t: Temp, v: u64) {
        let i = t.index();
        if i < NG {
            let words = &mut *self.env as *mut CpuState as *mut u64;
            // SAFETY: as in `get`; the frame holds `env` mutably.
            unsafe { *words.add(i) = v }
        } else {
            self.locals[i] = v;
        }
    }

    fn env_field(&mut self, offset: u64) -> &mut u64 {
        let off = offset as usize;
        assert!(
            off.is_multiple_of(8) && off + 8 <= std::mem::size_of::<CpuState>(),
            "ld_env/st_env offset {off} outside CpuState"
        );
        // SAFETY: `off` is an 8-aligned offset inside `CpuState` (checked
        // above; the struct is 16-aligned), and every field of `CpuState` is
        // plain data for which any bit pattern is valid.
        unsafe { &mut *((self.env as *mut CpuState as *mut u8).add(off) as *mut u64) }
    }
}

/// Runs `tb` once on `env`. `locals` is scratch space reused across TBs.
pub fn exec(tb: &InterpTb, env: &mut CpuState, locals: &mut Vec<u64>) -> TbExit {
    let n = tb.ir.n_temps as usize;
    if locals.len() < n {
        locals.resize(n, 0);
    }
    let mut f = Frame { env, locals };
    let ops = &tb.ir.ops;
    let mut pc_insn = 0u64;
    let mut i = 0usize;
    loop {
        let op = &ops[i];
        i += 1;
        let a = |f: &Frame, k: usize| f.get(op.ins[k]);
        match op.opc {
            Opcode::InsnStart => pc_insn = op.consts[0],
            Opcode::Mulu2 | Opcode::Muls2 => {
                let (lo, hi) = eval_mul2(op.opc, a(&f, 0), a(&f, 1)).expect("mul2");
                f.set(op.outs[0], lo);
                f.set(op.outs[1], hi);
            }
            Opcode::Divu2 | Opcode::Divs2 => {
                // Undefined inputs (which the translator's guards keep
                // out) give zeros.
                let (q, r) = eval_div2(op.opc, a(&f, 0), a(&f, 1)).unwrap_or_default();
                f.set(op.outs[0], q);
                f.set(op.outs[1], r);
            }
            Opcode::Brcond => {
                if cond(op.consts[0]).eval(a(&f, 0), a(&f, 1)) {
                    i = tb.label(op.consts[1]);
                }
            }
            Opcode::Br => i = tb.label(op.consts[0]),
            Opcode::SetLabel => {}
            Opcode::Ld8u
            | Opcode::Ld8s
            | Opcode::Ld16u
            | Opcode::Ld16s
            | Opcode::Ld32u
            | Opcode::Ld32s
            | Opcode::Ld64 => {
                let addr = a(&f, 0);
                let r = match op.opc {
                    Opcode::Ld8u => guest_mem::ld8u(addr),
                    Opcode::Ld8s => guest_mem::ld8s(addr),
                    Opcode::Ld16u => guest_mem::ld16u(addr),
                    Opcode::Ld16s => guest_mem::ld16s(addr),
                    Opcode::Ld32u => guest_mem::ld32u(addr),
                    Opcode::Ld32s => guest_mem::ld32s(addr),
                    _ => guest_mem::ld64(addr),
                };
                if r.fault != 0 {
                    return fault(f.env, pc_insn, r);
                }
                f.set(op.outs[0], r.value);
            }
            Opcode::St8 | Opcode::St16 | Opcode::St32 | Opcode::St64 => {
                let (v, addr) = (a(&f, 0), a(&f, 1));
                let r = match op.opc {
                    Opcode::St8 => guest_mem::st8(addr, v),
                    Opcode::St16 => guest_mem::st16(addr, v),
                    Opcode::St32 => guest_mem::st32(addr, v),
                    _ => guest_mem::st64(addr, v),
                };
                if r.fault != 0 {
                    return fault(f.env, pc_insn, r);
                }
            }
            Opcode::LdXmm => {
                // Two loads for 16 bytes: the first to fault is the one the
                // CPU reports.
                let addr = a(&f, 0);
                if op.consts[1] & XMM_ALIGNED != 0 && addr & 15 != 0 {
                    return general_protection(f.env, pc_insn);
                }
                let lo = match op.consts[1] & !XMM_ALIGNED {
                    4 => guest_mem::ld32u(addr),
                    _ => guest_mem::ld64(addr),
                };
                if lo.fault != 0 {
                    return fault(f.env, pc_insn, lo);
                }
                let hi = match op.consts[1] & !XMM_ALIGNED {
                    16 => guest_mem::ld64(addr.wrapping_add(8)),
                    _ => guest_mem::Access { value: 0, fault: 0 },
                };
                if hi.fault != 0 {
                    return fault(f.env, pc_insn, hi);
                }
                let d = op.consts[0] as usize;
                *f.env_field(xmm_offset(d, 0) as u64) = lo.value;
                *f.env_field(xmm_offset(d, 1) as u64) = hi.value;
            }
            Opcode::StXmm => {
                if op.consts[1] & XMM_ALIGNED != 0 && a(&f, 0) & 15 != 0 {
                    return general_protection(f.env, pc_insn);
                }
                let s = op.consts[0] as usize;
                let lo = *f.env_field(xmm_offset(s, 0) as u64);
                let hi = *f.env_field(xmm_offset(s, 1) as u64);
                let r = guest_mem::st128(a(&f, 0), lo, hi);
                if r.fault != 0 {
                    return fault(f.env, pc_insn, r);
                }
            }
            Opcode::LdMmu => {
                let v = ox86_x86::system::access::load(f.env, a(&f, 0), op.consts[0]);
                if f.env.exception.pending != 0 {
                    f.env.rip = pc_insn;
                    return TbExit::Exception(f.env.exception.vector as u64);
                }
                f.set(op.outs[0], v);
            }
            Opcode::StMmu => {
                let (v, addr) = (a(&f, 0), a(&f, 1));
                ox86_x86::system::access::store(f.env, addr, v, op.consts[0]);
                if f.env.exception.pending != 0 {
                    f.env.rip = pc_insn;
                    return TbExit::Exception(f.env.exception.vector as u64);
                }
            }
            Opcode::LdEnv => {
                let v = *f.env_field(op.consts[0]);
                f.set(op.outs[0], v)
            }
            Opcode::StEnv => {
                let v = a(&f, 0);
                *f.env_field(op.consts[0]) = v;
            }
            Opcode::Call => {
                let mut args = [0u64; 5];
                for (k, arg) in args.iter_mut().enumerate().take(op.n_ins()) {
                    *arg = a(&f, k);
                }
                let h = helpers::by_id(op.consts[0] as u32);
                let v = (h.func)(f.env, args[0], args[1], args[2], args[3], args[4]);
                if f.env.exception.pending != 0 {
                    f.env.rip = pc_insn;
                    return TbExit::Exception(f.env.exception.vector as u64);
                }
                f.set(op.outs[0], v);
            }
            Opcode::Discard => {}
            Opcode::CallXmm => {
                let (d, s, imm) = unpack_xmm_operands(op.consts[1]);
                let lo = *f.env_field(xmm_offset(s as usize, 0) as u64);
                let hi = *f.env_field(xmm_offset(s as usize, 1) as u64);
                let h = helpers::by_id(op.consts[0] as u32);
                (h.func)(f.env, d, lo, hi, imm, 0);
                if f.env.exception.pending != 0 {
                    f.env.rip = pc_insn;
                    return TbExit::Exception(f.env.exception.vector as u64);
                }
            }
            Opcode::CallPure => {
                let mut args = [0u64; 5];
                for (k, arg) in args.iter_mut().enumerate().take(op.n_ins()) {
                    *arg = a(&f, k);
                }
                let h = helpers::by_id(op.consts[0] as u32);
                let v = (h.func)(f.env, args[0], args[1], args[2], args[3], args[4]);
                f.set(op.outs[0], v);
            }
            Opcode::GotoTb | Opcode::CallTb => return TbExit::Direct(op.consts[0] as u8),
            Opcode::LookupAndGotoPtr | Opcode::LookupCall | Opcode::LookupRet => {
                return TbExit::Indirect
            }
            Opcode::Raise => {
                let v = op.consts[0];
                if f.env.exception.pending == 0 {
                    f.env.raise(v, 0, false);
                }
                return TbExit::Exception(f.env.exception.vector as u64);
            }
            // The commonest pure ops, each with its opcode known here:
            // `eval1` folds to its one case, no second dispatch on the
            // opcode and no loop over the inputs.
            Opcode::Mov => pure1(&mut f, op, Opcode::Mov),
            Opcode::Movi => f.set(op.outs[0], op.consts[0]),
            Opcode::Add => pure2(&mut f, op, Opcode::Add),
            Opcode::Sub => pure2(&mut f, op, Opcode::Sub),
            Opcode::And => pure2(&mut f, op, Opcode::And),
            Opcode::Or => pure2(&mut f, op, Opcode::Or),
            Opcode::Xor => pure2(&mut f, op, Opcode::Xor),
            Opcode::Shl => pure2(&mut f, op, Opcode::Shl),
            Opcode::Shr => pure2(&mut f, op, Opcode::Shr),
            Opcode::Ext8u => pure1(&mut f, op, Opcode::Ext8u),
            Opcode::Ext32u => pure1(&mut f, op, Opcode::Ext32u),
            Opcode::Ext32s => pure1(&mut f, op, Opcode::Ext32s),
            // Every remaining op is pure with one output (see `ox86_ir::eval`).
            opc => {
                let mut ins = [0u64; 4];
                for (k, v) in ins.iter_mut().enumerate().take(opc.n_ins()) {
                    *v = a(&f, k);
                }
                let v = eval1(opc, ins, op.consts).expect("pure op evaluates");
                f.set(op.outs[0], v);
            }
        }
    }
}

/// Runs `op`, the one-input pure op `opc`.
#[inline(always)]
fn pure1(f: &mut Frame, op: &Op, opc: Opcode) {
    let v = eval1(opc, [f.get(op.ins[0]), 0, 0, 0], op.consts).expect("pure op evaluates");
    f.set(op.outs[0], v);
}

/// Runs `op`, the two-input pure op `opc`.
#[inline(always)]
fn pure2(f: &mut Frame, op: &Op, opc: Opcode) {
    let ins = [f.get(op.ins[0]), f.get(op.ins[1]), 0, 0];
    let v = eval1(opc, ins, op.consts).expect("pure op evaluates");
    f.set(op.outs[0], v);
}

fn cond(c: u64) -> Cond {
    Cond::from_u64(c).expect("verified condition")
}

/// #GP(0) at the instruction at `pc`: a misaligned operand that must be
/// aligned, or (reported by the host as #GP) a non-canonical address.
fn general_protection(env: &mut CpuState, pc: u64) -> TbExit {
    env.rip = pc;
    env.raise(excp::GP, 0, false);
    TbExit::Exception(excp::GP)
}

fn fault(env: &mut CpuState, pc: u64, r: Access) -> TbExit {
    use crate::guest_mem::{FAULT_BUS, FAULT_GP, FAULT_WRITE};
    if r.fault & FAULT_GP != 0 {
        return general_protection(env, pc);
    }
    env.rip = pc;
    env.raise(excp::PF, r.value, r.fault & FAULT_WRITE != 0);
    if r.fault & FAULT_BUS != 0 {
        env.exception.bus = 1;
    }
    TbExit::Exception(excp::PF)
}
