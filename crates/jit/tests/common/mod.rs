//! Shared by the JIT's integration tests: a host fault handler (JIT code
//! and interpreter stubs), a guard page, and small IR-building helpers.

#![allow(dead_code)]

use ox86_ir::{IrBlock, Temp};
use ox86_jit::{Jit, JitOptions};
use ox86_x86::cpu::glob;
use ox86_x86::{CpuState, GLOBALS};
use std::sync::Once;

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: kernel-provided handler arguments; only register slots change.
    unsafe {
        let ctx = &mut *(uc as *mut libc::ucontext_t);
        let addr = (*info).si_addr() as u64;
        if ox86_jit::handle_host_fault(ctx, addr, sig == libc::SIGBUS) {
            return;
        }
        let gregs = &mut ctx.uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as usize;
        let fixup = ox86_interp::guest_mem::fixup_for(pc)
            .or_else(|| ox86_x86::helpers::string::fixup_for(pc));
        if let Some(fixup) = fixup {
            let write = (gregs[libc::REG_ERR as usize] as u64 >> 1) & 1;
            let gp = (gregs[libc::REG_TRAPNO as usize] == 13) as u64;
            gregs[libc::REG_RAX as usize] = addr as i64;
            gregs[libc::REG_RDX as usize] = (1 | write << 1 | gp << 3) as i64;
            gregs[libc::REG_RIP as usize] = fixup as i64;
            return;
        }
        libc::signal(sig, libc::SIG_DFL);
    }
}

/// Installs the fault handler once per test process.
pub fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: plain sigaction setup.
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

/// A JIT with a small code cache.
pub fn jit() -> Jit {
    install_handler();
    Jit::new(JitOptions {
        cache_size: 1 << 20,
        ..JitOptions::default()
    })
    .expect("JIT starts")
}

/// A JIT with a small code cache that uses only baseline x86-64 (with
/// POPCNT), as on a host without BMI.
pub fn baseline_jit() -> Jit {
    install_handler();
    Jit::new(JitOptions {
        cache_size: 1 << 20,
        baseline: true,
        ..JitOptions::default()
    })
    .expect("JIT starts")
}

/// An empty IR block over the real globals.
pub fn block() -> IrBlock {
    IrBlock::new(&GLOBALS)
}

/// The temp of global `g`.
pub fn g(g: usize) -> Temp {
    Temp(g as u32)
}

/// `rip = target; goto_tb slot`.
pub fn goto(b: &mut IrBlock, target: u64, slot: u64) {
    b.movi_to(g(glob::RIP), target);
    b.goto_tb(slot);
}

/// A bitwise copy of a CPU state.
pub fn snapshot(env: &CpuState) -> CpuState {
    // SAFETY: CpuState is plain data with no drop glue.
    unsafe { std::ptr::read(env) }
}

/// An inaccessible page (for fault tests); never unmapped.
pub fn guard_page() -> u64 {
    // SAFETY: a fresh anonymous PROT_NONE mapping.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED);
    p as u64
}

/// A readable and writable page followed by an inaccessible one (for
/// accesses that cross into it or fault at its start); never unmapped
/// (other tests may run meanwhile). Returns the first page's address.
pub fn page_before_guard() -> u64 {
    // SAFETY: a fresh two-page mapping whose second page is made
    // inaccessible.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            8192,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        assert_eq!(
            libc::mprotect(p.cast::<u8>().add(4096).cast(), 4096, libc::PROT_NONE),
            0
        );
        p as u64
    }
}

/// A TB at `pc` that adds `n` to RAX and jumps to `next` through slot 0.
pub fn adder(pc: u64, n: u64, next: u64) -> IrBlock {
    let mut b = block();
    b.insn_start(pc);
    let c = b.movi(n);
    let s = b.add(g(ox86_x86::cpu::reg::RAX), c);
    b.mov_to(g(ox86_x86::cpu::reg::RAX), s);
    goto(&mut b, next, 0);
    b
}
