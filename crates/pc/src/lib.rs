//! System mode: the PC around the CPU. Devices (PIC, PIT, UART, RTC,
//! i8042, POST port, debug exit) live in `devices/`, each a plain state
//! machine driven through byte-level port reads and writes; the board
//! wires them to ports and IRQs; `boot` loads a kernel; `machine` runs
//! the CPU, delivers interrupts and sleeps while it halts.

pub mod board;
pub mod boot;
pub mod console;
pub mod devices;
pub mod error;
pub mod machine;

pub use error::PcError;
pub use machine::{Config, Machine};
