//! Interrupt and exception delivery (SDM vol. 3A, chapter 6): the
//! real-mode IVT; protected-mode and IA-32e IDT gates with their privilege
//! checks, stack switches through the TSS and the IST, and error codes;
//! double and triple faults; and IRET, its inverse.

use super::access::{self, with_mmu, Fault};
use super::mmu::{mmu_idx, Mmu};
use super::regs::{seg, sreg, sys_type, Segment};
use super::segment::{self, decode, protected, read_descriptor, rpl, sel_error, set_segment};
use super::stack::Stack;
use crate::cpu::{eflags, excp, CpuState};

/// What raised the event: this decides the privilege check on the gate
/// and the EXT bit of error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A CPU exception (fault, trap or abort).
    Exception,
    /// An external interrupt (from the PIC).
    External,
    /// INT n, INT3 or INTO: the gate's DPL must allow the CPL.
    Software,
}

/// An interrupt or exception to deliver. The return address is `env.rip`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Vector 0-255.
    pub vector: u8,
    /// Its source.
    pub kind: Kind,
    /// The error code pushed (protected and long mode only).
    pub error_code: Option<u32>,
}

impl Event {
    /// Exception `vector` (with `error_code` if the vector pushes one).
    pub fn exception(vector: u8, error_code: u32) -> Event {
        Event {
            vector,
            kind: Kind::Exception,
            error_code: has_error_code(vector).then_some(error_code),
        }
    }
}

/// The processor shut down: a fault while delivering a double fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TripleFault;

/// True for the exceptions that push an error code.
pub fn has_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10..=14 | 17 | 21)
}

/// Exception classes for the double-fault rules (SDM vol. 3A, table 6-5).
fn contributory(v: u8) -> bool {
    matches!(v, 0 | 10..=13)
}

/// Delivers `ev`: an exception while delivering it is delivered instead,
/// or becomes a double fault (contributory after contributory, anything
/// but a benign exception after a page fault); a fault while delivering a
/// double fault shuts the processor down.
pub fn deliver(env: &mut CpuState, ev: Event) -> Result<(), TripleFault> {
    let mut ev = ev;
    loop {
        let r = with_mmu(env, |env, mmu| deliver_once(env, mmu, ev));
        let Err(f) = r else {
            return Ok(());
        };
        let second = f.vector as u8;
        let first = (ev.kind == Kind::Exception).then_some(ev.vector);
        ev = match first {
            Some(8) => return Err(TripleFault),
            Some(a)
                if (contributory(a) || a == 14)
                    && (contributory(second) || (a == 14 && second == 14)) =>
            {
                Event::exception(8, 0)
            }
            _ => Event::exception(second, f.error_code),
        };
    }
}

fn deliver_once(env: &mut CpuState, mmu: &mut Mmu, ev: Event) -> Result<(), Fault> {
    if !protected(env) {
        real_mode(env, mmu, ev)
    } else if env.sys.efer & super::regs::efer::LMA != 0 {
        long_mode(env, mmu, ev)
    } else {
        legacy(env, mmu, ev)
    }
}

fn real_mode(env: &mut CpuState, mmu: &mut Mmu, ev: Event) -> Result<(), Fault> {
    let v = ev.vector as u64;
    if v * 4 + 3 > env.sys.idtr.limit {
        return Err(Fault::gp(0));
    }
    let ent = access::read(env, mmu, env.sys.idtr.base + v * 4, 4, mmu_idx::KERNEL)?;
    let mut st = Stack::current(env);
    let flags = env.rflags();
    st.push(env, mmu, 2, flags)?;
    st.push(env, mmu, 2, env.sys.segs[sreg::CS].selector)?;
    st.push(env, mmu, 2, env.rip)?;
    st.commit(env);
    env.set_rflags(flags & !(eflags::IF | eflags::TF | eflags::AC | eflags::RF));
    let cs = env.sys.segs[sreg::CS];
    set_segment(env, sreg::CS, Segment::real((ent >> 16) as u16, cs.flags));
    env.sys.segs[sreg::CS].limit = cs.limit;
    env.rip = ent & 0xffff;
    Ok(())
}

/// Error code bits of a fault during delivery.
fn ext(ev: Event) -> u32 {
    (ev.kind == Kind::External) as u32
}

/// The gate-related error code: IDT index with the IDT bit.
fn idt_error(ev: Event) -> u32 {
    (ev.vector as u32) << 3 | 2 | ext(ev)
}

/// Loads and checks the target code segment of a gate; returns its hidden
/// part and the new CPL.
fn gate_target(
    env: &mut CpuState,
    mmu: &mut Mmu,
    sel: u16,
    ev: Event,
) -> Result<(Segment, u64), Fault> {
    if sel & !3 == 0 {
        return Err(Fault::gp(ext(ev)));
    }
    let err = sel_error(sel) | ext(ev);
    let (desc, _) = read_descriptor(env, mmu, sel, false).map_err(|_| Fault::gp(err))?;
    let cs = decode(sel, desc);
    let cpl = env.sys.cpl;
    if cs.flags & (seg::S | seg::CODE) != (seg::S | seg::CODE) || cs.dpl() > cpl {
        return Err(Fault::gp(err));
    }
    if cs.flags & seg::P == 0 {
        return Err(Fault::new(excp::NP, err));
    }
    segment::set_accessed(env, mmu, sel, desc)?;
    let new_cpl = if cs.flags & seg::DC != 0 {
        cpl
    } else {
        cs.dpl()
    };
    Ok((cs, new_cpl))
}

/// Reads `size` bytes at `off` in the current TSS (#TS when beyond its limit).
fn tss_read(env: &mut CpuState, mmu: &mut Mmu, off: u64, size: u32) -> Result<u64, Fault> {
    let tr = env.sys.tr;
    if off + size as u64 - 1 > tr.limit {
        return Err(Fault::new(excp::TS, sel_error(tr.selector as u16)));
    }
    access::read(env, mmu, tr.base + off, size, mmu_idx::KERNEL)
}

/// The flags after entering a handler through a gate.
fn handler_flags(env: &CpuState, interrupt_gate: bool) -> u64 {
    let mut f = env.rflags() & !(eflags::TF | eflags::NT | eflags::RF | eflags::VM);
    if interrupt_gate {
        f &= !eflags::IF;
    }
    f
}

fn legacy(env: &mut CpuState, mmu: &mut Mmu, ev: Event) -> Result<(), Fault> {
    let v = ev.vector as u64;
    if v * 8 + 7 > env.sys.idtr.limit {
        return Err(Fault::gp(idt_error(ev)));
    }
    let gate = access::read(env, mmu, env.sys.idtr.base + v * 8, 8, mmu_idx::KERNEL)?;
    let typ = (gate >> 40) & 0xf;
    let size = match typ {
        sys_type::INT_GATE | sys_type::TRAP_GATE => 4,
        sys_type::INT_GATE16 | sys_type::TRAP_GATE16 => 2,
        // Task gates (hardware task switching) are not implemented.
        _ => return Err(Fault::gp(idt_error(ev))),
    };
    if ev.kind == Kind::Software && (gate >> 45) & 3 < env.sys.cpl {
        return Err(Fault::gp(idt_error(ev)));
    }
    if gate & (1 << 47) == 0 {
        return Err(Fault::new(excp::NP, idt_error(ev)));
    }
    let sel = (gate >> 16) as u16;
    let mut off = (gate & 0xffff) | ((gate >> 32) & 0xffff_0000);
    if size == 2 {
        off &= 0xffff;
    }
    let (mut cs, new_cpl) = gate_target(env, mmu, sel, ev)?;
    let cpl = env.sys.cpl;
    let flags = env.rflags();
    let old_ss = env.sys.segs[sreg::SS];
    let old_sp = env.regs[crate::cpu::reg::RSP];
    let mut new_ss = None;
    let mut st = if new_cpl < cpl {
        // Inner privilege: the stack for new_cpl from the TSS.
        let tss32 = env.sys.tr.flags & seg::TYPE != sys_type::TSS16_AVAIL;
        let (sp, ss_sel) = if tss32 {
            (
                tss_read(env, mmu, 4 + 8 * new_cpl, 4)?,
                tss_read(env, mmu, 8 + 8 * new_cpl, 2)? as u16,
            )
        } else {
            (
                tss_read(env, mmu, 2 + 4 * new_cpl, 2)?,
                tss_read(env, mmu, 4 + 4 * new_cpl, 2)? as u16,
            )
        };
        let ss = stack_segment(env, mmu, ss_sel, new_cpl)?;
        new_ss = Some(ss);
        Stack {
            base: ss.base,
            sp,
            bits: if ss.flags & seg::DB != 0 { 32 } else { 16 },
            idx: access::idx_for_cpl(new_cpl),
        }
    } else {
        Stack::current(env)
    };
    if new_ss.is_some() {
        st.push(env, mmu, size, old_ss.selector)?;
        st.push(env, mmu, size, old_sp)?;
    }
    st.push(env, mmu, size, flags)?;
    st.push(env, mmu, size, env.sys.segs[sreg::CS].selector)?;
    st.push(env, mmu, size, env.rip)?;
    if let Some(code) = ev.error_code {
        st.push(env, mmu, size, code as u64)?;
    }
    if let Some(ss) = new_ss {
        env.sys.segs[sreg::SS] = ss;
    }
    st.commit(env);
    let interrupt_gate = matches!(typ, sys_type::INT_GATE | sys_type::INT_GATE16);
    let f = handler_flags(env, interrupt_gate);
    env.set_rflags(f);
    cs.selector = (sel as u64 & !3) | new_cpl;
    cs.flags |= seg::ACCESSED;
    set_segment(env, sreg::CS, cs);
    env.sys.cpl = new_cpl;
    env.rip = off;
    Ok(())
}

/// Loads the stack segment `sel` for privilege `cpl` from a TSS (#TS on
/// any failed check).
fn stack_segment(env: &mut CpuState, mmu: &mut Mmu, sel: u16, cpl: u64) -> Result<Segment, Fault> {
    let ts = Fault::new(excp::TS, sel_error(sel));
    if sel & !3 == 0 || rpl(sel) != cpl {
        return Err(ts);
    }
    let (desc, _) = read_descriptor(env, mmu, sel, false).map_err(|_| ts)?;
    let ss = decode(sel, desc);
    if ss.flags & (seg::S | seg::CODE | seg::RW) != (seg::S | seg::RW) || ss.dpl() != cpl {
        return Err(ts);
    }
    if ss.flags & seg::P == 0 {
        return Err(Fault::new(excp::SS, sel_error(sel)));
    }
    segment::set_accessed(env, mmu, sel, desc)?;
    Ok(Segment {
        flags: ss.flags | seg::ACCESSED,
        ..ss
    })
}

fn long_mode(env: &mut CpuState, mmu: &mut Mmu, ev: Event) -> Result<(), Fault> {
    let v = ev.vector as u64;
    if v * 16 + 15 > env.sys.idtr.limit {
        return Err(Fault::gp(idt_error(ev)));
    }
    let a = env.sys.idtr.base + v * 16;
    let lo = access::read(env, mmu, a, 8, mmu_idx::KERNEL)?;
    let hi = access::read(env, mmu, a + 8, 8, mmu_idx::KERNEL)?;
    let typ = (lo >> 40) & 0xf;
    if !matches!(typ, sys_type::INT_GATE | sys_type::TRAP_GATE) {
        return Err(Fault::gp(idt_error(ev)));
    }
    if ev.kind == Kind::Software && (lo >> 45) & 3 < env.sys.cpl {
        return Err(Fault::gp(idt_error(ev)));
    }
    if lo & (1 << 47) == 0 {
        return Err(Fault::new(excp::NP, idt_error(ev)));
    }
    let sel = (lo >> 16) as u16;
    let off = (lo & 0xffff) | ((lo >> 32) & 0xffff_0000) | (hi & 0xffff_ffff) << 32;
    let ist = (lo >> 32) & 7;
    let (mut cs, new_cpl) = gate_target(env, mmu, sel, ev)?;
    if cs.flags & seg::L == 0 || cs.flags & seg::DB != 0 {
        return Err(Fault::gp(sel_error(sel) | ext(ev)));
    }
    let cpl = env.sys.cpl;
    let old_rsp = env.regs[crate::cpu::reg::RSP];
    let rsp = if ist != 0 {
        tss_read(env, mmu, 36 + 8 * (ist - 1), 8)?
    } else if new_cpl < cpl {
        tss_read(env, mmu, 4 + 8 * new_cpl, 8)?
    } else {
        old_rsp
    };
    let mut st = Stack {
        base: 0,
        sp: rsp & !0xf,
        bits: 64,
        idx: access::idx_for_cpl(new_cpl),
    };
    let flags = env.rflags();
    st.push(env, mmu, 8, env.sys.segs[sreg::SS].selector)?;
    st.push(env, mmu, 8, old_rsp)?;
    st.push(env, mmu, 8, flags)?;
    st.push(env, mmu, 8, env.sys.segs[sreg::CS].selector)?;
    st.push(env, mmu, 8, env.rip)?;
    if let Some(code) = ev.error_code {
        st.push(env, mmu, 8, code as u64)?;
    }
    if new_cpl < cpl {
        env.sys.segs[sreg::SS] = Segment {
            selector: new_cpl,
            flags: seg::P | seg::S | seg::RW | seg::ACCESSED | new_cpl << seg::DPL_SHIFT,
            ..Default::default()
        };
    }
    st.commit(env);
    let interrupt_gate = typ == sys_type::INT_GATE;
    let f = handler_flags(env, interrupt_gate);
    env.set_rflags(f);
    cs.selector = (sel as u64 & !3) | new_cpl;
    cs.flags |= seg::ACCESSED;
    set_segment(env, sreg::CS, cs);
    env.sys.cpl = new_cpl;
    env.rip = off;
    Ok(())
}

/// The EFLAGS an IRET or POPF at privilege `cpl` leaves when it pops
/// `new` (`size` bytes): IOPL changes only at CPL 0, IF only when CPL <=
/// IOPL, VM never; a 16-bit pop keeps the upper half.
pub fn popped_flags(env: &CpuState, new: u64, size: u32, cpl: u64) -> u64 {
    let old = env.rflags();
    let iopl = (old & eflags::IOPL) >> 12;
    let mut mask =
        eflags::ARITH | eflags::TF | eflags::DF | eflags::NT | eflags::RF | eflags::AC | eflags::ID;
    if cpl <= iopl || !protected(env) {
        mask |= eflags::IF;
    }
    if cpl == 0 || !protected(env) {
        mask |= eflags::IOPL;
    }
    if size == 2 {
        mask &= 0xffff;
    }
    (old & !mask) | (new & mask) | eflags::FIXED1
}

/// IRET with operand size `size` (2, 4 or 8): returns from an interrupt
/// handler, to an outer privilege level if the popped CS says so.
pub fn iret(env: &mut CpuState, size: u32) -> Result<(), Fault> {
    with_mmu(env, |env, mmu| iret_in(env, mmu, size))
}

fn iret_in(env: &mut CpuState, mmu: &mut Mmu, size: u32) -> Result<(), Fault> {
    let mut st = Stack::current(env);
    let rip = st.pop(env, mmu, size)?;
    let sel = st.pop(env, mmu, size)? as u16;
    let flags = st.pop(env, mmu, size)?;
    if !protected(env) {
        st.commit(env);
        let f = popped_flags(env, flags, size, 0);
        env.set_rflags(f);
        let cs = env.sys.segs[sreg::CS];
        set_segment(env, sreg::CS, Segment::real(sel, cs.flags));
        env.sys.segs[sreg::CS].limit = cs.limit;
        env.rip = rip;
        return Ok(());
    }
    let cpl = env.sys.cpl;
    let long = env.sys.efer & super::regs::efer::LMA != 0;
    if !long && env.eflags & eflags::NT != 0 {
        // Returning from a nested task: hardware task switching.
        return Err(Fault::gp(0));
    }
    if !long && flags & eflags::VM != 0 && cpl == 0 {
        // Returning to virtual-8086 mode is not implemented.
        return Err(Fault::gp(0));
    }
    let err = sel_error(sel);
    if sel & !3 == 0 {
        return Err(Fault::gp(0));
    }
    let new_cpl = rpl(sel);
    if new_cpl < cpl {
        return Err(Fault::gp(err));
    }
    let (desc, _) = read_descriptor(env, mmu, sel, false)?;
    let mut cs = decode(sel, desc);
    if cs.flags & (seg::S | seg::CODE) != (seg::S | seg::CODE) {
        return Err(Fault::gp(err));
    }
    let conforming = cs.flags & seg::DC != 0;
    if (conforming && cs.dpl() > new_cpl) || (!conforming && cs.dpl() != new_cpl) {
        return Err(Fault::gp(err));
    }
    if cs.flags & seg::P == 0 {
        return Err(Fault::new(excp::NP, err));
    }
    // 64-bit IRET always pops SS:RSP; otherwise only on a privilege change.
    let pops_stack = (long && size == 8) || new_cpl > cpl;
    let mut new_ss = None;
    if pops_stack {
        let sp = st.pop(env, mmu, size)?;
        let ss_sel = st.pop(env, mmu, size)? as u16;
        let ss = if long && ss_sel & !3 == 0 && new_cpl < 3 && cs.flags & seg::L != 0 {
            Segment {
                selector: ss_sel as u64,
                flags: seg::P | seg::S | seg::RW | new_cpl << seg::DPL_SHIFT,
                ..Default::default()
            }
        } else {
            let saved = env.sys.cpl;
            env.sys.cpl = new_cpl;
            let r = stack_segment(env, mmu, ss_sel, new_cpl).map_err(|f| {
                if f.vector == excp::TS {
                    Fault::gp(f.error_code)
                } else {
                    f
                }
            });
            env.sys.cpl = saved;
            r?
        };
        new_ss = Some((ss, sp));
    }
    segment::set_accessed(env, mmu, sel, desc)?;
    let f = popped_flags(env, flags, size, cpl);
    env.set_rflags(f);
    cs.flags |= seg::ACCESSED;
    set_segment(env, sreg::CS, cs);
    env.sys.cpl = new_cpl;
    env.rip = if size == 2 { rip & 0xffff } else { rip };
    match new_ss {
        Some((ss, sp)) => {
            env.sys.segs[sreg::SS] = ss;
            env.regs[crate::cpu::reg::RSP] = if ss.flags & seg::DB == 0 && !long {
                (env.regs[crate::cpu::reg::RSP] & !0xffff) | (sp & 0xffff)
            } else {
                sp
            };
        }
        None => st.commit(env),
    }
    if new_cpl > cpl {
        null_outer_segments(env);
    }
    Ok(())
}

/// After a return to an outer privilege level: DS, ES, FS and GS that the
/// new CPL may not use become null (SDM: RET and IRET).
pub fn null_outer_segments(env: &mut CpuState) {
    let cpl = env.sys.cpl;
    for s in [sreg::ES, sreg::DS, sreg::FS, sreg::GS] {
        let d = env.sys.segs[s];
        let conforming_code = d.flags & (seg::CODE | seg::DC) == (seg::CODE | seg::DC);
        if d.dpl() < cpl && !conforming_code && d.flags & seg::S != 0 {
            let base = segment::segment_base(env, s);
            let long = env.sys.efer & super::regs::efer::LMA != 0;
            set_segment(
                env,
                s,
                Segment {
                    selector: 0,
                    base: if long && matches!(s, sreg::FS | sreg::GS) {
                        base
                    } else {
                        0
                    },
                    ..Default::default()
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::reg::RSP;
    use crate::system::access::attach;
    use crate::system::mmu::testing::NullBus;
    use crate::system::regs::{cr0, efer, DescTable, SysRegs};
    use crate::system::segment::decode;

    const GDT: u64 = 0x1000;
    const IDT: u64 = 0x2000;
    const TSS: u64 = 0x3000;

    fn poke(env: &mut CpuState, pa: u64, size: u32, v: u64) {
        with_mmu(env, |_, m| m.phys_write(pa, size, v));
    }

    fn peek(env: &mut CpuState, pa: u64) -> u64 {
        with_mmu(env, |_, m| m.phys_read(pa, 8))
    }

    /// A long-mode CPU (paging off is enough for these tests' flat
    /// accesses) at CPL 3 with the usual GDT, an IDT and a TSS.
    fn long_mode_cpu() -> Box<CpuState> {
        let mut env = Box::<CpuState>::default();
        attach(&mut env, Box::new(Mmu::new(1 << 20, Box::new(NullBus))));
        let gdt = [
            0,
            0x00cf_9a00_0000_ffff,
            0x0020_9a00_0000_0000, // 0x10 kernel code64
            0x00cf_9200_0000_ffff, // 0x18 kernel data
            0x00cf_fa00_0000_ffff,
            0x00cf_f200_0000_ffff, // 0x28 user data
            0x0020_fa00_0000_0000, // 0x30 user code64
        ];
        for (i, d) in gdt.iter().enumerate() {
            poke(&mut env, GDT + 8 * i as u64, 8, *d);
        }
        env.sys.gdtr = DescTable {
            base: GDT,
            limit: 8 * gdt.len() as u64 - 1,
        };
        env.sys.idtr = DescTable {
            base: IDT,
            limit: 256 * 16 - 1,
        };
        env.sys.tr = Segment {
            selector: 0x48,
            base: TSS,
            limit: 103,
            flags: seg::P | sys_type::TSS_BUSY,
        };
        poke(&mut env, TSS + 4, 8, 0x9000); // RSP0
        poke(&mut env, TSS + 36, 8, 0xa000); // IST1
        env.sys.cr0 = cr0::PE | cr0::ET;
        env.sys.efer = efer::LME | efer::LMA;
        set_segment(&mut env, sreg::CS, decode(0x33, gdt[6]));
        env.sys.segs[sreg::SS] = decode(0x2b, gdt[5]);
        env.sys.cpl = 3;
        env.regs[RSP] = 0x7ff8;
        env.rip = 0x4000;
        env.set_rflags(eflags::FIXED1 | eflags::IF);
        env
    }

    /// A 64-bit gate: handler `off` in the kernel code segment.
    fn gate64(env: &mut CpuState, v: u64, off: u64, attr: u64, ist: u64) {
        let lo = (off & 0xffff) | 0x10 << 16 | ist << 32 | attr << 40 | (off >> 16 & 0xffff) << 48;
        poke(env, IDT + 16 * v, 8, lo);
        poke(env, IDT + 16 * v + 8, 8, off >> 32);
    }

    #[test]
    fn long_mode_fault_from_ring_3_switches_stacks() {
        let mut env = long_mode_cpu();
        gate64(&mut env, 14, 0x5000, 0x8e, 0);
        deliver(&mut env, Event::exception(14, 6)).unwrap();
        assert_eq!((env.rip, env.sys.cpl), (0x5000, 0));
        assert_eq!(env.sys.segs[sreg::CS].selector, 0x10);
        // Frame on RSP0 (16-aligned): SS, RSP, RFLAGS, CS, RIP, error code.
        let sp = env.regs[RSP];
        assert_eq!(sp, 0x9000 - 6 * 8);
        let frame: Vec<u64> = (0..6).map(|k| peek(&mut env, sp + 8 * k)).collect();
        assert_eq!(frame, [6, 0x4000, 0x33, 0x202, 0x7ff8, 0x2b]);
        assert_eq!(env.rflags() & eflags::IF, 0, "interrupt gate clears IF");
        // IRETQ goes back to ring 3.
        env.regs[RSP] += 8;
        iret(&mut env, 8).unwrap();
        assert_eq!((env.rip, env.sys.cpl, env.regs[RSP]), (0x4000, 3, 0x7ff8));
        assert_eq!(env.sys.segs[sreg::SS].selector, 0x2b);
        assert_ne!(env.rflags() & eflags::IF, 0);
    }

    #[test]
    fn software_interrupt_checks_the_gate_dpl() {
        let mut env = long_mode_cpu();
        gate64(&mut env, 0x80, 0x5000, 0x8e, 0);
        gate64(&mut env, 13, 0x6000, 0x8e, 1);
        env.rip = 0x4002;
        let int80 = Event {
            vector: 0x80,
            kind: Kind::Software,
            error_code: None,
        };
        deliver(&mut env, int80).unwrap();
        // #GP(0x80 * 8 + 2) instead, on the IST1 stack.
        assert_eq!(env.rip, 0x6000);
        let sp = env.regs[RSP];
        assert_eq!(sp, 0xa000 - 6 * 8);
        assert_eq!(peek(&mut env, sp), 0x80 * 8 + 2);
        assert_eq!(peek(&mut env, sp + 8), 0x4002);
    }

    #[test]
    fn double_and_triple_faults() {
        let mut env = long_mode_cpu();
        // #GP's gate is not present: #NP during #GP -> #DF.
        gate64(&mut env, 8, 0x7000, 0x8e, 1);
        deliver(&mut env, Event::exception(13, 0)).unwrap();
        assert_eq!(env.rip, 0x7000);
        let sp = env.regs[RSP];
        assert_eq!(peek(&mut env, sp), 0, "#DF pushes 0");
        // And with #DF's gate gone too: shutdown.
        let mut env = long_mode_cpu();
        assert_eq!(deliver(&mut env, Event::exception(13, 0)), Err(TripleFault));
    }

    #[test]
    fn real_mode_uses_the_ivt() {
        let mut env = Box::<CpuState>::default();
        attach(&mut env, Box::new(Mmu::new(1 << 20, Box::new(NullBus))));
        env.sys = SysRegs {
            mmu: env.sys.mmu,
            ..SysRegs::reset()
        };
        env.sys.idtr.limit = 0x3ff;
        poke(&mut env, 0x21 * 4, 4, 0x1234_0010);
        let code = env.sys.segs[sreg::CS].flags;
        set_segment(&mut env, sreg::CS, Segment::real(0x0800, code));
        env.sys.segs[sreg::SS] = Segment::real(0x0900, env.sys.segs[sreg::SS].flags);
        env.regs[RSP] = 0x100;
        env.rip = 0x42;
        env.set_rflags(eflags::FIXED1 | eflags::IF);
        let ev = Event {
            vector: 0x21,
            kind: Kind::Software,
            error_code: None,
        };
        deliver(&mut env, ev).unwrap();
        assert_eq!((env.sys.segs[sreg::CS].base, env.rip), (0x12340, 0x10));
        assert_eq!(env.regs[RSP], 0xfa);
        let frame = peek(&mut env, 0x9000 + 0xfa) & 0xffff_ffff_ffff;
        assert_eq!(frame, 0x0202_0800_0042);
        assert_eq!(env.rflags() & eflags::IF, 0);
        iret(&mut env, 2).unwrap();
        assert_eq!(
            (env.sys.segs[sreg::CS].base, env.rip, env.regs[RSP]),
            (0x8000, 0x42, 0x100)
        );
    }
}
