//! The classic PC devices. None does I/O or owns a thread: each is a plain
//! state struct with byte-level `read`/`write` at a port offset; time comes
//! from a `Clock` and interrupt outputs go to an `IrqLine`, both passed in
//! by the caller, so unit tests drive them with a fake clock.

pub mod debug_exit;
pub mod i8042;
pub mod pic8259;
pub mod pit8254;
pub mod post;
pub mod rtc;
pub mod uart16550;

/// Guest-visible time: nanoseconds on a monotonic clock that starts at 0
/// when the machine is created.
pub trait Clock {
    /// The current time in nanoseconds.
    fn now_ns(&self) -> u64;
}

/// An interrupt request line a device drives (an input of the 8259A).
pub trait IrqLine {
    /// Sets the line's level (true: asserted).
    fn set_level(&mut self, level: bool);

    /// A rising edge that ends low again (what an edge-triggered input sees
    /// as one request).
    fn pulse(&mut self) {
        self.set_level(false);
        self.set_level(true);
        self.set_level(false);
    }
}

/// A line connected to nothing.
pub struct NoIrq;

impl IrqLine for NoIrq {
    fn set_level(&mut self, _level: bool) {}
}

#[cfg(test)]
pub(crate) mod testing {
    //! Test doubles: a clock the test moves by hand and a line that
    //! records its level and counts rising edges.

    use super::{Clock, IrqLine};
    use std::cell::Cell;

    /// A clock that only moves when told to.
    #[derive(Default)]
    pub struct FakeClock(pub Cell<u64>);

    impl FakeClock {
        /// Moves time forward by `ns`.
        pub fn advance(&self, ns: u64) {
            self.0.set(self.0.get() + ns);
        }
    }

    impl Clock for FakeClock {
        fn now_ns(&self) -> u64 {
            self.0.get()
        }
    }

    /// A line that remembers its level and counts rising edges.
    #[derive(Default, Debug)]
    pub struct Line {
        pub level: bool,
        pub edges: u32,
    }

    impl IrqLine for Line {
        fn set_level(&mut self, level: bool) {
            if level && !self.level {
                self.edges += 1;
            }
            self.level = level;
        }
    }
}
