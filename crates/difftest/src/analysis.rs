//! The static analysis that keeps a generated sequence meaningful: every
//! memory access has an address known from the initial state and lands in
//! the scratch page (or, on purpose, in a guard page beside it), RSP stays
//! in the scratch page, no instruction reads a flag an earlier one left
//! undefined, branches only go forward, and nothing depends on what the
//! host and ox86's CPU model legitimately do differently. It also says
//! which flags are undefined where a run stops, for the comparison.

use crate::layout::{GUARD_HI, GUARD_LO, PAGE, REGION_END, SCRATCH};
use crate::state::{Regs, RSP};
use iced_x86::{
    Code, FlowControl, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind, Register,
    RflagsBits,
};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Longest rep count a string instruction may run with.
const MAX_REP: u64 = 64;

/// The initial state the analysis reasons from.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    /// The registers.
    pub regs: &'a Regs,
    /// The scratch page.
    pub mem: &'a [u8],
    /// Also reject what reaches a known gap of ox86 (when generating; a
    /// fixed case is checked whatever it does).
    pub avoid_known_gaps: bool,
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
pub(crate) struct Track {
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
    pub(crate) fn gpr(&self, init: &Start, r: usize) -> Option<u64> {
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

/// The SHA extensions: Intel's SDM requires their 128-bit memory operand to
/// be aligned (exception type 4), the AMD host does not check.
fn is_sha(insn: &Instruction) -> bool {
    use Mnemonic::*;
    matches!(
        insn.mnemonic(),
        Sha1msg1 | Sha1msg2 | Sha1nexte | Sha1rnds4 | Sha256msg1 | Sha256msg2 | Sha256rnds2
    )
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
/// #GP under ox86; and one that unmasks overflow or underflow (below).
fn check_ldmxcsr(init: &Start, a: u64) -> Result<(), String> {
    let Some(off) = a.checked_sub(SCRATCH).filter(|o| o + 4 <= PAGE) else {
        return Ok(());
    };
    let o = off as usize;
    let v = u32::from_le_bytes(init.mem[o..o + 4].try_into().unwrap());
    if v & !0xffff != 0 && v & !host_mxcsr_mask() == 0 {
        return Err("an MXCSR value only the host accepts".into());
    }
    // Known gap: with overflow or underflow unmasked, the inexact flag that
    // goes with them follows rounding with an unbounded exponent, which ox86
    // (running the host instruction masked) does not reproduce.
    const OM_UM: u32 = 3 << 10;
    if init.avoid_known_gaps && v & OM_UM != OM_UM && v & !host_mxcsr_mask() == 0 {
        return Err("MXCSR with overflow or underflow unmasked".into());
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
        if is_sha(insn) && lo % 16 != 0 {
            return Err("misaligned SHA operand (vendors differ)".into());
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
pub(crate) fn walk(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::CODE;
    use crate::rng::Rng;
    use crate::state::Input;
    use iced_x86::code_asm::*;
    use iced_x86::{Decoder, DecoderOptions};

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
            avoid_known_gaps: false,
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
