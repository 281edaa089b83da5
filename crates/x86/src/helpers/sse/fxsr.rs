//! The FXSAVE area (SDM vol. 1, 10.5.1, 64-bit layout): the x87, MMX and
//! SSE state as the 512-byte image FXSAVE/FXRSTOR and the Linux signal
//! frame use, and the helpers the FXSAVE/FXRSTOR translation calls for its
//! x87 part (the XMM registers and MXCSR are moved as IR).
//!
//! ox86 keeps no last-instruction pointers: FOP, FIP and FDP are saved as
//! zero (as processors do that save them only with an exception pending),
//! and MXCSR_MASK is that of a processor with DAZ.

use super::HelperInfo;
use crate::cpu::{CpuState, MXCSR_MASK};

/// Bytes of the FXSAVE area.
pub const FXSAVE_SIZE: usize = 512;
/// Bytes FXSAVE writes: 416..512 are reserved or available to software
/// and keep their contents.
pub const FXSAVE_WRITTEN: usize = 416;
/// Offset of the FCW (2 bytes), FSW (2), abridged FTW (1).
const FCW: usize = 0;
const FSW: usize = 2;
const FTW: usize = 4;
/// Offset of MXCSR and MXCSR_MASK (4 bytes each).
pub const MXCSR: usize = 24;
const MXCSR_MASK_AT: usize = 28;
/// Offset of ST(0)/MM0; eight 16-byte slots holding 10-byte registers.
pub const ST: usize = 32;
/// Offset of XMM0; sixteen 16-byte slots.
pub const XMM: usize = 160;
/// TOP in the FSW, bits 11..14.
const FSW_TOP: u16 = 7 << 11;

/// The FXSAVE image of `env`'s state up to XMM0: FCW, FSW with TOP, the
/// abridged tag word (bit i for physical register i), MXCSR as it stands
/// (callers sync its lazy flags first), MXCSR_MASK, and ST(i) = physical
/// register (TOP + i) mod 8.
fn legacy(env: &CpuState) -> [u8; XMM] {
    let mut b = [0u8; XMM];
    let f = &env.fpu;
    let top = f.top as usize & 7;
    b[FCW..FCW + 2].copy_from_slice(&f.fcw.to_le_bytes());
    let fsw = (f.fsw & !FSW_TOP) | ((top as u16) << 11);
    b[FSW..FSW + 2].copy_from_slice(&fsw.to_le_bytes());
    b[FTW] = f.ftw;
    b[MXCSR..MXCSR + 4].copy_from_slice(&env.mxcsr.to_le_bytes());
    b[MXCSR_MASK_AT..MXCSR_MASK_AT + 4].copy_from_slice(&MXCSR_MASK.to_le_bytes());
    for i in 0..8 {
        let at = ST + 16 * i;
        b[at..at + 10].copy_from_slice(&f.regs[(top + i) & 7][..10]);
    }
    b
}

/// The whole FXSAVE image of `env` (bytes past `FXSAVE_WRITTEN` zero).
pub fn fxsave_image(env: &CpuState) -> [u8; FXSAVE_SIZE] {
    let mut b = [0u8; FXSAVE_SIZE];
    b[..XMM].copy_from_slice(&legacy(env));
    for (i, x) in env.xmm.iter().enumerate() {
        let at = XMM + 16 * i;
        b[at..at + 8].copy_from_slice(&x[0].to_le_bytes());
        b[at + 8..at + 16].copy_from_slice(&x[1].to_le_bytes());
    }
    b
}

/// Sets the x87 control, status and tag words from the first quadword of
/// an FXSAVE image (FCW, FSW with TOP, abridged FTW; FOP ignored).
fn load_words(env: &mut CpuState, q0: u64) {
    let f = &mut env.fpu;
    f.fcw = q0 as u16;
    let fsw = (q0 >> 16) as u16;
    f.top = ((fsw & FSW_TOP) >> 11) as u32;
    f.fsw = fsw & !FSW_TOP;
    f.ftw = (q0 >> 32) as u8;
}

/// Loads `env`'s x87 and SSE state from an FXSAVE image, as FXRSTOR does;
/// MXCSR bits outside MXCSR_MASK are dropped (the kernel's sigreturn does
/// the same, where FXRSTOR would fault).
pub fn fxrstor_image(env: &mut CpuState, b: &[u8; FXSAVE_SIZE]) {
    let q = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    load_words(env, q(FCW));
    env.mxcsr = (q(MXCSR) as u32) & MXCSR_MASK;
    let top = env.fpu.top as usize;
    for i in 0..8 {
        let at = ST + 16 * i;
        env.fpu.regs[(top + i) & 7][..10].copy_from_slice(&b[at..at + 10]);
    }
    for (i, x) in env.xmm.iter_mut().enumerate() {
        *x = [q(XMM + 16 * i), q(XMM + 16 * i + 8)];
    }
}

extern "C" fn fxsave_peek(env: &mut CpuState, k: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let b = legacy(env);
    let at = 8 * k as usize;
    match b.get(at..at + 8) {
        Some(s) => u64::from_le_bytes(s.try_into().expect("8 bytes")),
        None => 0,
    }
}

/// `fxsave_peek(k)`: quadword `k` (0..20) of the FXSAVE image before XMM0.
pub static FXSAVE_PEEK: HelperInfo = HelperInfo {
    name: "fxsave_peek",
    func: fxsave_peek,
};

extern "C" fn fxrstor_words(env: &mut CpuState, q0: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    load_words(env, q0);
    0
}

/// `fxrstor_words(q0)`: FXRSTOR's FCW, FSW (with TOP) and abridged FTW
/// from the image's first quadword; the registers follow with `frstor_st`.
pub static FXRSTOR_WORDS: HelperInfo = HelperInfo {
    name: "fxrstor_words",
    func: fxrstor_words,
};

/// This file's helpers.
pub const HELPERS: &[&HelperInfo] = &[&FXSAVE_PEEK, &FXRSTOR_WORDS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_round_trips() {
        let mut env = CpuState::default();
        env.fpu.top = 5;
        env.fpu.ftw = 0xe0;
        env.fpu.fsw = 0x81;
        env.fpu.regs[5][..10].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        env.fpu.regs[4][..10].copy_from_slice(&[11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        env.xmm[3] = [0x1122, 0x3344];
        env.mxcsr = 0x3f80;
        let img = fxsave_image(&env);
        // ST(0) is physical register TOP; ST(7) wraps to TOP - 1.
        assert_eq!(&img[ST..ST + 10], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(img[ST + 16 * 7], 11);
        assert_eq!(u16::from_le_bytes([img[2], img[3]]), 0x81 | 5 << 11);
        assert_eq!(img[FTW], 0xe0);
        assert_eq!(
            &img[MXCSR..MXCSR + 8],
            &[0x80, 0x3f, 0, 0, 0xff, 0xff, 0, 0]
        );
        let mut back = CpuState::default();
        fxrstor_image(&mut back, &img);
        assert_eq!((back.fpu.top, back.fpu.fsw, back.fpu.ftw), (5, 0x81, 0xe0));
        assert_eq!(back.fpu.regs[5], env.fpu.regs[5]);
        assert_eq!(back.fpu.regs[4], env.fpu.regs[4]);
        assert_eq!(back.xmm[3], [0x1122, 0x3344]);
        assert_eq!(back.mxcsr, 0x3f80);
    }

    #[test]
    fn peek_hands_out_the_legacy_area() {
        let mut env = CpuState::default();
        env.fpu.fcw = 0x27f;
        env.mxcsr = 0x1fa0;
        let q0 = fxsave_peek(&mut env, 0, 0, 0, 0, 0);
        assert_eq!(q0 & 0xffff, 0x27f);
        let q3 = fxsave_peek(&mut env, 3, 0, 0, 0, 0);
        assert_eq!(q3, 0x1fa0 | ((MXCSR_MASK as u64) << 32));
        assert_eq!(fxsave_peek(&mut env, 20, 0, 0, 0, 0), 0);
    }
}
