//! Control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JRCXZ/JECXZ.
//! Direct targets leave through patchable `goto_tb` slots; indirect ones
//! through the jump-cache lookup.

use super::{Cx, Outcome};
use crate::cpu::reg::{RCX, RSP};
use iced_x86::{Code, Mnemonic, OpKind};
use ox86_ir::{Cond, Opcode};

pub fn translate(cx: &mut Cx) -> Outcome {
    let insn = cx.insn;
    match insn.mnemonic() {
        Mnemonic::Jmp => {
            if is_direct(insn.op0_kind()) {
                cx.goto(insn.near_branch_target(), 0);
            } else {
                let mut addr = None;
                let t = cx.read_op(0, 8, &mut addr);
                cx.goto_indirect(t);
            }
        }
        Mnemonic::Call => {
            let target = if is_direct(insn.op0_kind()) {
                None
            } else {
                let mut addr = None;
                Some(cx.read_op(0, 8, &mut addr))
            };
            let ret = cx.b.movi(cx.next_pc);
            cx.push(8, ret);
            match target {
                None => cx.goto(insn.near_branch_target(), 0),
                Some(t) => cx.goto_indirect(t),
            }
        }
        Mnemonic::Ret => {
            let rsp = cx.g(RSP);
            let t = cx.load(8, rsp);
            let pop = 8 + if insn.op_count() > 0 {
                insn.immediate16() as u64
            } else {
                0
            };
            let n = cx.b.addi(rsp, pop);
            cx.b.mov_to(rsp, n);
            cx.goto_indirect(t);
        }
        Mnemonic::Ja
        | Mnemonic::Jae
        | Mnemonic::Jb
        | Mnemonic::Jbe
        | Mnemonic::Je
        | Mnemonic::Jg
        | Mnemonic::Jge
        | Mnemonic::Jl
        | Mnemonic::Jle
        | Mnemonic::Jne
        | Mnemonic::Jno
        | Mnemonic::Jnp
        | Mnemonic::Jns
        | Mnemonic::Jo
        | Mnemonic::Jp
        | Mnemonic::Js => {
            let (c, a, b) = cx.cond(insn.condition_code());
            branch2(cx, c, a, b, insn.near_branch_target());
        }
        Mnemonic::Jrcxz | Mnemonic::Jecxz => {
            let rcx = cx.g(RCX);
            let v = if insn.mnemonic() == Mnemonic::Jecxz {
                cx.b.unop(Opcode::Ext32u, rcx)
            } else {
                rcx
            };
            let zero = cx.b.movi(0);
            branch2(cx, Cond::Eq, v, zero, insn.near_branch_target());
        }
        Mnemonic::Loop | Mnemonic::Loope | Mnemonic::Loopne => {
            // Counter is RCX (ECX with a 67 prefix); flags are not changed.
            let rcx = cx.g(RCX);
            let one = cx.b.movi(1);
            let dec = cx.b.sub(rcx, one);
            let ecx_form = matches!(
                insn.code(),
                Code::Loop_rel8_64_ECX | Code::Loope_rel8_64_ECX | Code::Loopne_rel8_64_ECX
            );
            let count = if ecx_form {
                let z = cx.b.unop(Opcode::Ext32u, dec);
                cx.b.mov_to(rcx, z);
                z
            } else {
                cx.b.mov_to(rcx, dec);
                dec
            };
            let zero = cx.b.movi(0);
            let nz = cx.b.setcond(Cond::Ne, count, zero);
            let taken = match insn.mnemonic() {
                Mnemonic::Loop => nz,
                m => {
                    let zf = cx.cond_value(iced_x86::ConditionCode::e);
                    let want = if m == Mnemonic::Loope {
                        zf
                    } else {
                        cx.b.unop(Opcode::Not, zf)
                    };
                    let want = cx.b.andi(want, 1);
                    cx.b.and(nz, want)
                }
            };
            branch2(cx, Cond::Ne, taken, zero, insn.near_branch_target());
        }
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}

fn is_direct(k: OpKind) -> bool {
    matches!(
        k,
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    )
}

/// Ends the TB with a two-way branch: `target` when `c(a, b)`, else the
/// next instruction.
fn branch2(cx: &mut Cx, c: Cond, a: ox86_ir::Temp, b: ox86_ir::Temp, target: u64) {
    let taken = cx.b.label();
    cx.b.brcond(c, a, b, taken);
    let next = cx.next_pc;
    cx.goto(next, 0);
    cx.b.set_label(taken);
    cx.goto(target, 1);
}
