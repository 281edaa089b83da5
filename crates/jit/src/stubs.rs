//! The shared code at the start of the code cache: the prologue that
//! enters generated code, the epilogue that returns to the exec loop, and
//! the exits every TB jumps to (indirect miss, exception, exit request,
//! MXCSR not the default, host fault), and the jump-table probe of a RET
//! the return-address stack did not predict (see `ras`).
//!
//! The pinned globals (`abi::PINNED`) live in their registers while
//! generated code runs: the prologue loads them. A TB leaves for the exec
//! loop in one of two states. Where it could have jumped to another TB
//! instead (a direct exit, a jump-table miss, an exit request), the
//! pinned globals are in their registers, and `ret` stores them to
//! `CpuState` on the way out. Where `CpuState` is already complete (an
//! exception raised by the TB or a helper; a host fault, after which
//! `Jit::run` rebuilds the state from the TB's fault sites), the way out
//! leaves `CpuState` alone.

use crate::abi::{
    env_disp, exit, BASE_TO_SAVED, ENV_BIAS, JMP_CACHE_DISP, PINNED, RAS_BASE_DISP, RAS_DEPTH,
    RAS_ENTRY, RAS_LIMIT_DISP, RIP_DISP,
};
use crate::cache::CodeCache;
use crate::error::JitError;
use crate::gen::Asm;
use crate::jmp_table::MASK_OFFSET;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// Host addresses of the shared stubs.
#[derive(Clone, Copy, Debug)]
pub struct Stubs {
    /// `extern "sysv64" fn(env, code) -> (rax, rdx)`: saves callee-saved
    /// registers, sets up `ENV_REG` and the return-address stack, jumps to
    /// `code`.
    pub enter: usize,
    /// Stores the pinned globals, drops the return-address stack, restores
    /// the callee-saved registers and returns RAX:RDX to the exec loop.
    pub ret: usize,
    /// Stores RAX to `CpuState.rip` and returns `exit::INDIRECT` (jump-table
    /// misses; empty table entries lead here too).
    pub miss: usize,
    /// Probes the jump table for RAX and jumps to the code found, or to
    /// `miss` (a guest RET whose target is not the return address the
    /// top entry of the return-address stack was pushed for; see `ras`).
    pub lookup: usize,
    /// Returns `exit::EXCEPTION`; `CpuState` is complete (the pinned
    /// globals included).
    pub exception: usize,
    /// Returns `exit::REQUEST` (pinned globals in their registers).
    pub request: usize,
    /// Returns `exit::MXCSR` (pinned globals in their registers).
    pub mxcsr: usize,
    /// Returns `exit::HOST_FAULT` (the fault handler resumes here with RDX
    /// = faulting host pc).
    pub fault: usize,
}

/// Assembles the stubs at the start of `cache` and seals them there.
pub(crate) fn install(cache: &mut CodeCache) -> Result<Stubs, JitError> {
    let base = cache.top_addr();
    let mut a = Asm::new(base);
    let enter = a.offset().0;
    let miss_label = a.new_dynamic_label();
    let underflow_label = a.new_dynamic_label();
    dynasm!(a ; .arch x64
        ; push rbp
        ; push rbx
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; lea rbp, [rdi + ENV_BIAS]
        ; mov r11, rsi
        // The return-address stack's sentinel entry (see `ras`): its
        // return point pushes it again and probes the jump table.
        ; sub rsp, 16
        ; lea rax, [=>underflow_label]
        ; push rax
        ; mov QWORD [rbp + RAS_BASE_DISP], rsp
        ; lea rax, [rsp - RAS_DEPTH * RAS_ENTRY]
        ; mov QWORD [rbp + RAS_LIMIT_DISP], rax
    );
    for (offset, r) in PINNED {
        dynasm!(a ; .arch x64 ; mov Rq(r), QWORD [rbp + env_disp(offset)]);
    }
    dynasm!(a ; .arch x64 ; jmp r11);
    let ret = a.offset().0;
    for (offset, r) in PINNED {
        dynasm!(a ; .arch x64 ; mov QWORD [rbp + env_disp(offset)], Rq(r));
    }
    // `CpuState` is complete: only the host stack is left to unwind.
    let ret_complete = a.offset().0;
    dynasm!(a ; .arch x64
        ; mov rsp, QWORD [rbp + RAS_BASE_DISP]
        ; add rsp, BASE_TO_SAVED
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
    let exit_stub = |a: &mut Asm, code: u64, to: usize| {
        let at = a.offset().0;
        dynasm!(a ; .arch x64 ; mov eax, code as i32);
        let rel = to as i64 - (a.offset().0 as i64 + 5);
        a.push(0xe9);
        a.push_i32(rel as i32);
        at
    };
    let miss = a.offset().0;
    dynasm!(a ; .arch x64 ; =>miss_label);
    dynasm!(a ; .arch x64 ; mov QWORD [rbp + RIP_DISP], rax);
    exit_stub(&mut a, exit::INDIRECT, ret);
    // The sentinel's return point (RSP 16 above `ras_base`).
    dynasm!(a ; .arch x64 ; =>underflow_label ; sub rsp, 16);
    let lookup = a.offset().0;
    dynasm!(a ; .arch x64
        ; mov rdx, QWORD [rbp + JMP_CACHE_DISP]
        ; mov rcx, rax
        ; shr rcx, 12
        ; xor rcx, rax
        ; and rcx, QWORD [BYTE rdx + MASK_OFFSET]
        ; cmp QWORD [rdx + rcx * 8], rax
        ; jne =>miss_label
        ; jmp QWORD [rdx + rcx * 8 + 8]
    );
    let exception = exit_stub(&mut a, exit::EXCEPTION, ret_complete);
    let request = exit_stub(&mut a, exit::REQUEST, ret);
    let mxcsr = exit_stub(&mut a, exit::MXCSR, ret);
    let fault = exit_stub(&mut a, exit::HOST_FAULT, ret_complete);
    a.commit().expect("stubs have no relocations");
    let at = cache.push(a.code())?;
    debug_assert_eq!(at, base);
    let stubs = Stubs {
        enter: base + enter,
        ret: base + ret,
        miss: base + miss,
        lookup: base + lookup,
        exception: base + exception,
        request: base + request,
        mxcsr: base + mxcsr,
        fault: base + fault,
    };
    cache.seal_fixed(stubs.fault);
    Ok(stubs)
}
