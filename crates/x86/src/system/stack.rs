//! The stack as helpers push and pop it (interrupt frames, far calls and
//! returns, IRET): SS base, stack pointer and its width, and the MMU mode
//! of the accesses. Nothing changes in the CPU until `commit`, so a fault
//! part-way leaves the registers as they were.

use super::access::{self, Fault};
use super::mmu::Mmu;
use super::regs::{seg, sreg};
use super::segment::long64;
use crate::cpu::reg::RSP;
use crate::cpu::CpuState;

/// A stack being worked on.
#[derive(Clone, Copy, Debug)]
pub struct Stack {
    /// SS base (0 in 64-bit mode).
    pub base: u64,
    /// The stack pointer.
    pub sp: u64,
    /// Stack-pointer width: 16, 32 or 64.
    pub bits: u32,
    /// MMU mode of the accesses.
    pub idx: usize,
}

impl Stack {
    /// The current stack, accessed at the current CPL.
    pub fn current(env: &CpuState) -> Stack {
        let bits = if long64(env) {
            64
        } else if env.sys.segs[sreg::SS].flags & seg::DB != 0 {
            32
        } else {
            16
        };
        Stack {
            base: if bits == 64 {
                0
            } else {
                env.sys.segs[sreg::SS].base
            },
            sp: env.regs[RSP],
            bits,
            idx: access::idx_for_cpl(env.sys.cpl),
        }
    }

    fn mask(&self) -> u64 {
        match self.bits {
            16 => 0xffff,
            32 => 0xffff_ffff,
            _ => u64::MAX,
        }
    }

    /// Pushes the low `size` bytes of `v`.
    pub fn push(
        &mut self,
        env: &mut CpuState,
        mmu: &mut Mmu,
        size: u32,
        v: u64,
    ) -> Result<(), Fault> {
        let sp = self.sp.wrapping_sub(size as u64) & self.mask();
        access::write(
            env,
            mmu,
            self.base.wrapping_add(sp),
            size,
            v,
            self.idx,
            false,
        )?;
        self.sp = (self.sp & !self.mask()) | sp;
        Ok(())
    }

    /// Pops `size` bytes.
    pub fn pop(&mut self, env: &mut CpuState, mmu: &mut Mmu, size: u32) -> Result<u64, Fault> {
        let sp = self.sp & self.mask();
        let v = access::read(env, mmu, self.base.wrapping_add(sp), size, self.idx)?;
        self.sp = (self.sp & !self.mask()) | (sp.wrapping_add(size as u64) & self.mask());
        Ok(v)
    }

    /// Writes the stack pointer back (a 32-bit stack zero-extends ESP).
    pub fn commit(&self, env: &mut CpuState) {
        env.regs[RSP] = match self.bits {
            32 => self.sp & 0xffff_ffff,
            _ => self.sp,
        };
    }
}
