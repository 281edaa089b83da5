//! Control registers, EFER and the other MSRs (SDM vol. 3A, 2.5 and
//! vol. 4): the checks on writing them, the mode switches they make
//! (paging on and off, long mode activation), the TLB flushes they imply,
//! and the TB mode the CPU is in.

use super::access::{with_mmu, Fault};
use super::regs::{cr0, cr4, efer, msr, seg, sreg};
use crate::cpu::{eflags, CpuState};
use crate::translate::mode::fpu;
use crate::translate::Mode;

/// The TB mode of the CPU as it is now.
pub fn tb_mode(env: &CpuState) -> Mode {
    let s = &env.sys;
    let cs = &s.segs[sreg::CS];
    let pe = s.cr0 & cr0::PE != 0;
    let code_bits = if s.efer & efer::LMA != 0 && cs.flags & seg::L != 0 {
        64
    } else if cs.flags & seg::DB != 0 {
        32
    } else {
        16
    };
    let stack_bits = if code_bits == 64 {
        64
    } else if s.segs[sreg::SS].flags & seg::DB != 0 {
        32
    } else {
        16
    };
    let bit = |on: bool, b: u8| if on { b } else { 0 };
    Mode {
        system: true,
        code_bits,
        stack_bits,
        cpl: s.cpl as u8,
        pe,
        cs_base: if code_bits == 64 { 0 } else { cs.base },
        fpu: bit(s.cr0 & cr0::EM != 0, fpu::EM)
            | bit(s.cr0 & cr0::TS != 0, fpu::TS)
            | bit(s.cr0 & cr0::MP != 0, fpu::MP)
            | bit(s.cr4 & cr4::OSFXSR != 0, fpu::OSFXSR),
    }
}

/// MOV CRn, value.
pub fn write_cr(env: &mut CpuState, n: u32, v: u64) -> Result<(), Fault> {
    let s = &env.sys;
    match n {
        0 => {
            let v = v | cr0::ET;
            if v >> 32 != 0
                || (v & cr0::PG != 0 && v & cr0::PE == 0)
                || (v & cr0::NW != 0 && v & cr0::CD == 0)
            {
                return Err(Fault::gp(0));
            }
            let mut e = s.efer;
            if v & cr0::PG != 0 && s.cr0 & cr0::PG == 0 && e & efer::LME != 0 {
                if s.cr4 & cr4::PAE == 0 {
                    return Err(Fault::gp(0));
                }
                e |= efer::LMA;
            }
            if v & cr0::PG == 0 && s.cr0 & cr0::PG != 0 && e & efer::LMA != 0 {
                if super::segment::long64(env) {
                    return Err(Fault::gp(0));
                }
                e &= !efer::LMA;
            }
            let flush = (v ^ s.cr0) & (cr0::PG | cr0::WP | cr0::PE) != 0;
            env.sys.cr0 = v;
            env.sys.efer = e;
            if flush {
                flush_tlb(env);
            }
        }
        2 => env.sys.cr2 = v,
        3 => {
            env.sys.cr3 = v;
            flush_tlb(env);
        }
        4 => {
            if v & !cr4::SUPPORTED != 0 || (s.efer & efer::LMA != 0 && v & cr4::PAE == 0) {
                return Err(Fault::gp(0));
            }
            let flush = (v ^ s.cr4) & (cr4::PSE | cr4::PAE | cr4::PGE) != 0;
            env.sys.cr4 = v;
            if flush {
                flush_tlb(env);
            }
        }
        8 => env.sys.cr8 = v & 0xf,
        _ => return Err(Fault::new(crate::cpu::excp::UD, 0)),
    }
    Ok(())
}

/// MOV reg, CRn.
pub fn read_cr(env: &CpuState, n: u32) -> Result<u64, Fault> {
    let s = &env.sys;
    Ok(match n {
        0 => s.cr0,
        2 => s.cr2,
        3 => s.cr3,
        4 => s.cr4,
        8 => s.cr8,
        _ => return Err(Fault::new(crate::cpu::excp::UD, 0)),
    })
}

/// Drops the TLB (the mapping or the rights changed).
pub fn flush_tlb(env: &mut CpuState) {
    with_mmu(env, |_, mmu| mmu.flush_tlb());
}

/// The TSC: guest nanoseconds (a 1 GHz counter) plus the offset.
pub fn tsc(env: &mut CpuState) -> u64 {
    let now = with_mmu(env, |_, mmu| mmu.bus.now_ns());
    now.wrapping_add(env.sys.tsc_offset)
}

/// RDMSR.
pub fn rdmsr(env: &mut CpuState, index: u32) -> Result<u64, Fault> {
    let s = &env.sys;
    Ok(match index {
        msr::IA32_TIME_STAMP_COUNTER => tsc(env),
        // The local APIC is not emulated: reported disabled at its usual base.
        msr::IA32_APIC_BASE => 0xfee0_0000 | 1 << 8,
        msr::IA32_SYSENTER_CS => s.sysenter_cs,
        msr::IA32_SYSENTER_ESP => s.sysenter_esp,
        msr::IA32_SYSENTER_EIP => s.sysenter_eip,
        msr::IA32_MISC_ENABLE => s.misc_enable,
        msr::IA32_PAT => s.pat,
        msr::IA32_EFER => s.efer,
        msr::IA32_STAR => s.star,
        msr::IA32_LSTAR => s.lstar,
        msr::IA32_CSTAR => s.cstar,
        msr::IA32_FMASK => s.fmask,
        msr::IA32_FS_BASE => env.fs_base,
        msr::IA32_GS_BASE => env.gs_base,
        msr::IA32_KERNEL_GS_BASE => s.kernel_gs_base,
        msr::IA32_TSC_AUX => s.tsc_aux,
        _ => return Err(Fault::gp(0)),
    })
}

fn canonical(v: u64) -> bool {
    ((v as i64) << 16 >> 16) as u64 == v
}

/// WRMSR.
pub fn wrmsr(env: &mut CpuState, index: u32, v: u64) -> Result<(), Fault> {
    let need_canonical = matches!(
        index,
        msr::IA32_LSTAR
            | msr::IA32_CSTAR
            | msr::IA32_FS_BASE
            | msr::IA32_GS_BASE
            | msr::IA32_KERNEL_GS_BASE
            | msr::IA32_SYSENTER_ESP
            | msr::IA32_SYSENTER_EIP
    );
    if need_canonical && !canonical(v) {
        return Err(Fault::gp(0));
    }
    let s = &mut env.sys;
    match index {
        msr::IA32_TIME_STAMP_COUNTER => {
            let now = tsc(env).wrapping_sub(env.sys.tsc_offset);
            env.sys.tsc_offset = v.wrapping_sub(now);
        }
        msr::IA32_APIC_BASE => {}
        msr::IA32_SYSENTER_CS => s.sysenter_cs = v & 0xffff,
        msr::IA32_SYSENTER_ESP => s.sysenter_esp = v,
        msr::IA32_SYSENTER_EIP => s.sysenter_eip = v,
        msr::IA32_MISC_ENABLE => s.misc_enable = v,
        msr::IA32_PAT => s.pat = v,
        msr::IA32_EFER => {
            let allowed = efer::SCE | efer::LME | efer::NXE;
            if v & !(allowed | efer::LMA) != 0
                || ((v ^ s.efer) & efer::LME != 0 && s.cr0 & cr0::PG != 0)
            {
                return Err(Fault::gp(0));
            }
            let nx_changed = (v ^ s.efer) & efer::NXE != 0;
            s.efer = (v & allowed) | (s.efer & efer::LMA);
            if nx_changed {
                flush_tlb(env);
            }
        }
        msr::IA32_STAR => s.star = v,
        msr::IA32_LSTAR => s.lstar = v,
        msr::IA32_CSTAR => s.cstar = v,
        msr::IA32_FMASK => s.fmask = v & 0xffff_ffff,
        msr::IA32_FS_BASE => {
            env.fs_base = v;
            env.sys.segs[sreg::FS].base = v;
        }
        msr::IA32_GS_BASE => {
            env.gs_base = v;
            env.sys.segs[sreg::GS].base = v;
        }
        msr::IA32_KERNEL_GS_BASE => s.kernel_gs_base = v,
        msr::IA32_TSC_AUX => s.tsc_aux = v & 0xffff_ffff,
        _ => return Err(Fault::gp(0)),
    }
    Ok(())
}

/// True when the CPU may execute IN/OUT/INS/OUTS to `port` (`size`
/// bytes) without consulting the TSS: real mode, or CPL <= IOPL.
pub fn io_allowed_by_iopl(env: &CpuState) -> bool {
    let iopl = (env.eflags & eflags::IOPL) >> 12;
    env.sys.cr0 & cr0::PE == 0 || (env.eflags & eflags::VM == 0 && env.sys.cpl <= iopl)
}

/// The I/O permission check (SDM vol. 1, 19.5): IOPL, then the TSS's
/// I/O permission bitmap. #GP(0) when denied.
pub fn check_io(env: &mut CpuState, port: u16, size: u32) -> Result<(), Fault> {
    if io_allowed_by_iopl(env) {
        return Ok(());
    }
    let tr = env.sys.tr;
    if tr.flags & seg::TYPE != super::regs::sys_type::TSS_BUSY || tr.limit < 103 {
        return Err(Fault::gp(0));
    }
    with_mmu(env, |env, mmu| {
        let base_off =
            super::access::read(env, mmu, tr.base + 102, 2, super::mmu::mmu_idx::KERNEL)?;
        let off = base_off + port as u64 / 8;
        if off + 1 > tr.limit {
            return Err(Fault::gp(0));
        }
        let bits = super::access::read(env, mmu, tr.base + off, 2, super::mmu::mmu_idx::KERNEL)?;
        let mask = ((1u64 << size) - 1) << (port % 8);
        if bits & mask != 0 {
            Err(Fault::gp(0))
        } else {
            Ok(())
        }
    })
}
