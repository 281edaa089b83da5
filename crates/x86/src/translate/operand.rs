//! Operand access for the families: GPR reads and writes with x86's
//! partial-register rules, effective addresses with FS/GS bases, guest
//! loads and stores, and immediates.

use super::Cx;
use crate::cpu::glob;
use iced_x86::{OpKind, Register};
use ox86_ir::{Cond, Opcode, Temp};

/// Where a general-purpose register operand lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GprRef {
    /// GPR number 0..16.
    pub index: usize,
    /// Width in bytes (1, 2, 4, 8).
    pub size: u32,
    /// AH, CH, DH or BH: bits 8..16 of the register.
    pub high8: bool,
}

/// Maps an iced register to its GPR slot, if it is a GPR.
pub fn gpr(r: Register) -> Option<GprRef> {
    if !r.is_gpr() {
        return None;
    }
    let high8 = matches!(r, Register::AH | Register::CH | Register::DH | Register::BH);
    let index = if high8 {
        (r as usize) - (Register::AH as usize)
    } else {
        (r.full_register() as usize) - (Register::RAX as usize)
    };
    Some(GprRef {
        index,
        size: r.size() as u32,
        high8,
    })
}

impl Cx {
    /// Zero-extends the low `size` bytes of `t`.
    pub fn zext(&mut self, size: u32, t: Temp) -> Temp {
        match size {
            1 => self.b.unop(Opcode::Ext8u, t),
            2 => self.b.unop(Opcode::Ext16u, t),
            4 => self.b.unop(Opcode::Ext32u, t),
            _ => t,
        }
    }

    /// Sign-extends the low `size` bytes of `t`.
    pub fn sext(&mut self, size: u32, t: Temp) -> Temp {
        match size {
            1 => self.b.unop(Opcode::Ext8s, t),
            2 => self.b.unop(Opcode::Ext16s, t),
            4 => self.b.unop(Opcode::Ext32s, t),
            _ => t,
        }
    }

    /// Reads a GPR operand, zero-extended to 64 bits, into a fresh temp (a
    /// snapshot: later writes to the register do not change it; the
    /// optimiser removes the copy when nothing writes the register).
    pub fn read_reg(&mut self, r: Register) -> Temp {
        let g = gpr(r).expect("read_reg of a non-GPR");
        let full = self.g(g.index);
        if g.high8 {
            let s = self.b.shri(full, 8);
            return self.zext(1, s);
        }
        if g.size == 8 {
            return self.b.mov(full);
        }
        self.zext(g.size, full)
    }

    /// Writes a GPR operand: 32-bit writes zero the upper half, 8- and
    /// 16-bit writes keep the other bits.
    pub fn write_reg(&mut self, r: Register, v: Temp) {
        let g = gpr(r).expect("write_reg of a non-GPR");
        let full = self.g(g.index);
        match (g.size, g.high8) {
            (8, _) => self.b.mov_to(full, v),
            (4, _) => {
                let z = self.b.unop(Opcode::Ext32u, v);
                self.b.mov_to(full, z);
            }
            (size, high8) => {
                let (mask, shift) = match (size, high8) {
                    (1, true) => (0xff00u64, 8),
                    (1, false) => (0xff, 0),
                    _ => (0xffff, 0),
                };
                let keep = self.b.andi(full, !mask);
                let vs = if shift != 0 { self.b.shli(v, shift) } else { v };
                let vm = self.b.andi(vs, mask);
                let r = self.b.or(keep, vm);
                self.b.mov_to(full, r);
            }
        }
    }

    /// Writes a 64-bit GPR by number.
    pub fn write_gpr64(&mut self, index: usize, v: Temp) {
        let full = self.g(index);
        self.b.mov_to(full, v);
    }

    /// The effective address of the current instruction's memory operand
    /// (segment base added for FS/GS; 32-bit address size truncates).
    pub fn ea(&mut self) -> Temp {
        let a = self.ea_no_segment();
        match self.insn.memory_segment() {
            Register::FS => {
                let fs = self.g(glob::FS_BASE);
                self.b.add(a, fs)
            }
            Register::GS => {
                let gs = self.g(glob::GS_BASE);
                self.b.add(a, gs)
            }
            _ => a,
        }
    }

    /// The offset part of the memory operand's address (what LEA computes).
    pub fn ea_no_segment(&mut self) -> Temp {
        let insn = self.insn;
        let base = insn.memory_base();
        let index = insn.memory_index();
        let disp = insn.memory_displacement64();
        let mut addr: Option<Temp> = None;
        if base == Register::RIP || base == Register::EIP {
            addr = Some(self.b.movi(disp));
        } else {
            if base != Register::None {
                let g = gpr(base).expect("memory base is a GPR");
                addr = Some(self.g(g.index));
            }
            if index != Register::None {
                let g = gpr(index).expect("memory index is a GPR");
                let mut it = self.g(g.index);
                let scale = insn.memory_index_scale();
                if scale > 1 {
                    it = self.b.shli(it, scale.trailing_zeros() as u64);
                }
                addr = Some(match addr {
                    Some(a) => self.b.add(a, it),
                    None => it,
                });
            }
            addr = Some(match addr {
                Some(a) => self.b.addi(a, disp),
                None => self.b.movi(disp),
            });
        }
        let a = addr.expect("address computed");
        if base == Register::EIP || base.size() == 4 || index.size() == 4 {
            return self.b.unop(Opcode::Ext32u, a);
        }
        a
    }

    /// Loads `size` bytes from guest address `a`, zero-extended.
    pub fn load(&mut self, size: u32, a: Temp) -> Temp {
        let opc = match size {
            1 => Opcode::Ld8u,
            2 => Opcode::Ld16u,
            4 => Opcode::Ld32u,
            _ => Opcode::Ld64,
        };
        self.b.load(opc, a)
    }

    /// Loads `size` bytes from guest address `a`, sign-extended.
    pub fn load_s(&mut self, size: u32, a: Temp) -> Temp {
        let opc = match size {
            1 => Opcode::Ld8s,
            2 => Opcode::Ld16s,
            4 => Opcode::Ld32s,
            _ => Opcode::Ld64,
        };
        self.b.load(opc, a)
    }

    /// Stores the low `size` bytes of `v` to guest address `a`.
    pub fn store(&mut self, size: u32, v: Temp, a: Temp) {
        let opc = match size {
            1 => Opcode::St8,
            2 => Opcode::St16,
            4 => Opcode::St32,
            _ => Opcode::St64,
        };
        self.b.store(opc, v, a);
    }

    /// Before a store of `size` bytes done as several IR stores: when the
    /// access crosses a page, reads the first byte of its second page, so
    /// that a fault there comes before any byte is written (the CPU writes
    /// nothing of a store that faults, and reports that byte's address).
    pub fn probe_split_store(&mut self, a: Temp, size: u32) {
        let end = self.b.addi(a, size as u64 - 1);
        let page2 = self.b.andi(end, !(crate::translate::PAGE_SIZE - 1));
        let probe = self.b.movcond(Cond::Gtu, page2, a, page2, a);
        self.load(1, probe);
    }

    /// Size in bytes of operand `i`.
    pub fn op_size(&self, i: u32) -> u32 {
        match self.insn.op_kind(i) {
            OpKind::Register => self.insn.op_register(i).size() as u32,
            OpKind::Memory => self.insn.memory_size().size() as u32,
            OpKind::Immediate8 => 1,
            OpKind::Immediate16 | OpKind::Immediate8to16 => 2,
            OpKind::Immediate32 | OpKind::Immediate8to32 => 4,
            _ => 8,
        }
    }

    /// Reads operand `i` (register, memory at `ea()`, or immediate),
    /// zero-extended from `size` bytes. For memory, `addr` caches the EA.
    pub fn read_op(&mut self, i: u32, size: u32, addr: &mut Option<Temp>) -> Temp {
        match self.insn.op_kind(i) {
            OpKind::Register => self.read_reg(self.insn.op_register(i)),
            OpKind::Memory => {
                let a = self.mem_addr(addr);
                self.load(size, a)
            }
            _ => {
                let v = self.insn.immediate(i);
                let mask = if size >= 8 {
                    u64::MAX
                } else {
                    (1u64 << (size * 8)) - 1
                };
                self.b.movi(v & mask)
            }
        }
    }

    /// Writes operand `i` (register or memory at the cached EA).
    pub fn write_op(&mut self, i: u32, size: u32, v: Temp, addr: &mut Option<Temp>) {
        match self.insn.op_kind(i) {
            OpKind::Register => self.write_reg(self.insn.op_register(i), v),
            OpKind::Memory => {
                let a = self.mem_addr(addr);
                self.store(size, v, a);
            }
            k => panic!("write to operand kind {k:?}"),
        }
    }

    /// The EA of the memory operand, computed once per instruction.
    pub fn mem_addr(&mut self, addr: &mut Option<Temp>) -> Temp {
        match *addr {
            Some(a) => a,
            None => {
                let a = self.ea();
                *addr = Some(a);
                a
            }
        }
    }

    /// True if an operand is a segment, control or debug register: forms
    /// the families leave unimplemented (they are privileged, or change
    /// segmentation ox86 does not model), so they must not treat the
    /// register as a GPR.
    pub fn uses_special_register(&self) -> bool {
        (0..self.insn.op_count()).any(|i| {
            let r = self.insn.op_register(i);
            self.insn.op_kind(i) == OpKind::Register
                && (r.is_segment_register() || r.is_cr() || r.is_dr() || r.is_tr())
        })
    }

    /// True if operand `i` is a memory operand.
    pub fn is_mem(&self, i: u32) -> bool {
        self.insn.op_kind(i) == OpKind::Memory
    }
}
