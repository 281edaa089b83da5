//! `IrBlock`: the IR of one translation block, and the builder methods the
//! front end uses to append ops to it.

use crate::op::{Cond, Label, Op, Temp, MAX_INS};
use crate::table::Opcode;

/// A guest-state global: a named 64-bit field of the CPU state at a fixed
/// byte offset. Global `i` is `Temp(i)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Global {
    /// Name in the text form (`rax`, `cc_op`, ...).
    pub name: &'static str,
    /// Byte offset in the CPU state.
    pub offset: usize,
}

/// The IR of one TB: ops in order, plus temp and label counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrBlock {
    /// The globals this block's temps `0..globals.len()` refer to.
    pub globals: &'static [Global],
    /// The ops, in execution order.
    pub ops: Vec<Op>,
    /// Number of temps (globals included).
    pub n_temps: u32,
    /// Number of labels.
    pub n_labels: u32,
    /// Globals (a bit per index, the first 64) nothing reads where an op
    /// faults: dead-code elimination does not keep their values for those
    /// ops. 0 (the default) keeps every global exact at every fault.
    pub unobserved_at_faults: u64,
}

impl IrBlock {
    /// An empty block over the given globals.
    pub fn new(globals: &'static [Global]) -> IrBlock {
        IrBlock {
            globals,
            ops: Vec::with_capacity(64),
            n_temps: globals.len() as u32,
            n_labels: 0,
            unobserved_at_faults: 0,
        }
    }

    /// Empties the block (keeping its op buffer) for the next TB's ops.
    pub fn clear(&mut self) {
        self.ops.clear();
        self.n_temps = self.globals.len() as u32;
        self.n_labels = 0;
        self.unobserved_at_faults = 0;
    }

    /// The temp naming global `i`.
    #[inline]
    pub fn global(&self, i: usize) -> Temp {
        debug_assert!(i < self.globals.len());
        Temp(i as u32)
    }

    /// True if `t` is a global.
    #[inline]
    pub fn is_global(&self, t: Temp) -> bool {
        t.index() < self.globals.len()
    }

    /// A fresh TB-local temp.
    #[inline]
    pub fn temp(&mut self) -> Temp {
        let t = Temp(self.n_temps);
        self.n_temps += 1;
        t
    }

    /// A fresh label.
    #[inline]
    pub fn label(&mut self) -> Label {
        let l = Label(self.n_labels);
        self.n_labels += 1;
        l
    }

    /// Appends an op.
    #[inline]
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    fn op1(&mut self, opc: Opcode, a: Temp) -> Temp {
        let d = self.temp();
        let mut op = Op::new(opc);
        op.outs[0] = d;
        op.ins[0] = a;
        self.push(op);
        d
    }

    fn op2(&mut self, opc: Opcode, a: Temp, b: Temp) -> Temp {
        let d = self.temp();
        let mut op = Op::new(opc);
        op.outs[0] = d;
        op.ins[0] = a;
        op.ins[1] = b;
        self.push(op);
        d
    }

    /// `insn_start pc`
    pub fn insn_start(&mut self, pc: u64) {
        let mut op = Op::new(Opcode::InsnStart);
        op.consts[0] = pc;
        self.push(op);
    }

    /// `mov d, s` into an existing temp (usually a global).
    pub fn mov_to(&mut self, d: Temp, s: Temp) {
        let mut op = Op::new(Opcode::Mov);
        op.outs[0] = d;
        op.ins[0] = s;
        self.push(op);
    }

    /// `movi d, c` into an existing temp.
    pub fn movi_to(&mut self, d: Temp, c: u64) {
        let mut op = Op::new(Opcode::Movi);
        op.outs[0] = d;
        op.consts[0] = c;
        self.push(op);
    }

    /// A new temp copied from `s`.
    pub fn mov(&mut self, s: Temp) -> Temp {
        self.op1(Opcode::Mov, s)
    }

    /// A new temp holding constant `c`.
    pub fn movi(&mut self, c: u64) -> Temp {
        let d = self.temp();
        self.movi_to(d, c);
        d
    }

    /// A binary op into a new temp.
    pub fn binop(&mut self, opc: Opcode, a: Temp, b: Temp) -> Temp {
        self.op2(opc, a, b)
    }

    /// A unary op into a new temp.
    pub fn unop(&mut self, opc: Opcode, a: Temp) -> Temp {
        self.op1(opc, a)
    }

    /// `a + b`
    pub fn add(&mut self, a: Temp, b: Temp) -> Temp {
        self.op2(Opcode::Add, a, b)
    }
    /// `a + c`
    pub fn addi(&mut self, a: Temp, c: u64) -> Temp {
        if c == 0 {
            return a;
        }
        let c = self.movi(c);
        self.add(a, c)
    }
    /// `a - b`
    pub fn sub(&mut self, a: Temp, b: Temp) -> Temp {
        self.op2(Opcode::Sub, a, b)
    }
    /// `a & b`
    pub fn and(&mut self, a: Temp, b: Temp) -> Temp {
        self.op2(Opcode::And, a, b)
    }
    /// `a & c`
    pub fn andi(&mut self, a: Temp, c: u64) -> Temp {
        let c = self.movi(c);
        self.and(a, c)
    }
    /// `a | b`
    pub fn or(&mut self, a: Temp, b: Temp) -> Temp {
        self.op2(Opcode::Or, a, b)
    }
    /// `a ^ b`
    pub fn xor(&mut self, a: Temp, b: Temp) -> Temp {
        self.op2(Opcode::Xor, a, b)
    }
    /// `a << c`
    pub fn shli(&mut self, a: Temp, c: u64) -> Temp {
        let c = self.movi(c);
        self.op2(Opcode::Shl, a, c)
    }
    /// `a >> c` (logical)
    pub fn shri(&mut self, a: Temp, c: u64) -> Temp {
        let c = self.movi(c);
        self.op2(Opcode::Shr, a, c)
    }
    /// `a >> c` (arithmetic)
    pub fn sari(&mut self, a: Temp, c: u64) -> Temp {
        let c = self.movi(c);
        self.op2(Opcode::Sar, a, c)
    }

    /// `cond(a, b) ? 1 : 0`
    pub fn setcond(&mut self, cond: Cond, a: Temp, b: Temp) -> Temp {
        let d = self.temp();
        let mut op = Op::new(Opcode::Setcond);
        op.outs[0] = d;
        op.ins[0] = a;
        op.ins[1] = b;
        op.consts[0] = cond as u64;
        self.push(op);
        d
    }

    /// `cond(a, b) ? t : f`
    pub fn movcond(&mut self, cond: Cond, a: Temp, b: Temp, t: Temp, f: Temp) -> Temp {
        let d = self.temp();
        let mut op = Op::new(Opcode::Movcond);
        op.outs[0] = d;
        op.ins[..4].copy_from_slice(&[a, b, t, f]);
        op.consts[0] = cond as u64;
        self.push(op);
        d
    }

    /// `if cond(a, b) goto l`
    pub fn brcond(&mut self, cond: Cond, a: Temp, b: Temp, l: Label) {
        let mut op = Op::new(Opcode::Brcond);
        op.ins[0] = a;
        op.ins[1] = b;
        op.consts = [cond as u64, l.0 as u64];
        self.push(op);
    }

    /// `goto l`
    pub fn br(&mut self, l: Label) {
        let mut op = Op::new(Opcode::Br);
        op.consts[0] = l.0 as u64;
        self.push(op);
    }

    /// Places label `l` here.
    pub fn set_label(&mut self, l: Label) {
        let mut op = Op::new(Opcode::SetLabel);
        op.consts[0] = l.0 as u64;
        self.push(op);
    }

    /// A guest load (`Ld8u` ... `Ld64`) from address `a`.
    pub fn load(&mut self, opc: Opcode, a: Temp) -> Temp {
        self.op1(opc, a)
    }

    /// A guest store (`St8` ... `St64`) of `v` to address `a`.
    pub fn store(&mut self, opc: Opcode, v: Temp, a: Temp) {
        let mut op = Op::new(opc);
        op.ins[0] = v;
        op.ins[1] = a;
        self.push(op);
    }

    /// A softmmu load (`ld_mmu`) from address `a` with access descriptor `memop`.
    pub fn load_mmu(&mut self, a: Temp, memop: u64) -> Temp {
        let d = self.temp();
        let mut op = Op::new(Opcode::LdMmu);
        op.outs[0] = d;
        op.ins[0] = a;
        op.consts[0] = memop;
        self.push(op);
        d
    }

    /// A softmmu store (`st_mmu`) of `v` to address `a` with access descriptor `memop`.
    pub fn store_mmu(&mut self, v: Temp, a: Temp, memop: u64) {
        let mut op = Op::new(Opcode::StMmu);
        op.ins[0] = v;
        op.ins[1] = a;
        op.consts[0] = memop;
        self.push(op);
    }

    /// Loads the 64-bit state field at byte `offset`.
    pub fn ld_env(&mut self, offset: usize) -> Temp {
        let d = self.temp();
        let mut op = Op::new(Opcode::LdEnv);
        op.outs[0] = d;
        op.consts[0] = offset as u64;
        self.push(op);
        d
    }

    /// Stores `v` to the 64-bit state field at byte `offset`.
    pub fn st_env(&mut self, v: Temp, offset: usize) {
        let mut op = Op::new(Opcode::StEnv);
        op.ins[0] = v;
        op.consts[0] = offset as u64;
        self.push(op);
    }

    /// Calls helper `id` with `args`; returns its result temp.
    pub fn call(&mut self, id: u32, args: &[Temp]) -> Temp {
        assert!(args.len() <= MAX_INS, "helper call with too many inputs");
        let d = self.temp();
        let mut op = Op::new(Opcode::Call);
        op.outs[0] = d;
        op.ins[..args.len()].copy_from_slice(args);
        op.consts = [id as u64, args.len() as u64];
        self.push(op);
        d
    }

    /// Calls pure helper `id` (no guest-state access, no faults) with `args`.
    pub fn call_pure(&mut self, id: u32, args: &[Temp]) -> Temp {
        let d = self.call(id, args);
        if let Some(op) = self.ops.last_mut() {
            op.opc = Opcode::CallPure;
        }
        d
    }

    /// Calls vector helper `id` on vector register `d` with source register
    /// `s` and immediate `imm` (see `Opcode::CallXmm`).
    pub fn call_xmm(&mut self, id: u32, d: u64, s: u64, imm: u64) {
        let mut op = Op::new(Opcode::CallXmm);
        op.consts = [id as u64, pack_xmm_operands(d, s, imm)];
        self.push(op);
    }

    /// Loads vector register `d` from the `size` (4, 8 or 16) bytes at
    /// guest address `a`, zero-extended (see `Opcode::LdXmm`).
    /// `aligned` (16 bytes only): #GP unless `a` is a multiple of 16.
    pub fn ld_xmm(&mut self, d: u64, size: u64, a: Temp, aligned: bool) {
        let mut op = Op::new(Opcode::LdXmm);
        op.ins[0] = a;
        op.consts = [d, size | if aligned { XMM_ALIGNED } else { 0 }];
        self.push(op);
    }

    /// Stores vector register `s` to the 16 bytes at guest address `a`
    /// (see `Opcode::StXmm`); `aligned`: #GP unless `a` is a multiple of 16.
    pub fn st_xmm(&mut self, s: u64, a: Temp, aligned: bool) {
        let mut op = Op::new(Opcode::StXmm);
        op.ins[0] = a;
        op.consts = [s, 16 | if aligned { XMM_ALIGNED } else { 0 }];
        self.push(op);
    }

    /// Marks global `g`'s value as no longer needed (see `Opcode::Discard`).
    pub fn discard(&mut self, g: Temp) {
        let mut op = Op::new(Opcode::Discard);
        op.outs[0] = g;
        self.push(op);
    }

    /// Leaves through direct-exit slot `n`.
    pub fn goto_tb(&mut self, n: u64) {
        let mut op = Op::new(Opcode::GotoTb);
        op.consts[0] = n;
        self.push(op);
    }

    /// Leaves through the jump-cache lookup of the current rip.
    pub fn lookup_and_goto_ptr(&mut self) {
        self.push(Op::new(Opcode::LookupAndGotoPtr));
    }

    /// Leaves through direct-exit slot `n` for a CALL returning to `ret`.
    pub fn call_tb(&mut self, n: u64, ret: u64) {
        let mut op = Op::new(Opcode::CallTb);
        op.consts[0] = n;
        op.consts[1] = ret;
        self.push(op);
    }

    /// Leaves through the jump-cache lookup of the current rip for an
    /// indirect CALL returning to `ret`.
    pub fn lookup_call(&mut self, ret: u64) {
        let mut op = Op::new(Opcode::LookupCall);
        op.consts[0] = ret;
        self.push(op);
    }

    /// Leaves through the jump-cache lookup of the current rip for a RET.
    pub fn lookup_ret(&mut self) {
        self.push(Op::new(Opcode::LookupRet));
    }

    /// Leaves to the exec loop with exception `excp`.
    pub fn raise(&mut self, excp: u64) {
        let mut op = Op::new(Opcode::Raise);
        op.consts[0] = excp;
        self.push(op);
    }
}

/// In the size constant of `ld_xmm` and `st_xmm`: the 16-byte access
/// raises #GP unless its address is a multiple of 16 (legacy SSE's
/// aligned memory operands).
pub const XMM_ALIGNED: u64 = 0x100;

/// The second constant of `call_xmm`: registers `d` and `s` and the
/// immediate, one byte each.
pub const fn pack_xmm_operands(d: u64, s: u64, imm: u64) -> u64 {
    (d & 0xff) | (s & 0xff) << 8 | (imm & 0xff) << 16
}

/// `(d, s, imm)` from the second constant of `call_xmm`.
pub const fn unpack_xmm_operands(c: u64) -> (u64, u64, u64) {
    (c & 0xff, c >> 8 & 0xff, c >> 16 & 0xff)
}
