//! Self-modifying code in user mode (QEMU's `page_protect` and
//! `page_unprotect`): the guest's mappings it may both write and execute,
//! and the pages of them write-protected on the host because code there
//! was translated. The guest's next store to such a page faults; the
//! engine then gives the page its guest protection back and drops its TBs
//! (`Engine::code_written`), and the store runs again. Code in a mapping
//! the guest cannot write changes only through mmap, munmap, mprotect or
//! mremap, which drop its TBs themselves; code in one it can write but
//! not execute does not run under Linux.

use std::collections::{BTreeMap, HashMap};

const PAGE: u64 = 4096;

/// The watched mappings and the pages write-protected in them.
#[derive(Default, Debug)]
pub struct PageProtect {
    /// Guest mappings both writable and executable: start -> (end, guest
    /// protection), non-overlapping, page-aligned.
    writable_code: BTreeMap<u64, (u64, i32)>,
    /// Pages write-protected on the host, with their guest protection.
    protected: HashMap<u64, i32>,
}

impl PageProtect {
    /// Whether any mapping is both writable and executable.
    pub fn watching(&self) -> bool {
        !self.writable_code.is_empty()
    }

    /// Whether some page is write-protected.
    pub fn any_protected(&self) -> bool {
        !self.protected.is_empty()
    }

    /// Notes that the guest's protection of `[start, end)` is now `prot`
    /// (0 when unmapped), already applied on the host: pages protected
    /// there are forgotten.
    pub fn set_prot(&mut self, start: u64, end: u64, prot: i32) {
        let (start, end) = (start & !(PAGE - 1), end.next_multiple_of(PAGE));
        if end <= start {
            return;
        }
        self.protected.retain(|&p, _| p < start || p >= end);
        let overlapping: Vec<(u64, (u64, i32))> = self
            .writable_code
            .range(..end)
            .filter(|&(_, &(e, _))| e > start)
            .map(|(&s, &v)| (s, v))
            .collect();
        for (s, (e, p)) in overlapping {
            self.writable_code.remove(&s);
            if s < start {
                self.writable_code.insert(s, (start, p));
            }
            if e > end {
                self.writable_code.insert(end, (e, p));
            }
        }
        if prot & libc::PROT_WRITE != 0 && prot & libc::PROT_EXEC != 0 {
            self.writable_code.insert(start, (end, prot));
        }
    }

    /// The guest protection of the page at `addr`, if it is watched.
    pub fn prot_of(&self, addr: u64) -> Option<i32> {
        let page = addr & !(PAGE - 1);
        self.writable_code
            .range(..=page)
            .next_back()
            .filter(|&(_, &(e, _))| page < e)
            .map(|(_, &(_, p))| p)
    }

    /// Write-protects the watched pages of `[start, end)`, whose code was
    /// just translated.
    pub fn protect(&mut self, start: u64, end: u64) {
        let mut page = start & !(PAGE - 1);
        while page < end {
            if !self.protected.contains_key(&page) {
                if let Some(prot) = self.prot_of(page) {
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

    #[test]
    fn only_writable_and_executable_mappings_are_watched() {
        let mut pp = PageProtect::default();
        pp.set_prot(0x10000, 0x14000, RW);
        assert!(!pp.watching());
        pp.set_prot(0x10000, 0x14000, RWX);
        assert_eq!(pp.prot_of(0x13fff), Some(RWX));
        assert_eq!(pp.prot_of(0x14000), None);
        // mprotect of the middle page to read-execute splits the range.
        pp.set_prot(0x11000, 0x12000, libc::PROT_READ | libc::PROT_EXEC);
        assert_eq!(pp.prot_of(0x10000), Some(RWX));
        assert_eq!(pp.prot_of(0x11000), None);
        assert_eq!(pp.prot_of(0x12000), Some(RWX));
        pp.set_prot(0, 0x20000, 0);
        assert!(!pp.watching());
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
