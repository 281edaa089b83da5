//! Transparent huge pages for the guest's large anonymous mappings.
//!
//! A guest `mmap` of private anonymous read-write memory of at least
//! `MIN_LEN` is advised `MADV_HUGEPAGE`, as QEMU's system mode advises its
//! guest RAM: where the host's THP mode is `madvise` (Debian's default) such
//! memory then faults in 2 MiB at a time.
//!
//! The reason is ox86's compile thread. A program that reads fresh memory
//! before writing it (xz's match finder, every `calloc` of a large block)
//! maps the kernel's zero page and then takes a copy-on-write fault at the
//! first store to each 4 KiB page, which flushes that page from the TLB of
//! every CPU running a thread of the process. Natively the program has one
//! thread and the flush is local; under ox86 the compile thread is running
//! on the other CPU most of the start-up, and each flush is an
//! inter-processor interrupt, which a virtual machine's vCPU pays with an
//! exit: `xz -T1 -c` of 512 KiB sent 2,336 of them (3 natively) and spent
//! a seventh of its time there. With 2 MiB pages it sends ~100, and large
//! arrays fault (and miss the TLB) less often than natively.
//!
//! Left alone: stacks (`MAP_STACK`, `MAP_GROWSDOWN`: a thread's 8 MiB stack
//! would cost 2 MiB for its first page), reservations (`PROT_NONE` or
//! `MAP_NORESERVE`: glibc's per-thread arenas and the reserves of garbage
//! collectors, used a page at a time) and shared or file mappings. The
//! guest's own `madvise` (`MADV_NOHUGEPAGE` included) reaches the host.

/// Smallest mapping advised: one that can hold an aligned 2 MiB page.
pub const MIN_LEN: u64 = 2 << 20;

/// Whether a mapping made with `prot` and `flags`, `len` bytes long, is
/// advised `MADV_HUGEPAGE`.
pub fn wanted(len: u64, prot: i32, flags: i32) -> bool {
    // The mapping type: MAP_PRIVATE, MAP_SHARED or MAP_SHARED_VALIDATE.
    const MAP_TYPE: i32 = 0x0f;
    let left_alone = libc::MAP_STACK | libc::MAP_GROWSDOWN | libc::MAP_NORESERVE;
    len >= MIN_LEN
        && flags & MAP_TYPE == libc::MAP_PRIVATE
        && flags & libc::MAP_ANONYMOUS != 0
        && flags & left_alone == 0
        && prot & libc::PROT_WRITE != 0
}

/// Advises the new mapping `[addr, addr + len)` (made with `prot` and
/// `flags`) `MADV_HUGEPAGE` if `wanted`. A host without THP refuses the
/// advice, which changes nothing the guest sees.
pub fn advise(addr: u64, len: u64, prot: i32, flags: i32) {
    if wanted(len, prot, flags) {
        // SAFETY: `[addr, addr + len)` was just mapped for the guest; the
        // advice changes how the kernel backs it, not its contents.
        unsafe { libc::madvise(addr as *mut _, len as usize, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::GuestMemory;

    const ANON: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

    #[test]
    fn large_private_anonymous_memory_is_advised() {
        assert!(wanted(MIN_LEN, RW, ANON));
        assert!(wanted(64 << 20, RW, ANON | libc::MAP_POPULATE));
        assert!(!wanted(MIN_LEN - 4096, RW, ANON));
        assert!(!wanted(8 << 20, RW, ANON | libc::MAP_STACK));
        assert!(!wanted(8 << 20, RW, ANON | libc::MAP_GROWSDOWN));
        assert!(!wanted(
            64 << 20,
            libc::PROT_NONE,
            ANON | libc::MAP_NORESERVE
        ));
        assert!(!wanted(64 << 20, RW, ANON | libc::MAP_NORESERVE));
        assert!(!wanted(8 << 20, libc::PROT_READ, ANON));
        assert!(!wanted(8 << 20, RW, libc::MAP_SHARED | libc::MAP_ANONYMOUS));
        assert!(!wanted(
            8 << 20,
            RW,
            libc::MAP_SHARED_VALIDATE | libc::MAP_ANONYMOUS
        ));
        assert!(!wanted(8 << 20, RW, libc::MAP_PRIVATE));
    }

    /// The kernel's "VmFlags" of the mapping at `addr` in /proc/self/smaps
    /// ("hg": advised MADV_HUGEPAGE).
    fn vm_flags(addr: u64) -> Vec<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().unwrap_or("");
            if let Some((s, e)) = range.split_once('-') {
                if let (Ok(s), Ok(e)) = (u64::from_str_radix(s, 16), u64::from_str_radix(e, 16)) {
                    inside = s <= addr && addr < e;
                    continue;
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return flags.split_whitespace().map(String::from).collect();
                }
            }
        }
        panic!("no mapping at {addr:#x} in /proc/self/smaps");
    }

    #[test]
    fn a_guest_mmap_carries_the_advice_to_the_host() {
        let mut mem = GuestMemory::default();
        let big = mem.mmap(0, 4 << 20, RW, ANON, -1, 0);
        let stack = mem.mmap(0, 4 << 20, RW, ANON | libc::MAP_STACK, -1, 0);
        assert!(big > 0 && stack > 0, "mmap failed: {big}, {stack}");
        // A kernel without THP refuses the advice.
        let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists();
        assert_eq!(vm_flags(big as u64).iter().any(|f| f == "hg"), thp);
        assert!(!vm_flags(stack as u64).iter().any(|f| f == "hg"));
        assert_eq!(mem.munmap(big as u64, 4 << 20), 0);
        assert_eq!(mem.munmap(stack as u64, 4 << 20), 0);
    }
}
