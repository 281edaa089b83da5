//! A guest process in user mode: its memory map, its signal state as
//! recorded from the guest, the CPU, and the loop that runs guest code and
//! serves its system calls and faults (QEMU's `cpu_loop`).

use crate::error::LinuxError;
use crate::loader::load_program;
use crate::mm::GuestMemory;
use crate::signal::FaultInfo;
use crate::stack::setup_stack;
use crate::sysroot::Sysroot;
use ox86_engine::{Engine, Exit, GuestFault};
use ox86_x86::cpu::reg;
use ox86_x86::CpuState;
use std::collections::HashSet;

/// What the command line asks of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Print one line per system call.
    pub strace: bool,
    /// Print engine statistics at exit.
    pub stats: bool,
    /// The `-L` prefix for absolute guest paths.
    pub sysroot: Sysroot,
    /// argv[0] for the guest, if not the program path.
    pub argv0: Option<String>,
}

/// One guest process.
pub struct Process {
    /// Guest memory bookkeeping.
    pub mem: GuestMemory,
    /// The engine running this process's code.
    pub engine: Engine,
    /// Absolute path of the guest program (`/proc/self/exe`).
    pub exe_abs: String,
    /// `--strace`.
    pub strace: bool,
    /// `--stats`.
    pub stats: bool,
    /// The `-L` prefix for absolute guest paths.
    pub sysroot: Sysroot,
    /// Guest dispositions: (handler, flags, restorer, mask) per signal.
    pub sigactions: [[u64; 4]; 65],
    /// Guest signal mask.
    pub sigmask: u64,
    /// Guest alternate signal stack: (sp, flags, size).
    pub altstack: [u64; 3],
    /// set_tid_address pointer.
    pub clear_child_tid: u64,
    /// set_robust_list head.
    pub robust_list: u64,
    /// Syscalls already reported as unimplemented.
    pub reported_syscalls: HashSet<u64>,
    /// The syscall that just returned -EINTR (for SA_RESTART).
    pub interrupted_syscall: Option<u64>,
    /// The mask to restore after an `rt_sigsuspend` wait.
    pub sigsuspend_saved: Option<u64>,
}

impl Process {
    /// Loads `path` and prepares the CPU to start it with `args` and `envs`.
    pub fn load(
        mut engine: Engine,
        path: &str,
        args: &[String],
        envs: &[String],
        opts: &RunOptions,
    ) -> Result<(Process, CpuState), LinuxError> {
        // Until the guest installs a handler of a fault's signal, nothing
        // sees the flags where its code faults (see `rt_sigaction`).
        engine.set_precise_faults(false);
        let mut mem = GuestMemory::default();
        let loaded = load_program(path, &opts.sysroot, &mut mem)?;
        let image = &loaded.program;
        mem.init_brk(image.brk, crate::loader::BRK_RESERVE, image.brk_reserved);
        let mut argv: Vec<String> = Vec::with_capacity(args.len() + 1);
        argv.push(opts.argv0.clone().unwrap_or_else(|| path.to_string()));
        argv.extend(args.iter().cloned());
        let hwcap = ox86_x86::helpers::misc::hwcap();
        let sp = setup_stack(&mut mem, &loaded, path, &argv, envs, hwcap)?;
        // Code runs from executable memory only, as with the CPU's
        // no-execute bit: the guest's mappings from here on come through
        // its system calls.
        engine.enforce_no_execute();
        for (start, end, prot) in mem.loaded.drain(..) {
            engine.set_guest_prot(start, end, prot);
        }
        let exe_abs = std::fs::canonicalize(path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_string());
        let mut env = CpuState {
            rip: loaded.start(),
            ..Default::default()
        };
        env.regs[reg::RSP] = sp;
        let p = Process {
            mem,
            engine,
            exe_abs,
            strace: opts.strace,
            stats: opts.stats,
            sysroot: opts.sysroot.clone(),
            sigactions: [[0; 4]; 65],
            sigmask: 0,
            altstack: [0; 3],
            clear_child_tid: 0,
            robust_list: 0,
            reported_syscalls: HashSet::new(),
            interrupted_syscall: None,
            sigsuspend_saved: None,
        };
        Ok((p, env))
    }

    /// Runs the guest until it exits; never returns.
    pub fn run(mut self, mut env: CpuState) -> ! {
        crate::signal::set_current_cpu(&env);
        ox86_x86::helpers::sse::clear_host_flags();
        loop {
            match self.engine.run(&mut env) {
                Exit::Syscall => self.syscall(&mut env),
                Exit::Interrupted => {}
                Exit::Fault(GuestFault::PageFault {
                    addr,
                    write: true,
                    bus: false,
                }) if self.engine.code_written(addr) => {}
                Exit::Fault(f) => {
                    let info = self.fault_info(&env, f);
                    self.deliver_fault(&mut env, info);
                }
            }
            self.deliver_pending(&mut env);
        }
    }

    /// Ends the process with `code`, as exit_group does.
    pub fn exit(&mut self, code: i32) -> ! {
        self.print_stats();
        std::process::exit(code & 0xff)
    }

    pub(crate) fn print_stats(&self) {
        if !self.stats {
            return;
        }
        let s = self.engine.stats();
        let hit = if s.jmp_cache_lookups > 0 {
            100.0 * s.jmp_cache_hits as f64 / s.jmp_cache_lookups as f64
        } else {
            0.0
        };
        let per_insn = if s.insns_translated > 0 {
            s.translate_ns as f64 / 1e3 / s.insns_translated as f64
        } else {
            0.0
        };
        eprintln!(
            "ox86 stats: TBs translated {}, TBs compiled {}, guest instructions translated {}, TB runs \
             interpreted before compiling {}, translation time {:.3} ms \
             ({:.2} us per guest instruction), TBs entered from the exec loop {}, chained exits {}, \
             jump-cache hit rate {:.1}%, jump-cache conflicts {}, code-cache bytes {}, \
             code-cache flushes {}",
            s.tbs_translated,
            s.tbs_compiled,
            s.insns_translated,
            s.tbs_interpreted,
            s.translate_ns as f64 / 1e6,
            per_insn,
            s.tbs_executed,
            s.chained_exits,
            hit,
            s.jmp_cache_conflicts,
            s.code_bytes,
            s.cache_flushes
        );
    }

    /// The signal Linux sends for a guest exception, with its siginfo.
    fn fault_info(&self, env: &CpuState, f: GuestFault) -> FaultInfo {
        const SI_KERNEL: i32 = 0x80;
        let (sig, code, addr) = match &f {
            GuestFault::InvalidOpcode => (libc::SIGILL, si_code::ILL_ILLOPN, env.rip),
            GuestFault::Unimplemented(text) => {
                eprintln!(
                    "ox86: unimplemented instruction at {:#x}: {}",
                    env.rip,
                    text.trim()
                );
                (libc::SIGILL, si_code::ILL_ILLOPN, env.rip)
            }
            GuestFault::DivideError => (libc::SIGFPE, si_code::FPE_INTDIV, env.rip),
            GuestFault::FloatingPoint => (libc::SIGFPE, fpe_code(env), env.rip),
            GuestFault::Breakpoint => (libc::SIGTRAP, SI_KERNEL, 0),
            GuestFault::GeneralProtection => (libc::SIGSEGV, SI_KERNEL, 0),
            GuestFault::PageFault {
                bus: true, addr, ..
            } => (libc::SIGBUS, libc::BUS_ADRERR, *addr),
            GuestFault::PageFault { addr, .. } => {
                let page = addr & !4095;
                let code = if self.mem.owns(page, page + 4096) {
                    si_code::SEGV_ACCERR
                } else {
                    si_code::SEGV_MAPERR
                };
                (libc::SIGSEGV, code, *addr)
            }
        };
        FaultInfo { sig, code, addr }
    }
}

/// si_code values (uapi/asm-generic/siginfo.h).
mod si_code {
    pub const ILL_ILLOPN: i32 = 2;
    pub const FPE_INTDIV: i32 = 1;
    pub const FPE_FLTDIV: i32 = 3;
    pub const FPE_FLTOVF: i32 = 4;
    pub const FPE_FLTUND: i32 = 5;
    pub const FPE_FLTRES: i32 = 6;
    pub const FPE_FLTINV: i32 = 7;
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
}

/// si_code of an x87 (#MF) or SSE (#XM) exception, chosen as Linux does
/// from the unmasked exception flags.
fn fpe_code(env: &CpuState) -> i32 {
    let x87 = env.fpu.fsw & !env.fpu.fcw & 0x3f;
    let err = if x87 != 0 {
        x87 as u32
    } else {
        env.mxcsr & !(env.mxcsr >> 7) & 0x3f
    };
    if err & 0x01 != 0 {
        si_code::FPE_FLTINV
    } else if err & 0x04 != 0 {
        si_code::FPE_FLTDIV
    } else if err & 0x08 != 0 {
        si_code::FPE_FLTOVF
    } else if err & 0x12 != 0 {
        si_code::FPE_FLTUND
    } else {
        si_code::FPE_FLTRES
    }
}

/// Terminates ox86 by `sig` with its default action (core dump or not, as
/// the host decides), like the kernel killing the guest.
pub fn die_by_signal(sig: i32) -> ! {
    // SAFETY: resetting a disposition, unblocking and raising a signal
    // are plain libc calls on the current process.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig)
}
