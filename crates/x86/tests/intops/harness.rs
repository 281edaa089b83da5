//! Runs a snippet of x86-64 code twice, natively on the host CPU and
//! translated by ox86 then executed by the IR interpreter, from the same
//! registers, flags and memory, and compares what they leave behind.

use iced_x86::code_asm::*;
use ox86_interp::{exec, InterpTb, TbExit};
use ox86_x86::cpu::eflags;
use ox86_x86::{helpers, translate_tb, CodeFetch, CpuState, TbFlags};
use std::fmt::Write;

/// GPR numbers in encoding order.
pub const RAX: usize = 0;
pub const RCX: usize = 1;
pub const RDX: usize = 2;
pub const RBX: usize = 3;
pub const RSP: usize = 4;
pub const RSI: usize = 6;
pub const RDI: usize = 7;

/// Register and memory state before or after a snippet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// RAX..R15 (RSP is not an input and is not compared).
    pub gpr: [u64; 16],
    /// RFLAGS; only the arithmetic flags and DF are inputs.
    pub rflags: u64,
    /// The data buffer that pointer registers point into.
    pub mem: Vec<u8>,
}

/// A snippet's input: registers, flags, memory, and which registers hold
/// offsets into `mem` (turned into addresses before running and back into
/// offsets after).
#[derive(Clone, Debug)]
pub struct Case {
    pub state: State,
    pub ptrs: Vec<usize>,
}

impl Case {
    /// Registers and flags only.
    pub fn regs(gpr: [u64; 16], rflags: u64) -> Case {
        Case {
            state: State {
                gpr,
                rflags,
                mem: Vec::new(),
            },
            ptrs: Vec::new(),
        }
    }
}

/// How the ox86 run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Reached the end of the snippet.
    Done,
    /// A guest exception (vector) at guest offset `rip - base`.
    Exception(u64, u64),
}

/// Guest pc at which ox86 runs snippets.
const BASE: u64 = 0x40_0000;

/// The user-settable flags a case may start with.
pub const INPUT_FLAGS: u64 = eflags::ARITH | eflags::DF;

/// Assembles `f`'s instructions.
pub fn asm(f: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    let mut a = CodeAssembler::new(64).expect("64-bit assembler");
    f(&mut a).expect("assembles");
    a.assemble(BASE).expect("encodes")
}

/// A host page with read, write and execute permission for the native run.
struct ExecPage {
    ptr: *mut u8,
    len: usize,
}

impl ExecPage {
    fn new(code: &[u8]) -> ExecPage {
        let len = code.len().div_ceil(4096) * 4096;
        // SAFETY: an anonymous private mapping; checked for failure below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap for native code");
        let ptr = ptr as *mut u8;
        // SAFETY: the mapping is `len` >= code.len() bytes and writable.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), ptr, code.len()) };
        ExecPage { ptr, len }
    }
}

impl Drop for ExecPage {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

/// Register block the native stub loads from and saves to.
#[repr(C)]
struct NativeRegs {
    gpr: [u64; 16],
    rflags: u64,
}

/// Wraps `code` in a stub: save callee-saved registers, load all GPRs
/// (but RSP) and RFLAGS from the block in RDI, run `code`, store them back.
fn native_stub(code: &[u8]) -> Vec<u8> {
    let regs = [
        rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15,
    ];
    let saved = [rbx, rbp, r12, r13, r14, r15];
    let prologue = asm(|a| {
        for r in saved {
            a.push(r)?;
        }
        a.push(rdi)?;
        a.push(qword_ptr(rdi + 128))?;
        a.popfq()?;
        for (i, r) in regs.iter().enumerate() {
            if i != RSP && i != RDI {
                a.mov(*r, qword_ptr(rdi + 8 * i as i32))?;
            }
        }
        a.mov(rdi, qword_ptr(rdi + 8 * RDI as i32))
    });
    let epilogue = asm(|a| {
        a.pushfq()?;
        a.push(rdi)?;
        a.mov(rdi, qword_ptr(rsp + 16))?;
        for (i, r) in regs.iter().enumerate() {
            if i != RSP && i != RDI {
                a.mov(qword_ptr(rdi + 8 * i as i32), *r)?;
            }
        }
        a.pop(rax)?;
        a.mov(qword_ptr(rdi + 8 * RDI as i32), rax)?;
        a.pop(rax)?;
        a.mov(qword_ptr(rdi + 128), rax)?;
        a.add(rsp, 8)?;
        a.cld()?;
        for r in saved.iter().rev() {
            a.pop(*r)?;
        }
        a.ret()
    });
    [prologue, code.to_vec(), epilogue].concat()
}

/// A copy of a case's memory in its own mapping below 2 GiB (page
/// aligned, so 32-bit address-size forms can reach it too); no mapping
/// for a case without memory.
struct Buf {
    ptr: *mut u8,
    map_len: usize,
    len: usize,
}

impl Buf {
    fn new(init: &[u8]) -> Buf {
        if init.is_empty() {
            return Buf {
                ptr: std::ptr::null_mut(),
                map_len: 0,
                len: 0,
            };
        }
        let map_len = init.len().div_ceil(4096) * 4096;
        // SAFETY: a fresh anonymous private mapping; checked for failure.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap for case memory");
        let ptr = ptr as *mut u8;
        // SAFETY: the mapping holds at least `init.len()` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(init.as_ptr(), ptr, init.len()) };
        Buf {
            ptr,
            map_len,
            len: init.len(),
        }
    }

    /// The buffer's address, for pointer registers.
    fn base(&mut self) -> u64 {
        self.ptr as u64
    }

    fn bytes(&self) -> Vec<u8> {
        if self.len == 0 {
            return Vec::new();
        }
        // SAFETY: `len` bytes from `ptr` are mapped and initialised.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }.to_vec()
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        if self.map_len != 0 {
            // SAFETY: unmaps exactly the mapping made in `new`.
            unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.map_len) };
        }
    }
}

/// Turns a case into concrete registers over a buffer at `base`.
fn place(case: &Case, base: u64) -> [u64; 16] {
    let mut gpr = case.state.gpr;
    for &r in &case.ptrs {
        gpr[r] = gpr[r].wrapping_add(base);
    }
    gpr
}

/// Turns pointer registers back into buffer offsets.
fn unplace(case: &Case, mut gpr: [u64; 16], base: u64) -> [u64; 16] {
    for &r in &case.ptrs {
        gpr[r] = gpr[r].wrapping_sub(base);
    }
    gpr[RSP] = 0;
    gpr
}

/// Runs `code` on the host CPU.
pub fn run_native(code: &[u8], case: &Case) -> State {
    let page = ExecPage::new(&native_stub(code));
    let mut mem = Buf::new(&case.state.mem);
    let base = mem.base();
    let mut regs = NativeRegs {
        gpr: place(case, base),
        rflags: (case.state.rflags & INPUT_FLAGS) | eflags::FIXED1,
    };
    // SAFETY: the page holds the stub built above, which follows the C ABI
    // (callee-saved registers and DF restored) and touches only the
    // register block and the memory the case's pointers reach.
    unsafe {
        let f: extern "C" fn(*mut NativeRegs) = std::mem::transmute(page.ptr);
        f(&mut regs);
    }
    State {
        gpr: unplace(case, regs.gpr, base),
        rflags: regs.rflags,
        mem: mem.bytes(),
    }
}

struct Fetch<'a>(&'a [u8]);

impl CodeFetch for Fetch<'_> {
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        let off = (addr - BASE) as usize;
        let src = self.0.get(off..).unwrap_or(&[]);
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        n
    }
}

/// Runs `code` under ox86 (translate, optimise, verify, interpret), TB
/// after TB, until it falls off the end or raises an exception.
pub fn run_ox86(code: &[u8], case: &Case) -> (State, End) {
    run_ox86_with(code, case, true)
}

/// As `run_ox86`, optionally without the optimiser.
pub fn run_ox86_with(code: &[u8], case: &Case, optimize: bool) -> (State, End) {
    let mut mem = Buf::new(&case.state.mem);
    let base = mem.base();
    let mut env = CpuState {
        regs: place(case, base),
        ..Default::default()
    };
    env.set_rflags((case.state.rflags & INPUT_FLAGS) | eflags::FIXED1);
    env.rip = BASE;
    let end = BASE + code.len() as u64;
    let mut locals = Vec::new();
    let how = loop {
        if env.rip == end {
            break End::Done;
        }
        let mut tb = translate_tb(env.rip, &mut Fetch(code), TbFlags::default());
        if let Err(e) = ox86_ir::verify(&tb.ir, &helpers::Names, helpers::count()) {
            panic!("IR does not verify: {e}");
        }
        if optimize {
            ox86_ir::opt::optimize(&mut tb.ir);
            if let Err(e) = ox86_ir::verify(&tb.ir, &helpers::Names, helpers::count()) {
                panic!("optimised IR does not verify: {e}");
            }
        }
        match exec(&InterpTb::new(tb.ir), &mut env, &mut locals) {
            TbExit::Direct(_) | TbExit::Indirect => {}
            // The fetch past the snippet's end faults there: that is its end.
            TbExit::Exception(_) if env.rip == end => break End::Done,
            TbExit::Exception(v) => break End::Exception(v, env.rip - BASE),
        }
    };
    let state = State {
        gpr: unplace(case, env.regs, base),
        rflags: env.rflags(),
        mem: mem.bytes(),
    };
    (state, how)
}

/// The disassembly of `code`, for failure messages.
pub fn disasm(code: &[u8]) -> String {
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
    let mut out = String::new();
    let mut f = IntelFormatter::new();
    for insn in Decoder::with_ip(64, code, BASE, DecoderOptions::NONE).iter() {
        f.format(&insn, &mut out);
        out.push_str("; ");
    }
    out
}

/// Runs `code` natively and under ox86 and asserts the same registers,
/// memory, and flags under `flag_mask` (the flags the SDM defines for it).
pub fn check(code: &[u8], case: &Case, flag_mask: u64) {
    let native = run_native(code, case);
    for optimize in [false, true] {
        let emu = run_ox86_with(code, case, optimize);
        compare(code, case, flag_mask, &native, emu, optimize);
    }
}

/// Asserts that one ox86 run matches the native one.
fn compare(
    code: &[u8],
    case: &Case,
    flag_mask: u64,
    native: &State,
    (emu, end): (State, End),
    optimized: bool,
) {
    let mut diff = String::new();
    if optimized {
        diff.push_str(" (optimised IR)");
    }
    if end != End::Done {
        let _ = write!(diff, " ended with {end:?};");
    }
    for i in 0..16 {
        if native.gpr[i] != emu.gpr[i] {
            let _ = write!(
                diff,
                " r{i}: native {:#x} ox86 {:#x};",
                native.gpr[i], emu.gpr[i]
            );
        }
    }
    let m = flag_mask | eflags::DF;
    if (native.rflags ^ emu.rflags) & m != 0 {
        let _ = write!(
            diff,
            " flags & {m:#x}: native {:#x} ox86 {:#x};",
            native.rflags & m,
            emu.rflags & m
        );
    }
    if native.mem != emu.mem {
        let _ = write!(
            diff,
            " memory: native {:x?} ox86 {:x?};",
            native.mem, emu.mem
        );
    }
    assert!(
        diff.is_empty() || diff == " (optimised IR)",
        "{} from {:x?} flags {:#x} mem {:x?}:{diff}",
        disasm(code),
        case.state.gpr,
        case.state.rflags,
        case.state.mem
    );
}

/// A small deterministic generator (xorshift64*), so failures repeat.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value biased toward edge cases: 0, 1, all ones, sign bits, small
    /// numbers, and fully random ones.
    pub fn value(&mut self) -> u64 {
        let r = self.next();
        match r % 8 {
            0 => [0, 1, u64::MAX, 0x80, 0x8000, 0x8000_0000, 1 << 63, 0x7f][(r >> 8) as usize % 8],
            1 => r >> 8 & 0xff,
            2 => (r >> 8) as i8 as i64 as u64,
            3 => 1u64 << ((r >> 8) % 64),
            _ => self.next(),
        }
    }

    /// Random GPRs (RSP zero) and arithmetic flags with DF clear.
    pub fn case(&mut self) -> Case {
        let mut gpr = [0u64; 16];
        for (i, g) in gpr.iter_mut().enumerate() {
            if i != RSP {
                *g = self.value();
            }
        }
        Case::regs(gpr, self.next() & eflags::ARITH)
    }
}

/// The r/m operand of a ModRM-encoded instruction.
#[derive(Clone, Copy, Debug)]
pub enum Rm {
    /// A register (number 0..16; for byte operands without REX, 4..8 are AH..BH).
    Reg(u8),
    /// `[base]`, base not RSP/RBP/R12/R13.
    Mem(u8),
}

/// Encodes `pre [66] [REX] opcode modrm imm` for an operand of `size`
/// bytes, with `reg` in ModRM.reg (a register or an opcode extension).
pub fn enc(size: u32, pre: &[u8], opcode: &[u8], reg: u8, rm: Rm, imm: &[u8]) -> Vec<u8> {
    let mut v = pre.to_vec();
    if size == 2 {
        v.push(0x66);
    }
    let (r, md) = match rm {
        Rm::Reg(r) => (r, 0b11),
        Rm::Mem(b) => (b, 0b00),
    };
    let rex = 0x40 | if size == 8 { 8 } else { 0 } | (reg >> 3) << 2 | (r >> 3);
    if rex != 0x40 {
        v.push(rex);
    }
    v.extend_from_slice(opcode);
    v.push(md << 6 | (reg & 7) << 3 | (r & 7));
    v.extend_from_slice(imm);
    v
}
