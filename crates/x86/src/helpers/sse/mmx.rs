//! The MMX-register forms whose 64-bit result is not the low half of the
//! 128-bit instruction's: PACK*, PUNPCKH*, and the SSSE3 PHADD/PHSUB,
//! PSHUFB and PALIGNR. The other MMX forms call the XMM helpers with an
//! MMX destination (`MM0` + n). Here `a` is the MMX destination and `b`
//! the 64-bit source, both zero-extended; only the low 64 bits of the
//! result are kept.

use super::int::horizontal;
use super::lanes::{from_fn, get};
use super::shuffle::{pack, unpack};
use super::HelperInfo;
use crate::cpu::CpuState;

/// `a` and `b` side by side: the 128-bit helpers' view of an MMX pair
/// whose lanes they take from one operand and then the other.
fn joined(a: u128, b: u128) -> u128 {
    a | b << 64
}

fn pshufb(a: u128, b: u128) -> u128 {
    from_fn::<u8>(|i| {
        let sel = get::<u8>(b, i);
        if sel & 0x80 != 0 {
            0
        } else {
            get::<u8>(a, (sel & 7) as usize)
        }
    })
}

fn palignr(a: u128, b: u128, imm: u8) -> u128 {
    let shift = imm as u32 * 8;
    if shift >= 128 {
        0
    } else {
        joined(b, a) >> shift
    }
}

pure_ops! {
    PURE;
    /// PACKSSWB mm: signed words to signed bytes with saturation.
    PACKSSWB_MM = "packsswb_mm", |a, b, _| pack::<i16, i8>(joined(a, b), 0, -128, 127);
    /// PACKUSWB mm: signed words to unsigned bytes with saturation.
    PACKUSWB_MM = "packuswb_mm", |a, b, _| pack::<i16, u8>(joined(a, b), 0, 0, 255);
    /// PACKSSDW mm: signed doublewords to signed words with saturation.
    PACKSSDW_MM = "packssdw_mm", |a, b, _| pack::<i32, i16>(joined(a, b), 0, -32768, 32767);
    /// PUNPCKHBW mm: interleaves the high bytes.
    PUNPCKHBW_MM = "punpckhbw_mm", |a, b, _| unpack::<u8>(a >> 32, b >> 32, false);
    /// PUNPCKHWD mm: interleaves the high words.
    PUNPCKHWD_MM = "punpckhwd_mm", |a, b, _| unpack::<u16>(a >> 32, b >> 32, false);
    /// PUNPCKHDQ mm: the high doublewords of both.
    PUNPCKHDQ_MM = "punpckhdq_mm", |a, b, _| unpack::<u32>(a >> 32, b >> 32, false);
    /// PHADDW mm (SSSE3): horizontal wrapping word adds.
    PHADDW_MM = "phaddw_mm", |a, b, _| horizontal::<u16>(joined(a, b), 0, u16::wrapping_add);
    /// PHADDD mm (SSSE3): horizontal wrapping doubleword adds.
    PHADDD_MM = "phaddd_mm", |a, b, _| horizontal::<u32>(joined(a, b), 0, u32::wrapping_add);
    /// PHADDSW mm (SSSE3): horizontal signed saturating word adds.
    PHADDSW_MM = "phaddsw_mm", |a, b, _| horizontal::<i16>(joined(a, b), 0, i16::saturating_add);
    /// PHSUBW mm (SSSE3): horizontal wrapping word subtracts.
    PHSUBW_MM = "phsubw_mm", |a, b, _| horizontal::<u16>(joined(a, b), 0, u16::wrapping_sub);
    /// PHSUBD mm (SSSE3): horizontal wrapping doubleword subtracts.
    PHSUBD_MM = "phsubd_mm", |a, b, _| horizontal::<u32>(joined(a, b), 0, u32::wrapping_sub);
    /// PHSUBSW mm (SSSE3): horizontal signed saturating word subtracts.
    PHSUBSW_MM = "phsubsw_mm", |a, b, _| horizontal::<i16>(joined(a, b), 0, i16::saturating_sub);
    /// PSHUFB mm (SSSE3): bytes of the destination picked by the source bytes.
    PSHUFB_MM = "pshufb_mm", |a, b, _| pshufb(a, b);
    /// PALIGNR mm (SSSE3): the destination:source pair shifted right by bytes.
    PALIGNR_MM = "palignr_mm", |a, b, c| palignr(a, b, c as u8);
}
