//! Host SIGSEGV/SIGBUS handling: a fault inside a guest memory access turns
//! into a value the backend returns (see `ox86_interp::guest_mem` and
//! `ox86_x86::helpers::string`) or, in
//! JIT code, into an exit with a pending guest fault (see
//! `ox86_jit::handle_host_fault`); any other host fault is an ox86 bug and
//! kills the process with that signal.

use std::sync::Once;

/// The trap number of a general-protection fault in a signal context.
const TRAP_GP: i64 = 13;

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid ucontext_t and siginfo_t to an
    // SA_SIGINFO handler; we only read and write register slots in them.
    unsafe {
        let ctx = &mut *(uc as *mut libc::ucontext_t);
        let pc = ctx.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
        let addr = (*info).si_addr() as u64;
        if ox86_jit::handle_host_fault(ctx, addr, sig == libc::SIGBUS) {
            return;
        }
        let gregs = &mut ctx.uc_mcontext.gregs;
        let fixup = ox86_interp::guest_mem::fixup_for(pc)
            .or_else(|| ox86_x86::helpers::string::fixup_for(pc));
        if let Some(fixup) = fixup {
            let write = (gregs[libc::REG_ERR as usize] as u64 >> 1) & 1;
            let bus = (sig == libc::SIGBUS) as u64;
            let gp = (gregs[libc::REG_TRAPNO as usize] == TRAP_GP) as u64;
            gregs[libc::REG_RAX as usize] = addr as i64;
            gregs[libc::REG_RDX as usize] = (1 | write << 1 | bus << 2 | gp << 3) as i64;
            gregs[libc::REG_RIP as usize] = fixup as i64;
            return;
        }
        // Not a guest access: restore the default action; returning re-runs
        // the faulting instruction, which now kills ox86 with this signal.
        libc::signal(sig, libc::SIG_DFL);
    }
}

/// Installs the fault handler (once per process).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: plain sigaction setup with a handler that is
            // async-signal-safe (it only edits the interrupted context).
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_fault as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
}
