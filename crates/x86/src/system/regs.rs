//! Privileged CPU state for system mode: segment registers with their
//! hidden descriptor caches, descriptor-table registers, control and debug
//! registers, EFER and the MSRs a kernel touches, and the bit names of
//! each (SDM vol. 3A, chapters 2-3).

/// Segment register numbers, in the ModRM Sreg encoding order.
pub mod sreg {
    pub const ES: usize = 0;
    pub const CS: usize = 1;
    pub const SS: usize = 2;
    pub const DS: usize = 3;
    pub const FS: usize = 4;
    pub const GS: usize = 5;
}

/// Segment attribute bits as kept in `Segment::flags`: bits 8-15 and
/// 20-23 of a descriptor's high dword, shifted down by 8 (the layout of
/// VMX access rights).
pub mod seg {
    /// Type bit 0: accessed.
    pub const ACCESSED: u64 = 1 << 0;
    /// Type bit 1: readable (code) or writable (data).
    pub const RW: u64 = 1 << 1;
    /// Type bit 2: conforming (code) or expand-down (data).
    pub const DC: u64 = 1 << 2;
    /// Type bit 3: code segment.
    pub const CODE: u64 = 1 << 3;
    /// Descriptor type: code or data (clear for system descriptors).
    pub const S: u64 = 1 << 4;
    /// Shift of the DPL field.
    pub const DPL_SHIFT: u64 = 5;
    /// Present.
    pub const P: u64 = 1 << 7;
    /// Available for software.
    pub const AVL: u64 = 1 << 12;
    /// 64-bit code segment.
    pub const L: u64 = 1 << 13;
    /// Default operation size 32 bits (code), big (stack).
    pub const DB: u64 = 1 << 14;
    /// Granularity: limit in 4 KiB units.
    pub const G: u64 = 1 << 15;
    /// The type field.
    pub const TYPE: u64 = 0xf;
}

/// System descriptor types (S clear), SDM vol. 3A table 3-2.
pub mod sys_type {
    /// LDT.
    pub const LDT: u64 = 0x2;
    /// 16-bit TSS (available).
    pub const TSS16_AVAIL: u64 = 0x1;
    /// 32/64-bit TSS (available).
    pub const TSS_AVAIL: u64 = 0x9;
    /// 32/64-bit TSS (busy).
    pub const TSS_BUSY: u64 = 0xb;
    /// 32/64-bit call gate.
    pub const CALL_GATE: u64 = 0xc;
    /// Task gate.
    pub const TASK_GATE: u64 = 0x5;
    /// 16-bit interrupt gate.
    pub const INT_GATE16: u64 = 0x6;
    /// 16-bit trap gate.
    pub const TRAP_GATE16: u64 = 0x7;
    /// 32/64-bit interrupt gate.
    pub const INT_GATE: u64 = 0xe;
    /// 32/64-bit trap gate.
    pub const TRAP_GATE: u64 = 0xf;
}

/// CR0 bits.
pub mod cr0 {
    pub const PE: u64 = 1 << 0;
    pub const MP: u64 = 1 << 1;
    pub const EM: u64 = 1 << 2;
    pub const TS: u64 = 1 << 3;
    pub const ET: u64 = 1 << 4;
    pub const NE: u64 = 1 << 5;
    pub const WP: u64 = 1 << 16;
    pub const AM: u64 = 1 << 18;
    pub const NW: u64 = 1 << 29;
    pub const CD: u64 = 1 << 30;
    pub const PG: u64 = 1 << 31;
}

/// CR4 bits.
pub mod cr4 {
    pub const VME: u64 = 1 << 0;
    pub const PVI: u64 = 1 << 1;
    pub const TSD: u64 = 1 << 2;
    pub const DE: u64 = 1 << 3;
    pub const PSE: u64 = 1 << 4;
    pub const PAE: u64 = 1 << 5;
    pub const MCE: u64 = 1 << 6;
    pub const PGE: u64 = 1 << 7;
    pub const PCE: u64 = 1 << 8;
    pub const OSFXSR: u64 = 1 << 9;
    pub const OSXMMEXCPT: u64 = 1 << 10;
    /// The bits ox86 lets software set.
    pub const SUPPORTED: u64 =
        VME | PVI | TSD | DE | PSE | PAE | MCE | PGE | PCE | OSFXSR | OSXMMEXCPT;
}

/// IA32_EFER bits.
pub mod efer {
    /// SYSCALL enable.
    pub const SCE: u64 = 1 << 0;
    /// Long mode enable.
    pub const LME: u64 = 1 << 8;
    /// Long mode active.
    pub const LMA: u64 = 1 << 10;
    /// No-execute enable.
    pub const NXE: u64 = 1 << 11;
}

/// MSR numbers (SDM vol. 4).
pub mod msr {
    pub const IA32_TIME_STAMP_COUNTER: u32 = 0x10;
    pub const IA32_APIC_BASE: u32 = 0x1b;
    pub const IA32_SYSENTER_CS: u32 = 0x174;
    pub const IA32_SYSENTER_ESP: u32 = 0x175;
    pub const IA32_SYSENTER_EIP: u32 = 0x176;
    pub const IA32_MISC_ENABLE: u32 = 0x1a0;
    pub const IA32_PAT: u32 = 0x277;
    pub const IA32_EFER: u32 = 0xc000_0080;
    pub const IA32_STAR: u32 = 0xc000_0081;
    pub const IA32_LSTAR: u32 = 0xc000_0082;
    pub const IA32_CSTAR: u32 = 0xc000_0083;
    pub const IA32_FMASK: u32 = 0xc000_0084;
    pub const IA32_FS_BASE: u32 = 0xc000_0100;
    pub const IA32_GS_BASE: u32 = 0xc000_0101;
    pub const IA32_KERNEL_GS_BASE: u32 = 0xc000_0102;
    pub const IA32_TSC_AUX: u32 = 0xc000_0103;
}

/// A segment register: the visible selector and the hidden part loaded
/// from its descriptor. Every field is 64 bits so IR can load it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Selector (index, TI, RPL).
    pub selector: u64,
    /// Base address. For FS and GS the `fs_base`/`gs_base` globals hold it.
    pub base: u64,
    /// Limit in bytes (granularity applied).
    pub limit: u64,
    /// Attributes (`seg::*`).
    pub flags: u64,
}

impl Segment {
    /// The descriptor privilege level.
    pub fn dpl(&self) -> u64 {
        (self.flags >> seg::DPL_SHIFT) & 3
    }

    /// A segment as real mode loads it: base = selector * 16, 64 KiB,
    /// present, writable data (accessed), DPL 3 for CS in virtual-8086 only.
    pub fn real(selector: u16, flags: u64) -> Segment {
        Segment {
            selector: selector as u64,
            base: (selector as u64) << 4,
            limit: 0xffff,
            flags,
        }
    }
}

/// A descriptor-table register (GDTR, IDTR).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DescTable {
    /// Linear base address.
    pub base: u64,
    /// Limit in bytes.
    pub limit: u64,
}

/// The privileged registers of one CPU.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SysRegs {
    /// ES, CS, SS, DS, FS, GS (`sreg::*`).
    pub segs: [Segment; 6],
    /// Local descriptor table register.
    pub ldtr: Segment,
    /// Task register.
    pub tr: Segment,
    /// Global descriptor table register.
    pub gdtr: DescTable,
    /// Interrupt descriptor table register.
    pub idtr: DescTable,
    /// CR0: protection, paging, write protect, FPU control.
    pub cr0: u64,
    /// CR2: the linear address of the last page fault.
    pub cr2: u64,
    /// CR3: the page-table root.
    pub cr3: u64,
    /// CR4: paging and feature extensions.
    pub cr4: u64,
    /// CR8: task priority (stored; there is no local APIC).
    pub cr8: u64,
    /// IA32_EFER.
    pub efer: u64,
    /// Debug registers DR0-DR7 (stored, no breakpoints).
    pub dr: [u64; 8],
    /// Current privilege level (CS.RPL outside real mode).
    pub cpl: u64,
    /// IA32_STAR: SYSCALL and SYSRET selectors (and the legacy entry).
    pub star: u64,
    /// IA32_LSTAR: SYSCALL entry from 64-bit mode.
    pub lstar: u64,
    /// IA32_CSTAR: SYSCALL entry from compatibility mode.
    pub cstar: u64,
    /// IA32_FMASK: RFLAGS bits SYSCALL clears.
    pub fmask: u64,
    /// IA32_KERNEL_GS_BASE: what SWAPGS exchanges with the GS base.
    pub kernel_gs_base: u64,
    /// IA32_SYSENTER_CS.
    pub sysenter_cs: u64,
    /// IA32_SYSENTER_ESP.
    pub sysenter_esp: u64,
    /// IA32_SYSENTER_EIP.
    pub sysenter_eip: u64,
    /// IA32_PAT.
    pub pat: u64,
    /// IA32_TSC_AUX.
    pub tsc_aux: u64,
    /// IA32_MISC_ENABLE.
    pub misc_enable: u64,
    /// TSC = guest nanoseconds + this (WRMSR to the TSC moves it).
    pub tsc_offset: u64,
    /// Nonzero for one instruction after STI (IF set) or MOV/POP SS:
    /// interrupts wait until it has run.
    pub inhibit_irq: u64,
    /// Host address of this CPU's `Mmu`; 0 in user mode.
    pub mmu: u64,
}

impl SysRegs {
    /// The state at power-on/RESET (SDM vol. 3A, table 9-1), with CS:IP
    /// given by the caller's loader.
    pub fn reset() -> SysRegs {
        let data = seg::P | seg::S | seg::RW | seg::ACCESSED;
        let code = seg::P | seg::S | seg::CODE | seg::RW | seg::ACCESSED;
        let mut s = SysRegs {
            cr0: cr0::ET | cr0::CD | cr0::NW,
            pat: 0x0007_0406_0007_0406,
            ..Default::default()
        };
        for (i, r) in s.segs.iter_mut().enumerate() {
            *r = Segment::real(0, if i == sreg::CS { code } else { data });
        }
        s.ldtr = Segment {
            limit: 0xffff,
            flags: seg::P | sys_type::LDT,
            ..Default::default()
        };
        s.tr = Segment {
            limit: 0xffff,
            flags: seg::P | sys_type::TSS_BUSY,
            ..Default::default()
        };
        s.gdtr.limit = 0xffff;
        s.idtr.limit = 0xffff;
        s
    }
}
