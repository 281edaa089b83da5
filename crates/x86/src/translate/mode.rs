//! The CPU mode a TB is translated for (user mode's flat 64-bit mode, or a
//! system-mode key: code and stack size, CPL, CS base) and what it means
//! for operands: segment bases in linear addresses, 16/32-bit address
//! and stack-pointer wrap, and which memory model accesses use.

use super::Cx;
use crate::cpu::glob;
use crate::cpu::reg::RSP;
use crate::system::access::memop;
use crate::system::mmu::mmu_idx;
use crate::system::regs::sreg;
use iced_x86::Register;
use ox86_ir::{Opcode, Temp};
use std::mem::offset_of;

/// The CPU mode of a TB: part of its key in system mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mode {
    /// System mode: accesses go through the softmmu and privileged
    /// instructions are real; otherwise Linux user mode.
    pub system: bool,
    /// Default code size: 16, 32 or 64 (CS.D, CS.L).
    pub code_bits: u32,
    /// Stack-pointer size: 16, 32 (SS.B) or 64.
    pub stack_bits: u32,
    /// Current privilege level.
    pub cpl: u8,
    /// Protected mode (CR0.PE).
    pub pe: bool,
    /// CS base: a TB's linear pc is `cs_base` + its rip.
    pub cs_base: u64,
    /// System mode: CR0.EM, CR0.TS, CR0.MP and CR4.OSFXSR (`fpu::*`), which
    /// decide whether x87, MMX and SSE instructions fault.
    pub fpu: u8,
}

/// `Mode::fpu` bits.
pub mod fpu {
    /// CR0.EM: x87 emulation (x87 #NM, MMX/SSE #UD).
    pub const EM: u8 = 1 << 0;
    /// CR0.TS: task switched (#NM).
    pub const TS: u8 = 1 << 1;
    /// CR0.MP: WAIT honours TS.
    pub const MP: u8 = 1 << 2;
    /// CR4.OSFXSR: SSE enabled.
    pub const OSFXSR: u8 = 1 << 3;
}

impl Mode {
    /// Linux user mode: flat 64-bit code at CPL 3.
    pub const USER64: Mode = Mode {
        system: false,
        code_bits: 64,
        stack_bits: 64,
        cpl: 3,
        pe: true,
        cs_base: 0,
        fpu: fpu::OSFXSR,
    };

    /// The mode bits as a number for the TB key (CS base not included).
    pub fn flags(&self) -> u32 {
        let bits = |b: u32| match b {
            16 => 0,
            32 => 1,
            _ => 2,
        };
        self.system as u32
            | bits(self.code_bits) << 1
            | bits(self.stack_bits) << 3
            | (self.cpl as u32) << 5
            | (self.pe as u32) << 7
            | (self.fpu as u32) << 8
    }

    /// 64-bit mode: no segment bases except FS and GS.
    pub fn long64(&self) -> bool {
        self.code_bits == 64
    }

    /// The MMU mode of data accesses at this CPL.
    pub fn mmu_idx(&self) -> usize {
        if self.cpl == 3 {
            mmu_idx::USER
        } else {
            mmu_idx::KERNEL
        }
    }

    /// The mask of an instruction pointer (16-bit code wraps at 64 KiB).
    pub fn ip_mask(&self) -> u64 {
        match self.code_bits {
            16 => 0xffff,
            32 => 0xffff_ffff,
            _ => u64::MAX,
        }
    }
}

impl Default for Mode {
    fn default() -> Self {
        Mode::USER64
    }
}

/// The `CpuState` offset of segment register `s`'s base.
pub fn seg_base_offset(s: usize) -> usize {
    offset_of!(crate::cpu::CpuState, sys.segs)
        + s * size_of::<crate::system::Segment>()
        + offset_of!(crate::system::Segment, base)
}

/// The `sreg` number of segment register `r`.
pub fn sreg_of(r: Register) -> usize {
    match r {
        Register::ES => sreg::ES,
        Register::CS => sreg::CS,
        Register::SS => sreg::SS,
        Register::FS => sreg::FS,
        Register::GS => sreg::GS,
        _ => sreg::DS,
    }
}

impl Cx {
    /// The base of segment `r` as a temp.
    pub fn seg_base(&mut self, r: Register) -> Temp {
        match r {
            Register::FS => self.g(glob::FS_BASE),
            Register::GS => self.g(glob::GS_BASE),
            r => self.b.ld_env(seg_base_offset(sreg_of(r))),
        }
    }

    /// The linear address of offset `off` in segment `r`: outside 64-bit
    /// mode every segment's base is added; in 64-bit mode only FS's and GS's.
    pub fn linear(&mut self, r: Register, off: Temp) -> Temp {
        if self.mode.long64() && !matches!(r, Register::FS | Register::GS) {
            return off;
        }
        let base = self.seg_base(r);
        self.b.add(off, base)
    }

    /// The stack pointer as the stack size sees it (SP, ESP or RSP).
    pub fn stack_ptr(&mut self) -> Temp {
        let rsp = self.g(RSP);
        match self.mode.stack_bits {
            16 => self.b.unop(Opcode::Ext16u, rsp),
            32 => self.b.unop(Opcode::Ext32u, rsp),
            _ => rsp,
        }
    }

    /// Writes a new stack pointer: a 16-bit stack changes only SP.
    pub fn set_stack_ptr(&mut self, v: Temp) {
        let rsp = self.g(RSP);
        match self.mode.stack_bits {
            16 => {
                let keep = self.b.andi(rsp, !0xffff);
                let low = self.b.unop(Opcode::Ext16u, v);
                let n = self.b.or(keep, low);
                self.b.mov_to(rsp, n);
            }
            32 => {
                let n = self.b.unop(Opcode::Ext32u, v);
                self.b.mov_to(rsp, n);
            }
            _ => self.b.mov_to(rsp, v),
        }
    }

    /// The linear address of stack offset `sp` (already wrapped).
    pub fn stack_addr(&mut self, sp: Temp) -> Temp {
        if self.mode.long64() {
            sp
        } else {
            let base = self.seg_base(Register::SS);
            self.b.add(sp, base)
        }
    }

    /// `sp + delta` wrapped to the stack size.
    pub fn stack_add(&mut self, sp: Temp, delta: i64) -> Temp {
        let n = self.b.addi(sp, delta as u64);
        match self.mode.stack_bits {
            16 => self.b.unop(Opcode::Ext16u, n),
            32 => self.b.unop(Opcode::Ext32u, n),
            _ => n,
        }
    }

    /// The memop of a `size`-byte softmmu access at this TB's CPL.
    pub fn memop(&self, size: u32, signed: bool) -> u64 {
        memop::make(size, signed, self.mode.mmu_idx())
    }
}
