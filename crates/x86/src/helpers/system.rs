//! System-mode helpers: the privileged instructions and those that change
//! CS, as calls from IR into `crate::system`. A failing check raises the
//! fault with its error code; the translator ends the TB after anything
//! that changes the TB key.

use super::HelperInfo;
use crate::cpu::{eflags, excp, CpuState};
use crate::system::access::{self, with_mmu, Fault};
use crate::system::regs::{cr0, cr4, sreg};
use crate::system::{control, far, interrupt, segment};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[
    &IN,
    &OUT,
    &CLI,
    &STI,
    &POPF,
    &MOV_TO_CR,
    &MOV_FROM_CR,
    &LMSW,
    &INVLPG,
    &LOAD_DESC_TABLE,
    &STORE_DESC_TABLE,
    &LLDT,
    &LTR,
    &LOAD_SEG,
    &FAR_JMP,
    &FAR_CALL,
    &FAR_RET,
    &IRET,
    &SYSCALL,
    &SYSRET,
    &SYSENTER,
    &SYSEXIT,
    &RDMSR,
    &WRMSR,
    &RDTSC,
];

/// Runs `f`, raising its fault if it has one; returns its value or 0.
fn check<T: Default>(env: &mut CpuState, r: Result<T, Fault>) -> T {
    r.unwrap_or_else(|f| {
        f.raise(env);
        T::default()
    })
}

macro_rules! helper {
    ($(#[doc = $doc:literal])* $name:ident = $text:literal, |$env:ident, $a:ident, $b:ident, $c:ident| $body:expr) => {
        $(#[doc = $doc])*
        pub static $name: HelperInfo = HelperInfo {
            name: $text,
            func: {
                #[allow(unused_variables)]
                extern "C" fn f($env: &mut CpuState, $a: u64, $b: u64, $c: u64, _: u64, _: u64) -> u64 {
                    $body
                }
                f
            },
        };
    };
}

helper!(
    /// `sys_in(port, size)` -> the value read (I/O permission checked).
    IN = "sys_in",
    |env, port, size, _u| {
        let r = control::check_io(env, port as u16, size as u32);
        if check(env, r.map(|_| true)) {
            with_mmu(env, |_, m| m.bus.io_read(port as u16, size as u32)) as u64
        } else {
            0
        }
    }
);

helper!(
    /// `sys_out(port, size, value)` (I/O permission checked).
    OUT = "sys_out",
    |env, port, size, value| {
        let r = control::check_io(env, port as u16, size as u32);
        if check(env, r.map(|_| true)) {
            with_mmu(env, |_, m| {
                m.bus.io_write(port as u16, size as u32, value as u32);
                m.sync_a20();
            });
        }
        0
    }
);

/// #GP(0) unless CPL <= IOPL (or real mode).
fn iopl_ok(env: &mut CpuState) -> bool {
    if control::io_allowed_by_iopl(env) {
        return true;
    }
    Fault::gp(0).raise(env);
    false
}

helper!(
    /// `sys_cli()`: clears IF (IOPL checked).
    CLI = "sys_cli",
    |env, _a, _b, _c| {
        if iopl_ok(env) {
            env.eflags &= !eflags::IF;
        }
        0
    }
);

helper!(
    /// `sys_sti()`: sets IF (IOPL checked); if it was clear, interrupts
    /// wait one more instruction.
    STI = "sys_sti",
    |env, _a, _b, _c| {
        if iopl_ok(env) {
            if env.eflags & eflags::IF == 0 {
                env.sys.inhibit_irq = 1;
            }
            env.eflags |= eflags::IF;
        }
        0
    }
);

helper!(
    /// `sys_popf(value, size)`: loads RFLAGS with the privilege rules.
    POPF = "sys_popf",
    |env, v, size, _c| {
        let cpl = env.sys.cpl;
        let f = interrupt::popped_flags(env, v, size as u32, cpl);
        env.set_rflags(f);
        0
    }
);

helper!(
    /// `sys_mov_to_cr(n, value)`.
    MOV_TO_CR = "sys_mov_to_cr",
    |env, n, v, _c| {
        let r = control::write_cr(env, n as u32, v);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_mov_from_cr(n)` -> CRn.
    MOV_FROM_CR = "sys_mov_from_cr",
    |env, n, _b, _c| {
        let r = control::read_cr(env, n as u32);
        check(env, r)
    }
);

helper!(
    /// `sys_lmsw(value)`: CR0 bits 0-3 (PE can be set, not cleared).
    LMSW = "sys_lmsw",
    |env, v, _b, _c| {
        let old = env.sys.cr0;
        let low = (v & 0xf) | (old & cr0::PE);
        let r = control::write_cr(env, 0, (old & !0xf) | low);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_invlpg(va)`: drops the TLB entries of the page.
    INVLPG = "sys_invlpg",
    |env, va, _b, _c| {
        with_mmu(env, |_, m| m.flush_page(va));
        0
    }
);

helper!(
    /// `sys_load_desc_table(addr, idt, bytes)`: LGDT (idt 0) or LIDT from
    /// the 6- or 10-byte operand at `addr` (`bytes` of base: 3, 4 or 8).
    LOAD_DESC_TABLE = "sys_load_desc_table",
    |env, addr, idt, bytes| {
        let idx = access::idx_for_cpl(env.sys.cpl);
        let r = with_mmu(env, |env, m| {
            let limit = access::read(env, m, addr, 2, idx)?;
            let size = if bytes == 8 { 8 } else { 4 };
            let mut base = access::read(env, m, addr + 2, size, idx)?;
            if bytes == 3 {
                base &= 0xff_ffff;
            }
            Ok((limit, base))
        });
        if let Some((limit, base)) = check(env, r.map(Some)) {
            let t = if idt != 0 { &mut env.sys.idtr } else { &mut env.sys.gdtr };
            t.limit = limit;
            t.base = base;
        }
        0
    }
);

helper!(
    /// `sys_store_desc_table(addr, idt, bytes)`: SGDT (idt 0) or SIDT.
    STORE_DESC_TABLE = "sys_store_desc_table",
    |env, addr, idt, bytes| {
        let t = if idt != 0 { env.sys.idtr } else { env.sys.gdtr };
        let idx = access::idx_for_cpl(env.sys.cpl);
        let r = with_mmu(env, |env, m| {
            access::write(env, m, addr, 2, t.limit, idx, false)?;
            let size = if bytes == 8 { 8 } else { 4 };
            access::write(env, m, addr + 2, size, t.base, idx, false)
        });
        check(env, r);
        0
    }
);

helper!(
    /// `sys_lldt(selector)`.
    LLDT = "sys_lldt",
    |env, sel, _b, _c| {
        let r = far::lldt(env, sel as u16);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_ltr(selector)`.
    LTR = "sys_ltr",
    |env, sel, _b, _c| {
        let r = far::ltr(env, sel as u16);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_load_seg(sreg, selector)`: MOV/POP/LxS to DS, ES, FS, GS or
    /// SS (interrupts then wait one instruction).
    LOAD_SEG = "sys_load_seg",
    |env, s, sel, _c| {
        let s = s as usize;
        let r = with_mmu(env, |env, m| segment::load_data_segment(env, m, s, sel as u16));
        if check(env, r.map(|_| true)) && s == sreg::SS {
            env.sys.inhibit_irq = 1;
        }
        0
    }
);

helper!(
    /// `sys_far_jmp(selector, offset)`.
    FAR_JMP = "sys_far_jmp",
    |env, sel, off, _c| {
        let r = far::far_jump(env, sel as u16, off);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_far_call(selector, offset, size)`: rip holds the return address.
    FAR_CALL = "sys_far_call",
    |env, sel, off, size| {
        let ret = env.rip;
        let r = far::far_call(env, sel as u16, off, size as u32, ret);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_far_ret(size, imm)`.
    FAR_RET = "sys_far_ret",
    |env, size, imm, _c| {
        let r = far::far_ret(env, size as u32, imm);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_iret(size)`.
    IRET = "sys_iret",
    |env, size, _b, _c| {
        let r = interrupt::iret(env, size as u32);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_syscall()`: rip holds the return address.
    SYSCALL = "sys_syscall",
    |env, _a, _b, _c| {
        let r = far::syscall(env);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_sysret(size)`.
    SYSRET = "sys_sysret",
    |env, size, _b, _c| {
        let r = far::sysret(env, size as u32);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_sysenter()`.
    SYSENTER = "sys_sysenter",
    |env, _a, _b, _c| {
        let r = far::sysenter(env);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_sysexit(size)`.
    SYSEXIT = "sys_sysexit",
    |env, size, _b, _c| {
        let r = far::sysexit(env, size as u32);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_rdmsr(index)` -> the MSR.
    RDMSR = "sys_rdmsr",
    |env, index, _b, _c| {
        let r = control::rdmsr(env, index as u32);
        check(env, r)
    }
);

helper!(
    /// `sys_wrmsr(index, value)`.
    WRMSR = "sys_wrmsr",
    |env, index, v, _c| {
        let r = control::wrmsr(env, index as u32, v);
        check(env, r);
        0
    }
);

helper!(
    /// `sys_rdtsc()` -> the guest TSC (#GP at CPL > 0 with CR4.TSD).
    RDTSC = "sys_rdtsc",
    |env, _a, _b, _c| {
        if env.sys.cr4 & cr4::TSD != 0 && env.sys.cpl != 0 && env.sys.cr0 & cr0::PE != 0 {
            Fault::new(excp::GP, 0).raise(env);
            return 0;
        }
        control::tsc(env)
    }
);
