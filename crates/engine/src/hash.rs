//! A small multiplicative hasher for the TB hash: its keys are a few
//! machine words ox86 chooses (guest pcs, mode flags), so SipHash's
//! resistance to chosen keys buys nothing and costs a large share of a
//! lookup.

use std::hash::{BuildHasherDefault, Hasher};

/// 2^64 divided by the golden ratio, made odd: multiplying by it spreads
/// every input bit over the high half of the product.
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Folds each word into the state with a rotate, an xor and a multiply;
/// `finish` mixes the result (SplitMix64's finaliser) so that both the low
/// bits (the bucket index) and the high bits (the table's tag) depend on
/// every input bit.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(K);
    }

    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }

    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// `BuildHasher` for maps keyed by TB keys and guest addresses.
pub type BuildWordHasher = BuildHasherDefault<WordHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn nearby_pcs_spread_like_random_keys() {
        // 4096 keys in 4096 buckets: random hashing fills about 63%.
        let b = BuildWordHasher::default();
        for stride in [1, 3, 4, 16] {
            for bits in [(0, 0xfff), (52, 0xfff)] {
                let mut buckets: Vec<u64> = (0..4096u64)
                    .map(|i| b.hash_one(0x40_1000 + i * stride) >> bits.0 & bits.1)
                    .collect();
                buckets.sort_unstable();
                buckets.dedup();
                assert!(buckets.len() > 2450, "stride {stride}: {}", buckets.len());
            }
        }
    }
}
