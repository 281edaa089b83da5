//! The per-vCPU jump table generated code probes inline for indirect
//! exits: a direct-mapped array of {guest pc, host code} at a stable
//! address (published in `CpuState.jmp_cache`), indexed like the engine's
//! jump cache. It starts with `SMALL_BITS` index bits, which keeps it in
//! the L2 cache and cheap to set up; a program with a large code footprint
//! (gcc's cc1 runs 175,000 TBs) gets `LARGE_BITS` (see `Jit::grow_jump_table`),
//! since conflicting pcs would otherwise leave generated code for the exec
//! loop at most of its indirect branches.

/// Index bits of a new table (QEMU's `TB_JMP_CACHE_BITS`).
pub const SMALL_BITS: u32 = 12;

/// Index bits of a grown table (2 MiB). With 16, gcc's cc1 missed it at
/// 270,000 indirect branches, each a trip through the exec loop; with 17
/// at 167,000, with 18 at 95,000. Yet 17 is faster than 18 for every
/// program that grows it (alternating runs: cc1 1363 -> 1354 ms, python
/// 400 -> 392, sqlite 247 -> 245), and their peak RSS is 3 MB less: a
/// probe of the 4 MiB table (and of the exec loop's 2 MiB jump cache)
/// misses this host's L2 cache more often than the exec loop is entered.
pub const LARGE_BITS: u32 = 17;

/// The slot of `pc` in a table of `2^bits` entries (QEMU's
/// `tb_jmp_cache_hash_func`, simplified): bits 1 to `bits` of `pc ^ (pc >>
/// 12)`. Masked with the header's mask (the slot mask shifted left by
/// one), that value is twice the slot, which generated code scales by 8
/// to the 16-byte entry (no shift of its own).
#[inline]
pub fn jmp_hash(pc: u64, bits: u32) -> usize {
    (((pc ^ (pc >> 12)) >> 1) as usize) & ((1 << bits) - 1)
}

/// One entry: a guest pc and the host code of its TB.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct JmpEntry {
    /// Guest pc (`u64::MAX` when empty: never a pc generated code looks up
    /// successfully, since `code` then points at the miss stub anyway).
    pub pc: u64,
    /// Host address to jump to.
    pub code: u64,
}

/// Byte offset, from the first entry, of the index mask generated code
/// reads, `(2^bits - 1) << 1` (see `jmp_hash`; the header slot before
/// the entries holds {mask, hits}).
pub const MASK_OFFSET: i8 = -16;

/// Byte offset, from the first entry, of the counter of inline lookups
/// that hit (bumped by generated code only when statistics are on).
pub const HITS_OFFSET: i32 = -8;

/// An owned jump table at a stable address: a header slot {index mask,
/// hits} followed by the entries. Generated code reads and writes it
/// through the raw pointer, so Rust also only uses that pointer.
pub struct JmpTable {
    /// The header slot; the entries follow it.
    data: *mut JmpEntry,
    bits: u32,
    miss: u64,
}

// SAFETY: the table is owned by this value; the pointer is never shared
// with another thread while it is in use there.
unsafe impl Send for JmpTable {}

impl JmpTable {
    /// An empty table of `2^bits` entries leading to `miss` (the
    /// indirect-miss stub).
    pub fn new(miss: usize, bits: u32) -> JmpTable {
        let n = 1usize << bits;
        let mut slots = vec![
            JmpEntry {
                pc: u64::MAX,
                code: miss as u64,
            };
            n + 1
        ];
        slots[0] = JmpEntry {
            pc: ((n - 1) << 1) as u64,
            code: 0,
        };
        JmpTable {
            data: Box::into_raw(slots.into_boxed_slice()).cast(),
            bits,
            miss: miss as u64,
        }
    }

    /// Index bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The address generated code reads through `CpuState.jmp_cache`: the
    /// first entry.
    pub fn addr(&self) -> u64 {
        // SAFETY: the allocation holds the header and `2^bits` entries.
        unsafe { self.data.add(1) as u64 }
    }

    /// The entry for `pc`.
    fn entry(&mut self, pc: u64) -> &mut JmpEntry {
        // SAFETY: `data` is the live allocation made in `new`, the header
        // and then `2^bits` entries; the index is below `2^bits`; no
        // generated code runs while `&mut self` is held.
        unsafe { &mut *self.data.add(1 + jmp_hash(pc, self.bits)) }
    }

    /// Maps `pc` to host code `code`.
    pub fn set(&mut self, pc: u64, code: usize) {
        *self.entry(pc) = JmpEntry {
            pc,
            code: code as u64,
        };
    }

    /// Empties the entry of `pc` if it leads to `code`.
    pub fn clear_entry(&mut self, pc: u64, code: usize) {
        let miss = self.miss;
        let e = self.entry(pc);
        if e.pc == pc && e.code == code as u64 {
            e.pc = u64::MAX;
            e.code = miss;
        }
    }

    /// Empties every entry.
    pub fn clear(&mut self) {
        let empty = JmpEntry {
            pc: u64::MAX,
            code: self.miss,
        };
        // SAFETY: as in `entry`; the entries follow the header.
        let entries = unsafe { std::slice::from_raw_parts_mut(self.data.add(1), 1 << self.bits) };
        entries.fill(empty);
    }

    /// Inline hits counted so far.
    pub fn hits(&self) -> u64 {
        // SAFETY: as in `entry`; the header is the first slot.
        unsafe { (*self.data).code }
    }
}

impl Drop for JmpTable {
    fn drop(&mut self) {
        let n = (1usize << self.bits) + 1;
        // SAFETY: `data` came from `Box::into_raw` of a boxed slice of `n`
        // entries in `new` and is freed once.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.data, n)) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_holds_the_mask_generated_code_reads() {
        for bits in [SMALL_BITS, LARGE_BITS] {
            let mut t = JmpTable::new(0x1000, bits);
            // SAFETY: the header precedes the first entry.
            let mask = unsafe { *((t.addr() as i64 + MASK_OFFSET as i64) as *const u64) };
            assert_eq!(mask, ((1 << bits) - 1) << 1);
            t.set(0x40_1234, 0x2000);
            let slot = jmp_hash(0x40_1234, bits);
            // SAFETY: `slot` is below the entry count.
            let e = unsafe { *((t.addr() as *const JmpEntry).add(slot)) };
            assert_eq!((e.pc, e.code), (0x40_1234, 0x2000));
            t.clear_entry(0x40_1234, 0x2000);
            assert_eq!(t.hits(), 0);
        }
    }
}
