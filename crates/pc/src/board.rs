//! The PC's devices wired together: the I/O port map, each device's IRQ
//! line into the PIC, the guest clock, the serial console's output, and
//! the requests the machine acts on (debug exit, reset, A20). As the CPU's
//! `Bus`, the board answers IN/OUT and the physical addresses beyond RAM.

use crate::console::Kick;
use crate::devices::debug_exit::{DebugExit, DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE};
use crate::devices::i8042::{self, I8042};
use crate::devices::pic8259::{self, PicIrq, PicPair};
use crate::devices::pit8254::{self, Pit8254};
use crate::devices::post::{PostPort, POST_PORT};
use crate::devices::rtc::{self, Rtc};
use crate::devices::uart16550::{self, Uart16550};
use crate::devices::{Clock, IrqLine};
use ox86_x86::system::Bus;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

/// System control port A: bit 0 fast reset, bit 1 A20.
pub const PORT_A: u16 = 0x92;
/// The reset control register: writing 0x06 or 0x0e resets.
pub const RESET_CONTROL: u16 = 0xcf9;
/// Most PIT periods made up for after the CPU ran late (a second at 1 kHz).
const MAX_IRQ0_BACKLOG: u64 = 1000;
/// Port A bit 0: fast reset.
pub const PORT_A_RESET: u8 = 0b01;
/// Port A bit 1: A20 gate.
pub const PORT_A_A20: u8 = 0b10;

/// Guest time: the host's monotonic clock since the machine started.
pub struct HostClock {
    start: Instant,
}

impl HostClock {
    /// A clock reading 0 now.
    pub fn new() -> HostClock {
        HostClock {
            start: Instant::now(),
        }
    }

    /// The host instant of guest time `ns`.
    pub fn instant_at(&self, ns: u64) -> Instant {
        self.start + std::time::Duration::from_nanos(ns)
    }
}

impl Default for HostClock {
    fn default() -> Self {
        HostClock::new()
    }
}

impl Clock for HostClock {
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// All devices.
pub struct Board {
    /// 8259A pair.
    pub pic: PicPair,
    /// 8254 and port B.
    pub pit: Pit8254,
    /// COM1.
    pub uart: Uart16550,
    /// RTC and CMOS RAM.
    pub rtc: Rtc,
    /// Keyboard controller.
    pub kbc: I8042,
    /// Port 0x80.
    pub post: PostPort,
    /// isa-debug-exit.
    pub debug_exit: DebugExit,
    /// System control port A.
    pub port_a: u8,
    /// A reset was requested through port A or 0xcf9.
    pub reset_requested: bool,
    /// Guest time.
    pub clock: HostClock,
    /// Where COM1's output goes.
    pub serial_out: Box<dyn Write>,
    /// Makes the CPU return to the machine loop (for an exit or reset).
    pub kick: Option<Kick>,
    /// PIT periods that ended while IRQ0 was still requested (the host ran
    /// the CPU late, or the guest had interrupts off): raised one by one as
    /// the guest takes them, so a guest counting ticks keeps time (QEMU's
    /// "delay" policy for lost ticks). Not kept while IRQ0 is masked.
    irq0_backlog: u64,
}

impl Board {
    /// A board with every device at power-on, COM1 writing to `serial_out`,
    /// the RTC at the host's wall-clock time, and CMOS describing `ram_size`.
    pub fn new(ram_size: u64, serial_out: Box<dyn Write>) -> Board {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let mut rtc = Rtc::new(wall);
        // CMOS memory size bytes as BIOSes leave them: base memory in KiB,
        // extended memory (1-64 MiB) in KiB, memory above 16 MiB in 64 KiB.
        let ext_kib = (ram_size.saturating_sub(1 << 20) >> 10).min(0xffff);
        let above16 = (ram_size.saturating_sub(16 << 20) >> 16).min(0xffff);
        for (r, v) in [
            (0x15, 640u64 & 0xff),
            (0x16, 640 >> 8),
            (0x17, ext_kib & 0xff),
            (0x18, ext_kib >> 8),
            (0x30, ext_kib & 0xff),
            (0x31, ext_kib >> 8),
            (0x34, above16 & 0xff),
            (0x35, above16 >> 8),
        ] {
            rtc.ram[r] = v as u8;
        }
        Board {
            pic: PicPair::new(),
            pit: Pit8254::new(),
            uart: Uart16550::new(),
            rtc,
            kbc: I8042::new(),
            post: PostPort::default(),
            debug_exit: DebugExit::default(),
            port_a: PORT_A_A20,
            reset_requested: false,
            clock: HostClock::new(),
            serial_out,
            kick: None,
            irq0_backlog: 0,
        }
    }

    /// A system reset: every device back to its power-on state except the
    /// RTC and its CMOS RAM (battery-backed) and the serial output.
    pub fn reset(&mut self) {
        self.pic = PicPair::new();
        self.pit = Pit8254::new();
        self.uart = Uart16550::new();
        self.kbc = I8042::new();
        self.post = PostPort::default();
        self.debug_exit = DebugExit::default();
        self.port_a = PORT_A_A20;
        self.reset_requested = false;
        self.irq0_backlog = 0;
    }

    /// A20 is on (keyboard controller output port or port A).
    pub fn a20_enabled(&self) -> bool {
        self.kbc.a20_enabled() || self.port_a & PORT_A_A20 != 0
    }

    /// A reset was requested by any device.
    pub fn reset_pending(&self) -> bool {
        self.reset_requested || self.kbc.reset_requested
    }

    /// Reads one byte at `port`.
    fn read8(&mut self, port: u16) -> u8 {
        let c = &self.clock;
        match port {
            pic8259::MASTER_COMMAND
            | pic8259::MASTER_DATA
            | pic8259::SLAVE_COMMAND
            | pic8259::SLAVE_DATA => self.pic.read(port),
            pit8254::COUNTER0..=pit8254::CONTROL => {
                self.pit.read((port - pit8254::COUNTER0) as u8, c)
            }
            pit8254::PORT_B => self.pit.read_port_b(c),
            i8042::DATA_PORT | i8042::COMMAND_PORT => {
                let (mut k, mut a) = (Latched::default(), Latched::default());
                let v = self
                    .kbc
                    .read((port - i8042::DATA_PORT) as u8, &mut k, &mut a);
                k.apply(&mut self.pic, i8042::KBD_IRQ);
                a.apply(&mut self.pic, i8042::AUX_IRQ);
                v
            }
            rtc::RTC_INDEX | rtc::RTC_DATA => {
                let mut irq = PicIrq {
                    pic: &mut self.pic,
                    irq: rtc::RTC_IRQ,
                };
                self.rtc.read((port - rtc::RTC_INDEX) as u8, c, &mut irq)
            }
            POST_PORT => self.post.read(),
            PORT_A => self.port_a,
            p if (uart16550::COM1_BASE..uart16550::COM1_BASE + 8).contains(&p) => {
                let mut irq = PicIrq {
                    pic: &mut self.pic,
                    irq: uart16550::COM1_IRQ,
                };
                self.uart
                    .read((p - uart16550::COM1_BASE) as u8, c, &mut irq)
            }
            _ => 0xff,
        }
    }

    /// Writes one byte at `port`.
    fn write8(&mut self, port: u16, v: u8) {
        let c = &self.clock;
        match port {
            pic8259::MASTER_COMMAND
            | pic8259::MASTER_DATA
            | pic8259::SLAVE_COMMAND
            | pic8259::SLAVE_DATA => self.pic.write(port, v),
            pit8254::COUNTER0..=pit8254::CONTROL => {
                let mut irq = PicIrq {
                    pic: &mut self.pic,
                    irq: 0,
                };
                self.pit
                    .write((port - pit8254::COUNTER0) as u8, v, c, &mut irq)
            }
            pit8254::PORT_B => self.pit.write_port_b(v, c),
            i8042::DATA_PORT | i8042::COMMAND_PORT => {
                let (mut k, mut a) = (Latched::default(), Latched::default());
                self.kbc
                    .write((port - i8042::DATA_PORT) as u8, v, &mut k, &mut a);
                k.apply(&mut self.pic, i8042::KBD_IRQ);
                a.apply(&mut self.pic, i8042::AUX_IRQ);
            }
            rtc::RTC_INDEX | rtc::RTC_DATA => {
                let mut irq = PicIrq {
                    pic: &mut self.pic,
                    irq: rtc::RTC_IRQ,
                };
                self.rtc
                    .write((port - rtc::RTC_INDEX) as u8, v, c, &mut irq)
            }
            POST_PORT => self.post.write(v),
            PORT_A => {
                if v & PORT_A_RESET != 0 && self.port_a & PORT_A_RESET == 0 {
                    self.reset_requested = true;
                }
                self.port_a = v;
            }
            RESET_CONTROL if v & 0x04 != 0 => self.reset_requested = true,
            p if (uart16550::COM1_BASE..uart16550::COM1_BASE + 8).contains(&p) => {
                let mut irq = PicIrq {
                    pic: &mut self.pic,
                    irq: uart16550::COM1_IRQ,
                };
                self.uart
                    .write((p - uart16550::COM1_BASE) as u8, v, c, &mut irq);
                self.flush_serial();
            }
            _ => {}
        }
    }

    /// Sends COM1's transmitted bytes on.
    pub fn flush_serial(&mut self) {
        if !self.uart.tx.is_empty() {
            let _ = self.serial_out.write_all(&self.uart.tx);
            let _ = self.serial_out.flush();
            self.uart.tx.clear();
        }
    }

    /// IN: `size` bytes at `port` (wider accesses read consecutive ports).
    pub fn io_read(&mut self, port: u16, size: u32) -> u32 {
        (0..size).fold(0, |v, k| {
            v | (self.read8(port.wrapping_add(k as u16)) as u32) << (8 * k)
        })
    }

    /// OUT: `size` bytes at `port` (the debug-exit device takes the whole value).
    pub fn io_write(&mut self, port: u16, size: u32, value: u32) {
        if (DEBUG_EXIT_PORT..DEBUG_EXIT_PORT + DEBUG_EXIT_SIZE).contains(&port) {
            let mask = if size == 4 {
                u32::MAX
            } else {
                (1 << (8 * size)) - 1
            };
            self.debug_exit.write(value & mask);
            return;
        }
        for k in 0..size {
            self.write8(port.wrapping_add(k as u16), (value >> (8 * k)) as u8);
        }
    }

    /// Brings time-driven device state up to now (PIT, RTC, UART timeout).
    pub fn poll(&mut self) {
        let c = &Now(self.clock.now_ns());
        let mut irq0 = PicIrq {
            pic: &mut self.pic,
            irq: 0,
        };
        let edges = self.pit.update(c, &mut irq0);
        // Ticks the guest masked are not made up for.
        self.irq0_backlog = if self.pic.master.imr & 1 != 0 {
            0
        } else {
            (self.irq0_backlog + edges.saturating_sub(1)).min(MAX_IRQ0_BACKLOG)
        };
        if edges == 0 && self.irq0_backlog > 0 && self.pic.master.irr & 1 == 0 {
            // One made-up edge, the line then back at OUT0's level.
            self.irq0_backlog -= 1;
            let out = self.pit.out0(c);
            let mut irq0 = PicIrq {
                pic: &mut self.pic,
                irq: 0,
            };
            irq0.set_level(false);
            irq0.set_level(true);
            irq0.set_level(out);
        }
        self.rtc.update(
            c,
            &mut PicIrq {
                pic: &mut self.pic,
                irq: rtc::RTC_IRQ,
            },
        );
        self.uart.update(
            c,
            &mut PicIrq {
                pic: &mut self.pic,
                irq: uart16550::COM1_IRQ,
            },
        );
    }

    /// Gives COM1 a received byte if it has room; false if it has none.
    pub fn serial_input(&mut self, byte: u8) -> bool {
        if !self.uart.can_receive() {
            return false;
        }
        let mut irq = PicIrq {
            pic: &mut self.pic,
            irq: uart16550::COM1_IRQ,
        };
        self.uart.receive(byte, &self.clock, &mut irq);
        true
    }

    /// Guest time of the next device event that may raise an interrupt.
    pub fn next_event_ns(&self) -> Option<u64> {
        let c = &Now(self.clock.now_ns());
        [
            self.pit.next_irq_ns(c),
            self.rtc.next_event_ns(c),
            self.uart.next_event_ns(c),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// One reading of the guest clock, for a group of device calls that
/// should see the same time (and cost one clock read).
struct Now(u64);

impl Clock for Now {
    fn now_ns(&self) -> u64 {
        self.0
    }
}

/// A line whose final level reaches the PIC after the device call (for
/// the i8042, which drives two lines at once).
#[derive(Default)]
struct Latched(Option<bool>);

impl IrqLine for Latched {
    fn set_level(&mut self, level: bool) {
        self.0 = Some(level);
    }
}

impl Latched {
    fn apply(self, pic: &mut PicPair, irq: u8) {
        if let Some(level) = self.0 {
            pic.set_irq(irq, level);
        }
    }
}

/// The board as the CPU's bus.
pub struct BoardBus(pub Rc<RefCell<Board>>);

impl Bus for BoardBus {
    fn mmio_read(&mut self, _addr: u64, size: u32) -> u64 {
        u64::MAX >> (64 - 8 * size)
    }

    fn mmio_write(&mut self, _addr: u64, _size: u32, _value: u64) {}

    fn io_read(&mut self, port: u16, size: u32) -> u32 {
        self.0.borrow_mut().io_read(port, size)
    }

    fn io_write(&mut self, port: u16, size: u32, value: u32) {
        self.0.borrow_mut().io_write(port, size, value)
    }

    fn now_ns(&self) -> u64 {
        self.0.borrow().clock.now_ns()
    }

    fn intr(&self) -> bool {
        self.0.borrow().pic.intr()
    }

    fn a20(&self) -> bool {
        self.0.borrow().a20_enabled()
    }
}
