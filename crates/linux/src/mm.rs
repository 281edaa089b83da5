//! Guest memory management in user mode: guest addresses are host
//! addresses, so guest mmap/munmap/mprotect/mremap go to the host, but
//! ox86 records which ranges belong to the guest and never lets the guest
//! map over, unmap or reprotect ox86's own mappings. Also the emulated brk.

use std::collections::BTreeMap;
use std::io;

const PAGE: u64 = 4096;

/// Host `mmap`, returning the address or the host error.
pub fn host_mmap(addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: u64) -> io::Result<u64> {
    // SAFETY: callers pass either no address, a MAP_FIXED_NOREPLACE request,
    // or a MAP_FIXED range that `GuestMemory` has checked belongs to the guest.
    let p = unsafe { libc::mmap(addr as *mut _, len as usize, prot, flags, fd, off as i64) };
    if p == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(p as u64)
    }
}

fn errno() -> i64 {
    -(io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL) as i64)
}

/// The guest's address-space bookkeeping.
#[derive(Default, Debug)]
pub struct GuestMemory {
    /// Guest-owned ranges, start -> end, non-overlapping.
    maps: BTreeMap<u64, u64>,
    /// Start of the brk area (end of the loaded image).
    pub brk_start: u64,
    /// Current brk.
    pub brk: u64,
    /// End of the pages mapped for brk so far.
    brk_mapped: u64,
    /// End of the address range reserved for brk.
    brk_limit: u64,
    /// The mappings loading made (segments, the stack) with their
    /// protection, for the engine (`Engine::set_guest_prot`): start, end,
    /// protection.
    pub loaded: Vec<(u64, u64, i32)>,
}

impl GuestMemory {
    /// Records `[start, end)` as guest-owned.
    pub fn record(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        self.forget(start, end);
        self.maps.insert(start, end);
        // Merge with neighbours.
        let (mut s, mut e) = (start, end);
        if let Some((&ps, &pe)) = self.maps.range(..s).next_back() {
            if pe == s {
                self.maps.remove(&ps);
                self.maps.remove(&s);
                s = ps;
                self.maps.insert(s, e);
            }
        }
        if let Some(&ne) = self.maps.get(&e) {
            self.maps.remove(&e);
            e = ne;
            self.maps.insert(s, e);
        }
    }

    /// Removes `[start, end)` from the guest-owned set.
    pub fn forget(&mut self, start: u64, end: u64) {
        let overlapping: Vec<(u64, u64)> = self
            .maps
            .range(..end)
            .filter(|&(_, &e)| e > start)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in overlapping {
            self.maps.remove(&s);
            if s < start {
                self.maps.insert(s, start);
            }
            if e > end {
                self.maps.insert(end, e);
            }
        }
    }

    /// The parts of `[start, end)` not owned by the guest.
    pub fn gaps(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut at = start;
        let first = self.maps.range(..=start).next_back().map(|(&s, &e)| (s, e));
        let rest = self.maps.range(start + 1..end).map(|(&s, &e)| (s, e));
        for (s, e) in first.into_iter().chain(rest) {
            if e <= at {
                continue;
            }
            if s > at {
                out.push((at, s.min(end)));
            }
            at = at.max(e);
            if at >= end {
                break;
            }
        }
        if at < end {
            out.push((at, end));
        }
        out
    }

    /// True if all of `[start, end)` is guest-owned.
    pub fn owns(&self, start: u64, end: u64) -> bool {
        self.gaps(start, end).is_empty()
    }

    /// Checks that a MAP_FIXED request over `[start, end)` only replaces
    /// guest mappings: every gap must be free host address space.
    fn claim_fixed(&mut self, start: u64, end: u64) -> bool {
        for (s, e) in self.gaps(start, end) {
            let probe = host_mmap(
                s,
                e - s,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            );
            match probe {
                Ok(p) if p == s => self.record(s, e),
                _ => return false,
            }
        }
        true
    }

    /// Guest `mmap`.
    pub fn mmap(&mut self, addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: u64) -> i64 {
        if len == 0 {
            return -(libc::EINVAL as i64);
        }
        let len = len.checked_add(PAGE - 1).map(|l| l & !(PAGE - 1));
        let Some(len) = len else {
            return -(libc::ENOMEM as i64);
        };
        if flags & libc::MAP_FIXED != 0 && flags & libc::MAP_FIXED_NOREPLACE == 0 {
            if !addr.is_multiple_of(PAGE) {
                return -(libc::EINVAL as i64);
            }
            let Some(end) = addr.checked_add(len) else {
                return -(libc::ENOMEM as i64);
            };
            if !self.claim_fixed(addr, end) {
                return -(libc::ENOMEM as i64);
            }
        }
        // MAP_GROWSDOWN stacks and the rest are the host's business.
        match host_mmap(addr, len, prot, flags, fd, off) {
            Ok(p) => {
                crate::huge_pages::advise(p, len, prot, flags);
                self.record(p, p + len);
                p as i64
            }
            Err(_) => errno(),
        }
    }

    /// Guest `munmap`: only guest-owned pages are unmapped.
    pub fn munmap(&mut self, addr: u64, len: u64) -> i64 {
        if !addr.is_multiple_of(PAGE) || len == 0 {
            return -(libc::EINVAL as i64);
        }
        let end = addr.saturating_add((len + PAGE - 1) & !(PAGE - 1));
        let owned: Vec<(u64, u64)> = self
            .maps
            .range(..end)
            .filter(|&(_, &e)| e > addr)
            .map(|(&s, &e)| (s.max(addr), e.min(end)))
            .collect();
        for (s, e) in owned {
            // SAFETY: the range is guest-owned (recorded by this bookkeeping).
            unsafe { libc::munmap(s as *mut _, (e - s) as usize) };
        }
        self.forget(addr, end);
        0
    }

    /// Guest `mprotect`: refused with ENOMEM outside guest-owned memory.
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> i64 {
        if !addr.is_multiple_of(PAGE) {
            return -(libc::EINVAL as i64);
        }
        let end = addr.saturating_add((len + PAGE - 1) & !(PAGE - 1));
        if !self.owns(addr, end) {
            return -(libc::ENOMEM as i64);
        }
        // SAFETY: the range is guest-owned.
        let r = unsafe { libc::mprotect(addr as *mut _, (end - addr) as usize, prot) };
        if r < 0 {
            errno()
        } else {
            0
        }
    }

    /// Guest `mremap` (MREMAP_MAYMOVE allowed; MREMAP_FIXED only onto guest or free space).
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: i32,
        new_addr: u64,
    ) -> i64 {
        let old_len_p = (old_len + PAGE - 1) & !(PAGE - 1);
        if !self.owns(old, old + old_len_p.max(PAGE)) {
            return -(libc::EFAULT as i64);
        }
        if flags & libc::MREMAP_FIXED != 0 {
            let end = new_addr.saturating_add((new_len + PAGE - 1) & !(PAGE - 1));
            if !self.claim_fixed(new_addr, end) {
                return -(libc::ENOMEM as i64);
            }
        }
        // SAFETY: the source is guest-owned and a fixed destination was claimed.
        let p = unsafe {
            libc::mremap(
                old as *mut _,
                old_len as usize,
                new_len as usize,
                flags,
                new_addr as *mut libc::c_void,
            )
        };
        if p == libc::MAP_FAILED {
            return errno();
        }
        let p = p as u64;
        self.forget(old, old + old_len_p);
        self.record(p, p + ((new_len + PAGE - 1) & !(PAGE - 1)));
        p as i64
    }

    /// Sets up brk after the loaded image: `[at, at + reserve)` becomes a
    /// PROT_NONE reservation brk grows into (`reserved`: the loader already
    /// made it; otherwise it is made here if that range is free).
    pub fn init_brk(&mut self, at: u64, reserve: u64, reserved: bool) {
        self.brk_start = at;
        self.brk = at;
        self.brk_mapped = at;
        let ok = reserved
            || host_mmap(
                at,
                reserve,
                libc::PROT_NONE,
                libc::MAP_PRIVATE
                    | libc::MAP_ANONYMOUS
                    | libc::MAP_NORESERVE
                    | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
            .is_ok_and(|p| p == at);
        if ok {
            self.record(at, at + reserve);
            self.brk_limit = at + reserve;
        } else {
            self.brk_limit = at;
        }
    }

    /// Guest `brk`: grows with fresh zero pages, inside the reservation or
    /// else only where nothing is mapped; returns the (possibly unchanged) break.
    pub fn do_brk(&mut self, new: u64) -> u64 {
        if new < self.brk_start {
            return self.brk;
        }
        let Some(want) = new.checked_add(PAGE - 1).map(|v| v & !(PAGE - 1)) else {
            return self.brk;
        };
        if want > self.brk_mapped {
            let (from, len) = (self.brk_mapped, want - self.brk_mapped);
            let fixed = if want <= self.brk_limit {
                libc::MAP_FIXED
            } else {
                libc::MAP_FIXED_NOREPLACE
            };
            let r = host_mmap(
                from,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | fixed,
                -1,
                0,
            );
            match r {
                Ok(p) if p == from => self.record(p, p + len),
                Ok(p) => {
                    // SAFETY: unmapping the stray mapping just created.
                    unsafe { libc::munmap(p as *mut _, len as usize) };
                    return self.brk;
                }
                Err(_) => return self.brk,
            }
            self.brk_mapped = want;
        } else if want < self.brk_mapped {
            // Shrinking frees the pages; inside the reservation they go back
            // to PROT_NONE so that a later growth finds them zeroed.
            let (from, len) = (want, self.brk_mapped - want);
            if self.brk_mapped <= self.brk_limit {
                let _ = host_mmap(
                    from,
                    len,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                    -1,
                    0,
                );
            } else {
                self.munmap(from, len);
            }
            self.brk_mapped = want;
        }
        self.brk = new;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_merges_and_forget_splits() {
        let mut m = GuestMemory::default();
        m.record(0x1000, 0x3000);
        m.record(0x3000, 0x5000);
        assert!(m.owns(0x1000, 0x5000));
        m.forget(0x2000, 0x3000);
        assert_eq!(m.gaps(0x1000, 0x5000), vec![(0x2000, 0x3000)]);
        assert_eq!(m.gaps(0x0, 0x1000), vec![(0x0, 0x1000)]);
        assert!(m.owns(0x3000, 0x4000));
    }
}
