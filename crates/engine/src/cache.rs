//! The TB cache: a per-vCPU direct-mapped jump cache in front of a global
//! hash keyed by (pc, flags), as in QEMU's `tb_jmp_cache` + `tb_htable`.

use crate::hash::BuildWordHasher;
use crate::tb::{Tb, TbKey};
use ox86_jit::jmp_table::{jmp_hash, LARGE_BITS, SMALL_BITS};
use ox86_jit::TbId;
use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A cached TB, hashed and compared by its key (which it holds, so the
/// table stores one pointer per TB).
struct Entry(Arc<Tb>);

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.key.hash(h)
    }
}

impl Borrow<TbKey> for Entry {
    fn borrow(&self) -> &TbKey {
        &self.0.key
    }
}

/// The global TB hash.
#[derive(Default)]
pub struct TbCache {
    set: HashSet<Entry, BuildWordHasher>,
    /// Bumped on every flush, so jump caches can tell they are stale.
    pub generation: u64,
}

impl TbCache {
    /// Looks a TB up by key.
    pub fn get(&self, key: &TbKey) -> Option<&Arc<Tb>> {
        self.set.get(key).map(|e| &e.0)
    }

    /// Inserts a freshly translated TB (replacing one with the same key).
    pub fn insert(&mut self, tb: Arc<Tb>) {
        self.set.replace(Entry(tb));
    }

    /// Drops one TB (system mode: its code was overwritten).
    pub fn remove(&mut self, tb: &Tb) {
        if self.set.remove(&tb.key) {
            self.generation += 1;
        }
    }

    /// Drops every TB overlapping guest range `[start, end)`; returns them.
    /// A TB counts from the start of its first page (a loop region's
    /// blocks may lie below its pc) to the end of its code, and over the
    /// code its flag look-ahead decoded.
    pub fn invalidate_range(&mut self, start: u64, end: u64) -> Vec<Arc<Tb>> {
        let mut gone = Vec::new();
        self.set.retain(|Entry(tb)| {
            let first = tb.key.pc & !(ox86_x86::translate::PAGE_SIZE - 1);
            let apart = |from: u64, to: u64| to <= start || from >= end;
            let keep = apart(first, tb.key.pc + tb.size)
                && tb.lookahead.is_none_or(|s| apart(s.start, s.end));
            if !keep {
                gone.push(tb.clone());
            }
            keep
        });
        if !gone.is_empty() {
            self.generation += 1;
        }
        gone
    }

    /// Drops everything.
    pub fn flush(&mut self) {
        self.set.clear();
        self.generation += 1;
    }

    /// Number of cached TBs.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True when no TB is cached.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// The per-vCPU jump cache: pc-indexed, direct-mapped, of the same size
/// and hash as the JIT's jump table (`ox86_jit::jmp_table`). A slot holds
/// the TB's pc and compiled code's id beside the TB, so that the exec loop
/// finds a compiled TB's id, or that the slot holds another pc, from the
/// slot alone (`get_compiled`), without reading the TB, which is seldom
/// in the data cache by then: with a slot of the TB alone, that read was
/// a third of the exec loop's own time in python's start-up.
pub struct JumpCache {
    entries: Vec<Slot>,
    bits: u32,
    generation: u64,
}

/// One slot of the jump cache (24 bytes): a TB, with copies of its pc
/// and compiled code's id.
#[derive(Clone, Default)]
struct Slot {
    pc: u64,
    jit: Option<TbId>,
    tb: Option<Arc<Tb>>,
}

impl Default for JumpCache {
    fn default() -> Self {
        JumpCache::new(SMALL_BITS)
    }
}

impl JumpCache {
    /// An empty cache of `2^bits` entries.
    fn new(bits: u32) -> JumpCache {
        JumpCache {
            entries: vec![Slot::default(); 1 << bits],
            bits,
            generation: 0,
        }
    }

    /// Replaces this cache with an empty one of the JIT's grown size (see
    /// `Jit::grow_jump_table`).
    pub fn grow(&mut self) {
        let generation = self.generation;
        *self = JumpCache::new(LARGE_BITS);
        self.generation = generation;
    }

    /// The slot of `pc`, emptied first if the cache is stale.
    fn slot(&mut self, pc: u64, generation: u64) -> &Slot {
        if self.generation != generation {
            self.clear();
            self.generation = generation;
        }
        &self.entries[jmp_hash(pc, self.bits)]
    }

    /// The cached TB for `pc`, if the slot holds it and the cache is current.
    pub fn get(&mut self, pc: u64, generation: u64) -> Option<Arc<Tb>> {
        match self.slot(pc, generation) {
            Slot {
                pc: p,
                tb: Some(tb),
                ..
            } if *p == pc => Some(tb.clone()),
            _ => None,
        }
    }

    /// The compiled code of the cached TB for `pc`, if the slot holds one
    /// and the cache is current.
    pub fn get_compiled(&mut self, pc: u64, generation: u64) -> Option<TbId> {
        match self.slot(pc, generation) {
            Slot { pc: p, jit, .. } if *p == pc => *jit,
            _ => None,
        }
    }

    /// Empties every slot.
    pub fn clear(&mut self) {
        self.entries.iter_mut().for_each(|e| *e = Slot::default());
    }

    /// Remembers `tb` in its slot.
    pub fn set(&mut self, tb: Arc<Tb>) {
        let h = jmp_hash(tb.key.pc, self.bits);
        self.entries[h] = Slot {
            pc: tb.key.pc,
            jit: tb.jit,
            tb: Some(tb),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tb(pc: u64, jit: Option<u32>) -> Arc<Tb> {
        Arc::new(Tb {
            key: TbKey {
                pc,
                flags: 0,
                cs_base: 0,
                phys: pc,
            },
            phys2: None,
            size: 1,
            n_insns: 1,
            lookahead: None,
            interp: None,
            jit: jit.map(TbId),
        })
    }

    #[test]
    fn a_slot_answers_for_its_own_pc_only() {
        let mut jc = JumpCache::default();
        let pc = 0x40_1000;
        // Another pc of the same slot.
        let other = pc + (1 << (SMALL_BITS + 13));
        assert_eq!(jmp_hash(pc, SMALL_BITS), jmp_hash(other, SMALL_BITS));
        jc.set(tb(pc, Some(7)));
        assert_eq!(jc.get_compiled(pc, 0), Some(TbId(7)));
        assert_eq!(jc.get(pc, 0).map(|t| t.key.pc), Some(pc));
        assert_eq!(jc.get_compiled(other, 0), None);
        assert!(jc.get(other, 0).is_none());
        // A TB not compiled yet is found, but not as code.
        jc.set(tb(other, None));
        assert_eq!(jc.get_compiled(other, 0), None);
        assert_eq!(jc.get(other, 0).map(|t| t.key.pc), Some(other));
        assert_eq!(jc.get_compiled(pc, 0), None);
        // A new generation of the TB cache empties every slot.
        jc.set(tb(pc, Some(9)));
        assert_eq!(jc.get_compiled(pc, 1), None);
        assert!(jc.get(pc, 1).is_none());
    }
}
