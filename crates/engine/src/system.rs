//! The exec loop for system mode. TBs are keyed by rip, mode flags, CS
//! base and the physical address of their first byte; code is fetched
//! through the softmmu (a fetch fault becomes the guest's #PF); the jump
//! caches, keyed by rip, are cleared whenever the mode or the TLB changes;
//! per-page TB lists let a write to translated code drop exactly the TBs it
//! hits, and the writing instruction then runs again on its own.

use crate::cache::JumpCache;
use crate::cpu_exec::Engine;
use crate::tb::{Tb, TbKey};
use ox86_interp::TbExit;
use ox86_jit::{JitExit, TbId};
use ox86_x86::cpu::{excp, PendingException};
use ox86_x86::system::access::{code_paddr, fetch_code};
use ox86_x86::system::control::tb_mode;
use ox86_x86::system::mmu::{PAGE_MASK, PAGE_SIZE};
use ox86_x86::system::{with_mmu, Fault};
use ox86_x86::translate::Mode;
use ox86_x86::{CodeFetch, CpuState, TbFlags};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Why `run_system` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysExit {
    /// `exit_request` was set, or an instruction that interrupts may
    /// follow (after STI, MOV SS) has run.
    Interrupted,
    /// An exception or an event for the machine (`excp::HLT`,
    /// `excp::NEW_STATE`, `excp::SOFT_INT + n`, a CPU exception); rip is set
    /// as the event requires.
    Exception(PendingException),
}

/// The engine's system-mode bookkeeping.
#[derive(Default)]
pub(crate) struct SysState {
    /// TBs by the physical pages their code is on.
    pages: HashMap<u64, Vec<Arc<Tb>>>,
    /// The TLB generation the jump caches were filled under.
    tlb_generation: Option<u64>,
    /// The mode key (`mode_key`) of the active jump caches.
    mode: u64,
    /// The engine's jump caches of other modes, by mode key.
    spare_caches: Vec<(u64, JumpCache)>,
}

/// Key flag of the cached one-instruction TBs run in an interrupt shadow.
const ONE_INSN: u32 = 1 << 31;

/// Jump caches kept for other modes.
const KEPT_CACHES: usize = 8;

/// What the jump caches of a mode are keyed by: its flags and CS base.
fn mode_key(mode: &Mode) -> u64 {
    mode.cs_base << 8 | mode.flags() as u64
}

/// Reads guest code through the softmmu at the current CPL.
struct SysCode<'a>(&'a mut CpuState);

impl CodeFetch for SysCode<'_> {
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        fetch_code(self.0, addr, buf)
    }
}

/// Bytes of a TB at linear `lin` with `size` bytes that lie on its first page.
fn first_len(lin: u64, size: u64) -> u64 {
    size.min(PAGE_SIZE - (lin & !PAGE_MASK))
}

/// Takes the pending exception out of `env`.
fn take_exception(env: &mut CpuState) -> PendingException {
    let e = env.exception;
    env.exception = PendingException::default();
    e
}

impl Engine {
    /// Runs guest code in system mode from `env.rip` until an event the
    /// machine must see: an exit request, an exception or interrupt to
    /// deliver, HLT, or a change of state (mode, interrupt flag) the
    /// machine may act on.
    pub fn run_system(&mut self, env: &mut CpuState) -> SysExit {
        if env.sys.inhibit_irq != 0 {
            // The instruction after STI / MOV SS runs before any interrupt.
            env.sys.inhibit_irq = 0;
            if let Some(e) = self.run_shadowed(env) {
                return SysExit::Exception(e);
            }
            return SysExit::Interrupted;
        }
        let mut chain_from: Option<(TbId, usize, u64)> = None;
        loop {
            if env.exit_request.swap(0, Ordering::AcqRel) != 0 {
                return SysExit::Interrupted;
            }
            let mode = tb_mode(env);
            self.sync_jump_caches(env, mode);
            let tb = match self.sys_lookup(env, mode) {
                Ok(tb) => tb,
                Err(f) => {
                    f.raise(env);
                    return SysExit::Exception(take_exception(env));
                }
            };
            if self.opts.log.exec {
                self.log.write(&format!("Trace 0: [{:016x}]\n", tb.key.pc));
            }
            self.stats.tbs_executed += 1;
            let exception = match (&mut self.jit, tb.jit) {
                (Some(jit), Some(id)) => {
                    if !self.opts.log.exec {
                        jit.set_jump(tb.key.pc, id);
                        if let Some((from, k, _)) = chain_from.take().filter(|c| c.2 == jit.flushes)
                        {
                            jit.chain(from, k, id);
                        }
                    }
                    match jit.run(env, id) {
                        JitExit::Direct { tb, exit } => {
                            chain_from = Some((tb, exit, jit.flushes));
                            false
                        }
                        JitExit::Indirect | JitExit::ExitRequest => false,
                        JitExit::Exception => true,
                        JitExit::MxcsrNotDefault => {
                            unreachable!("system mode compiles no MXCSR entry checks")
                        }
                    }
                }
                _ => {
                    let itb = tb.interp.as_ref().expect("interp engine keeps the IR");
                    matches!(
                        ox86_interp::exec(itb, env, &mut self.locals),
                        TbExit::Exception(_)
                    )
                }
            };
            self.drop_written_code(env);
            if exception {
                let e = take_exception(env);
                if e.vector as u64 == excp::NEW_STATE && !self.interrupt_possible(env) {
                    // A new mode, nothing for the machine to do: go on.
                    chain_from = None;
                    continue;
                }
                if e.vector as u64 != excp::SMC {
                    return SysExit::Exception(e);
                }
                // A store hit translated code: its TBs are gone; run the
                // storing instruction again, alone.
                chain_from = None;
                if let Some(e) = self.run_oneshot(env) {
                    return SysExit::Exception(e);
                }
            }
        }
    }

    /// True when the machine may have an interrupt to deliver now: IF set,
    /// no interrupt shadow, and the bus's INTR asserted (or a request to
    /// leave is pending).
    fn interrupt_possible(&self, env: &mut CpuState) -> bool {
        if env.sys.inhibit_irq != 0 || env.exit_request.load(Ordering::Acquire) != 0 {
            return true;
        }
        env.eflags & ox86_x86::cpu::eflags::IF != 0 && with_mmu(env, |_, m| m.bus.intr())
    }

    /// Drops every TB and every record of code pages (guest RAM was
    /// rewritten behind the softmmu's back, as by a boot loader).
    pub fn flush_system(&mut self, env: &mut CpuState) {
        self.flush();
        self.sys = SysState::default();
        with_mmu(env, |_, m| m.clear_all_code());
    }

    /// The jump caches (engine and JIT) are keyed by rip only: each mode
    /// (flags and CS base) has its own, and all are cleared when the TLB
    /// changes.
    fn sync_jump_caches(&mut self, env: &mut CpuState, mode: Mode) {
        let generation = with_mmu(env, |_, m| m.generation);
        if self.sys.tlb_generation != Some(generation) {
            self.sys.tlb_generation = Some(generation);
            self.jmp.clear();
            self.sys.spare_caches.clear();
            if let Some(jit) = &mut self.jit {
                jit.clear_jumps();
            }
        }
        let key = mode_key(&mode);
        if key == self.sys.mode {
            return;
        }
        let spares = &mut self.sys.spare_caches;
        let next = match spares.iter().position(|(k, _)| *k == key) {
            Some(i) => spares.remove(i).1,
            None if spares.len() >= KEPT_CACHES => {
                let mut c = spares.remove(0).1;
                c.clear();
                c
            }
            None => JumpCache::default(),
        };
        let old = std::mem::replace(&mut self.jmp, next);
        spares.push((self.sys.mode, old));
        self.sys.mode = key;
        if let Some(jit) = &mut self.jit {
            jit.select_jump_table(key);
        }
    }

    fn sys_lookup(&mut self, env: &mut CpuState, mode: Mode) -> Result<Arc<Tb>, Fault> {
        self.stats.jmp_cache_lookups += 1;
        if let Some(tb) = self.jmp.get(env.rip, self.cache.generation) {
            self.stats.jmp_cache_hits += 1;
            return Ok(tb);
        }
        let lin = mode.cs_base.wrapping_add(env.rip);
        let phys = code_paddr(env, lin)?;
        let key = TbKey {
            pc: env.rip,
            flags: mode.flags(),
            cs_base: mode.cs_base,
            phys,
        };
        let hit = self.sys_cached(env, &key, lin);
        let tb = match hit {
            Some(tb) => tb,
            None => {
                let max_insns = if self.opts.one_insn_per_tb {
                    1
                } else {
                    TbFlags::default().max_insns
                };
                self.sys_translate(env, mode, phys, max_insns, 0)
            }
        };
        self.jmp.set(tb.clone());
        Ok(tb)
    }

    /// The cached TB for `key`, if its second page (if any) still maps
    /// where it did.
    fn sys_cached(&self, env: &mut CpuState, key: &TbKey, lin: u64) -> Option<Arc<Tb>> {
        self.cache.get(key).cloned().filter(|tb| match tb.phys2 {
            Some(p2) => {
                let next = lin.wrapping_add(first_len(lin, tb.size));
                code_paddr(env, next).is_ok_and(|p| p & PAGE_MASK == p2)
            }
            None => true,
        })
    }

    /// Translates the TB at rip (at most `max_insns` instructions, `extra`
    /// or-ed into its key's flags), caches it and records its pages as code.
    fn sys_translate(
        &mut self,
        env: &mut CpuState,
        mode: Mode,
        phys: u64,
        max_insns: usize,
        extra: u32,
    ) -> Arc<Tb> {
        let pc = env.rip;
        let mut tb = self.build_tb(pc, &mut SysCode(env), mode, max_insns, None);
        tb.key.flags |= extra;
        let lin = mode.cs_base.wrapping_add(pc);
        let first = first_len(lin, tb.size);
        tb.key.phys = phys;
        if tb.size > first {
            tb.phys2 = code_paddr(env, lin.wrapping_add(first))
                .ok()
                .map(|p| p & PAGE_MASK);
        }
        let tb = Arc::new(tb);
        self.add_tb_pages(env, &tb);
        if let Some(old) = self.cache.get(&tb.key).cloned() {
            self.drop_tb(env, &old);
        }
        self.cache.insert(tb.clone());
        tb
    }

    /// The byte ranges of `tb`'s code: (physical start, length) per page.
    fn tb_ranges(tb: &Tb) -> impl Iterator<Item = (u64, u64)> {
        let first = first_len(tb.key.phys, tb.size);
        std::iter::once((tb.key.phys, first)).chain(tb.phys2.map(|p| (p, tb.size - first)))
    }

    fn add_tb_pages(&mut self, env: &mut CpuState, tb: &Arc<Tb>) {
        for (start, len) in Self::tb_ranges(tb) {
            with_mmu(env, |_, m| m.add_code(start, len));
            self.sys
                .pages
                .entry(start & PAGE_MASK)
                .or_default()
                .push(tb.clone());
        }
    }

    /// Forgets one TB: cache, JIT code, page lists and code bytes.
    fn drop_tb(&mut self, env: &mut CpuState, tb: &Arc<Tb>) {
        self.cache.remove(tb);
        if let (Some(jit), Some(id)) = (&mut self.jit, tb.jit) {
            jit.invalidate(id);
        }
        for (start, _) in Self::tb_ranges(tb) {
            let page = start & PAGE_MASK;
            let Some(list) = self.sys.pages.get_mut(&page) else {
                continue;
            };
            list.retain(|t| !Arc::ptr_eq(t, tb));
            let rest: Vec<Arc<Tb>> = list.clone();
            if rest.is_empty() {
                self.sys.pages.remove(&page);
            }
            with_mmu(env, |_, m| {
                m.clear_code(page);
                for t in &rest {
                    for (s, len) in Self::tb_ranges(t) {
                        if s & PAGE_MASK == page {
                            m.add_code(s, len);
                        }
                    }
                }
            });
        }
    }

    /// Drops the TBs whose code was written (recorded by the softmmu).
    fn drop_written_code(&mut self, env: &mut CpuState) {
        let writes = with_mmu(env, |_, m| std::mem::take(&mut m.code_writes));
        for (start, end) in writes {
            let page = start & PAGE_MASK;
            let victims: Vec<Arc<Tb>> = match self.sys.pages.get(&page) {
                Some(list) => list
                    .iter()
                    .filter(|t| {
                        Self::tb_ranges(t)
                            .any(|(s, len)| s & PAGE_MASK == page && s < end && start < s + len)
                    })
                    .cloned()
                    .collect(),
                None => continue,
            };
            for tb in victims {
                self.drop_tb(env, &tb);
            }
        }
    }

    /// Runs the one instruction at rip alone (it is in an interrupt
    /// shadow), from a cached one-instruction TB; returns its exception.
    fn run_shadowed(&mut self, env: &mut CpuState) -> Option<PendingException> {
        let mode = tb_mode(env);
        let lin = mode.cs_base.wrapping_add(env.rip);
        let phys = match code_paddr(env, lin) {
            Ok(p) => p,
            Err(f) => {
                f.raise(env);
                return Some(take_exception(env));
            }
        };
        let key = TbKey {
            pc: env.rip,
            flags: mode.flags() | ONE_INSN,
            cs_base: mode.cs_base,
            phys,
        };
        let tb = match self.sys_cached(env, &key, lin) {
            Some(tb) => tb,
            None => self.sys_translate(env, mode, phys, 1, ONE_INSN),
        };
        // The TB may end in a jump-table probe: the request sends it back here.
        env.request_exit();
        let exception = self.run_alone(env, &tb);
        self.drop_written_code(env);
        if !exception {
            return None;
        }
        let e = take_exception(env);
        if e.vector as u64 == excp::SMC {
            return self.run_oneshot(env);
        }
        Some(e)
    }

    /// Runs `tb` once, unchained; true when it raised an exception.
    fn run_alone(&mut self, env: &mut CpuState, tb: &Tb) -> bool {
        match (&mut self.jit, tb.jit) {
            (Some(jit), Some(id)) => jit.run(env, id) == JitExit::Exception,
            _ => {
                let itb = tb.interp.as_ref().expect("interp engine keeps the IR");
                matches!(
                    ox86_interp::exec(itb, env, &mut self.locals),
                    TbExit::Exception(_)
                )
            }
        }
    }

    /// Translates and runs the one instruction at rip, uncached, with its
    /// stores to translated code going through; returns its exception.
    fn run_oneshot(&mut self, env: &mut CpuState) -> Option<PendingException> {
        let mode = tb_mode(env);
        if let Err(f) = code_paddr(env, mode.cs_base.wrapping_add(env.rip)) {
            f.raise(env);
            return Some(take_exception(env));
        }
        let tb = self.build_tb(env.rip, &mut SysCode(env), mode, 1, None);
        with_mmu(env, |_, m| m.oneshot = true);
        // The TB may end in a jump-table probe: the request sends it back here.
        env.request_exit();
        let exception = self.run_alone(env, &tb);
        with_mmu(env, |_, m| m.oneshot = false);
        self.drop_written_code(env);
        exception.then(|| take_exception(env))
    }
}

/// Intel-syntax disassembly of `size` bytes of guest code at `pc` in the
/// CPU's current mode, read through its softmmu (for logs and messages).
pub fn disassemble_system(env: &mut CpuState, pc: u64, size: u64) -> String {
    let mode = tb_mode(env);
    crate::cpu_exec::disassemble_code(&mut SysCode(env), pc, mode, size)
}
