//! The ox86 side: maps the code and scratch pages at the same addresses as
//! the native child (guest address == host address), loads the initial
//! state into a `CpuState`, and runs the sequence with one of ox86's
//! engines until it fetches from `END` (the end) or faults.

use crate::layout::{CODE, END, GUARD_HI, GUARD_LO, PAGE, SCRATCH};
use crate::outcome::{Fault, FaultKind, Outcome};
use crate::state::{Input, Regs};
use ox86_engine::{Engine, EngineKind, EngineOptions, Exit, GuestFault, LogSink};
use ox86_x86::cpu::X87State;
use ox86_x86::CpuState;
use std::sync::Once;

/// Maps the pages once per process: code and scratch read-write, the
/// page at `END` and the guard pages reserved without access.
fn map_pages() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        for (addr, prot) in [
            (CODE, rw),
            (END, libc::PROT_NONE),
            (GUARD_LO, libc::PROT_NONE),
            (SCRATCH, rw),
            (GUARD_HI, libc::PROT_NONE),
        ] {
            // SAFETY: a new private mapping at a fixed low address; the
            // NOREPLACE flag makes it fail rather than clobber anything.
            let p = unsafe {
                libc::mmap(
                    addr as *mut libc::c_void,
                    PAGE as usize,
                    prot,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                    -1,
                    0,
                )
            };
            assert_eq!(p as u64, addr, "cannot map the page at {addr:#x}");
        }
    });
}

/// One ox86 engine set up to run sequences.
pub struct Emu {
    engine: Engine,
}

/// `CpuState` from a register file.
pub fn cpu_state(r: &Regs, rip: u64) -> CpuState {
    let mut env = CpuState {
        regs: r.gpr,
        rip,
        mxcsr: r.mxcsr,
        gs_base: r.gs_base,
        ..Default::default()
    };
    env.set_rflags(r.rflags);
    for (x, v) in env.xmm.iter_mut().zip(r.xmm) {
        *x = [v as u64, (v >> 64) as u64];
    }
    let mut regs = [[0u8; 16]; 8];
    for (d, s) in regs.iter_mut().zip(r.st) {
        d[..10].copy_from_slice(&s);
    }
    env.fpu = X87State {
        regs,
        top: r.top() as u32,
        fcw: r.fcw,
        fsw: r.fsw & !(7 << 11),
        ftw: r.ftw,
        _pad: [0; 7],
    };
    env
}

/// The register file of a `CpuState`.
pub fn regs_of(env: &CpuState) -> Regs {
    let mut st = [[0u8; 10]; 8];
    for (d, s) in st.iter_mut().zip(env.fpu.regs) {
        d.copy_from_slice(&s[..10]);
    }
    Regs {
        gpr: env.regs,
        rflags: env.rflags(),
        xmm: env.xmm.map(|[lo, hi]| lo as u128 | (hi as u128) << 64),
        mxcsr: env.mxcsr,
        fcw: env.fpu.fcw,
        fsw: env.fpu.fsw | ((env.fpu.top as u16 & 7) << 11),
        ftw: env.fpu.ftw,
        st,
        gs_base: env.gs_base,
    }
}

impl Emu {
    /// An engine of `kind`.
    pub fn new(kind: EngineKind) -> Result<Emu, String> {
        map_pages();
        let opts = EngineOptions {
            kind,
            ..Default::default()
        };
        let engine = Engine::new(opts, LogSink::Stderr).map_err(|e| e.to_string())?;
        Ok(Emu { engine })
    }

    /// Runs `code` (ending at `END`) from `input` with scratch contents `mem`.
    pub fn run(&mut self, code: &[u8], input: &Input, mem: &[u8]) -> Outcome {
        let start = END - code.len() as u64;
        // SAFETY: the code and scratch pages are this module's mappings,
        // written only here and by the guest code run below.
        unsafe {
            std::ptr::write_bytes(CODE as *mut u8, 0xcc, PAGE as usize);
            std::ptr::copy_nonoverlapping(code.as_ptr(), start as *mut u8, code.len());
            std::ptr::copy_nonoverlapping(mem.as_ptr(), SCRATCH as *mut u8, PAGE as usize);
        }
        self.engine.invalidate(CODE, END);
        let mut env = cpu_state(&input.regs, start);
        ox86_x86::helpers::sse::clear_host_flags();
        let exit = self.engine.run(&mut env);
        ox86_x86::helpers::sse::sync_mxcsr_flags(&mut env);
        ox86_x86::helpers::sse::clear_host_flags();
        let kind = match exit {
            Exit::Fault(GuestFault::PageFault { addr, .. }) if addr == END && env.rip == END => {
                None
            }
            Exit::Fault(GuestFault::PageFault { addr, write, .. }) => {
                Some(FaultKind::PageFault { addr, write })
            }
            Exit::Fault(GuestFault::GeneralProtection) => Some(FaultKind::GeneralProtection),
            Exit::Fault(GuestFault::InvalidOpcode) => Some(FaultKind::InvalidOpcode),
            Exit::Fault(GuestFault::DivideError) => Some(FaultKind::DivideError),
            Exit::Fault(GuestFault::FloatingPoint) => Some(FaultKind::FloatingPoint),
            Exit::Fault(GuestFault::Breakpoint) => Some(FaultKind::Breakpoint),
            Exit::Fault(GuestFault::Unimplemented(i)) => {
                Some(FaultKind::Other(format!("unimplemented: {i}")))
            }
            Exit::Syscall => Some(FaultKind::Other("syscall".into())),
            Exit::Interrupted => Some(FaultKind::Other("interrupted".into())),
        };
        let mut mem = vec![0u8; PAGE as usize];
        // SAFETY: the scratch page is mapped and PAGE bytes long.
        unsafe {
            std::ptr::copy_nonoverlapping(SCRATCH as *const u8, mem.as_mut_ptr(), PAGE as usize)
        };
        Outcome {
            regs: regs_of(&env),
            mem,
            fault: kind.map(|kind| Fault { kind, pc: env.rip }),
        }
    }
}
