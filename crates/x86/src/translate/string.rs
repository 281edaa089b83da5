//! String instructions MOVS STOS LODS CMPS SCAS (b/w/d/q), with REP,
//! REPE and REPNE translated as a loop inside the TB. Each element's loads
//! and stores come before that element's RSI/RDI/RCX updates, so a fault
//! mid-string leaves the registers precise for a restart. REP MOVS and
//! REP STOS of bytes, words and doublewords move four quadwords, else one,
//! at a time while they stay within a page on both sides (so they fault
//! exactly where the elements would) and do not overlap their own source.
//! In user mode, REP MOVS and REP STOS of a kilobyte or more with DF clear
//! and 64-bit addresses are one helper call running the host's own string
//! instruction (`helpers::string`).

use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::cpu::glob;
use crate::cpu::reg::{RCX, RDI, RSI};
use crate::helpers;
use iced_x86::{Mnemonic, OpKind, Register};
use ox86_ir::{Cond, Label, Opcode, Temp};

/// Which string operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Movs,
    Stos,
    Lods,
    Cmps,
    Scas,
}

pub fn translate(cx: &mut Cx) -> Outcome {
    let kind = match cx.insn.mnemonic() {
        Mnemonic::Movsb | Mnemonic::Movsw | Mnemonic::Movsd | Mnemonic::Movsq => Kind::Movs,
        Mnemonic::Stosb | Mnemonic::Stosw | Mnemonic::Stosd | Mnemonic::Stosq => Kind::Stos,
        Mnemonic::Lodsb | Mnemonic::Lodsw | Mnemonic::Lodsd | Mnemonic::Lodsq => Kind::Lods,
        Mnemonic::Cmpsb | Mnemonic::Cmpsw | Mnemonic::Cmpsd | Mnemonic::Cmpsq => Kind::Cmps,
        Mnemonic::Scasb | Mnemonic::Scasw | Mnemonic::Scasd | Mnemonic::Scasq => Kind::Scas,
        _ => return Outcome::NotMine,
    };
    // MOVSD and CMPSD are also SSE mnemonics; only the string forms have
    // rSI/rDI operands.
    let mut addr_bits = 0;
    for i in 0..cx.insn.op_count() {
        match cx.insn.op_kind(i) {
            OpKind::MemorySegRSI | OpKind::MemoryESRDI => addr_bits = 64,
            OpKind::MemorySegESI | OpKind::MemoryESEDI => addr_bits = 32,
            OpKind::MemorySegSI | OpKind::MemoryESDI => addr_bits = 16,
            _ => {}
        }
    }
    if addr_bits == 0 {
        return Outcome::NotMine;
    }
    let s = StrOp {
        kind,
        size: cx.insn.memory_size().size() as u32,
        addr_bits,
    };
    let rep = cx.insn.has_rep_prefix() || cx.insn.has_repne_prefix();
    if rep {
        repeat(cx, s);
    } else {
        element(cx, s);
    }
    Outcome::Done
}

/// One string instruction's shape.
#[derive(Clone, Copy)]
struct StrOp {
    kind: Kind,
    /// Element size in bytes.
    size: u32,
    /// Address size: SI/DI/CX (16), ESI/EDI/ECX (32) or RSI/RDI/RCX (64).
    addr_bits: u32,
}

/// The accumulator register for an element of `size` bytes.
fn acc(size: u32) -> Register {
    match size {
        1 => Register::AL,
        2 => Register::AX,
        4 => Register::EAX,
        _ => Register::RAX,
    }
}

/// GPR `r` truncated to the address size.
fn addr_reg(cx: &mut Cx, s: StrOp, r: usize) -> Temp {
    let g = cx.g(r);
    match s.addr_bits {
        16 => cx.b.unop(Opcode::Ext16u, g),
        32 => cx.b.unop(Opcode::Ext32u, g),
        _ => g,
    }
}

/// Writes `v` to GPR `r` at the address size (a 16-bit update keeps the
/// upper bits).
fn set_addr_reg(cx: &mut Cx, s: StrOp, r: usize, v: Temp) {
    let g = cx.g(r);
    let v = match s.addr_bits {
        16 => {
            let keep = cx.b.andi(g, !0xffff);
            let low = cx.b.unop(Opcode::Ext16u, v);
            cx.b.or(keep, low)
        }
        32 => cx.b.unop(Opcode::Ext32u, v),
        _ => v,
    };
    cx.b.mov_to(g, v);
}

/// The source address: rSI in its segment (DS or an override).
fn src_addr(cx: &mut Cx, s: StrOp) -> Temp {
    let si = addr_reg(cx, s, RSI);
    let seg = cx.insn.memory_segment();
    cx.linear(seg, si)
}

/// The destination address: rDI in ES.
fn dst_addr(cx: &mut Cx, s: StrOp) -> Temp {
    let di = addr_reg(cx, s, RDI);
    cx.linear(Register::ES, di)
}

/// The signed element step: DF's +1/-1 times the element size.
fn step(cx: &mut Cx, s: StrOp) -> Temp {
    let df = cx.g(glob::DF);
    match s.size {
        1 => df,
        n => cx.b.shli(df, n.trailing_zeros() as u64),
    }
}

/// Advances rSI or rDI by `step`.
fn advance(cx: &mut Cx, s: StrOp, r: usize, step: Temp) {
    let g = cx.g(r);
    let v = cx.b.add(g, step);
    set_addr_reg(cx, s, r, v);
}

/// One element: loads, stores, pointer updates and (CMPS/SCAS) flags.
/// Returns the compared operands for CMPS/SCAS.
fn element(cx: &mut Cx, s: StrOp) -> Option<(Temp, Temp)> {
    let size = s.size;
    match s.kind {
        Kind::Movs => {
            let src = src_addr(cx, s);
            let v = cx.load(size, src);
            let dst = dst_addr(cx, s);
            cx.store(size, v, dst);
            let d = step(cx, s);
            advance(cx, s, RSI, d);
            advance(cx, s, RDI, d);
            None
        }
        Kind::Stos => {
            let v = cx.read_reg(acc(size));
            let dst = dst_addr(cx, s);
            cx.store(size, v, dst);
            let d = step(cx, s);
            advance(cx, s, RDI, d);
            None
        }
        Kind::Lods => {
            let src = src_addr(cx, s);
            let v = cx.load(size, src);
            cx.write_reg(acc(size), v);
            let d = step(cx, s);
            advance(cx, s, RSI, d);
            None
        }
        Kind::Cmps | Kind::Scas => {
            let a = if s.kind == Kind::Cmps {
                let src = src_addr(cx, s);
                cx.load(size, src)
            } else {
                cx.read_reg(acc(size))
            };
            let dst = dst_addr(cx, s);
            let b = cx.load(size, dst);
            let d = step(cx, s);
            if s.kind == Kind::Cmps {
                advance(cx, s, RSI, d);
            }
            advance(cx, s, RDI, d);
            let d = cx.b.sub(a, b);
            let d = cx.zext(size, d);
            cx.set_cc(CcKind::Sub, size, d, b, None);
            Some((a, b))
        }
    }
}

/// The STOS accumulator of `size` bytes repeated over a quadword.
fn broadcast(cx: &mut Cx, size: u32) -> Temp {
    let v = cx.read_reg(acc(size));
    let lanes = match size {
        1 => 0x0101_0101_0101_0101,
        2 => 0x0001_0001_0001_0001,
        _ => 0x0000_0001_0000_0001,
    };
    let k = cx.b.movi(lanes);
    cx.b.binop(Opcode::Mul, v, k)
}

/// Goes on only while DF is clear and RCX counts at least `elements`
/// elements; otherwise branches to `other`. Returns RCX and the count.
fn forward_with_at_least(cx: &mut Cx, elements: u64, other: Label) -> (Temp, Temp) {
    let df = cx.g(glob::DF);
    let forward = cx.b.movi(1);
    cx.b.brcond(Cond::Ne, df, forward, other);
    let rcx = cx.g(RCX);
    let need = cx.b.movi(elements);
    cx.b.brcond(Cond::Ltu, rcx, need, other);
    (rcx, need)
}

/// Inside the REP loop (rCX != 0): if `quads` quadwords' worth of
/// elements remain, DF is clear and neither side's accesses cross a page
/// (nor does a MOVS destination lie less than 8 bytes above its source),
/// moves `quads` quadwords, one after the other, and goes back to `top`;
/// otherwise falls through.
fn quadwords(cx: &mut Cx, s: StrOp, fill: Option<Temp>, top: Label, quads: u64) {
    let one_element = cx.b.label();
    let bytes = 8 * quads;
    let (rcx, need) = forward_with_at_least(cx, bytes / s.size as u64, one_element);
    let page_off = cx.b.movi(0xfff);
    let last_start = cx.b.movi(0x1000 - bytes);
    let dst = cx.g(RDI);
    let dst_off = cx.b.and(dst, page_off);
    cx.b.brcond(Cond::Gtu, dst_off, last_start, one_element);
    let src = match fill {
        Some(_) => None,
        None => {
            let src = src_addr(cx, s);
            let src_off = cx.b.and(src, page_off);
            cx.b.brcond(Cond::Gtu, src_off, last_start, one_element);
            let rsi = cx.g(RSI);
            let gap = cx.b.sub(dst, rsi);
            let eight = cx.b.movi(8);
            cx.b.brcond(Cond::Ltu, gap, eight, one_element);
            Some(src)
        }
    };
    // All on one page each side: the first access faults if any does.
    for k in 0..quads {
        let at = |cx: &mut Cx, base: Temp| match k {
            0 => base,
            _ => cx.b.addi(base, 8 * k),
        };
        let v = match (fill, src) {
            (Some(v), _) => v,
            (None, Some(src)) => {
                let a = at(cx, src);
                cx.load(8, a)
            }
            (None, None) => unreachable!("MOVS has a source"),
        };
        let d = at(cx, dst);
        cx.store(8, v, d);
    }
    let step = cx.b.movi(bytes);
    if fill.is_none() {
        let rsi = cx.g(RSI);
        let next = cx.b.add(rsi, step);
        cx.b.mov_to(rsi, next);
    }
    let next = cx.b.add(dst, step);
    cx.b.mov_to(dst, next);
    let left = cx.b.sub(rcx, need);
    cx.b.mov_to(rcx, left);
    cx.b.br(top);
    cx.b.set_label(one_element);
}

/// Strings of at least this many bytes run as one host string instruction
/// (`helpers::string`); shorter ones cost less as the IR loop than the
/// helper call.
const HOST_MIN_BYTES: u64 = 1024;

/// User mode, REP MOVS or STOS with 64-bit addresses and no FS/GS source:
/// with DF clear and at least `HOST_MIN_BYTES` to go, the whole string is
/// one helper call (the host's `rep movs`/`rep stos`), then `done`;
/// otherwise falls through to the loop.
fn host_string(cx: &mut Cx, s: StrOp, done: Label) {
    let seg = cx.insn.memory_segment();
    if cx.mode.system || (s.kind == Kind::Movs && matches!(seg, Register::FS | Register::GS)) {
        return;
    }
    let loop_ = cx.b.label();
    forward_with_at_least(cx, HOST_MIN_BYTES / s.size as u64, loop_);
    let size = cx.b.movi(s.size as u64);
    let h = match s.kind {
        Kind::Movs => &helpers::string::REP_MOVS,
        _ => &helpers::string::REP_STOS,
    };
    cx.call(h, &[size]);
    cx.b.br(done);
    cx.b.set_label(loop_);
}

/// REP/REPE/REPNE: while rCX != 0, one element, rCX -= 1, and for
/// CMPS/SCAS stop when ZF no longer matches the prefix.
fn repeat(cx: &mut Cx, s: StrOp) {
    let top = cx.b.label();
    let done = cx.b.label();
    // The body runs zero or more times: nothing about cc_op is known
    // inside or after it.
    cx.cc_known = None;
    let bulk = matches!(s.kind, Kind::Movs | Kind::Stos) && s.addr_bits == 64 && s.size < 8;
    if matches!(s.kind, Kind::Movs | Kind::Stos) && s.addr_bits == 64 {
        host_string(cx, s, done);
    }
    let fill = (bulk && s.kind == Kind::Stos).then(|| broadcast(cx, s.size));
    cx.b.set_label(top);
    let count = addr_reg(cx, s, RCX);
    let zero = cx.b.movi(0);
    cx.b.brcond(Cond::Eq, count, zero, done);
    if bulk {
        quadwords(cx, s, fill, top, 4);
        quadwords(cx, s, fill, top, 1);
    }
    let cmp = element(cx, s);
    cx.cc_known = None;
    let one = cx.b.movi(1);
    let count = addr_reg(cx, s, RCX);
    let n = cx.b.sub(count, one);
    set_addr_reg(cx, s, RCX, n);
    if let Some((a, b)) = cmp {
        // REPE stops on a difference (ZF = 0), REPNE on equality.
        let stop = if cx.insn.has_repe_prefix() {
            Cond::Ne
        } else {
            Cond::Eq
        };
        cx.b.brcond(stop, a, b, done);
    }
    cx.b.br(top);
    cx.b.set_label(done);
}
