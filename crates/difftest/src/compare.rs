//! Field-by-field comparison of a native and an ox86 outcome, with the
//! flags the sequence leaves architecturally undefined masked out.

use crate::analysis::Analysis;
use crate::layout::{END, GUARD_HI, PAGE};
use crate::outcome::{Fault, FaultKind, Outcome};
use crate::state::{fsw, hex, GPR_NAMES};
use iced_x86::{Instruction, OpKind, RflagsBits};
use ox86_x86::cpu::eflags;

/// RF: set in the RFLAGS image of a fault, not architectural state.
const RF: u64 = 1 << 16;

/// The RFLAGS and x87 status word bits that iced-x86 `RflagsBits` name.
fn masks(bits: u32) -> (u64, u16) {
    let table: [(u32, u64, u16); 10] = [
        (RflagsBits::OF, eflags::OF, 0),
        (RflagsBits::SF, eflags::SF, 0),
        (RflagsBits::ZF, eflags::ZF, 0),
        (RflagsBits::AF, eflags::AF, 0),
        (RflagsBits::CF, eflags::CF, 0),
        (RflagsBits::PF, eflags::PF, 0),
        (RflagsBits::C0, 0, fsw::C0),
        (RflagsBits::C1, 0, fsw::C1),
        (RflagsBits::C2, 0, fsw::C2),
        (RflagsBits::C3, 0, fsw::C3),
    ];
    table
        .iter()
        .filter(|(b, _, _)| bits & b != 0)
        .fold((0, 0), |(r, s), (_, rb, sb)| (r | rb, s | sb))
}

/// The x87 status word's TOP field.
const TOP: u16 = 0x3800;

/// An MMX instruction that reads MMX registers and writes none (a store
/// to memory or a general register): a Sapphire Rapids host sets TOP to 0
/// after one, as after every MMX instruction, an EPYC host left it, so
/// TOP is not compared after one.
fn reads_mmx_only(i: &Instruction) -> bool {
    let mm = |k: u32| i.op_kind(k) == OpKind::Register && i.op_register(k).is_mm();
    let reads = (0..i.op_count()).any(mm);
    reads && !(i.op_count() > 0 && mm(0))
}

/// The undefined flags where a run stopped (`pc` of a fault, or the end).
fn undefined_at(insns: &[Instruction], a: &Analysis, pc: Option<u64>) -> u32 {
    match pc {
        None => a.undef_end,
        Some(pc) if pc == END => a.undef_end,
        Some(pc) => match insns.iter().position(|i| i.ip() == pc) {
            Some(k) => a.undef_before[k],
            None => a.undef_before.iter().fold(a.undef_end, |x, y| x | y),
        },
    }
}

/// The scratch bytes a store that faulted on the guard page above the
/// scratch page may have written before it faulted: a Sapphire Rapids host
/// writes the part of a page-crossing store below the fault, an EPYC host
/// wrote none of it. The widest such store is FXSAVE's 512 bytes.
fn torn_store(native: Option<&Fault>) -> std::ops::Range<usize> {
    match native.map(|f| &f.kind) {
        Some(FaultKind::PageFault { addr, .. }) if *addr == GUARD_HI => {
            (PAGE - 512) as usize..PAGE as usize
        }
        _ => 0..0,
    }
}

/// Faults agree in kind, pc and (for #PF) address. The #PF write bit is
/// not compared: the host reports a read-modify-write instruction's fault
/// as a write, ox86 as the read it faulted on.
fn same_fault(n: Option<&Fault>, e: Option<&Fault>) -> bool {
    match (n, e) {
        (Some(n), Some(e)) => {
            n.pc == e.pc
                && match (&n.kind, &e.kind) {
                    (
                        FaultKind::PageFault { addr: a, .. },
                        FaultKind::PageFault { addr: b, .. },
                    ) => a == b,
                    (a, b) => a == b,
                }
        }
        (n, e) => n.is_none() && e.is_none(),
    }
}

/// The differences between the native outcome and ox86's, one line each
/// (empty: they agree).
pub fn diff(insns: &[Instruction], a: &Analysis, native: &Outcome, emu: &Outcome) -> Vec<String> {
    let mut d = Vec::new();
    if !same_fault(native.fault.as_ref(), emu.fault.as_ref()) {
        d.push(format!(
            "fault: native {:x?}, ox86 {:x?}",
            native.fault, emu.fault
        ));
    }
    let pc = native.fault.as_ref().map(|f| f.pc);
    let (fl, mut fs) = masks(undefined_at(insns, a, pc));
    if insns.iter().any(reads_mmx_only) {
        fs |= TOP;
    }
    let (n, e) = (&native.regs, &emu.regs);
    for (i, name) in GPR_NAMES.iter().enumerate() {
        if n.gpr[i] != e.gpr[i] {
            d.push(format!(
                "{name}: native {:#x}, ox86 {:#x}",
                n.gpr[i], e.gpr[i]
            ));
        }
    }
    let m = !(fl | RF);
    if (n.rflags ^ e.rflags) & m != 0 {
        d.push(format!(
            "rflags (undefined {fl:#x} masked): native {:#x}, ox86 {:#x}",
            n.rflags & m,
            e.rflags & m
        ));
    }
    for i in 0..16 {
        if n.xmm[i] != e.xmm[i] {
            d.push(format!(
                "xmm{i}: native {:#034x}, ox86 {:#034x}",
                n.xmm[i], e.xmm[i]
            ));
        }
    }
    if n.mxcsr != e.mxcsr {
        d.push(format!("mxcsr: native {:#x}, ox86 {:#x}", n.mxcsr, e.mxcsr));
    }
    if n.fcw != e.fcw {
        d.push(format!("fcw: native {:#x}, ox86 {:#x}", n.fcw, e.fcw));
    }
    if (n.fsw ^ e.fsw) & !fs != 0 {
        d.push(format!(
            "fsw (undefined {fs:#x} masked): native {:#x}, ox86 {:#x}",
            n.fsw & !fs,
            e.fsw & !fs
        ));
    }
    if n.ftw != e.ftw {
        d.push(format!("ftw: native {:#x}, ox86 {:#x}", n.ftw, e.ftw));
    }
    for r in 0..8 {
        if n.st[r] != e.st[r] {
            d.push(format!(
                "R{r} (physical): native {}, ox86 {}",
                hex(&n.st[r]),
                hex(&e.st[r])
            ));
        }
    }
    let torn = torn_store(native.fault.as_ref());
    for (off, (x, y)) in native.mem.iter().zip(&emu.mem).enumerate() {
        if x != y && !torn.contains(&off) {
            d.push(format!("scratch[{off:#x}]: native {x:#04x}, ox86 {y:#04x}"));
            if d.len() > 40 {
                d.push("...".into());
                break;
            }
        }
    }
    d
}
