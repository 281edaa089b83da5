//! The exec loop (QEMU's `cpu_exec`): find the TB for the current rip
//! (jump cache, then the global hash, then translate), run it, follow its
//! exits, and return to the caller on a syscall, a guest exception or an
//! exit request.

use crate::background::{Background, Done, JobIr};
use crate::cache::{JumpCache, TbCache};
use crate::log::{LogMask, LogSink};
use crate::page_protect::{Extents, PageProtect};
use crate::perfmap::PerfMap;
use crate::tb::Tb;
use crate::tier::FirstTier;
use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use ox86_interp::{InterpTb, TbExit};
use ox86_ir::Opcode;
use ox86_jit::{Jit, JitError, JitExit, JitOptions, TbId};
use ox86_x86::cpu::excp;
use ox86_x86::helpers;
use ox86_x86::translate::Mode;
use ox86_x86::translate::TranslatedTb;
use ox86_x86::{translate_tb_into, CodeFetch, CpuState, TbFlags};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Which backend runs TBs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The x86-64 JIT.
    #[default]
    Jit,
    /// The IR interpreter.
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
    /// Collect the statistics `--stats` prints (costs a little speed).
    pub stats: bool,
    /// JIT: check each TB against the interpreter for this many TB runs.
    pub compare_engines: u64,
    /// JIT: code cache size in bytes (0: the default).
    pub code_cache_size: usize,
    /// JIT: list each compiled TB in `/tmp/perf-PID.map` for `perf`.
    pub perfmap: bool,
    /// JIT, user mode: compile a TB on its `jit_after`th run; the runs
    /// before go to the interpreter (0 or 1: compile every TB at once).
    pub jit_after: u32,
    /// JIT, user mode: whether to compile on a second host thread
    /// (`background`) while the guest runs, in the interpreter for code
    /// still waiting.
    pub compile_thread: CompileThread,
    /// JIT, user mode: compiled loops go round by jumps an exit request
    /// repoints (`ox86_jit::JitOptions::patch_back_edges`); only for a
    /// guest whose requests come from the host signal handler on its own
    /// thread.
    pub patch_back_edges: bool,
}

/// When the JIT compiles on a second host thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompileThread {
    /// Never: everything is compiled on the guest's thread.
    #[default]
    Off,
    /// When a CPU is idle for it as the guest starts to need compiles, or
    /// later (`idle_cpu`): the thread's extra work (code is translated twice and
    /// interpreted while it waits) pays only with a CPU of its own.
    Auto,
    /// Always (tests).
    On,
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
    /// TBs compiled (JIT).
    pub tbs_compiled: u64,
    /// Guest instructions translated.
    pub insns_translated: u64,
    /// TB runs in the interpreter before the TB was compiled (`jit_after`).
    pub tbs_interpreted: u64,
    /// Thread CPU time spent translating, in nanoseconds.
    pub translate_ns: u64,
    /// TBs executed.
    pub tbs_executed: u64,
    /// Jump-cache hits.
    pub jmp_cache_hits: u64,
    /// Jump-cache lookups.
    pub jmp_cache_lookups: u64,
    /// Exec-loop jump-cache misses whose TB was cached.
    pub jmp_cache_conflicts: u64,
    /// Direct exits chained (jumps patched) by the JIT.
    pub chained_exits: u64,
    /// Bytes of host code generated (since the last flush, stubs included).
    pub code_bytes: u64,
    /// Code cache flushes.
    pub cache_flushes: u64,
}

/// Chained jumps back between two samples of the loop they close (see
/// `Engine::loop_head`): a loop that runs this often is worth translating
/// again as a region.
const LOOP_SAMPLE: u32 = 8192;

/// Jump-cache misses of cached TBs (conflicts in the direct-mapped
/// table) after which the jump table and jump cache grow (see
/// `ox86_jit::jmp_table`). gcc's cc1 (175,000 TBs) has 1.4 million of them
/// with the small table, a fifth of its run time.
const CONFLICTS_TO_GROW: u64 = 20_000;

/// How long a host found busy goes without another look (`idle_cpu`).
const IDLE_RECHECK: std::time::Duration = std::time::Duration::from_millis(20);

/// TBs waiting for the compile thread at most: past that, code due for
/// compiling is interpreted again and counted again, and a loop region
/// is compiled at once (on the thread, waited for). This bounds
/// the memory of the TBs cached for the interpreter meanwhile (sqlite's
/// start-up had a thousand waiting, 2.6 MB of IR; with 256 its peak RSS is
/// that without the thread) and costs nothing measurable.
const MAX_PENDING: usize = 256;

/// Runs in the interpreter after which a TB whose code waits for the
/// compile thread goes ahead of the jobs queued after it.
const BOOST_AFTER: u32 = 8;

/// What `run_first_tier` did.
enum FirstTierRun {
    /// Compiled and cached the TB, for the caller to run.
    Compiled(Arc<Tb>),
    /// Interpreted the code; `Some` when the exec loop must stop.
    Interpreted(Option<Exit>),
}

/// One vCPU's engine: its caches, options and log.
pub struct Engine {
    /// Settings.
    pub opts: EngineOptions,
    /// The global TB hash.
    pub cache: TbCache,
    pub(crate) jmp: JumpCache,
    /// Whether the lazy flags are exact wherever guest code may fault (see
    /// `set_precise_faults`).
    precise_faults: bool,
    pub(crate) locals: Vec<u64>,
    pub(crate) jit: Option<Jit>,
    pub(crate) log: LogSink,
    /// Counters (read them through `stats()`).
    pub(crate) stats: Stats,
    compare: crate::compare::Compare,
    /// System-mode bookkeeping.
    pub(crate) sys: crate::system::SysState,
    /// The optimiser's buffers, reused for every TB.
    opt: ox86_ir::opt::Optimizer,
    /// Code not yet compiled (`run_first_tier`).
    tier: FirstTier,
    /// Pcs found to head a loop of chained TBs (see `loop_head`).
    loop_heads: std::collections::HashSet<u64, crate::hash::BuildWordHasher>,
    /// Pcs whose TBs found MXCSR not the default at their entry: compiled
    /// again, and from then on, with a check at each floating-point
    /// instruction (see `ox86_jit::JitExit::MxcsrNotDefault`).
    mxcsr_per_insn: std::collections::HashSet<u64, crate::hash::BuildWordHasher>,
    /// The last TB's IR when nothing kept it: its buffer is reused.
    spare_ir: Option<ox86_ir::IrBlock>,
    /// When `idle_cpu` last found the host busy, the thread not started.
    busy_at: Option<std::time::Instant>,
    /// Op buffers of queued TBs' IR back from installed TBs, for the next
    /// TBs queued: a queued TB's IR is a copy (see `submit`), and copies
    /// of several kilobytes each were the allocator's slowest work.
    queued_ops: Vec<Vec<ox86_ir::Op>>,
    /// `--perfmap`: where compiled TBs are listed for `perf`.
    perfmap: Option<PerfMap>,
    /// The compile thread, when there is one.
    pub(crate) bg: Option<Background>,
    /// Submitted jobs by number, with the TB cached meanwhile: an
    /// interpreted one, or the compiled TB a loop region replaces
    /// (compiles waited for are not here).
    pending: HashMap<u64, Arc<Tb>, crate::hash::BuildWordHasher>,
    /// By pc, the submitted job of an interpreted TB and how often the
    /// TB ran in the interpreter since (see `BOOST_AFTER`).
    waiting: HashMap<u64, (u64, u32), crate::hash::BuildWordHasher>,
    /// Pcs whose TB needs fewer instructions to compile (too many spill
    /// slots): compiled on the exec loop's thread, which retranslates.
    spilled: std::collections::HashSet<u64, crate::hash::BuildWordHasher>,
    /// Direct exits of compiled TBs that went to a pc whose code was not
    /// compiled yet, by that pc: chained as it is installed
    /// (`chain_eagerly`).
    unchained: HashMap<u64, Vec<(TbId, usize)>, crate::hash::BuildWordHasher>,
    /// User mode: the guest's executable mappings, and the pages of those
    /// it may also write that are write-protected for their TBs.
    page_protect: PageProtect,
    /// `code_written` gave a page back to a guest store: the store runs
    /// next, alone (`run_written_store`).
    written_store: bool,
    /// Code is fetched only from executable memory (`enforce_no_execute`).
    no_execute: bool,
}

/// Guest code as the translator fetches it in user mode: readable bytes,
/// and with `executable` only those in executable memory (the rest
/// faults as unmapped memory does).
struct GuestCode {
    executable: Option<Extents>,
}

impl CodeFetch for GuestCode {
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        use ox86_interp::guest_mem::{ld64, ld8u};
        let buf = match &self.executable {
            Some(extents) => {
                let i = extents.partition_point(|&(_, end)| end <= addr);
                match extents.get(i) {
                    Some(&(start, end)) if start <= addr => {
                        let n = (end - addr).min(buf.len() as u64) as usize;
                        &mut buf[..n]
                    }
                    _ => return 0,
                }
            }
            None => buf,
        };
        // Eight bytes at a time while they are readable, then byte by
        // byte up to the first unreadable one.
        let mut done = 0;
        while buf.len() - done >= 8 {
            let r = ld64(addr.wrapping_add(done as u64));
            if r.fault != 0 {
                break;
            }
            buf[done..done + 8].copy_from_slice(&r.value.to_le_bytes());
            done += 8;
        }
        for (i, b) in buf.iter_mut().enumerate().skip(done) {
            let r = ld8u(addr.wrapping_add(i as u64));
            if r.fault != 0 {
                return i;
            }
            *b = r.value as u8;
        }
        buf.len()
    }
}

impl Engine {
    /// A new engine; installs the host fault handler. Fails if the JIT
    /// cannot start (no executable memory, unsupported host CPU).
    pub fn new(opts: EngineOptions, log: LogSink) -> Result<Engine, JitError> {
        crate::signal::install();
        let jit = match opts.kind {
            EngineKind::Jit => Some(Jit::new(JitOptions {
                cache_size: match opts.code_cache_size {
                    0 => JitOptions::default().cache_size,
                    n => n,
                },
                count_hits: opts.stats,
                check: (opts.compare_engines > 0)
                    .then_some(crate::compare::log_store as ox86_jit::StoreHook),
                patch_back_edges: opts.patch_back_edges,
                ..JitOptions::default()
            })?),
            EngineKind::Interp => None,
        };
        let bg = match &jit {
            Some(jit)
                if opts.compile_thread != CompileThread::Off
                    && opts.jit_after > 1
                    && opts.compare_engines == 0
                    && opts.log == LogMask::default() =>
            {
                Some(Background::new(jit.compiler(), opts.stats))
            }
            _ => None,
        };
        let perfmap = match (opts.perfmap, &jit) {
            (true, Some(_)) => PerfMap::create()
                .map_err(|e| eprintln!("ox86: no perf map: {}: {e}", PerfMap::path()))
                .ok(),
            _ => None,
        };
        Ok(Engine {
            opts,
            cache: TbCache::default(),
            jmp: JumpCache::default(),
            precise_faults: true,
            locals: Vec::new(),
            jit,
            log,
            stats: Stats::default(),
            compare: crate::compare::Compare::new(opts.compare_engines),
            sys: Default::default(),
            opt: Default::default(),
            spare_ir: None,
            queued_ops: Vec::new(),
            busy_at: None,
            tier: FirstTier::default(),
            loop_heads: Default::default(),
            mxcsr_per_insn: Default::default(),
            perfmap,
            bg,
            pending: Default::default(),
            waiting: Default::default(),
            spilled: Default::default(),
            unchained: Default::default(),
            page_protect: PageProtect::default(),
            written_store: false,
            no_execute: false,
        })
    }

    /// The counters, JIT figures included.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        if let Some(jit) = &self.jit {
            let inline = jit.jump_hits();
            s.jmp_cache_hits += inline;
            s.jmp_cache_lookups += inline;
            s.chained_exits = jit.chains;
            s.tbs_compiled = jit.compiled;
            s.code_bytes = jit.code_bytes() as u64;
            s.cache_flushes = jit.flushes;
        }
        s
    }

    /// Writes `text` to the `-d` log.
    pub fn log(&mut self, text: &str) {
        self.log.write(text);
    }

    /// Drops TBs overlapping `[start, end)` (guest code changed or unmapped).
    pub fn invalidate(&mut self, start: u64, end: u64) {
        // New code there may head loops again.
        self.loop_heads.retain(|&pc| pc < start || pc >= end);
        let gone = self.cache.invalidate_range(start, end);
        if let Some(jit) = &mut self.jit {
            for tb in gone {
                if let Some(id) = tb.jit {
                    jit.invalidate(id);
                }
            }
        }
    }

    /// Whether the lazy flags (the guest's arithmetic flags) are exact
    /// wherever guest code may fault. Only a guest handler of the signal a
    /// fault raises sees them there, so a user-mode process without one
    /// runs without (its flag computations that only a fault would read
    /// are left out; `IrBlock::unobserved_at_faults`), and the guest's
    /// first such handler turns them on for good: every TB translated
    /// without goes. Engine comparison keeps them on.
    /// A guest with writable and executable memory has them on too: a
    /// store to code there faults and runs again (`code_written`).
    pub fn set_precise_faults(&mut self, precise: bool) {
        let precise = precise || self.compare.active() || self.page_protect.watching();
        if precise != self.precise_faults {
            self.precise_faults = precise;
            self.flush();
        }
    }

    /// User mode: the guest's protection of `[start, end)` is now `prot`
    /// (0: unmapped), as the host already has it. Code translated from a
    /// mapping both writable and executable write-protects its page until
    /// the guest stores there (`code_written`). True if executable memory
    /// was or is in the range.
    pub fn set_guest_prot(&mut self, start: u64, end: u64, prot: i32) -> bool {
        let executable = self.page_protect.set_prot(start, end, prot);
        if self.page_protect.watching() && !self.precise_faults {
            self.set_precise_faults(true);
        }
        executable
    }

    /// Whether the guest may execute some of `[start, end)`: only there
    /// can code have been translated.
    pub fn executable_in(&self, start: u64, end: u64) -> bool {
        self.page_protect.executable_in(start, end)
    }

    /// The guest protection of the page at `addr` if it is executable.
    pub fn exec_prot(&self, addr: u64) -> Option<i32> {
        self.page_protect.prot_of(addr)
    }

    /// From now on code is fetched only from memory `set_guest_prot` made
    /// executable, as the CPU's no-execute bit has it (user mode, with
    /// every guest mapping told).
    pub fn enforce_no_execute(&mut self) {
        self.no_execute = true;
    }

    /// How the translator fetches guest code.
    fn guest_code(&mut self) -> GuestCode {
        GuestCode {
            executable: self.no_execute.then(|| self.page_protect.extents()),
        }
    }

    /// A guest store to `addr` faulted: if the page is write-protected for
    /// its TBs, it gets its guest protection back and its TBs go; true
    /// then (the store is to run again rather than raise SIGSEGV).
    pub fn code_written(&mut self, addr: u64) -> bool {
        self.written_store = self.release_code(addr, addr.saturating_add(1));
        self.written_store
    }

    /// Runs the store `code_written` let through: the one instruction at
    /// `env.rip`, translated without write-protecting its page (which
    /// would fault it again) and dropped after. Code translated after it
    /// protects the page again; an instruction after the store in the
    /// same TB would have been decoded before the store changed it.
    fn run_written_store(&mut self, env: &mut CpuState) -> Option<Exit> {
        let pc = env.rip;
        let mut code = self.guest_code();
        let t = self.front(pc, &mut code, Mode::USER64, 1, false, None);
        self.written_store = false;
        let itb = InterpTb::new(t.ir);
        let exit = self.interpret_ir_exit(env, pc, &itb).err();
        self.spare_ir = Some(itb.ir);
        exit
    }

    /// Gives the pages of `[start, end)` write-protected for their TBs
    /// their guest protection back and drops their TBs (before the host
    /// writes there for the guest, or moves them); true if there were such.
    pub fn release_code(&mut self, start: u64, end: u64) -> bool {
        if !self.page_protect.any_protected() {
            return false;
        }
        let pages = self.page_protect.unprotect(start, end);
        for &page in &pages {
            self.invalidate(page, page + ox86_x86::translate::PAGE_SIZE);
        }
        !pages.is_empty()
    }

    /// Drops every TB and the JIT's code.
    pub(crate) fn flush(&mut self) {
        self.cache.flush();
        self.unchained.clear();
        if let Some(jit) = &mut self.jit {
            jit.flush();
            if let Some(bg) = &mut self.bg {
                bg.restart(jit.next_slot());
                self.pending.clear();
                self.waiting.clear();
            }
        }
    }

    fn translate(&mut self, pc: u64) -> Arc<Tb> {
        let max = self.max_insns();
        let mut code = self.guest_code();
        let tb = Arc::new(self.build_tb(pc, &mut code, Mode::USER64, max, None));
        self.cache.insert(tb.clone());
        tb
    }

    fn max_insns(&self) -> usize {
        if self.opts.one_insn_per_tb {
            1
        } else {
            TbFlags::default().max_insns
        }
    }

    /// Whether the code at `pc` starts in the interpreter (JIT engine, user
    /// mode, `jit_after` above 1, no engine comparison; start-up code, or
    /// any code with the compile thread).
    fn tiered(&self, pc: u64) -> bool {
        self.jit.is_some()
            && self.opts.jit_after > 1
            && !self.compare.active()
            && (self.bg.as_ref().is_some_and(|bg| bg.started()) || self.tier.admits(pc))
    }

    /// A run of the code at `env.rip`, which has no cached TB, in the
    /// first tier (`tier.rs`): interpreted on each of its first
    /// `jit_after - 1` runs, compiled and cached on the next (or, with the
    /// compile thread, submitted to it and interpreted: `submit`).
    fn run_first_tier(&mut self, env: &mut CpuState) -> FirstTierRun {
        let pc = env.rip;
        let (runs, seen_target) = self.tier.count_run(pc, self.opts.jit_after);
        let due = runs >= self.opts.jit_after;
        let spilled = self.spilled.contains(&pc);
        // With the compile thread's queue full, the code is interpreted
        // again (and counted again) rather than compiled and waited for.
        let full = self.pending.len() >= MAX_PENDING && self.bg.is_some();
        if due && (spilled || !full) {
            if !spilled && self.compile_thread() {
                return FirstTierRun::Interpreted(self.submit(env, seen_target));
            }
            let max = self.max_insns();
            let mut code = self.guest_code();
            let tb = Arc::new(self.build_tb(pc, &mut code, Mode::USER64, max, seen_target));
            self.cache.insert(tb.clone());
            self.jmp.set(tb.clone());
            if let Some(id) = tb.jit {
                self.chain_eagerly(id, pc);
            }
            return FirstTierRun::Compiled(tb);
        }
        // Run once and dropped: no `Tb` is built for it.
        let mut code = self.guest_code();
        let t = self.front(pc, &mut code, Mode::USER64, self.max_insns(), false, None);
        let itb = InterpTb::new(t.ir);
        self.stats.tbs_interpreted += 1;
        let exit = self.interpret_ir_exit(env, pc, &itb);
        // Where its indirect CALL or JMP went (not a RET: see `seen_target`).
        let noted = |opc| matches!(opc, Opcode::LookupCall | Opcode::LookupAndGotoPtr);
        if exit == Ok(true) && itb.ir.ops.last().is_some_and(|op| noted(op.opc)) {
            self.tier.note_target(pc, env.rip);
        }
        let exit = exit.err();
        // The translator's buffer goes back for reuse.
        self.spare_ir = Some(itb.ir);
        FirstTierRun::Interpreted(exit)
    }

    /// The code at `env.rip`, due for compiling, goes to the compile
    /// thread; meanwhile its TB is cached for the interpreter, which runs
    /// it now and until the code is installed (`install`).
    fn submit(&mut self, env: &mut CpuState, seen_target: Option<u64>) -> Option<Exit> {
        let pc = env.rip;
        let max = self.max_insns();
        let mut code = self.guest_code();
        let t = self.front(pc, &mut code, Mode::USER64, max, true, seen_target);
        let mxcsr_at_entry = !self.mxcsr_per_insn.contains(&pc);
        let ir = self.queued_copy(&t.ir);
        let tb = Arc::new(interpreted_tb(pc, &t, ir));
        self.spare_ir = Some(t.ir);
        self.cache.insert(tb.clone());
        self.jmp.set(tb.clone());
        let bg = self.bg.as_mut().expect("a compile thread");
        let seq = bg.submit(pc, JobIr::Cached(tb.clone()), mxcsr_at_entry);
        self.pending.insert(seq, tb.clone());
        self.waiting.insert(pc, (seq, 0));
        self.stats.tbs_interpreted += 1;
        self.interpret(env, &tb)
    }

    /// A copy of `ir` to queue, the translator's buffer kept for reuse:
    /// queued TBs are many at times (sqlite's start-up), and that buffer
    /// is several times larger than most TBs need. The copy's buffer is
    /// one an installed TB gave back (`reclaim`), if there is one.
    fn queued_copy(&mut self, ir: &ox86_ir::IrBlock) -> ox86_ir::IrBlock {
        let mut ops = self.queued_ops.pop().unwrap_or_default();
        ops.clear();
        ops.extend_from_slice(&ir.ops);
        ox86_ir::IrBlock {
            ops,
            globals: ir.globals,
            n_temps: ir.n_temps,
            n_labels: ir.n_labels,
            unobserved_at_faults: ir.unobserved_at_faults,
        }
    }

    /// Keeps the op buffer of a queued TB that nothing else holds now
    /// for `queued_copy` (a few dozen buffers at most, none of a large TB:
    /// the queue's own size bounds the memory they take).
    fn reclaim(&mut self, tb: Arc<Tb>) {
        const KEPT: usize = 64;
        const LARGEST: usize = 512;
        if self.queued_ops.len() >= KEPT {
            return;
        }
        if let Some(mut itb) = Arc::into_inner(tb).and_then(|tb| tb.interp) {
            if itb.ir.ops.capacity() <= LARGEST {
                self.queued_ops.push(std::mem::take(&mut itb.ir.ops));
            }
        }
    }

    /// Installs every job the compile thread has finished.
    pub(crate) fn install_finished(&mut self) {
        while let Some(done) = self.bg.as_mut().and_then(|bg| bg.poll()) {
            self.install(done);
        }
    }

    /// Installs a finished job: a submitted TB replaces its interpreted
    /// form in the caches (unless that was dropped meanwhile: the code
    /// changed, or the pc became a loop region); returns the TB's id.
    fn install(&mut self, done: Done) -> Option<TbId> {
        let Done {
            seq,
            epoch,
            pc,
            result,
            ir,
            ns,
        } = done;
        // The TB the job was made from, which knows the code it covers.
        let made_from = match ir {
            JobIr::Optimised(ir) => {
                self.spare_ir = Some(ir);
                None
            }
            JobIr::Cached(tb) => Some(tb),
        };
        let bg = self.bg.as_mut().expect("a compile thread");
        if epoch != bg.epoch() {
            if let Ok(c) = result {
                bg.recycle(c);
            }
            return None;
        }
        self.stats.translate_ns += ns;
        self.waiting.remove(&pc);
        let waiting = self.pending.remove(&seq);
        let c = match result {
            Ok(c) => c,
            Err(JitError::CacheFull) => {
                self.flush();
                return None;
            }
            Err(JitError::TooManySpills(_)) => {
                // Translated again, shorter, by the exec loop's thread.
                self.spilled.insert(pc);
                // (A compiled TB waiting for its loop region stays.)
                if let Some(old) = waiting.filter(|old| old.jit.is_none() && self.caches(old)) {
                    self.cache.remove(&old);
                }
                return None;
            }
            Err(e) => panic!("cannot compile the TB at {pc:#x}: {e}"),
        };
        let jit = self.jit.as_mut().expect("JIT engine");
        let id = jit.install(&c);
        bg.recycle(c);
        if let Some(map) = &mut self.perfmap {
            let (start, len) = jit.code_range(id);
            map.record(start, len, pc);
        }
        let Some(old) = waiting else {
            return Some(id);
        };
        if !self.caches(&old) {
            let jit = self.jit.as_mut().expect("JIT engine");
            jit.invalidate(id);
            return None;
        }
        if let Some(old_id) = old.jit {
            // A loop region replaces the code compiled before it.
            self.jit_mut().invalidate(old_id);
        }
        let covers = made_from.as_ref().unwrap_or(&old);
        let tb = Arc::new(Tb {
            key: old.key,
            phys2: None,
            size: covers.size,
            n_insns: covers.n_insns,
            lookahead: covers.lookahead,
            interp: None,
            jit: Some(id),
        });
        self.cache.insert(tb.clone());
        self.jmp.set(tb);
        if let Some(made_from) = made_from {
            self.reclaim(made_from);
        }
        self.reclaim(old);
        self.chain_eagerly(id, pc);
        Some(id)
    }

    /// Whether there is a compile thread, started now if need be (without
    /// one, the code is compiled on this thread). With `Auto`, a host
    /// found busy is looked at again `IDLE_RECHECK` later: a task that was
    /// runnable for a moment (the parent not yet waiting, a pipeline's
    /// other end starting) does not keep the thread off for the run.
    fn compile_thread(&mut self) -> bool {
        let Some(bg) = &self.bg else {
            return false;
        };
        if !bg.started() && self.opts.compile_thread == CompileThread::Auto {
            if self.busy_at.is_some_and(|t| t.elapsed() < IDLE_RECHECK) {
                return false;
            }
            if !idle_cpu() {
                self.busy_at = Some(std::time::Instant::now());
                return false;
            }
            if self.busy_at.is_some() {
                // This thread compiled meanwhile: the thread goes on after.
                let compiler = self.jit_compiler();
                self.bg.as_mut().expect("a compile thread").renew(compiler);
            }
        }
        let bg = self.bg.as_mut().expect("a compile thread");
        if let Err(e) = bg.start() {
            eprintln!("ox86: no compile thread: {e}");
            self.stop_compile_thread();
            return false;
        }
        true
    }

    /// Whether `tb` is still the cached TB at its key.
    fn caches(&self, tb: &Arc<Tb>) -> bool {
        self.cache.get(&tb.key).is_some_and(|t| Arc::ptr_eq(t, tb))
    }

    /// Compiles `ir` (optimised) on the compile thread and waits for it,
    /// installing what it finishes before.
    fn compile_waiting(&mut self, ir: &ox86_ir::IrBlock, pc: u64) -> Result<TbId, JitError> {
        // As `finish` set it for this TB.
        let mxcsr_at_entry = self.jit_ref().mxcsr_at_entry();
        let mut flushed = false;
        'submit: loop {
            let bg = self.bg.as_mut().expect("a compile thread");
            let epoch = bg.epoch();
            let seq = bg.submit(pc, JobIr::Optimised(ir.clone()), mxcsr_at_entry);
            loop {
                let done = self.bg.as_mut().expect("a compile thread").wait();
                let mine = done.seq == seq;
                match &done.result {
                    Err(JitError::TooManySpills(n)) if mine => {
                        let n = *n;
                        if let JobIr::Optimised(ir) = done.ir {
                            self.spare_ir = Some(ir);
                        }
                        return Err(JitError::TooManySpills(n));
                    }
                    Err(JitError::CacheFull) if mine => {
                        assert!(
                            !flushed,
                            "the TB at {pc:#x} does not fit an empty code cache"
                        );
                        flushed = true;
                    }
                    _ => {}
                }
                let id = self.install(done);
                if mine {
                    match id {
                        Some(id) => return Ok(id),
                        // The cache is flushed now: again.
                        None => continue 'submit,
                    }
                }
                if self.bg.as_ref().expect("a compile thread").epoch() != epoch {
                    // A flush dropped the job.
                    continue 'submit;
                }
            }
        }
    }

    /// Makes the host fork of a guest fork by calling `fork` (the child's
    /// pid in the parent, 0 in the child, or an error), keeping the
    /// compile thread out of the way (see `background`).
    pub fn fork(&mut self, fork: impl FnOnce() -> i64) -> i64 {
        crate::warm::finish();
        Background::fork(self, fork)
    }

    /// A `Compiler` at the JIT's next slot.
    pub(crate) fn jit_compiler(&self) -> ox86_jit::Compiler {
        self.jit_ref().compiler()
    }

    /// Goes on without the compile thread: everything is compiled here.
    pub(crate) fn stop_compile_thread(&mut self) {
        self.flush();
        self.bg = None;
    }

    /// Translates and compiles the TB at `pc` (at most `max_insns`
    /// instructions, fewer if the JIT runs out of spill slots) for `mode`,
    /// reading code through `code`. Its physical address is taken to be its
    /// pc; the caller may change that before caching it.
    pub(crate) fn build_tb(
        &mut self,
        pc: u64,
        code: &mut dyn CodeFetch,
        mode: Mode,
        max_insns: usize,
        seen_target: Option<u64>,
    ) -> Tb {
        let t = self.front(pc, code, mode, max_insns, true, seen_target);
        self.finish(t, code, mode)
    }

    /// The front end: the guest code at `pc` as IR (not optimised), with
    /// the `in_asm` and `op` logs; `flag_lookahead` as in `TbFlags` (off
    /// for the first tier).
    fn front(
        &mut self,
        pc: u64,
        code: &mut dyn CodeFetch,
        mode: Mode,
        max_insns: usize,
        flag_lookahead: bool,
        seen_target: Option<u64>,
    ) -> TranslatedTb {
        let timed = self.opts.stats;
        let t0 = if timed { thread_cpu_ns() } else { 0 };
        let ir = match self.spare_ir.take() {
            Some(ir) => ir,
            None => ox86_ir::IrBlock::new(&ox86_x86::GLOBALS),
        };
        let region = !mode.system && self.loop_heads.contains(&pc);
        let mut t = translate_tb_into(
            ir,
            pc,
            code,
            TbFlags {
                max_insns,
                mode,
                region,
                flag_lookahead,
                flags_at_faults: self.precise_faults,
                seen_target,
            },
        );
        if self.page_protect.watching() && !self.written_store {
            self.page_protect.protect(t.pc, t.pc.saturating_add(t.size));
            if let Some(seen) = &t.lookahead {
                self.page_protect.protect(seen.start, seen.end);
            }
        }
        t.ir.unobserved_at_faults = if self.precise_faults {
            0
        } else {
            use ox86_x86::cpu::glob;
            [glob::CC_OP, glob::CC_DST, glob::CC_SRC, glob::CC_SRC2]
                .iter()
                .fold(0, |m, &g| m | 1 << g)
        };
        if timed {
            self.stats.translate_ns += thread_cpu_ns() - t0;
        }
        self.stats.tbs_translated += 1;
        self.stats.insns_translated += t.n_insns as u64;
        if self.opts.log.in_asm {
            let pcs = t.ir.ops.iter().filter(|o| o.opc == Opcode::InsnStart);
            let text = pcs
                .map(|o| disassemble_code(code, o.consts[0], mode, 1))
                .collect::<Vec<_>>()
                .join("\n");
            self.log.write(&format!("----------------\nIN: \n{text}\n"));
        }
        if self.opts.log.op {
            let text = ox86_ir::format_block(&t.ir, &helpers::Names);
            self.log.write(&format!("OP:\n{text}\n"));
        }
        t
    }

    /// The back end: optimises `t`'s IR and compiles it (JIT engine; when
    /// the JIT runs out of spill slots the TB is translated again with half
    /// the instructions), with the `op_opt` and `out_asm` logs.
    fn finish(&mut self, mut t: TranslatedTb, code: &mut dyn CodeFetch, mode: Mode) -> Tb {
        let pc = t.pc;
        let jit = loop {
            let timed = self.opts.stats;
            let t0 = if timed { thread_cpu_ns() } else { 0 };
            self.opt.run(&mut t.ir);
            let entry_check =
                !mode.system && !self.compare.active() && !self.mxcsr_per_insn.contains(&pc);
            if let Some(jit) = &mut self.jit {
                jit.set_mxcsr_at_entry(entry_check);
            }
            if cfg!(debug_assertions) {
                if let Err(e) = ox86_ir::verify(&t.ir, &helpers::Names, helpers::count()) {
                    panic!("translator produced invalid IR at {pc:#x}: {e}");
                }
            }
            let r = self.compile(&t.ir, pc);
            if timed {
                self.stats.translate_ns += thread_cpu_ns() - t0;
            }
            match r {
                Ok(id) => break id,
                Err(JitError::TooManySpills(_)) if t.n_insns > 1 => {
                    self.spare_ir = Some(t.ir);
                    t = self.front(pc, code, mode, t.n_insns / 2, true, None);
                }
                Err(e) => panic!("cannot compile the TB at {pc:#x}: {e}"),
            }
        };
        if self.opts.log.op_opt {
            let text = ox86_ir::format_block(&t.ir, &helpers::Names);
            self.log.write(&format!("OP after optimization:\n{text}\n"));
        }
        self.log_out_asm(jit);
        let keep_ir = jit.is_none() || self.compare.active();
        let interp = if keep_ir {
            Some(Box::new(InterpTb::new(t.ir)))
        } else {
            self.spare_ir = Some(t.ir);
            None
        };
        Tb {
            key: crate::tb::TbKey {
                pc,
                flags: mode.flags(),
                cs_base: mode.cs_base,
                phys: pc,
            },
            phys2: None,
            size: t.size,
            n_insns: t.n_insns as u32,
            lookahead: t.lookahead,
            interp,
            jit,
        }
    }

    /// Compiles for the JIT engine (nothing for the interpreter); flushes
    /// the whole cache when it is full.
    pub(crate) fn compile(
        &mut self,
        ir: &ox86_ir::IrBlock,
        pc: u64,
    ) -> Result<Option<TbId>, JitError> {
        if self.compile_thread() {
            return self.compile_waiting(ir, pc).map(Some);
        }
        let Some(jit) = &mut self.jit else {
            return Ok(None);
        };
        let id = match jit.compile(ir, pc) {
            Err(JitError::CacheFull) => {
                self.flush();
                let jit = self.jit.as_mut().expect("JIT engine");
                jit.compile(ir, pc)?
            }
            r => r?,
        };
        if let (Some(map), Some(jit)) = (&mut self.perfmap, &self.jit) {
            let (start, len) = jit.code_range(id);
            map.record(start, len, pc);
        }
        Ok(Some(id))
    }

    #[cfg(feature = "disas")]
    fn log_out_asm(&mut self, id: Option<TbId>) {
        if let (true, Some(id), Some(jit)) = (self.opts.log.out_asm, id, &self.jit) {
            let text = jit.disassemble(id);
            self.log
                .write(&format!("OUT: [size={}]\n{text}\n", text.lines().count()));
        }
    }

    #[cfg(not(feature = "disas"))]
    fn log_out_asm(&mut self, _id: Option<TbId>) {}

    fn lookup(&mut self, pc: u64) -> Arc<Tb> {
        match self.lookup_cached(pc) {
            Some(tb) => tb,
            None => {
                let tb = self.translate(pc);
                self.jmp.set(tb.clone());
                tb
            }
        }
    }

    /// The cached TB at `pc`: the jump cache, then the TB hash.
    fn lookup_cached(&mut self, pc: u64) -> Option<Arc<Tb>> {
        self.stats.jmp_cache_lookups += 1;
        if let Some(tb) = self.jmp.get(pc, self.cache.generation) {
            self.stats.jmp_cache_hits += 1;
            return Some(tb);
        }
        let key = crate::tb::TbKey {
            pc,
            flags: Mode::USER64.flags(),
            cs_base: 0,
            phys: pc,
        };
        let tb = self.cache.get(&key)?.clone();
        self.stats.jmp_cache_conflicts += 1;
        if self.stats.jmp_cache_conflicts == CONFLICTS_TO_GROW {
            if let Some(jit) = &mut self.jit {
                if jit.grow_jump_table() {
                    self.jmp.grow();
                }
            }
        }
        self.jmp.set(tb.clone());
        Some(tb)
    }

    /// Runs guest code from `env.rip` until a syscall, a fault or an exit request.
    pub fn run(&mut self, env: &mut CpuState) -> Exit {
        if self.written_store {
            if let Some(exit) = self.run_written_store(env) {
                return exit;
            }
        }
        if self.jit.is_some() {
            return self.run_jit(env);
        }
        loop {
            if env.exit_request.swap(0, Ordering::AcqRel) != 0 {
                return Exit::Interrupted;
            }
            let tb = self.lookup(env.rip);
            if let Some(exit) = self.interpret(env, &tb) {
                return exit;
            }
        }
    }

    /// Runs `tb` in the interpreter; `Some` when the loop must stop.
    fn interpret(&mut self, env: &mut CpuState, tb: &Tb) -> Option<Exit> {
        let itb = tb.interp.as_ref().expect("an interpreted TB keeps its IR");
        self.interpret_ir(env, tb.key.pc, itb)
    }

    /// Runs `itb`, the IR of the code at `pc`, in the interpreter; `Some`
    /// when the loop must stop.
    fn interpret_ir(&mut self, env: &mut CpuState, pc: u64, itb: &InterpTb) -> Option<Exit> {
        self.interpret_ir_exit(env, pc, itb).err()
    }

    /// `interpret_ir`, also telling how the TB left: `Ok(true)` by its
    /// indirect exit (`env.rip` is where it went), `Ok(false)` by a direct
    /// one.
    fn interpret_ir_exit(
        &mut self,
        env: &mut CpuState,
        pc: u64,
        itb: &InterpTb,
    ) -> Result<bool, Exit> {
        if self.opts.log.exec {
            self.log.write(&format!("Trace 0: [{:016x}]\n", pc));
        }
        self.stats.tbs_executed += 1;
        match ox86_interp::exec(itb, env, &mut self.locals) {
            TbExit::Direct(_) => Ok(false),
            TbExit::Indirect => Ok(true),
            TbExit::Exception(_) => Err(self.exception(env)),
        }
    }

    /// The JIT exec loop: TBs run chained to each other and probe the
    /// jump table inline; the loop sees unchained exits, jump-table misses,
    /// exceptions and exit requests.
    fn run_jit(&mut self, env: &mut CpuState) -> Exit {
        // The last unchained direct exit, with the flush count it belongs to.
        let mut chain_from: Option<(TbId, usize, u64)> = None;
        loop {
            // Read before it is swapped: a locked swap at every TB the loop
            // runs was a fifth of the loop's own time.
            if env.exit_request.load(Ordering::Relaxed) != 0
                && env.exit_request.swap(0, Ordering::AcqRel) != 0
            {
                // After the swap: a request made from here on is seen at
                // this test next time, before generated code runs.
                self.jit_ref().saw_exit_request();
                return Exit::Interrupted;
            }
            if self.bg.is_some() {
                self.install_finished();
            }
            let pc = env.rip;
            // Compiled code found in the jump cache runs without its TB (no
            // count of the TB's `Arc` taken and dropped).
            let compiled = if self.compare.active() {
                None
            } else {
                self.jmp.get_compiled(pc, self.cache.generation)
            };
            let id = match compiled {
                Some(id) => {
                    self.stats.jmp_cache_lookups += 1;
                    self.stats.jmp_cache_hits += 1;
                    id
                }
                None => {
                    let tb = match self.lookup_cached(pc) {
                        Some(tb) => tb,
                        None if self.tiered(pc) => match self.run_first_tier(env) {
                            FirstTierRun::Compiled(tb) => tb,
                            FirstTierRun::Interpreted(exit) => {
                                self.note_unchained(pc, chain_from.take());
                                match exit {
                                    Some(exit) => return exit,
                                    None => continue,
                                }
                            }
                        },
                        None => {
                            let tb = self.translate(pc);
                            self.jmp.set(tb.clone());
                            tb
                        }
                    };
                    let Some(id) = tb.jit else {
                        // On the compile thread's queue.
                        self.note_unchained(pc, chain_from.take());
                        self.stats.tbs_interpreted += 1;
                        self.note_waiting_run(pc);
                        match self.interpret(env, &tb) {
                            Some(exit) => return exit,
                            None => continue,
                        }
                    };
                    if self.compare.active() {
                        // (Resets the loop countdown it samples.)
                        self.loop_head(pc, id, chain_from.take(), env);
                        self.stats.tbs_executed += 1;
                        let jit = self.jit.as_mut().expect("JIT engine");
                        let r = self
                            .compare
                            .run(jit, &tb, env, &mut self.locals, &mut self.log);
                        if !self.compare.active() {
                            // TBs compiled for the comparison call the store
                            // hook and run one loop iteration at a time.
                            self.jit_mut().set_checking(None);
                            self.flush();
                        }
                        match r {
                            JitExit::Direct { .. } | JitExit::Indirect | JitExit::ExitRequest => {}
                            JitExit::MxcsrNotDefault => self.mxcsr_not_default(env.rip),
                            JitExit::Exception => return self.exception(env),
                        }
                        continue;
                    }
                    id
                }
            };
            let id = self.loop_head(pc, id, chain_from, env);
            if self.opts.log.exec {
                self.log.write(&format!("Trace 0: [{:016x}]\n", pc));
            }
            self.stats.tbs_executed += 1;
            // With `-d exec` every TB returns here, to be logged.
            let direct = !self.opts.log.exec;
            let jit = self.jit_mut();
            let epoch = jit.flushes;
            if direct {
                jit.set_jump(pc, id);
                if let Some((from, k, _)) = chain_from.take().filter(|c| c.2 == jit.flushes) {
                    jit.chain(from, k, id);
                }
            }
            match jit.run(env, id) {
                JitExit::Direct { tb, exit } => chain_from = Some((tb, exit, epoch)),
                JitExit::Indirect | JitExit::ExitRequest => {}
                JitExit::MxcsrNotDefault => self.mxcsr_not_default(env.rip),
                JitExit::Exception => return self.exception(env),
            }
        }
    }

    /// Counts a run of the interpreted TB at `pc` while its code waits
    /// for the compile thread, which takes the newest job first: code that
    /// keeps running is moved ahead of the jobs that came after it.
    fn note_waiting_run(&mut self, pc: u64) {
        let Some((seq, runs)) = self.waiting.get_mut(&pc) else {
            return;
        };
        *runs += 1;
        if *runs == BOOST_AFTER {
            let seq = *seq;
            if let Some(bg) = &mut self.bg {
                bg.boost(seq);
            }
        }
    }

    /// Remembers the direct exit `from` (with the flush count it belongs
    /// to) that went to `pc`, whose code is not compiled yet, for
    /// `chain_eagerly`.
    fn note_unchained(&mut self, pc: u64, from: Option<(TbId, usize, u64)>) {
        let Some((tb, exit, epoch)) = from else {
            return;
        };
        if epoch != self.jit_ref().flushes || self.opts.log.exec || self.compare.active() {
            return;
        }
        let waiting = self.unchained.entry(pc).or_default();
        if !waiting.contains(&(tb, exit)) {
            waiting.push((tb, exit));
        }
    }

    /// Chains TB `id`, just installed at `pc`, both ways at once rather
    /// than each exit at its first run after: the direct exits that went
    /// to `pc` while its code waited, and its own exits to code compiled
    /// already. (Each such first run went through the exec loop: about a
    /// sixth of cc1's entries to it.)
    fn chain_eagerly(&mut self, id: TbId, pc: u64) {
        if self.opts.log.exec || self.compare.active() {
            return;
        }
        let jit = self.jit.as_mut().expect("JIT engine");
        for (tb, exit) in self.unchained.remove(&pc).unwrap_or_default() {
            jit.chain(tb, exit, id);
        }
        for exit in 0..jit.n_exits(id) {
            let target = jit.exit_target(id, exit);
            let key = crate::tb::TbKey {
                pc: target,
                flags: Mode::USER64.flags(),
                cs_base: 0,
                phys: target,
            };
            if let Some(to) = self.cache.get(&key).and_then(|tb| tb.jit) {
                jit.chain(id, exit, to);
            }
        }
    }

    /// The code to run at `pc`, compiled as `id`, as the exec loop is
    /// about to run it, reached by the unchained direct exit `from` (if
    /// any): when that exit jumps back (to a pc on the same page, not above
    /// its own TB's), the code at `pc` heads a loop, and is translated again
    /// as a loop region (once per pc; see `region` in the translator). With
    /// the compile thread the region is compiled there and `id` runs until
    /// it is installed, else at once. Returns the code to run.
    fn loop_head(
        &mut self,
        pc: u64,
        id: TbId,
        from: Option<(TbId, usize, u64)>,
        env: &mut CpuState,
    ) -> TbId {
        // Only the jump back that ran the countdown out is a sample.
        if env.loop_countdown.load(Ordering::Relaxed) != 0 {
            return id;
        }
        env.loop_countdown.store(LOOP_SAMPLE, Ordering::Relaxed);
        let Some((from, _, epoch)) = from else {
            return id;
        };
        let jit = self.jit_ref();
        let from_pc = jit.tb_pc(from);
        let back = epoch == jit.flushes
            && from != id
            && from_pc >= pc
            && from_pc & !(ox86_x86::translate::PAGE_SIZE - 1)
                == pc & !(ox86_x86::translate::PAGE_SIZE - 1);
        if !back
            || self.compare.active()
            || self.opts.log.exec
            || self.opts.one_insn_per_tb
            || !self.loop_heads.insert(pc)
        {
            return id;
        }
        if self.bg.as_ref().is_some_and(|bg| bg.started()) && self.pending.len() < MAX_PENDING {
            let tb = self.lookup_cached(pc).expect("the TB being run is cached");
            self.submit_region(tb);
            return id;
        }
        // The new TB replaces the old one in the cache and the jump cache
        // (removing it would empty the jump cache).
        self.jit_mut().invalidate(id);
        let tb = self.translate(pc);
        self.jmp.set(tb.clone());
        tb.jit.expect("JIT engine compiles every TB it caches")
    }

    /// The loop region at `old`'s pc goes to the compile thread; `old`
    /// runs until it is installed in its place (`install`).
    fn submit_region(&mut self, old: Arc<Tb>) {
        let pc = old.key.pc;
        let mut code = self.guest_code();
        let t = self.front(pc, &mut code, Mode::USER64, self.max_insns(), true, None);
        let mxcsr_at_entry = !self.mxcsr_per_insn.contains(&pc);
        let ir = self.queued_copy(&t.ir);
        let region = Arc::new(interpreted_tb(pc, &t, ir));
        self.spare_ir = Some(t.ir);
        let bg = self.bg.as_mut().expect("a compile thread");
        let seq = bg.submit(pc, JobIr::Cached(region), mxcsr_at_entry);
        self.pending.insert(seq, old);
    }

    /// The TB at `pc` checked MXCSR at its entry and found it not the
    /// default: the code there is compiled again with a check at each
    /// floating-point instruction, which then calls the helpers.
    fn mxcsr_not_default(&mut self, pc: u64) {
        self.mxcsr_per_insn.insert(pc);
        if let Some(id) = self.lookup_cached(pc).and_then(|tb| tb.jit) {
            self.jit_mut().invalidate(id);
        }
        let tb = self.translate(pc);
        self.jmp.set(tb);
    }

    fn jit_ref(&self) -> &Jit {
        self.jit.as_ref().expect("JIT engine")
    }

    fn jit_mut(&mut self) -> &mut Jit {
        self.jit.as_mut().expect("JIT engine")
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

/// Whether a CPU this process may use is likely idle for a second thread:
/// there are two such CPUs at least, and no more tasks are runnable on the
/// host (this one included, from `/proc/loadavg`) than them. (One more
/// than this task is allowed: the parent that just started it may not be
/// waiting yet. Two runs on two CPUs with a thread each lose 5%; a third
/// run, 50%.)
fn idle_cpu() -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        return false;
    }
    let Ok(load) = std::fs::read_to_string("/proc/loadavg") else {
        return true;
    };
    let runnable = load
        .split_whitespace()
        .nth(3)
        .and_then(|f| f.split_once('/'))
        .and_then(|(r, _)| r.parse::<usize>().ok());
    runnable.is_some_and(|r| r <= cpus)
}

/// A user-mode TB at `pc` covering the code `t` was translated from,
/// holding `ir` (`t`'s IR or a copy) for the interpreter.
fn interpreted_tb(pc: u64, t: &TranslatedTb, ir: ox86_ir::IrBlock) -> Tb {
    Tb {
        key: crate::tb::TbKey {
            pc,
            flags: Mode::USER64.flags(),
            cs_base: 0,
            phys: pc,
        },
        phys2: None,
        size: t.size,
        n_insns: t.n_insns as u32,
        lookahead: t.lookahead,
        interp: Some(Box::new(InterpTb::new(ir))),
        jit: None,
    }
}

/// CPU time this thread has used, in nanoseconds (translation time is
/// measured in it, so other load on the host does not count).
pub(crate) fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill in.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Intel-syntax disassembly of the guest instructions in `[pc, pc + size)`,
/// one `0x...:  insn` line each (at least one instruction).
pub fn disassemble(pc: u64, size: u64) -> String {
    disassemble_code(&mut GuestCode { executable: None }, pc, Mode::USER64, size)
}

/// `disassemble` for code of `mode` read through `code` (at linear
/// addresses: CS base + pc).
pub fn disassemble_code(code: &mut dyn CodeFetch, pc: u64, mode: Mode, size: u64) -> String {
    let mut bytes = vec![0u8; (size + 15) as usize];
    let n = code.fetch(mode.cs_base.wrapping_add(pc), &mut bytes);
    let mut dec = Decoder::with_ip(mode.code_bits, &bytes[..n], pc, DecoderOptions::NONE);
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
