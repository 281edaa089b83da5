//! `--compare-engines`: for the first N TB runs, run each TB under the JIT,
//! undo its guest stores (logged through the JIT's store hook), run it again
//! under the interpreter from the same starting state, and compare the
//! whole guest state, exits and stored memory. The first difference is
//! reported with the TB's IR; then the comparison stops. Helpers run twice,
//! which is harmless as long as they write only `CpuState` (all do but the
//! host string instructions: other guest memory is written by IR stores
//! only). TBs calling helpers whose result differs from run to run (the
//! time-stamp counter, random numbers) or that write guest memory run
//! under the JIT only. The host MXCSR, where SSE helpers keep the guest's
//! exception flags, is saved and restored around the two runs too.

use crate::log::LogSink;
use crate::tb::Tb;
use ox86_interp::guest_mem;
use ox86_interp::TbExit;
use ox86_ir::Opcode;
use ox86_jit::{Jit, JitExit};
use ox86_x86::helpers;
use ox86_x86::CpuState;
use std::cell::RefCell;

/// Helpers whose TBs run under the JIT alone: their results differ
/// between two runs, or they write guest memory themselves (the host
/// string instructions of `ox86_x86::helpers::string`, which the store
/// hook does not see).
const UNCOMPARED: &[&str] = &["rdtsc", "rep_movs", "rep_stos"];

thread_local! {
    /// (address, size, old value) of each guest store since the last take.
    static STORES: RefCell<Vec<(u64, u64, u64)>> = const { RefCell::new(Vec::new()) };
}

/// The store hook generated code calls in comparison mode.
pub(crate) extern "sysv64" fn log_store(addr: u64, size: u64) {
    let r = match size {
        1 => guest_mem::ld8u(addr),
        2 => guest_mem::ld16u(addr),
        4 => guest_mem::ld32u(addr),
        _ => guest_mem::ld64(addr),
    };
    if r.fault == 0 {
        STORES.with(|s| s.borrow_mut().push((addr, size, r.value)));
    }
}

fn read(addr: u64, size: u64) -> u64 {
    match size {
        1 => guest_mem::ld8u(addr),
        2 => guest_mem::ld16u(addr),
        4 => guest_mem::ld32u(addr),
        _ => guest_mem::ld64(addr),
    }
    .value
}

fn write(addr: u64, size: u64, v: u64) {
    match size {
        1 => guest_mem::st8(addr, v),
        2 => guest_mem::st16(addr, v),
        4 => guest_mem::st32(addr, v),
        _ => guest_mem::st64(addr, v),
    };
}

/// The host MXCSR (SSE helpers keep guest exception flags there).
fn host_mxcsr() -> u32 {
    let mut v = 0u32;
    // SAFETY: STMXCSR stores 4 bytes to a valid local.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

fn set_host_mxcsr(v: u32) {
    // SAFETY: LDMXCSR of a value STMXCSR produced (no reserved bits set).
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
}

/// A bitwise copy of the CPU state.
fn snapshot(env: &CpuState) -> CpuState {
    // SAFETY: `CpuState` is plain data (integers and an AtomicU32) with no
    // drop glue; a bitwise copy is a valid value.
    unsafe { std::ptr::read(env) }
}

/// The architectural differences between two states, as text lines.
fn state_diff(j: &CpuState, i: &CpuState) -> Vec<String> {
    let mut d = Vec::new();
    let mut field = |name: String, a: u64, b: u64| {
        if a != b {
            d.push(format!("  {name}: jit {a:#x}, interp {b:#x}"));
        }
    };
    for r in 0..16 {
        let name = ox86_x86::cpu::GLOBALS[r].name.to_string();
        field(name, j.regs[r], i.regs[r]);
    }
    field("rip".into(), j.rip, i.rip);
    field("cc_op".into(), j.cc_op, i.cc_op);
    field("cc_dst".into(), j.cc_dst, i.cc_dst);
    field("cc_src".into(), j.cc_src, i.cc_src);
    field("cc_src2".into(), j.cc_src2, i.cc_src2);
    field("df".into(), j.df, i.df);
    field("fs_base".into(), j.fs_base, i.fs_base);
    field("gs_base".into(), j.gs_base, i.gs_base);
    field("eflags".into(), j.eflags, i.eflags);
    for x in 0..16 {
        for h in 0..2 {
            field(format!("xmm{x}[{h}]"), j.xmm[x][h], i.xmm[x][h]);
        }
    }
    field("mxcsr".into(), j.mxcsr as u64, i.mxcsr as u64);
    for r in 0..8 {
        for h in 0..2 {
            let half = |x: &CpuState| {
                u64::from_le_bytes(x.fpu.regs[r][8 * h..8 * h + 8].try_into().unwrap())
            };
            field(format!("fpu.regs[{r}][{h}]"), half(j), half(i));
        }
    }
    field("fpu.top".into(), j.fpu.top as u64, i.fpu.top as u64);
    field("fpu.fcw".into(), j.fpu.fcw as u64, i.fpu.fcw as u64);
    field("fpu.fsw".into(), j.fpu.fsw as u64, i.fpu.fsw as u64);
    field("fpu.ftw".into(), j.fpu.ftw as u64, i.fpu.ftw as u64);
    let (je, ie) = (&j.exception, &i.exception);
    field(
        "exception.pending".into(),
        je.pending as u64,
        ie.pending as u64,
    );
    if je.pending != 0 && ie.pending != 0 {
        field(
            "exception.vector".into(),
            je.vector as u64,
            ie.vector as u64,
        );
        field("exception.addr".into(), je.addr, ie.addr);
        field("exception.write".into(), je.write as u64, ie.write as u64);
        field("exception.bus".into(), je.bus as u64, ie.bus as u64);
    }
    d
}

/// The comparison state.
pub(crate) struct Compare {
    left: u64,
    compared: u64,
}

impl Compare {
    /// Compares the next `n` TB runs.
    pub fn new(n: u64) -> Compare {
        Compare {
            left: n,
            compared: 0,
        }
    }

    /// True while runs are still being compared.
    pub fn active(&self) -> bool {
        self.left > 0
    }

    /// Runs `tb` under the JIT (its result stands) and checks it against
    /// the interpreter. When the last comparison is done, the caller must
    /// flush the code cache (the TBs carry store-hook calls).
    pub fn run(
        &mut self,
        jit: &mut Jit,
        tb: &Tb,
        env: &mut CpuState,
        locals: &mut Vec<u64>,
        log: &mut LogSink,
    ) -> JitExit {
        self.left -= 1;
        let id = tb.jit.expect("JIT engine compiles every TB");
        let itb = tb.interp.as_ref().expect("comparison keeps the IR");
        let before = snapshot(env);
        let csr = host_mxcsr();
        STORES.with(|s| s.borrow_mut().clear());
        let r = jit.run(env, id);
        let jit_csr = host_mxcsr();
        let stores = STORES.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let deterministic = itb.ir.ops.iter().all(|op| {
            !matches!(op.opc, Opcode::Call | Opcode::CallPure)
                || !UNCOMPARED.contains(&helpers::by_id(op.consts[0] as u32).name)
        });
        if !deterministic {
            return r;
        }
        self.compared += 1;
        let after = snapshot(env);
        let jit_mem: Vec<u64> = stores.iter().map(|&(a, n, _)| read(a, n)).collect();
        for &(a, n, old) in stores.iter().rev() {
            write(a, n, old);
        }
        let mut ienv = snapshot(&before);
        set_host_mxcsr(csr);
        let ir_exit = ox86_interp::exec(itb, &mut ienv, locals);
        // A discarded global's value is undefined: the engines may differ.
        for op in itb.ir.ops.iter().filter(|op| op.opc == Opcode::Discard) {
            let off = ox86_x86::GLOBALS[op.outs[0].index()].offset;
            // SAFETY: `off` is a global's 8-byte field inside CpuState,
            // read from one state and written to another, distinct one.
            unsafe {
                let v = *((&after as *const CpuState as *const u8).add(off) as *const u64);
                *((&mut ienv as *mut CpuState as *mut u8).add(off) as *mut u64) = v;
            }
        }
        let mut diff = state_diff(&after, &ienv);
        let interp_csr = host_mxcsr();
        if jit_csr != interp_csr {
            diff.push(format!(
                "  host mxcsr: jit {jit_csr:#x}, interp {interp_csr:#x}"
            ));
        }
        set_host_mxcsr(jit_csr);
        let jit_left = r != JitExit::Exception;
        let interp_left = !matches!(ir_exit, TbExit::Exception(_));
        if jit_left != interp_left {
            diff.push(format!("  exit: jit {r:?}, interp {ir_exit:?}"));
        }
        for (k, &(a, n, _)) in stores.iter().enumerate() {
            let v = read(a, n);
            if v != jit_mem[k] {
                diff.push(format!(
                    "  memory [{a:#x}] ({n} bytes): jit {:#x}, interp {v:#x}",
                    jit_mem[k]
                ));
            }
        }
        // The interpreter's memory stands; restore the JIT's (equal) state.
        if !diff.is_empty() {
            let ir = ox86_ir::format_block(&itb.ir, &helpers::Names);
            log.write(&format!(
                "compare-engines: TB {:#x} differs after {} compared runs:\n{}\nIR:\n{ir}\n",
                tb.key.pc,
                self.compared,
                diff.join("\n")
            ));
            self.left = 0;
        }
        if self.left == 0 {
            log.write(&format!(
                "compare-engines: done, {} TB runs compared\n",
                self.compared
            ));
        }
        r
    }
}
