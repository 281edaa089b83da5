//! Demanded bits: for each local temp, how many of its low bits any reader
//! looks at. The front end wraps every 32-bit operation in `ext32u`; when
//! no reader wants the high half, the extension is a plain copy and the
//! operation itself can be a 32-bit host instruction (which zero-extends
//! for free). Rewrites the backend's copy of the TB's ops and marks those
//! ops (`op32`), before widths and copies are worked out.

use crate::bits::Narrow;
use crate::census::Census;
use crate::defs::Defs;
use ox86_ir::op::MAX_INS;
use ox86_ir::{opf, IrBlock, Opcode, Temp};

/// Per op: computed on the low 32 bits of its inputs with a zero-extended
/// 32-bit result (`add r32, r32` and the like).
pub(crate) type Op32 = Vec<bool>;

/// The op defining `t` if `t` is a local defined once, before op `i`.
pub(crate) fn single_before(defs: &Defs, t: Temp, i: usize) -> Option<usize> {
    (defs.single(t) && defs.at(t) < i).then(|| defs.at(t))
}

/// The constant `t` holds if it is a local defined once by a `movi`.
pub(crate) fn konst(ir: &IrBlock, defs: &Defs, t: Temp) -> Option<u64> {
    if !defs.single(t) {
        return None;
    }
    let d = &ir.ops[defs.at(t)];
    (d.opc == Opcode::Movi).then_some(d.consts[0])
}

/// True if `t` is below 32: a constant, or a local masked by one.
fn below_32(ir: &IrBlock, defs: &Defs, t: Temp) -> bool {
    if let Some(c) = konst(ir, defs, t) {
        return c < 32;
    }
    if !defs.single(t) {
        return false;
    }
    let d = &ir.ops[defs.at(t)];
    d.opc == Opcode::And
        && d.inputs()
            .iter()
            .any(|&m| konst(ir, defs, m).is_some_and(|c| c < 32))
}

/// True if no op in `from+1..to` changes `x` or ends the block.
pub(crate) fn stable(ir: &IrBlock, from: usize, to: usize, x: Temp) -> bool {
    let ng = ir.globals.len();
    !ir.ops[from + 1..to].iter().any(|o| {
        crate::liveness::ends_bb(o.opc)
            || o.outputs().contains(&x)
            || (o.opc == Opcode::Call && x.index() < ng)
    })
}

/// True if a pure op whose outputs nobody reads is dead code.
fn removable(opc: Opcode) -> bool {
    opc.flags() & (opf::SIDE_EFFECTS | opf::BB_END | opf::CAN_FAULT) == 0
        && opc != Opcode::InsnStart
}

/// Bits up to and including the highest set bit of `c`.
fn const_width(c: u64) -> u8 {
    (64 - c.leading_zeros()) as u8
}

/// The analysis inputs shared by its steps.
struct Cx<'a> {
    ir: &'a IrBlock,
    defs: &'a Defs,
    rot: &'a [u8],
    narrow: &'a [Narrow],
    op32: &'a [bool],
}

impl Cx<'_> {
    /// How many low bits of each input op `i` reads when `d` low bits of
    /// its output are demanded.
    #[inline(always)]
    fn need(&self, i: usize, d: u8) -> [u8; MAX_INS] {
        let op = &self.ir.ops[i];
        let count = |k: usize| konst(self.ir, self.defs, op.ins[k]).map_or(64, |c| c & 63);
        let mask = |k: usize| konst(self.ir, self.defs, op.ins[k]).map_or(64, const_width);
        let mut need = [64u8; MAX_INS];
        match op.opc {
            _ if self.rot[i] != 0 => need[0] = 32,
            Opcode::And => need = [d.min(mask(1)), d.min(mask(0)), 0, 0, 0, 0],
            Opcode::Mov
            | Opcode::Add
            | Opcode::Sub
            | Opcode::Mul
            | Opcode::Or
            | Opcode::Xor
            | Opcode::Not
            | Opcode::Neg => need = [d; MAX_INS],
            Opcode::Shl => need = [d, 8, 0, 0, 0, 0],
            Opcode::Shr => need = [(d as u64 + count(1)).min(64) as u8, 8, 0, 0, 0, 0],
            Opcode::Sar => {
                let w = d as u64 + count(1);
                need = [if w >= 64 { 64 } else { w as u8 }, 8, 0, 0, 0, 0];
            }
            Opcode::Ext8u | Opcode::Ext8s => need[0] = d.min(8),
            Opcode::Ext16u | Opcode::Ext16s => need[0] = d.min(16),
            Opcode::Ext32u | Opcode::Ext32s => need[0] = d.min(32),
            // Its low bits come from the top of the low half.
            Opcode::Bswap32 => need[0] = 32,
            Opcode::Movcond => need = [64, 64, d, d, 0, 0],
            Opcode::Brcond if self.narrow[i] != Narrow::No => need = [32; MAX_INS],
            Opcode::St8 => need[0] = 8,
            Opcode::St16 => need[0] = 16,
            Opcode::St32 => need[0] = 32,
            _ => {}
        }
        if self.op32[i] {
            need.iter_mut().for_each(|w| *w = (*w).min(32));
        }
        need
    }

    /// Per temp: the number of low bits some reader demands (64 for
    /// globals, 0 for values nobody reads). Flow-insensitive, so a temp
    /// defined more than once gets the union over all its readers; a
    /// backward pass, repeated only when a demand grows after the temp's
    /// definition was passed (a read before a later definition).
    fn demanded(&self, dem: &mut Vec<u8>, passed: &mut Vec<bool>) {
        let ir = self.ir;
        let n = ir.n_temps as usize;
        let ng = ir.globals.len();
        dem.clear();
        dem.resize(n, 0);
        dem[..ng].fill(64);
        passed.clear();
        passed.resize(n, false);
        loop {
            let mut again = false;
            passed.fill(false);
            for (i, op) in ir.ops.iter().enumerate().rev() {
                let outs = op.outputs();
                for &t in outs {
                    passed[t.index()] = true;
                }
                if op.inputs().is_empty()
                    || (removable(op.opc)
                        && !outs.is_empty()
                        && outs.iter().all(|t| dem[t.index()] == 0))
                {
                    continue;
                }
                let need = self.need(i, outs.first().map_or(64, |t| dem[t.index()]));
                for (k, &t) in op.inputs().iter().enumerate() {
                    let ti = t.index();
                    if need[k] > dem[ti] {
                        dem[ti] = need[k];
                        again |= passed[ti];
                    }
                }
            }
            if !again {
                return;
            }
        }
    }
}

/// True if `opc`'s low 32 result bits depend only on its inputs' low 32
/// bits, so that a 32-bit host instruction computes them.
fn low_half_op(opc: Opcode) -> bool {
    matches!(
        opc,
        Opcode::Add
            | Opcode::Sub
            | Opcode::Mul
            | Opcode::And
            | Opcode::Or
            | Opcode::Xor
            | Opcode::Not
            | Opcode::Neg
    )
}

/// Rewrites `ir` for 32-bit code and fills the per-op `op32` marks:
/// - `shr(ext32u(x), c)` with `c` below 32 (a constant or masked) reads
///   `x` and is a 32-bit shift;
/// - a reader of the `or` of a 32-bit rotate (see `bits::find_rotates`)
///   that wants at most its low 32 bits reads the rotate instead;
/// - an extension whose result is demanded no wider than it extends from
///   becomes a `mov`;
/// - `add sub mul and or xor not neg` and `shl` by a count below 32, when
///   at most 32 bits of the result are demanded, are 32-bit ops, and so is
///   `sar(ext32s(x), c)` with `c` below 32, which then reads `x`.
///
/// Its last walk, in op order, also computes the widths (see
/// `bits::known_widths`) and runs `copies` (see `globcopy`), which counts
/// each temp's reads into `uses`. Returns true if there is a `not`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn narrow_ops(
    ir: &mut IrBlock,
    rotates: bool,
    rot: &[u8],
    narrow: &[Narrow],
    census: Census,
    defs: &Defs,
    sc: &mut Scratch,
    op32: &mut Vec<bool>,
    width: &mut Vec<u8>,
    copies: &mut crate::globcopy::Copies,
    uses: &mut Vec<u32>,
) -> bool {
    if rotates {
        rotate_halves(ir, defs, rot, &mut sc.low);
    }
    op32.clear();
    op32.resize(ir.ops.len(), false);
    // Without an op that reads fewer than 64 bits, every demand is 64 (or
    // 0): nothing to narrow.
    let mut narrows = rotates
        || census.any(&[
            Opcode::Ext8u,
            Opcode::Ext8s,
            Opcode::Ext16u,
            Opcode::Ext16s,
            Opcode::Ext32u,
            Opcode::Ext32s,
            Opcode::Bswap32,
            Opcode::And,
            Opcode::St8,
            Opcode::St16,
            Opcode::St32,
        ]);
    if census.any(&[Opcode::Shr, Opcode::Brcond]) {
        for (i, &kind) in narrow.iter().enumerate() {
            match ir.ops[i].opc {
                Opcode::Shr => fold_shr_input(ir, defs, rot, i, op32),
                Opcode::Brcond => narrows |= kind != Narrow::No,
                _ => {}
            }
        }
    }
    let cx = Cx {
        ir,
        defs,
        rot,
        narrow,
        op32,
    };
    if narrows {
        cx.demanded(&mut sc.dem, &mut sc.passed);
    } else {
        sc.dem.clear();
        sc.dem.resize(ir.n_temps as usize, 64);
    }
    let dem = &sc.dem;
    if rotates {
        sc.reads.clear();
        for i in 0..ir.ops.len() {
            let op = &ir.ops[i];
            let after = |t: &Temp| sc.low[t.index()].is_some_and(|(_, at)| (at as usize) < i);
            if !op.inputs().iter().any(after) {
                continue;
            }
            let need = cx.need(i, op.outputs().first().map_or(64, |t| dem[t.index()]));
            for (k, t) in op.inputs().iter().enumerate() {
                if let Some((r, at)) = sc.low[t.index()] {
                    if (at as usize) < i && need[k] <= 32 {
                        sc.reads.push((i as u32, k as u8, r));
                    }
                }
            }
        }
    }
    for &(i, k, r) in &sc.reads {
        ir.ops[i as usize].ins[k as usize] = r;
    }
    sc.reads.clear();
    width.clear();
    width.resize(ir.n_temps as usize, 64);
    copies.start(ir, uses);
    let mut not = false;
    for (i, is32) in op32.iter_mut().enumerate() {
        let op = ir.ops[i];
        if let Some(&out) = op.outputs().first() {
            let d = dem[out.index()];
            let from = match op.opc {
                Opcode::Ext8u | Opcode::Ext8s => 8,
                Opcode::Ext16u | Opcode::Ext16s => 16,
                Opcode::Ext32u | Opcode::Ext32s if rot[i] == 0 => 32,
                _ => 0,
            };
            if from != 0 && d <= from {
                ir.ops[i].opc = Opcode::Mov;
            } else if d <= 32 && low_half_op(op.opc) {
                *is32 = true;
            } else if d <= 32 && op.opc == Opcode::Shl {
                *is32 = below_32(ir, defs, op.ins[1]);
            } else if d <= 32 && op.opc == Opcode::Sar {
                *is32 = sar_of_sext32(ir, defs, rot, i);
            }
            let w = crate::bits::width_of(&ir.ops[i], width, *is32 || rot[i] != 0);
            if defs.single(out) {
                width[out.index()] = w;
            }
            not |= op.opc == Opcode::Not;
        }
        copies.step(ir, i, width, uses);
    }
    not
}

/// `sar(ext32s(x), c)` at op `i`, with `c` below 32 and the low 32 bits
/// of the result demanded: in those bits it is the 32-bit `sar` of `x`
/// (x86's `sar r32, imm`), which then reads `x`. Returns true if so.
fn sar_of_sext32(ir: &mut IrBlock, defs: &Defs, rot: &[u8], i: usize) -> bool {
    let op = ir.ops[i];
    if !below_32(ir, defs, op.ins[1]) {
        return false;
    }
    let Some(e) = single_before(defs, op.ins[0], i) else {
        return false;
    };
    let x = ir.ops[e].ins[0];
    let sext = ir.ops[e].opc == Opcode::Ext32s && rot[e] == 0 && stable(ir, e, i, x);
    if sext {
        ir.ops[i].ins[0] = x;
    }
    sext
}

/// `shr(ext32u(x), c)` at op `i` with `c` below 32: reads `x` and is a
/// 32-bit shift.
fn fold_shr_input(ir: &mut IrBlock, defs: &Defs, rot: &[u8], i: usize, op32: &mut [bool]) {
    let op = ir.ops[i];
    if !below_32(ir, defs, op.ins[1]) {
        return;
    }
    let Some(e) = single_before(defs, op.ins[0], i) else {
        return;
    };
    let x = ir.ops[e].ins[0];
    if ir.ops[e].opc == Opcode::Ext32u && rot[e] == 0 && stable(ir, e, i, x) {
        ir.ops[i].ins[0] = x;
        op32[i] = true;
    }
}

/// Per temp: for the `or` of a 32-bit rotate (`or(shr(x, k), shl(x, 32 -
/// k))` with `x` of width 32 at most, as `bits::find_rotates` found it),
/// the rotate's result, equal in the low 32 bits, and its op index.
fn rotate_halves(ir: &IrBlock, defs: &Defs, rot: &[u8], low: &mut Vec<Option<(Temp, u32)>>) {
    low.clear();
    low.resize(ir.n_temps as usize, None);
    for (j, &k) in rot.iter().enumerate() {
        // The front end emits the `or` right before the extension.
        if k == 0 || j == 0 || ir.ops[j - 1].opc != Opcode::Or {
            continue;
        }
        let (or, ext) = (&ir.ops[j - 1], &ir.ops[j]);
        let x = ext.ins[0];
        let shift = |t: Temp| {
            let d = &ir.ops[single_before(defs, t, j - 1)?];
            let c = konst(ir, defs, d.ins[1])?;
            (d.ins[0] == x).then_some((d.opc, c))
        };
        let (k, back) = (k as u64, 32 - k as u64);
        let matches = match (shift(or.ins[0]), shift(or.ins[1])) {
            (Some(a), Some(b)) => {
                (a, b) == ((Opcode::Shr, k), (Opcode::Shl, back))
                    || (a, b) == ((Opcode::Shl, back), (Opcode::Shr, k))
            }
            _ => false,
        };
        let (o, r) = (or.outs[0], ext.outs[0]);
        if matches && defs.single(o) && defs.single(r) {
            low[o.index()] = Some((r, j as u32));
        }
    }
}

/// The pass's buffers, kept from TB to TB.
#[derive(Default)]
pub(crate) struct Scratch {
    dem: Vec<u8>,
    passed: Vec<bool>,
    low: Vec<Option<(Temp, u32)>>,
    reads: Vec<(u32, u8, Temp)>,
}
