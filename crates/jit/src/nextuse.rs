//! Next uses, for the register allocator: for each op, where the temps it
//! reads and writes are read next inside the basic block (so that the
//! value used furthest ahead is the one spilled), and which globals hold
//! values that are overwritten before anything reads them (their
//! registers are free from there on: no fault site, helper call or block
//! end needs the old value in between).

use crate::liveness::ends_bb;
use crate::rip::RIP;
use ox86_ir::op::MAX_INS;
use ox86_ir::{opf, IrBlock, Opcode};

/// "Not read again in this block".
pub(crate) const NEVER: u32 = u32::MAX;

/// Per-op next-use facts.
#[derive(Default)]
pub(crate) struct NextUse {
    /// Per op and input: the next op of the block that reads that input's temp.
    pub ins: Vec<[u32; MAX_INS]>,
    /// Per op and output: the first op of the block that reads the new value.
    pub outs: Vec<[u32; 2]>,
    /// Per op: bit k set if input k is a global whose value nothing needs
    /// after this op (the next thing to happen to it is a write).
    pub gdies: Vec<u8>,
    /// Per op: bit g set if global g (of the first 64) is overwritten
    /// after this op before anything reads or needs it (on every path
    /// after a branch).
    pub gdead: Vec<u64>,
}

/// What happens next to a global.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    /// It is read, or its value may be needed (fault site, call, block end).
    Needed,
    /// It is overwritten first.
    Written,
}

/// True if op `opc` needs every global's current value: it can fault
/// (fault sites and helpers see guest state) or it ends a block.
fn needs_globals(opc: ox86_ir::Opcode) -> bool {
    opc.flags() & (opf::CAN_FAULT | opf::BB_END) != 0
}

impl NextUse {
    /// Computes next uses for `ir`, skipping the ops `dead_op` marks.
    pub fn new(ir: &IrBlock, dead_op: &[bool]) -> NextUse {
        let n = ir.n_temps as usize;
        let ng = ir.globals.len();
        let len = ir.ops.len();
        let mut nu = NextUse {
            ins: vec![[NEVER; MAX_INS]; len],
            outs: vec![[NEVER; 2]; len],
            gdies: vec![0; len],
            gdead: vec![0; len],
        };
        // `next[t]` is valid while `stamp[t]` is the current block's number.
        let mut next = vec![NEVER; n];
        let mut stamp = vec![0u32; n];
        let mut block = 1u32;
        let mut gnext = vec![Next::Needed; ng];
        // `gnext` as a mask of the `Written` globals among the first 64.
        let mut written = 0u64;
        let bit = |t: usize| {
            if t < 64 && t != RIP.index() {
                1u64 << t
            } else {
                0
            }
        };
        // Per label: the globals overwritten first after it (known for
        // labels after their branches; none for the others).
        let mut label_dead = vec![0u64; ir.n_labels as usize];
        for (i, op) in ir.ops.iter().enumerate().rev() {
            if dead_op[i] {
                continue;
            }
            nu.gdead[i] = match op.opc {
                Opcode::SetLabel => {
                    label_dead[op.consts[0] as usize] = written;
                    written
                }
                // Dead on both paths.
                Opcode::Brcond => written & label_dead[op.consts[1] as usize],
                Opcode::Br => label_dead[op.consts[0] as usize],
                _ => written,
            };
            if ends_bb(op.opc) {
                block += 1;
            }
            let read = |t: usize, next: &[u32], stamp: &[u32]| {
                if stamp[t] == block {
                    next[t]
                } else {
                    NEVER
                }
            };
            let event = needs_globals(op.opc);
            for (k, &t) in op.inputs().iter().enumerate() {
                let ti = t.index();
                nu.ins[i][k] = read(ti, &next, &stamp);
                let dies = ti < ng
                    && t != RIP
                    && !event
                    && (op.outputs().contains(&t) || gnext[ti] == Next::Written);
                if dies {
                    nu.gdies[i] |= 1 << k;
                }
            }
            for (k, &t) in op.outputs().iter().enumerate() {
                let ti = t.index();
                nu.outs[i][k] = read(ti, &next, &stamp);
                next[ti] = NEVER;
                stamp[ti] = block;
                if ti < ng {
                    gnext[ti] = Next::Written;
                    written |= bit(ti);
                }
            }
            if event {
                gnext.fill(Next::Needed);
                written = 0;
            }
            for &t in op.inputs() {
                let ti = t.index();
                next[ti] = i as u32;
                stamp[ti] = block;
                if ti < ng {
                    gnext[ti] = Next::Needed;
                    written &= !bit(ti);
                }
            }
        }
        nu
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox86_ir::{Cond, Global, Opcode};

    static GLOBALS: [Global; 3] = [
        Global {
            name: "rax",
            offset: 0,
        },
        Global {
            name: "rcx",
            offset: 8,
        },
        Global {
            name: "rdx",
            offset: 16,
        },
    ];

    #[test]
    fn next_reads_and_global_deaths() {
        let mut b = IrBlock::new(&GLOBALS);
        let (rax, rcx, rdx) = (b.global(0), b.global(1), b.global(2));
        let t = b.add(rax, rcx); // op 0: rax is overwritten next, rcx is read at op 2
        b.mov_to(rax, t); // op 1: rax = t
        let u = b.add(rcx, t); // op 2: rcx is needed by the load (a fault site)
        let v = b.load(Opcode::Ld64, u); // op 3
        b.mov_to(rcx, v); // op 4
        let l = b.label();
        b.brcond(Cond::Eq, rdx, rdx, l); // op 5: ends the block
        b.set_label(l); // op 6
        b.mov_to(rdx, rax); // op 7
        b.goto_tb(0);
        let dead = vec![false; b.ops.len()];
        let nu = NextUse::new(&b, &dead);
        assert_eq!(nu.ins[0][..2], [NEVER, 2]);
        assert_eq!(nu.outs[0][0], 1);
        assert_eq!(nu.ins[1][0], 2);
        assert_eq!(nu.gdies[0], 0b01);
        assert_eq!(nu.gdies[2], 0);
        assert_eq!(nu.ins[5][..2], [NEVER, NEVER]);
        assert_eq!(nu.outs[4][0], NEVER);
        assert_eq!(nu.gdies[7], 0);
        // After op 0 rax is overwritten first; after the load nothing is.
        assert_eq!(nu.gdead[0], 0b001);
        assert_eq!(nu.gdead[3], 0b010);
        assert_eq!(nu.gdead[2], 0);
    }
}
