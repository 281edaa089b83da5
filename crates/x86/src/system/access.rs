//! Virtual memory accesses in system mode: the TLB probe and refill (page
//! walk, #PF with CR2 and error code, #GP for non-canonical addresses),
//! RAM or bus access, accesses that cross a page, and the stores that hit
//! translated code. The IR's `ld_mmu`/`st_mmu` slow path and the helpers
//! (descriptor tables, interrupt frames) both come through here.

use super::mmu::{mmu_idx, tlb_flag, Mmu, PAGE_MASK, PAGE_SIZE};
use super::paging::{self, Access};
use super::regs::efer;
use crate::cpu::{excp, CpuState};

/// An exception raised by a system-mode operation: vector (`excp::*`) and
/// error code (0 for the vectors that push none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Vector, or one of ox86's internal exits (`excp::SMC`).
    pub vector: u64,
    /// Error code.
    pub error_code: u32,
}

impl Fault {
    /// #GP with error code `code`.
    pub fn gp(code: u32) -> Fault {
        Fault {
            vector: excp::GP,
            error_code: code,
        }
    }

    /// An exception of `vector` with error code `code`.
    pub fn new(vector: u64, code: u32) -> Fault {
        Fault {
            vector,
            error_code: code,
        }
    }

    /// Records the fault in `env` for the exec loop.
    pub fn raise(self, env: &mut CpuState) {
        env.raise_error(self.vector, self.error_code);
    }
}

/// The `memop` constant of `ld_mmu`/`st_mmu`: log2 of the size in bits
/// 0-1, sign extension in bit 2, MMU mode index in bits 4-7.
pub mod memop {
    /// log2(size in bytes).
    pub const SIZE: u64 = 0b11;
    /// Sign-extend the loaded value.
    pub const SIGN: u64 = 1 << 2;
    /// Shift of the MMU mode index.
    pub const IDX_SHIFT: u64 = 4;

    /// The memop for a `size`-byte access in MMU mode `idx`.
    pub fn make(size: u32, signed: bool, idx: usize) -> u64 {
        size.trailing_zeros() as u64 | if signed { SIGN } else { 0 } | (idx as u64) << IDX_SHIFT
    }

    /// Access size in bytes.
    pub fn size(m: u64) -> u32 {
        1 << (m & SIZE)
    }

    /// MMU mode index.
    pub fn idx(m: u64) -> usize {
        ((m >> IDX_SHIFT) & 0xf) as usize
    }
}

/// Runs `f` with this CPU's softmmu.
///
/// # Panics
/// If `env` has no softmmu (a user-mode CPU): a translator bug.
pub fn with_mmu<R>(env: &mut CpuState, f: impl FnOnce(&mut CpuState, &mut Mmu) -> R) -> R {
    let p = env.sys.mmu as *mut Mmu;
    assert!(
        !p.is_null(),
        "system-mode access on a CPU without a softmmu"
    );
    // SAFETY: `env.sys.mmu` is set by `attach` from a `Box<Mmu>` leaked for
    // the CPU's lifetime; the Mmu is a separate allocation from `env`, and
    // only the thread running this vCPU uses it, one access at a time.
    let mmu = unsafe { &mut *p };
    f(env, mmu)
}

/// Gives `env` the softmmu `mmu` (system mode). It stays attached for
/// the life of the process.
pub fn attach(env: &mut CpuState, mmu: Box<Mmu>) {
    env.sys.mmu = Box::into_raw(mmu) as u64;
}

/// The MMU mode for accesses at privilege `cpl`.
pub fn idx_for_cpl(cpl: u64) -> usize {
    if cpl == 3 {
        mmu_idx::USER
    } else {
        mmu_idx::KERNEL
    }
}

fn canonical(va: u64) -> bool {
    ((va as i64) << 16 >> 16) as u64 == va
}

/// The linear address as the CPU's mode sees it (32 bits outside long mode).
fn linear(env: &CpuState, va: u64) -> u64 {
    if env.sys.efer & efer::LMA != 0 {
        va
    } else {
        va & 0xffff_ffff
    }
}

/// The physical address of `va` for `access` in MMU mode `idx`, through
/// the TLB (refilled by a page walk on a miss), and whether it is RAM.
pub fn translate(
    env: &mut CpuState,
    mmu: &mut Mmu,
    va: u64,
    access: Access,
    idx: usize,
) -> Result<u64, Fault> {
    let i = Mmu::slot(va);
    let tag_of = |mmu: &Mmu| {
        let e = &mmu.tlb[idx][i];
        match access {
            Access::Read => e.addr_read,
            Access::Write => e.addr_write,
            Access::Fetch => e.addr_code,
        }
    };
    let hit = |t: u64| t != tlb_flag::INVALID && t & PAGE_MASK == va & PAGE_MASK;
    if !hit(tag_of(mmu)) {
        if env.sys.efer & efer::LMA != 0 && !canonical(va) {
            return Err(Fault::gp(0));
        }
        match paging::translate(env, mmu, va, access, idx == mmu_idx::USER) {
            Ok(w) => mmu.tlb_set(idx, va, w.paddr, w.perm),
            Err(code) => {
                env.sys.cr2 = va;
                return Err(Fault::new(excp::PF, code));
            }
        }
        debug_assert!(hit(tag_of(mmu)));
    }
    Ok(mmu.tlb_phys(idx, i) | (va & !PAGE_MASK))
}

/// Reads `size` bytes at virtual `va` in MMU mode `idx`.
pub fn read(
    env: &mut CpuState,
    mmu: &mut Mmu,
    va: u64,
    size: u32,
    idx: usize,
) -> Result<u64, Fault> {
    let va = linear(env, va);
    if (va & !PAGE_MASK) + size as u64 <= PAGE_SIZE {
        let pa = translate(env, mmu, va, Access::Read, idx)?;
        return Ok(mmu.phys_read(pa, size));
    }
    let mut v = 0u64;
    for k in 0..size as u64 {
        let a = linear(env, va.wrapping_add(k));
        let pa = translate(env, mmu, a, Access::Read, idx)?;
        v |= mmu.phys_read(pa, 1) << (8 * k);
    }
    Ok(v)
}

/// Writes `size` bytes at virtual `va` in MMU mode `idx`. Both pages of
/// a page-crossing store are translated before any byte is written. From
/// translated code (`from_tb`), a store over translated code is not done
/// but reported as `excp::SMC` (with the range in `code_writes`), unless
/// the running TB is a one-instruction retranslation.
pub fn write(
    env: &mut CpuState,
    mmu: &mut Mmu,
    va: u64,
    size: u32,
    value: u64,
    idx: usize,
    from_tb: bool,
) -> Result<(), Fault> {
    let va = linear(env, va);
    let first = translate(env, mmu, va, Access::Write, idx)?;
    let in_page = ((va & !PAGE_MASK) + size as u64).min(PAGE_SIZE) - (va & !PAGE_MASK);
    let second = if in_page < size as u64 {
        let a = linear(env, (va & PAGE_MASK).wrapping_add(PAGE_SIZE));
        Some(translate(env, mmu, a, Access::Write, idx)?)
    } else {
        None
    };
    if from_tb && !mmu.oneshot {
        let hits = |p: u64, n: u64| mmu.overlaps_code(p, n);
        let smc = hits(first, in_page) || second.is_some_and(|p| hits(p, size as u64 - in_page));
        if smc {
            mmu.code_writes.push((first, first + in_page));
            if let Some(p) = second {
                mmu.code_writes.push((p, p + size as u64 - in_page));
            }
            return Err(Fault::new(excp::SMC, 0));
        }
    }
    match second {
        None => mmu.phys_write(first, size, value),
        Some(p) => {
            for k in 0..size as u64 {
                let pa = if k < in_page {
                    first + k
                } else {
                    p + k - in_page
                };
                mmu.phys_write(pa, 1, value >> (8 * k));
            }
        }
    }
    Ok(())
}

/// The physical address of the instruction byte at linear `va`, fetched
/// at the current CPL.
pub fn code_paddr(env: &mut CpuState, va: u64) -> Result<u64, Fault> {
    let idx = idx_for_cpl(env.sys.cpl);
    with_mmu(env, |env, mmu| {
        let va = linear(env, va);
        translate(env, mmu, va, Access::Fetch, idx)
    })
}

/// Copies instruction bytes at linear `va` into `buf` until the end of
/// `buf` or the first byte that cannot be fetched; returns the count.
pub fn fetch_code(env: &mut CpuState, va: u64, buf: &mut [u8]) -> usize {
    let idx = idx_for_cpl(env.sys.cpl);
    with_mmu(env, |env, mmu| {
        for (k, b) in buf.iter_mut().enumerate() {
            let a = linear(env, va.wrapping_add(k as u64));
            match translate(env, mmu, a, Access::Fetch, idx) {
                Ok(pa) => *b = mmu.phys_read(pa, 1) as u8,
                Err(_) => return k,
            }
        }
        buf.len()
    })
}

/// The slow path of `ld_mmu`: the loaded value, or 0 with the fault raised.
pub fn load(env: &mut CpuState, va: u64, m: u64) -> u64 {
    let size = memop::size(m);
    match with_mmu(env, |env, mmu| read(env, mmu, va, size, memop::idx(m))) {
        Ok(v) if m & memop::SIGN != 0 => {
            let sh = 64 - 8 * size;
            ((v << sh) as i64 >> sh) as u64
        }
        Ok(v) => v,
        Err(f) => {
            f.raise(env);
            0
        }
    }
}

/// The slow path of `st_mmu`: stores, or raises the fault.
pub fn store(env: &mut CpuState, va: u64, value: u64, m: u64) {
    let size = memop::size(m);
    let r = with_mmu(env, |env, mmu| {
        write(env, mmu, va, size, value, memop::idx(m), true)
    });
    if let Err(f) = r {
        f.raise(env);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::mmu::testing::NullBus;
    use crate::system::paging::{pf, pte};
    use crate::system::regs::{cr0, cr4};

    /// A CPU with 1 MiB of RAM.
    fn cpu() -> Box<CpuState> {
        let mut env = Box::<CpuState>::default();
        attach(&mut env, Box::new(Mmu::new(1 << 20, Box::new(NullBus))));
        env
    }

    fn poke(env: &mut CpuState, pa: u64, size: u32, v: u64) {
        with_mmu(env, |_, m| m.phys_write(pa, size, v));
    }

    fn peek(env: &mut CpuState, pa: u64, size: u32) -> u64 {
        with_mmu(env, |_, m| m.phys_read(pa, size))
    }

    fn rd(env: &mut CpuState, va: u64, idx: usize) -> Result<u64, Fault> {
        with_mmu(env, |env, m| read(env, m, va, 4, idx))
    }

    fn wr(env: &mut CpuState, va: u64, v: u64, idx: usize) -> Result<(), Fault> {
        with_mmu(env, |env, m| write(env, m, va, 4, v, idx, true))
    }

    /// 4-level paging: va 0x4000_1000 -> pa 0x5000 with `leaf_bits`;
    /// tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT).
    fn long_mode(env: &mut CpuState, leaf_bits: u64) {
        let user = pte::P | pte::RW | pte::US;
        poke(env, 0x1000, 8, 0x2000 | user);
        poke(env, 0x2000 + 8, 8, 0x3000 | user);
        poke(env, 0x3000, 8, 0x4000 | user);
        poke(env, 0x4000 + 8, 8, 0x5000 | leaf_bits);
        env.sys.cr3 = 0x1000;
        env.sys.cr4 = cr4::PAE;
        env.sys.efer = efer::LME | efer::LMA | efer::NXE;
        env.sys.cr0 = cr0::PE | cr0::PG | cr0::WP;
        with_mmu(env, |_, m| m.flush_tlb());
    }

    const VA: u64 = 0x4000_1000;

    #[test]
    fn four_level_walk_sets_accessed_and_dirty() {
        let mut env = cpu();
        long_mode(&mut env, pte::P | pte::RW | pte::US);
        poke(&mut env, 0x5010, 4, 0x1234_5678);
        assert_eq!(rd(&mut env, VA + 0x10, mmu_idx::USER), Ok(0x1234_5678));
        let leaf = peek(&mut env, 0x4008, 8);
        assert_eq!(leaf & (pte::A | pte::D), pte::A);
        assert_eq!(peek(&mut env, 0x1000, 8) & pte::A, pte::A);
        wr(&mut env, VA + 0x20, 7, mmu_idx::USER).unwrap();
        assert_eq!(peek(&mut env, 0x4008, 8) & pte::D, pte::D);
        assert_eq!(peek(&mut env, 0x5020, 4), 7);
    }

    #[test]
    fn not_present_and_protection_faults() {
        let mut env = cpu();
        long_mode(&mut env, pte::P | pte::US);
        let f = rd(&mut env, VA + 0x1000, mmu_idx::KERNEL).unwrap_err();
        assert_eq!(f, Fault::new(excp::PF, 0));
        assert_eq!(env.sys.cr2, VA + 0x1000);
        let f = wr(&mut env, VA + 4, 1, mmu_idx::USER).unwrap_err();
        assert_eq!(f.error_code, pf::P | pf::W | pf::U);
        // CR0.WP: the supervisor may not write a read-only page either.
        let f = wr(&mut env, VA + 4, 1, mmu_idx::KERNEL).unwrap_err();
        assert_eq!(f.error_code, pf::P | pf::W);
        env.sys.cr0 &= !cr0::WP;
        with_mmu(&mut env, |_, m| m.flush_tlb());
        assert!(wr(&mut env, VA + 4, 1, mmu_idx::KERNEL).is_ok());
    }

    #[test]
    fn nx_and_supervisor_pages() {
        let mut env = cpu();
        long_mode(&mut env, pte::P | pte::NX);
        let f = code_paddr_at(&mut env, VA, 0).unwrap_err();
        assert_eq!(f.error_code, pf::P | pf::ID);
        let f = rd(&mut env, VA, mmu_idx::USER).unwrap_err();
        assert_eq!(f.error_code, pf::P | pf::U);
    }

    fn code_paddr_at(env: &mut CpuState, va: u64, cpl: u64) -> Result<u64, Fault> {
        env.sys.cpl = cpl;
        code_paddr(env, va)
    }

    #[test]
    fn non_canonical_is_gp() {
        let mut env = cpu();
        long_mode(&mut env, pte::P);
        assert_eq!(rd(&mut env, 0x8000_0000_0000, 0), Err(Fault::gp(0)));
    }

    #[test]
    fn two_level_paging_with_4m_page() {
        let mut env = cpu();
        // PDE 1 maps 4 MiB at 0 (PSE); PDE 0 points at a page table.
        poke(&mut env, 0x1000 + 4, 4, pte::P | pte::RW | pte::PS);
        poke(&mut env, 0x1000, 4, 0x2000 | pte::P | pte::RW);
        poke(&mut env, 0x2000 + 4 * 3, 4, 0x7000 | pte::P);
        env.sys.cr3 = 0x1000;
        env.sys.cr4 = cr4::PSE;
        env.sys.cr0 = cr0::PE | cr0::PG;
        poke(&mut env, 0x7004, 4, 0xabcd);
        assert_eq!(rd(&mut env, 0x3004, 0), Ok(0xabcd));
        poke(&mut env, 0x8, 4, 0x55);
        assert_eq!(rd(&mut env, 0x40_0008, 0), Ok(0x55));
        assert_eq!(peek(&mut env, 0x1004, 4) & pte::A, pte::A);
    }

    #[test]
    fn pae_paging_with_2m_page() {
        let mut env = cpu();
        poke(&mut env, 0x1000 + 8, 8, 0x2000 | pte::P);
        poke(&mut env, 0x2000 + 8, 8, pte::P | pte::RW | pte::PS);
        env.sys.cr3 = 0x1000;
        env.sys.cr4 = cr4::PAE;
        env.sys.cr0 = cr0::PE | cr0::PG;
        poke(&mut env, 0x1_2344, 4, 9);
        assert_eq!(rd(&mut env, 0x4020_0000 + 0x1_2344, 0), Ok(9));
    }

    #[test]
    fn page_crossing_store_is_all_or_nothing() {
        let mut env = cpu();
        long_mode(&mut env, pte::P | pte::RW);
        let f = with_mmu(&mut env, |env, m| {
            write(env, m, VA + 0xffe, 4, 0xffff_ffff, 0, true)
        });
        assert_eq!(f.unwrap_err().vector, excp::PF);
        assert_eq!(env.sys.cr2, VA + 0x1000);
        assert_eq!(peek(&mut env, 0x5ffe, 2), 0, "nothing written");
    }

    #[test]
    fn stores_over_code_exit_unless_oneshot() {
        let mut env = cpu();
        with_mmu(&mut env, |_, m| m.add_code(0x3000, 8));
        assert_eq!(wr(&mut env, 0x2ffe, 1, 0).unwrap_err().vector, excp::SMC);
        assert_eq!(peek(&mut env, 0x3000, 2), 0);
        let writes = with_mmu(&mut env, |_, m| std::mem::take(&mut m.code_writes));
        assert_eq!(writes, vec![(0x2ffe, 0x3000), (0x3000, 0x3002)]);
        with_mmu(&mut env, |_, m| m.oneshot = true);
        wr(&mut env, 0x2ffe, 0x0102_0304, 0).unwrap();
        assert_eq!(peek(&mut env, 0x3000, 2), 0x0102);
    }

    #[test]
    fn slow_path_sign_extends() {
        let mut env = cpu();
        poke(&mut env, 0x100, 2, 0x8001);
        assert_eq!(
            load(&mut env, 0x100, memop::make(2, true, 0)),
            0xffff_ffff_ffff_8001
        );
        assert_eq!(load(&mut env, 0x100, memop::make(2, false, 0)), 0x8001);
        store(
            &mut env,
            0x200,
            0x1122_3344_5566_7788,
            memop::make(8, false, 0),
        );
        assert_eq!(peek(&mut env, 0x204, 4), 0x1122_3344);
    }
}
