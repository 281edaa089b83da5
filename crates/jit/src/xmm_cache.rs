//! The XMM register cache: which guest XMM registers a TB's code holds in
//! host XMM registers. The cache is write-through: every `call_xmm` that
//! writes a guest register also stores it to `CpuState`, so the state in
//! memory is always current. A cached copy therefore never needs writing
//! back; it is only dropped when the host register may have changed (any
//! call out of generated code, since every XMM register is caller-saved
//! in the SysV ABI), when the guest register is written another way
//! (`st_env` of one of its halves). Where paths meet (an IR label) only
//! what every path caches in the same register stays cached; a self-loop
//! keeps a fixed set across its back edge (`Gen::xmm_loop_entry`).
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
}

impl Default for XmmCache {
    fn default() -> Self {
        XmmCache {
            host: [NONE; GUEST_XMM],
            guest: [NONE; 16],
            next: FIRST,
        }
    }
}

impl XmmCache {
    /// Forgets every cached register.
    pub fn clear(&mut self) {
        self.host = [NONE; GUEST_XMM];
        self.guest = [NONE; 16];
    }

    /// Forgets guest register `g`.
    pub fn forget(&mut self, g: usize) {
        if let Some(h) = self.get(g) {
            self.guest[h as usize] = NONE;
            self.host[g] = NONE;
        }
    }

    /// The host register holding guest register `g`.
    pub fn get(&self, g: usize) -> Option<u8> {
        self.host.get(g).copied().filter(|&h| h != NONE)
    }

    /// A host register for guest register `g` (not yet cached), other than
    /// `keep`: a free one, else the next in round-robin order, whose guest
    /// register is forgotten.
    pub fn assign(&mut self, g: usize, keep: Option<u8>) -> u8 {
        debug_assert!(self.get(g).is_none());
        let h = (FIRST..16)
            .find(|&h| self.guest[h as usize] == NONE)
            .unwrap_or_else(|| {
                let mut h = self.next;
                while Some(h) == keep {
                    h = if h == 15 { FIRST } else { h + 1 };
                }
                self.next = if h == 15 { FIRST } else { h + 1 };
                self.host[self.guest[h as usize] as usize] = NONE;
                h
            });
        self.guest[h as usize] = g as u8;
        self.host[g] = h;
        h
    }

    /// Keeps only the registers `other` caches in the same host register:
    /// the state where two paths meet.
    pub fn intersect(&mut self, other: &XmmCache) {
        for g in 0..GUEST_XMM {
            if self.host[g] != other.host[g] {
                self.forget(g);
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
            assert_eq!(c.assign(g, None), FIRST + g as u8);
        }
        // Full: the next guest register takes XMM2 from guest 0, then XMM3
        // (skipping `keep`) from guest 1.
        assert_eq!(c.assign(14, None), 2);
        assert_eq!(c.get(0), None);
        assert_eq!(c.assign(15, Some(3)), 4);
        assert_eq!(c.get(2), None);
        assert_eq!(c.get(1), Some(3));
        assert_eq!(c.entries().count(), 14);
        c.forget(15);
        assert_eq!(c.assign(0, None), 4, "a freed register is reused first");
        let mut d = c;
        d.forget(3);
        d.forget(0);
        d.assign(0, None);
        c.intersect(&d);
        assert_eq!(c.get(3), None);
        assert_eq!(c.get(0), Some(4), "the same mapping on both paths");
        assert_eq!(c.entries().count(), 13);
        c.clear();
        assert_eq!(c.entries().count(), 0);
    }
}
