//! The guest's executable mappings in user mode, and self-modifying code
//! in them (QEMU's `page_protect` and `page_unprotect`). Code is fetched
//! only from pages the guest may execute, as the CPU's no-execute bit
//! allows (`extents`). A page of a mapping the guest may also write
//! loses its write permission on the host once code there is translated;
//! the guest's next store to it faults, and the engine gives the page its
//! guest protection back and drops its TBs (`Engine::code_written`) before
//! the store runs again. Code in other mappings changes only through
//! mmap, munmap, mprotect or mremap, which drop its TBs themselves.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const PAGE: u64 = 4096;

/// The executable mappings and the pages write-protected in them.
#[derive(Default, Debug)]
pub struct PageProtect {
    /// Guest mappings it may execute: start -> (end, guest protection),
    /// non-overlapping, page-aligned.
    executable: BTreeMap<u64, (u64, i32)>,
    /// How many of them the guest may also write.
    writable: usize,
    /// Pages write-protected on the host, with their guest protection.
    protected: HashMap<u64, i32>,
    /// `executable` as `extents` gives it, until it changes.
    extents: Option<Extents>,
}

/// Executable memory as the translator fetches from it: the executable
/// mappings joined where adjacent, in address order.
pub type Extents = Arc<Vec<(u64, u64)>>;

fn writable(prot: i32) -> bool {
    prot & libc::PROT_WRITE != 0
}

impl PageProtect {
    /// Whether any executable mapping is also writable.
    pub fn watching(&self) -> bool {
        self.writable > 0
    }

    /// Whether some page is write-protected.
    pub fn any_protected(&self) -> bool {
        !self.protected.is_empty()
    }

    /// Notes that the guest's protection of `[start, end)` is now `prot`
    /// (0 when unmapped), already applied on the host: pages protected
    /// there are forgotten. True if executable memory was or is there.
    pub fn set_prot(&mut self, start: u64, end: u64, prot: i32) -> bool {
        let (start, end) = (start & !(PAGE - 1), end.next_multiple_of(PAGE));
        if end <= start {
            return false;
        }
        self.protected.retain(|&p, _| p < start || p >= end);
        let overlapping: Vec<(u64, (u64, i32))> = self
            .executable
            .range(..end)
            .filter(|&(_, &(e, _))| e > start)
            .map(|(&s, &v)| (s, v))
            .collect();
        for &(s, (e, p)) in &overlapping {
            self.remove(s);
            if s < start {
                self.insert(s, start, p);
            }
            if e > end {
                self.insert(end, e, p);
            }
        }
        let executable = prot & libc::PROT_EXEC != 0;
        if executable {
            self.insert(start, end, prot);
        }
        executable || !overlapping.is_empty()
    }

    fn insert(&mut self, start: u64, end: u64, prot: i32) {
        self.executable.insert(start, (end, prot));
        self.writable += writable(prot) as usize;
        self.extents = None;
    }

    fn remove(&mut self, start: u64) {
        if let Some((_, prot)) = self.executable.remove(&start) {
            self.writable -= writable(prot) as usize;
            self.extents = None;
        }
    }

    /// Whether some of `[start, end)` is executable.
    pub fn executable_in(&self, start: u64, end: u64) -> bool {
        self.executable
            .range(..end)
            .next_back()
            .is_some_and(|(_, &(e, _))| e > start)
    }

    /// The guest protection of the page at `addr`, if it is executable.
    pub fn prot_of(&self, addr: u64) -> Option<i32> {
        let page = addr & !(PAGE - 1);
        self.executable
            .range(..=page)
            .next_back()
            .filter(|&(_, &(e, _))| page < e)
            .map(|(_, &(_, p))| p)
    }

    /// The executable memory, adjacent mappings joined.
    pub fn extents(&mut self) -> Extents {
        let executable = &self.executable;
        self.extents
            .get_or_insert_with(|| {
                let mut joined: Vec<(u64, u64)> = Vec::with_capacity(executable.len());
                for (&start, &(end, _)) in executable {
                    match joined.last_mut() {
                        Some(last) if last.1 == start => last.1 = end,
                        _ => joined.push((start, end)),
                    }
                }
                Arc::new(joined)
            })
            .clone()
    }

    /// Write-protects the pages of `[start, end)` the guest may write and
    /// execute, whose code was just translated.
    pub fn protect(&mut self, start: u64, end: u64) {
        let mut page = start & !(PAGE - 1);
        while page < end {
            if !self.protected.contains_key(&page) {
                if let Some(prot) = self.prot_of(page).filter(|&p| writable(p)) {
                    let host = (prot & !libc::PROT_WRITE) | libc::PROT_READ;
                    // SAFETY: `page` lies in a guest mapping (the guest
                    // mapped it writable and executable); only its write
                    // permission goes, which `unprotect` gives back.
                    if unsafe { libc::mprotect(page as *mut _, PAGE as usize, host) } == 0 {
                        self.protected.insert(page, prot);
                    }
                }
            }
            page += PAGE;
        }
    }

    /// Gives the protected pages of `[start, end)` their guest protection
    /// back; returns them (their TBs must go).
    pub fn unprotect(&mut self, start: u64, end: u64) -> Vec<u64> {
        let pages: Vec<(u64, i32)> = self
            .protected
            .iter()
            .filter(|&(&p, _)| p + PAGE > start && p < end)
            .map(|(&p, &prot)| (p, prot))
            .collect();
        for &(page, prot) in &pages {
            self.protected.remove(&page);
            // SAFETY: restores the guest's own protection of a guest page
            // `protect` changed.
            unsafe { libc::mprotect(page as *mut _, PAGE as usize, prot) };
        }
        pages.into_iter().map(|(p, _)| p).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RWX: i32 = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

    const RX: i32 = libc::PROT_READ | libc::PROT_EXEC;

    #[test]
    fn only_writable_and_executable_mappings_are_watched() {
        let mut pp = PageProtect::default();
        pp.set_prot(0x10000, 0x14000, RW);
        assert!(!pp.watching());
        assert_eq!(pp.prot_of(0x10000), None, "not executable");
        pp.set_prot(0x10000, 0x14000, RX);
        assert!(!pp.watching());
        assert_eq!(pp.prot_of(0x10000), Some(RX));
        pp.set_prot(0x10000, 0x14000, RWX);
        assert!(pp.watching());
        assert_eq!(pp.prot_of(0x13fff), Some(RWX));
        assert_eq!(pp.prot_of(0x14000), None);
        // mprotect of the middle page to read-execute splits the range.
        pp.set_prot(0x11000, 0x12000, RX);
        assert_eq!(pp.prot_of(0x10000), Some(RWX));
        assert_eq!(pp.prot_of(0x11000), Some(RX));
        assert_eq!(pp.prot_of(0x12000), Some(RWX));
        assert!(pp.executable_in(0x13fff, 0x20000));
        assert!(!pp.executable_in(0x14000, 0x20000));
        assert!(pp.set_prot(0, 0x20000, 0), "executable memory went");
        assert!(!pp.watching());
        assert_eq!(pp.prot_of(0x10000), None);
        assert!(!pp.set_prot(0, 0x20000, RW), "none there");
    }

    #[test]
    fn code_is_fetched_from_adjacent_executable_mappings_only() {
        let mut pp = PageProtect::default();
        pp.set_prot(0x10000, 0x12000, RX);
        pp.set_prot(0x12000, 0x13000, RWX);
        pp.set_prot(0x13000, 0x14000, RW);
        pp.set_prot(0x15000, 0x16000, RX);
        assert_eq!(*pp.extents(), [(0x10000, 0x13000), (0x15000, 0x16000)]);
        pp.set_prot(0x13000, 0x15000, RX);
        assert_eq!(*pp.extents(), [(0x10000, 0x16000)]);
        pp.set_prot(0x11000, 0x12000, 0);
        assert_eq!(*pp.extents(), [(0x10000, 0x11000), (0x12000, 0x16000)]);
    }

    #[test]
    fn a_protected_page_refuses_writes_until_unprotected() {
        crate::signal::install();
        let mut pp = PageProtect::default();
        // SAFETY: a fresh anonymous mapping of two pages, unmapped at the end.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * PAGE as usize,
                RWX,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        } as u64;
        assert_ne!(p, libc::MAP_FAILED as u64);
        pp.set_prot(p, p + 2 * PAGE, RWX);
        pp.protect(p + 8, p + 16);
        assert!(pp.any_protected());
        let writable = |a: u64| ox86_interp::guest_mem::st8(a, 1).fault == 0;
        assert!(!writable(p), "the page with code");
        assert!(writable(p + PAGE), "the other page");
        assert_eq!(pp.unprotect(p + 100, p + 101), vec![p]);
        assert!(writable(p));
        assert!(!pp.any_protected());
        // SAFETY: the mapping made above.
        unsafe { libc::munmap(p as *mut _, 2 * PAGE as usize) };
    }
}
