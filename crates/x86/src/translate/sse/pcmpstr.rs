//! SSE4.2 string comparisons PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (and
//! the REX.W explicit-length forms), by helper (PCMPISTRI by `call_xmm`,
//! which the JIT runs inline): the index goes to ECX or the mask to XMM0
//! (written by the helper); the flags become the lazy flags. Their memory
//! operand need not be aligned.

use super::{read_src, xmm_of, xmm_src_maybe_unaligned};
use crate::cpu::reg::{RAX, RCX, RDX};
use crate::cpu::CpuState;
use crate::helpers::sse::pcmpstr::{PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM};
use crate::translate::{Cx, Outcome};
use iced_x86::Mnemonic as M;
use std::mem::offset_of;

pub fn translate(cx: &mut Cx) -> Outcome {
    let (h, explicit, wide, index) = match cx.insn.mnemonic() {
        M::Pcmpestri => (&PCMPESTRI, true, false, true),
        M::Pcmpestri64 => (&PCMPESTRI, true, true, true),
        M::Pcmpestrm => (&PCMPESTRM, true, false, false),
        M::Pcmpestrm64 => (&PCMPESTRM, true, true, false),
        M::Pcmpistri => (&PCMPISTRI, false, false, true),
        M::Pcmpistrm => (&PCMPISTRM, false, false, false),
        _ => return Outcome::NotMine,
    };
    let imm = cx.insn.immediate(2) & 0xff;
    if h.name == PCMPISTRI.name {
        // The flags and the index come back in fields of their own, which
        // the JIT reads from the host's registers (see `call_xmm`).
        let s = xmm_src_maybe_unaligned(cx, 1, true);
        cx.call_xmm(h, xmm_of(cx, 0), s, imm);
        let flags = cx.b.ld_env(offset_of!(CpuState, xmm_result));
        let ecx = cx.b.ld_env(offset_of!(CpuState, xmm_index));
        cx.write_gpr64(RCX, ecx);
        cx.set_cc_eflags(flags);
        return Outcome::Done;
    }
    let r = if explicit {
        let arg = xmm_of(cx, 0) as u64 | imm << 8 | (wide as u64) << 16;
        let s = read_src(cx, 1, true);
        let arg = cx.b.movi(arg);
        let (rax, rdx) = (cx.g(RAX), cx.g(RDX));
        cx.call(h, &[arg, s.lo, s.hi, rax, rdx])
    } else {
        let arg = xmm_of(cx, 0) as u64 | imm << 8;
        let s = read_src(cx, 1, true);
        let arg = cx.b.movi(arg);
        cx.call(h, &[arg, s.lo, s.hi])
    };
    if index {
        let ecx = cx.b.shri(r, 32);
        cx.write_gpr64(RCX, ecx);
    }
    let flags = cx.zext(4, r);
    cx.set_cc_eflags(flags);
    Outcome::Done
}
