//! System and flag-control instructions a user-mode program meets:
//! SYSCALL, CLD/STD/CLC/STC/CMC, hints (PAUSE, fences, ENDBR, PREFETCH,
//! the reserved NOPs, RDSSP without shadow stacks),
//! the traps INT3, UD2, HLT, and CPUID, RDTSC, RDTSCP, LAHF, SAHF.

use super::{Cx, Outcome};
use crate::cpu::eflags::{AF, CF, FIXED1, OF, PF, SF, ZF};
use crate::cpu::{excp, glob};
use crate::helpers::misc::{CPUID_AB, CPUID_CD, RDTSC};
use iced_x86::{Mnemonic, Register};

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
        | Mnemonic::Prefetchw
        | Mnemonic::Endbr32
        // The hint space (0F 18..1F): NOPs, RDSSP among them while shadow
        // stacks are off, as they are for every ox86 process.
        | Mnemonic::Reservednop
        | Mnemonic::Rdsspd
        | Mnemonic::Rdsspq
        // The 0F 0D group besides PREFETCHW (/0 and the reserved /2../7):
        // prefetch hints, NOPs on a CPU with PREFETCHW.
        | Mnemonic::Prefetch
        | Mnemonic::Prefetchwt1
        // Hint-space encodings that later CPUs gave a meaning: NOPs on a CPU
        // without CLDEMOTE or PREFETCHI.
        | Mnemonic::Cldemote
        | Mnemonic::Prefetchit0
        | Mnemonic::Prefetchit1 => {}
        Mnemonic::Cpuid => cpuid(cx),
        Mnemonic::Rdtsc | Mnemonic::Rdtscp => {
            let t = cx.call(&RDTSC, &[]);
            let hi = cx.b.shri(t, 32);
            cx.write_reg(Register::EAX, t);
            cx.write_reg(Register::EDX, hi);
            if cx.insn.mnemonic() == Mnemonic::Rdtscp {
                // IA32_TSC_AUX: processor 0 of node 0, as Linux would set it.
                let aux = cx.b.movi(0);
                cx.write_reg(Register::ECX, aux);
            }
        }
        Mnemonic::Lahf => {
            // AH = SF:ZF:0:AF:0:PF:1:CF.
            let all = cx.compute_all();
            let f = cx.b.andi(all, SF | ZF | AF | PF | CF);
            let one = cx.b.movi(FIXED1);
            let ah = cx.b.or(f, one);
            cx.write_reg(Register::AH, ah);
        }
        Mnemonic::Sahf => {
            // SF ZF AF PF CF from AH; OF is kept.
            let all = cx.compute_all();
            let of = cx.b.andi(all, OF);
            let ah = cx.read_reg(Register::AH);
            let f = cx.b.andi(ah, SF | ZF | AF | PF | CF);
            let v = cx.b.or(of, f);
            cx.set_cc_eflags(v);
        }
        Mnemonic::Int3 => cx.raise_after(excp::BP),
        Mnemonic::Ud2 | Mnemonic::Ud0 | Mnemonic::Ud1 => cx.raise(excp::UD),
        // Extensions CPUID does not report, whose instructions are
        // undefined without them: the rest of CET shadow stacks, RTM, PKU.
        Mnemonic::Incsspd
        | Mnemonic::Incsspq
        | Mnemonic::Saveprevssp
        | Mnemonic::Rstorssp
        | Mnemonic::Wrssd
        | Mnemonic::Wrssq
        | Mnemonic::Wrussd
        | Mnemonic::Wrussq
        | Mnemonic::Setssbsy
        | Mnemonic::Clrssbsy
        | Mnemonic::Xbegin
        | Mnemonic::Xend
        | Mnemonic::Xabort
        | Mnemonic::Xtest
        | Mnemonic::Rdpkru
        | Mnemonic::Wrpkru => cx.raise(excp::UD),
        // Privileged in user mode: #GP, which Linux turns into SIGSEGV.
        Mnemonic::Hlt | Mnemonic::Cli | Mnemonic::Sti | Mnemonic::In | Mnemonic::Out => {
            cx.raise(excp::GP)
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

/// CPUID: EAX, EBX, ECX, EDX from the CPU model for leaf EAX, subleaf ECX.
fn cpuid(cx: &mut Cx) {
    let leaf = cx.read_reg(Register::EAX);
    let subleaf = cx.read_reg(Register::ECX);
    let ab = cx.call(&CPUID_AB, &[leaf, subleaf]);
    let cd = cx.call(&CPUID_CD, &[leaf, subleaf]);
    let b = cx.b.shri(ab, 32);
    let d = cx.b.shri(cd, 32);
    cx.write_reg(Register::EAX, ab);
    cx.write_reg(Register::EBX, b);
    cx.write_reg(Register::ECX, cd);
    cx.write_reg(Register::EDX, d);
}
