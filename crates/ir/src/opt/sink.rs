//! Sinking into a branch target: where a `brcond`'s fall-through leaves
//! the TB at once with some globals discarded (dead on that path, as the
//! translator's flag look-ahead marks the lazy flags where the next code
//! overwrites them), the writes of those globals made in the `brcond`'s
//! block move to its target, with the pure ops whose results only they
//! read. The path that needs the values computes them; the other no
//! longer does. The target must be a label only this `brcond` branches
//! to, placed right after the fall-through's exit. Mostly the lazy flags
//! of an INC, DEC or BT that had to compute the incoming CF or ZF from a
//! state not known at translation (a helper call) before a branch whose
//! taken side is rare: a loop's exit, an error check.
//!
//! Code at the target costs the taken side a jump (the backend can no
//! longer make the `brcond` itself the chained exit), so the ops move
//! only where that pays: a helper call, where the branch goes forward
//! (taken less often, as a host predicts a branch it has no history of),
//! or the flag writes of a loop whose fall-through is its back edge
//! (every iteration but the last).
//!
//! A moved op must still see what it saw: no op left behind writes (or
//! discards) a global or local it reads, and a moved global write is read
//! by nothing left behind (an exit, a helper call or an `ld_env` counts
//! as reading every global). A global that a fault would show the guest
//! moves only if nothing between its write and the `brcond` can fault.

use crate::func::IrBlock;
use crate::op::{Op, Temp};
use crate::table::{opf, Opcode};

/// Buffers reused from one TB to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Per op of the block being looked at: it moves.
    moves: Vec<bool>,
    /// The rewritten ops (swapped with the block's).
    out: Vec<Op>,
    /// Temps (one bit each) read, and written, by the ops that stay after
    /// the op looked at.
    read: Vec<u64>,
    written: Vec<u64>,
}

/// Runs the pass.
pub fn sink_into_branches(block: &mut IrBlock) {
    run(block, &mut Scratch::default());
}

/// Runs the pass with the buffers of `s`.
pub(crate) fn run(block: &mut IrBlock, s: &mut Scratch) {
    let mut b = 0;
    while b < block.ops.len() {
        if block.ops[b].opc == Opcode::Brcond {
            if let Some(dead) = dead_on_fall_through(block, b) {
                b -= sink(block, b, dead, s);
            }
        }
        b += 1;
    }
}

/// For the `brcond` at `b`: the globals (one bit each) its fall-through
/// discards before it leaves the TB by `movi rip, ..; goto_tb`, if that
/// exit is followed by the `brcond`'s label and nothing else branches
/// there.
fn dead_on_fall_through(block: &IrBlock, b: usize) -> Option<u64> {
    let ops = &block.ops;
    let label = ops[b].consts[1];
    let mut dead = 0u64;
    let mut j = b + 1;
    while ops.get(j)?.opc == Opcode::Discard {
        dead |= 1u64.checked_shl(ops[j].outs[0].0)?;
        j += 1;
    }
    let (rip, exit, set) = (ops.get(j)?, ops.get(j + 1)?, ops.get(j + 2)?);
    let exits = rip.opc == Opcode::Movi && exit.opc == Opcode::GotoTb;
    let placed = set.opc == Opcode::SetLabel && set.consts[0] == label;
    let only_here = ops.iter().enumerate().all(|(k, o)| {
        k == b
            || !((o.opc == Opcode::Brcond && o.consts[1] == label)
                || (o.opc == Opcode::Br && o.consts[0] == label))
    });
    (dead != 0 && exits && placed && only_here).then_some(dead)
}

/// True if the fall-through of the `brcond` at `b` jumps back to the
/// TB's first instruction (a loop's back edge).
fn loops_back(block: &IrBlock, b: usize) -> bool {
    let first = block.ops.iter().find(|o| o.opc == Opcode::InsnStart);
    let rip = block.ops[b + 1..].iter().find(|o| o.opc != Opcode::Discard);
    matches!((first, rip), (Some(f), Some(r)) if r.opc == Opcode::Movi && r.consts[0] == f.consts[0])
}

/// Whether global `g`'s bit is set in `mask`.
fn bit(mask: u64, g: Temp) -> bool {
    mask.checked_shr(g.0).is_some_and(|m| m & 1 != 0)
}

/// True if `op` may write any global (not through its outputs).
fn writes_all_globals(op: &Op) -> bool {
    matches!(op.opc, Opcode::Call | Opcode::CallXmm | Opcode::StEnv)
}

/// True if `op` may read any global (not through its inputs).
fn reads_all_globals(op: &Op) -> bool {
    matches!(
        op.opc,
        Opcode::Call | Opcode::CallXmm | Opcode::LdEnv | Opcode::StEnv
    ) || op.opc.flags() & opf::TB_EXIT != 0
}

/// Moves what the `brcond` at `b` can leave to its target (see the
/// module doc); `dead` holds the globals its fall-through discards.
/// Returns how many ops moved (from before `b` to after it).
fn sink(block: &mut IrBlock, b: usize, dead: u64, s: &mut Scratch) -> usize {
    let ng = block.globals.len();
    let ops = &block.ops;
    let start = ops[..b]
        .iter()
        .rposition(|o| o.opc.flags() & opf::BB_END != 0)
        .map_or(0, |k| k + 1);
    s.moves.clear();
    s.moves.resize(b - start, false);
    // Backwards, with what the ops that stay (the `brcond` first) read and
    // write after the op looked at: an op moves once every later op that
    // reads its results moves too.
    let words = (block.n_temps as usize).div_ceil(64);
    s.read.clear();
    s.read.resize(words, 0);
    s.written.clear();
    s.written.resize(words, 0);
    let (mut reads_globals, mut writes_globals, mut faults) = (false, false, false);
    let has = |set: &[u64], t: Temp| set[t.index() / 64] >> (t.index() % 64) & 1 != 0;
    let add = |set: &mut [u64], t: Temp| set[t.index() / 64] |= 1 << (t.index() % 64);
    for &t in ops[b].inputs() {
        add(&mut s.read, t);
    }
    let mut any = false;
    for i in (start..b).rev() {
        let op = &ops[i];
        let outs = op.outputs();
        let global = |t: Temp| t.index() < ng;
        let read_later = |t: Temp| has(&s.read, t) || (global(t) && reads_globals);
        let written_later = |t: Temp| has(&s.written, t) || (global(t) && writes_globals);
        // (A discard moves too: the value then lives a little longer.)
        let global_write = matches!(op.opc, Opcode::Mov | Opcode::Movi | Opcode::Discard)
            && global(outs[0])
            && bit(dead, outs[0])
            && (bit(block.unobserved_at_faults, outs[0]) || !faults);
        let pure_local = op.opc.flags() & (opf::SIDE_EFFECTS | opf::BB_END) == 0
            && op.opc != Opcode::InsnStart
            && !outs.is_empty()
            && outs.iter().all(|&t| !global(t));
        let moves = (global_write || pure_local)
            && outs.iter().all(|&t| !read_later(t) && !written_later(t))
            && op.inputs().iter().all(|&t| !written_later(t));
        s.moves[i - start] = moves;
        any |= moves;
        if !moves {
            for &t in op.inputs() {
                add(&mut s.read, t);
            }
            for &t in outs {
                add(&mut s.written, t);
            }
            reads_globals |= reads_all_globals(op);
            writes_globals |= writes_all_globals(op);
        }
        faults |= op.opc.flags() & opf::CAN_FAULT != 0;
    }
    // Only where it pays (see the module doc).
    let label = ops[b].consts[1];
    let set = (b + 1..ops.len())
        .find(|&k| ops[k].opc == Opcode::SetLabel && ops[k].consts[0] == label)
        .expect("dead_on_fall_through found the label");
    let call = (start..b).any(|k| s.moves[k - start] && ops[k].opc == Opcode::CallPure);
    let rip = ops[set - 2];
    let taken = ops[set + 1..]
        .iter()
        .take_while(|o| o.opc.flags() & opf::BB_END == 0)
        .find(|o| o.opc == Opcode::Movi && o.outs[0] == rip.outs[0]);
    let forward = taken.is_some_and(|t| t.consts[0] > rip.consts[0]);
    if !any || !(call && forward || loops_back(block, b)) {
        return 0;
    }
    // The block without the moved ops, up to the label, then the moved
    // ops, in order, then the rest.
    s.out.clear();
    s.out.extend_from_slice(&ops[..start]);
    let kept = (start..b).filter(|&k| !s.moves[k - start]);
    s.out.extend(kept.map(|k| ops[k]));
    s.out.extend_from_slice(&ops[b..=set]);
    let moved = (start..b).filter(|&k| s.moves[k - start]);
    s.out.extend(moved.map(|k| ops[k]));
    s.out.extend_from_slice(&ops[set + 1..]);
    let n = s.moves.iter().filter(|&&m| m).count();
    std::mem::swap(&mut block.ops, &mut s.out);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::Global;
    use crate::text::{format_block, parse_block};

    static G: [Global; 5] = [
        Global {
            name: "cc_op",
            offset: 0,
        },
        Global {
            name: "cc_dst",
            offset: 8,
        },
        Global {
            name: "cc_src",
            offset: 16,
        },
        Global {
            name: "rbp",
            offset: 24,
        },
        Global {
            name: "rip",
            offset: 32,
        },
    ];
    const HELPERS: &[&str] = &["cc_compute_c"];

    /// The IR of `text` after the pass (`unobserved`: the globals a fault
    /// does not show).
    fn sunk(text: &str, unobserved: u64) -> String {
        let mut b = parse_block(text, &G, &HELPERS).expect("parses");
        b.unobserved_at_faults = unobserved;
        sink_into_branches(&mut b);
        format_block(&b, &HELPERS)
    }

    /// `dec ebp; js` after an unknown state: the incoming CF (a helper
    /// call) and the new lazy state only on the taken side.
    const DEC_JS: &str = "
 call_pure t5, cc_op, cc_dst, cc_src, cc_compute_c
 movi t6, $0x1
 and t7, t5, t6
 sub t8, rbp, t6
 mov rbp, t8
 mov cc_dst, t8
 mov cc_src, t7
 movi cc_op, $0x1e
 movi t9, $0x0
 brcond t8, t9, lt, L0
 discard cc_op
 discard cc_dst
 discard cc_src
 movi rip, $0x2000
 goto_tb $0x0
 set_label L0
 movi rip, $0x3000
 goto_tb $0x1
";

    #[test]
    fn flags_dead_on_the_fall_through_move_to_the_target() {
        let expected = "
 movi t6, $0x1
 sub t8, rbp, t6
 mov rbp, t8
 movi t9, $0x0
 brcond t8, t9, lt, L0
 discard cc_op
 discard cc_dst
 discard cc_src
 movi rip, $0x2000
 goto_tb $0x0
 set_label L0
 call_pure t5, cc_op, cc_dst, cc_src, cc_compute_c
 and t7, t5, t6
 mov cc_dst, t8
 mov cc_src, t7
 movi cc_op, $0x1e
 movi rip, $0x3000
 goto_tb $0x1
";
        assert_eq!(sunk(DEC_JS, 0b111), expected.trim_start_matches('\n'));
    }

    #[test]
    fn state_a_fault_shows_stays_before_a_faulting_op() {
        let text = DEC_JS.replace(" movi t9, $0x0\n", " ld64 t9, rbp\n");
        let out = sunk(&text, 0);
        // The helper and the flag writes stay; nothing moves.
        assert_eq!(
            out,
            format_block(&parse_block(&text, &G, &HELPERS).unwrap(), &HELPERS)
        );
        // Where a fault does not show the flags, they move all the same.
        assert!(sunk(&text, 0b111).contains("set_label L0\n call_pure"));
    }

    #[test]
    fn a_label_branched_to_from_elsewhere_keeps_the_block() {
        let text = format!("{}\n br L0\n", DEC_JS.trim_end());
        let parsed = parse_block(&text, &G, &HELPERS).unwrap();
        assert_eq!(sunk(&text, 0b111), format_block(&parsed, &HELPERS));
    }

    #[test]
    fn a_global_the_fall_through_keeps_keeps_the_helper_call() {
        // cc_src not discarded: its write stays, and so does the call it
        // reads; the plain flag writes alone do not pay for the jump.
        let text = DEC_JS.replace(" discard cc_src\n", "");
        let parsed = parse_block(&text, &G, &HELPERS).unwrap();
        assert_eq!(sunk(&text, 0b111), format_block(&parsed, &HELPERS));
    }

    #[test]
    fn a_loop_writes_its_flags_on_the_way_out_only() {
        let text = "
 ---- 0x1000
 movi t5, $0x1
 sub t6, rbp, t5
 mov rbp, t6
 mov cc_dst, t6
 movi cc_op, $0xf
 movi t7, $0x0
 brcond t6, t7, eq, L0
 discard cc_op
 discard cc_dst
 movi rip, $0x1000
 goto_tb $0x1
 set_label L0
 movi rip, $0x1006
 goto_tb $0x0
";
        let out = sunk(text, 0);
        let (back_edge, exit) = out.split_once("set_label L0").unwrap();
        assert!(!back_edge.contains("mov cc_dst") && !back_edge.contains("movi cc_op"));
        assert!(exit.contains("mov cc_dst, t6") && exit.contains("movi cc_op, $0xf"));
        // Leaving for another pc instead, the writes stay.
        let elsewhere = text.replace("movi rip, $0x1000", "movi rip, $0x2000");
        let parsed = parse_block(&elsewhere, &G, &HELPERS).unwrap();
        assert_eq!(sunk(&elsewhere, 0), format_block(&parsed, &HELPERS));
    }
}
