//! The IR verifier: checks operand ranges, labels and TB termination
//! before a block reaches a backend.

use crate::error::IrError;
use crate::func::{IrBlock, XMM_ALIGNED};
use crate::op::Cond;
use crate::table::{opf, Opcode};
use crate::text::{format_op, HelperNames};

/// Checks that every temp and label is in range, every branch target is
/// placed exactly once, conditions decode, globals are never read before
/// this block defines... (globals always hold a value) and locals are
/// written before they are read in straight-line order, and that the block
/// ends in a TB exit.
pub fn verify(block: &IrBlock, helpers: &dyn HelperNames, n_helpers: u32) -> Result<(), IrError> {
    let err = |index: usize, msg: String| IrError::Verify {
        index,
        op: format_op(block.globals, helpers, &block.ops[index]),
        msg,
    };
    let mut placed = vec![false; block.n_labels as usize];
    let mut written = vec![false; block.n_temps as usize];
    for w in written.iter_mut().take(block.globals.len()) {
        *w = true;
    }
    for (i, op) in block.ops.iter().enumerate() {
        if op.n_ins() > op.ins.len() {
            return Err(err(i, "too many inputs".into()));
        }
        for &t in op.inputs() {
            match written.get(t.index()) {
                None => return Err(err(i, format!("temp t{} out of range", t.0))),
                Some(false) => return Err(err(i, format!("t{} read before written", t.0))),
                Some(true) => {}
            }
        }
        for &t in op.outputs() {
            match written.get_mut(t.index()) {
                None => return Err(err(i, format!("temp t{} out of range", t.0))),
                Some(w) => *w = true,
            }
        }
        match op.opc {
            Opcode::Setcond | Opcode::Movcond | Opcode::Brcond
                if Cond::from_u64(op.consts[0]).is_none() =>
            {
                return Err(err(i, "bad condition".into()));
            }
            Opcode::SetLabel => {
                let l = op.consts[0] as usize;
                match placed.get_mut(l) {
                    None => return Err(err(i, format!("label L{l} out of range"))),
                    Some(true) => return Err(err(i, format!("label L{l} placed twice"))),
                    Some(p) => *p = true,
                }
            }
            Opcode::Call | Opcode::CallPure | Opcode::CallXmm
                if op.consts[0] >= n_helpers as u64 =>
            {
                return Err(err(i, "unknown helper".into()));
            }
            Opcode::LdEnv | Opcode::StEnv
                if block
                    .globals
                    .iter()
                    .any(|g| g.offset as u64 == op.consts[0]) =>
            {
                return Err(err(i, "ld_env/st_env on a global's field".into()));
            }
            Opcode::LdXmm if ![4, 8, 16, 16 | XMM_ALIGNED].contains(&op.consts[1]) => {
                return Err(err(
                    i,
                    "ld_xmm size must be 4, 8, 16 or 16 | XMM_ALIGNED".into(),
                ));
            }
            Opcode::StXmm if ![16, 16 | XMM_ALIGNED].contains(&op.consts[1]) => {
                return Err(err(i, "st_xmm size must be 16 or 16 | XMM_ALIGNED".into()));
            }
            Opcode::GotoTb | Opcode::CallTb if op.consts[0] > 1 => {
                return Err(err(i, "goto_tb slot must be 0 or 1".into()));
            }
            _ => {}
        }
    }
    for (i, op) in block.ops.iter().enumerate() {
        let target = match op.opc {
            Opcode::Brcond => op.consts[1],
            Opcode::Br => op.consts[0],
            _ => continue,
        };
        if !placed.get(target as usize).copied().unwrap_or(false) {
            return Err(err(i, format!("branch to unplaced label L{target}")));
        }
    }
    match block.ops.last() {
        Some(op) if op.opc.flags() & opf::TB_EXIT != 0 => Ok(()),
        Some(_) => Err(err(
            block.ops.len() - 1,
            "block does not end in a TB exit".into(),
        )),
        None => Err(IrError::Verify {
            index: 0,
            op: String::new(),
            msg: "empty block".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::Global;

    static GLOBALS: [Global; 1] = [Global {
        name: "rax",
        offset: 0,
    }];
    const HELPERS: &[&str] = &["h"];

    #[test]
    fn accepts_a_well_formed_block() {
        let mut b = IrBlock::new(&GLOBALS);
        let t = b.movi(1);
        b.mov_to(b.global(0), t);
        b.goto_tb(0);
        assert_eq!(verify(&b, &HELPERS, 1), Ok(()));
    }

    #[test]
    fn rejects_unplaced_label_and_missing_exit() {
        let mut b = IrBlock::new(&GLOBALS);
        let l = b.label();
        b.br(l);
        assert!(verify(&b, &HELPERS, 1).is_err());
        let mut b = IrBlock::new(&GLOBALS);
        b.movi(1);
        assert!(verify(&b, &HELPERS, 1).is_err());
    }

    #[test]
    fn rejects_read_before_write() {
        let mut b = IrBlock::new(&GLOBALS);
        let t = b.temp();
        b.mov_to(b.global(0), t);
        b.goto_tb(0);
        assert!(verify(&b, &HELPERS, 1).is_err());
    }
}
