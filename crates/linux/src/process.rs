//! A guest process in user mode: its memory map, its signal state as
//! recorded from the guest, the CPU, and the loop that runs guest code and
//! serves its system calls and faults (QEMU's `cpu_loop`).

use crate::error::LinuxError;
use crate::loader::load_elf;
use crate::mm::GuestMemory;
use crate::stack::setup_stack;
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
    /// The command that re-runs ox86 with the same options (for execve).
    pub self_cmd: Vec<String>,
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
    /// Re-execution prefix for execve.
    pub self_cmd: Vec<String>,
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
}

impl Process {
    /// Loads `path` and prepares the CPU to start it with `args` and `envs`.
    pub fn load(
        engine: Engine,
        path: &str,
        args: &[String],
        envs: &[String],
        opts: &RunOptions,
    ) -> Result<(Process, CpuState), LinuxError> {
        let mut mem = GuestMemory::default();
        let image = load_elf(path, &mut mem)?;
        mem.init_brk(image.brk);
        let mut argv: Vec<String> = Vec::with_capacity(args.len() + 1);
        argv.push(opts.argv0.clone().unwrap_or_else(|| path.to_string()));
        argv.extend(args.iter().cloned());
        let hwcap = ox86_x86::helpers::misc::hwcap();
        let sp = setup_stack(&mut mem, &image, path, &argv, envs, hwcap)?;
        let exe_abs = std::fs::canonicalize(path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_string());
        let mut env = CpuState {
            rip: image.entry,
            ..Default::default()
        };
        env.regs[reg::RSP] = sp;
        let p = Process {
            mem,
            engine,
            exe_abs,
            strace: opts.strace,
            stats: opts.stats,
            self_cmd: opts.self_cmd.clone(),
            sigactions: [[0; 4]; 65],
            sigmask: 0,
            altstack: [0; 3],
            clear_child_tid: 0,
            robust_list: 0,
            reported_syscalls: HashSet::new(),
        };
        Ok((p, env))
    }

    /// Runs the guest until it exits; never returns.
    pub fn run(mut self, mut env: CpuState) -> ! {
        loop {
            match self.engine.run(&mut env) {
                Exit::Syscall => self.syscall(&mut env),
                Exit::Interrupted => {}
                Exit::Fault(f) => self.fatal_fault(&env, f),
            }
        }
    }

    /// Ends the process with `code`, as exit_group does.
    pub fn exit(&mut self, code: i32) -> ! {
        self.print_stats();
        std::process::exit(code & 0xff)
    }

    fn print_stats(&self) {
        if !self.stats {
            return;
        }
        let s = self.engine.stats();
        let hit = if s.jmp_cache_lookups > 0 {
            100.0 * s.jmp_cache_hits as f64 / s.jmp_cache_lookups as f64
        } else {
            0.0
        };
        eprintln!(
            "ox86 stats: TBs translated {}, guest instructions translated {}, translation time {:.3} ms, \
             TBs entered from the exec loop {}, chained exits {}, jump-cache hit rate {:.1}%, \
             code-cache bytes {}, code-cache flushes {}",
            s.tbs_translated,
            s.insns_translated,
            s.translate_ns as f64 / 1e6,
            s.tbs_executed,
            s.chained_exits,
            hit,
            s.code_bytes,
            s.cache_flushes
        );
    }

    /// A guest exception with no guest handler: the process dies with the
    /// signal Linux would send, so the exit status matches a native run.
    fn fatal_fault(&mut self, env: &CpuState, f: GuestFault) -> ! {
        let sig = match &f {
            GuestFault::InvalidOpcode => libc::SIGILL,
            GuestFault::Unimplemented(text) => {
                eprintln!(
                    "ox86: unimplemented instruction at {:#x}: {}",
                    env.rip,
                    text.trim()
                );
                libc::SIGILL
            }
            GuestFault::DivideError | GuestFault::FloatingPoint => libc::SIGFPE,
            GuestFault::Breakpoint => libc::SIGTRAP,
            GuestFault::GeneralProtection => libc::SIGSEGV,
            GuestFault::PageFault { bus: true, .. } => libc::SIGBUS,
            GuestFault::PageFault { .. } => libc::SIGSEGV,
        };
        self.print_stats();
        die_by_signal(sig)
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
