//! Guest signals in user mode: host signals aimed at guest handlers are
//! queued by a host handler and delivered at a TB boundary (the exec loop
//! leaves chained code through `exit_request`) or before a host system call
//! starts (see `syscall::safe_syscall`); synchronous guest faults
//! are delivered the same way. Delivery builds the kernel's x86-64
//! `rt_sigframe` (siginfo, ucontext with sigcontext and an FXSAVE-format
//! FPU image) on the guest stack; `rt_sigreturn` restores from it.

use crate::process::{die_by_signal, Process};
use crate::syscall::guest_read_bytes;
use ox86_x86::cpu::{reg, CpuState};
use ox86_x86::helpers::sse::fxsr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// Signals received by the host for the guest, not yet delivered (bit sig-1).
static PENDING: AtomicU64 = AtomicU64::new(0);
/// si_pid / si_uid / si_code of the last host instance of each signal.
static INFO: [AtomicU64; 65] = [const { AtomicU64::new(0) }; 65];
/// The running vCPU's `exit_request`.
static CURRENT_CPU: AtomicPtr<CpuState> = AtomicPtr::new(std::ptr::null_mut());

/// Flags of a guest `struct sigaction` (uapi/asm-generic/signal-defs.h).
pub mod sa {
    pub const SIGINFO: u64 = 4;
    pub const ONSTACK: u64 = 0x0800_0000;
    pub const RESTART: u64 = 0x1000_0000;
    pub const NODEFER: u64 = 0x4000_0000;
    pub const RESETHAND: u64 = 0x8000_0000;
}

/// GPRs in `struct sigcontext` order (r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp).
const SIGCONTEXT_GPRS: [usize; 16] = [
    reg::R8,
    reg::R9,
    reg::R10,
    reg::R11,
    12,
    13,
    14,
    15,
    reg::RDI,
    reg::RSI,
    reg::RBP,
    reg::RBX,
    reg::RDX,
    reg::RAX,
    reg::RCX,
    reg::RSP,
];

/// Byte sizes of the kernel structures in the frame.
const SIGINFO_SIZE: u64 = 128;
const UCONTEXT_SIZE: u64 = 304;
const FPSTATE_SIZE: u64 = fxsr::FXSAVE_SIZE as u64;
/// Offset of `uc_mcontext` in `struct ucontext`, and of `uc_sigmask`.
const UC_MCONTEXT: u64 = 40;
const UC_SIGMASK: u64 = UC_MCONTEXT + 256;

extern "C" fn on_host_signal(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel hands an SA_SIGINFO handler a valid siginfo_t.
    let (code, pid, uid) = unsafe { ((*info).si_code, (*info).si_pid(), (*info).si_uid()) };
    let packed = (code as u32 as u64) | ((pid as u32 as u64) << 32);
    INFO[sig as usize].store(packed, Ordering::Relaxed);
    INFO[0].store(uid as u64, Ordering::Relaxed);
    PENDING.fetch_or(1 << (sig - 1), Ordering::SeqCst);
    let cpu = CURRENT_CPU.load(Ordering::Acquire);
    if !cpu.is_null() {
        // SAFETY: points at the running CpuState, which lives as long as
        // the process runs guest code; `request_exit` only does atomic
        // operations.
        unsafe { (*cpu).request_exit() };
    }
    // SAFETY: the kernel hands an SA_SIGINFO handler a valid ucontext_t,
    // whose saved pc is only moved within the safe-syscall stub.
    crate::syscall::safe_syscall::rewind_if_in_window(unsafe {
        &mut *(uc as *mut libc::ucontext_t)
    });
}

/// The word of host signals queued for the guest and not yet delivered
/// (bit sig-1), which the safe-syscall stub reads.
pub(crate) fn pending_word() -> &'static AtomicU64 {
    &PENDING
}

/// Registers `env` as the CPU that host signals interrupt.
pub fn set_current_cpu(env: &CpuState) {
    CURRENT_CPU.store(env as *const CpuState as *mut CpuState, Ordering::Release);
}

/// Routes host signal `sig` to the guest's handler.
pub fn catch_on_host(sig: i32) {
    // SAFETY: installs an async-signal-safe handler (atomics only).
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_host_signal as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO;
        libc::sigfillset(&mut act.sa_mask);
        libc::sigaction(sig, &act, std::ptr::null_mut());
    }
}

/// What a guest synchronous fault reports in its siginfo.
#[derive(Clone, Copy, Debug)]
pub struct FaultInfo {
    /// Signal number.
    pub sig: i32,
    /// si_code.
    pub code: i32,
    /// si_addr.
    pub addr: u64,
}

/// Calls the kernel restarts after an SA_RESTART handler (those that
/// return -ERESTARTSYS); sigsuspend, pause, poll and sleeps never restart.
fn restartable(nr: u64) -> bool {
    matches!(
        nr,
        0 | 1
            | 2
            | 17
            | 18
            | 19
            | 20
            | 42
            | 43
            | 44
            | 45
            | 46
            | 47
            | 61
            | 72
            | 73
            | 202
            | 247
            | 257
            | 288
    )
}

/// Signals whose default action is to ignore them.
fn default_ignored(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGCHLD | libc::SIGURG | libc::SIGWINCH | libc::SIGCONT
    )
}

impl Process {
    /// Delivers queued host signals the guest does not block.
    pub fn deliver_pending(&mut self, env: &mut CpuState) {
        loop {
            let pend = PENDING.load(Ordering::SeqCst) & !self.sigmask;
            if pend == 0 {
                if let Some(old) = self.sigsuspend_saved.take() {
                    self.set_sigmask(old);
                }
                return;
            }
            let sig = pend.trailing_zeros() as i32 + 1;
            PENDING.fetch_and(!(1u64 << (sig - 1)), Ordering::SeqCst);
            let packed = INFO[sig as usize].load(Ordering::Relaxed);
            let mut info = [0u8; SIGINFO_SIZE as usize];
            info[0..4].copy_from_slice(&sig.to_le_bytes());
            info[8..12].copy_from_slice(&(packed as u32).to_le_bytes());
            info[16..20].copy_from_slice(&((packed >> 32) as u32).to_le_bytes());
            info[20..24].copy_from_slice(&(INFO[0].load(Ordering::Relaxed) as u32).to_le_bytes());
            self.deliver(env, sig, &info);
        }
    }

    /// Delivers a synchronous fault: to the guest's handler if it has one
    /// and does not block the signal, else the process dies of it.
    pub fn deliver_fault(&mut self, env: &mut CpuState, f: FaultInfo) {
        let handler = self.sigactions[f.sig as usize][0];
        let blocked = self.sigmask & (1 << (f.sig - 1)) != 0;
        if handler <= 1 || blocked {
            // SIG_IGN of a synchronous fault is not honoured by Linux either.
            self.print_stats();
            die_by_signal(f.sig);
        }
        let mut info = [0u8; SIGINFO_SIZE as usize];
        info[0..4].copy_from_slice(&f.sig.to_le_bytes());
        info[8..12].copy_from_slice(&f.code.to_le_bytes());
        info[16..24].copy_from_slice(&f.addr.to_le_bytes());
        self.deliver(env, f.sig, &info);
    }

    fn deliver(&mut self, env: &mut CpuState, sig: i32, info: &[u8]) {
        let [handler, flags, restorer, mask] = self.sigactions[sig as usize];
        if handler == 1 || (handler == 0 && default_ignored(sig)) {
            return;
        }
        if handler == 0 {
            self.print_stats();
            die_by_signal(sig);
        }
        // An interrupted syscall restarts after the handler with SA_RESTART.
        if let Some(nr) = self.interrupted_syscall.take() {
            if env.regs[reg::RAX] as i64 == -(libc::EINTR as i64)
                && flags & sa::RESTART != 0
                && restartable(nr)
            {
                env.regs[reg::RAX] = nr;
                env.rip -= 2;
            }
        }
        let rsp = env.regs[reg::RSP];
        let [ss_sp, _, ss_size] = self.altstack;
        let on_alt = ss_size != 0 && rsp > ss_sp && rsp <= ss_sp + ss_size;
        let mut sp = if flags & sa::ONSTACK != 0 && ss_size != 0 && !on_alt {
            ss_sp + ss_size
        } else {
            rsp - 128
        };
        sp = (sp - FPSTATE_SIZE) & !63;
        let fpstate = sp;
        let frame = ((sp - (8 + UCONTEXT_SIZE + SIGINFO_SIZE)) & !15) - 8;
        let uc = frame + 8;
        let siginfo = uc + UCONTEXT_SIZE;

        let mut ucb = vec![0u8; UCONTEXT_SIZE as usize];
        let put = |b: &mut [u8], off: u64, v: u64| {
            b[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes())
        };
        put(&mut ucb, 0, 2); // UC_SIGCONTEXT_SS
        put(&mut ucb, 16, ss_sp);
        put(
            &mut ucb,
            24,
            if ss_size == 0 {
                libc::SS_DISABLE as u64
            } else if on_alt {
                libc::SS_ONSTACK as u64
            } else {
                0
            },
        );
        put(&mut ucb, 32, ss_size);
        for (k, &r) in SIGCONTEXT_GPRS.iter().enumerate() {
            put(&mut ucb, UC_MCONTEXT + 8 * k as u64, env.regs[r]);
        }
        put(&mut ucb, UC_MCONTEXT + 128, env.rip);
        put(&mut ucb, UC_MCONTEXT + 136, env.rflags());
        put(&mut ucb, UC_MCONTEXT + 144, 0x33 | (0x2b << 48)); // cs, gs, fs, ss
        put(&mut ucb, UC_MCONTEXT + 184, fpstate);
        let saved_mask = self.sigsuspend_saved.take().unwrap_or(self.sigmask);
        put(&mut ucb, UC_SIGMASK, saved_mask);
        ox86_x86::helpers::sse::sync_mxcsr_flags(env);
        let ok = self.write_guest(fpstate, &fxsr::fxsave_image(env))
            && self.write_guest(uc, &ucb)
            && self.write_guest(siginfo, info)
            && self.write_guest(frame, &restorer.to_le_bytes());
        if !ok {
            // No room for the frame: Linux kills the process with SIGSEGV.
            self.print_stats();
            die_by_signal(libc::SIGSEGV);
        }
        env.regs[reg::RDI] = sig as u64;
        env.regs[reg::RSI] = siginfo;
        env.regs[reg::RDX] = uc;
        env.regs[reg::RAX] = 0;
        env.regs[reg::RSP] = frame;
        env.rip = handler;
        env.df = 1;
        // The handler starts with a clean FPU, as after FNINIT/LDMXCSR.
        env.fpu = CpuState::default().fpu;
        env.mxcsr = 0x1f80;
        ox86_x86::helpers::sse::clear_host_flags();
        let mut new_mask = self.sigmask | mask;
        if flags & sa::NODEFER == 0 {
            new_mask |= 1 << (sig - 1);
        }
        self.set_sigmask(new_mask);
        if flags & sa::RESETHAND != 0 {
            self.sigactions[sig as usize] = [0; 4];
            crate::syscall::apply_host_disposition(sig, 0);
        }
    }

    /// `rt_sigreturn`: restores the state saved by `deliver`; returns RAX.
    pub fn rt_sigreturn(&mut self, env: &mut CpuState) -> i64 {
        let uc = env.regs[reg::RSP];
        let mut ucb = vec![0u8; UCONTEXT_SIZE as usize];
        if !guest_read_bytes(uc, &mut ucb) {
            self.print_stats();
            die_by_signal(libc::SIGSEGV);
        }
        let get = |off: u64| {
            u64::from_le_bytes(
                ucb[off as usize..off as usize + 8]
                    .try_into()
                    .unwrap_or_default(),
            )
        };
        for (k, &r) in SIGCONTEXT_GPRS.iter().enumerate() {
            env.regs[r] = get(UC_MCONTEXT + 8 * k as u64);
        }
        env.rip = get(UC_MCONTEXT + 128);
        // User-writable RFLAGS bits only (the kernel's FIX_EFLAGS).
        let user = 0x0004_0dd5u64 | (1 << 21);
        let f = (env.rflags() & !user) | (get(UC_MCONTEXT + 136) & user);
        env.set_rflags(f);
        let fp = get(UC_MCONTEXT + 184);
        if fp != 0 {
            let mut img = [0u8; FPSTATE_SIZE as usize];
            if guest_read_bytes(fp, &mut img) {
                fxsr::fxrstor_image(env, &img);
                ox86_x86::helpers::sse::clear_host_flags();
            }
        }
        self.set_sigmask(get(UC_SIGMASK));
        env.regs[reg::RAX] as i64
    }

    /// Sets the guest signal mask (SIGKILL and SIGSTOP stay unblocked).
    pub fn set_sigmask(&mut self, mask: u64) {
        let unblockable = (1u64 << (libc::SIGKILL - 1)) | (1u64 << (libc::SIGSTOP - 1));
        self.sigmask = mask & !unblockable;
        crate::syscall::apply_host_mask(self.sigmask);
    }
}
