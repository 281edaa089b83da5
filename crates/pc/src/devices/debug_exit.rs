//! QEMU's `isa-debug-exit` device at port 0xf4 (four ports wide): a write
//! of V asks the machine to exit with status (V << 1) | 1, so test kernels
//! written for QEMU report their result the same way here.

/// The first port.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
/// Ports decoded from `DEBUG_EXIT_PORT`.
pub const DEBUG_EXIT_SIZE: u16 = 4;

/// The device: remembers the exit the guest asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct DebugExit {
    /// The exit status requested, if any.
    pub status: Option<i32>,
}

impl DebugExit {
    /// A write of `value` (1, 2 or 4 bytes wide) at any of its ports.
    pub fn write(&mut self, value: u32) {
        self.status = Some(((value << 1) | 1) as i32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_value_shifted_with_low_bit() {
        let mut d = DebugExit::default();
        assert_eq!(d.status, None);
        d.write(0);
        assert_eq!(d.status, Some(1));
        d.write(0x31);
        assert_eq!(d.status, Some(0x63));
    }
}
