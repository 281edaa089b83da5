//! FXSAVE/FXRSTOR (and their REX.W forms) against the host: a random but
//! valid image is loaded, saved, changed by x87 and SSE arithmetic (whose
//! MXCSR flags may wait in the host MXCSR) and saved again; both saved
//! images must match. Fields ox86 does not model (FOP, FIP, FDP,
//! MXCSR_MASK) are cleared in both before comparing.

use crate::harness::*;
use iced_x86::code_asm::*;
use ox86_x86::cpu::excp;

/// Bytes of the FXSAVE area.
const SIZE: usize = 512;
/// Offset in the case memory of the default MXCSR the snippet ends with.
const DEFAULT_MXCSR: usize = 3 * SIZE;

/// A random FXSAVE image with every x87 and SIMD exception masked and no
/// exception pending, so that the snippet cannot trap natively.
fn image(rng: &mut Rng) -> Vec<u8> {
    let mut b: Vec<u8> = (0..SIZE).map(|_| rng.next() as u8).collect();
    let fcw = 0x7f | (rng.next() as u16 & 0xf00);
    // C0..C3, TOP, SF and the flags; ES and B clear.
    let fsw = rng.next() as u16 & 0x7f7f;
    let mxcsr = 0x1f80 | (rng.next() as u32 & 0xe07f);
    b[0..2].copy_from_slice(&fcw.to_le_bytes());
    b[2..4].copy_from_slice(&fsw.to_le_bytes());
    b[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    b[28..32].fill(0);
    b
}

/// Clears the fields of the FXSAVE image at [rsi + at] that ox86 does not
/// model (FOP, FIP, FDP, MXCSR_MASK).
pub fn clear_unmodelled(a: &mut CodeAssembler, at: i32) -> Result<(), IcedError> {
    a.mov(word_ptr(rsi + at + 6), 0)?;
    a.mov(qword_ptr(rsi + at + 8), 0)?;
    a.mov(qword_ptr(rsi + at + 16), 0)?;
    a.mov(dword_ptr(rsi + at + 28), 0)
}

/// Load the image at [rsi], save, compute, save again; leave the host FPU
/// and MXCSR at their defaults.
fn snippet(wide: bool, ops: impl Fn(&mut CodeAssembler) -> Result<(), IcedError>) -> Vec<u8> {
    asm(|a| {
        if wide {
            a.fxrstor64(ptr(rsi))?;
            a.fxsave64(ptr(rsi + SIZE as i32))?;
        } else {
            a.fxrstor(ptr(rsi))?;
            a.fxsave(ptr(rsi + SIZE as i32))?;
        }
        ops(a)?;
        if wide {
            a.fxsave64(ptr(rsi + 2 * SIZE as i32))?;
        } else {
            a.fxsave(ptr(rsi + 2 * SIZE as i32))?;
        }
        clear_unmodelled(a, SIZE as i32)?;
        clear_unmodelled(a, 2 * SIZE as i32)?;
        a.fninit()?;
        a.ldmxcsr(dword_ptr(rsi + DEFAULT_MXCSR as i32))
    })
}

fn case(rng: &mut Rng) -> Case {
    let mut case = rng.case();
    case.state.gpr[RSI] = 0;
    case.ptrs = vec![RSI];
    let mut mem = image(rng);
    mem.resize(DEFAULT_MXCSR, 0);
    mem.extend_from_slice(&0x1f80u32.to_le_bytes());
    case.state.mem = mem;
    case
}

#[test]
fn fxsave_fxrstor_round_trip() {
    let mut rng = Rng::new(0xf85);
    for wide in [false, true] {
        let code = snippet(wide, |_| Ok(()));
        for _ in 0..100 {
            check(&code, &case(&mut rng), 0);
        }
    }
}

#[test]
fn fxsave_sees_arithmetic_state() {
    let mut rng = Rng::new(0xf86);
    let code = snippet(true, |a| {
        a.addps(xmm1, xmm2)?;
        a.mulsd(xmm3, xmm4)?;
        a.divss(xmm5, xmm6)?;
        a.fld1()?;
        a.faddp(st1, st0)?;
        a.fldpi()?;
        a.fmul_2(st0, st3)
    });
    for _ in 0..200 {
        check(&code, &case(&mut rng), 0);
    }
}

#[test]
fn misaligned_area_and_reserved_mxcsr_bits_raise_gp() {
    let mut rng = Rng::new(0xf87);
    let mut c = case(&mut rng);
    for code in [
        asm(|a| a.fxsave(ptr(rsi + 8))),
        asm(|a| a.fxrstor64(ptr(rsi + 4))),
    ] {
        assert_eq!(run_ox86(&code, &c).1, End::Exception(excp::GP, 0));
    }
    c.state.mem[26] = 1;
    let code = asm(|a| a.fxrstor(ptr(rsi)));
    assert_eq!(run_ox86(&code, &c).1, End::Exception(excp::GP, 0));
}

#[test]
fn xsave_family_is_undefined_without_osxsave() {
    let mut rng = Rng::new(0xf88);
    for code in [
        asm(|a| a.xgetbv()),
        asm(|a| a.xsave(ptr(rsi))),
        asm(|a| a.xrstor64(ptr(rsi))),
        asm(|a| a.xsaveopt(ptr(rsi))),
    ] {
        assert_eq!(
            run_ox86(&code, &case(&mut rng)).1,
            End::Exception(excp::UD, 0)
        );
    }
}
