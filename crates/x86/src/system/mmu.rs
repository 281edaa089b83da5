//! The softmmu's state: guest physical memory (RAM, and a `Bus` for the
//! rest of the physical address space and for I/O ports), the per-vCPU
//! TLB that translated code's accesses probe, and the record of physical
//! pages holding translated code (a write there must drop TBs).

use std::collections::HashMap;

/// Bytes in a page.
pub const PAGE_SIZE: u64 = 4096;
/// Mask of a page's base address.
pub const PAGE_MASK: u64 = !(PAGE_SIZE - 1);
/// TLB entries per MMU mode (a power of two; direct-mapped by page number).
pub const TLB_SIZE: usize = 256;
/// MMU modes: one TLB each.
pub const MMU_MODES: usize = 2;

/// MMU mode indices: which privilege the TLB entries were checked for.
pub mod mmu_idx {
    /// CPL 0-2 (supervisor accesses).
    pub const KERNEL: usize = 0;
    /// CPL 3.
    pub const USER: usize = 1;
}

/// Flags in the low bits of a TLB tag; a tag with any of them set never
/// matches an address, so the access takes the slow path.
pub mod tlb_flag {
    /// The page is not RAM: accesses go to the bus.
    pub const MMIO: u64 = 1 << 1;
    /// (write tag) The page holds translated code.
    pub const CODE: u64 = 1 << 2;
    /// The tag of an empty entry.
    pub const INVALID: u64 = u64::MAX;
}

/// One TLB entry: a tag per access kind (the virtual page address, plus
/// flags; `INVALID` when that access is not allowed) and the difference
/// host address - guest virtual address for RAM pages.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// Tag for loads.
    pub addr_read: u64,
    /// Tag for stores.
    pub addr_write: u64,
    /// Tag for instruction fetches.
    pub addr_code: u64,
    /// host = guest virtual + addend (RAM pages).
    pub addend: u64,
}

impl TlbEntry {
    /// An entry that matches nothing.
    pub const EMPTY: TlbEntry = TlbEntry {
        addr_read: tlb_flag::INVALID,
        addr_write: tlb_flag::INVALID,
        addr_code: tlb_flag::INVALID,
        addend: 0,
    };
}

/// The machine outside the CPU and its RAM: physical addresses beyond RAM
/// (memory-mapped devices; unassigned ones read as all ones), the I/O port
/// space, the guest clock, and the CPU's INTR and A20M# inputs.
pub trait Bus {
    /// Reads `size` bytes (1, 2, 4, 8) at physical `addr`.
    fn mmio_read(&mut self, addr: u64, size: u32) -> u64;
    /// Writes `size` bytes at physical `addr`.
    fn mmio_write(&mut self, addr: u64, size: u32, value: u64);
    /// IN from `port`, `size` bytes (1, 2, 4).
    fn io_read(&mut self, port: u16, size: u32) -> u32;
    /// OUT to `port`.
    fn io_write(&mut self, port: u16, size: u32, value: u32);
    /// Guest time in nanoseconds (what RDTSC counts).
    fn now_ns(&self) -> u64;
    /// The CPU's INTR input: an interrupt controller has a vector waiting.
    fn intr(&self) -> bool {
        false
    }
    /// The A20 gate: false while physical address bit 20 is forced to 0.
    fn a20(&self) -> bool {
        true
    }
}

/// Code bytes of one physical page: bit i set when byte i is in a TB.
type CodeBits = [u64; (PAGE_SIZE / 64) as usize];

/// One vCPU's softmmu.
pub struct Mmu {
    /// The TLB, per MMU mode.
    pub tlb: [[TlbEntry; TLB_SIZE]; MMU_MODES],
    /// Physical page address of each TLB entry.
    phys: [[u64; TLB_SIZE]; MMU_MODES],
    ram: Vec<u8>,
    /// Physical address mask: bit 20 clear while the A20 gate is off.
    pub a20_mask: u64,
    /// Devices, ports and clock.
    pub bus: Box<dyn Bus>,
    code: HashMap<u64, Box<CodeBits>>,
    /// Physical ranges `[start, end)` holding translated code that were
    /// written, or (SMC exit) are about to be: their TBs must go.
    pub code_writes: Vec<(u64, u64)>,
    /// Bumped whenever TLB entries are dropped (the engine's jump caches,
    /// keyed by virtual pc, must follow).
    pub generation: u64,
    /// A large page was entered since the last full flush (INVLPG then
    /// flushes everything: entries are per 4 KiB).
    large_pages: bool,
    /// The running TB is a one-instruction retranslation after an SMC
    /// exit: its stores to code pages write through (and are recorded).
    pub oneshot: bool,
}

impl Mmu {
    /// A softmmu over `ram_size` bytes of zeroed RAM at physical 0.
    pub fn new(ram_size: u64, bus: Box<dyn Bus>) -> Mmu {
        Mmu {
            tlb: [[TlbEntry::EMPTY; TLB_SIZE]; MMU_MODES],
            phys: [[0; TLB_SIZE]; MMU_MODES],
            ram: vec![0; ram_size as usize],
            a20_mask: u64::MAX,
            bus,
            code: HashMap::new(),
            code_writes: Vec::new(),
            generation: 0,
            large_pages: false,
            oneshot: false,
        }
    }

    /// RAM size in bytes.
    pub fn ram_size(&self) -> u64 {
        self.ram.len() as u64
    }

    /// Guest RAM.
    pub fn ram(&self) -> &[u8] {
        &self.ram
    }

    /// Guest RAM, writable (loaders; bypasses code tracking).
    pub fn ram_mut(&mut self) -> &mut [u8] {
        &mut self.ram
    }

    /// TLB slot of virtual address `va`.
    pub fn slot(va: u64) -> usize {
        ((va >> 12) as usize) & (TLB_SIZE - 1)
    }

    /// Drops every TLB entry.
    pub fn flush_tlb(&mut self) {
        self.tlb = [[TlbEntry::EMPTY; TLB_SIZE]; MMU_MODES];
        self.large_pages = false;
        self.generation += 1;
    }

    /// Drops the entries for the page of `va` (INVLPG).
    pub fn flush_page(&mut self, va: u64) {
        if self.large_pages {
            return self.flush_tlb();
        }
        let i = Self::slot(va);
        for m in 0..MMU_MODES {
            let e = &self.tlb[m][i];
            let tags = [e.addr_read, e.addr_write, e.addr_code];
            if tags
                .iter()
                .any(|&t| t != tlb_flag::INVALID && t & PAGE_MASK == va & PAGE_MASK)
            {
                self.tlb[m][i] = TlbEntry::EMPTY;
            }
        }
        self.generation += 1;
    }

    /// Enters a translation: virtual page of `va` -> physical page of
    /// `paddr` for MMU mode `idx`, with the accesses allowed.
    pub(crate) fn tlb_set(&mut self, idx: usize, va: u64, paddr: u64, perm: Perm) {
        let (vpage, ppage) = (va & PAGE_MASK, paddr & PAGE_MASK);
        let ram = ppage + PAGE_SIZE <= self.ram_size();
        let mmio = if ram { 0 } else { tlb_flag::MMIO };
        let tag = |ok: bool| if ok { vpage | mmio } else { tlb_flag::INVALID };
        let mut write = tag(perm.write);
        if perm.write && self.code.contains_key(&ppage) {
            write |= tlb_flag::CODE;
        }
        let addend = if ram {
            (self.ram.as_ptr() as u64)
                .wrapping_add(ppage)
                .wrapping_sub(vpage)
        } else {
            0
        };
        let i = Self::slot(va);
        self.tlb[idx][i] = TlbEntry {
            addr_read: tag(perm.read),
            addr_write: write,
            addr_code: tag(perm.exec),
            addend,
        };
        self.phys[idx][i] = ppage;
        self.large_pages |= perm.large;
    }

    /// The physical page entry `i` of mode `idx` maps.
    pub(crate) fn tlb_phys(&self, idx: usize, i: usize) -> u64 {
        self.phys[idx][i]
    }

    fn in_ram(&self, paddr: u64, size: u64) -> bool {
        paddr
            .checked_add(size)
            .is_some_and(|end| end <= self.ram_size())
    }

    /// Reads `size` bytes (1, 2, 4, 8) at physical `paddr` (little-endian).
    pub fn phys_read(&mut self, paddr: u64, size: u32) -> u64 {
        if self.in_ram(paddr, size as u64) {
            let p = paddr as usize;
            let mut b = [0u8; 8];
            b[..size as usize].copy_from_slice(&self.ram[p..p + size as usize]);
            u64::from_le_bytes(b)
        } else {
            self.bus.mmio_read(paddr, size)
        }
    }

    /// Writes `size` bytes at physical `paddr`; a write over translated
    /// code is recorded in `code_writes`.
    pub fn phys_write(&mut self, paddr: u64, size: u32, value: u64) {
        if self.in_ram(paddr, size as u64) {
            if self.overlaps_code(paddr, size as u64) {
                self.code_writes.push((paddr, paddr + size as u64));
            }
            let p = paddr as usize;
            self.ram[p..p + size as usize].copy_from_slice(&value.to_le_bytes()[..size as usize]);
        } else {
            self.bus.mmio_write(paddr, size, value)
        }
    }

    /// True if any byte of `[paddr, paddr + len)` (within one page) is in a TB.
    pub fn overlaps_code(&self, paddr: u64, len: u64) -> bool {
        let Some(bits) = self.code.get(&(paddr & PAGE_MASK)) else {
            return false;
        };
        let start = paddr & !PAGE_MASK;
        (start..(start + len).min(PAGE_SIZE))
            .any(|b| bits[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }

    /// Records that `[paddr, paddr + len)` (within one page) is translated
    /// code: stores there leave the fast path.
    pub fn add_code(&mut self, paddr: u64, len: u64) {
        let page = paddr & PAGE_MASK;
        let bits = match self.code.entry(page) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                for m in 0..MMU_MODES {
                    for i in 0..TLB_SIZE {
                        let w = self.tlb[m][i].addr_write;
                        if w != tlb_flag::INVALID && self.phys[m][i] == page {
                            self.tlb[m][i].addr_write = w | tlb_flag::CODE;
                        }
                    }
                }
                e.insert(Box::new([0; (PAGE_SIZE / 64) as usize]))
            }
        };
        let start = paddr & !PAGE_MASK;
        for b in start..(start + len).min(PAGE_SIZE) {
            bits[(b / 64) as usize] |= 1 << (b % 64);
        }
    }

    /// Follows the bus's A20 gate: sets the physical address mask (and
    /// drops the TLB) when it changed.
    pub fn sync_a20(&mut self) {
        let mask = if self.bus.a20() { u64::MAX } else { !(1 << 20) };
        if mask != self.a20_mask {
            self.a20_mask = mask;
            self.flush_tlb();
        }
    }

    /// Forgets every code page (all TBs were dropped).
    pub fn clear_all_code(&mut self) {
        self.code.clear();
        self.code_writes.clear();
        self.flush_tlb();
    }

    /// Forgets the code bytes of physical page `page` (the engine adds
    /// back those of the TBs that remain).
    pub fn clear_code(&mut self, page: u64) {
        self.code.remove(&(page & PAGE_MASK));
    }
}

/// What a translation allows, for the TLB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Perm {
    /// Loads.
    pub read: bool,
    /// Stores (false also while the dirty bit is clear).
    pub write: bool,
    /// Instruction fetches.
    pub exec: bool,
    /// The mapping is part of a large page.
    pub large: bool,
}

#[cfg(test)]
pub(crate) mod testing {
    //! A bus with nothing on it, for tests.

    use super::Bus;

    /// Unassigned everywhere: reads all ones, writes vanish.
    pub struct NullBus;

    impl Bus for NullBus {
        fn mmio_read(&mut self, _: u64, size: u32) -> u64 {
            u64::MAX >> (64 - 8 * size)
        }
        fn mmio_write(&mut self, _: u64, _: u32, _: u64) {}
        fn io_read(&mut self, _: u16, _: u32) -> u32 {
            u32::MAX
        }
        fn io_write(&mut self, _: u16, _: u32, _: u32) {}
        fn now_ns(&self) -> u64 {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::NullBus;
    use super::*;

    #[test]
    fn ram_and_unassigned_memory() {
        let mut m = Mmu::new(0x10000, Box::new(NullBus));
        m.phys_write(0x1234, 4, 0xdead_beef);
        assert_eq!(m.phys_read(0x1234, 2), 0xbeef);
        assert_eq!(m.phys_read(0x1_0000, 4), 0xffff_ffff);
    }

    #[test]
    fn code_pages_mark_write_tags_and_record_writes() {
        let mut m = Mmu::new(0x10000, Box::new(NullBus));
        let perm = Perm {
            read: true,
            write: true,
            exec: true,
            large: false,
        };
        m.tlb_set(mmu_idx::KERNEL, 0x7000_2000, 0x2000, perm);
        let i = Mmu::slot(0x7000_2000);
        assert_eq!(m.tlb[0][i].addr_write, 0x7000_2000);
        m.add_code(0x2100, 16);
        assert_eq!(m.tlb[0][i].addr_write, 0x7000_2000 | tlb_flag::CODE);
        assert!(m.overlaps_code(0x210f, 4));
        assert!(!m.overlaps_code(0x2110, 4));
        m.phys_write(0x2000, 8, 1);
        assert!(m.code_writes.is_empty());
        m.phys_write(0x210e, 4, 1);
        assert_eq!(m.code_writes, vec![(0x210e, 0x2112)]);
        m.clear_code(0x2000);
        assert!(!m.overlaps_code(0x2100, 16));
    }

    #[test]
    fn flush_page_drops_only_that_page() {
        let mut m = Mmu::new(0x10000, Box::new(NullBus));
        let perm = Perm {
            read: true,
            ..Default::default()
        };
        m.tlb_set(0, 0x1000, 0x1000, perm);
        m.tlb_set(0, 0x2000, 0x2000, perm);
        m.flush_page(0x1fff);
        assert_eq!(m.tlb[0][1], TlbEntry::EMPTY);
        assert_eq!(m.tlb[0][2].addr_read, 0x2000);
    }
}
