//! `call_xmm`: vector helpers on `CpuState`'s XMM registers. A helper the
//! host runs as one SSE instruction becomes that instruction on host XMM
//! registers that cache the guest's (`xmm_cache`, write-back: the result
//! stays in its host register until `xmm_flush`); the floating-point ones
//! only while the guest MXCSR has the default control bits (the helpers'
//! own fast path, see `ox86_x86::helpers::sse`; checked at each such
//! instruction, or once at the TB's entry, see `mxcsr`), else an
//! out-of-line call. Other helpers are called in place, with the live
//! registers saved around the call. A result in a general register
//! (COMIS*, CVT*2SI, PMOVMSKB, PCMPISTRI) goes to the register of the
//! `ld_env` of `xmm_result` that reads it, or to `xmm_result` when nothing
//! reads it right after.
//!
//! The translator writes XMM registers as two quadwords (`st_env`), so
//! uncached operands are read as quadwords (`movq` + `movhps`), which the
//! host forwards from those stores as well as from the cache's 16-byte
//! ones.

use crate::abi::{env_disp, exc_disp, hreg, ENV_BIAS, RIP_DISP};
use crate::gen::{Asm, Cold, Gen, Loc};
use crate::xmm_cache::GUEST_XMM;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use ox86_ir::{unpack_xmm_operands, Op, Opcode, Temp, XMM_ALIGNED};
use ox86_x86::cpu::{xmm_offset, CpuState, PendingException, XMM_SRC};
use ox86_x86::helpers::{self, HelperInfo};
use std::mem::offset_of;

const PENDING: i32 = exc_disp(offset_of!(PendingException, pending));

/// How a helper is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A packed integer instruction: exact under any MXCSR, never raises.
    Int,
    /// The same with an immediate operand.
    IntImm,
    /// A packed floating-point instruction: inline under the default MXCSR.
    Float,
    /// A scalar double instruction (writes the low quadword only).
    FloatSd,
    /// A scalar single instruction (writes the low doubleword only).
    FloatSs,
    /// A packed floating-point instruction with an immediate (ROUNDPS,
    /// CMPPS and their double forms).
    FloatImm,
    /// A scalar one with an immediate (ROUNDSD, CMPSD, ROUNDSS, CMPSS):
    /// the low quadword or doubleword.
    FloatScalarImm,
    /// COMISS/UCOMISS/COMISD/UCOMISD: ZF, PF and CF to `xmm_result`.
    Comis,
    /// CVT(T)SS2SI/CVT(T)SD2SI: the integer (in R11) to `xmm_result`.
    ToGpr,
    /// CVTSI2SD: the integer staged in the source register to the low
    /// quadword.
    FromGprSd,
    /// CVTSI2SS: the same to the low doubleword.
    FromGprSs,
    /// PMOVMSKB: the mask (in R11) to `xmm_result`.
    Mask,
    /// PCMPISTRI: EFLAGS to `xmm_result`, the index (ECX) to `xmm_index`
    /// (see `Gen::pcmpistri`).
    Pcmpistri,
    /// A shift of the destination by the immediate.
    ShiftImm,
}

impl Class {
    fn float(self) -> bool {
        !matches!(
            self,
            Class::Int | Class::IntImm | Class::Mask | Class::Pcmpistri | Class::ShiftImm
        )
    }
}

/// PCMPISTRI's flags: CF, ZF, SF and OF (AF and PF are cleared).
const PCMPSTR_FLAGS: i32 = 0x8c1;

/// `ENV_REG` displacement of `CpuState.xmm_result`.
const RESULT_DISP: i32 = env_disp(offset_of!(CpuState, xmm_result));
/// `ENV_REG` displacement of `CpuState.xmm_index`.
const INDEX_DISP: i32 = env_disp(offset_of!(CpuState, xmm_index));
/// ZF, PF and CF: what COMISS and its kin set (OF, SF and AF are cleared).
const COMIS_FLAGS: i32 = 0x45;

/// Puts the host's arithmetic flags in EAX at their EFLAGS positions (CF,
/// PF, AF, ZF, SF in bits 0-7 and OF in bit 11; bit 1 set, the rest of
/// AX clear) with LAHF and SETO, for an RAX that is zero: SETO puts OF in
/// AL, which moves to bit 3 and then, swapped with AH (LAHF's SF ZF 0 AF
/// 0 PF 1 CF), to bit 11.
fn gather_flags(a: &mut Asm) {
    dynasm!(a ; .arch x64
        ; lahf
        ; seto al
        ; shl al, 3
        ; ror ax, 8
    );
}

/// The helpers not named after their mnemonic alone: the conversions
/// (named by operand size) and the shifts by an immediate.
const CONVERTS: [(&str, Class); 22] = [
    ("cvtss2si32", Class::ToGpr),
    ("cvtss2si64", Class::ToGpr),
    ("cvttss2si32", Class::ToGpr),
    ("cvttss2si64", Class::ToGpr),
    ("cvtsd2si32", Class::ToGpr),
    ("cvtsd2si64", Class::ToGpr),
    ("cvttsd2si32", Class::ToGpr),
    ("cvttsd2si64", Class::ToGpr),
    ("cvtsi2ss32", Class::FromGprSs),
    ("cvtsi2ss64", Class::FromGprSs),
    ("cvtsi2sd32", Class::FromGprSd),
    ("cvtsi2sd64", Class::FromGprSd),
    ("psllw_imm", Class::ShiftImm),
    ("pslld_imm", Class::ShiftImm),
    ("psllq_imm", Class::ShiftImm),
    ("psrlw_imm", Class::ShiftImm),
    ("psrld_imm", Class::ShiftImm),
    ("psrlq_imm", Class::ShiftImm),
    ("psraw_imm", Class::ShiftImm),
    ("psrad_imm", Class::ShiftImm),
    ("pslldq", Class::ShiftImm),
    ("psrldq", Class::ShiftImm),
];

/// The host instruction of a shift by immediate `imm` of host register `d`.
fn emit_shift_imm(a: &mut Asm, name: &str, d: u8, imm: i8) {
    match name {
        "psllw_imm" => dynasm!(a ; .arch x64 ; psllw Rx(d), imm),
        "pslld_imm" => dynasm!(a ; .arch x64 ; pslld Rx(d), imm),
        "psllq_imm" => dynasm!(a ; .arch x64 ; psllq Rx(d), imm),
        "psrlw_imm" => dynasm!(a ; .arch x64 ; psrlw Rx(d), imm),
        "psrld_imm" => dynasm!(a ; .arch x64 ; psrld Rx(d), imm),
        "psrlq_imm" => dynasm!(a ; .arch x64 ; psrlq Rx(d), imm),
        "psraw_imm" => dynasm!(a ; .arch x64 ; psraw Rx(d), imm),
        "psrad_imm" => dynasm!(a ; .arch x64 ; psrad Rx(d), imm),
        "pslldq" => dynasm!(a ; .arch x64 ; pslldq Rx(d), imm),
        "psrldq" => dynasm!(a ; .arch x64 ; psrldq Rx(d), imm),
        _ => unreachable!("helper {name} is no shift by an immediate"),
    }
}

/// The host instruction of a `CONVERTS` helper: to R11 from the source,
/// or to host register `d` from the integer at `[rbp + disp]`.
fn emit_convert(a: &mut Asm, name: &str, d: u8, src: Src) {
    macro_rules! to_gpr {
        ($($name:literal: $m:ident $r:ident $size:ident;)*) => {
            match (name, src) {
                $(($name, Src::Reg(s)) => dynasm!(a ; .arch x64 ; $m $r, Rx(s)),)*
                $(($name, Src::Mem(disp)) => dynasm!(a ; .arch x64 ; $m $r, $size [rbp + disp]),)*
                ("cvtsi2ss32", Src::Mem(disp)) => dynasm!(a ; .arch x64 ; cvtsi2ss Rx(d), DWORD [rbp + disp]),
                ("cvtsi2ss64", Src::Mem(disp)) => dynasm!(a ; .arch x64 ; cvtsi2ss Rx(d), QWORD [rbp + disp]),
                ("cvtsi2sd32", Src::Mem(disp)) => dynasm!(a ; .arch x64 ; cvtsi2sd Rx(d), DWORD [rbp + disp]),
                ("cvtsi2sd64", Src::Mem(disp)) => dynasm!(a ; .arch x64 ; cvtsi2sd Rx(d), QWORD [rbp + disp]),
                _ => unreachable!("helper {name} has no inline form from {src:?}"),
            }
        };
    }
    to_gpr! {
        "cvtss2si32": cvtss2si r11d DWORD;
        "cvtss2si64": cvtss2si r11 DWORD;
        "cvttss2si32": cvttss2si r11d DWORD;
        "cvttss2si64": cvttss2si r11 DWORD;
        "cvtsd2si32": cvtsd2si r11d QWORD;
        "cvtsd2si64": cvtsd2si r11 QWORD;
        "cvttsd2si32": cvttsd2si r11d QWORD;
        "cvttsd2si64": cvttsd2si r11 QWORD;
    }
}

/// Where an inline form's source operand is.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// A host XMM register.
    Reg(u8),
    /// `[rbp + disp]`: the scalar forms read the staged memory operand in
    /// place.
    Mem(i32),
}

/// Defines `class_of` (helper name to `Class`) and `emit_form` (the host
/// instruction on host register `d` and the source) from one list.
macro_rules! sse_forms {
    ($($class:ident: $($m:ident)*;)*) => {
        /// The helpers `call_xmm` runs as one host instruction.
        pub fn inline_forms() -> Vec<&'static str> {
            let named: &[&'static str] = &[$($(stringify!($m),)*)*];
            named.iter().copied().chain(CONVERTS.iter().map(|c| c.0)).collect()
        }

        /// True if helper `name` runs inline as a floating-point
        /// instruction (which depends on MXCSR, see `mxcsr`).
        pub(crate) fn is_inline_float(name: &str) -> bool {
            class_of(name).is_some_and(Class::float)
        }

        fn class_of(name: &str) -> Option<Class> {
            match name {
                $($(stringify!($m) => Some(Class::$class),)*)*
                _ => CONVERTS.iter().find(|c| c.0 == name).map(|c| c.1),
            }
        }

        fn emit_form(a: &mut Asm, name: &str, d: u8, src: Src, imm: i8) {
            match (name, src) {
                $($((stringify!($m), Src::Reg(s)) => sse_forms!(@reg $class, a, $m, d, s, imm),)*)*
                $($((stringify!($m), Src::Mem(disp)) => sse_forms!(@mem $class, a, $m, d, disp, imm),)*)*
            _ => unreachable!("helper {name} has no inline form"),
            }
        }
    };
    (@reg IntImm, $a:ident, $m:ident, $d:ident, $s:ident, $imm:ident) => {
        dynasm!($a ; .arch x64 ; $m Rx($d), Rx($s), $imm)
    };
    (@reg Pcmpistri, $a:ident, $m:ident, $d:ident, $s:ident, $imm:ident) => {
        dynasm!($a ; .arch x64 ; $m Rx($d), Rx($s), $imm)
    };
    (@reg FloatImm, $a:ident, $m:ident, $d:ident, $s:ident, $imm:ident) => {
        dynasm!($a ; .arch x64 ; $m Rx($d), Rx($s), $imm)
    };
    (@reg FloatScalarImm, $a:ident, $m:ident, $d:ident, $s:ident, $imm:ident) => {
        dynasm!($a ; .arch x64 ; $m Rx($d), Rx($s), $imm)
    };
    (@reg Mask, $a:ident, $m:ident, $d:ident, $s:ident, $imm:ident) => {{
        let _ = ($d, $imm);
        dynasm!($a ; .arch x64 ; $m r11d, Rx($s))
    }};
    (@reg $class:ident, $a:ident, $m:ident, $d:ident, $s:ident, $imm:ident) => {{
        let _ = $imm;
        dynasm!($a ; .arch x64 ; $m Rx($d), Rx($s))
    }};
    (@mem FloatSd, $a:ident, $m:ident, $d:ident, $disp:ident, $imm:ident) => {{
        let _ = $imm;
        dynasm!($a ; .arch x64 ; $m Rx($d), [rbp + $disp])
    }};
    (@mem FloatSs, $a:ident, $m:ident, $d:ident, $disp:ident, $imm:ident) => {{
        let _ = $imm;
        dynasm!($a ; .arch x64 ; $m Rx($d), [rbp + $disp])
    }};
    (@mem FloatScalarImm, $a:ident, $m:ident, $d:ident, $disp:ident, $imm:ident) => {
        dynasm!($a ; .arch x64 ; $m Rx($d), [rbp + $disp], $imm)
    };
    (@mem Comis, $a:ident, $m:ident, $d:ident, $disp:ident, $imm:ident) => {{
        let _ = $imm;
        dynasm!($a ; .arch x64 ; $m Rx($d), [rbp + $disp])
    }};
    (@mem $class:ident, $a:ident, $m:ident, $d:ident, $disp:ident, $imm:ident) => {{
        let _ = ($a, $d, $disp, $imm);
        unreachable!("packed forms read their source from a register")
    }};
}

sse_forms! {
    Int:
        movaps pand pandn por pxor
        paddb paddw paddd paddq psubb psubw psubd psubq
        paddsb paddsw paddusb paddusw psubsb psubsw psubusb psubusw
        pmullw pmulhw pmulhuw pmuludq pmuldq pmulld pmaddwd psadbw pavgb pavgw
        pminub pmaxub pminsw pmaxsw pminsb pmaxsb pminuw pmaxuw pminsd pmaxsd pminud pmaxud
        pabsb pabsw pabsd psignb psignw psignd phaddw phaddd phaddsw phsubw phsubd phsubsw
        pmaddubsw pmulhrsw
        aesenc aesenclast aesdec aesdeclast aesimc
        pcmpeqb pcmpeqw pcmpeqd pcmpeqq pcmpgtb pcmpgtw pcmpgtd pcmpgtq
        punpcklbw punpcklwd punpckldq punpcklqdq punpckhbw punpckhwd punpckhdq punpckhqdq
        packsswb packuswb packssdw packusdw pshufb
        pmovsxbw pmovsxbd pmovsxbq pmovsxwd pmovsxwq pmovsxdq
        pmovzxbw pmovzxbd pmovzxbq pmovzxwd pmovzxwq pmovzxdq
        psllw pslld psllq psrlw psrld psrlq psraw psrad;
    IntImm:
        pshufd pshuflw pshufhw shufps shufpd palignr pblendw blendps blendpd
        pclmulqdq aeskeygenassist;
    Float:
        addps addpd subps subpd mulps mulpd divps divpd sqrtps sqrtpd
        minps minpd maxps maxpd rcpps rsqrtps
        addsubps addsubpd haddps haddpd hsubps hsubpd
        cvtps2pd cvtpd2ps cvtdq2ps cvtps2dq cvttps2dq cvtdq2pd cvtpd2dq cvttpd2dq;
    FloatSd:
        addsd subsd mulsd divsd sqrtsd minsd maxsd cvtss2sd;
    FloatSs:
        addss subss mulss divss sqrtss minss maxss rcpss rsqrtss cvtsd2ss;
    FloatImm:
        roundps roundpd cmpps cmppd;
    FloatScalarImm:
        roundsd cmpsd roundss cmpss;
    Comis:
        comisd ucomisd comiss ucomiss;
    Mask:
        pmovmskb;
    Pcmpistri:
        pcmpistri;
}

/// The out-of-line path of an inline floating-point `call_xmm`.
pub(crate) struct SlowXmm {
    /// Entry, taken when the guest MXCSR is not the default.
    pub label: DynamicLabel,
    /// Where the inline code continues.
    pub back: DynamicLabel,
    /// The helper's entry point.
    pub func: usize,
    /// `call_xmm`'s packed d, s and imm.
    pub operands: u64,
    /// The guest instruction, for an exception.
    pub pc: u64,
    /// Dirty globals to write back before the call: (displacement, location).
    pub dirty: Vec<(i32, Loc)>,
    /// Dirty XMM registers to store before the call: (guest, host).
    pub flush: Vec<(usize, u8)>,
    /// The XMM cache where the inline code continues: (host register,
    /// displacement of its guest register), reloaded after the call.
    pub reload: Vec<(u8, i32)>,
}

impl Gen {
    /// The temp of the `ld_env` of `xmm_result` that follows op `i` (the
    /// translator emits it right after the `call_xmm`), if it is live.
    fn result_reader(&self, i: usize) -> Option<Temp> {
        self.env_reader(i, offset_of!(CpuState, xmm_result))
            .filter(|&(k, _)| k == i + 1)
            .map(|(_, t)| t)
    }

    /// The temp of a live `ld_env` of `CpuState` field `field` among the
    /// two ops after op `i` (where the translator puts the reads of a
    /// `call_xmm`'s results), and its index.
    fn env_reader(&self, i: usize, field: usize) -> Option<(usize, Temp)> {
        (i + 1..=i + 2).find_map(|k| {
            let op = self.ir.ops.get(k)?;
            let reads = op.opc == Opcode::LdEnv
                && op.consts[0] == field as u64
                && !self.live.dead_op[k]
                && !self.fused_away(k);
            reads.then_some((k, op.outs[0]))
        })
    }

    /// PCMPISTRI at op `i`, inline: the index is the host's ECX and the
    /// flags (CF, ZF, SF, OF; AF and PF clear) are gathered in EAX, each
    /// the value of the `ld_env` that reads it (of `xmm_index`,
    /// `xmm_result`) or stored to its field when nothing here does.
    fn pcmpistri(&mut self, i: usize, d: u8, s: u8, imm: u8) {
        let flags = self.env_reader(i, offset_of!(CpuState, xmm_result));
        let index = self.env_reader(i, offset_of!(CpuState, xmm_index));
        // Whatever the allocator keeps in RCX and RAX moves first.
        self.claim(hreg::RCX);
        self.claim(hreg::RAX);
        let hd = self.cached_xmm(d as usize, None);
        let hs = match self.xc.get(s as usize) {
            Some(hs) => hs,
            None => self.cached_xmm(s as usize, Some(hd)),
        };
        if self.opts.lahf_flags {
            // RAX zeroed first (the flags are the instruction's), so that
            // the partial writes below wait for nothing older.
            dynasm!(self.a ; .arch x64
                ; xor eax, eax
                ; pcmpistri Rx(hd), Rx(hs), imm as i8
            );
            gather_flags(&mut self.a);
        } else {
            // PUSHFQ and POP, not LAHF and SETO: on Intel hosts those
            // partial writes of RAX made strmem's `strcmp` loop (PCMPISTRI,
            // JBE) wait (85.7 -> 64.6 ms with PUSHFQ).
            dynasm!(self.a ; .arch x64
                ; pcmpistri Rx(hd), Rx(hs), imm as i8
                ; pushfq
                ; pop rax
            );
        }
        dynasm!(self.a ; .arch x64 ; and eax, PCMPSTR_FLAGS);
        let mut last = i;
        for (reader, r, disp) in [
            (flags, hreg::RAX, RESULT_DISP),
            (index, hreg::RCX, INDEX_DISP),
        ] {
            match reader {
                Some((k, t)) => {
                    let op = self.ir.ops[k];
                    self.def_reg(t, r);
                    self.kill_outputs(k, &op);
                    last = last.max(k);
                }
                None => dynasm!(self.a ; .arch x64 ; mov [rbp + disp], Rq(r)),
            }
        }
        // The `ld_env`s are done.
        self.skip_to = last + 1;
    }

    /// Whether the host has the instruction of inline form `name`:
    /// PCLMULQDQ and AES-NI are CPUID features of their own, and without
    /// them the helper runs (its portable version).
    fn host_has(&self, name: &str) -> bool {
        match name {
            "pclmulqdq" => self.opts.pclmulqdq,
            "aesenc" | "aesenclast" | "aesdec" | "aesdeclast" | "aesimc" | "aeskeygenassist" => {
                self.opts.aes
            }
            _ => true,
        }
    }

    /// `call_xmm h, d, s, imm` at op `i`.
    pub(crate) fn call_xmm(&mut self, i: usize, op: &Op) {
        let h = helpers::by_id(op.consts[0] as u32);
        let operands = op.consts[1];
        let (d, s, imm) = unpack_xmm_operands(operands);
        let Some(class) = class_of(h.name).filter(|_| self.host_has(h.name)) else {
            return self.call_xmm_helper(h, operands);
        };
        if class == Class::Pcmpistri {
            return self.pcmpistri(i, d as u8, s as u8, imm as u8);
        }
        // A scalar result goes to the register of the `ld_env` that reads
        // it, which is then skipped, instead of through `xmm_result`.
        let scalar = matches!(class, Class::Comis | Class::ToGpr | Class::Mask);
        let result = match scalar {
            true => self.result_reader(i).map(|t| (t, self.own_reg(t))),
            false => None,
        };
        let sd = env_disp(xmm_offset(s as usize, 0));
        // The helper reads `CpuState`: on the out-of-line path, the dirty
        // registers are stored first (as they are before this instruction).
        let flush: Vec<(usize, u8)> = match class.float() {
            true => self.xc.dirty_entries().collect(),
            false => Vec::new(),
        };
        let slow = (class.float() && !self.mxcsr_known).then(|| self.mxcsr_check());
        // A conversion to an integer has no destination register (0 is
        // a dummy); one from an integer reads it from memory, where every
        // register's current value also is.
        // A copy's destination is not read (but a copy to itself is a
        // no-op and must keep it).
        let zeroing = matches!(h.name, "pxor" | "pandn") && d == s;
        let hd = match class {
            Class::ToGpr | Class::Mask => 0,
            _ if h.name == "movaps" && d != s && self.xc.get(d as usize).is_none() => {
                self.xmm_assign(d as usize, self.xc.get(s as usize))
            }
            _ if zeroing && self.xc.get(d as usize).is_none() => self.xmm_assign(d as usize, None),
            _ => self.cached_xmm(d as usize, None),
        };
        if zeroing {
            // PXOR x, x and PANDN x, x give zero whatever x holds.
            dynasm!(self.a ; .arch x64 ; pxor Rx(hd), Rx(hd));
            self.xc.set_dirty(d as usize);
            return;
        }
        // Scalar forms read an uncached source in place (the staged
        // memory operand, mostly); packed ones load it into the cache.
        if matches!(class, Class::FromGprSd | Class::FromGprSs) {
            // The integer is read from `CpuState`.
            self.xmm_read(xmm_offset(s as usize, 0));
        }
        let src = match (class, self.xc.get(s as usize)) {
            (Class::FromGprSd | Class::FromGprSs, _) => Src::Mem(sd),
            (_, Some(hs)) => Src::Reg(hs),
            (
                Class::FloatSd
                | Class::FloatSs
                | Class::FloatScalarImm
                | Class::Comis
                | Class::ToGpr,
                None,
            ) => Src::Mem(sd),
            _ => Src::Reg(self.cached_xmm(s as usize, Some(hd))),
        };
        // The legacy encodings read imm[2:0] of a compare's predicate and
        // imm[3:0] of a rounding (the helpers do the same).
        let imm = match class {
            Class::FloatImm | Class::FloatScalarImm => {
                imm & if h.name.starts_with("cmp") { 7 } else { 15 }
            }
            _ => imm,
        };
        match class {
            Class::ToGpr | Class::FromGprSd | Class::FromGprSs => {
                emit_convert(&mut self.a, h.name, hd, src)
            }
            Class::ShiftImm => emit_shift_imm(&mut self.a, h.name, hd, imm as u8 as i8),
            Class::Mask => match (result, src) {
                (Some((_, rd)), Src::Reg(s)) => {
                    dynasm!(self.a ; .arch x64 ; pmovmskb Rd(rd), Rx(s))
                }
                _ => emit_form(&mut self.a, h.name, hd, src, imm as u8 as i8),
            },
            _ => emit_form(&mut self.a, h.name, hd, src, imm as u8 as i8),
        }
        // The destination register is newer than `CpuState` (see
        // `xmm_cache`); the other results are left in R11.
        match class {
            // As PCMPISTRI's: on Intel hosts by PUSHFQ and POP, which
            // leave RAX alone (LAHF writes AH, so it waited for RAX's last
            // value); on AMD ones through RAX, put back.
            Class::Comis if self.opts.lahf_flags => dynasm!(self.a ; .arch x64
                ; mov r11, rax
                ; lahf
                ; xchg r11, rax
                ; shr r11d, 8
                ; and r11d, COMIS_FLAGS
            ),
            Class::Comis => dynasm!(self.a ; .arch x64
                ; pushfq
                ; pop r11
                ; and r11d, COMIS_FLAGS
            ),
            Class::ToGpr | Class::Mask => {}
            Class::Pcmpistri => unreachable!("PCMPISTRI has its own path"),
            _ => self.xc.set_dirty(d as usize),
        }
        let back = slow.map(|_| self.a.new_dynamic_label());
        if let Some(back) = back {
            // The out-of-line call leaves the result in R11 too.
            self.a.dynamic_label(back);
        }
        match result {
            // PMOVMSKB wrote the register itself.
            Some(_) if class == Class::Mask => {}
            Some((_, rd)) => dynasm!(self.a ; .arch x64 ; mov Rq(rd), r11),
            None if scalar => dynasm!(self.a ; .arch x64 ; mov [rbp + RESULT_DISP], r11),
            None => {}
        }
        if let (Some(label), Some(back)) = (slow, back) {
            let dirty = self.dirty_global_values();
            let reload = self
                .xc
                .entries()
                .map(|(g, h)| (h, env_disp(xmm_offset(g, 0))))
                .collect();
            self.cold.push(Cold::Xmm(SlowXmm {
                label,
                back,
                func: h.func as usize,
                operands,
                pc: self.cur_pc,
                dirty,
                flush,
                reload,
            }));
        }
        // The `ld_env` is done.
        if let Some((t, rd)) = result {
            let next = self.ir.ops[i + 1];
            self.def_reg(t, rd);
            self.kill_outputs(i + 1, &next);
            self.skip_to = i + 2;
        }
    }

    /// The host register holding guest XMM `g`, loaded from `CpuState` if
    /// it is not cached (into a register other than `keep`). The load is
    /// two quadwords, which the host forwards from the translator's
    /// quadword stores as well as from the cache's own 16-byte stores.
    fn cached_xmm(&mut self, g: usize, keep: Option<u8>) -> u8 {
        if let Some(h) = self.xc.get(g) {
            return h;
        }
        let h = self.xmm_assign(g, keep);
        let disp = env_disp(xmm_offset(g, 0));
        dynasm!(self.a ; .arch x64
            ; movq Rx(h), [rbp + disp]
            ; movhps Rx(h), [rbp + disp + 8]
        );
        h
    }

    /// A host register for guest XMM `g` (not cached), other than `keep`;
    /// the dirty register it held is stored first.
    fn xmm_assign(&mut self, g: usize, keep: Option<u8>) -> u8 {
        let (h, evicted) = self.xc.assign(g, keep);
        if let Some(old) = evicted {
            self.xmm_store(old, h);
        }
        h
    }

    /// Stores host register `h` as guest XMM `g` (`CpuState` is then
    /// current for it).
    pub(crate) fn xmm_store(&mut self, g: usize, h: u8) {
        let disp = env_disp(xmm_offset(g, 0));
        dynasm!(self.a ; .arch x64 ; movdqa [rbp + disp], Rx(h));
    }

    /// Stores guest XMM registers `regs` (guest, host) but `XMM_SRC`: the
    /// way out of a loop that keeps them dirty.
    pub(crate) fn xmm_store_all(&mut self, regs: &[(usize, u8)]) {
        for &(g, h) in regs {
            if g != XMM_SRC {
                self.xmm_store(g, h);
            }
        }
    }

    /// Stores the dirty XMM registers to `CpuState` (they stay cached),
    /// `XMM_SRC` only if `staged`: the translator fills it within the
    /// guest instruction that reads it, so a TB exit does not need it.
    pub(crate) fn xmm_flush(&mut self, staged: bool) {
        let dirty: Vec<(usize, u8)> = self.xc.dirty_entries().collect();
        for (g, h) in dirty {
            if g == XMM_SRC && !staged {
                continue;
            }
            self.xmm_store(g, h);
            self.xc.set_clean(g);
        }
    }

    /// `ld_xmm d, n, a`: one host load into the register caching guest
    /// `d`, which is then newer than `CpuState`.
    pub(crate) fn ld_xmm(&mut self, i: usize, op: &Op) {
        if self.sib[i] != crate::sib::Fused::No {
            return self.access_sib(i, op);
        }
        let ra = self.in_reg(op.ins[0], 0);
        let d = op.consts[0] as usize;
        let h = self.xmm_for_load(d);
        let disp = self.disp[i];
        self.fault_site();
        // An aligned access is the host's `movdqa`, whose #GP on a
        // misaligned address is the guest's (see `fault`).
        match op.consts[1] {
            4 => short_disp!(self.a ; movd Rx(h), DWORD [Rq(ra) + disp]),
            8 => short_disp!(self.a ; movq Rx(h), QWORD [Rq(ra) + disp]),
            16 => short_disp!(self.a ; movdqu Rx(h), [Rq(ra) + disp]),
            _ => short_disp!(self.a ; movdqa Rx(h), [Rq(ra) + disp]),
        }
        self.xc.set_dirty(d);
        self.kill_inputs(i, op);
    }

    /// The host register a load into guest XMM `d` writes (its cached
    /// one, or a new one).
    pub(crate) fn xmm_for_load(&mut self, d: usize) -> u8 {
        match self.xc.get(d) {
            Some(h) => h,
            None => self.xmm_assign(d, None),
        }
    }

    /// The host register holding guest XMM `s` for a store (loaded from
    /// `CpuState` if not cached).
    pub(crate) fn xmm_for_store(&mut self, s: usize) -> u8 {
        self.cached_xmm(s, None)
    }

    /// `st_xmm s, a`: one host store, which like the guest's writes all
    /// 16 bytes or, if it faults, none.
    pub(crate) fn st_xmm(&mut self, i: usize, op: &Op) {
        if self.sib[i] != crate::sib::Fused::No {
            return self.access_sib(i, op);
        }
        let ra = self.in_reg(op.ins[0], 0);
        let disp = self.disp[i];
        if let Some(hook) = self.opts.store_hook {
            self.call_store_hook(hook, ra, disp, op.opc);
        }
        let h = self.xmm_for_store(op.consts[0] as usize);
        self.fault_site();
        if op.consts[1] & XMM_ALIGNED != 0 {
            short_disp!(self.a ; movdqa [Rq(ra) + disp], Rx(h));
        } else {
            short_disp!(self.a ; movdqu [Rq(ra) + disp], Rx(h));
        }
        self.kill_inputs(i, op);
    }

    /// Per-TB start: nothing cached; whether the TB has XMM ops at all
    /// (else labels need no cache state) and which labels have backward
    /// branches.
    pub(crate) fn xmm_begin(&mut self) {
        self.xc = Default::default();
        self.xc_falls = true;
        self.xc_loop = None;
        self.xc_used = self
            .ir
            .ops
            .iter()
            .any(|o| matches!(o.opc, Opcode::CallXmm | Opcode::LdXmm | Opcode::StXmm));
        if !self.xc_used {
            return;
        }
        let n = self.ir.n_labels as usize;
        self.xc_at_label.clear();
        self.xc_at_label.resize(n, None);
        self.xc_backward.clear();
        self.xc_backward.resize(n, false);
        self.xc_branches.clear();
        self.xc_branches.resize(n, 0);
        let mut placed = std::mem::take(&mut self.xc_placed);
        placed.clear();
        placed.resize(n, false);
        for op in &self.ir.ops {
            let l = match op.opc {
                Opcode::SetLabel => {
                    placed[op.consts[0] as usize] = true;
                    continue;
                }
                Opcode::Br => op.consts[0] as usize,
                Opcode::Brcond => op.consts[1] as usize,
                _ => continue,
            };
            self.xc_backward[l] |= placed[l];
            self.xc_branches[l] = self.xc_branches[l].saturating_add(1);
        }
        self.xc_placed = placed;
    }

    /// A branch to IR label `l` with the current cache. Dirty registers
    /// stay dirty only on the way to a forward label no other branch
    /// targets (the way on past a side exit, mostly), where the
    /// fall-through can be made to agree (`xmm_at_label`).
    pub(crate) fn xmm_branch(&mut self, l: u64) {
        if !self.xc_used {
            return;
        }
        let l = l as usize;
        if self.xc_backward[l] && self.xc_loop.is_some() {
            // A jump back inside a loop TB (an inner loop of a region):
            // to the loop's registers, as at the back edge.
            self.xmm_back_edge();
            return;
        }
        if self.xc_branches[l] != 1 || self.xc_backward[l] {
            self.xmm_flush(true);
        }
        let at = &mut self.xc_at_label[l];
        match at {
            Some(s) => s.intersect(&self.xc),
            None => *at = Some(self.xc),
        }
    }

    /// Before IR label `l` (emitted on the way that falls into it): what
    /// every way in agrees on. The falling way first takes the registers
    /// the branch left dirty into the same host registers, and stores its
    /// own dirty registers that the meeting drops.
    pub(crate) fn xmm_at_label(&mut self, l: u64) {
        if !self.xc_used {
            return;
        }
        let l = l as usize;
        let branch = self.xc_at_label[l].take();
        if self.xc_backward[l] && self.xc_loop.is_some() {
            // The head of an inner loop: the loop's registers, in which
            // its jumps back (`xmm_branch`) arrive.
            if self.xc_falls {
                self.xmm_back_edge();
            } else {
                self.xc = self.xc_loop.expect("a loop TB");
            }
            self.xc_falls = true;
            return;
        }
        if self.xc_backward[l] {
            if self.xc_falls {
                self.xmm_flush(true);
            }
            self.xc = Default::default();
            self.xc_falls = true;
            return;
        }
        self.xc = match (self.xc_falls, branch) {
            (true, Some(b)) => {
                for (g, h) in b.dirty_entries() {
                    self.xmm_place(g, h);
                }
                self.xmm_store_unless_in(&b);
                let mut s = self.xc;
                s.intersect(&b);
                s
            }
            (true, None) => self.xc,
            (false, Some(b)) => b,
            (false, None) => Default::default(),
        };
        self.xc_falls = true;
    }

    /// Stores the dirty registers that `other` does not cache in the same
    /// host register (a state this code is about to take on).
    fn xmm_store_unless_in(&mut self, other: &crate::xmm_cache::XmmCache) {
        let moved: Vec<(usize, u8)> = self
            .xc
            .dirty_entries()
            .filter(|&(g, h)| other.get(g) != Some(h))
            .collect();
        for (g, h) in moved {
            self.xmm_store(g, h);
            self.xc.set_clean(g);
        }
    }

    /// Guest XMM `g` into host register `h`: moved from another host
    /// register or loaded from `CpuState`; what `h` held is stored first
    /// if dirty.
    fn xmm_place(&mut self, g: usize, h: u8) {
        if self.xc.get(g) == Some(h) {
            return;
        }
        if let Some(old) = self.xc.guest_in(h) {
            if self.xc.is_dirty(old) {
                self.xmm_store(old, h);
            }
            self.xc.forget(old);
        }
        let dirty = self.xc.is_dirty(g);
        match self.xc.get(g) {
            Some(from) => dynasm!(self.a ; .arch x64 ; movdqa Rx(h), Rx(from)),
            None => {
                let disp = env_disp(xmm_offset(g, 0));
                dynasm!(self.a ; .arch x64 ; movdqa Rx(h), [rbp + disp]);
            }
        }
        self.xc.forget(g);
        self.xc.bind(g, h);
        if dirty {
            self.xc.set_dirty(g);
        }
    }

    /// Self-loop preheader: the guest XMM registers the TB names, as many
    /// as the cache holds, are loaded for the loop body.
    pub(crate) fn xmm_loop_entry(&mut self) {
        self.xc.clear();
        for i in 0..self.ir.ops.len() {
            let op = self.ir.ops[i];
            let named: &[u64] = match op.opc {
                Opcode::CallXmm => {
                    let (d, s, _) = unpack_xmm_operands(op.consts[1]);
                    &[d, s]
                }
                Opcode::LdXmm | Opcode::StXmm => &[op.consts[0]],
                _ => &[],
            };
            for &g in named {
                let full = self.xc.entries().count() == 14;
                if (g as usize) < GUEST_XMM && self.xc.get(g as usize).is_none() && !full {
                    self.cached_xmm(g as usize, None);
                }
            }
        }
        // The body starts with them all taken as newer than `CpuState`:
        // an iteration leaves them so.
        for (g, _) in self.xc.entries().collect::<Vec<_>>() {
            self.xc.set_dirty(g);
        }
        self.xc_loop = Some(self.xc);
    }

    /// Self-loop back edge (or a jump back to an inner loop's head): dirty
    /// registers the body does not expect where they are are stored, and
    /// the registers it expects are reloaded where they no longer hold
    /// them (those it finds in place stay dirty).
    pub(crate) fn xmm_back_edge(&mut self) {
        let Some(want) = self.xc_loop else {
            return;
        };
        self.xmm_store_unless_in(&want);
        for (g, h) in want.entries() {
            if self.xc.get(g) != Some(h) {
                let disp = env_disp(xmm_offset(g, 0));
                dynasm!(self.a ; .arch x64
                    ; movq Rx(h), [rbp + disp]
                    ; movhps Rx(h), [rbp + disp + 8]
                );
            }
        }
        self.xc = want;
    }

    /// The guest XMM register whose half is at `CpuState` offset `offset`.
    fn xmm_at(offset: usize) -> Option<usize> {
        let first = xmm_offset(0, 0);
        (first..first + GUEST_XMM * 16)
            .contains(&offset)
            .then(|| (offset - first) / 16)
    }

    /// The host register caching the guest XMM register whose low
    /// quadword is at `CpuState` offset `offset`, if any.
    pub(crate) fn cached_xmm_low(&self, offset: usize) -> Option<u8> {
        let g = Self::xmm_at(offset).filter(|&g| offset == xmm_offset(g, 0))?;
        self.xc.get(g)
    }

    /// Before `st_env` at `offset`: a guest XMM register written in halves
    /// is stored if dirty (the other half must be current), then no
    /// longer cached.
    pub(crate) fn xmm_written(&mut self, offset: usize) {
        if let Some(g) = Self::xmm_at(offset) {
            self.xmm_read(offset);
            self.xc.forget(g);
        }
    }

    /// Before `ld_env` at `offset`: a guest XMM register read in halves
    /// is stored if dirty.
    pub(crate) fn xmm_read(&mut self, offset: usize) {
        if let Some(g) = Self::xmm_at(offset) {
            if let (Some(h), true) = (self.xc.get(g), self.xc.is_dirty(g)) {
                self.xmm_store(g, h);
                self.xc.set_clean(g);
            }
        }
    }

    /// Calls `h` in place: the guest registers are written back first (it
    /// may raise), and every caller-saved host register is kept.
    fn call_xmm_helper(&mut self, h: &HelperInfo, operands: u64) {
        self.sync_globals(); // and the XMM registers
        self.emit_xmm_call(h.func as usize, operands);
        self.xc.clear();
        dynasm!(self.a ; .arch x64 ; cmp DWORD [rbp + PENDING], 0);
        let label = self.a.new_dynamic_label();
        self.jcc_label(0x5, label);
        self.cold.push(Cold::Exception {
            label,
            pc: self.cur_pc,
        });
    }

    /// The dirty globals and where their values are.
    fn dirty_global_values(&self) -> Vec<(i32, Loc)> {
        self.dirty_globals()
            .map(|g| (self.global_disp(g), self.loc[g as usize]))
            .collect()
    }

    /// `func(env, d, xmm[s].lo, xmm[s].hi, imm, 0)` with every caller-saved
    /// register preserved.
    fn emit_xmm_call(&mut self, func: usize, operands: u64) {
        let (d, s, imm) = unpack_xmm_operands(operands);
        let sd = env_disp(xmm_offset(s as usize, 0));
        dynasm!(self.a ; .arch x64
            ; push rax ; push rcx ; push rdx ; push rsi ; push rdi
            ; push r8 ; push r9 ; push r10 ; push r11 ; sub rsp, 8
            ; lea rdi, [rbp - ENV_BIAS]
            ; mov esi, d as i32
            ; mov rdx, [rbp + sd]
            ; mov rcx, [rbp + sd + 8]
            ; mov r8d, imm as i32
            ; xor r9d, r9d
            ; mov rax, QWORD func as i64
            ; call rax
            ; add rsp, 8 ; pop r11 ; pop r10 ; pop r9 ; pop r8
            ; pop rdi ; pop rsi ; pop rdx ; pop rcx ; pop rax
        );
    }

    /// The out-of-line call of an inline floating-point `call_xmm`.
    pub(crate) fn emit_slow_xmm(&mut self, slow: SlowXmm) {
        self.a.dynamic_label(slow.label);
        for &(g, h) in &slow.flush {
            self.xmm_store(g, h);
        }
        for &(disp, loc) in &slow.dirty {
            match loc {
                Loc::Reg(r) => self.st_env_reg(disp, r),
                Loc::Const(c) => self.st_env_imm(disp, c),
                Loc::Mem | Loc::Dead => {}
            }
        }
        self.emit_xmm_call(slow.func, slow.operands);
        let raised = self.a.new_dynamic_label();
        dynasm!(self.a ; .arch x64
            ; cmp DWORD [rbp + PENDING], 0
            ; jne =>raised
        );
        for &(h, disp) in &slow.reload {
            dynasm!(self.a ; .arch x64 ; movdqa Rx(h), [rbp + disp]);
        }
        // A scalar result is taken from R11 where the inline code joins.
        dynasm!(self.a ; .arch x64
            ; mov r11, [rbp + RESULT_DISP]
            ; jmp =>slow.back
            ; =>raised
        );
        self.st_env_imm(RIP_DISP, slow.pc);
        self.jmp_abs(self.stubs.exception);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_x86::helpers::sse;

    /// Every inline form names a registered helper (the list is spelled
    /// with helper names, so a rename must not silently drop a form).
    #[test]
    fn forms_name_helpers() {
        let names: Vec<&str> = (0..helpers::count())
            .map(|id| helpers::by_id(id).name)
            .collect();
        for name in inline_forms() {
            assert!(names.contains(&name), "{name} is no helper");
        }
        assert_eq!(class_of(sse::float::DPPS.name), None);
    }
}
