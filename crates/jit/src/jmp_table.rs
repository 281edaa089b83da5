//! The per-vCPU jump table generated code probes inline for indirect
//! exits: a direct-mapped array of {guest pc, host code} at a fixed address
//! (published in `CpuState.jmp_cache`), indexed like the engine's jump cache.

/// Entries (a power of two).
pub const JMP_TABLE_SIZE: usize = 4096;

/// The slot of `pc` (QEMU's `tb_jmp_cache_hash_func`, simplified).
#[inline]
pub fn jmp_hash(pc: u64) -> usize {
    ((pc ^ (pc >> 12)) as usize) & (JMP_TABLE_SIZE - 1)
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

/// The table plus the hit counter generated code bumps under `--stats`.
#[repr(C)]
pub struct JmpTableData {
    /// The entries.
    pub entries: [JmpEntry; JMP_TABLE_SIZE],
    /// Inline lookups that hit (counted only when statistics are on).
    pub hits: u64,
}

/// Byte offset of `hits` in `JmpTableData`.
pub const HITS_OFFSET: usize = std::mem::offset_of!(JmpTableData, hits);

/// An owned jump table at a stable address. Generated code reads and
/// writes it through the raw pointer, so Rust also only uses that pointer.
pub struct JmpTable {
    data: *mut JmpTableData,
    miss: u64,
}

// SAFETY: the table is owned by this value; the pointer is never shared
// with another thread while it is in use there.
unsafe impl Send for JmpTable {}

impl JmpTable {
    /// An empty table whose entries lead to `miss` (the indirect-miss stub).
    pub fn new(miss: usize) -> JmpTable {
        let data = Box::new(JmpTableData {
            entries: [JmpEntry {
                pc: u64::MAX,
                code: miss as u64,
            }; JMP_TABLE_SIZE],
            hits: 0,
        });
        JmpTable {
            data: Box::into_raw(data),
            miss: miss as u64,
        }
    }

    /// The address generated code reads through `CpuState.jmp_cache`.
    pub fn addr(&self) -> u64 {
        self.data as u64
    }

    /// Maps `pc` to host code `code`.
    pub fn set(&mut self, pc: u64, code: usize) {
        // SAFETY: `data` is the live allocation made in `new`; no generated
        // code runs while `&mut self` is held.
        unsafe {
            (*self.data).entries[jmp_hash(pc)] = JmpEntry {
                pc,
                code: code as u64,
            }
        };
    }

    /// Empties the entry of `pc` if it leads to `code`.
    pub fn clear_entry(&mut self, pc: u64, code: usize) {
        // SAFETY: as in `set`.
        let e = unsafe { &mut (*self.data).entries[jmp_hash(pc)] };
        if e.pc == pc && e.code == code as u64 {
            e.pc = u64::MAX;
            e.code = self.miss;
        }
    }

    /// Empties every entry.
    pub fn clear(&mut self) {
        let empty = JmpEntry {
            pc: u64::MAX,
            code: self.miss,
        };
        // SAFETY: as in `set`.
        unsafe { (*self.data).entries = [empty; JMP_TABLE_SIZE] };
    }

    /// Inline hits counted so far.
    pub fn hits(&self) -> u64 {
        // SAFETY: as in `set`.
        unsafe { (*self.data).hits }
    }
}

impl Drop for JmpTable {
    fn drop(&mut self) {
        // SAFETY: `data` came from `Box::into_raw` in `new` and is freed once.
        drop(unsafe { Box::from_raw(self.data) });
    }
}
