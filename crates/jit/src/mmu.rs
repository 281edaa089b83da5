//! System-mode guest accesses, `ld_mmu` and `st_mmu`: an inline probe of
//! the vCPU's softmmu TLB (entry by page number, tag compared with the
//! access's last byte's page so that a page-crossing access misses), the
//! host access through the entry's addend on a hit, and a call of the
//! softmmu's slow-path helper on a miss, which fills the TLB, goes to the
//! bus, or raises the fault. Registers are handled as for a pure helper
//! call, with the globals written back first so that a fault is precise.

use crate::abi::{env_disp, hreg, CALLER_SAVED, ENV_BIAS};
use crate::exits::PENDING;
use crate::gen::{Cold, Gen};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use ox86_ir::{Op, Opcode};
use ox86_x86::helpers::mmu::{LD_MMU, ST_MMU};
use ox86_x86::system::access::memop;
use ox86_x86::system::mmu::{Mmu, TlbEntry, PAGE_MASK, TLB_SIZE};
use ox86_x86::CpuState;
use std::mem::{offset_of, size_of};

/// `ENV_REG` displacement of `CpuState.sys.mmu`.
const MMU_DISP: i32 = env_disp(offset_of!(CpuState, sys.mmu));

impl Gen {
    /// `ld_mmu` or `st_mmu`.
    pub(crate) fn mmu_access(&mut self, i: usize, op: &Op) {
        let m = op.consts[0];
        let store = op.opc == Opcode::StMmu;
        let size = memop::size(m);
        let signed = m & memop::SIGN != 0;
        let tlb = offset_of!(Mmu, tlb) + memop::idx(m) * TLB_SIZE * size_of::<TlbEntry>();
        let tag = if store {
            offset_of!(TlbEntry, addr_write)
        } else {
            offset_of!(TlbEntry, addr_read)
        } as i32;
        let addend = offset_of!(TlbEntry, addend) as i32;
        self.sync_globals();
        self.save_caller_saved(i, op, true);
        // The helper's arguments: (va, memop) or (value, va, memop).
        self.move_args(op);
        let ra = if store { hreg::RDX } else { hreg::RSI };
        let (tlb, last) = (tlb as i32, size as i32 - 1);
        let page_mask = PAGE_MASK as i64 as i32;
        let index_mask = (TLB_SIZE - 1) as i32;
        let shift = size_of::<TlbEntry>().trailing_zeros() as i8;
        dynasm!(self.a ; .arch x64
            ; mov r11, QWORD [rbp + MMU_DISP]
            ; mov rax, Rq(ra)
            ; shr rax, 12
            ; and eax, index_mask
            ; shl eax, shift
            ; lea r11, [r11 + rax + tlb]
            ; lea rax, [Rq(ra) + last]
            ; and rax, page_mask
            ; cmp rax, QWORD [r11 + tag]
            ; jne >slow
            ; mov rax, QWORD [r11 + addend]
        );
        match (store, size, signed) {
            (false, 1, false) => dynasm!(self.a ; .arch x64 ; movzx eax, BYTE [Rq(ra) + rax]),
            (false, 1, true) => dynasm!(self.a ; .arch x64 ; movsx rax, BYTE [Rq(ra) + rax]),
            (false, 2, false) => dynasm!(self.a ; .arch x64 ; movzx eax, WORD [Rq(ra) + rax]),
            (false, 2, true) => dynasm!(self.a ; .arch x64 ; movsx rax, WORD [Rq(ra) + rax]),
            (false, 4, false) => dynasm!(self.a ; .arch x64 ; mov eax, DWORD [Rq(ra) + rax]),
            (false, 4, true) => dynasm!(self.a ; .arch x64 ; movsxd rax, DWORD [Rq(ra) + rax]),
            (false, _, _) => dynasm!(self.a ; .arch x64 ; mov rax, QWORD [Rq(ra) + rax]),
            (true, 1, _) => dynasm!(self.a ; .arch x64 ; mov BYTE [Rq(ra) + rax], sil),
            (true, 2, _) => dynasm!(self.a ; .arch x64 ; mov WORD [Rq(ra) + rax], si),
            (true, 4, _) => dynasm!(self.a ; .arch x64 ; mov DWORD [Rq(ra) + rax], esi),
            (true, _, _) => dynasm!(self.a ; .arch x64 ; mov QWORD [Rq(ra) + rax], rsi),
        }
        let helper = if store { ST_MMU.func } else { LD_MMU.func } as usize;
        let exception = self.a.new_dynamic_label();
        dynasm!(self.a ; .arch x64 ; jmp >done ; slow:);
        if store {
            self.mov_ri(hreg::RCX, m);
        } else {
            self.mov_ri(hreg::RDX, m);
        }
        dynasm!(self.a ; .arch x64 ; lea rdi, [rbp - ENV_BIAS]);
        self.call_abs(helper);
        self.xc.clear();
        dynasm!(self.a ; .arch x64 ; cmp DWORD [rbp + PENDING], 0);
        self.jcc_label(0x5, exception);
        dynasm!(self.a ; .arch x64 ; done:);
        self.cold.push(Cold::Exception {
            label: exception,
            pc: self.cur_pc,
        });
        for r in 0..16u8 {
            if CALLER_SAVED & (1 << r) != 0 {
                while let Some(&t) = self.holders(r).first() {
                    self.forget(t);
                }
            }
        }
        self.kill_inputs(i, op);
        if !store {
            self.def_reg(op.outs[0], hreg::RAX);
        }
        self.kill_outputs(i, op);
    }
}
