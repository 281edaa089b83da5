//! The XMM register cache: which guest XMM registers a TB's code holds in
//! host XMM registers, and which of those are newer than `CpuState`
//! (dirty). The cache is write-back: an instruction that writes a guest
//! register only marks it dirty, and the code generator stores it
//! (`Gen::xmm_flush`) where something may read `CpuState` instead: any
//! call out of generated code (every XMM register is caller-saved in the
//! SysV ABI, and helpers read `CpuState`), a TB exit, an `ld_env` or
//! `st_env` of one of its halves, a branch or label where the ways in may
//! disagree, and an eviction. A guest memory access records the dirty
//! registers' host registers in its fault site instead (`sites`). Where
//! paths meet (an IR label) only what every path caches in the same
//! register stays cached; a self-loop keeps a fixed set across its back
//! edge, dirty (`Gen::xmm_loop_entry`), and across the jumps back to the
//! heads of its inner loops.
//!
//! Host XMM0 and XMM1 stay scratch; XMM2..XMM15 are the cache.

/// No register.
const NONE: u8 = u8::MAX;
/// The first host register the cache uses.
const FIRST: u8 = 2;
/// Guest XMM registers: XMM0..XMM15 and `XMM_SRC`, where the translator
/// stages a memory operand.
pub(crate) const GUEST_XMM: usize = 17;

/// Guest XMM register to host XMM register, both ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct XmmCache {
    /// Per guest register: the host register holding it, or `NONE`.
    host: [u8; GUEST_XMM],
    /// Per host register: the guest register it holds, or `NONE`.
    guest: [u8; 16],
    /// Where the next search for a victim starts.
    next: u8,
    /// Guest registers (bit per register) whose host copy `CpuState` does
    /// not have yet.
    dirty: u32,
}

impl Default for XmmCache {
    fn default() -> Self {
        XmmCache {
            host: [NONE; GUEST_XMM],
            guest: [NONE; 16],
            next: FIRST,
            dirty: 0,
        }
    }
}

impl XmmCache {
    /// Forgets every cached register (the dirty ones must have been
    /// stored).
    pub fn clear(&mut self) {
        debug_assert_eq!(self.dirty, 0, "dirty XMM registers dropped");
        self.host = [NONE; GUEST_XMM];
        self.guest = [NONE; 16];
        self.dirty = 0;
    }

    /// Forgets guest register `g` (stored first if it was dirty).
    pub fn forget(&mut self, g: usize) {
        if let Some(h) = self.get(g) {
            self.guest[h as usize] = NONE;
            self.host[g] = NONE;
        }
        self.dirty &= !(1 << g);
    }

    /// Marks guest register `g`, which must be cached, newer than
    /// `CpuState`.
    pub fn set_dirty(&mut self, g: usize) {
        debug_assert!(self.get(g).is_some());
        self.dirty |= 1 << g;
    }

    /// Marks guest register `g` stored.
    pub fn set_clean(&mut self, g: usize) {
        self.dirty &= !(1 << g);
    }

    /// True if guest register `g` is newer than `CpuState`.
    pub fn is_dirty(&self, g: usize) -> bool {
        self.dirty & 1 << g != 0
    }

    /// The dirty registers as (guest, host) pairs.
    pub fn dirty_entries(&self) -> impl Iterator<Item = (usize, u8)> + '_ {
        self.entries().filter(|&(g, _)| self.is_dirty(g))
    }

    /// The guest register host register `h` holds.
    pub fn guest_in(&self, h: u8) -> Option<usize> {
        let g = self.guest[h as usize];
        (g != NONE).then_some(g as usize)
    }

    /// Caches guest register `g` (not cached) in host register `h` (free).
    pub fn bind(&mut self, g: usize, h: u8) {
        debug_assert!(self.get(g).is_none() && self.guest_in(h).is_none());
        self.guest[h as usize] = g as u8;
        self.host[g] = h;
    }

    /// The host register holding guest register `g`.
    pub fn get(&self, g: usize) -> Option<u8> {
        self.host.get(g).copied().filter(|&h| h != NONE)
    }

    /// A host register for guest register `g` (not yet cached), other than
    /// `keep`: a free one, else the next in round-robin order, whose guest
    /// register is forgotten. Also returns that guest register if it was
    /// dirty: the caller stores it before overwriting the host register.
    pub fn assign(&mut self, g: usize, keep: Option<u8>) -> (u8, Option<usize>) {
        debug_assert!(self.get(g).is_none());
        let mut evicted = None;
        let h = (FIRST..16)
            .find(|&h| self.guest[h as usize] == NONE)
            .unwrap_or_else(|| {
                let mut h = self.next;
                while Some(h) == keep {
                    h = if h == 15 { FIRST } else { h + 1 };
                }
                self.next = if h == 15 { FIRST } else { h + 1 };
                let old = self.guest[h as usize] as usize;
                if self.is_dirty(old) {
                    evicted = Some(old);
                }
                self.forget(old);
                h
            });
        self.bind(g, h);
        (h, evicted)
    }

    /// Keeps only the registers `other` caches in the same host register,
    /// dirty if dirty on either path: the state where two paths meet.
    pub fn intersect(&mut self, other: &XmmCache) {
        for g in 0..GUEST_XMM {
            if self.host[g] != other.host[g] {
                self.forget(g);
            } else if other.is_dirty(g) {
                self.dirty |= 1 << g;
            }
        }
    }

    /// The cached registers as (guest, host) pairs.
    pub fn entries(&self) -> impl Iterator<Item = (usize, u8)> + '_ {
        self.host
            .iter()
            .enumerate()
            .filter(|&(_, &h)| h != NONE)
            .map(|(g, &h)| (g, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_uses_free_registers_then_evicts_round_robin() {
        let mut c = XmmCache::default();
        for g in 0..14 {
            assert_eq!(c.assign(g, None), (FIRST + g as u8, None));
        }
        c.set_dirty(1);
        // Full: the next guest register takes XMM2 from guest 0, then XMM3
        // (skipping `keep`) from guest 1.
        assert_eq!(c.assign(14, None), (2, None));
        assert_eq!(c.get(0), None);
        assert_eq!(c.assign(15, Some(3)), (4, None));
        assert_eq!(c.get(2), None);
        assert_eq!(c.get(1), Some(3));
        assert_eq!(c.entries().count(), 14);
        c.forget(15);
        assert_eq!(
            c.assign(0, None),
            (4, None),
            "a freed register is reused first"
        );
        let mut d = c;
        d.forget(3);
        d.forget(0);
        d.assign(0, None);
        c.intersect(&d);
        assert_eq!(c.get(3), None);
        assert_eq!(c.get(0), Some(4), "the same mapping on both paths");
        assert_eq!(c.entries().count(), 13);
        c.set_clean(1);
        c.clear();
        assert_eq!(c.entries().count(), 0);
    }

    #[test]
    fn dirty_registers_are_reported_on_eviction_and_kept_where_paths_meet() {
        let mut c = XmmCache::default();
        for g in 0..14 {
            c.assign(g, None);
        }
        c.set_dirty(0);
        c.set_dirty(5);
        assert_eq!(
            c.dirty_entries().collect::<Vec<_>>(),
            [(0, FIRST), (5, FIRST + 5)]
        );
        // Evicting guest 0 (dirty) from XMM2 reports it for storing.
        assert_eq!(c.assign(16, None), (FIRST, Some(0)));
        assert!(!c.is_dirty(0));
        assert_eq!(c.guest_in(FIRST), Some(16));
        // Dirty on either way in stays dirty; a register cached in
        // different host registers is dropped, dirty or not.
        let mut d = c;
        d.set_clean(5);
        d.set_dirty(7);
        d.forget(9);
        c.set_dirty(9);
        c.intersect(&d);
        assert!(c.is_dirty(5) && c.is_dirty(7));
        assert_eq!((c.get(9), c.is_dirty(9)), (None, false));
    }
}
