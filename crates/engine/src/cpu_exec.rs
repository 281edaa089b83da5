//! The exec loop (QEMU's `cpu_exec`): find the TB for the current rip
//! (jump cache, then the global hash, then translate), run it, follow its
//! exits, and return to the caller on a syscall, a guest exception or an
//! exit request.

use crate::cache::{JumpCache, TbCache};
use crate::log::{LogMask, LogSink};
use crate::tb::Tb;
use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use ox86_interp::{InterpTb, TbExit};
use ox86_x86::cpu::excp;
use ox86_x86::helpers;
use ox86_x86::{translate_tb, CodeFetch, CpuState, TbFlags};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Which backend runs TBs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The IR interpreter.
    #[default]
    Interp,
}

/// Engine settings from the command line.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineOptions {
    /// The backend.
    pub kind: EngineKind,
    /// `-d` items.
    pub log: LogMask,
    /// One guest instruction per TB.
    pub one_insn_per_tb: bool,
}

/// A guest exception, as the CPU reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestFault {
    /// #UD: undefined or invalid opcode.
    InvalidOpcode,
    /// An instruction ox86 decodes but does not implement (its text).
    Unimplemented(String),
    /// #DE.
    DivideError,
    /// #BP (int3); rip is after the instruction.
    Breakpoint,
    /// #GP (privileged instruction, misaligned SSE access, ...).
    GeneralProtection,
    /// #PF: `addr` not mapped (or not accessible).
    PageFault {
        /// The faulting address.
        addr: u64,
        /// True for a write access.
        write: bool,
        /// The host reported a bus error (e.g. beyond the end of a mapped file).
        bus: bool,
    },
    /// #MF or #XM: an unmasked floating-point exception.
    FloatingPoint,
}

/// Why the exec loop returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The guest executed `syscall`; rip is after it.
    Syscall,
    /// A guest exception at `CpuState.rip`.
    Fault(GuestFault),
    /// `exit_request` was set.
    Interrupted,
}

/// Counters for `--stats`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// TBs translated.
    pub tbs_translated: u64,
    /// Guest instructions translated.
    pub insns_translated: u64,
    /// Time spent translating, in nanoseconds.
    pub translate_ns: u64,
    /// TBs executed.
    pub tbs_executed: u64,
    /// Jump-cache hits.
    pub jmp_cache_hits: u64,
    /// Jump-cache lookups.
    pub jmp_cache_lookups: u64,
}

/// One vCPU's engine: its caches, options and log.
pub struct Engine {
    /// Settings.
    pub opts: EngineOptions,
    /// The global TB hash.
    pub cache: TbCache,
    jmp: JumpCache,
    locals: Vec<u64>,
    log: LogSink,
    /// Counters.
    pub stats: Stats,
}

struct GuestCode;

impl CodeFetch for GuestCode {
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        for (i, b) in buf.iter_mut().enumerate() {
            let r = ox86_interp::guest_mem::ld8u(addr.wrapping_add(i as u64));
            if r.fault != 0 {
                return i;
            }
            *b = r.value as u8;
        }
        buf.len()
    }
}

impl Engine {
    /// A new engine; installs the host fault handler.
    pub fn new(opts: EngineOptions, log: LogSink) -> Engine {
        crate::signal::install();
        Engine {
            opts,
            cache: TbCache::default(),
            jmp: JumpCache::default(),
            locals: Vec::new(),
            log,
            stats: Stats::default(),
        }
    }

    /// Drops TBs overlapping `[start, end)` (guest code changed or unmapped).
    pub fn invalidate(&mut self, start: u64, end: u64) {
        self.cache.invalidate_range(start, end);
    }

    fn translate(&mut self, pc: u64) -> Arc<Tb> {
        let t0 = std::time::Instant::now();
        let flags = TbFlags {
            max_insns: if self.opts.one_insn_per_tb {
                1
            } else {
                TbFlags::default().max_insns
            },
        };
        let mut t = translate_tb(pc, &mut GuestCode, flags);
        if self.opts.log.op {
            let text = ox86_ir::format_block(&t.ir, &helpers::Names);
            self.log.write(&format!("OP:\n{text}\n"));
        }
        ox86_ir::opt::optimize(&mut t.ir);
        if cfg!(debug_assertions) {
            if let Err(e) = ox86_ir::verify(&t.ir, &helpers::Names, helpers::count()) {
                panic!("translator produced invalid IR at {pc:#x}: {e}");
            }
        }
        self.stats.translate_ns += t0.elapsed().as_nanos() as u64;
        self.stats.tbs_translated += 1;
        self.stats.insns_translated += t.n_insns as u64;
        if self.opts.log.in_asm {
            let text = disassemble(pc, t.size);
            self.log.write(&format!("----------------\nIN: \n{text}\n"));
        }
        if self.opts.log.op_opt {
            let text = ox86_ir::format_block(&t.ir, &helpers::Names);
            self.log.write(&format!("OP after optimization:\n{text}\n"));
        }
        let tb = Arc::new(Tb {
            pc,
            flags: 0,
            size: t.size,
            n_insns: t.n_insns,
            interp: InterpTb::new(t.ir),
        });
        self.cache.insert(tb.clone());
        tb
    }

    fn lookup(&mut self, pc: u64) -> Arc<Tb> {
        self.stats.jmp_cache_lookups += 1;
        if let Some(tb) = self.jmp.get(pc, self.cache.generation) {
            self.stats.jmp_cache_hits += 1;
            return tb;
        }
        let tb = match self.cache.get(pc, 0) {
            Some(tb) => tb.clone(),
            None => self.translate(pc),
        };
        self.jmp.set(tb.clone());
        tb
    }

    /// Runs guest code from `env.rip` until a syscall, a fault or an exit request.
    pub fn run(&mut self, env: &mut CpuState) -> Exit {
        loop {
            if env.exit_request.swap(0, Ordering::AcqRel) != 0 {
                return Exit::Interrupted;
            }
            let tb = self.lookup(env.rip);
            if self.opts.log.exec {
                self.log.write(&format!("Trace 0: [{:016x}]\n", tb.pc));
            }
            self.stats.tbs_executed += 1;
            match ox86_interp::exec(&tb.interp, env, &mut self.locals) {
                TbExit::Direct(_) | TbExit::Indirect => {}
                TbExit::Exception(_) => return self.exception(env),
            }
        }
    }

    fn exception(&mut self, env: &mut CpuState) -> Exit {
        let e = env.exception;
        env.exception.pending = 0;
        let fault = match e.vector as u64 {
            excp::SYSCALL => return Exit::Syscall,
            excp::DE => GuestFault::DivideError,
            excp::BP => GuestFault::Breakpoint,
            excp::UD => GuestFault::InvalidOpcode,
            excp::GP | excp::HLT => GuestFault::GeneralProtection,
            excp::PF => GuestFault::PageFault {
                addr: e.addr,
                write: e.write != 0,
                bus: e.bus != 0,
            },
            excp::MF | excp::XM => GuestFault::FloatingPoint,
            excp::UNIMPLEMENTED => {
                let text = disassemble(env.rip, 1);
                let insn = text.split_once(":  ").map_or(text.as_str(), |(_, i)| i);
                GuestFault::Unimplemented(insn.to_string())
            }
            _ => GuestFault::GeneralProtection,
        };
        Exit::Fault(fault)
    }
}

/// Intel-syntax disassembly of the guest instructions in `[pc, pc + size)`,
/// one `0x...:  insn` line each (at least one instruction).
pub fn disassemble(pc: u64, size: u64) -> String {
    let mut bytes = vec![0u8; (size + 15) as usize];
    let n = GuestCode.fetch(pc, &mut bytes);
    let mut dec = Decoder::with_ip(64, &bytes[..n], pc, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut out = String::new();
    let mut text = String::new();
    while dec.can_decode() && (dec.ip() < pc + size || out.is_empty()) {
        let insn = dec.decode();
        text.clear();
        fmt.format(&insn, &mut text);
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("0x{:016x}:  {}", insn.ip(), text));
    }
    out
}
