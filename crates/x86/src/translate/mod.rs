//! The front end: decodes guest bytes with iced-x86 and translates one TB
//! of x86 instructions into IR. Each instruction family has its own file;
//! `translate_tb` offers each instruction to the families in turn.

mod adx;
mod alu;
mod atomic;
mod bits;
mod bmi;
mod branch;
mod cache;
mod dispatch;
pub mod flags;
pub mod lookahead;
pub mod mode;
mod mov;
mod movbe;
mod muldiv;
pub mod operand;
mod privileged;
mod random;
pub mod region;
mod shift;
mod sse;
mod stack;
mod string;
mod system;
#[cfg(test)]
mod test_code;
mod x87;

use crate::cpu::{excp, glob, GLOBALS};
use crate::helpers::{self, HelperInfo};
use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind};
use ox86_ir::{IrBlock, Op, Opcode, Temp};

/// Bytes in a guest page; a TB never starts an instruction on a later page.
pub const PAGE_SIZE: u64 = 4096;

/// Most guest instructions in one TB.
pub const MAX_INSNS: usize = 512;

/// The longest x86 instruction, in bytes.
const MAX_INSN_LEN: usize = 15;

/// Guest code bytes fetched at once for decoding.
const WINDOW: usize = 64;

/// What a family did with an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Translated.
    Done,
    /// Not this family's instruction (or a form it does not implement).
    NotMine,
}

/// Reads guest code: fills as much of `buf` as is readable from `addr` and
/// returns the count (0 when `addr` itself is unmapped).
pub trait CodeFetch {
    /// Copies readable guest bytes at `addr` into `buf`.
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize;
}

pub use mode::Mode;

/// Per-TB translation settings.
#[derive(Clone, Copy, Debug)]
pub struct TbFlags {
    /// Stop after this many instructions (`--one-insn-per-tb` gives 1).
    pub max_insns: usize,
    /// The CPU mode to translate for.
    pub mode: Mode,
    /// Translate the loop the TB heads as one TB, if it heads one (see
    /// `region`).
    pub region: bool,
    /// Discard the lazy flags at direct exits whose targets overwrite
    /// them unread (see `lookahead`): what lets the optimiser drop their
    /// stores, so not worth its decoding for IR that is interpreted once
    /// as it is (the JIT's first tier).
    pub flag_lookahead: bool,
    /// A fault shows the guest the arithmetic flags (the lazy-flags state
    /// must then be exact at every instruction that may fault): false for
    /// a user-mode process without a handler of a fault's signal, whose
    /// faults only end it (see `lookahead`).
    pub flags_at_faults: bool,
    /// Where the TB's indirect CALL or JMP went when it was interpreted: a
    /// CALL through a register or memory, or a JMP through memory, goes
    /// straight there, through a chainable exit, while its operand holds
    /// that (`branch::guarded`), and looks its target up otherwise. Most
    /// such sites go to one place (a sort's comparison function, the
    /// methods of the one VFS sqlite uses); a JMP through a register is
    /// left out (an interpreter's dispatch, whose target changes).
    pub seen_target: Option<u64>,
}

impl Default for TbFlags {
    fn default() -> Self {
        TbFlags {
            max_insns: MAX_INSNS,
            mode: Mode::USER64,
            region: false,
            flag_lookahead: true,
            flags_at_faults: true,
            seen_target: None,
        }
    }
}

/// One translated TB: its IR and the guest range it covers.
#[derive(Debug)]
pub struct TranslatedTb {
    /// The IR.
    pub ir: IrBlock,
    /// Guest pc of the first instruction.
    pub pc: u64,
    /// Guest bytes covered.
    pub size: u64,
    /// Guest instructions translated.
    pub n_insns: usize,
    /// Guest code beyond its own the translation relies on (what the flag
    /// look-ahead decoded at exits whose flags it found dead): code
    /// invalidation there must drop the TB too.
    pub lookahead: Option<lookahead::Seen>,
}

/// The translation context handed to each family (QEMU's `DisasContext`).
pub struct Cx {
    /// The IR being built.
    pub b: IrBlock,
    /// The current instruction.
    pub insn: Instruction,
    /// Address of the current instruction.
    pub pc: u64,
    /// Address of the next instruction.
    pub next_pc: u64,
    /// The `cc_op` known at translation time, if any.
    pub cc_known: Option<u64>,
    /// Where `cc_op` is not known: CF as a 0/1 temp and the op count
    /// when it was set (`set_cf_keeping_zf`); see `known_cf`.
    pub cf_known: Option<(Temp, usize)>,
    /// The first operand of the SUB (CMP, NEG) whose flags the lazy state
    /// holds, and the op count when it was set (QEMU's `cc_srcT`), where
    /// it is a value that stays: conditions on it compare the operands
    /// rather than recover the first from the difference; see `sub_src1`.
    pub sub_src1: Option<(Temp, usize)>,
    /// Set when the current instruction ended the TB.
    pub ended: bool,
    /// The CPU mode.
    pub mode: Mode,
    /// Linear address of the TB's first page (system mode: direct jumps
    /// chain only within it).
    pub tb_page: u64,
    /// A loop region's blocks: direct jumps to them stay in the TB.
    pub region: Option<region::Region>,
    /// The current instruction is a conditional jump the TB goes on past
    /// (`goes_on_past`, and `branch`).
    pub goes_on: bool,
    /// The TB's first guest address.
    pub tb_pc: u64,
    /// What the fixed memory slot of the current JMP or CALL held as it was
    /// translated (`slot_target`).
    pub slot_target: Option<u64>,
    /// `TbFlags::seen_target` (not in a loop region).
    pub seen_target: Option<u64>,
    /// An x87 store an unmasked exception suppresses still checks that
    /// its destination is writable, as on the host
    /// (`host_vendor::x87_suppressed_store_checks_page`).
    pub x87_suppressed_store_checks_page: bool,
}

impl Cx {
    /// A context translating `insn` alone, at its own address, in user
    /// mode (the instruction families' unit tests).
    #[cfg(test)]
    pub fn for_test(insn: Instruction) -> Cx {
        Cx {
            b: IrBlock::new(&GLOBALS),
            insn,
            pc: insn.ip(),
            next_pc: insn.next_ip(),
            cc_known: None,
            cf_known: None,
            sub_src1: None,
            ended: false,
            mode: Mode::USER64,
            tb_page: 0,
            region: None,
            goes_on: false,
            tb_pc: insn.ip(),
            slot_target: None,
            seen_target: None,
            x87_suppressed_store_checks_page: false,
        }
    }

    /// The temp of IR global `g` (`glob::*` or a GPR number).
    pub fn g(&self, g: usize) -> Temp {
        Temp(g as u32)
    }

    /// Calls a helper.
    pub fn call(&mut self, h: &'static HelperInfo, args: &[Temp]) -> Temp {
        self.b.call(helpers::id_of(h), args)
    }

    /// Calls vector helper `h` on XMM `d` with source register `s` (an XMM
    /// number or `XMM_SRC`) and immediate `imm`: `h(d, xmm[s].lo, xmm[s].hi, imm)`.
    pub fn call_xmm(&mut self, h: &'static HelperInfo, d: usize, s: usize, imm: u64) {
        self.b.call_xmm(helpers::id_of(h), d as u64, s as u64, imm);
    }

    /// Calls a pure helper: one that only computes from its arguments (no
    /// guest state, no exceptions), so the optimiser may drop it.
    pub fn call_pure(&mut self, h: &'static HelperInfo, args: &[Temp]) -> Temp {
        self.b.call_pure(helpers::id_of(h), args)
    }

    /// Ends the TB with a direct jump to `target` through exit slot `slot`.
    /// In system mode a target on another page goes through the jump-cache
    /// lookup instead (the page's mapping may change under a chained jump).
    pub fn goto(&mut self, target: u64, slot: u64) {
        if let Some(r) = self.region.as_mut() {
            if let Some(k) = r.block(target) {
                let l = r.label(k, || self.b.label());
                if target <= self.pc && r.cyclic(k) {
                    self.leave_if_exit_requested(target, l);
                } else {
                    self.b.br(l);
                }
                self.ended = true;
                return;
            }
        }
        let rip = self.g(glob::RIP);
        self.b.movi_to(rip, target);
        let page = self.mode.cs_base.wrapping_add(target) & !(PAGE_SIZE - 1);
        if self.mode.system && page != self.tb_page {
            self.b.lookup_and_goto_ptr();
        } else {
            self.b.goto_tb(slot);
        }
        self.ended = true;
    }

    /// A loop region's jump back (to a lower or equal pc) to its block
    /// `l` at `target`, which is on a cycle avoiding the head (an inner
    /// loop, `Region::cyclic`): leaves for `target` instead if
    /// `CpuState::exit_request` is set. Every such cycle has a jump back,
    /// so it cannot keep a signal from the guest;
    /// the other cycles pass the head, whose jumps back are the TB's own
    /// back edges and tested there. The way out is a direct exit to
    /// `target`, a jump back too, which the JIT tests again before it
    /// follows the exit's chain (and at which the flag look-ahead sees
    /// what `target` does).
    fn leave_if_exit_requested(&mut self, target: u64, l: ox86_ir::Label) {
        const EXIT_REQUEST: usize = std::mem::offset_of!(crate::cpu::CpuState, exit_request);
        const {
            assert!(
                EXIT_REQUEST.is_multiple_of(8),
                "ld_env loads 8 aligned bytes"
            )
        };
        // The request (0 or 1) is the low byte of the word `ld_env` reads.
        let word = self.b.ld_env(EXIT_REQUEST);
        let mask = self.b.movi(0xff);
        // `brcond c, out; br l; out:`, which the JIT makes one jump to `l`.
        let out = self.b.label();
        self.b.brcond(ox86_ir::Cond::TstNe, word, mask, out);
        self.b.br(l);
        self.b.set_label(out);
        let rip = self.g(glob::RIP);
        self.b.movi_to(rip, target);
        self.b.goto_tb(1);
    }

    /// Ends the TB with an indirect jump to the address in `t`.
    pub fn goto_indirect(&mut self, t: Temp) {
        let rip = self.g(glob::RIP);
        self.b.mov_to(rip, t);
        self.b.lookup_and_goto_ptr();
        self.ended = true;
    }

    /// `goto` for a CALL whose return address is `ret`: in user mode the
    /// exit says so (`call_tb`), for the JIT's return-address prediction.
    pub fn goto_call(&mut self, target: u64, ret: u64) {
        let in_region = self
            .region
            .as_ref()
            .is_some_and(|r| r.block(target).is_some());
        if self.mode.system || in_region {
            return self.goto(target, 0);
        }
        let rip = self.g(glob::RIP);
        self.b.movi_to(rip, target);
        self.b.call_tb(0, ret);
        self.ended = true;
    }

    /// `goto_indirect` for a CALL whose return address is `ret`
    /// (`lookup_call` in user mode).
    pub fn goto_indirect_call(&mut self, t: Temp, ret: u64) {
        if self.mode.system {
            return self.goto_indirect(t);
        }
        let rip = self.g(glob::RIP);
        self.b.mov_to(rip, t);
        self.b.lookup_call(ret);
        self.ended = true;
    }

    /// `goto_indirect` for a RET (`lookup_ret` in user mode).
    pub fn goto_ret(&mut self, t: Temp) {
        if self.mode.system {
            return self.goto_indirect(t);
        }
        let rip = self.g(glob::RIP);
        self.b.mov_to(rip, t);
        self.b.lookup_ret();
        self.ended = true;
    }

    /// Ends the TB raising `excp` with rip at the current instruction.
    pub fn raise(&mut self, excp: u64) {
        let rip = self.g(glob::RIP);
        self.b.movi_to(rip, self.pc);
        self.b.raise(excp);
        self.ended = true;
    }

    /// Ends the TB raising `excp` with rip after the current instruction
    /// (traps such as `syscall` and `int3`).
    pub fn raise_after(&mut self, excp: u64) {
        let rip = self.g(glob::RIP);
        self.b.movi_to(rip, self.next_pc);
        self.b.raise(excp);
        self.ended = true;
    }
}

type Family = fn(&mut Cx) -> Outcome;

const FAMILIES: &[Family] = &[
    privileged::translate,
    mov::translate,
    alu::translate,
    branch::translate,
    stack::translate,
    shift::translate,
    muldiv::translate,
    bits::translate,
    bmi::translate,
    adx::translate,
    movbe::translate,
    string::translate,
    atomic::translate,
    system::translate,
    random::translate,
    cache::translate,
    sse::translate,
    x87::translate,
];

/// Translates one instruction into `cx.b`.
fn translate_insn(cx: &mut Cx) {
    if cx.mode.system {
        if let Some(e) = fpu_fault(&cx.insn, cx.mode.fpu) {
            return cx.raise(e);
        }
    }
    for family in FAMILIES {
        if family(cx) == Outcome::Done {
            return;
        }
    }
    cx.raise(excp::UNIMPLEMENTED);
}

/// Translates the TB starting at `pc` (a rip value: the linear address is
/// `flags.mode.cs_base` + `pc`; `code` is read at linear addresses).
pub fn translate_tb(pc: u64, code: &mut dyn CodeFetch, flags: TbFlags) -> TranslatedTb {
    translate_tb_into(IrBlock::new(&GLOBALS), pc, code, flags)
}

/// `translate_tb`, building the IR in `ir` (an earlier TB's block, whose
/// buffer is reused; its ops are dropped).
pub fn translate_tb_into(
    ir: IrBlock,
    pc: u64,
    code: &mut dyn CodeFetch,
    flags: TbFlags,
) -> TranslatedTb {
    let mode = flags.mode;
    let lin = |eip: u64| mode.cs_base.wrapping_add(eip);
    let page = lin(pc) & !(PAGE_SIZE - 1);
    let region = if flags.region && flags.max_insns > 1 {
        region::find(code, pc, page, &mode)
    } else {
        None
    };
    let in_region = region.is_some();
    let mut cx = Cx {
        b: ir,
        insn: Instruction::default(),
        pc,
        next_pc: pc,
        cc_known: None,
        cf_known: None,
        sub_src1: None,
        ended: false,
        mode,
        tb_page: page,
        region,
        goes_on: false,
        tb_pc: pc,
        slot_target: None,
        seen_target: flags.seen_target.filter(|_| !in_region),
        x87_suppressed_store_checks_page: crate::host_vendor::x87_suppressed_store_checks_page(),
    };
    // Cleared in place: the block's fields, just written, would be read
    // back whole by the move into `cx` (store forwarding fails there).
    cx.b.globals = &GLOBALS;
    cx.b.clear();
    let mut n_insns = 0;
    // The end of the code translated (a region's blocks may come in any
    // order).
    let mut end = pc;
    // A region block's first instruction, whose label is already set.
    let mut block_first = true;
    // Whether the TB went on into a dispatch block (`dispatch`).
    let mut dispatched = false;
    // Code is fetched a window at a time (within the page, but for an
    // instruction that crosses its end) and decoded from there.
    let mut buf = [0u8; WINDOW];
    'window: loop {
        let start = cx.next_pc;
        let room = (page + PAGE_SIZE).wrapping_sub(lin(start));
        let want = room.clamp(MAX_INSN_LEN as u64, WINDOW as u64) as usize;
        let fetched = code.fetch(lin(start), &mut buf[..want]);
        // Fewer bytes than asked for: the rest is not readable.
        let short = fetched < want;
        let mut dec =
            Decoder::with_ip(mode.code_bits, &buf[..fetched], start, DecoderOptions::NONE);
        loop {
            let here = cx.next_pc;
            let off = here.wrapping_sub(start);
            if off > fetched as u64 || (fetched as u64 - off < MAX_INSN_LEN as u64 && !short) {
                continue 'window;
            }
            if !std::mem::take(&mut block_first) && fall_into_block(&mut cx, here) {
                // Jumped to a block translated already.
                if next_block(&mut cx, n_insns < flags.max_insns) {
                    block_first = true;
                    continue 'window;
                }
                break 'window;
            }
            let avail = fetched - off as usize;
            dec.set_position(off as usize)
                .expect("position inside the window");
            dec.set_ip(here);
            // Into `cx` directly: an `Instruction` returned and then copied
            // is read back in 8-byte words just after its fields' stores.
            dec.decode_out(&mut cx.insn);
            cx.pc = here;
            cx.b.insn_start(here);
            n_insns += 1;
            if cx.insn.is_invalid() {
                // Bytes ran out inside the instruction: the fetch of the next
                // page faults (#PF at the first missing byte); otherwise #UD.
                if dec.last_error() == iced_x86::DecoderError::NoMoreBytes && avail < MAX_INSN_LEN {
                    let rip = cx.g(glob::RIP);
                    cx.b.movi_to(rip, here);
                    let addr = cx.b.movi(lin(here) + avail as u64);
                    let h = &crate::helpers::misc::RAISE_FETCH_FAULT;
                    cx.call(h, &[addr]);
                    cx.b.raise(excp::PF);
                    cx.ended = true;
                } else {
                    cx.raise(excp::UD);
                }
                end = end.max(here + 1);
            } else {
                cx.next_pc = (here + cx.insn.len() as u64) & mode.ip_mask();
                end = end.max(cx.next_pc);
                cx.goes_on = !in_region
                    && n_insns < flags.max_insns
                    && lin(cx.next_pc) & !(PAGE_SIZE - 1) == page
                    && goes_on_past(&cx.insn, &mut dec);
                cx.slot_target = slot_target(&cx.insn, code, &mode).filter(|_| !in_region);
                let target = forward_jump(&cx.insn, page, mode.cs_base).or_else(|| {
                    let dispatch = (!dispatched && !in_region)
                        .then(|| dispatch::target(&cx.insn, code, &mode, page))
                        .flatten();
                    dispatched |= dispatch.is_some();
                    dispatch
                });
                match target.filter(|_| !in_region) {
                    // The TB goes on at the target: the jump itself is no code.
                    Some(target) => cx.next_pc = target,
                    None => translate_insn(&mut cx),
                }
                if !cx.ended
                    && (n_insns >= flags.max_insns || (lin(cx.next_pc) & !(PAGE_SIZE - 1)) != page)
                {
                    let next = cx.next_pc;
                    cx.goto(next, 0);
                }
            }
            if cx.ended {
                if next_block(&mut cx, n_insns < flags.max_insns) {
                    block_first = true;
                    continue 'window;
                }
                break 'window;
            }
        }
    }
    // Blocks branched to but not translated (out of instructions): exits.
    if let Some(mut r) = cx.region.take() {
        while let Some(k) = r.queue.pop() {
            if !r.translated(k) {
                let (to, l) = r.start(k);
                cx.b.set_label(l);
                cx.goto(to, 0);
            }
        }
    }
    let lookahead = if flags.flag_lookahead {
        discard_dead_flags(&mut cx.b, code, page, &mode, flags.flags_at_faults)
    } else {
        None
    };
    TranslatedTb {
        size: end.wrapping_sub(pc).max(1),
        ir: cx.b,
        pc,
        n_insns,
        lookahead,
    }
}

/// The fault an x87, MMX or SSE instruction raises under the CPU's
/// CR0.EM/TS/MP and CR4.OSFXSR (`mode::fpu` bits), if any (SDM vol. 3A,
/// 2.5 and 13.1): #NM for a task switch or x87 emulation, #UD for
/// MMX/SSE under emulation or SSE without OSFXSR.
fn fpu_fault(insn: &Instruction, f: u8) -> Option<u64> {
    use iced_x86::CpuidFeature as F;
    use mode::fpu;
    let m = insn.mnemonic();
    if m == Mnemonic::Wait {
        return (f & fpu::TS != 0 && f & fpu::MP != 0).then_some(excp::NM);
    }
    // Fences, prefetches and the like touch no FPU state.
    if matches!(
        m,
        Mnemonic::Sfence
            | Mnemonic::Lfence
            | Mnemonic::Mfence
            | Mnemonic::Pause
            | Mnemonic::Clflush
            | Mnemonic::Movnti
            | Mnemonic::Prefetchnta
            | Mnemonic::Prefetcht0
            | Mnemonic::Prefetcht1
            | Mnemonic::Prefetcht2
    ) {
        return None;
    }
    let feats = insn.cpuid_features();
    let has = |list: &[F]| feats.iter().any(|x| list.contains(x));
    if has(&[
        F::FPU,
        F::FPU287,
        F::FPU287XL_ONLY,
        F::FPU387,
        F::FPU387SL_ONLY,
    ]) {
        return (f & (fpu::EM | fpu::TS) != 0).then_some(excp::NM);
    }
    if has(&[F::FXSR]) {
        return (f & (fpu::EM | fpu::TS) != 0).then_some(excp::NM);
    }
    let sse = has(&[
        F::SSE,
        F::SSE2,
        F::SSE3,
        F::SSSE3,
        F::SSE4_1,
        F::SSE4_2,
        F::SSE4A,
        F::AES,
        F::PCLMULQDQ,
        F::SHA,
    ]);
    if sse || has(&[F::MMX]) {
        if f & fpu::EM != 0 || (sse && f & fpu::OSFXSR == 0) {
            return Some(excp::UD);
        }
        return (f & fpu::TS != 0).then_some(excp::NM);
    }
    None
}

/// The target of a direct unconditional `jmp` forward on the TB's page
/// (linear, with CS base `cs_base`), where translation continues (the TB
/// still covers one contiguous range of its page, `[pc, end)`, for
/// invalidation).
fn forward_jump(insn: &Instruction, page: u64, cs_base: u64) -> Option<u64> {
    let direct = matches!(
        insn.op0_kind(),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    );
    let target = insn.near_branch_target();
    (insn.mnemonic() == Mnemonic::Jmp
        && direct
        && target >= insn.next_ip()
        && cs_base.wrapping_add(target) & !(PAGE_SIZE - 1) == page)
        .then_some(target)
}

/// Most plain instructions between a conditional jump and the indirect
/// jump that lets the TB go on past it.
const TAIL_INSNS: usize = 6;

/// Whether the TB goes on past conditional jump `insn`, as a side exit,
/// into the instructions `dec` decodes next: when another conditional
/// jump follows (it reads the same flags, computed in the TB), or a few
/// plain instructions and an indirect jump (a bounds check before a jump
/// table, as in an interpreter's dispatch), which would otherwise be a
/// TB of its own that every pass through enters and leaves.
fn goes_on_past(insn: &Instruction, dec: &mut Decoder) -> bool {
    if !is_jcc(insn) {
        return false;
    }
    for k in 0..TAIL_INSNS {
        if !dec.can_decode() {
            return false;
        }
        let next = dec.decode();
        if next.is_invalid() {
            return false;
        }
        if k == 0 && is_jcc(&next) {
            return true;
        }
        match next.flow_control() {
            iced_x86::FlowControl::IndirectBranch => return true,
            iced_x86::FlowControl::Next => {}
            _ => return false,
        }
    }
    false
}

/// The target a JMP or CALL through a fixed 64-bit memory slot (`[rip +
/// disp]` or `[disp]`: a GOT entry, what a PLT stub or a `-fno-plt` call
/// jumps through) finds there as it is translated, in user mode. The TB
/// then jumps straight there, through a chainable exit, while the slot
/// holds that target, and looks its target up otherwise
/// (`branch::guarded`): the slot is read where the jump runs, so it may
/// change at any time. None for a GOT entry not bound yet, which lazy
/// binding rewrites at the first call: it leads to the `push` of the
/// entry's relocation index (`push imm32`, after an `endbr64` in an
/// IBT-enabled PLT), which no function starts with.
fn slot_target(insn: &Instruction, code: &mut dyn CodeFetch, mode: &Mode) -> Option<u64> {
    use iced_x86::{MemorySize, Register};
    const PUSH_IMM32: u8 = 0x68;
    const ENDBR64: [u8; 4] = [0xf3, 0x0f, 0x1e, 0xfa];
    if mode.system
        || mode.code_bits != 64
        || !matches!(insn.mnemonic(), Mnemonic::Jmp | Mnemonic::Call)
        || insn.op0_kind() != OpKind::Memory
        || insn.memory_size() != MemorySize::QwordOffset
        || !matches!(insn.memory_base(), Register::RIP | Register::None)
        || insn.memory_index() != Register::None
        || matches!(insn.memory_segment(), Register::FS | Register::GS)
    {
        return None;
    }
    let mut slot = [0u8; 8];
    if code.fetch(insn.memory_displacement64(), &mut slot) != slot.len() {
        return None;
    }
    let seen = u64::from_le_bytes(slot);
    let mut head = [0u8; 5];
    let n = code.fetch(seen, &mut head);
    let unbound = (n >= 1 && head[0] == PUSH_IMM32)
        || (n == head.len() && head[..4] == ENDBR64 && head[4] == PUSH_IMM32);
    (!unbound).then_some(seen)
}

/// True if `insn` is a conditional jump on the flags (Jcc rel).
fn is_jcc(insn: &Instruction) -> bool {
    insn.flow_control() == iced_x86::FlowControl::ConditionalBranch
        && insn.condition_code() != iced_x86::ConditionCode::None
        && matches!(
            insn.op0_kind(),
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
        )
}

/// In a loop region, at `pc` inside a block: a block start falls through
/// to its label (set here if it is not translated yet, else jumped to,
/// which ends the block: returns true).
fn fall_into_block(cx: &mut Cx, pc: u64) -> bool {
    let Some(r) = cx.region.as_mut() else {
        return false;
    };
    let Some(k) = r.block(pc) else {
        return false;
    };
    if r.translated(k) {
        cx.goto(pc, 0);
        return true;
    }
    let l = r.label(k, || cx.b.label());
    r.start(k);
    cx.b.set_label(l);
    cx.cc_known = None;
    false
}

/// In a loop region, after a block ended: starts the next block waiting
/// for translation (if `room` for more instructions), with its label
/// set. Returns false if there is none.
fn next_block(cx: &mut Cx, room: bool) -> bool {
    let Some(r) = cx.region.as_mut() else {
        return false;
    };
    if !room {
        return false;
    }
    while let Some(k) = r.queue.first().copied() {
        r.queue.remove(0);
        if r.translated(k) {
            continue;
        }
        let (pc, l) = r.start(k);
        cx.b.set_label(l);
        cx.cc_known = None;
        cx.ended = false;
        cx.next_pc = pc;
        return true;
    }
    false
}

/// Before each direct exit whose target overwrites the flags unread (see
/// `lookahead`), discards the lazy-flags globals so that their stores die.
/// Returns the code looked at for those exits.
fn discard_dead_flags(
    b: &mut IrBlock,
    code: &mut dyn CodeFetch,
    page: u64,
    mode: &Mode,
    flags_at_faults: bool,
) -> Option<lookahead::Seen> {
    let rip = Temp(glob::RIP as u32);
    let mut exits = Vec::new();
    let mut seen: Option<lookahead::Seen> = None;
    for (i, w) in b.ops.windows(2).enumerate() {
        let sets_rip = w[0].opc == Opcode::Movi && w[0].outs[0] == rip;
        if !sets_rip || !matches!(w[1].opc, Opcode::GotoTb | Opcode::CallTb) {
            continue;
        }
        if let Some(s) = lookahead::flags_dead_at(code, w[0].consts[0], page, mode, flags_at_faults)
        {
            exits.push(i);
            seen = Some(seen.map_or(s, |t| t.union(s)));
        }
    }
    if exits.is_empty() {
        return None;
    }
    // Make room, then move ops up from the end, inserting the discards
    // before each chosen exit.
    const FLAGS: [usize; 4] = [glob::CC_OP, glob::CC_DST, glob::CC_SRC, glob::CC_SRC2];
    let old_len = b.ops.len();
    let mut discard = Op::new(Opcode::Discard);
    b.ops.resize(old_len + FLAGS.len() * exits.len(), discard);
    let mut w = b.ops.len();
    let mut r = old_len;
    for &e in exits.iter().rev() {
        while r > e {
            r -= 1;
            w -= 1;
            b.ops[w] = b.ops[r];
        }
        for &g in FLAGS.iter().rev() {
            w -= 1;
            discard.outs[0] = Temp(g as u32);
            b.ops[w] = discard;
        }
    }
    seen
}

/// The mnemonic of the current instruction (for families' matches).
pub fn mnemonic(cx: &Cx) -> Mnemonic {
    cx.insn.mnemonic()
}
