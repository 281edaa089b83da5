//! The POST diagnostic port 0x80: firmware and kernels write progress
//! codes there (and Linux uses it as an I/O delay). It keeps the last code.

/// The port.
pub const POST_PORT: u16 = 0x80;

/// The POST code latch.
#[derive(Clone, Copy, Debug, Default)]
pub struct PostPort {
    /// The last byte written.
    pub last: u8,
}

impl PostPort {
    /// Reads the latch.
    pub fn read(&self) -> u8 {
        self.last
    }

    /// Writes a code.
    pub fn write(&mut self, value: u8) {
        self.last = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_code() {
        let mut p = PostPort::default();
        p.write(0x12);
        p.write(0x34);
        assert_eq!(p.read(), 0x34);
    }
}
