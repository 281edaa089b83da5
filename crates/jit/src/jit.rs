//! `Jit`: the backend as the engine sees it. Owns the code cache, the
//! compiled TBs (code range, exits, incoming chains, host→guest pc map)
//! and the inline jump table; enters generated code and decodes its exits.

use crate::abi::exit;
use crate::cache::CodeCache;
use crate::compiler::{Compiled, Compiler, Slot};
use crate::error::JitError;
use crate::gen::{BackEdgeSite, ExitSite, Gen, GenOptions};
use crate::jmp_table::{JmpTable, LARGE_BITS, SMALL_BITS};
use crate::sites::{self, Site};
use crate::stubs::{self, Stubs};
use ox86_ir::IrBlock;
use ox86_x86::back_edges::BackEdges;
use ox86_x86::CpuState;
use std::sync::atomic::Ordering;

/// A compiled TB, valid until the next `Jit::flush`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TbId(pub u32);

/// How generated code returned to the exec loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitExit {
    /// Unchained `goto_tb`: exit number `exit` of TB `tb`; `env.rip` is its target.
    Direct {
        /// The TB that left.
        tb: TbId,
        /// Which of its chainable exits.
        exit: usize,
    },
    /// An indirect jump missed the jump table; `env.rip` is the target.
    Indirect,
    /// A guest exception is pending in `env.exception`, `env.rip` set
    /// (a guest memory fault included: the state is that of the faulting
    /// instruction).
    Exception,
    /// `exit_request` was set at a backward jump (it is checked there; an
    /// indirect jump finds the jump table emptied, so every loop of chained
    /// code stops); `env.rip` is the jump's target. An exit request at an
    /// indirect jump comes back as `Indirect` instead.
    ExitRequest,
    /// The TB at `env.rip` was compiled to check MXCSR at its entry
    /// (`Jit::set_mxcsr_at_entry`) and found its control bits not the
    /// default; nothing ran. Compile it again without that.
    MxcsrNotDefault,
}

/// The smallest code cache: room for the stubs and the largest TB.
const MIN_CACHE_SIZE: usize = 64 << 10;

/// The largest code cache: chained jumps are rel32 (and cache offsets u32).
const MAX_CACHE_SIZE: usize = 1 << 31;

/// JIT settings.
#[derive(Clone, Copy, Debug)]
pub struct JitOptions {
    /// Code cache size in bytes (at least 64 KiB and at most 2 GiB are mapped).
    pub cache_size: usize,
    /// Count inline jump-table hits (costs one increment per hit).
    pub count_hits: bool,
    /// Generate only baseline x86-64 code (with POPCNT), as for a host
    /// without LZCNT, TZCNT, BMI1 and BMI2 (for tests of both forms).
    pub baseline: bool,
    /// Checking mode (`--compare-engines`): this function is called before
    /// every guest store with (address, size in bytes), all registers
    /// preserved, and a TB that loops to itself runs one iteration per
    /// `run`, as under the interpreter.
    pub check: Option<StoreHook>,
    /// A compiled loop goes round by a jump `request_exit` repoints
    /// (`ox86_x86::back_edges`) rather than test `exit_request` at each
    /// iteration: for a guest whose exit requests all come from the host
    /// signal handler on its own thread (user mode), with the exec loop
    /// calling `saw_exit_request` once it has seen each.
    pub patch_back_edges: bool,
}

/// A function generated code calls before each guest store.
pub type StoreHook = extern "sysv64" fn(u64, u64);

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            cache_size: 256 << 20,
            count_hits: false,
            baseline: false,
            check: None,
            patch_back_edges: false,
        }
    }
}

/// TB ids fit 24 bits (generated code returns `id << 8` in an exit).
pub(crate) const MAX_TBS: u32 = 1 << 24;

/// "No TB" in `Exit::out`, "no exit" at the end of an incoming list.
const NONE: u32 = u32::MAX;

/// One chainable exit of a compiled TB (kept in `Jit::exits`).
#[derive(Clone, Copy, Debug)]
struct Exit {
    /// Guest pc this exit always goes to.
    target_pc: u64,
    /// Cache offset of the jump's rel32 field.
    field: u32,
    /// Cache offset of the exit stub the jump leads to while unchained.
    stub: u32,
    /// The TB the jump is chained to (`NONE`: unchained).
    out: u32,
    /// The next exit chained to the same TB (`NONE`: the last one).
    next_in: u32,
}

/// A compiled TB: its code, and where its exits and fault sites are in
/// the `Jit`'s shared arrays (TBs die only together, at a flush, so one
/// array of each serves all of them with no allocation per TB).
#[derive(Clone, Copy, Debug)]
struct TbCode {
    pc: u64,
    /// Cache offset of the code.
    start: u32,
    /// Bytes of code (its hot part when split).
    len: u32,
    /// Cache offset and bytes of its cold part when apart (`split`).
    cold: (u32, u32),
    /// Index of its first exit in `Jit::exits`.
    exits: u32,
    /// Offset of its fault sites in `Jit::sites` (they end where the next
    /// TB's begin).
    sites: u32,
    /// The first exit chained to this TB (`NONE`: none), linked by `next_in`.
    incoming: u32,
    n_exits: u8,
    alive: bool,
}

/// The x86-64 backend.
pub struct Jit {
    cache: CodeCache,
    stubs: Stubs,
    /// The back edges of the compiled loops, for `request_exit` (boxed:
    /// `CpuState::back_edges` holds its address).
    back_edges: Box<BackEdges>,
    tbs: Vec<TbCode>,
    /// Every TB's exits, in TB order.
    exits: Vec<Exit>,
    /// Every TB's fault sites (see `sites`), in TB order.
    sites: Vec<u8>,
    table: JmpTable,
    /// A table in which every lookup misses: `CpuState::request_exit`
    /// swaps it in.
    empty: JmpTable,
    /// System mode: the jump tables of other CPU modes, by mode key (the
    /// active one's key is `table_key`).
    spare_tables: Vec<(u64, JmpTable)>,
    table_key: u64,
    /// Inline hits counted in jump tables since replaced by a larger one.
    retired_hits: u64,
    opts: GenOptions,
    /// The code generator, with its buffers reused from TB to TB.
    gen: Gen,
    /// TBs compiled or installed so far.
    pub compiled: u64,
    /// Direct jumps patched so far (chained exits).
    pub chains: u64,
    /// Code cache flushes so far.
    pub flushes: u64,
}

#[repr(C)]
struct ExitPair {
    rax: u64,
    rdx: u64,
}

/// Records in a `Jit`'s arrays a TB whose code is at cache offset `start`.
fn record(
    tbs: &mut Vec<TbCode>,
    all_exits: &mut Vec<Exit>,
    all_sites: &mut Vec<u8>,
    (pc, start, len): (u64, u32, usize),
    cold: (u32, u32),
    exits: &[ExitSite],
    sites: &[u8],
) {
    tbs.push(TbCode {
        pc,
        start,
        len: len as u32,
        cold,
        exits: all_exits.len() as u32,
        sites: all_sites.len() as u32,
        incoming: NONE,
        n_exits: exits.len() as u8,
        alive: true,
    });
    all_exits.extend(exits.iter().map(|e| Exit {
        target_pc: e.target_pc,
        field: start + e.field as u32,
        stub: start + e.stub as u32,
        out: NONE,
        next_in: NONE,
    }));
    all_sites.extend_from_slice(sites);
}

/// Back edges a compiled loop can have in the code cache at once; past
/// that, a loop's back edge leaves at every iteration (slow, but exact).
const MAX_BACK_EDGES: usize = 1 << 18;

/// Adds the back edges of the TB whose code starts at cache offset `start`
/// to `table`.
fn add_back_edges(table: &BackEdges, cache: &CodeCache, start: u32, sites: &[BackEdgeSite]) {
    for e in sites {
        let at = |off: usize| cache.addr_of(start + off as u32);
        let field = at(e.field);
        let rel = |to: usize| (to as i64 - (field as i64 + 4)) as i32;
        let (body, out) = (rel(at(e.body)), rel(at(e.out)));
        // SAFETY: `field` is the rel32 of a `jmp` the TB just placed in the
        // cache, 4-byte aligned (`Gen::back_edge`); the table is cleared
        // before the cache is flushed.
        unsafe {
            if !table.push(field, body, out) {
                (*(field as *const std::sync::atomic::AtomicI32)).store(out, Ordering::Release);
            }
        }
    }
}

type EnterFn = unsafe extern "sysv64" fn(*mut CpuState, usize) -> ExitPair;

impl Jit {
    /// Maps the code cache and installs the shared stubs.
    pub fn new(opts: JitOptions) -> Result<Jit, JitError> {
        if !std::arch::is_x86_feature_detected!("popcnt") {
            return Err(JitError::HostCpu("POPCNT"));
        }
        let mut cache = CodeCache::new(opts.cache_size.clamp(MIN_CACHE_SIZE, MAX_CACHE_SIZE))?;
        let stubs = stubs::install(&mut cache)?;
        let opts = GenOptions {
            count_hits: opts.count_hits,
            store_hook: opts.check.map(|h| h as usize),
            lzcnt_tzcnt: !opts.baseline
                && std::arch::is_x86_feature_detected!("lzcnt")
                && std::arch::is_x86_feature_detected!("bmi1"),
            bmi1: !opts.baseline && std::arch::is_x86_feature_detected!("bmi1"),
            bmi2: !opts.baseline && std::arch::is_x86_feature_detected!("bmi2"),
            pclmulqdq: !opts.baseline && std::arch::is_x86_feature_detected!("pclmulqdq"),
            aes: !opts.baseline && std::arch::is_x86_feature_detected!("aes"),
            lahf_flags: !opts.baseline && ox86_x86::host_vendor::pushfq_is_slow(),
            mxcsr_at_entry: false,
            patch_back_edges: opts.patch_back_edges,
        };
        Ok(Jit {
            cache,
            stubs,
            back_edges: Box::new(BackEdges::new(MAX_BACK_EDGES)),
            tbs: Vec::new(),
            exits: Vec::new(),
            sites: Vec::new(),
            table: JmpTable::new(stubs.miss, SMALL_BITS),
            empty: JmpTable::new(stubs.miss, 0),
            spare_tables: Vec::new(),
            table_key: 0,
            retired_hits: 0,
            opts,
            gen: Gen::new(stubs, opts),
            compiled: 0,
            chains: 0,
            flushes: 0,
        })
    }

    /// Compiles `ir` (the TB at guest `pc`) into the code cache.
    /// `CacheFull`: flush and try again; `TooManySpills`: translate fewer
    /// instructions.
    pub fn compile(&mut self, ir: &IrBlock, pc: u64) -> Result<TbId, JitError> {
        let slot = self.next_slot();
        if slot.id >= MAX_TBS {
            return Err(JitError::CacheFull);
        }
        let g = &mut self.gen;
        g.compile(ir, slot.id, pc, slot.addr, self.opts)?;
        let placed = crate::split::place(g, slot)?;
        let (hot, cold) = g.a.code().split_at(placed.hot_len);
        let at = self.cache.push(hot)?;
        debug_assert_eq!(at, slot.addr);
        let cold = match placed.cold_at {
            Some(cold_at) => {
                let c = self.cache.push_cold(cold, cold_at)?;
                (self.cache.offset_of(c), cold.len() as u32)
            }
            None => (0, 0),
        };
        let start = self.cache.offset_of(at);
        let g = &self.gen;
        record(
            &mut self.tbs,
            &mut self.exits,
            &mut self.sites,
            (pc, start, placed.hot_len),
            cold,
            &g.exits,
            &g.sites.bytes,
        );
        add_back_edges(&self.back_edges, &self.cache, start, &g.back_edges);
        let id = slot.id;
        self.compiled += 1;
        Ok(TbId(id))
    }

    /// Where the next TB compiled or installed goes.
    pub fn next_slot(&self) -> Slot {
        Slot {
            id: self.tbs.len() as u32,
            addr: self.cache.top_addr(),
            cold: self.cache.cold_top_addr(),
        }
    }

    /// A `Compiler` that compiles for this `Jit`, starting at its next slot.
    pub fn compiler(&self) -> Compiler {
        Compiler::new(Gen::new(self.stubs, self.opts), self.opts, self.next_slot())
    }

    /// Puts a TB compiled by a `Compiler` of this `Jit` into the code
    /// cache. It must have been compiled for the next slot: a `Compiler`
    /// installed in order, restarted after every flush and every compile
    /// of the `Jit`'s own, makes that so.
    pub fn install(&mut self, c: &Compiled) -> TbId {
        assert_eq!(c.slot, self.next_slot(), "a TB compiled for another slot");
        let at = self
            .cache
            .push(&c.code)
            .expect("the compiler checked that the TB fits");
        let cold = match c.cold_at {
            Some(cold_at) => {
                let at = self
                    .cache
                    .push_cold(&c.cold, cold_at)
                    .expect("the compiler checked that the cold part fits");
                (self.cache.offset_of(at), c.cold.len() as u32)
            }
            None => (0, 0),
        };
        let start = self.cache.offset_of(at);
        record(
            &mut self.tbs,
            &mut self.exits,
            &mut self.sites,
            (c.pc, start, c.code.len()),
            cold,
            &c.exits,
            &c.sites,
        );
        add_back_edges(&self.back_edges, &self.cache, start, &c.back_edges);
        self.compiled += 1;
        TbId(c.slot.id)
    }

    /// Host address of a TB's code.
    pub fn code_addr(&self, id: TbId) -> usize {
        self.cache.addr_of(self.tbs[id.0 as usize].start)
    }

    /// Host address and length of a TB's code.
    pub fn code_range(&self, id: TbId) -> (usize, usize) {
        (self.code_addr(id), self.tbs[id.0 as usize].len as usize)
    }

    /// Runs generated code from TB `id` until it returns to the exec loop.
    pub fn run(&mut self, env: &mut CpuState, id: TbId) -> JitExit {
        // The real table first, then the request (see `request_exit`): a
        // request made after this load empties the table itself; one made
        // before it (system mode runs a single TB that way) is honoured
        // here.
        env.jmp_empty.store(self.empty.addr(), Ordering::SeqCst);
        env.jmp_cache.store(self.table.addr(), Ordering::SeqCst);
        // While generated code runs, requests repoint its loops' back edges;
        // one made before is honoured here.
        if self.opts.patch_back_edges {
            let edges: &BackEdges = &self.back_edges;
            env.back_edges
                .store(edges as *const BackEdges as u64, Ordering::SeqCst);
        }
        if env.exit_request.load(Ordering::SeqCst) != 0 {
            env.jmp_cache.store(self.empty.addr(), Ordering::SeqCst);
            if self.opts.patch_back_edges {
                self.back_edges.point_out();
            }
        }
        let code = self.code_addr(id);
        // SAFETY: `enter` is the prologue stub, which follows this ABI; the
        // code it jumps to was generated for `CpuState` and only touches
        // `env`, guest memory, the jump table and the code cache, all alive
        // for the call (`&mut self` keeps the cache from being flushed).
        let r = unsafe {
            let enter: EnterFn = std::mem::transmute::<usize, EnterFn>(self.stubs.enter);
            enter(env, code)
        };
        // Requests from here on are seen by the exec loop before this runs
        // generated code again (and `request_exit` never reaches a table
        // gone with its `Jit`).
        env.back_edges.store(0, Ordering::SeqCst);
        match r.rax & 7 {
            exit::DIRECT => {
                let (tb, exit) = ((r.rax >> 8) as usize, ((r.rax >> 3) & 31) as usize);
                // The exit stub leaves rip to be set here, from its target.
                env.rip = self.exits[self.tbs[tb].exits as usize + exit].target_pc;
                JitExit::Direct {
                    tb: TbId(tb as u32),
                    exit,
                }
            }
            exit::INDIRECT => JitExit::Indirect,
            exit::EXCEPTION => JitExit::Exception,
            exit::HOST_FAULT => {
                let (regs, xmm) = (crate::fault::fault_regs(), crate::fault::fault_xmm());
                self.site_at(r.rdx as usize)
                    .expect("host faults in generated code are at guest accesses")
                    .recover(&regs, &xmm, env);
                JitExit::Exception
            }
            exit::REQUEST => JitExit::ExitRequest,
            exit::MXCSR => JitExit::MxcsrNotDefault,
            k => unreachable!("generated code returned unknown exit kind {k}"),
        }
    }

    /// Points exit `exit` of `from` straight at `to`'s code. Returns false
    /// (and does nothing) if either TB is gone or `to` is not the exit's target.
    pub fn chain(&mut self, from: TbId, exit: usize, to: TbId) -> bool {
        let (f, t) = (from.0 as usize, to.0 as usize);
        if !self.tbs[f].alive || !self.tbs[t].alive {
            return false;
        }
        assert!(
            exit < self.tbs[f].n_exits as usize,
            "TB {f} has no exit {exit}"
        );
        let e = self.tbs[f].exits as usize + exit;
        if self.exits[e].target_pc != self.tbs[t].pc {
            return false;
        }
        match self.exits[e].out {
            old if old == to.0 => return true,
            NONE => {}
            old => self.unlink(old, e),
        }
        let target = self.code_addr(to);
        self.patch(e, target);
        self.exits[e].out = to.0;
        self.exits[e].next_in = self.tbs[t].incoming;
        self.tbs[t].incoming = e as u32;
        self.chains += 1;
        true
    }

    /// Points the jump of exit `e` at host address `target`.
    fn patch(&mut self, e: usize, target: usize) {
        let field = self.cache.addr_of(self.exits[e].field);
        let rel = target as i64 - (field as i64 + 4);
        self.cache.patch_u32(field, rel as i32 as u32);
    }

    /// Takes exit `e` off the incoming list of TB `tb`.
    fn unlink(&mut self, tb: u32, e: usize) {
        let next = self.exits[e].next_in;
        self.exits[e].next_in = NONE;
        let head = &mut self.tbs[tb as usize].incoming;
        if *head == e as u32 {
            *head = next;
            return;
        }
        let mut cur = *head;
        while cur != NONE {
            let after = self.exits[cur as usize].next_in;
            if after == e as u32 {
                self.exits[cur as usize].next_in = next;
                return;
            }
            cur = after;
        }
    }

    /// Drops TB `id`: jumps chained to it go back to their exit stubs, its
    /// jump-table entry is cleared. Its code stays until the next flush.
    pub fn invalidate(&mut self, id: TbId) {
        let i = id.0 as usize;
        if !self.tbs[i].alive {
            return;
        }
        self.tbs[i].alive = false;
        let mut e = std::mem::replace(&mut self.tbs[i].incoming, NONE);
        while e != NONE {
            let exit = self.exits[e as usize];
            if exit.out == id.0 {
                self.patch(e as usize, self.cache.addr_of(exit.stub));
                self.exits[e as usize].out = NONE;
            }
            self.exits[e as usize].next_in = NONE;
            e = exit.next_in;
        }
        let first = self.tbs[i].exits as usize;
        for e in first..first + self.tbs[i].n_exits as usize {
            let t = std::mem::replace(&mut self.exits[e].out, NONE);
            if t != NONE {
                self.unlink(t, e);
            }
        }
        let (pc, start) = (self.tbs[i].pc, self.code_addr(id));
        self.table.clear_entry(pc, start);
        for (_, t) in &mut self.spare_tables {
            t.clear_entry(pc, start);
        }
    }

    /// Enters or leaves checking mode (see `JitOptions::check`) for TBs
    /// compiled from now on.
    pub fn set_checking(&mut self, hook: Option<StoreHook>) {
        self.opts.store_hook = hook.map(|h| h as usize);
    }

    /// Whether TBs compiled from now on check MXCSR's control bits once at
    /// their entry, where nothing in them can change it, rather than at
    /// each floating-point instruction (see `JitExit::MxcsrNotDefault`).
    pub fn set_mxcsr_at_entry(&mut self, on: bool) {
        self.opts.mxcsr_at_entry = on;
    }

    /// The setting `set_mxcsr_at_entry` made.
    pub fn mxcsr_at_entry(&self) -> bool {
        self.opts.mxcsr_at_entry
    }

    /// Drops every TB and empties the code cache and the jump tables.
    pub fn flush(&mut self) {
        // Before the code goes: `request_exit` may walk the table any time.
        self.back_edges.clear();
        self.cache.flush();
        self.tbs.clear();
        self.exits.clear();
        self.sites.clear();
        self.clear_jumps();
        self.flushes += 1;
    }

    /// The exec loop has seen an exit request: the back edges of compiled
    /// loops go round again (see `JitOptions::patch_back_edges`). Call it
    /// before the last look at `exit_request` ahead of running generated
    /// code: a request made meanwhile points them out again.
    pub fn saw_exit_request(&self) {
        if self.opts.patch_back_edges {
            self.back_edges.point_back();
        }
    }

    /// Remembers in the jump table that guest `pc` runs TB `id`.
    pub fn set_jump(&mut self, pc: u64, id: TbId) {
        let start = self.code_addr(id);
        self.table.set(pc, start);
    }

    /// Replaces the jump table generated code probes with an empty one of
    /// `LARGE_BITS` index bits (user mode, once the program's code is
    /// large; see `jmp_table`). Returns false if it already has them.
    pub fn grow_jump_table(&mut self) -> bool {
        if self.table.bits() >= LARGE_BITS {
            return false;
        }
        let hits = self.table.hits();
        self.table = JmpTable::new(self.stubs.miss, LARGE_BITS);
        self.retired_hits += hits;
        true
    }

    /// Empties the jump tables.
    pub fn clear_jumps(&mut self) {
        self.table.clear();
        for (_, t) in &mut self.spare_tables {
            t.clear();
        }
    }

    /// System mode: makes the jump table of CPU mode `key` the one
    /// generated code probes (guest pcs of different modes must not meet
    /// in one table). A few tables are kept; the oldest is reused.
    pub fn select_jump_table(&mut self, key: u64) {
        const KEPT: usize = 8;
        if key == self.table_key {
            return;
        }
        let next = match self.spare_tables.iter().position(|(k, _)| *k == key) {
            Some(i) => self.spare_tables.remove(i).1,
            None if self.spare_tables.len() >= KEPT => {
                let mut t = self.spare_tables.remove(0).1;
                t.clear();
                t
            }
            None => JmpTable::new(self.stubs.miss, SMALL_BITS),
        };
        let old = std::mem::replace(&mut self.table, next);
        self.spare_tables.push((self.table_key, old));
        self.table_key = key;
    }

    /// Inline jump-table hits (when counting is on).
    pub fn jump_hits(&self) -> u64 {
        self.retired_hits
            + self.table.hits()
            + self.spare_tables.iter().map(|(_, t)| t.hits()).sum::<u64>()
    }

    /// Bytes of code in the cache (shared stubs included).
    pub fn code_bytes(&self) -> usize {
        self.cache.used()
    }

    fn site_at(&self, host_pc: usize) -> Option<Site<'_>> {
        if !self.cache.contains(host_pc) {
            return None;
        }
        let off = self.cache.offset_of(host_pc);
        let i = self.tbs.partition_point(|t| t.start <= off);
        let tb = self.tbs.get(i.checked_sub(1)?)?;
        if off >= tb.start + tb.len {
            return None;
        }
        let end = self
            .tbs
            .get(i)
            .map_or(self.sites.len(), |t| t.sites as usize);
        sites::find(&self.sites[tb.sites as usize..end], tb.pc, off - tb.start)
    }

    /// The guest pc of the guest memory access at host address `host_pc`.
    pub fn guest_pc(&self, host_pc: usize) -> Option<u64> {
        self.site_at(host_pc).map(|s| s.pc)
    }

    /// The guest pc TB `id` was compiled for.
    pub fn tb_pc(&self, id: TbId) -> u64 {
        self.tbs[id.0 as usize].pc
    }

    /// How many chainable exits TB `id` has.
    pub fn n_exits(&self, id: TbId) -> usize {
        self.tbs[id.0 as usize].n_exits as usize
    }

    /// The guest pc chainable exit `exit` of TB `id` goes to.
    pub fn exit_target(&self, id: TbId, exit: usize) -> u64 {
        let tb = &self.tbs[id.0 as usize];
        assert!(exit < tb.n_exits as usize, "TB {} has no exit {exit}", id.0);
        self.exits[tb.exits as usize + exit].target_pc
    }

    /// Intel-syntax listing of TB `id`'s host code.
    #[cfg(feature = "disas")]
    pub fn disassemble(&self, id: TbId) -> String {
        let tb = &self.tbs[id.0 as usize];
        let (start, len) = (self.code_addr(id), tb.len as usize);
        let mut text = crate::disas::listing(self.cache.bytes(start, len), start as u64);
        if tb.cold.1 != 0 {
            let (at, len) = (self.cache.addr_of(tb.cold.0), tb.cold.1 as usize);
            text += &crate::disas::listing(self.cache.bytes(at, len), at as u64);
        }
        text
    }
}
