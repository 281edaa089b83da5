//! System and flag-control instructions a user-mode program meets:
//! SYSCALL, CLD/STD/CLC/STC/CMC, hints (PAUSE, fences, ENDBR64, PREFETCH),
//! and the traps INT3, UD2, HLT.

use super::{Cx, Outcome};
use crate::cpu::eflags::CF;
use crate::cpu::{excp, glob};
use iced_x86::Mnemonic;

pub fn translate(cx: &mut Cx) -> Outcome {
    match cx.insn.mnemonic() {
        Mnemonic::Syscall => {
            // RCX <- next RIP, R11 <- RFLAGS (SDM: SYSCALL), then the kernel.
            let flags = super::stack::rflags(cx);
            let r11 = cx.g(crate::cpu::reg::R11);
            cx.b.mov_to(r11, flags);
            let rcx = cx.g(crate::cpu::reg::RCX);
            cx.b.movi_to(rcx, cx.next_pc);
            cx.raise_after(excp::SYSCALL)
        }
        Mnemonic::Cld | Mnemonic::Std => {
            let v = if cx.insn.mnemonic() == Mnemonic::Cld {
                1
            } else {
                u64::MAX
            };
            let df = cx.g(glob::DF);
            cx.b.movi_to(df, v);
        }
        Mnemonic::Clc | Mnemonic::Stc | Mnemonic::Cmc => {
            let all = cx.compute_all();
            let cf = cx.b.movi(CF);
            let v = match cx.insn.mnemonic() {
                Mnemonic::Clc => cx.b.andi(all, !CF),
                Mnemonic::Stc => cx.b.or(all, cf),
                _ => cx.b.xor(all, cf),
            };
            cx.set_cc_eflags(v);
        }
        Mnemonic::Pause
        | Mnemonic::Lfence
        | Mnemonic::Mfence
        | Mnemonic::Sfence
        | Mnemonic::Endbr64
        | Mnemonic::Prefetchnta
        | Mnemonic::Prefetcht0
        | Mnemonic::Prefetcht1
        | Mnemonic::Prefetcht2
        | Mnemonic::Prefetchw => {}
        Mnemonic::Int3 => cx.raise_after(excp::BP),
        Mnemonic::Ud2 | Mnemonic::Ud0 | Mnemonic::Ud1 => cx.raise(excp::UD),
        // Privileged in user mode: #GP, which Linux turns into SIGSEGV.
        Mnemonic::Hlt | Mnemonic::Cli | Mnemonic::Sti | Mnemonic::In | Mnemonic::Out => {
            cx.raise(excp::GP)
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}
