//! Host system calls that a guest signal can always interrupt. A host
//! signal for the guest only queues it (see `crate::signal`); if one came
//! after the guest's `syscall` but before the host call blocked, the call
//! would sleep with the signal undelivered. So the call checks the queue in
//! a small assembly window just before its `syscall` instruction, and the
//! host signal handler moves a pc caught inside that window back to the
//! check: either the call never starts (and reports [`ERESTARTSYS`]) or the
//! signal interrupts it in the kernel (EINTR).

use std::arch::global_asm;
use std::sync::atomic::AtomicU64;

/// The call did not start because a guest signal was queued: deliver it,
/// then run the call again (the kernel's internal ERESTARTSYS number).
pub(crate) const ERESTARTSYS: i64 = -512;

// ox86_safe_syscall(pending: *const u64, blocked: u64, nr: u64, args: *const [u64; 6]) -> i64
// The window is [ox86_safe_syscall_start, ox86_safe_syscall_end): the
// pending check up to and including the `syscall` instruction. It reads
// only callee-saved registers (rbx, r12, r13), which a signal or a kernel
// restart of the call leaves intact, so it can rerun from its start.
global_asm!(
    ".text",
    ".globl ox86_safe_syscall",
    ".type ox86_safe_syscall, @function",
    ".p2align 4",
    "ox86_safe_syscall:",
    ".cfi_startproc",
    "push rbx",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbx, 0",
    "push r12",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r12, 0",
    "push r13",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r13, 0",
    "mov rbx, rdi",
    "mov r12, rsi",
    "not r12",
    "mov r13, rdx",
    "mov rax, rcx",
    "mov rdi, qword ptr [rax]",
    "mov rsi, qword ptr [rax + 8]",
    "mov rdx, qword ptr [rax + 16]",
    "mov r10, qword ptr [rax + 24]",
    "mov r8, qword ptr [rax + 32]",
    "mov r9, qword ptr [rax + 40]",
    ".globl ox86_safe_syscall_start",
    "ox86_safe_syscall_start:",
    "mov rax, qword ptr [rbx]",
    "and rax, r12",
    "jnz 2f",
    "mov rax, r13",
    "syscall",
    ".globl ox86_safe_syscall_end",
    "ox86_safe_syscall_end:",
    "1:",
    ".cfi_remember_state",
    "pop r13",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r13",
    "pop r12",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r12",
    "pop rbx",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore rbx",
    "ret",
    ".cfi_restore_state",
    "2:",
    "mov rax, -512",
    "jmp 1b",
    ".cfi_endproc",
    ".size ox86_safe_syscall, . - ox86_safe_syscall",
);

extern "C" {
    static ox86_safe_syscall_start: u8;
    static ox86_safe_syscall_end: u8;
    fn ox86_safe_syscall(pending: *const AtomicU64, blocked: u64, nr: u64, args: *const u64)
        -> i64;
}

/// Runs host call `nr` with arguments `a` unless a queued guest signal
/// outside `blocked` (the guest mask in force during the call) is waiting;
/// returns the kernel's result (-errno on error) or [`ERESTARTSYS`].
pub(crate) fn call(nr: u64, a: [u64; 6], blocked: u64) -> i64 {
    // SAFETY: a guest system call passed to the host: every pointer
    // argument is a guest pointer, which is a host pointer in user mode
    // (or points at ox86's own live data); the kernel validates it and
    // answers EFAULT for bad ones. The stub reads the pending word and
    // `a`, both valid for the call.
    unsafe { ox86_safe_syscall(crate::signal::pending_word(), blocked, nr, a.as_ptr()) }
}

/// Called by the host signal handler after it queued a guest signal: a pc
/// inside the window goes back to the pending check, so a call that has
/// not entered the kernel yet (or that the kernel is restarting) does not
/// start.
pub(crate) fn rewind_if_in_window(ctx: &mut libc::ucontext_t) {
    // SAFETY: only the addresses of the asm labels are taken.
    let (start, end) = unsafe {
        (
            &ox86_safe_syscall_start as *const u8 as i64,
            &ox86_safe_syscall_end as *const u8 as i64,
        )
    };
    let pc = &mut ctx.uc_mcontext.gregs[libc::REG_RIP as usize];
    if (start..end).contains(pc) {
        *pc = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn call_runs_when_nothing_is_queued() {
        let pid = call(libc::SYS_getpid as u64, [0; 6], !0);
        assert_eq!(pid, std::process::id() as i64);
    }

    #[test]
    fn queued_unblocked_signal_stops_the_call() {
        let pending = crate::signal::pending_word();
        // SIGWINCH: not raised anywhere in these tests.
        let bit = 1u64 << (libc::SIGWINCH - 1);
        pending.fetch_or(bit, Ordering::SeqCst);
        let stopped = call(libc::SYS_getpid as u64, [0; 6], 0);
        let blocked = call(libc::SYS_getpid as u64, [0; 6], bit);
        pending.fetch_and(!bit, Ordering::SeqCst);
        assert_eq!(stopped, ERESTARTSYS);
        assert_eq!(blocked, std::process::id() as i64);
    }

    #[test]
    fn only_a_pc_inside_the_window_goes_back_to_the_check() {
        // SAFETY: only the addresses of the asm labels are taken; a zeroed
        // ucontext_t is a valid plain-data value.
        let (start, end, mut ctx) = unsafe {
            (
                &ox86_safe_syscall_start as *const u8 as i64,
                &ox86_safe_syscall_end as *const u8 as i64,
                std::mem::zeroed::<libc::ucontext_t>(),
            )
        };
        let rip = libc::REG_RIP as usize;
        for (pc, want) in [
            (start - 1, start - 1),
            (start, start),
            (start + 3, start),
            (end - 2, start),
            (end, end),
        ] {
            ctx.uc_mcontext.gregs[rip] = pc;
            rewind_if_in_window(&mut ctx);
            assert_eq!(ctx.uc_mcontext.gregs[rip], want, "pc {pc:#x}");
        }
    }
}
