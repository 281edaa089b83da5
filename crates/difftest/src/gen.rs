//! Random sequences of 1-16 instructions over a random initial state, built
//! as iced-x86 `Instruction`s and encoded by iced-x86's block encoder; each
//! instruction is kept only if the analysis (`analysis`) accepts the
//! sequence with it.

use crate::analysis::{walk, Start};
use crate::forms::Form;
use crate::layout::{CODE, END, GUARD_HI, GUARD_LO, SCRATCH};
use crate::rng::Rng;
use crate::state::RSP;
use iced_x86::{
    BlockEncoder, BlockEncoderOptions, Code, Decoder, DecoderOptions, Encoder, Instruction,
    InstructionBlock, Mnemonic, OpCodeOperandKind as K, OpKind, Register,
};

/// Placeholder address of a generated instruction `k` (`PLACE + 16 * k`);
/// branch targets name instructions by these until the block encoder
/// places the sequence.
const PLACE: u64 = 0x7000_0000_0000;

/// Most instructions in a sequence (a trailing NOP may follow).
pub const MAX_LEN: usize = 16;

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
            if addr32 {
                // With ECX zero, whether a repeated string instruction
                // clears the upper halves of RCX, RSI and RDI is the
                // core's choice (a Sapphire Rapids host clears them, an
                // EPYC host kept them): no repeat prefix here (the x86
                // crate's intops tests repeat from a count of 1). The
                // draw above keeps the random stream as it was.
            } else if rep == 1 && op.can_use_rep_prefix() {
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
