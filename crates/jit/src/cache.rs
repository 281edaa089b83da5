//! The code cache: one large read-write-execute mapping, bump-allocated
//! from both ends (TBs' code upwards, their cold parts downwards from the
//! end, see `split`), flushed whole. Each live cache registers its range so the host fault
//! handler can tell a guest access in generated code from an ox86 bug.

use crate::error::JitError;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Most code caches alive at once in one process (engines, tests).
const MAX_CACHES: usize = 64;

/// Registered caches: `[start, end, fault stub]` per entry; `start == 0` is free.
static RANGES: [[AtomicUsize; 3]; MAX_CACHES] =
    [const { [const { AtomicUsize::new(0) }; 3] }; MAX_CACHES];

/// One executable mapping with a bump pointer.
pub struct CodeCache {
    base: *mut u8,
    size: usize,
    /// Bytes reserved at the start (prologue and shared stubs), kept across flushes.
    fixed: usize,
    /// Next free byte.
    top: usize,
    /// First byte of the cold parts (`size` when there are none).
    cold_top: usize,
    slot: Option<usize>,
}

// SAFETY: the mapping is owned by this value; the raw pointer is only an
// address and moving the owner to another thread moves that ownership.
unsafe impl Send for CodeCache {}

impl CodeCache {
    /// Maps `size` bytes of read-write-execute memory, preferably just
    /// below ox86's own code: helper calls then fit a rel32, and the cache
    /// stays out of the area where guest mappings (and a guest image's brk)
    /// go.
    pub fn new(size: usize) -> Result<CodeCache, JitError> {
        let text = CodeCache::new as *const () as usize;
        let hint = text.saturating_sub(size + (256 << 20)) & !((2 << 20) - 1);
        // SAFETY: an anonymous private mapping; the address is only a hint
        // (no MAP_FIXED), so it overlaps nothing. Unmapped in `Drop`.
        let p = unsafe {
            libc::mmap(
                hint as *mut libc::c_void,
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(JitError::Map(std::io::Error::last_os_error()));
        }
        Ok(CodeCache {
            base: p as *mut u8,
            size,
            fixed: 0,
            top: 0,
            cold_top: size,
            slot: None,
        })
    }

    /// Host address where the next allocation starts.
    pub fn top_addr(&self) -> usize {
        self.base as usize + self.top
    }

    /// The offset of host address `addr`, inside the cache, from its start.
    pub fn offset_of(&self, addr: usize) -> u32 {
        debug_assert!(self.contains(addr));
        (addr - self.base as usize) as u32
    }

    /// The host address of cache offset `off`.
    pub fn addr_of(&self, off: u32) -> usize {
        self.base as usize + off as usize
    }

    /// Host address where the cold parts start (the next one ends there).
    pub fn cold_top_addr(&self) -> usize {
        self.base as usize + self.cold_top
    }

    /// Bytes in use (shared stubs and cold parts included).
    pub fn used(&self) -> usize {
        self.top + (self.size - self.cold_top)
    }

    /// True if `addr` lies inside the mapping.
    pub fn contains(&self, addr: usize) -> bool {
        (self.base as usize..self.base as usize + self.size).contains(&addr)
    }

    /// Bytes `len` bytes of code take in the cache (each TB starts
    /// 16-byte aligned).
    pub fn footprint(len: usize) -> usize {
        (len + 15) & !15
    }

    /// Copies `code` to the top of the cache and returns its host address,
    /// or `CacheFull`. The code must have been assembled for `top_addr()`.
    pub fn push(&mut self, code: &[u8]) -> Result<usize, JitError> {
        let aligned = CodeCache::footprint(code.len());
        if self.top + aligned > self.cold_top {
            return Err(JitError::CacheFull);
        }
        let at = self.top_addr();
        // SAFETY: `[top, top + len)` is inside the mapping (checked above)
        // and not yet handed out, so nothing executes or reads it.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len()) };
        self.top += aligned;
        Ok(at)
    }

    /// Copies `code`, a TB's cold part, to host address `at`, at or below
    /// the cold parts pushed before (`cold_top_addr() - code.len()` or
    /// lower) and above everything pushed, and returns `at`, or `CacheFull`.
    pub fn push_cold(&mut self, code: &[u8], at: usize) -> Result<usize, JitError> {
        let Some(off) = at.checked_sub(self.base as usize) else {
            return Err(JitError::CacheFull);
        };
        if off < self.top || off + code.len() > self.cold_top {
            return Err(JitError::CacheFull);
        }
        self.cold_top = off;
        // SAFETY: `[off, off + len)` is inside the mapping, between `top`
        // and the cold parts (checked above), and not yet handed out.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len()) };
        Ok(at)
    }

    /// Marks everything pushed so far as permanent (survives `flush`), and
    /// registers the cache for the fault handler with its fault stub.
    pub fn seal_fixed(&mut self, fault_stub: usize) {
        self.fixed = self.top;
        let start = self.base as usize;
        for (i, r) in RANGES.iter().enumerate() {
            if r[0]
                .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                r[1].store(start + self.size, Ordering::Release);
                r[2].store(fault_stub, Ordering::Release);
                r[0].store(start, Ordering::Release);
                self.slot = Some(i);
                return;
            }
        }
        panic!("more than {MAX_CACHES} code caches alive");
    }

    /// Drops every allocation after the permanent stubs.
    pub fn flush(&mut self) {
        self.top = self.fixed;
        self.cold_top = self.size;
    }

    /// Overwrites a 4-byte field at host address `at` (inside the cache) atomically.
    pub fn patch_u32(&mut self, at: usize, v: u32) {
        assert!(self.contains(at) && self.contains(at + 3) && at.is_multiple_of(4));
        // SAFETY: `at` is a 4-aligned address inside the mapping (checked);
        // an atomic store keeps a concurrently executing jump coherent.
        unsafe { (*(at as *const std::sync::atomic::AtomicU32)).store(v, Ordering::Release) };
    }

    /// The bytes at `[addr, addr + len)`, which must be inside the cache.
    pub fn bytes(&self, addr: usize, len: usize) -> &[u8] {
        assert!(self.contains(addr) && addr + len <= self.base as usize + self.size);
        // SAFETY: the range is inside the mapping, which lives as long as `self`.
        unsafe { std::slice::from_raw_parts(addr as *const u8, len) }
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            RANGES[i][0].store(0, Ordering::Release);
        }
        // SAFETY: unmapping our own mapping; no code in it can be running,
        // since running code borrows the owning `Jit`.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.size) };
    }
}

/// For a host fault at `pc`: the fault stub of the code cache holding `pc`,
/// if any. Async-signal-safe (atomic loads only).
pub fn fault_stub_for(pc: usize) -> Option<usize> {
    for r in RANGES.iter() {
        let start = r[0].load(Ordering::Acquire);
        if start == 0 || start == usize::MAX {
            continue;
        }
        if pc >= start && pc < r[1].load(Ordering::Acquire) {
            return Some(r[2].load(Ordering::Acquire));
        }
    }
    None
}
