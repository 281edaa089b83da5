//! Random sequences of 1-16 instructions over a random initial state, built
//! as iced-x86 `Instruction`s and encoded by iced-x86's block encoder, and
//! the static analysis that keeps them meaningful: every memory access has
//! an address known from the initial state and lands in the scratch page
//! (or, on purpose, in a guard page beside it), RSP stays in the scratch
//! page, no instruction reads a flag an earlier one left undefined, and
//! branches only go forward within the sequence.

use crate::forms::Form;
use crate::layout::{CODE, END, GUARD_HI, GUARD_LO, PAGE, REGION_END, SCRATCH};
use crate::rng::Rng;
use crate::state::{Regs, RSP};
use iced_x86::{
    BlockEncoder, BlockEncoderOptions, Code, Decoder, DecoderOptions, Encoder, FlowControl,
    Instruction, InstructionBlock, InstructionInfoFactory, Mnemonic, OpAccess,
    OpCodeOperandKind as K, OpKind, Register, RflagsBits,
};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Placeholder address of a generated instruction `k` (`PLACE + 16 * k`);
/// branch targets name instructions by these until the block encoder
/// places the sequence.
const PLACE: u64 = 0x7000_0000_0000;

/// Most instructions in a sequence (a trailing NOP may follow).
pub const MAX_LEN: usize = 16;

/// Longest rep count a string instruction may run with.
const MAX_REP: u64 = 64;

/// The initial state the analysis reasons from.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    /// The registers.
    pub regs: &'a Regs,
    /// The scratch page.
    pub mem: &'a [u8],
}

/// The host's MXCSR_MASK (the MXCSR bits LDMXCSR accepts), from FXSAVE.
fn host_mxcsr_mask() -> u32 {
    static MASK: OnceLock<u32> = OnceLock::new();
    *MASK.get_or_init(|| {
        let mut image = [0u128; 32];
        // SAFETY: FXSAVE64 writes 512 bytes to a 16-byte-aligned buffer of
        // that size and changes no other state.
        unsafe {
            std::arch::asm!("fxsave64 [{}]", in(reg) image.as_mut_ptr(), options(nostack));
        }
        match (image[1] >> 96) as u32 {
            0 => 0xffbf,
            m => m,
        }
    })
}

/// What the analysis knows at one point of the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Track {
    /// GPRs written so far: their values are no longer known.
    written: u16,
    /// RSP minus its initial value, when known.
    rsp: Option<i64>,
    /// iced-x86 `RflagsBits` whose values are undefined (x87 C0..C3 too).
    undef: u32,
    /// 64-byte chunks of the scratch page stored to (contents unknown).
    dirty: u64,
}

impl Track {
    const START: Track = Track {
        written: 0,
        rsp: Some(0),
        undef: 0,
        dirty: 0,
    };

    /// The state where paths meet.
    fn merge(self, o: Track) -> Track {
        Track {
            written: self.written | o.written,
            rsp: if self.rsp == o.rsp { self.rsp } else { None },
            undef: self.undef | o.undef,
            dirty: self.dirty | o.dirty,
        }
    }

    /// The known full value of GPR `r`.
    fn gpr(&self, init: &Start, r: usize) -> Option<u64> {
        if r == RSP {
            self.rsp.map(|d| init.regs.gpr[RSP].wrapping_add(d as u64))
        } else if self.written >> r & 1 == 0 {
            Some(init.regs.gpr[r])
        } else {
            None
        }
    }

    /// The known value of `reg` (any GPR width; segment registers are 0).
    fn reg(&self, init: &Start, reg: Register) -> Option<u64> {
        if matches!(
            reg,
            Register::ES | Register::CS | Register::SS | Register::DS
        ) {
            return Some(0);
        }
        if !reg.is_gpr() {
            return None;
        }
        let v = self.gpr(init, gpr_num(reg))?;
        Some(match reg.size() {
            8 => v,
            4 => v as u32 as u64,
            2 => v as u16 as u64,
            _ if (Register::AH..=Register::BH).contains(&reg) => v >> 8 & 0xff,
            _ => v as u8 as u64,
        })
    }
}

/// The GPR number (0..16) of any-width GPR `reg`.
pub fn gpr_num(reg: Register) -> usize {
    (reg.full_register() as u32 - Register::RAX as u32) as usize
}

/// The 64-byte chunks of the scratch page that `[lo, hi)` touches.
fn chunks_of(lo: u64, hi: u64) -> u64 {
    let first = lo.clamp(SCRATCH, GUARD_HI);
    let last = hi.clamp(SCRATCH, GUARD_HI);
    if first >= last {
        return 0;
    }
    let (c0, c1) = ((first - SCRATCH) / 64, (last - 1 - SCRATCH) / 64);
    (c0..=c1).fold(0, |m, c| m | 1 << c)
}

/// Rejects an LDMXCSR whose (initial) operand the host and ox86's CPU model
/// judge differently: bits the host's MXCSR_MASK has beyond ox86's
/// (AMD's misaligned-exception mask, bit 17) load on the host but raise
/// #GP under ox86.
fn check_ldmxcsr(init: &Start, a: u64) -> Result<(), String> {
    let Some(off) = a.checked_sub(SCRATCH).filter(|o| o + 4 <= PAGE) else {
        return Ok(());
    };
    let o = off as usize;
    let v = u32::from_le_bytes(init.mem[o..o + 4].try_into().unwrap());
    if v & !0xffff != 0 && v & !host_mxcsr_mask() == 0 {
        return Err("an MXCSR value only the host accepts".into());
    }
    Ok(())
}

/// Rejects a POPF that would set TF (a single-step trap after every
/// instruction) or AC (alignment checking: a misaligned access faults).
fn check_popf(init: &Start, a: u64) -> Result<(), String> {
    const TF: u64 = 1 << 8;
    const AC: u64 = 1 << 18;
    let o = a.checked_sub(SCRATCH).filter(|o| o + 2 <= PAGE);
    let Some(o) = o.map(|o| o as usize) else {
        return Ok(());
    };
    let mut b = [0u8; 8];
    let n = (PAGE as usize - o).min(8);
    b[..n].copy_from_slice(&init.mem[o..o + n]);
    if u64::from_le_bytes(b) & (TF | AC) != 0 {
        return Err("POPF would set TF or AC".into());
    }
    Ok(())
}

/// The result of the analysis: undefined flags (iced-x86 `RflagsBits`) at
/// each instruction and at the end.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Undefined flags before each instruction (paths merged).
    pub undef_before: Vec<u32>,
    /// Undefined flags where the sequence ends.
    pub undef_end: u32,
}

/// The flags an instruction writes only for some operand values (a shift
/// by zero, a string instruction repeated zero times): it does not make an
/// undefined flag defined.
fn writes_flags_conditionally(insn: &Instruction) -> bool {
    use Mnemonic::*;
    matches!(
        insn.mnemonic(),
        Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr | Shld | Shrd
    ) || insn.has_rep_prefix()
        || insn.has_repne_prefix()
}

/// Flags iced-x86 counts as written that the SDM leaves undefined for some
/// operands: OF after a shift or rotate by anything but 1.
fn undefined_by_count(insn: &Instruction) -> u32 {
    use Mnemonic::*;
    if !matches!(
        insn.mnemonic(),
        Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr | Shld | Shrd
    ) {
        return 0;
    }
    let last = insn.op_count() - 1;
    let wide = insn.op0_kind() == OpKind::Register && insn.op0_register().size() == 8
        || insn.op0_kind() == OpKind::Memory && insn.memory_size().size() == 8;
    let mask = if wide { 0x3f } else { 0x1f };
    match insn.op_kind(last) {
        OpKind::Immediate8 if insn.immediate8() & mask == 1 => 0,
        _ => RflagsBits::OF,
    }
}

/// The bit-offset register of `bt*  m, r` (its value moves the access).
fn bit_offset_reg(insn: &Instruction) -> Option<Register> {
    use Mnemonic::*;
    (matches!(insn.mnemonic(), Bt | Bts | Btr | Btc)
        && insn.op0_kind() == OpKind::Memory
        && insn.op1_kind() == OpKind::Register)
        .then(|| insn.op1_register())
}

/// What one instruction leads to: the state after it, a branch (target
/// and state there), and whether it falls through.
type Step = (Track, Option<(u64, Track)>, bool);

/// Checks one instruction at a point where `t` holds; returns the state
/// after it (the fall-through path) and, for a branch, its target and the
/// state there, and whether it falls through at all.
fn step(
    insn: &Instruction,
    t: Track,
    init: &Start,
    info: &mut InstructionInfoFactory,
) -> Result<Step, String> {
    if insn.rflags_read() & t.undef != 0 {
        return Err("reads a flag left undefined".into());
    }
    let value = |r: Register, _: usize, _: usize| t.reg(init, r);
    let inf = info.info(insn);
    let stack = insn.stack_pointer_increment() != 0 || insn.mnemonic() == Mnemonic::Leave;
    let mut written = 0u16;
    for u in inf.used_registers() {
        let r = u.register();
        if !r.is_gpr() {
            continue;
        }
        let w = matches!(
            u.access(),
            OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite
        );
        if w && gpr_num(r) == RSP && !stack {
            return Err("writes RSP".into());
        }
        if w && gpr_num(r) != RSP {
            written |= 1 << gpr_num(r);
        }
    }
    // Every access must have a known address inside the data region.
    let in_region =
        |a: u64, n: u64| a >= GUARD_LO && a.wrapping_add(n) <= REGION_END && a.wrapping_add(n) >= a;
    let string_rep =
        insn.is_string_instruction() && (insn.has_rep_prefix() || insn.has_repne_prefix());
    let count = if string_rep {
        let c = if insn.op0_kind() == OpKind::MemoryESEDI
            || insn.op1_kind() == OpKind::MemorySegESI
            || insn.op0_kind() == OpKind::MemorySegESI
        {
            t.reg(init, Register::ECX)
        } else {
            t.reg(init, Register::RCX)
        };
        match c {
            Some(c) if c <= MAX_REP => c,
            _ => return Err("rep count unknown or large".into()),
        }
    } else {
        1
    };
    let mut stores = 0u64;
    for m in inf.used_memory() {
        let a = m
            .virtual_address(0, value)
            .ok_or("address from an unknown register")?;
        let size = m.memory_size().size().max(1) as u64;
        let (lo, hi) = if let Some(r) = bit_offset_reg(insn) {
            let off = t.reg(init, r).ok_or("bit offset unknown")?;
            let bits = size * 8;
            let off = match size {
                2 => off as i16 as i64,
                4 => off as i32 as i64,
                _ => off as i64,
            };
            let a = a.wrapping_add((off.div_euclid(bits as i64) * size as i64) as u64);
            (a, a.wrapping_add(size))
        } else if string_rep {
            let span = count * size;
            (a.wrapping_sub(span), a.wrapping_add(span + size))
        } else {
            (a, a.wrapping_add(size))
        };
        if !in_region(lo, hi.wrapping_sub(lo)) {
            return Err("access outside the data region".into());
        }
        let chunks = chunks_of(lo, hi);
        if insn.mnemonic() == Mnemonic::Ldmxcsr {
            if t.dirty & chunks != 0 {
                return Err("LDMXCSR of stored memory".into());
            }
            check_ldmxcsr(init, lo)?;
        }
        if matches!(insn.mnemonic(), Mnemonic::Popf | Mnemonic::Popfq) {
            if t.dirty & chunks != 0 {
                return Err("POPF of stored memory".into());
            }
            check_popf(init, lo)?;
        }
        if matches!(
            m.access(),
            OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite
        ) {
            stores |= chunks;
        }
    }
    if matches!(insn.mnemonic(), Mnemonic::Shld | Mnemonic::Shrd) && insn.op0_register().size() == 2
        || insn.op0_kind() == OpKind::Memory
            && matches!(insn.mnemonic(), Mnemonic::Shld | Mnemonic::Shrd)
            && insn.memory_size().size() == 2
    {
        // A 16-bit double shift by more than 16 leaves the result undefined.
        let n = if insn.op2_kind() == OpKind::Register {
            t.reg(init, Register::CL).ok_or("shift count unknown")?
        } else {
            insn.immediate8() as u64
        };
        if n & 31 > 16 {
            return Err("16-bit double shift beyond 16".into());
        }
    }
    let mut after = t;
    after.written |= written;
    after.dirty |= stores;
    after.rsp = if insn.mnemonic() == Mnemonic::Leave {
        let size = if insn.code() == Code::Leavew { 2 } else { 8 };
        t.gpr(init, 5)
            .map(|rbp| rbp.wrapping_add(size).wrapping_sub(init.regs.gpr[RSP]) as i64)
    } else {
        t.rsp.map(|d| d + insn.stack_pointer_increment() as i64)
    };
    if insn.mnemonic() == Mnemonic::Enter {
        // Some hosts (AMD) probe the new stack top with a write; ox86's
        // CPU model does not. Keep it inside the scratch page.
        let top = after.rsp.map(|d| init.regs.gpr[RSP].wrapping_add(d as u64));
        if !top.is_some_and(|a| (SCRATCH..GUARD_HI).contains(&a)) {
            return Err("ENTER's new stack top outside the scratch page".into());
        }
    }
    let modified = if writes_flags_conditionally(insn) {
        0
    } else {
        insn.rflags_modified() & !insn.rflags_undefined()
    };
    after.undef = (t.undef & !modified) | insn.rflags_undefined() | undefined_by_count(insn);
    let (branch, falls) = match insn.flow_control() {
        FlowControl::Next | FlowControl::Interrupt | FlowControl::Exception => (None, true),
        FlowControl::ConditionalBranch => (Some((insn.near_branch_target(), after)), true),
        FlowControl::UnconditionalBranch | FlowControl::Call => {
            (Some((insn.near_branch_target(), after)), false)
        }
        _ => return Err("unsupported control flow".into()),
    };
    Ok((after, branch, falls))
}

/// Walks `insns` from `init` (branch targets name instructions by their
/// `ip()`) and returns the analysis and the state at `end_ip`. With `open`,
/// branches may also target addresses after `end_ip` (a prefix being
/// extended); otherwise every target is an instruction or `end_ip`.
fn walk(
    insns: &[Instruction],
    end_ip: u64,
    init: &Start,
    open: bool,
) -> Result<(Analysis, Track), String> {
    let mut info = InstructionInfoFactory::new();
    let mut incoming: HashMap<u64, Track> = HashMap::new();
    let mut linear = Some(Track::START);
    let mut a = Analysis::default();
    let meet = |l: Option<Track>, i: Option<Track>| match (l, i) {
        (Some(l), Some(i)) => Some(l.merge(i)),
        (l, i) => l.or(i),
    };
    for insn in insns {
        let here = meet(linear, incoming.remove(&insn.ip()));
        a.undef_before.push(here.map_or(0, |t| t.undef));
        let Some(t) = here else {
            // Not reachable: it never runs.
            continue;
        };
        let (after, branch, falls) = step(insn, t, init, &mut info)?;
        if let Some((target, bt)) = branch {
            if target <= insn.ip() {
                return Err("backward branch".into());
            }
            let m = incoming.get(&target).map_or(bt, |o| o.merge(bt));
            incoming.insert(target, m);
        }
        linear = falls.then_some(after);
    }
    let end = meet(linear, incoming.remove(&end_ip)).unwrap_or(Track::START);
    if incoming.keys().any(|&t| !open || t < end_ip) {
        return Err("branch target is not an instruction".into());
    }
    a.undef_end = end.undef;
    Ok((a, end))
}

/// Analyses `insns` (in order, branch targets naming instructions by their
/// `ip()`, or `end_ip`) from `init`: checks every rule of the module doc
/// and returns the undefined flags at each point.
pub fn analyze(insns: &[Instruction], end_ip: u64, init: &Start) -> Result<Analysis, String> {
    walk(insns, end_ip, init, false).map(|(a, _)| a)
}

/// A generated sequence: instructions at placeholder addresses.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// The instructions; branch targets name instructions by placeholder.
    pub insns: Vec<Instruction>,
}

impl Sequence {
    /// Encodes the sequence so that it ends exactly at `END`; returns its
    /// bytes (starting at `END - len`).
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        // Branches keep the form generated (rel8 or rel32) when it reaches.
        let enc = |rip: u64| -> Result<Vec<u8>, String> {
            let block = || InstructionBlock::new(&self.insns, rip);
            BlockEncoder::encode(64, block(), BlockEncoderOptions::DONT_FIX_BRANCHES)
                .or_else(|_| BlockEncoder::encode(64, block(), BlockEncoderOptions::NONE))
                .map(|r| r.code_buffer)
                .map_err(|e| e.to_string())
        };
        let mut len = enc(CODE)?.len() as u64;
        for _ in 0..4 {
            let code = enc(END - len)?;
            if code.len() as u64 == len {
                return Ok(code);
            }
            len = code.len() as u64;
        }
        Err("encoding does not settle".into())
    }

    /// Drops instruction `k`; branches to it go to the next one. `None`
    /// when something branches to the last one.
    pub fn without(&self, k: usize) -> Option<Sequence> {
        let ip = self.insns[k].ip();
        let next = self.insns.get(k + 1).map(|i| i.ip());
        let mut insns = self.insns.clone();
        insns.remove(k);
        for i in insns.iter_mut() {
            if matches!(i.op0_kind(), OpKind::NearBranch64) && i.near_branch64() == ip {
                i.set_near_branch64(next?);
            }
        }
        Some(Sequence { insns })
    }
}

/// Decodes the bytes of a sequence that ends at `END`.
pub fn decode(code: &[u8]) -> Vec<Instruction> {
    let start = END - code.len() as u64;
    Decoder::with_ip(64, code, start, DecoderOptions::NONE)
        .iter()
        .collect()
}

/// The operand kinds the generator fills in.
pub const OPERAND_KINDS: &[K] = &[
    K::r8_or_mem,
    K::r16_or_mem,
    K::r32_or_mem,
    K::r64_or_mem,
    K::xmm_or_mem,
    K::mem,
    K::mem_offs,
    K::r8_reg,
    K::r8_opcode,
    K::r16_reg,
    K::r16_reg_mem,
    K::r16_rm,
    K::r16_opcode,
    K::r32_reg,
    K::r32_reg_mem,
    K::r32_rm,
    K::r32_opcode,
    K::r32_vvvv,
    K::r64_reg,
    K::r64_reg_mem,
    K::r64_rm,
    K::r64_opcode,
    K::r64_vvvv,
    K::xmm_reg,
    K::xmm_rm,
    K::mm_or_mem,
    K::mm_reg,
    K::mm_rm,
    K::al,
    K::cl,
    K::ax,
    K::eax,
    K::rax,
    K::st0,
    K::sti_opcode,
    K::imm8,
    K::imm8_const_1,
    K::imm8sex16,
    K::imm8sex32,
    K::imm8sex64,
    K::imm16,
    K::imm32,
    K::imm32sex64,
    K::imm64,
    K::seg_rSI,
    K::es_rDI,
    K::seg_rDI,
    K::seg_rBX_al,
    K::br64_1,
    K::br64_4,
];

/// The sequence generator for one set of forms.
pub struct Generator<'a> {
    forms: &'a [Form],
    encoder: Encoder,
}

/// A GPR of `size` bytes by number 0..16 (for bytes, 16..20 are AH..BH).
fn gpr_reg(size: u32, n: usize) -> Register {
    let idx = match size {
        // AL CL DL BL, then AH CH DH BH, then SPL BPL SIL DIL R8L..R15L.
        1 if n < 4 => Register::AL as usize + n,
        1 if n >= 16 => Register::AH as usize + n - 16,
        1 => Register::SPL as usize + n - 4,
        2 => Register::AX as usize + n,
        4 => Register::EAX as usize + n,
        _ => Register::RAX as usize + n,
    };
    Register::values().nth(idx).expect("GPR number in range")
}

impl<'a> Generator<'a> {
    /// A generator drawing uniformly from `forms` (not empty).
    pub fn new(forms: &'a [Form]) -> Generator<'a> {
        Generator {
            forms,
            encoder: Encoder::new(64),
        }
    }

    /// A random sequence of 1..=`max_len` instructions valid from `init`.
    pub fn sequence(&mut self, rng: &mut Rng, init: &Start, max_len: usize) -> Sequence {
        let n = 1 + rng.below(max_len as u64) as usize;
        let mut insns: Vec<Instruction> = Vec::with_capacity(n + 1);
        let mut tries = 0;
        while insns.len() < n && tries < 64 * n {
            tries += 1;
            let k = insns.len();
            let form = rng.pick(self.forms);
            let Some(mut insn) = self.instruction(rng, form, k, n, init, &insns) else {
                continue;
            };
            insn.set_ip(PLACE + 16 * k as u64);
            insns.push(insn);
            if walk(&insns, PLACE + 16 * insns.len() as u64, init, true).is_err() {
                insns.pop();
            }
        }
        if insns.is_empty() {
            insns.push(Instruction::with(Code::Nopd));
        }
        // A branch to the end needs an instruction there.
        let k = insns.len();
        let end = PLACE + 16 * k as u64;
        for i in insns.iter_mut() {
            if i.op0_kind() == OpKind::NearBranch64 && i.near_branch64() >= end {
                i.set_near_branch64(end);
            }
        }
        if insns
            .iter()
            .any(|i| i.op0_kind() == OpKind::NearBranch64 && i.near_branch64() == end)
        {
            let mut nop = Instruction::with(Code::Nopd);
            nop.set_ip(end);
            insns.push(nop);
        }
        Sequence { insns }
    }

    /// One instruction of `form` for position `k` of `n`, with operands
    /// valid where the prefix `prev` leaves off (`None`: try another).
    fn instruction(
        &mut self,
        rng: &mut Rng,
        form: Form,
        k: usize,
        n: usize,
        init: &Start,
        prev: &[Instruction],
    ) -> Option<Instruction> {
        let code = form.code;
        let op = code.op_code();
        let mut insn = Instruction::with(code);
        // The state before this instruction, to pick known registers.
        let (_, here) = walk(prev, PLACE + 16 * k as u64, init, true).ok()?;
        let track: [Option<u64>; 16] = std::array::from_fn(|r| here.gpr(init, r));
        let addr32 = rng.chance(10);
        let msize = insn.memory_size().size().clamp(1, 512) as u64;
        for (i, &kind) in op.op_kinds().iter().enumerate() {
            let i = i as u32;
            let reg = |size: u32, rng: &mut Rng| -> Register {
                loop {
                    let n = if size == 1 {
                        rng.below(20)
                    } else {
                        rng.below(16)
                    } as usize;
                    if n != RSP {
                        return gpr_reg(size, n);
                    }
                }
            };
            match kind {
                K::r8_or_mem
                | K::r16_or_mem
                | K::r32_or_mem
                | K::r64_or_mem
                | K::xmm_or_mem
                | K::mm_or_mem
                    if rng.chance(50) =>
                {
                    let r = match kind {
                        K::r8_or_mem => reg(1, rng),
                        K::r16_or_mem => reg(2, rng),
                        K::r32_or_mem => reg(4, rng),
                        K::r64_or_mem => reg(8, rng),
                        K::mm_or_mem => mm(rng),
                        _ => xmm(rng),
                    };
                    insn.set_op_kind(i, OpKind::Register);
                    insn.set_op_register(i, r);
                }
                K::r8_or_mem
                | K::r16_or_mem
                | K::r32_or_mem
                | K::r64_or_mem
                | K::xmm_or_mem
                | K::mm_or_mem
                | K::mem => {
                    self.memory(rng, &mut insn, i, msize, &track, addr32)?;
                }
                K::mem_offs => {
                    insn.set_op_kind(i, OpKind::Memory);
                    insn.set_memory_displacement64(target(rng, msize));
                    insn.set_memory_displ_size(8);
                }
                K::r8_reg | K::r8_opcode => set_reg(&mut insn, i, reg(1, rng)),
                K::r16_reg | K::r16_rm | K::r16_opcode | K::r16_reg_mem => {
                    set_reg(&mut insn, i, reg(2, rng))
                }
                K::r32_reg | K::r32_rm | K::r32_opcode | K::r32_reg_mem | K::r32_vvvv => {
                    set_reg(&mut insn, i, reg(4, rng))
                }
                K::r64_reg | K::r64_rm | K::r64_opcode | K::r64_reg_mem | K::r64_vvvv => {
                    set_reg(&mut insn, i, reg(8, rng))
                }
                K::xmm_reg | K::xmm_rm => set_reg(&mut insn, i, xmm(rng)),
                K::mm_reg | K::mm_rm => set_reg(&mut insn, i, mm(rng)),
                K::al => set_reg(&mut insn, i, Register::AL),
                K::cl => set_reg(&mut insn, i, Register::CL),
                K::ax => set_reg(&mut insn, i, Register::AX),
                K::eax => set_reg(&mut insn, i, Register::EAX),
                K::rax => set_reg(&mut insn, i, Register::RAX),
                K::st0 => set_reg(&mut insn, i, Register::ST0),
                K::sti_opcode => set_reg(&mut insn, i, st(rng.below(8) as usize)),
                K::imm8_const_1 => {
                    insn.set_op_kind(i, OpKind::Immediate8);
                    insn.set_immediate8(1);
                }
                K::imm8
                | K::imm8sex16
                | K::imm8sex32
                | K::imm8sex64
                | K::imm16
                | K::imm32
                | K::imm32sex64
                | K::imm64 => {
                    let (mut kind_, v) = immediate(rng, kind, code);
                    // ENTER's second immediate has a kind of its own.
                    if kind_ == OpKind::Immediate8
                        && i > 0
                        && insn.op_kind(i - 1) == OpKind::Immediate16
                    {
                        kind_ = OpKind::Immediate8_2nd;
                    }
                    insn.set_op_kind(i, kind_);
                    insn.try_set_immediate_u64(i, v).ok()?;
                }
                K::seg_rSI => insn.set_op_kind(
                    i,
                    if addr32 {
                        OpKind::MemorySegESI
                    } else {
                        OpKind::MemorySegRSI
                    },
                ),
                K::es_rDI => insn.set_op_kind(
                    i,
                    if addr32 {
                        OpKind::MemoryESEDI
                    } else {
                        OpKind::MemoryESRDI
                    },
                ),
                K::seg_rDI => insn.set_op_kind(
                    i,
                    if addr32 {
                        OpKind::MemorySegEDI
                    } else {
                        OpKind::MemorySegRDI
                    },
                ),
                K::seg_rBX_al => {
                    insn.set_op_kind(i, OpKind::Memory);
                    insn.set_memory_base(if addr32 { Register::EBX } else { Register::RBX });
                    insn.set_memory_index(Register::AL);
                    insn.set_memory_index_scale(1);
                }
                K::br64_1 | K::br64_4 => {
                    let j = k + 1 + rng.below((n - k) as u64) as usize;
                    insn.set_op_kind(i, OpKind::NearBranch64);
                    insn.set_near_branch64(PLACE + 16 * j as u64);
                }
                _ => return None,
            }
        }
        if insn.is_string_instruction() {
            let rep = rng.below(3);
            if rep == 1 && op.can_use_rep_prefix() {
                insn.set_has_rep_prefix(true);
            } else if rep == 2 && op.can_use_repne_prefix() {
                insn.set_has_repne_prefix(true);
            }
        }
        if op.can_use_lock_prefix() && insn.op0_kind() == OpKind::Memory && rng.chance(40) {
            insn.set_has_lock_prefix(true);
        }
        self.encoder.encode(&insn, PLACE).ok()?;
        Some(insn)
    }

    /// Makes operand `i` a memory operand for an access of `size` bytes
    /// whose address is known from `track` (`None`: no way to address it).
    fn memory(
        &mut self,
        rng: &mut Rng,
        insn: &mut Instruction,
        i: u32,
        size: u64,
        track: &[Option<u64>; 16],
        addr32: bool,
    ) -> Option<()> {
        let t = target(rng, size);
        insn.set_op_kind(i, OpKind::Memory);
        let known: Vec<usize> = (0..16).filter(|&r| track[r].is_some()).collect();
        let fits = |d: i64| d == d as i32 as i64;
        let (base, index, scale, disp): (Register, Register, u32, u64) = match rng.below(10) {
            0 | 1 => (Register::RIP, Register::None, 1, t),
            2 => (Register::None, Register::None, 1, t),
            _ if known.is_empty() => (Register::RIP, Register::None, 1, t),
            3..=5 => {
                let b = rng.pick(&known);
                let v = track[b]?;
                if addr32 {
                    (
                        gpr_reg(4, b),
                        Register::None,
                        1,
                        t.wrapping_sub(v) as u32 as u64,
                    )
                } else {
                    let d = t.wrapping_sub(v) as i64;
                    if !fits(d) {
                        return None;
                    }
                    (gpr_reg(8, b), Register::None, 1, d as u64)
                }
            }
            _ => {
                let b = rng.pick(&known);
                let x = rng.pick(&known);
                if x == RSP {
                    return None;
                }
                let s = rng.pick(&[1u32, 2, 4, 8]);
                let no_base = rng.chance(15);
                let bv = if no_base { 0 } else { track[b]? };
                let sum = bv.wrapping_add(track[x]?.wrapping_mul(s as u64));
                let breg = |sz| {
                    if no_base {
                        Register::None
                    } else {
                        gpr_reg(sz, b)
                    }
                };
                if addr32 {
                    (
                        breg(4),
                        gpr_reg(4, x),
                        s,
                        (t as u32).wrapping_sub(sum as u32) as u64,
                    )
                } else {
                    let d = t.wrapping_sub(sum) as i64;
                    if !fits(d) {
                        return None;
                    }
                    (breg(8), gpr_reg(8, x), s, d as u64)
                }
            }
        };
        insn.set_memory_base(base);
        insn.set_memory_index(index);
        insn.set_memory_index_scale(scale);
        insn.set_memory_displacement64(disp);
        let d32 = addr32 && base != Register::RIP;
        insn.set_memory_displ_size(match (base, index) {
            (Register::None, Register::None) | (Register::RIP, _) => 8,
            _ if disp == 0 => 0,
            _ => 1,
        });
        if d32 {
            insn.set_memory_displacement64(disp as u32 as u64);
        }
        Some(())
    }
}

/// A target address for an access of `size` bytes: mostly inside the
/// scratch page (often aligned), sometimes across or inside a guard page.
fn target(rng: &mut Rng, size: u64) -> u64 {
    let size = size.min(4096);
    match rng.below(100) {
        0..=1 => GUARD_HI - rng.below(size.max(2) - 1) - 1 + (size > 1) as u64,
        2 => SCRATCH - 1 - rng.below(size.max(2) - 1),
        3 => GUARD_HI + rng.below(4096 - size + 1),
        4 => GUARD_LO + rng.below(4096 - size + 1),
        _ => {
            let off = rng.below(4096 - size + 1);
            SCRATCH
                + if rng.chance(80) && size.is_power_of_two() {
                    off & !(size - 1)
                } else {
                    off
                }
        }
    }
}

fn set_reg(insn: &mut Instruction, i: u32, r: Register) {
    insn.set_op_kind(i, OpKind::Register);
    insn.set_op_register(i, r);
}

fn xmm(rng: &mut Rng) -> Register {
    Register::values()
        .nth(Register::XMM0 as usize + rng.below(16) as usize)
        .expect("XMM number in range")
}

fn mm(rng: &mut Rng) -> Register {
    Register::values()
        .nth(Register::MM0 as usize + rng.below(8) as usize)
        .expect("MM number in range")
}

fn st(i: usize) -> Register {
    Register::values()
        .nth(Register::ST0 as usize + i)
        .expect("ST number in range")
}

/// An immediate for an operand of `kind` of `code`: shift counts near the
/// operand widths, otherwise values at the edges.
fn immediate(rng: &mut Rng, kind: K, code: Code) -> (OpKind, u64) {
    use Mnemonic::*;
    let shift = matches!(
        code.mnemonic(),
        Shl | Sal | Shr | Sar | Rol | Ror | Rcl | Rcr | Shld | Shrd
    );
    let v = rng.edge_u64();
    match kind {
        K::imm8 if shift => {
            let any = rng.below(256);
            let counts = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 0xff, any];
            (OpKind::Immediate8, rng.pick(&counts))
        }
        K::imm8 => (OpKind::Immediate8, v & 0xff),
        K::imm8sex16 => (OpKind::Immediate8to16, v as i8 as i64 as u64),
        K::imm8sex32 => (OpKind::Immediate8to32, v as i8 as i64 as u64),
        K::imm8sex64 => (OpKind::Immediate8to64, v as i8 as i64 as u64),
        K::imm16 => (OpKind::Immediate16, v & 0xffff),
        K::imm32 => (OpKind::Immediate32, v & 0xffff_ffff),
        K::imm32sex64 => (OpKind::Immediate32to64, v as i32 as i64 as u64),
        _ => (OpKind::Immediate64, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Input;
    use iced_x86::code_asm::*;

    /// Assembles `f` at the placeholder of instruction 0 and decodes it back.
    fn insns(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<Instruction> {
        let mut a = CodeAssembler::new(64).unwrap();
        f(&mut a).unwrap();
        let code = a.assemble(CODE).unwrap();
        Decoder::with_ip(64, &code, CODE, DecoderOptions::NONE)
            .iter()
            .collect()
    }

    fn check(
        f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>,
    ) -> Result<Analysis, String> {
        let input = Input::random(&mut Rng::new(1));
        let mem = vec![0u8; PAGE as usize];
        let start = Start {
            regs: &input.regs,
            mem: &mem,
        };
        let v = insns(f);
        let end = v.last().map_or(CODE, |i| i.next_ip());
        analyze(&v, end, &start)
    }

    #[test]
    fn a_flag_left_undefined_may_not_be_read() {
        assert!(check(|a| a.mul(rcx)).is_ok());
        assert!(check(|a| {
            a.mul(rcx)?;
            a.setz(al)
        })
        .is_err());
        // Redefined by an ADD before the read: fine.
        assert!(check(|a| {
            a.mul(rcx)?;
            a.add(rax, rdx)?;
            a.setz(al)
        })
        .is_ok());
    }

    #[test]
    fn undefined_flags_are_reported_at_the_end() {
        let a = check(|a| a.mul(rcx)).unwrap();
        assert_ne!(a.undef_end & RflagsBits::ZF, 0);
        assert_eq!(a.undef_end & RflagsBits::CF, 0);
    }

    #[test]
    fn memory_must_be_in_the_data_region() {
        assert!(check(|a| a.mov(rax, qword_ptr((SCRATCH + 8) as usize))).is_ok());
        assert!(check(|a| a.mov(rax, qword_ptr(CODE as usize))).is_err());
        // RAX's value is unknown once written.
        assert!(check(|a| {
            a.mov(rax, 0x1234u64)?;
            a.mov(rcx, qword_ptr(rax))
        })
        .is_err());
    }

    #[test]
    fn rsp_moves_only_through_the_stack() {
        assert!(check(|a| a.push(rax)).is_ok());
        assert!(check(|a| a.mov(rsp, rax)).is_err());
    }

    #[test]
    fn chunks_cover_the_bytes_touched() {
        assert_eq!(chunks_of(SCRATCH, SCRATCH + 1), 1);
        assert_eq!(chunks_of(SCRATCH + 60, SCRATCH + 68), 3);
        assert_eq!(chunks_of(GUARD_LO, SCRATCH), 0);
    }
}
