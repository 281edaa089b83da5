//! Host faults inside generated code: the SIGSEGV/SIGBUS handler asks
//! here whether the faulting pc is in a code cache; if so the fault becomes
//! a pending guest #PF (#GP for the host's trap 13), the host general and
//! XMM registers are saved for `Jit::run` (which rebuilds the guest state
//! from the TB's fault sites), and the TB leaves through the fault stub
//! with the host pc.

use crate::abi::{hreg, ENV_BIAS, ENV_REG};
use crate::cache::fault_stub_for;
use ox86_x86::cpu::excp;
use ox86_x86::CpuState;
use std::cell::Cell;

/// The trap number of a general-protection fault in a signal context.
const TRAP_GP: i64 = 13;

thread_local! {
    /// Host registers (encoding order) at this thread's last fault in
    /// generated code.
    static FAULT_REGS: Cell<[u64; 16]> = const { Cell::new([0; 16]) };
    /// Host XMM registers (as two quadwords) at that fault.
    static FAULT_XMM: Cell<[[u64; 2]; 16]> = const { Cell::new([[0; 2]; 16]) };
}

/// `ucontext` register slots in x86 encoding order.
pub const GREGS: [libc::c_int; 16] = [
    libc::REG_RAX,
    libc::REG_RCX,
    libc::REG_RDX,
    libc::REG_RBX,
    libc::REG_RSP,
    libc::REG_RBP,
    libc::REG_RSI,
    libc::REG_RDI,
    libc::REG_R8,
    libc::REG_R9,
    libc::REG_R10,
    libc::REG_R11,
    libc::REG_R12,
    libc::REG_R13,
    libc::REG_R14,
    libc::REG_R15,
];

/// The registers saved at this thread's last fault in generated code.
pub(crate) fn fault_regs() -> [u64; 16] {
    FAULT_REGS.get()
}

/// The XMM registers saved at that fault.
pub(crate) fn fault_xmm() -> [[u64; 2]; 16] {
    FAULT_XMM.get()
}

/// Handles a host fault at the context's pc if it lies in generated code:
/// records the guest fault in `env.exception`, saves the registers and
/// redirects the context to the fault stub. Returns false (context
/// untouched) otherwise. Async-signal-safe (the thread-local is
/// const-initialised plain data).
///
/// # Safety
/// `ctx` must be the context the kernel passed to a SIGSEGV/SIGBUS
/// handler for a fault on the current thread.
pub unsafe fn handle_host_fault(ctx: &mut libc::ucontext_t, addr: u64, bus: bool) -> bool {
    const _: () = assert!(ENV_REG == hreg::RBP);
    let gregs = &mut ctx.uc_mcontext.gregs;
    let pc = gregs[libc::REG_RIP as usize] as usize;
    let Some(stub) = fault_stub_for(pc) else {
        return false;
    };
    let env = (gregs[libc::REG_RBP as usize] - ENV_BIAS as i64) as *mut CpuState;
    let write = (gregs[libc::REG_ERR as usize] as u64 >> 1) & 1 != 0;
    // SAFETY: in generated code ENV_REG always holds `env + ENV_BIAS` for
    // the CpuState the code runs on (see `stubs::install`).
    unsafe {
        if gregs[libc::REG_TRAPNO as usize] == TRAP_GP {
            // A misaligned `movdqa` (an aligned `ld_xmm`/`st_xmm`) or a
            // non-canonical address.
            (*env).raise(excp::GP, 0, false);
        } else {
            (*env).raise(excp::PF, addr, write);
            (*env).exception.bus = bus as u32;
        }
    }
    FAULT_REGS.set(GREGS.map(|r| gregs[r as usize] as u64));
    let fp = ctx.uc_mcontext.fpregs;
    if !fp.is_null() {
        // SAFETY: the kernel's signal frame holds the FPU state that
        // `fpregs` points to, valid for the handler's duration.
        let xmm = unsafe { &(*fp)._xmm };
        FAULT_XMM.set(std::array::from_fn(|i| {
            let e = xmm[i].element;
            [
                e[0] as u64 | (e[1] as u64) << 32,
                e[2] as u64 | (e[3] as u64) << 32,
            ]
        }));
    }
    gregs[libc::REG_RDX as usize] = pc as i64;
    gregs[libc::REG_RIP as usize] = stub as i64;
    true
}
