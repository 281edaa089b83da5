//! `Jit`: the backend as the engine sees it. Owns the code cache, the
//! compiled TBs (code range, exits, incoming chains, host→guest pc map)
//! and the inline jump table; enters generated code and decodes its exits.

use crate::abi::exit;
use crate::cache::CodeCache;
use crate::error::JitError;
use crate::gen::{ExitSite, Gen, GenOptions};
use crate::jmp_table::JmpTable;
use crate::sites::{Site, Sites};
use crate::stubs::{self, Stubs};
use ox86_ir::{Global, IrBlock};
use ox86_x86::CpuState;

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
    /// `exit_request` was set at a backward jump (it is checked there and
    /// before indirect jumps, so every loop of chained code stops); `env.rip`
    /// is the jump's target. An exit request at an indirect jump comes back
    /// as `Indirect` instead.
    ExitRequest,
}

/// The smallest code cache: room for the stubs and the largest TB.
const MIN_CACHE_SIZE: usize = 64 << 10;

/// JIT settings.
#[derive(Clone, Copy, Debug)]
pub struct JitOptions {
    /// Code cache size in bytes (at least 64 KiB are mapped).
    pub cache_size: usize,
    /// Count inline jump-table hits (costs one increment per hit).
    pub count_hits: bool,
    /// Checking mode (`--compare-engines`): this function is called before
    /// every guest store with (address, size in bytes), all registers
    /// preserved, and a TB that loops to itself runs one iteration per
    /// `run`, as under the interpreter.
    pub check: Option<StoreHook>,
}

/// A function generated code calls before each guest store.
pub type StoreHook = extern "sysv64" fn(u64, u64);

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            cache_size: 256 << 20,
            count_hits: false,
            check: None,
        }
    }
}

struct TbCode {
    pc: u64,
    start: usize,
    len: usize,
    exits: Vec<ExitSite>,
    out: Vec<Option<TbId>>,
    incoming: Vec<(TbId, usize)>,
    sites: Sites,
    globals: &'static [Global],
    alive: bool,
}

/// The x86-64 backend.
pub struct Jit {
    cache: CodeCache,
    stubs: Stubs,
    tbs: Vec<TbCode>,
    table: JmpTable,
    /// System mode: the jump tables of other CPU modes, by mode key (the
    /// active one's key is `table_key`).
    spare_tables: Vec<(u64, JmpTable)>,
    table_key: u64,
    opts: GenOptions,
    /// The code generator, with its buffers reused from TB to TB.
    gen: Gen,
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

type EnterFn = unsafe extern "sysv64" fn(*mut CpuState, usize) -> ExitPair;

impl Jit {
    /// Maps the code cache and installs the shared stubs.
    pub fn new(opts: JitOptions) -> Result<Jit, JitError> {
        if !std::arch::is_x86_feature_detected!("popcnt") {
            return Err(JitError::HostCpu("POPCNT"));
        }
        let mut cache = CodeCache::new(opts.cache_size.max(MIN_CACHE_SIZE))?;
        let stubs = stubs::install(&mut cache)?;
        let opts = GenOptions {
            count_hits: opts.count_hits,
            store_hook: opts.check.map(|h| h as usize),
            lzcnt_tzcnt: std::arch::is_x86_feature_detected!("lzcnt")
                && std::arch::is_x86_feature_detected!("bmi1"),
        };
        Ok(Jit {
            cache,
            stubs,
            tbs: Vec::new(),
            table: JmpTable::new(stubs.miss),
            spare_tables: Vec::new(),
            table_key: 0,
            opts,
            gen: Gen::new(stubs, opts),
            chains: 0,
            flushes: 0,
        })
    }

    /// Compiles `ir` (the TB at guest `pc`) into the code cache.
    /// `CacheFull`: flush and try again; `TooManySpills`: translate fewer
    /// instructions.
    pub fn compile(&mut self, ir: &IrBlock, pc: u64) -> Result<TbId, JitError> {
        let id = self.tbs.len() as u32;
        if id >= 1 << 24 {
            return Err(JitError::CacheFull);
        }
        let base = self.cache.top_addr();
        let g = &mut self.gen;
        g.compile(ir, id, pc, base, self.opts)?;
        let start = self.cache.push(g.a.code())?;
        debug_assert_eq!(start, base);
        self.tbs.push(TbCode {
            pc,
            start,
            len: g.a.code().len(),
            out: vec![None; g.exits.len()],
            exits: g.exits.clone(),
            incoming: Vec::new(),
            sites: g.sites.clone(),
            globals: ir.globals,
            alive: true,
        });
        Ok(TbId(id))
    }

    /// Host address of a TB's code.
    pub fn code_addr(&self, id: TbId) -> usize {
        self.tbs[id.0 as usize].start
    }

    /// Runs generated code from TB `id` until it returns to the exec loop.
    pub fn run(&mut self, env: &mut CpuState, id: TbId) -> JitExit {
        env.jmp_cache = self.table.addr();
        let code = self.code_addr(id);
        // SAFETY: `enter` is the prologue stub, which follows this ABI; the
        // code it jumps to was generated for `CpuState` and only touches
        // `env`, guest memory, the jump table and the code cache, all alive
        // for the call (`&mut self` keeps the cache from being flushed).
        let r = unsafe {
            let enter: EnterFn = std::mem::transmute::<usize, EnterFn>(self.stubs.enter);
            enter(env, code)
        };
        match r.rax & 7 {
            exit::DIRECT => JitExit::Direct {
                tb: TbId((r.rax >> 8) as u32),
                exit: ((r.rax >> 3) & 31) as usize,
            },
            exit::INDIRECT => JitExit::Indirect,
            exit::EXCEPTION => JitExit::Exception,
            exit::HOST_FAULT => {
                let regs = crate::fault::fault_regs();
                let (tb, site) = self
                    .site_at(r.rdx as usize)
                    .expect("host faults in generated code are at guest accesses");
                tb.sites.recover(site, tb.globals, &regs, env);
                JitExit::Exception
            }
            exit::REQUEST => JitExit::ExitRequest,
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
        let site = self.tbs[f].exits[exit];
        if site.target_pc != self.tbs[t].pc {
            return false;
        }
        match self.tbs[f].out[exit] {
            Some(old) if old == to => return true,
            Some(old) => self.tbs[old.0 as usize]
                .incoming
                .retain(|&e| e != (from, exit)),
            None => {}
        }
        let target = self.tbs[t].start;
        self.patch(from, exit, target);
        self.tbs[f].out[exit] = Some(to);
        self.tbs[t].incoming.push((from, exit));
        self.chains += 1;
        true
    }

    fn patch(&mut self, from: TbId, exit: usize, target: usize) {
        let tb = &self.tbs[from.0 as usize];
        let field = tb.start + tb.exits[exit].field;
        let rel = target as i64 - (field as i64 + 4);
        self.cache.patch_u32(field, rel as i32 as u32);
    }

    /// Drops TB `id`: jumps chained to it go back to their exit stubs, its
    /// jump-table entry is cleared. Its code stays until the next flush.
    pub fn invalidate(&mut self, id: TbId) {
        let i = id.0 as usize;
        if !self.tbs[i].alive {
            return;
        }
        self.tbs[i].alive = false;
        for (src, k) in std::mem::take(&mut self.tbs[i].incoming) {
            let s = &self.tbs[src.0 as usize];
            if s.alive && s.out[k] == Some(id) {
                let stub = s.start + s.exits[k].stub;
                self.patch(src, k, stub);
                self.tbs[src.0 as usize].out[k] = None;
            }
        }
        for k in 0..self.tbs[i].out.len() {
            if let Some(t) = self.tbs[i].out[k].take() {
                self.tbs[t.0 as usize].incoming.retain(|&e| e != (id, k));
            }
        }
        let (pc, start) = (self.tbs[i].pc, self.tbs[i].start);
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

    /// Drops every TB and empties the code cache and the jump tables.
    pub fn flush(&mut self) {
        self.cache.flush();
        self.tbs.clear();
        self.clear_jumps();
        self.flushes += 1;
    }

    /// Remembers in the jump table that guest `pc` runs TB `id`.
    pub fn set_jump(&mut self, pc: u64, id: TbId) {
        let start = self.code_addr(id);
        self.table.set(pc, start);
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
            None => JmpTable::new(self.stubs.miss),
        };
        let old = std::mem::replace(&mut self.table, next);
        self.spare_tables.push((self.table_key, old));
        self.table_key = key;
    }

    /// Inline jump-table hits (when counting is on).
    pub fn jump_hits(&self) -> u64 {
        self.table.hits() + self.spare_tables.iter().map(|(_, t)| t.hits()).sum::<u64>()
    }

    /// Bytes of code in the cache (shared stubs included).
    pub fn code_bytes(&self) -> usize {
        self.cache.used()
    }

    fn site_at(&self, host_pc: usize) -> Option<(&TbCode, &Site)> {
        let i = self.tbs.partition_point(|t| t.start <= host_pc);
        let tb = self.tbs.get(i.checked_sub(1)?)?;
        if host_pc >= tb.start + tb.len {
            return None;
        }
        Some((tb, tb.sites.at((host_pc - tb.start) as u32)?))
    }

    /// The guest pc of the guest memory access at host address `host_pc`.
    pub fn guest_pc(&self, host_pc: usize) -> Option<u64> {
        self.site_at(host_pc).map(|(_, s)| s.pc)
    }

    /// The guest pc TB `id` was compiled for.
    pub fn tb_pc(&self, id: TbId) -> u64 {
        self.tbs[id.0 as usize].pc
    }

    /// Intel-syntax listing of TB `id`'s host code.
    #[cfg(feature = "disas")]
    pub fn disassemble(&self, id: TbId) -> String {
        let tb = &self.tbs[id.0 as usize];
        crate::disas::listing(self.cache.bytes(tb.start, tb.len), tb.start as u64)
    }
}
