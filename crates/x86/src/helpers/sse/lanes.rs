//! Lane access for 128-bit XMM values held as `u128` (lane 0 in the low
//! bits): the vocabulary the packed-integer helpers are written in.

/// An integer element of an XMM register.
pub trait Lane: Copy {
    /// Width in bits.
    const BITS: u32;
    /// Element `i` of `v`.
    fn get(v: u128, i: usize) -> Self;
    /// The element's bits, zero-extended.
    fn bits(self) -> u128;
    /// The element made of the low bits of `v`.
    fn from_bits(v: u128) -> Self;
    /// The element's value (sign-extended for signed types).
    fn value(self) -> i128;
}

macro_rules! lane {
    ($($t:ty => $u:ty),*) => {$(
        impl Lane for $t {
            const BITS: u32 = <$t>::BITS;
            fn get(v: u128, i: usize) -> Self {
                (v >> (i as u32 * Self::BITS)) as $u as $t
            }
            fn bits(self) -> u128 {
                self as $u as u128
            }
            fn from_bits(v: u128) -> Self {
                v as $u as $t
            }
            fn value(self) -> i128 {
                self as i128
            }
        }
    )*};
}

lane!(u8 => u8, i8 => u8, u16 => u16, i16 => u16, u32 => u32, i32 => u32, u64 => u64, i64 => u64);

/// Element `i` of `v` as lane type `L`.
pub fn get<L: Lane>(v: u128, i: usize) -> L {
    L::get(v, i)
}

/// The value whose element `i` (of type `L`) is `f(i)`.
pub fn from_fn<L: Lane>(f: impl Fn(usize) -> L) -> u128 {
    (0..(128 / L::BITS) as usize).fold(0, |acc, i| acc | f(i).bits() << (i as u32 * L::BITS))
}

/// Element-wise `f(a[i], b[i])`.
pub fn map2<L: Lane>(a: u128, b: u128, f: impl Fn(L, L) -> L) -> u128 {
    from_fn(|i| f(L::get(a, i), L::get(b, i)))
}

/// Element-wise `f(a[i])`.
pub fn map1<L: Lane>(a: u128, f: impl Fn(L) -> L) -> u128 {
    from_fn(|i| f(L::get(a, i)))
}

/// All ones when `c`, else zero, as a lane mask.
pub fn mask<L: Lane>(c: bool) -> u128 {
    if c {
        u128::MAX >> (128 - L::BITS)
    } else {
        0
    }
}

/// Element-wise comparison: all ones where `f(a[i], b[i])` holds.
pub fn cmp<L: Lane>(a: u128, b: u128, f: impl Fn(L, L) -> bool) -> u128 {
    (0..(128 / L::BITS) as usize).fold(0, |acc, i| {
        acc | mask::<L>(f(L::get(a, i), L::get(b, i))) << (i as u32 * L::BITS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_round_trip() {
        let v = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        assert_eq!(get::<u8>(v, 15), 0x0f);
        assert_eq!(get::<i16>(v, 1), 0x0302);
        assert_eq!(from_fn::<u32>(|i| get::<u32>(v, i)), v);
        assert_eq!(map1::<i8>(v, |x| x), v);
        assert_eq!(cmp::<u16>(v, v, |x, y| x == y), u128::MAX);
    }
}
