//! Control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JRCXZ/JECXZ.
//! Direct targets leave through patchable `goto_tb` slots; indirect ones
//! through the jump-cache lookup, but for a jump through a fixed memory slot
//! (a GOT entry), which leaves directly while the slot holds what it held at
//! translation.

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
                let t = read_target(cx);
                // Not through a register: an interpreter's dispatch, whose
                // target changes from run to run.
                let mem = insn.op0_kind() == OpKind::Memory && read_again(&insn);
                match cx.slot_target.or(cx.seen_target.filter(|_| mem)) {
                    Some(seen) => guarded(cx, t, seen, None),
                    None => cx.goto_indirect(t),
                }
            }
        }
        Mnemonic::Call => {
            let target = (!is_direct(insn.op0_kind())).then(|| read_target(cx));
            let ret = cx.b.movi(cx.next_pc);
            let size = insn.stack_pointer_increment().unsigned_abs();
            cx.push(size, ret);
            let seen = cx.slot_target.or(cx
                .seen_target
                .filter(|_| target.is_some() && read_again(&insn)));
            match (target, seen) {
                (None, _) => cx.goto_call(insn.near_branch_target(), cx.next_pc),
                (Some(t), Some(seen)) => guarded(cx, t, seen, Some(cx.next_pc)),
                (Some(t), None) => cx.goto_indirect_call(t, cx.next_pc),
            }
        }
        Mnemonic::Ret => {
            let size = match insn.code() {
                Code::Retnw | Code::Retnw_imm16 => 2,
                Code::Retnd | Code::Retnd_imm16 => 4,
                _ => 8,
            };
            let imm = if insn.op_count() > 0 {
                insn.immediate16() as u64
            } else {
                0
            };
            if cx.mode.stack_bits != 64 {
                let (t, n) = cx.pop_peek(size);
                let n = cx.stack_add(n, imm as i64);
                cx.set_stack_ptr(n);
                cx.goto_indirect(t);
                return Outcome::Done;
            }
            let rsp = cx.g(RSP);
            let t = cx.load(size, rsp);
            let n = cx.b.addi(rsp, size as u64 + imm);
            cx.b.mov_to(rsp, n);
            cx.goto_ret(t);
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
            if cx.goes_on {
                side_exit(cx, c, a, b, insn.near_branch_target());
            } else {
                branch2(cx, c, a, b, insn.near_branch_target());
            }
        }
        Mnemonic::Jrcxz | Mnemonic::Jecxz | Mnemonic::Jcxz => {
            let rcx = cx.g(RCX);
            let v = match insn.mnemonic() {
                Mnemonic::Jecxz => cx.b.unop(Opcode::Ext32u, rcx),
                Mnemonic::Jcxz => cx.b.unop(Opcode::Ext16u, rcx),
                _ => rcx,
            };
            let zero = cx.b.movi(0);
            branch2(cx, Cond::Eq, v, zero, insn.near_branch_target());
        }
        Mnemonic::Loop | Mnemonic::Loope | Mnemonic::Loopne => {
            // Counter is RCX (ECX with a 67 prefix); flags are not changed.
            let rcx = cx.g(RCX);
            let one = cx.b.movi(1);
            let dec = cx.b.sub(rcx, one);
            let count = match loop_counter_size(insn.code()) {
                4 => {
                    let z = cx.b.unop(Opcode::Ext32u, dec);
                    cx.b.mov_to(rcx, z);
                    z
                }
                2 => {
                    cx.write_reg(iced_x86::Register::CX, dec);
                    cx.b.unop(Opcode::Ext16u, dec)
                }
                _ => {
                    cx.b.mov_to(rcx, dec);
                    dec
                }
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

/// The width of LOOPcc's counter (CX, ECX or RCX: the address size).
fn loop_counter_size(code: Code) -> u32 {
    match code {
        Code::Loop_rel8_16_CX
        | Code::Loop_rel8_32_CX
        | Code::Loope_rel8_16_CX
        | Code::Loope_rel8_32_CX
        | Code::Loopne_rel8_16_CX
        | Code::Loopne_rel8_32_CX => 2,
        Code::Loop_rel8_16_ECX
        | Code::Loop_rel8_32_ECX
        | Code::Loop_rel8_64_ECX
        | Code::Loope_rel8_16_ECX
        | Code::Loope_rel8_32_ECX
        | Code::Loope_rel8_64_ECX
        | Code::Loopne_rel8_16_ECX
        | Code::Loopne_rel8_32_ECX
        | Code::Loopne_rel8_64_ECX => 4,
        _ => 8,
    }
}

fn is_direct(k: OpKind) -> bool {
    matches!(
        k,
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    )
}

/// True if the operand of an indirect JMP or CALL gives the same target
/// when read again after the instruction's push: it does not involve RSP.
fn read_again(insn: &iced_x86::Instruction) -> bool {
    use iced_x86::Register;
    let rsp = |r: Register| r.full_register() == Register::RSP;
    match insn.op0_kind() {
        OpKind::Register => !rsp(insn.op0_register()),
        OpKind::Memory => !rsp(insn.memory_base()) && !rsp(insn.memory_index()),
        _ => false,
    }
}

/// The target of an indirect JMP or CALL: its operand's value.
fn read_target(cx: &mut Cx) -> ox86_ir::Temp {
    let mut addr = None;
    let size = cx.op_size(0);
    cx.read_op(0, size, &mut addr)
}

/// A JMP or CALL (returning to `ret`) to `t`, read from a fixed slot that
/// held `seen` at translation (`slot_target`), or from an operand that
/// held it when the TB was interpreted (`TbFlags::seen_target`; one
/// `read_again` allows): a chainable exit to `seen` while `t` is that,
/// the jump-cache lookup otherwise. A PLT stub's jump
/// then costs a compare rather than a lookup, and the host jump into its
/// target's code predicts as a direct one. The lookup's path reads the
/// slot again rather than keep `t` past the branch (the JIT would store it
/// on the way), a read of the same slot the guest may see as the jump's
/// own.
fn guarded(cx: &mut Cx, t: ox86_ir::Temp, seen: u64, ret: Option<u64>) {
    let expected = cx.b.movi(seen);
    let other = cx.b.label();
    cx.b.brcond(Cond::Ne, t, expected, other);
    match ret {
        None => cx.goto(seen, 0),
        Some(ret) => cx.goto_call(seen, ret),
    }
    cx.b.set_label(other);
    let t = read_target(cx);
    match ret {
        None => cx.goto_indirect(t),
        Some(ret) => cx.goto_indirect_call(t, ret),
    }
}

/// A conditional jump the TB goes on past (see `goes_on_past`): it leaves
/// for `target` when `c(a, b)` and goes on with the next instruction.
fn side_exit(cx: &mut Cx, c: Cond, a: ox86_ir::Temp, b: ox86_ir::Temp, target: u64) {
    let next = cx.b.label();
    cx.b.brcond(c.invert(), a, b, next);
    cx.goto(target, 1);
    cx.b.set_label(next);
    cx.ended = false;
}

/// Ends the TB with a two-way branch: `target` when `c(a, b)`, else the
/// next instruction. A jump back to the TB's own start (a self-loop) is
/// laid out the other way round, the inverted condition leaving the loop:
/// the back edge is then the fall-through, one taken host jump per
/// iteration instead of two, as in the guest's own code (matmul's inner
/// loop ran 1.6x slower in some placements of the two-jump form).
fn branch2(cx: &mut Cx, c: Cond, a: ox86_ir::Temp, b: ox86_ir::Temp, target: u64) {
    // A loop region's block: branch straight to its label, but for a
    // jump back on a cycle that avoids the head, which goes through
    // `Cx::goto` and its exit-request test.
    if let Some(r) = cx.region.as_mut() {
        if r.block(target).is_some_and(|k| r.cyclic(k)) && target <= cx.pc {
            let (next, out) = (cx.next_pc, cx.b.label());
            cx.b.brcond(c.invert(), a, b, out);
            cx.goto(target, 1);
            cx.b.set_label(out);
            cx.goto(next, 0);
            return;
        }
        if let Some(k) = r.block(target) {
            let taken = r.label(k, || cx.b.label());
            cx.b.brcond(c, a, b, taken);
            let next = cx.next_pc;
            cx.goto(next, 0);
            return;
        }
    }
    let next = cx.next_pc;
    if target == cx.tb_pc {
        let out = cx.b.label();
        cx.b.brcond(c.invert(), a, b, out);
        cx.goto(target, 1);
        cx.b.set_label(out);
        cx.goto(next, 0);
        return;
    }
    let taken = cx.b.label();
    cx.b.brcond(c, a, b, taken);
    cx.goto(next, 0);
    cx.b.set_label(taken);
    cx.goto(target, 1);
}
