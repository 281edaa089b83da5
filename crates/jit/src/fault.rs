//! Host faults inside generated code: the SIGSEGV/SIGBUS handler asks
//! here whether the faulting pc is in a code cache; if so the fault becomes
//! a pending guest #PF and the TB leaves through the fault stub, which
//! returns the host pc to the exec loop for the guest pc lookup.

use crate::abi::{hreg, ENV_BIAS, ENV_REG};
use crate::cache::fault_stub_for;
use ox86_x86::cpu::excp;
use ox86_x86::CpuState;

/// Handles a host fault at the context's pc if it lies in generated code:
/// records the guest fault in `env.exception` and redirects the context to
/// the fault stub. Returns false (context untouched) otherwise.
/// Async-signal-safe.
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
        (*env).raise(excp::PF, addr, write);
        (*env).exception.bus = bus as u32;
    }
    gregs[libc::REG_RDX as usize] = pc as i64;
    gregs[libc::REG_RIP as usize] = stub as i64;
    true
}
