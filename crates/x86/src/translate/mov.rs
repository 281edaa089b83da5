//! Data movement: MOV MOVZX MOVSX MOVSXD LEA XCHG CMOVcc SETcc, the sign
//! extensions CBW/CWDE/CDQE and CWD/CDQ/CQO, XLAT, and NOP.

use super::{Cx, Outcome};
use crate::cpu::reg::RAX;
use iced_x86::{Mnemonic, Register};

pub fn translate(cx: &mut Cx) -> Outcome {
    let insn = cx.insn;
    let mut addr = None;
    match insn.mnemonic() {
        Mnemonic::Mov if !cx.uses_special_register() => {
            let size = cx.op_size(0);
            let v = cx.read_op(1, size, &mut addr);
            cx.write_op(0, size, v, &mut addr);
        }
        Mnemonic::Movzx | Mnemonic::Movsx | Mnemonic::Movsxd => {
            let dsize = cx.op_size(0);
            let ssize = cx.op_size(1);
            let v = if insn.mnemonic() == Mnemonic::Movzx {
                cx.read_op(1, ssize, &mut addr)
            } else if cx.is_mem(1) {
                // One sign-extending load.
                let a = cx.mem_addr(&mut addr);
                cx.load_s(ssize, a)
            } else {
                let v = cx.read_op(1, ssize, &mut addr);
                cx.sext(ssize, v)
            };
            cx.write_op(0, dsize, v, &mut addr);
        }
        Mnemonic::Lea => {
            let size = cx.op_size(0);
            let a = cx.ea_no_segment();
            cx.write_op(0, size, a, &mut addr);
        }
        Mnemonic::Xchg => {
            let size = cx.op_size(0);
            let a = cx.read_op(0, size, &mut addr);
            let b = cx.read_op(1, size, &mut addr);
            // Write the memory operand (if any) first so a fault leaves registers intact.
            if cx.is_mem(1) {
                cx.write_op(1, size, a, &mut addr);
                cx.write_op(0, size, b, &mut addr);
            } else {
                // A copy: a 64-bit register read is the register itself.
                let a = cx.b.mov(a);
                cx.write_op(0, size, b, &mut addr);
                cx.write_op(1, size, a, &mut addr);
            }
        }
        Mnemonic::Cmova
        | Mnemonic::Cmovae
        | Mnemonic::Cmovb
        | Mnemonic::Cmovbe
        | Mnemonic::Cmove
        | Mnemonic::Cmovg
        | Mnemonic::Cmovge
        | Mnemonic::Cmovl
        | Mnemonic::Cmovle
        | Mnemonic::Cmovne
        | Mnemonic::Cmovno
        | Mnemonic::Cmovnp
        | Mnemonic::Cmovns
        | Mnemonic::Cmovo
        | Mnemonic::Cmovp
        | Mnemonic::Cmovs => {
            let size = cx.op_size(0);
            // The source is read (and may fault) whatever the condition.
            let src = cx.read_op(1, size, &mut addr);
            let old = cx.read_op(0, size, &mut addr);
            let (c, a, b) = cx.cond(insn.condition_code());
            let v = cx.b.movcond(c, a, b, src, old);
            // A 32-bit CMOV zero-extends the destination even when false.
            cx.write_op(0, size, v, &mut addr);
        }
        Mnemonic::Seta
        | Mnemonic::Setae
        | Mnemonic::Setb
        | Mnemonic::Setbe
        | Mnemonic::Sete
        | Mnemonic::Setg
        | Mnemonic::Setge
        | Mnemonic::Setl
        | Mnemonic::Setle
        | Mnemonic::Setne
        | Mnemonic::Setno
        | Mnemonic::Setnp
        | Mnemonic::Setns
        | Mnemonic::Seto
        | Mnemonic::Setp
        | Mnemonic::Sets => {
            let v = cx.cond_value(insn.condition_code());
            cx.write_op(0, 1, v, &mut addr);
        }
        Mnemonic::Cbw | Mnemonic::Cwde | Mnemonic::Cdqe => {
            let size = match insn.mnemonic() {
                Mnemonic::Cbw => 1,
                Mnemonic::Cwde => 2,
                _ => 4,
            };
            let rax = cx.g(RAX);
            let v = cx.sext(size, rax);
            let dst = match size {
                1 => Register::AX,
                2 => Register::EAX,
                _ => Register::RAX,
            };
            cx.write_reg(dst, v);
        }
        Mnemonic::Cwd | Mnemonic::Cdq | Mnemonic::Cqo => {
            let (size, dst) = match insn.mnemonic() {
                Mnemonic::Cwd => (2, Register::DX),
                Mnemonic::Cdq => (4, Register::EDX),
                _ => (8, Register::RDX),
            };
            let rax = cx.g(RAX);
            let v = cx.sext(size, rax);
            let v = cx.b.sari(v, 63);
            cx.write_reg(dst, v);
        }
        Mnemonic::Xlatb => {
            // AL <- [rBX + zero-extended AL] (segment override honoured).
            let rbx = cx.g(crate::cpu::reg::RBX);
            let al = cx.read_reg(Register::AL);
            let off = cx.b.add(rbx, al);
            let off = match insn.memory_base().size() {
                2 => cx.b.unop(ox86_ir::Opcode::Ext16u, off),
                4 => cx.b.unop(ox86_ir::Opcode::Ext32u, off),
                _ => off,
            };
            let seg = insn.memory_segment();
            let a = cx.linear(seg, off);
            let v = cx.load(1, a);
            cx.write_reg(Register::AL, v);
        }
        Mnemonic::Nop => {}
        _ => return Outcome::NotMine,
    }
    Outcome::Done
}
