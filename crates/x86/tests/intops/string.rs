//! MOVS STOS LODS CMPS SCAS, all element sizes, without prefix and with
//! REP/REPE/REPNE, in both DF directions; and a fault in the middle of a
//! REP MOVS, which must leave RSI/RDI/RCX precise.

use crate::harness::*;
use ox86_x86::cpu::eflags::{ARITH, DF};
use ox86_x86::cpu::excp;

/// MOVSB STOSB LODSB CMPSB SCASB; the word/dword/qword form is opcode + 1.
const OPS: [u8; 5] = [0xa4, 0xaa, 0xac, 0xa6, 0xae];

fn string_insn(prefix: Option<u8>, op: u8, size: u32) -> Vec<u8> {
    let mut v: Vec<u8> = prefix.into_iter().collect();
    match size {
        2 => v.push(0x66),
        8 => v.push(0x48),
        _ => {}
    }
    v.push(if size == 1 { op } else { op + 1 });
    v
}

#[test]
fn string_ops() {
    let mut rng = Rng::new(0x57);
    for op in OPS {
        for size in [1u32, 2, 4, 8] {
            for prefix in [None, Some(0xf3), Some(0xf2)] {
                let code = string_insn(prefix, op, size);
                for t in 0..120 {
                    let mut case = rng.case();
                    let fill = rng.next();
                    let mut mem: Vec<u8> = (0..512).map(|i| (fill >> (i % 8 * 8)) as u8).collect();
                    // A few differences, so REPE/REPNE stop at varying points.
                    for _ in 0..(rng.next() % 4) {
                        let i = (rng.next() % 512) as usize;
                        mem[i] = rng.next() as u8;
                    }
                    case.state.mem = mem;
                    case.state.gpr[RSI] = 128 + (rng.next() % 8) * size as u64;
                    case.state.gpr[RDI] = 320 + (rng.next() % 8) * size as u64;
                    case.ptrs = vec![RSI, RDI];
                    case.state.gpr[RCX] = if t < 16 { t } else { rng.next() % 16 };
                    if t % 3 == 0 {
                        // SCAS: the accumulator matches the pattern.
                        case.state.gpr[RAX] = fill;
                    }
                    if t % 2 == 1 {
                        case.state.rflags |= DF;
                    }
                    check(&code, &case, ARITH);
                }
            }
        }
    }
}

/// The 32-bit address-size forms (67 prefix) use ESI, EDI and ECX and
/// ignore (then clear) their upper halves.
#[test]
fn string_ops_addr32() {
    let mut rng = Rng::new(0x67);
    for op in OPS {
        for size in [1u32, 8] {
            for prefix in [None, Some(0xf3), Some(0xf2)] {
                let mut code = string_insn(prefix, op, size);
                code.insert(prefix.is_some() as usize, 0x67);
                for t in 0..60 {
                    let mut case = rng.case();
                    case.state.mem = (0..512).map(|i| (i % 7) as u8).collect();
                    let junk = rng.next() << 32;
                    case.state.gpr[RSI] = junk | (128 + (rng.next() % 8) * size as u64);
                    case.state.gpr[RDI] = junk | (320 + (rng.next() % 8) * size as u64);
                    case.ptrs = vec![RSI, RDI];
                    // A count from 1: with ECX zero, whether RCX, RSI and
                    // RDI lose their upper halves is the core's choice (a
                    // Sapphire Rapids host clears them, an EPYC host kept
                    // them).
                    let count = if prefix.is_some() {
                        1 + rng.next() % 15
                    } else {
                        rng.next() % 16
                    };
                    case.state.gpr[RCX] = junk | count;
                    if t % 2 == 1 {
                        case.state.rflags |= DF;
                    }
                    check(&code, &case, ARITH);
                }
            }
        }
    }
}

/// REP MOVSB running into an unmapped page stops with #PF at the string
/// instruction, RCX counting the bytes not yet copied.
#[test]
fn rep_movs_fault_is_precise() {
    ox86_engine::signal::install();
    // SAFETY: two fresh anonymous pages; the second is made inaccessible
    // and both are unmapped at the end.
    let page = unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            8192,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        libc::mprotect(
            (p as *mut u8).add(4096) as *mut libc::c_void,
            4096,
            libc::PROT_NONE,
        );
        p as u64
    };
    let mut gpr = [0u64; 16];
    gpr[RSI] = page;
    gpr[RDI] = page + 4096 - 10;
    gpr[RCX] = 25;
    let code = [0xf3, 0xa4];
    let (after, end) = run_ox86(&code, &Case::regs(gpr, 0));
    assert_eq!(end, End::Exception(excp::PF, 0));
    assert_eq!(after.gpr[RCX], 15);
    assert_eq!(after.gpr[RSI], page + 10);
    assert_eq!(after.gpr[RDI], page + 4096);
    // SAFETY: unmaps the two pages mapped above.
    unsafe { libc::munmap(page as *mut libc::c_void, 8192) };
}
