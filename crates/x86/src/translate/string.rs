//! String instructions MOVS STOS LODS CMPS SCAS (b/w/d/q), with REP,
//! REPE and REPNE translated as a loop inside the TB. Each element's loads
//! and stores come before that element's RSI/RDI/RCX updates, so a fault
//! mid-string leaves the registers precise for a restart. REP MOVS and
//! REP STOS of bytes, words and doublewords move a quadword at a time
//! while it stays within a page on both sides (so it faults exactly where
//! the elements would) and does not overlap its own source.

use super::{Cx, Outcome};
use crate::cc::CcKind;
use crate::cpu::glob;
use crate::cpu::reg::{RCX, RDI, RSI};
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
    let (mut string, mut addr32) = (false, false);
    for i in 0..cx.insn.op_count() {
        match cx.insn.op_kind(i) {
            OpKind::MemorySegRSI | OpKind::MemoryESRDI => string = true,
            OpKind::MemorySegESI | OpKind::MemoryESEDI => (string, addr32) = (true, true),
            _ => {}
        }
    }
    if !string {
        return Outcome::NotMine;
    }
    let s = StrOp {
        kind,
        size: cx.insn.memory_size().size() as u32,
        addr32,
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
    /// 32-bit address size (67 prefix): ESI, EDI and ECX.
    addr32: bool,
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
    if s.addr32 {
        cx.b.unop(Opcode::Ext32u, g)
    } else {
        g
    }
}

/// The source address: segment base (FS/GS) + rSI.
fn src_addr(cx: &mut Cx, s: StrOp) -> Temp {
    let si = addr_reg(cx, s, RSI);
    match cx.insn.memory_segment() {
        Register::FS => {
            let base = cx.g(glob::FS_BASE);
            cx.b.add(si, base)
        }
        Register::GS => {
            let base = cx.g(glob::GS_BASE);
            cx.b.add(si, base)
        }
        _ => si,
    }
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
    let v = if s.addr32 {
        cx.b.unop(Opcode::Ext32u, v)
    } else {
        v
    };
    cx.b.mov_to(g, v);
}

/// One element: loads, stores, pointer updates and (CMPS/SCAS) flags.
/// Returns the compared operands for CMPS/SCAS.
fn element(cx: &mut Cx, s: StrOp) -> Option<(Temp, Temp)> {
    let size = s.size;
    match s.kind {
        Kind::Movs => {
            let src = src_addr(cx, s);
            let v = cx.load(size, src);
            let dst = addr_reg(cx, s, RDI);
            cx.store(size, v, dst);
            let d = step(cx, s);
            advance(cx, s, RSI, d);
            advance(cx, s, RDI, d);
            None
        }
        Kind::Stos => {
            let v = cx.read_reg(acc(size));
            let dst = addr_reg(cx, s, RDI);
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
            let dst = addr_reg(cx, s, RDI);
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

/// Inside the REP loop (rCX != 0): if a quadword's worth of elements
/// remains, DF is clear and neither quadword access crosses a page (nor
/// does a MOVS destination lie less than 8 bytes above its source), moves
/// one quadword and goes back to `top`; otherwise falls through to one
/// element.
fn quadword(cx: &mut Cx, s: StrOp, fill: Option<Temp>, top: Label) {
    let one_element = cx.b.label();
    let per_quad = 8 / s.size as u64;
    let df = cx.g(glob::DF);
    let forward = cx.b.movi(1);
    cx.b.brcond(Cond::Ne, df, forward, one_element);
    let rcx = cx.g(RCX);
    let need = cx.b.movi(per_quad);
    cx.b.brcond(Cond::Ltu, rcx, need, one_element);
    let page_off = cx.b.movi(0xfff);
    let last_start = cx.b.movi(0xff8);
    let dst = cx.g(RDI);
    let dst_off = cx.b.and(dst, page_off);
    cx.b.brcond(Cond::Gtu, dst_off, last_start, one_element);
    let v = match fill {
        Some(v) => v,
        None => {
            let src = src_addr(cx, s);
            let src_off = cx.b.and(src, page_off);
            cx.b.brcond(Cond::Gtu, src_off, last_start, one_element);
            let rsi = cx.g(RSI);
            let gap = cx.b.sub(dst, rsi);
            let eight = cx.b.movi(8);
            cx.b.brcond(Cond::Ltu, gap, eight, one_element);
            cx.load(8, src)
        }
    };
    cx.store(8, v, dst);
    let eight = cx.b.movi(8);
    if fill.is_none() {
        let rsi = cx.g(RSI);
        let next = cx.b.add(rsi, eight);
        cx.b.mov_to(rsi, next);
    }
    let next = cx.b.add(dst, eight);
    cx.b.mov_to(dst, next);
    let left = cx.b.sub(rcx, need);
    cx.b.mov_to(rcx, left);
    cx.b.br(top);
    cx.b.set_label(one_element);
}

/// REP/REPE/REPNE: while rCX != 0, one element, rCX -= 1, and for
/// CMPS/SCAS stop when ZF no longer matches the prefix.
fn repeat(cx: &mut Cx, s: StrOp) {
    let top = cx.b.label();
    let done = cx.b.label();
    // The body runs zero or more times: nothing about cc_op is known
    // inside or after it.
    cx.cc_known = None;
    let bulk = matches!(s.kind, Kind::Movs | Kind::Stos) && !s.addr32 && s.size < 8;
    let fill = (bulk && s.kind == Kind::Stos).then(|| broadcast(cx, s.size));
    cx.b.set_label(top);
    let count = addr_reg(cx, s, RCX);
    let zero = cx.b.movi(0);
    cx.b.brcond(Cond::Eq, count, zero, done);
    if bulk {
        quadword(cx, s, fill, top);
    }
    let cmp = element(cx, s);
    cx.cc_known = None;
    let one = cx.b.movi(1);
    let rcx = cx.g(RCX);
    let count = addr_reg(cx, s, RCX);
    let n = cx.b.sub(count, one);
    cx.b.mov_to(rcx, n);
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
