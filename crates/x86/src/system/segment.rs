//! Segment descriptors (SDM vol. 3A, 3.4-3.5 and 5.5-5.8): reading them
//! from the GDT/LDT, decoding them into a segment register's hidden part,
//! and the checks of loading DS, ES, FS, GS and SS in every mode.

use super::access::{self, Fault};
use super::mmu::{mmu_idx, Mmu};
use super::regs::{cr0, seg, sreg, Segment};
use crate::cpu::{eflags, excp, CpuState};

/// The selector's requested privilege level.
pub fn rpl(sel: u16) -> u64 {
    (sel & 3) as u64
}

/// The error code a fault on `sel` pushes (index and TI, RPL clear).
pub fn sel_error(sel: u16) -> u32 {
    (sel & 0xfffc) as u32
}

/// Decodes an 8-byte segment descriptor into a hidden part for `sel`.
pub fn decode(sel: u16, desc: u64) -> Segment {
    let base = ((desc >> 16) & 0xff_ffff) | ((desc >> 32) & 0xff00_0000);
    let mut limit = (desc & 0xffff) | ((desc >> 32) & 0xf_0000);
    let flags = (desc >> 40) & 0xf0ff;
    if flags & seg::G != 0 {
        limit = (limit << 12) | 0xfff;
    }
    Segment {
        selector: sel as u64,
        base,
        limit,
        flags,
    }
}

/// True in protected mode (CR0.PE) outside virtual-8086 mode.
pub fn protected(env: &CpuState) -> bool {
    env.sys.cr0 & cr0::PE != 0 && env.eflags & eflags::VM == 0
}

/// True in 64-bit mode (long mode with a 64-bit CS).
pub fn long64(env: &CpuState) -> bool {
    env.sys.efer & super::regs::efer::LMA != 0 && env.sys.segs[sreg::CS].flags & seg::L != 0
}

/// Linear address of the descriptor for `sel`, or #GP(sel) when it is
/// beyond its table's limit (or the LDT is unusable).
pub fn descriptor_addr(env: &CpuState, sel: u16, size: u64) -> Result<u64, Fault> {
    let (base, limit) = if sel & 4 != 0 {
        let l = &env.sys.ldtr;
        if l.selector & !3 == 0 {
            return Err(Fault::gp(sel_error(sel)));
        }
        (l.base, l.limit)
    } else {
        (env.sys.gdtr.base, env.sys.gdtr.limit)
    };
    let off = (sel & !7) as u64;
    if off + size - 1 > limit {
        return Err(Fault::gp(sel_error(sel)));
    }
    Ok(base.wrapping_add(off))
}

/// Reads the descriptor of `sel` (8 bytes; system descriptors in long
/// mode also return their upper 8 bytes).
pub fn read_descriptor(
    env: &mut CpuState,
    mmu: &mut Mmu,
    sel: u16,
    wide: bool,
) -> Result<(u64, u64), Fault> {
    let size = if wide { 16 } else { 8 };
    let a = descriptor_addr(env, sel, size)?;
    let lo = access::read(env, mmu, a, 8, mmu_idx::KERNEL)?;
    let hi = if wide {
        access::read(env, mmu, a + 8, 8, mmu_idx::KERNEL)?
    } else {
        0
    };
    Ok((lo, hi))
}

/// Sets the accessed bit of the descriptor of `sel` if it is clear.
pub fn set_accessed(env: &mut CpuState, mmu: &mut Mmu, sel: u16, desc: u64) -> Result<(), Fault> {
    const A: u64 = 1 << 40;
    if desc & A == 0 {
        let a = descriptor_addr(env, sel, 8)?;
        access::write(env, mmu, a + 5, 1, (desc | A) >> 40, mmu_idx::KERNEL, false)?;
    }
    Ok(())
}

/// Writes segment register `s`'s hidden part (FS/GS bases go to their
/// globals, where translated code reads them).
pub fn set_segment(env: &mut CpuState, s: usize, seg: Segment) {
    env.sys.segs[s] = seg;
    match s {
        sreg::FS => env.fs_base = seg.base,
        sreg::GS => env.gs_base = seg.base,
        _ => {}
    }
}

/// The base of segment register `s` (FS/GS from their globals).
pub fn segment_base(env: &CpuState, s: usize) -> u64 {
    match s {
        sreg::FS => env.fs_base,
        sreg::GS => env.gs_base,
        _ => env.sys.segs[s].base,
    }
}

/// Loads data or stack segment register `s` with `sel` (MOV, POP, LDS...):
/// real mode sets selector and base; protected mode checks and loads the
/// descriptor, raising #GP, #SS or #NP.
pub fn load_data_segment(
    env: &mut CpuState,
    mmu: &mut Mmu,
    s: usize,
    sel: u16,
) -> Result<(), Fault> {
    if !protected(env) {
        let mut seg = env.sys.segs[s];
        seg.selector = sel as u64;
        seg.base = (sel as u64) << 4;
        if env.eflags & eflags::VM != 0 {
            seg.limit = 0xffff;
            seg.flags = seg::P | seg::S | seg::RW | seg::ACCESSED | 3 << seg::DPL_SHIFT;
        }
        set_segment(env, s, seg);
        return Ok(());
    }
    let cpl = env.sys.cpl;
    if sel & !3 == 0 {
        if s == sreg::SS && !(long64(env) && cpl < 3 && rpl(sel) == cpl) {
            return Err(Fault::gp(0));
        }
        // A null selector: the register becomes unusable (base 0 outside
        // 64-bit mode; in 64-bit mode FS and GS keep their bases).
        let mut seg = Segment {
            selector: sel as u64,
            ..Default::default()
        };
        if long64(env) && matches!(s, sreg::FS | sreg::GS) {
            seg.base = segment_base(env, s);
        }
        if s == sreg::SS {
            seg.flags = env.sys.segs[sreg::SS].flags & seg::DB;
            seg.flags |= (cpl << seg::DPL_SHIFT) | seg::P | seg::S | seg::RW;
        }
        set_segment(env, s, seg);
        return Ok(());
    }
    let (desc, _) = read_descriptor(env, mmu, sel, false)?;
    let d = decode(sel, desc);
    let err = sel_error(sel);
    let code = d.flags & seg::CODE != 0;
    let readable = d.flags & seg::RW != 0;
    if d.flags & seg::S == 0 {
        return Err(Fault::gp(err));
    }
    if s == sreg::SS {
        if code || !readable || rpl(sel) != cpl || d.dpl() != cpl {
            return Err(Fault::gp(err));
        }
        if d.flags & seg::P == 0 {
            return Err(Fault::new(excp::SS, err));
        }
    } else {
        if code && !readable {
            return Err(Fault::gp(err));
        }
        let conforming = code && d.flags & seg::DC != 0;
        if !conforming && (rpl(sel) > d.dpl() || cpl > d.dpl()) {
            return Err(Fault::gp(err));
        }
        if d.flags & seg::P == 0 {
            return Err(Fault::new(excp::NP, err));
        }
    }
    set_accessed(env, mmu, sel, desc)?;
    let mut d = d;
    d.flags |= seg::ACCESSED;
    set_segment(env, s, d);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_flat_code_and_data() {
        // The classic flat 32-bit descriptors.
        let code = decode(0x08, 0x00cf_9a00_0000_ffff);
        assert_eq!((code.base, code.limit), (0, 0xffff_ffff));
        assert_eq!(
            code.flags,
            seg::G | seg::DB | seg::P | seg::S | seg::CODE | seg::RW
        );
        let data = decode(0x10, 0x00cf_9200_0000_ffff);
        assert_eq!(data.flags & seg::CODE, 0);
        let long = decode(0x08, 0x0020_9a00_0000_0000);
        assert_eq!(long.flags & seg::L, seg::L);
        let odd = decode(0x18, 0x1240_9234_5678_0fff);
        assert_eq!((odd.base, odd.limit), (0x1234_5678, 0x0_0fff));
        assert_eq!(odd.dpl(), 0);
    }
}
