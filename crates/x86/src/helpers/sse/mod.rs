//! SSE helpers (SSE through SSE4.2, and the MMX-register forms): the XMM
//! and MMX work the translator does not inline. Packed integer, shuffle, shift and string-compare helpers and
//! CRC32 are plain Rust on `u128` lanes; floating-point helpers run the
//! host's own SSE instruction under the guest MXCSR (`host.rs`) and merge
//! the exception flags it raised.
//!
//! Calling convention: `d` is the destination XMM number (the helper reads
//! and writes `env.xmm[d]`), or `MM0` + n for MMX register n (read
//! zero-extended to 128 bits, the low 64 bits of the result written back,
//! as an MMX instruction writes: see `set_xmm`), `lo`/`hi` the source
//! operand's 64-bit halves
//! (the translator has already loaded a memory operand), and `c`/`c_hi` a
//! third operand: an immediate, or XMM0 for the BLENDV forms.

use super::HelperInfo;
use crate::cpu::{excp, CpuState};

/// Defines helpers `h(d, lo, hi, c, c_hi)` that set XMM `d` to
/// `f(xmm[d], src, c)` for a pure `f`, and the list `$list` of them.
macro_rules! pure_ops {
    ($list:ident; $($(#[doc = $doc:literal])+ $NAME:ident = $name:literal, $f:expr;)*) => {
        $(
            $(#[doc = $doc])+
            pub static $NAME: HelperInfo = HelperInfo {
                name: $name,
                func: {
                    extern "C" fn h(
                        env: &mut CpuState,
                        d: u64,
                        lo: u64,
                        hi: u64,
                        c: u64,
                        c_hi: u64,
                    ) -> u64 {
                        let f: fn(u128, u128, u128) -> u128 = $f;
                        let r = f(
                            super::xmm(env, d),
                            super::pair(lo, hi),
                            super::pair(c, c_hi),
                        );
                        super::set_xmm(env, d, r);
                        0
                    }
                    h
                },
            };
        )*
        /// This file's helpers of this shape.
        pub const $list: &[&HelperInfo] = &[$(&$NAME),*];
    };
}

/// Defines helpers `h(d, lo, hi, imm)` that run an MXCSR-dependent
/// `f(mxcsr, xmm[d], src, imm) -> (result, flags)`, merge the flags and
/// write XMM `d` unless an unmasked exception raised #XM.
macro_rules! mxcsr_ops {
    ($list:ident; $($(#[doc = $doc:literal])+ $NAME:ident = $name:literal, $f:expr;)*) => {
        $(
            $(#[doc = $doc])+
            pub static $NAME: HelperInfo = HelperInfo {
                name: $name,
                func: {
                    extern "C" fn h(
                        env: &mut CpuState,
                        d: u64,
                        lo: u64,
                        hi: u64,
                        imm: u64,
                        _: u64,
                    ) -> u64 {
                        let f: fn(u32, u128, u128, u8) -> (u128, u32) = $f;
                        let (r, flags) =
                            f(env.mxcsr, super::xmm(env, d), super::pair(lo, hi), imm as u8);
                        if super::commit(env, flags) {
                            super::set_xmm(env, d, r);
                        }
                        0
                    }
                    h
                },
            };
        )*
        /// This file's helpers of this shape.
        pub const $list: &[&HelperInfo] = &[$(&$NAME),*];
    };
}

/// Defines helpers `h(d, lo, hi) -> value` for an MXCSR-dependent
/// `f(mxcsr, xmm[d], src) -> (value, flags)` whose value goes to a
/// general register or EFLAGS (0 when an unmasked exception raised #XM).
/// The value is also left in `CpuState.xmm_result`, where the translator
/// reads it after a `call_xmm`.
macro_rules! mxcsr_value_ops {
    ($list:ident; $($(#[doc = $doc:literal])+ $NAME:ident = $name:literal, $f:expr;)*) => {
        $(
            $(#[doc = $doc])+
            pub static $NAME: HelperInfo = HelperInfo {
                name: $name,
                func: {
                    extern "C" fn h(
                        env: &mut CpuState,
                        d: u64,
                        lo: u64,
                        hi: u64,
                        _: u64,
                        _: u64,
                    ) -> u64 {
                        let f: fn(u32, u128, u128) -> (u64, u32) = $f;
                        let (r, flags) = f(env.mxcsr, super::xmm(env, d), super::pair(lo, hi));
                        let r = if super::commit(env, flags) { r } else { 0 };
                        env.xmm_result = r;
                        r
                    }
                    h
                },
            };
        )*
        /// This file's helpers of this shape.
        pub const $list: &[&HelperInfo] = &[$(&$NAME),*];
    };
}

pub mod aes;
pub mod compare;
pub mod convert;
pub mod crc32;
pub mod float;
pub mod fxsr;
mod host;
pub use host::{clear_host_flags, sync_mxcsr_flags};
pub mod int;
mod lanes;
pub mod mmx;
pub mod pcmpstr;
mod pcmpstr_host;
pub mod sha;
pub mod shift;
pub mod shuffle;

/// The helper register number of MMX register MM0 (MMn is `MM0 + n`).
pub const MM0: u64 = 32;

/// MMX register n: the mantissa of physical x87 register n.
fn mm(env: &CpuState, n: u64) -> u64 {
    let r = &env.fpu.regs[n as usize];
    u64::from_le_bytes(r[..8].try_into().expect("8 bytes"))
}

/// The value of XMM register `n` (or, from `MM0` up, an MMX register
/// zero-extended).
fn xmm(env: &CpuState, n: u64) -> u128 {
    if n >= MM0 {
        return mm(env, n - MM0) as u128;
    }
    let [lo, hi] = env.xmm[n as usize];
    pair(lo, hi)
}

/// Sets XMM register `n`; from `MM0` up, sets an MMX register to the low
/// 64 bits of `v` and the x87 register's exponent and sign to all ones,
/// as MMX instructions do (the translator updates TOP and the tags).
fn set_xmm(env: &mut CpuState, n: u64, v: u128) {
    if n >= MM0 {
        let r = &mut env.fpu.regs[(n - MM0) as usize];
        r[..8].copy_from_slice(&(v as u64).to_le_bytes());
        r[8..].copy_from_slice(&0xffffu64.to_le_bytes());
        return;
    }
    env.xmm[n as usize] = [v as u64, (v >> 64) as u64];
}

/// A 128-bit value from its halves.
fn pair(lo: u64, hi: u64) -> u128 {
    lo as u128 | (hi as u128) << 64
}

/// MXCSR flags of the exceptions detected before a result is computed:
/// invalid operation, denormal operand, divide by zero.
const PRE_COMPUTATION: u32 = 0x7;

/// Merges exception `flags` raised by an instruction into MXCSR. Returns
/// false, with #XM raised, when one of them is unmasked: the destination
/// must then keep its value.
fn commit(env: &mut CpuState, flags: u32) -> bool {
    let unmasked = !(env.mxcsr >> 7) & host::FLAGS;
    // An unmasked pre-computation exception (IE, DE, ZE) stops the
    // instruction before its result exists: the post-computation ones
    // (OE, UE, PE) are not reported (SDM vol. 1, 11.5.2).
    let flags = if flags & PRE_COMPUTATION & unmasked != 0 {
        flags & PRE_COMPUTATION
    } else {
        flags
    };
    env.mxcsr |= flags;
    if flags & unmasked != 0 {
        env.raise(excp::XM, 0, false);
        return false;
    }
    true
}

extern "C" fn mxcsr_sync(env: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    host::sync_mxcsr_flags(env);
    0
}

/// `mxcsr_sync()`: brings the guest MXCSR's exception flags up to date (before STMXCSR).
pub static MXCSR_SYNC: HelperInfo = HelperInfo {
    name: "mxcsr_sync",
    func: mxcsr_sync,
};

extern "C" fn mxcsr_loaded(_: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    host::clear_host_flags();
    0
}

/// `mxcsr_loaded()`: drops flags pending on the host after LDMXCSR replaced the guest MXCSR.
pub static MXCSR_LOADED: HelperInfo = HelperInfo {
    name: "mxcsr_loaded",
    func: mxcsr_loaded,
};

const MXCSR_ACCESS: &[&HelperInfo] = &[&MXCSR_SYNC, &MXCSR_LOADED];

const FAMILIES: &[&[&HelperInfo]] = &[
    MXCSR_ACCESS,
    aes::PURE,
    sha::PURE,
    compare::PURE,
    compare::MXCSR,
    compare::COMIS,
    convert::MXCSR,
    convert::TO_GPR,
    crc32::HELPERS,
    float::MXCSR,
    fxsr::HELPERS,
    int::PURE,
    int::VALUE,
    mmx::PURE,
    pcmpstr::HELPERS,
    shift::PURE,
    shift::IMM,
    shuffle::PURE,
];

const COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < FAMILIES.len() {
        n += FAMILIES[i].len();
        i += 1;
    }
    n
};

static ALL: [&HelperInfo; COUNT] = {
    let mut out = [FAMILIES[0][0]; COUNT];
    let mut n = 0;
    let mut i = 0;
    while i < FAMILIES.len() {
        let mut j = 0;
        while j < FAMILIES[i].len() {
            out[n] = FAMILIES[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &ALL;

#[cfg(test)]
mod native;
