//! x87 helpers: every x87 instruction that touches the FPU's registers runs
//! on the host's own x87 unit, loaded with the guest's state (`host`), so
//! that 80-bit results, rounding and precision control, condition codes,
//! tags and stack faults are the hardware's. The register moves (FXCH,
//! FLD and FST(P) between registers, FLDZ, FLD1) are done on the state
//! itself where their effect is a plain copy (`moves`). The translator
//! (`translate/x87`) does the guest memory accesses and passes values in.

#[macro_use]
pub(crate) mod host;
#[macro_use]
pub(crate) mod partial;
pub mod arith;
pub mod compare;
pub mod control;
pub mod moves;
pub mod transcendental;
pub mod transfer;

#[cfg(test)]
mod tests;

use super::HelperInfo;

const PARTS: [&[&HelperInfo]; 5] = [
    arith::LIST,
    compare::LIST,
    control::LIST,
    transcendental::LIST,
    transfer::LIST,
];

const COUNT: usize = {
    let mut n = 0;
    let mut p = 0;
    while p < PARTS.len() {
        n += PARTS[p].len();
        p += 1;
    }
    n
};

const ALL: [&HelperInfo; COUNT] = {
    let mut all = [PARTS[0][0]; COUNT];
    let (mut k, mut p) = (0, 0);
    while p < PARTS.len() {
        let mut j = 0;
        while j < PARTS[p].len() {
            all[k] = PARTS[p][j];
            k += 1;
            j += 1;
        }
        p += 1;
    }
    all
};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &ALL;
