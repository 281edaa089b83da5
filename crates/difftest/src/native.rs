//! The native runner: a long-lived child process that runs each sequence
//! on the host CPU. It maps the code and scratch pages at the addresses
//! ox86 uses, loads the whole state with a small stub (FXRSTOR, POPFQ,
//! moves), jumps to the sequence, and either reaches the store stub at
//! `END` or takes a signal, whose handler saves the state at the fault and
//! resumes the child's loop. Requests and results go through a shared
//! mapping; one byte through a pipe each way says "ready".

use crate::layout::{CODE, END, GUARD_HI, GUARD_LO, PAGE, SCRATCH};
use crate::outcome::{Fault, FaultKind, Outcome};
use crate::state::{Input, Regs, FXSAVE_SIZE};
use iced_x86::code_asm::*;
use iced_x86::BlockEncoderOptions;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The child's context page: registers in and out, the host stack pointer,
/// the signal record and the FXSAVE images.
const CTX: u64 = 0x2fff_0000;
/// The child's loader stub page.
const STUB: u64 = 0x2ffe_0000;

/// Byte offsets in the context page.
mod ctx {
    pub const GPR: u64 = 0;
    pub const RFLAGS: u64 = 128;
    pub const HOST_RSP: u64 = 136;
    pub const SIGNO: u64 = 144;
    pub const SI_CODE: u64 = 152;
    pub const SI_ADDR: u64 = 160;
    pub const PC: u64 = 168;
    pub const ERR: u64 = 176;
    pub const ENTRY: u64 = 184;
    pub const GS_BASE: u64 = 192;
    pub const FX: u64 = 256;
    pub const HOST_FX: u64 = 768;
}

/// The request and result area shared with the child.
#[repr(C, align(16))]
struct Shared {
    code_len: u64,
    code: [u8; PAGE as usize],
    gpr: [u64; 16],
    rflags: u64,
    gs_base: u64,
    fx: [u8; FXSAVE_SIZE],
    mem: [u8; PAGE as usize],
    signo: u64,
    si_code: u64,
    si_addr: u64,
    pc: u64,
    err: u64,
}

/// The stubs, assembled in the parent (the child must not allocate).
struct Stubs {
    /// At `STUB`: the loader, then the recovery path at `recover`.
    stub: Vec<u8>,
    /// Offset of the recovery path in `stub`.
    recover: u64,
    /// At `END`: the store stub.
    store: Vec<u8>,
}

/// Whether user code may write the GS base (WRGSBASE enabled by the
/// kernel: AT_HWCAP2 bit 1); without it sequences use no GS prefix.
pub fn gs_base_writable() -> bool {
    // SAFETY: getauxval only reads the process's auxiliary vector.
    unsafe { libc::getauxval(libc::AT_HWCAP2) & 2 != 0 }
}

fn abs(off: u64) -> AsmMemoryOperand {
    qword_ptr((CTX + off) as usize)
}

fn stubs() -> Result<Stubs, IcedError> {
    let regs = [
        rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15,
    ];
    let saved = [rbx, rbp, r12, r13, r14, r15];
    let mut a = CodeAssembler::new(64)?;
    for r in saved {
        a.push(r)?;
    }
    a.mov(abs(ctx::HOST_RSP), rsp)?;
    a.fxrstor64(abs(ctx::FX))?;
    if gs_base_writable() {
        a.mov(rax, abs(ctx::GS_BASE))?;
        a.wrgsbase(rax)?;
    }
    a.mov(rsp, (CTX + ctx::RFLAGS) as i64)?;
    a.popfq()?;
    for (i, r) in regs.iter().enumerate() {
        if i != 4 {
            a.mov(*r, abs(ctx::GPR + 8 * i as u64))?;
        }
    }
    a.mov(rsp, abs(ctx::GPR + 32))?;
    a.jmp(abs(ctx::ENTRY))?;
    let mut recover = a.create_label();
    a.set_label(&mut recover)?;
    a.fxrstor64(abs(ctx::HOST_FX))?;
    for r in saved.iter().rev() {
        a.pop(*r)?;
    }
    a.ret()?;
    let r = a.assemble_options(STUB, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS)?;
    let recover = r.label_ip(&recover)? - STUB;
    let stub = r.inner.code_buffer;

    let mut s = CodeAssembler::new(64)?;
    for (i, r) in regs.iter().enumerate() {
        s.mov(abs(ctx::GPR + 8 * i as u64), *r)?;
    }
    s.mov(rsp, abs(ctx::HOST_RSP))?;
    s.pushfq()?;
    s.pop(abs(ctx::RFLAGS))?;
    s.fxsave64(abs(ctx::FX))?;
    s.fxrstor64(abs(ctx::HOST_FX))?;
    s.cld()?;
    s.mov(abs(ctx::SIGNO), 0)?;
    for r in saved.iter().rev() {
        s.pop(*r)?;
    }
    s.ret()?;
    let store = s.assemble(END)?;
    Ok(Stubs {
        stub,
        recover,
        store,
    })
}

/// SIGFPE codes for integer divide errors (Linux `asm-generic/siginfo.h`).
const FPE_INTDIV: i32 = 1;
const FPE_INTOVF: i32 = 2;

/// A handle on the child.
pub struct Native {
    pid: libc::pid_t,
    shared: *mut Shared,
    to_child: libc::c_int,
    from_child: libc::c_int,
    stubs: Stubs,
}

/// Where the child resumes after a signal.
static RECOVER: AtomicU64 = AtomicU64::new(0);

/// Maps `len` bytes at `addr` (replacing what is there) with `prot`.
///
/// # Safety
/// `addr` must not hold anything the caller still uses.
unsafe fn map_fixed(addr: u64, len: u64, prot: libc::c_int) {
    let p = libc::mmap(
        addr as *mut libc::c_void,
        len as usize,
        prot,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
        -1,
        0,
    );
    if p as u64 != addr {
        libc::_exit(101);
    }
}

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes valid siginfo and ucontext; the context
    // page is mapped for the child's whole life; only plain stores follow.
    unsafe {
        let uc = &mut *(uc as *mut libc::ucontext_t);
        let g = &mut uc.uc_mcontext.gregs;
        let pc = g[libc::REG_RIP as usize] as u64;
        if !(CODE..=END).contains(&pc) {
            // Not the sequence: an ox86-difftest bug; die of this signal.
            libc::signal(sig, libc::SIG_DFL);
            return;
        }
        let put = |off: u64, v: u64| *((CTX + off) as *mut u64) = v;
        put(ctx::SIGNO, sig as u64);
        put(ctx::SI_CODE, (*info).si_code as u64);
        put(ctx::SI_ADDR, (*info).si_addr() as u64);
        put(ctx::PC, pc);
        put(ctx::ERR, g[libc::REG_ERR as usize] as u64);
        for (i, r) in ox86_jit::GREGS.iter().enumerate() {
            put(ctx::GPR + 8 * i as u64, g[*r as usize] as u64);
        }
        put(ctx::RFLAGS, g[libc::REG_EFL as usize] as u64);
        std::ptr::copy_nonoverlapping(
            uc.uc_mcontext.fpregs as *const u8,
            (CTX + ctx::FX) as *mut u8,
            FXSAVE_SIZE,
        );
        g[libc::REG_RIP as usize] = RECOVER.load(Ordering::Relaxed) as i64;
        g[libc::REG_RSP as usize] = *((CTX + ctx::HOST_RSP) as *const u64) as i64;
        g[libc::REG_EFL as usize] = 0x202;
    }
}

/// The child's life: set up, then serve requests until the pipe closes.
///
/// # Safety
/// Runs in a freshly forked child only; never returns.
unsafe fn child(shared: *mut Shared, rd: libc::c_int, wr: libc::c_int, stubs: &Stubs) -> ! {
    let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    map_fixed(CTX, PAGE, libc::PROT_READ | libc::PROT_WRITE);
    map_fixed(STUB, PAGE, rwx);
    map_fixed(CODE, PAGE, rwx);
    map_fixed(END, PAGE, rwx);
    map_fixed(SCRATCH, PAGE, libc::PROT_READ | libc::PROT_WRITE);
    map_fixed(GUARD_LO, PAGE, libc::PROT_NONE);
    map_fixed(GUARD_HI, PAGE, libc::PROT_NONE);
    std::ptr::copy_nonoverlapping(stubs.stub.as_ptr(), STUB as *mut u8, stubs.stub.len());
    std::ptr::copy_nonoverlapping(stubs.store.as_ptr(), END as *mut u8, stubs.store.len());
    RECOVER.store(STUB + stubs.recover, Ordering::Relaxed);
    // The default FPU state the stubs restore after each run.
    let host_fx = (CTX + ctx::HOST_FX) as *mut u8;
    *(host_fx as *mut u16) = 0x37f;
    *(host_fx.add(24) as *mut u32) = 0x1f80;
    // The signal handler's own stack.
    let alt_size = 1 << 16;
    let alt = libc::mmap(
        std::ptr::null_mut(),
        alt_size,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    );
    let alt_stack = libc::stack_t {
        ss_sp: alt,
        ss_flags: 0,
        ss_size: alt_size,
    };
    libc::sigaltstack(&alt_stack, std::ptr::null_mut());
    for sig in [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGTRAP,
    ] {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
    let entry: extern "C" fn() = std::mem::transmute(STUB as usize);
    let mut byte = 0u8;
    loop {
        if libc::read(rd, &mut byte as *mut u8 as *mut libc::c_void, 1) != 1 {
            libc::_exit(0);
        }
        let s = &mut *shared;
        let len = s.code_len.min(PAGE) as usize;
        std::ptr::write_bytes(CODE as *mut u8, 0xcc, PAGE as usize);
        std::ptr::copy_nonoverlapping(s.code.as_ptr(), (END - len as u64) as *mut u8, len);
        std::ptr::copy_nonoverlapping(s.mem.as_ptr(), SCRATCH as *mut u8, PAGE as usize);
        let c = CTX as *mut u64;
        for i in 0..16 {
            *c.add(i) = s.gpr[i];
        }
        *((CTX + ctx::RFLAGS) as *mut u64) = s.rflags;
        *((CTX + ctx::GS_BASE) as *mut u64) = s.gs_base;
        *((CTX + ctx::ENTRY) as *mut u64) = END - len as u64;
        std::ptr::copy_nonoverlapping(s.fx.as_ptr(), (CTX + ctx::FX) as *mut u8, FXSAVE_SIZE);
        entry();
        for i in 0..16 {
            s.gpr[i] = *c.add(i);
        }
        let get = |off: u64| *((CTX + off) as *const u64);
        s.rflags = get(ctx::RFLAGS);
        s.signo = get(ctx::SIGNO);
        s.si_code = get(ctx::SI_CODE);
        s.si_addr = get(ctx::SI_ADDR);
        s.pc = get(ctx::PC);
        s.err = get(ctx::ERR);
        std::ptr::copy_nonoverlapping((CTX + ctx::FX) as *const u8, s.fx.as_mut_ptr(), FXSAVE_SIZE);
        std::ptr::copy_nonoverlapping(SCRATCH as *const u8, s.mem.as_mut_ptr(), PAGE as usize);
        if libc::write(wr, &byte as *const u8 as *const libc::c_void, 1) != 1 {
            libc::_exit(0);
        }
    }
}

impl Native {
    /// Starts the child.
    pub fn new() -> Result<Native, String> {
        let stubs = stubs().map_err(|e| format!("assembling the native stubs: {e}"))?;
        // SAFETY: a fresh shared anonymous mapping, checked below.
        let shared = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                std::mem::size_of::<Shared>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if shared == libc::MAP_FAILED {
            return Err("mmap for the native runner".into());
        }
        let mut n = Native {
            pid: 0,
            shared: shared as *mut Shared,
            to_child: -1,
            from_child: -1,
            stubs,
        };
        n.spawn()?;
        Ok(n)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let mut req = [0; 2];
        let mut resp = [0; 2];
        // SAFETY: plain pipe and fork calls; the child only runs `child`,
        // which uses no locks and allocates nothing.
        unsafe {
            if libc::pipe2(req.as_mut_ptr(), libc::O_CLOEXEC) != 0
                || libc::pipe2(resp.as_mut_ptr(), libc::O_CLOEXEC) != 0
            {
                return Err("pipe for the native runner".into());
            }
            let pid = libc::fork();
            if pid < 0 {
                return Err("fork for the native runner".into());
            }
            if pid == 0 {
                libc::close(req[1]);
                libc::close(resp[0]);
                child(self.shared, req[0], resp[1], &self.stubs);
            }
            libc::close(req[0]);
            libc::close(resp[1]);
            self.pid = pid;
            self.to_child = req[1];
            self.from_child = resp[0];
        }
        Ok(())
    }

    /// Stops the child (the one this handle started) and reaps it.
    fn stop(&mut self) {
        // SAFETY: closes this handle's pipe ends and ends its own child.
        unsafe {
            libc::close(self.to_child);
            libc::close(self.from_child);
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }

    /// Runs `code` (ending at `END`) natively from `input` and scratch
    /// contents `mem`. A child that dies or hangs is restarted and the run
    /// reported as an error.
    pub fn run(&mut self, code: &[u8], input: &Input, mem: &[u8]) -> Result<Outcome, String> {
        // SAFETY: the shared mapping outlives `self`; the child is waiting
        // for the request byte and does not touch it meanwhile.
        let s = unsafe { &mut *self.shared };
        s.code_len = code.len() as u64;
        s.code[..code.len()].copy_from_slice(code);
        s.gpr = input.regs.gpr;
        s.rflags = input.regs.rflags;
        s.gs_base = input.regs.gs_base;
        s.fx = input.regs.to_fxsave();
        s.mem.copy_from_slice(mem);
        if let Err(e) = self.exchange(Duration::from_secs(5)) {
            self.stop();
            self.spawn()?;
            return Err(e);
        }
        let mut regs = Regs {
            gpr: s.gpr,
            rflags: s.rflags,
            ..input.regs.clone()
        };
        regs.set_fxsave(&s.fx);
        let fault = (s.signo != 0).then(|| Fault {
            kind: match s.signo as i32 {
                libc::SIGSEGV if s.si_code as i32 == 0x80 => FaultKind::GeneralProtection,
                libc::SIGSEGV => FaultKind::PageFault {
                    addr: s.si_addr,
                    write: s.err & 2 != 0,
                },
                libc::SIGILL => FaultKind::InvalidOpcode,
                libc::SIGFPE if matches!(s.si_code as i32, FPE_INTDIV | FPE_INTOVF) => {
                    FaultKind::DivideError
                }
                libc::SIGFPE => FaultKind::FloatingPoint,
                libc::SIGTRAP => FaultKind::Breakpoint,
                sig => FaultKind::Other(format!("signal {sig} code {}", s.si_code as i32)),
            },
            pc: s.pc,
        });
        Ok(Outcome {
            regs,
            mem: s.mem.to_vec(),
            fault,
        })
    }

    /// Sends the request byte and waits for the answer.
    fn exchange(&mut self, timeout: Duration) -> Result<(), String> {
        let b = 1u8;
        // SAFETY: writes and reads one byte on this handle's pipes.
        unsafe {
            if libc::write(self.to_child, &b as *const u8 as *const libc::c_void, 1) != 1 {
                return Err("native runner: request pipe closed".into());
            }
            let mut p = libc::pollfd {
                fd: self.from_child,
                events: libc::POLLIN,
                revents: 0,
            };
            if libc::poll(&mut p, 1, timeout.as_millis() as i32) != 1 {
                return Err("native runner: no answer (hung)".into());
            }
            let mut r = 0u8;
            if libc::read(self.from_child, &mut r as *mut u8 as *mut libc::c_void, 1) != 1 {
                return Err("native runner: died".into());
            }
        }
        Ok(())
    }
}

impl Drop for Native {
    fn drop(&mut self) {
        self.stop();
        // SAFETY: unmaps the shared area made in `new`.
        unsafe {
            libc::munmap(
                self.shared as *mut libc::c_void,
                std::mem::size_of::<Shared>(),
            )
        };
    }
}
