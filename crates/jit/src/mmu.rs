//! System-mode guest accesses: `ld_mmu` and `st_mmu` become calls of the
//! softmmu's slow-path helpers before code generation (the generic call
//! path keeps guest state exact and checks for a raised fault). User-mode
//! TBs have none of these ops and are left untouched.

use ox86_ir::{IrBlock, Op, Opcode};
use ox86_x86::helpers::{self, mmu::LD_MMU, mmu::ST_MMU};

/// `ir` with every softmmu access turned into a helper call, or `None`
/// when it has none.
pub(crate) fn lower(ir: &IrBlock) -> Option<IrBlock> {
    if !ir
        .ops
        .iter()
        .any(|o| matches!(o.opc, Opcode::LdMmu | Opcode::StMmu))
    {
        return None;
    }
    let mut out = IrBlock {
        ops: Vec::with_capacity(ir.ops.len() + 8),
        ..ir.clone()
    };
    for op in &ir.ops {
        match op.opc {
            Opcode::LdMmu => {
                let m = out.movi(op.consts[0]);
                let mut call = Op::new(Opcode::Call);
                call.outs[0] = op.outs[0];
                call.ins[..2].copy_from_slice(&[op.ins[0], m]);
                call.consts = [helpers::id_of(&LD_MMU) as u64, 2];
                out.push(call);
            }
            Opcode::StMmu => {
                let m = out.movi(op.consts[0]);
                let d = out.temp();
                let mut call = Op::new(Opcode::Call);
                call.outs[0] = d;
                call.ins[..3].copy_from_slice(&[op.ins[0], op.ins[1], m]);
                call.consts = [helpers::id_of(&ST_MMU) as u64, 3];
                out.push(call);
            }
            _ => out.push(*op),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_x86::GLOBALS;

    #[test]
    fn accesses_become_calls_with_the_memop() {
        let mut b = IrBlock::new(&GLOBALS);
        let a = b.global(0);
        let v = b.load_mmu(a, 0x13);
        b.store_mmu(v, a, 0x03);
        b.goto_tb(0);
        let out = lower(&b).expect("has softmmu ops");
        let text = ox86_ir::format_block(&out, &helpers::Names);
        assert!(
            text.contains("movi t25, $0x13\n call t24, rax, t25, ld_mmu"),
            "{text}"
        );
        assert!(text.contains(" call t27, t24, rax, t26, st_mmu"), "{text}");
        ox86_ir::verify(&out, &helpers::Names, helpers::count()).unwrap();
        let mut u = IrBlock::new(&GLOBALS);
        u.goto_tb(0);
        assert!(lower(&u).is_none());
    }
}
