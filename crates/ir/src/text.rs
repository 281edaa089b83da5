//! The IR text form: one op per line, `name outs, ins, consts`, printed by
//! `-d op` and read back by golden tests and the round-trip test.
//!
//! Temps print as `t12` or as the global's name; constants as `$0x..`;
//! conditions as `eq`, `ltu`, ...; labels as `L3`; helpers by name.

use crate::error::IrError;
use crate::func::{pack_xmm_operands, unpack_xmm_operands, Global, IrBlock};
use crate::op::{Cond, Label, Op, Temp, MAX_INS};
use crate::table::Opcode;
use std::fmt::Write;

/// Names the helpers a `call` may name, by id.
pub trait HelperNames {
    /// The name of helper `id`.
    fn helper_name(&self, id: u32) -> &str;
    /// The id of the helper called `name`.
    fn helper_id(&self, name: &str) -> Option<u32>;
}

impl HelperNames for &[&str] {
    fn helper_name(&self, id: u32) -> &str {
        self.get(id as usize).copied().unwrap_or("?")
    }
    fn helper_id(&self, name: &str) -> Option<u32> {
        self.iter().position(|n| *n == name).map(|i| i as u32)
    }
}

fn temp_name(globals: &[Global], t: Temp, out: &mut String) {
    match globals.get(t.index()) {
        Some(g) => out.push_str(g.name),
        None => {
            let _ = write!(out, "t{}", t.0);
        }
    }
}

/// Formats one op.
pub fn format_op(globals: &[Global], helpers: &dyn HelperNames, op: &Op) -> String {
    let mut s = String::from(op.opc.name());
    let mut first = true;
    let mut sep = |s: &mut String| {
        s.push_str(if first { " " } else { ", " });
        first = false;
    };
    for &t in op.outputs().iter().chain(op.inputs()) {
        sep(&mut s);
        temp_name(globals, t, &mut s);
    }
    match op.opc {
        Opcode::Setcond | Opcode::Movcond => {
            sep(&mut s);
            s.push_str(Cond::from_u64(op.consts[0]).map_or("?", Cond::name));
        }
        Opcode::Brcond => {
            sep(&mut s);
            s.push_str(Cond::from_u64(op.consts[0]).map_or("?", Cond::name));
            sep(&mut s);
            let _ = write!(s, "{}", Label(op.consts[1] as u32));
        }
        Opcode::Br | Opcode::SetLabel => {
            sep(&mut s);
            let _ = write!(s, "{}", Label(op.consts[0] as u32));
        }
        Opcode::Call | Opcode::CallPure => {
            sep(&mut s);
            s.push_str(helpers.helper_name(op.consts[0] as u32));
        }
        Opcode::CallXmm => {
            sep(&mut s);
            s.push_str(helpers.helper_name(op.consts[0] as u32));
            let (d, src, imm) = unpack_xmm_operands(op.consts[1]);
            for c in [d, src, imm] {
                sep(&mut s);
                let _ = write!(s, "$0x{c:x}");
            }
        }
        _ => {
            for &c in op.constants() {
                sep(&mut s);
                let _ = write!(s, "$0x{c:x}");
            }
        }
    }
    s
}

/// Formats a whole block, one op per line, each line indented by one space.
pub fn format_block(block: &IrBlock, helpers: &dyn HelperNames) -> String {
    let mut s = String::new();
    for op in &block.ops {
        if op.opc == Opcode::InsnStart {
            let _ = writeln!(s, " ---- 0x{:x}", op.consts[0]);
        } else {
            let _ = writeln!(s, " {}", format_op(block.globals, helpers, op));
        }
    }
    s
}

fn parse_temp(globals: &[Global], tok: &str, line: usize) -> Result<Temp, IrError> {
    if let Some(i) = globals.iter().position(|g| g.name == tok) {
        return Ok(Temp(i as u32));
    }
    tok.strip_prefix('t')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|&n| n as usize >= globals.len())
        .map(Temp)
        .ok_or_else(|| IrError::Parse {
            line,
            msg: format!("bad temp `{tok}`"),
        })
}

fn parse_const(tok: &str, line: usize) -> Result<u64, IrError> {
    let bad = || IrError::Parse {
        line,
        msg: format!("bad constant `{tok}`"),
    };
    let hex = tok.strip_prefix("$0x").ok_or_else(bad)?;
    u64::from_str_radix(hex, 16).map_err(|_| bad())
}

fn parse_cond(tok: &str, line: usize) -> Result<u64, IrError> {
    Cond::ALL
        .iter()
        .find(|c| c.name() == tok)
        .map(|&c| c as u64)
        .ok_or_else(|| IrError::Parse {
            line,
            msg: format!("bad condition `{tok}`"),
        })
}

fn parse_label(tok: &str, line: usize) -> Result<u64, IrError> {
    tok.strip_prefix('L')
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| IrError::Parse {
            line,
            msg: format!("bad label `{tok}`"),
        })
}

/// Parses the text form back into a block over `globals`.
pub fn parse_block(
    text: &str,
    globals: &'static [Global],
    helpers: &dyn HelperNames,
) -> Result<IrBlock, IrError> {
    let mut block = IrBlock::new(globals);
    let mut max_temp = globals.len() as u32;
    let mut max_label = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with(';') {
            continue;
        }
        if let Some(pc) = l.strip_prefix("---- ") {
            let pc = pc
                .strip_prefix("0x")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .ok_or_else(|| IrError::Parse {
                    line,
                    msg: format!("bad insn_start pc `{pc}`"),
                })?;
            block.insn_start(pc);
            continue;
        }
        let (name, rest) = l.split_once(' ').unwrap_or((l, ""));
        let opc = Opcode::from_name(name).ok_or_else(|| IrError::Parse {
            line,
            msg: format!("unknown op `{name}`"),
        })?;
        let toks: Vec<&str> = rest
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let mut op = Op::new(opc);
        let n_out = opc.n_outs();
        let (n_in, n_const_toks) = match opc {
            Opcode::Call | Opcode::CallPure => (toks.len().saturating_sub(n_out + 1), 1),
            Opcode::Brcond => (opc.n_ins(), 2),
            Opcode::CallXmm => (0, 4),
            _ => (opc.n_ins(), opc.n_consts()),
        };
        if toks.len() != n_out + n_in + n_const_toks || n_in > MAX_INS {
            return Err(IrError::Parse {
                line,
                msg: format!("`{name}` takes {} operands", n_out + n_in + n_const_toks),
            });
        }
        for (k, tok) in toks[..n_out + n_in].iter().enumerate() {
            let t = parse_temp(globals, tok, line)?;
            max_temp = max_temp.max(t.0 + 1);
            if k < n_out {
                op.outs[k] = t;
            } else {
                op.ins[k - n_out] = t;
            }
        }
        let c = &toks[n_out + n_in..];
        match opc {
            Opcode::Setcond | Opcode::Movcond => op.consts[0] = parse_cond(c[0], line)?,
            Opcode::Brcond => {
                op.consts[0] = parse_cond(c[0], line)?;
                op.consts[1] = parse_label(c[1], line)?;
                max_label = max_label.max(op.consts[1] as u32 + 1);
            }
            Opcode::Br | Opcode::SetLabel => {
                op.consts[0] = parse_label(c[0], line)?;
                max_label = max_label.max(op.consts[0] as u32 + 1);
            }
            Opcode::Call | Opcode::CallPure => {
                let id = helpers.helper_id(c[0]).ok_or_else(|| IrError::Parse {
                    line,
                    msg: format!("unknown helper `{}`", c[0]),
                })?;
                op.consts = [id as u64, n_in as u64];
            }
            Opcode::CallXmm => {
                op.consts[0] = helpers.helper_id(c[0]).ok_or_else(|| IrError::Parse {
                    line,
                    msg: format!("unknown helper `{}`", c[0]),
                })? as u64;
                let mut v = [0u64; 3];
                for (k, tok) in c[1..].iter().enumerate() {
                    v[k] = parse_const(tok, line)?;
                    if v[k] > 0xff {
                        return Err(IrError::Parse {
                            line,
                            msg: format!("`call_xmm` operand `{tok}` is over a byte"),
                        });
                    }
                }
                op.consts[1] = pack_xmm_operands(v[0], v[1], v[2]);
            }
            _ => {
                for (k, tok) in c.iter().enumerate() {
                    op.consts[k] = parse_const(tok, line)?;
                }
            }
        }
        block.push(op);
    }
    block.n_temps = max_temp;
    block.n_labels = max_label;
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    static GLOBALS: [Global; 2] = [
        Global {
            name: "rax",
            offset: 0,
        },
        Global {
            name: "rcx",
            offset: 8,
        },
    ];
    const HELPERS: &[&str] = &["cc_compute_all", "cpuid"];

    #[test]
    fn text_round_trips() {
        let mut b = IrBlock::new(&GLOBALS);
        b.insn_start(0x401000);
        let t = b.movi(5);
        let s = b.add(b.global(0), t);
        b.mov_to(b.global(1), s);
        let l = b.label();
        b.brcond(Cond::Ltu, s, t, l);
        let a = b.load(Opcode::Ld32s, s);
        b.store(Opcode::St16, a, t);
        b.call(1, &[a, s]);
        b.call_pure(0, &[a]);
        b.call_xmm(1, 3, 16, 0x1b);
        b.set_label(l);
        b.goto_tb(0);
        let text = format_block(&b, &HELPERS);
        let back = parse_block(&text, &GLOBALS, &HELPERS).expect("parses");
        assert_eq!(back.ops, b.ops);
        assert_eq!(format_block(&back, &HELPERS), text);
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(parse_block("frob t1", &GLOBALS, &HELPERS).is_err());
        assert!(parse_block("add t2, rax", &GLOBALS, &HELPERS).is_err());
        assert!(parse_block("call t2, nosuch", &GLOBALS, &HELPERS).is_err());
        assert!(parse_block("call_xmm cpuid, $0x1, $0x100, $0x0", &GLOBALS, &HELPERS).is_err());
    }
}
