//! Guest code for the unit tests of the translator's scans: bytes at
//! 0x1000, the start of a page, and nothing readable elsewhere.

use super::CodeFetch;

/// Guest code at 0x1000.
pub struct Code(pub Vec<u8>);

impl CodeFetch for Code {
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        let Some(off) = addr.checked_sub(0x1000) else {
            return 0;
        };
        let have = self.0.get(off as usize..).unwrap_or(&[]);
        let n = buf.len().min(have.len());
        buf[..n].copy_from_slice(&have[..n]);
        n
    }
}
