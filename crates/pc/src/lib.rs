//! System mode: the PC around the CPU. Devices (PIC, PIT, UART, RTC,
//! i8042, POST port, debug exit) live in `devices/`, each a plain state
//! machine driven through byte-level port reads and writes.

pub mod devices;
