//! Transcendental instructions: FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X
//! FYL2XP1, computed by the host FPU so results match it bit for bit.

use crate::helpers::HelperInfo;

x87_helper! {
    /// FSIN: ST(0) = sin(ST(0)) (C2 = out of range).
    FSIN = "fsin", plain(Check, Stack) ["fsin"]
}
x87_helper! {
    /// FCOS: ST(0) = cos(ST(0)) (C2 = out of range).
    FCOS = "fcos", plain(Check, Stack) ["fcos"]
}
x87_helper! {
    /// FSINCOS: ST(0) = sin(ST(0)), then push cos of the old ST(0).
    FSINCOS = "fsincos", plain(Check, Stack) ["fsincos"]
}
x87_helper! {
    /// FPTAN: ST(0) = tan(ST(0)), then push 1.0.
    FPTAN = "fptan", plain(Check, Stack) ["fptan"]
}
x87_helper! {
    /// FPATAN: ST(1) = arctan(ST(1) / ST(0)), then pop.
    FPATAN = "fpatan", plain(Check, Stack) ["fpatan"]
}
x87_helper! {
    /// F2XM1: ST(0) = 2^ST(0) - 1.
    F2XM1 = "f2xm1", plain(Check, Stack) ["f2xm1"]
}
x87_helper! {
    /// FYL2X: ST(1) = ST(1) * log2(ST(0)), then pop.
    FYL2X = "fyl2x", plain(Check, Stack) ["fyl2x"]
}
x87_helper! {
    /// FYL2XP1: ST(1) = ST(1) * log2(ST(0) + 1), then pop.
    FYL2XP1 = "fyl2xp1", plain(Check, Stack) ["fyl2xp1"]
}

/// This file's helpers.
pub const LIST: &[&HelperInfo] = &[
    &FSIN, &FCOS, &FSINCOS, &FPTAN, &FPATAN, &F2XM1, &FYL2X, &FYL2XP1,
];
