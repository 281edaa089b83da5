//! Transfers that change CS (SDM vol. 2 and vol. 3A, 5.8): far JMP, CALL
//! and RET to code segments, SYSCALL/SYSRET and SYSENTER/SYSEXIT, and the
//! loading of LDTR and TR. Call gates and task switches are not
//! implemented (#GP).

use super::access::{with_mmu, Fault};
use super::interrupt::null_outer_segments;
use super::mmu::{mmu_idx, Mmu};
use super::regs::{efer, seg, sreg, sys_type, Segment};
use super::segment::{
    self, decode, long64, protected, read_descriptor, rpl, sel_error, set_segment,
};
use super::stack::Stack;
use crate::cpu::reg::{R11, RCX, RDX, RSP};
use crate::cpu::{eflags, excp, CpuState};

/// Checks the code segment `sel` as the target of a far JMP/CALL/RET to
/// privilege `cpl` and returns its hidden part with RPL = `cpl`.
fn code_target(
    env: &mut CpuState,
    mmu: &mut Mmu,
    sel: u16,
    cpl: u64,
    ret: bool,
) -> Result<Segment, Fault> {
    let err = sel_error(sel);
    if sel & !3 == 0 {
        return Err(Fault::gp(0));
    }
    let (desc, _) = read_descriptor(env, mmu, sel, false)?;
    let mut cs = decode(sel, desc);
    if cs.flags & (seg::S | seg::CODE) != (seg::S | seg::CODE) {
        // A system descriptor: call gate, TSS or task gate.
        return Err(Fault::gp(err));
    }
    let conforming = cs.flags & seg::DC != 0;
    let ok = if ret {
        if conforming {
            cs.dpl() <= rpl(sel)
        } else {
            cs.dpl() == rpl(sel)
        }
    } else if conforming {
        cs.dpl() <= cpl
    } else {
        rpl(sel) <= cpl && cs.dpl() == cpl
    };
    if !ok {
        return Err(Fault::gp(err));
    }
    if cs.flags & seg::P == 0 {
        return Err(Fault::new(excp::NP, err));
    }
    segment::set_accessed(env, mmu, sel, desc)?;
    cs.flags |= seg::ACCESSED;
    cs.selector = (sel as u64 & !3) | cpl;
    Ok(cs)
}

fn real_cs(env: &mut CpuState, sel: u16) {
    let cs = env.sys.segs[sreg::CS];
    set_segment(env, sreg::CS, Segment::real(sel, cs.flags));
    env.sys.segs[sreg::CS].limit = cs.limit;
}

/// JMP ptr16:size / m16:size.
pub fn far_jump(env: &mut CpuState, sel: u16, off: u64) -> Result<(), Fault> {
    with_mmu(env, |env, mmu| {
        if !protected(env) {
            real_cs(env, sel);
        } else {
            let cs = code_target(env, mmu, sel, env.sys.cpl, false)?;
            set_segment(env, sreg::CS, cs);
        }
        env.rip = off;
        Ok(())
    })
}

/// CALL ptr16:size / m16:size: pushes CS and the return offset (`size`
/// bytes each), then jumps.
pub fn far_call(env: &mut CpuState, sel: u16, off: u64, size: u32, ret: u64) -> Result<(), Fault> {
    with_mmu(env, |env, mmu| {
        let target = if protected(env) {
            Some(code_target(env, mmu, sel, env.sys.cpl, false)?)
        } else {
            None
        };
        let mut st = Stack::current(env);
        st.push(env, mmu, size, env.sys.segs[sreg::CS].selector)?;
        st.push(env, mmu, size, ret)?;
        st.commit(env);
        match target {
            Some(cs) => set_segment(env, sreg::CS, cs),
            None => real_cs(env, sel),
        }
        env.rip = off;
        Ok(())
    })
}

/// RET far (`size`-byte pops, then `imm` more bytes released): to the same
/// or an outer privilege level.
pub fn far_ret(env: &mut CpuState, size: u32, imm: u64) -> Result<(), Fault> {
    with_mmu(env, |env, mmu| {
        let mut st = Stack::current(env);
        let off = st.pop(env, mmu, size)?;
        let sel = st.pop(env, mmu, size)? as u16;
        if !protected(env) {
            st.sp = st.sp.wrapping_add(imm);
            st.commit(env);
            real_cs(env, sel);
            env.rip = off;
            return Ok(());
        }
        let cpl = env.sys.cpl;
        let new_cpl = rpl(sel);
        if new_cpl < cpl {
            return Err(Fault::gp(sel_error(sel)));
        }
        let cs = code_target(env, mmu, sel, new_cpl, true)?;
        if new_cpl == cpl {
            st.sp = st.sp.wrapping_add(imm);
            st.commit(env);
            set_segment(env, sreg::CS, cs);
            env.rip = off;
            return Ok(());
        }
        st.sp = st.sp.wrapping_add(imm);
        let sp = st.pop(env, mmu, size)?;
        let ss_sel = st.pop(env, mmu, size)? as u16;
        let saved = env.sys.cpl;
        env.sys.cpl = new_cpl;
        let r = segment::load_data_segment(env, mmu, sreg::SS, ss_sel);
        if r.is_err() {
            env.sys.cpl = saved;
        }
        r?;
        set_segment(env, sreg::CS, cs);
        env.regs[RSP] = sp.wrapping_add(imm);
        env.rip = off;
        null_outer_segments(env);
        Ok(())
    })
}

/// A flat segment as SYSCALL, SYSRET, SYSENTER and SYSEXIT load it.
fn flat(selector: u64, dpl: u64, code: bool, long: bool) -> Segment {
    let mut flags = seg::P | seg::S | seg::ACCESSED | seg::RW | seg::G | dpl << seg::DPL_SHIFT;
    if code {
        flags |= seg::CODE;
        flags |= if long { seg::L } else { seg::DB };
    } else {
        flags |= seg::DB;
    }
    Segment {
        selector,
        base: 0,
        limit: 0xffff_ffff,
        flags,
    }
}

/// SYSCALL (rip is after it): saves RIP in RCX and RFLAGS in R11, enters
/// CPL 0 at LSTAR (CSTAR from compatibility mode; STAR[31:0] outside
/// long mode) with RFLAGS masked by FMASK.
pub fn syscall(env: &mut CpuState) -> Result<(), Fault> {
    let s = env.sys;
    if s.efer & efer::SCE == 0 {
        return Err(Fault::new(excp::UD, 0));
    }
    let sel = (s.star >> 32) & 0xfffc;
    let long = s.efer & efer::LMA != 0;
    let flags = env.rflags();
    env.regs[RCX] = env.rip;
    if long {
        env.regs[R11] = flags;
        env.rip = if long64(env) { s.lstar } else { s.cstar };
        env.set_rflags(flags & !(s.fmask | eflags::RF));
    } else {
        env.rip = s.star & 0xffff_ffff;
        env.set_rflags(flags & !(eflags::VM | eflags::IF | eflags::RF));
    }
    set_segment(env, sreg::CS, flat(sel, 0, true, long));
    env.sys.segs[sreg::SS] = flat(sel + 8, 0, false, false);
    env.sys.cpl = 0;
    Ok(())
}

/// SYSRET (`size` 8 returns to 64-bit code at RCX, 4 to compatibility
/// or legacy code at ECX) to CPL 3, RFLAGS from R11 in long mode.
pub fn sysret(env: &mut CpuState, size: u32) -> Result<(), Fault> {
    let s = env.sys;
    if s.efer & efer::SCE == 0 {
        return Err(Fault::new(excp::UD, 0));
    }
    if s.cpl != 0 || s.cr0 & super::regs::cr0::PE == 0 {
        return Err(Fault::gp(0));
    }
    let base = (s.star >> 48) & 0xfffc;
    let long = s.efer & efer::LMA != 0;
    if size == 8 {
        let rip = env.regs[RCX];
        if ((rip as i64) << 16 >> 16) as u64 != rip {
            return Err(Fault::gp(0));
        }
        set_segment(env, sreg::CS, flat((base + 16) | 3, 3, true, true));
        env.rip = rip;
    } else {
        set_segment(env, sreg::CS, flat(base | 3, 3, true, false));
        env.rip = env.regs[RCX] & 0xffff_ffff;
    }
    if long {
        env.set_rflags((env.regs[R11] & 0x3c_7fd7) | eflags::FIXED1);
    } else {
        let f = env.rflags() | eflags::IF;
        env.set_rflags(f);
    }
    env.sys.segs[sreg::SS] = flat((base + 8) | 3, 3, false, false);
    env.sys.cpl = 3;
    Ok(())
}

/// SYSENTER: CPL 0 at SYSENTER_EIP with stack SYSENTER_ESP.
pub fn sysenter(env: &mut CpuState) -> Result<(), Fault> {
    let s = env.sys;
    if s.cr0 & super::regs::cr0::PE == 0 || s.sysenter_cs & 0xfffc == 0 {
        return Err(Fault::gp(0));
    }
    let long = s.efer & efer::LMA != 0;
    let sel = s.sysenter_cs & 0xfffc;
    let f = env.rflags() & !(eflags::VM | eflags::IF | eflags::RF);
    env.set_rflags(f);
    set_segment(env, sreg::CS, flat(sel, 0, true, long));
    env.sys.segs[sreg::SS] = flat(sel + 8, 0, false, false);
    env.sys.cpl = 0;
    env.regs[RSP] = if long {
        s.sysenter_esp
    } else {
        s.sysenter_esp & 0xffff_ffff
    };
    env.rip = if long {
        s.sysenter_eip
    } else {
        s.sysenter_eip & 0xffff_ffff
    };
    Ok(())
}

/// SYSEXIT (`size` 8: to 64-bit code): CPL 3 at RDX with stack RCX.
pub fn sysexit(env: &mut CpuState, size: u32) -> Result<(), Fault> {
    let s = env.sys;
    if s.cr0 & super::regs::cr0::PE == 0 || s.sysenter_cs & 0xfffc == 0 || s.cpl != 0 {
        return Err(Fault::gp(0));
    }
    let cs = s.sysenter_cs & 0xfffc;
    if size == 8 {
        set_segment(env, sreg::CS, flat((cs + 32) | 3, 3, true, true));
        env.sys.segs[sreg::SS] = flat((cs + 40) | 3, 3, false, false);
        env.regs[RSP] = env.regs[RCX];
        env.rip = env.regs[RDX];
    } else {
        set_segment(env, sreg::CS, flat((cs + 16) | 3, 3, true, false));
        env.sys.segs[sreg::SS] = flat((cs + 24) | 3, 3, false, false);
        env.regs[RSP] = env.regs[RCX] & 0xffff_ffff;
        env.rip = env.regs[RDX] & 0xffff_ffff;
    }
    env.sys.cpl = 3;
    Ok(())
}

/// LLDT: loads LDTR from an LDT descriptor in the GDT (null: unusable).
pub fn lldt(env: &mut CpuState, sel: u16) -> Result<(), Fault> {
    with_mmu(env, |env, mmu| {
        if sel & !3 == 0 {
            env.sys.ldtr = Segment {
                selector: sel as u64,
                ..Default::default()
            };
            return Ok(());
        }
        let err = sel_error(sel);
        if sel & 4 != 0 {
            return Err(Fault::gp(err));
        }
        let wide = env.sys.efer & efer::LMA != 0;
        let (lo, hi) = read_descriptor(env, mmu, sel, wide)?;
        let mut d = decode(sel, lo);
        if d.flags & (seg::S | seg::TYPE) != sys_type::LDT {
            return Err(Fault::gp(err));
        }
        if d.flags & seg::P == 0 {
            return Err(Fault::new(excp::NP, err));
        }
        if wide {
            d.base |= (hi & 0xffff_ffff) << 32;
        }
        env.sys.ldtr = d;
        Ok(())
    })
}

/// LTR: loads TR from an available TSS descriptor and marks it busy.
pub fn ltr(env: &mut CpuState, sel: u16) -> Result<(), Fault> {
    with_mmu(env, |env, mmu| {
        let err = sel_error(sel);
        if sel & !3 == 0 {
            return Err(Fault::gp(0));
        }
        if sel & 4 != 0 {
            return Err(Fault::gp(err));
        }
        let wide = env.sys.efer & efer::LMA != 0;
        let (lo, hi) = read_descriptor(env, mmu, sel, wide)?;
        let mut d = decode(sel, lo);
        let typ = d.flags & (seg::S | seg::TYPE);
        if typ != sys_type::TSS_AVAIL && (wide || typ != sys_type::TSS16_AVAIL) {
            return Err(Fault::gp(err));
        }
        if d.flags & seg::P == 0 {
            return Err(Fault::new(excp::NP, err));
        }
        if wide {
            d.base |= (hi & 0xffff_ffff) << 32;
        }
        // Busy: type bit 1 in the descriptor.
        let a = segment::descriptor_addr(env, sel, 8)?;
        super::access::write(env, mmu, a + 5, 1, (lo >> 40) | 2, mmu_idx::KERNEL, false)?;
        d.flags |= 2;
        env.sys.tr = d;
        Ok(())
    })
}
