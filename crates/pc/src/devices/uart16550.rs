//! The National Semiconductor 16550A UART (COM1 at 0x3f8, IRQ4): 16-byte
//! receive FIFO with trigger levels, character timeout, THRE and RDA
//! interrupts, LSR/MSR, divisor latch, scratch register and loopback.
//! Transmission is instantaneous: bytes written to THR are collected in
//! `tx` for the machine to send; received bytes come in through `receive`.

use super::{Clock, IrqLine};
use std::collections::VecDeque;

/// COM1's base port.
pub const COM1_BASE: u16 = 0x3f8;
/// COM1's ISA IRQ.
pub const COM1_IRQ: u8 = 4;

/// Receiver buffer (read) / transmitter holding (write) / divisor latch LSB.
pub const RBR: u8 = 0;
/// Interrupt enable / divisor latch MSB.
pub const IER: u8 = 1;
/// Interrupt identification (read) / FIFO control (write).
pub const IIR: u8 = 2;
/// Line control.
pub const LCR: u8 = 3;
/// Modem control.
pub const MCR: u8 = 4;
/// Line status.
pub const LSR: u8 = 5;
/// Modem status.
pub const MSR: u8 = 6;
/// Scratch.
pub const SCR: u8 = 7;

/// IER: received data available.
pub const IER_ERBFI: u8 = 0b0000_0001;
/// IER: transmitter holding register empty.
pub const IER_ETBEI: u8 = 0b0000_0010;
/// IER: receiver line status.
pub const IER_ELSI: u8 = 0b0000_0100;
/// IER: modem status.
pub const IER_EDSSI: u8 = 0b0000_1000;

/// IIR: no interrupt pending.
pub const IIR_NO_INT: u8 = 0b0000_0001;
/// IIR id: modem status.
pub const IIR_MODEM_STATUS: u8 = 0b0000_0000;
/// IIR id: THR empty.
pub const IIR_THR_EMPTY: u8 = 0b0000_0010;
/// IIR id: received data available.
pub const IIR_RX_DATA: u8 = 0b0000_0100;
/// IIR id: receiver line status.
pub const IIR_RX_LINE_STATUS: u8 = 0b0000_0110;
/// IIR id: character timeout.
pub const IIR_CHAR_TIMEOUT: u8 = 0b0000_1100;
/// IIR bits 6-7: FIFOs enabled.
pub const IIR_FIFO_ENABLED: u8 = 0b1100_0000;

/// FCR: enable FIFOs.
pub const FCR_FIFO_ENABLE: u8 = 0b0000_0001;
/// FCR: clear the receive FIFO.
pub const FCR_RX_RESET: u8 = 0b0000_0010;
/// FCR: clear the transmit FIFO.
pub const FCR_TX_RESET: u8 = 0b0000_0100;
/// FCR bits 6-7: receive trigger level (1, 4, 8, 14 bytes).
pub const FCR_RX_TRIGGER: u8 = 0b1100_0000;

/// LCR: word length (bits 0-1: 5 to 8 bits).
pub const LCR_WLS: u8 = 0b0000_0011;
/// LCR: two stop bits.
pub const LCR_STB: u8 = 0b0000_0100;
/// LCR: parity enable.
pub const LCR_PEN: u8 = 0b0000_1000;
/// LCR: divisor latch access bit.
pub const LCR_DLAB: u8 = 0b1000_0000;

/// MCR: data terminal ready.
pub const MCR_DTR: u8 = 0b0000_0001;
/// MCR: request to send.
pub const MCR_RTS: u8 = 0b0000_0010;
/// MCR: OUT1.
pub const MCR_OUT1: u8 = 0b0000_0100;
/// MCR: OUT2 (the PC's interrupt enable).
pub const MCR_OUT2: u8 = 0b0000_1000;
/// MCR: loopback.
pub const MCR_LOOP: u8 = 0b0001_0000;

/// LSR: data ready.
pub const LSR_DR: u8 = 0b0000_0001;
/// LSR: overrun error.
pub const LSR_OE: u8 = 0b0000_0010;
/// LSR: parity error.
pub const LSR_PE: u8 = 0b0000_0100;
/// LSR: framing error.
pub const LSR_FE: u8 = 0b0000_1000;
/// LSR: break interrupt.
pub const LSR_BI: u8 = 0b0001_0000;
/// LSR: transmitter holding register empty.
pub const LSR_THR_EMPTY: u8 = 0b0010_0000;
/// LSR: transmitter empty.
pub const LSR_TEMT: u8 = 0b0100_0000;
/// LSR: error in the receive FIFO.
pub const LSR_RX_FIFO_ERROR: u8 = 0b1000_0000;

/// MSR: delta clear to send.
pub const MSR_DCTS: u8 = 0b0000_0001;
/// MSR: delta data set ready.
pub const MSR_DDSR: u8 = 0b0000_0010;
/// MSR: trailing edge ring indicator.
pub const MSR_TERI: u8 = 0b0000_0100;
/// MSR: delta data carrier detect.
pub const MSR_DDCD: u8 = 0b0000_1000;
/// MSR: clear to send.
pub const MSR_CTS: u8 = 0b0001_0000;
/// MSR: data set ready.
pub const MSR_DSR: u8 = 0b0010_0000;
/// MSR: ring indicator.
pub const MSR_RI: u8 = 0b0100_0000;
/// MSR: data carrier detect.
pub const MSR_DCD: u8 = 0b1000_0000;

/// Bytes in the receive FIFO.
pub const FIFO_SIZE: usize = 16;
/// The divisor latch's reference: baud = 115200 / divisor.
pub const BAUD_BASE: u64 = 115_200;

/// The UART's registers and FIFOs.
#[derive(Clone, Debug)]
pub struct Uart16550 {
    /// Interrupt enable register.
    pub ier: u8,
    /// Line control register.
    pub lcr: u8,
    /// Modem control register.
    pub mcr: u8,
    /// Scratch register.
    pub scr: u8,
    /// Divisor latch (DLM:DLL).
    pub divisor: u16,
    /// FCR as last written (enable and trigger bits).
    pub fcr: u8,
    /// LSR error bits not yet read.
    lsr_errors: u8,
    /// MSR (line bits and deltas).
    msr: u8,
    /// The receive FIFO (one byte deep with FIFOs off).
    rx: VecDeque<u8>,
    /// A THR-empty interrupt is pending (cleared by reading it in IIR).
    thre_pending: bool,
    /// Guest time of the last receive FIFO activity (character timeout).
    rx_activity_ns: u64,
    /// Bytes transmitted, for the machine to send on.
    pub tx: Vec<u8>,
}

impl Default for Uart16550 {
    fn default() -> Self {
        Uart16550::new()
    }
}

impl Uart16550 {
    /// Reset state: 8N1 at 9600 baud, FIFOs off, a terminal attached
    /// (CTS, DSR and DCD asserted).
    pub fn new() -> Uart16550 {
        Uart16550 {
            ier: 0,
            lcr: 0b11,
            mcr: 0,
            scr: 0,
            divisor: 12,
            fcr: 0,
            lsr_errors: 0,
            msr: MSR_CTS | MSR_DSR | MSR_DCD,
            rx: VecDeque::with_capacity(FIFO_SIZE),
            thre_pending: false,
            rx_activity_ns: 0,
            tx: Vec::new(),
        }
    }

    fn fifo_enabled(&self) -> bool {
        self.fcr & FCR_FIFO_ENABLE != 0
    }

    fn rx_capacity(&self) -> usize {
        if self.fifo_enabled() {
            FIFO_SIZE
        } else {
            1
        }
    }

    fn rx_trigger(&self) -> usize {
        [1, 4, 8, 14][(self.fcr >> 6) as usize]
    }

    /// Nanoseconds the line takes for four characters at the current
    /// divisor and frame format (the character timeout).
    fn timeout_ns(&self) -> u64 {
        let bits = 1
            + 5
            + (self.lcr & LCR_WLS) as u64
            + (self.lcr & LCR_PEN != 0) as u64
            + 1
            + (self.lcr & LCR_STB != 0) as u64;
        let baud = BAUD_BASE / self.divisor.max(1) as u64;
        4 * bits * 1_000_000_000 / baud.max(1)
    }

    fn timed_out(&self, now: u64) -> bool {
        self.fifo_enabled() && !self.rx.is_empty() && now >= self.rx_activity_ns + self.timeout_ns()
    }

    /// The interrupt identification, highest priority first.
    fn iir(&self, now: u64) -> u8 {
        let id = if self.ier & IER_ELSI != 0 && self.lsr_errors != 0 {
            IIR_RX_LINE_STATUS
        } else if self.ier & IER_ERBFI != 0
            && !self.rx.is_empty()
            && (!self.fifo_enabled() || self.rx.len() >= self.rx_trigger())
        {
            IIR_RX_DATA
        } else if self.ier & IER_ERBFI != 0 && self.timed_out(now) {
            IIR_CHAR_TIMEOUT
        } else if self.ier & IER_ETBEI != 0 && self.thre_pending {
            IIR_THR_EMPTY
        } else if self.ier & IER_EDSSI != 0 && self.msr & 0x0f != 0 {
            IIR_MODEM_STATUS
        } else {
            IIR_NO_INT
        };
        if self.fifo_enabled() {
            id | IIR_FIFO_ENABLED
        } else {
            id
        }
    }

    fn update_irq(&self, now: u64, irq: &mut dyn IrqLine) {
        irq.set_level(self.iir(now) & IIR_NO_INT == 0);
    }

    fn lsr(&self) -> u8 {
        let mut v = self.lsr_errors | LSR_THR_EMPTY | LSR_TEMT;
        if !self.rx.is_empty() {
            v |= LSR_DR;
        }
        v
    }

    /// Sets the modem input lines (MSR bits 4-7), recording deltas.
    fn set_modem_lines(&mut self, lines: u8) {
        let old = self.msr;
        let changed = (old ^ lines) & 0xf0;
        let mut delta = 0;
        if changed & MSR_CTS != 0 {
            delta |= MSR_DCTS;
        }
        if changed & MSR_DSR != 0 {
            delta |= MSR_DDSR;
        }
        if changed & MSR_DCD != 0 {
            delta |= MSR_DDCD;
        }
        if old & MSR_RI != 0 && lines & MSR_RI == 0 {
            delta |= MSR_TERI;
        }
        self.msr = (old & 0x0f) | delta | (lines & 0xf0);
    }

    fn push_rx(&mut self, byte: u8, now: u64) {
        if self.rx.len() >= self.rx_capacity() {
            self.lsr_errors |= LSR_OE;
        } else {
            self.rx.push_back(byte);
        }
        self.rx_activity_ns = now;
    }

    /// Reads register `offset` (0-7).
    pub fn read(&mut self, offset: u8, clock: &dyn Clock, irq: &mut dyn IrqLine) -> u8 {
        let now = clock.now_ns();
        let dlab = self.lcr & LCR_DLAB != 0;
        let v = match offset {
            RBR if dlab => self.divisor as u8,
            RBR => {
                let b = self.rx.pop_front().unwrap_or(0);
                self.rx_activity_ns = now;
                b
            }
            IER if dlab => (self.divisor >> 8) as u8,
            IER => self.ier,
            IIR => {
                let v = self.iir(now);
                if v & 0x0f == IIR_THR_EMPTY {
                    self.thre_pending = false;
                }
                v
            }
            LCR => self.lcr,
            MCR => self.mcr,
            LSR => {
                let v = self.lsr();
                self.lsr_errors = 0;
                v
            }
            MSR => {
                let v = self.msr;
                self.msr &= 0xf0;
                v
            }
            _ => self.scr,
        };
        self.update_irq(now, irq);
        v
    }

    /// Writes register `offset` (0-7).
    pub fn write(&mut self, offset: u8, value: u8, clock: &dyn Clock, irq: &mut dyn IrqLine) {
        let now = clock.now_ns();
        let dlab = self.lcr & LCR_DLAB != 0;
        match offset {
            RBR if dlab => self.divisor = (self.divisor & 0xff00) | value as u16,
            RBR => {
                // The THR empties at once: the interrupt drops and comes back.
                self.thre_pending = false;
                self.update_irq(now, irq);
                if self.mcr & MCR_LOOP != 0 {
                    self.push_rx(value, now);
                } else {
                    self.tx.push(value);
                }
                self.thre_pending = true;
            }
            IER if dlab => self.divisor = (self.divisor & 0xff) | (value as u16) << 8,
            IER => {
                let enabling_thre = value & IER_ETBEI != 0 && self.ier & IER_ETBEI == 0;
                self.ier = value & 0x0f;
                if enabling_thre {
                    self.thre_pending = true;
                }
            }
            IIR => {
                if (value ^ self.fcr) & FCR_FIFO_ENABLE != 0 || value & FCR_RX_RESET != 0 {
                    self.rx.clear();
                }
                self.fcr = value & (FCR_FIFO_ENABLE | FCR_RX_TRIGGER);
            }
            LCR => self.lcr = value,
            MCR => {
                self.mcr = value & 0x1f;
                if self.mcr & MCR_LOOP != 0 {
                    let m = self.mcr;
                    let mut lines = 0;
                    if m & MCR_RTS != 0 {
                        lines |= MSR_CTS;
                    }
                    if m & MCR_DTR != 0 {
                        lines |= MSR_DSR;
                    }
                    if m & MCR_OUT1 != 0 {
                        lines |= MSR_RI;
                    }
                    if m & MCR_OUT2 != 0 {
                        lines |= MSR_DCD;
                    }
                    self.set_modem_lines(lines);
                } else {
                    self.set_modem_lines(MSR_CTS | MSR_DSR | MSR_DCD);
                }
            }
            LSR | MSR => {}
            _ => self.scr = value,
        }
        self.update_irq(now, irq);
    }

    /// True when the receiver can take another byte from the host.
    pub fn can_receive(&self) -> bool {
        self.mcr & MCR_LOOP == 0 && self.rx.len() < self.rx_capacity()
    }

    /// A byte arrives on the line (dropped with an overrun if full; check
    /// `can_receive` first).
    pub fn receive(&mut self, byte: u8, clock: &dyn Clock, irq: &mut dyn IrqLine) {
        let now = clock.now_ns();
        self.push_rx(byte, now);
        self.update_irq(now, irq);
    }

    /// Re-evaluates time-dependent interrupts (the character timeout).
    pub fn update(&mut self, clock: &dyn Clock, irq: &mut dyn IrqLine) {
        self.update_irq(clock.now_ns(), irq);
    }

    /// Guest time at which the character timeout will fire, if it is
    /// armed and has not fired yet.
    pub fn next_event_ns(&self, clock: &dyn Clock) -> Option<u64> {
        let armed = self.fifo_enabled()
            && self.ier & IER_ERBFI != 0
            && !self.rx.is_empty()
            && self.rx.len() < self.rx_trigger()
            && !self.timed_out(clock.now_ns());
        armed.then(|| self.rx_activity_ns + self.timeout_ns())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::testing::{FakeClock, Line};

    fn setup() -> (Uart16550, FakeClock, Line) {
        (Uart16550::new(), FakeClock::default(), Line::default())
    }

    #[test]
    fn transmits_and_keeps_thr_empty() {
        let (mut u, c, mut irq) = setup();
        for &b in b"ok\n" {
            assert_ne!(u.read(LSR, &c, &mut irq) & LSR_THR_EMPTY, 0);
            u.write(RBR, b, &c, &mut irq);
        }
        assert_eq!(u.tx, b"ok\n");
        assert_eq!(u.read(LSR, &c, &mut irq) & (LSR_THR_EMPTY | LSR_TEMT), 0x60);
    }

    #[test]
    fn divisor_latch_and_scratch() {
        let (mut u, c, mut irq) = setup();
        u.write(LCR, LCR_DLAB | 0b11, &c, &mut irq);
        u.write(RBR, 0x01, &c, &mut irq);
        u.write(IER, 0x00, &c, &mut irq);
        assert_eq!(u.divisor, 1);
        assert_eq!(u.read(RBR, &c, &mut irq), 1);
        u.write(LCR, 0b11, &c, &mut irq);
        assert!(u.tx.is_empty(), "divisor writes do not transmit");
        u.write(SCR, 0x5a, &c, &mut irq);
        assert_eq!(u.read(SCR, &c, &mut irq), 0x5a);
    }

    #[test]
    fn thre_interrupt_on_enable_and_after_each_write() {
        let (mut u, c, mut irq) = setup();
        u.write(IER, IER_ETBEI, &c, &mut irq);
        assert!(irq.level);
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_THR_EMPTY);
        assert!(!irq.level, "reading IIR clears THRE");
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_NO_INT);
        let edges = irq.edges;
        u.write(RBR, b'x', &c, &mut irq);
        assert!(irq.level);
        assert_eq!(irq.edges, edges + 1);
    }

    #[test]
    fn rda_interrupt_without_fifo() {
        let (mut u, c, mut irq) = setup();
        u.write(IER, IER_ERBFI, &c, &mut irq);
        assert!(u.can_receive());
        u.receive(b'a', &c, &mut irq);
        assert!(irq.level);
        assert!(!u.can_receive());
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_RX_DATA);
        assert_eq!(u.read(LSR, &c, &mut irq) & LSR_DR, LSR_DR);
        assert_eq!(u.read(RBR, &c, &mut irq), b'a');
        assert!(!irq.level);
        assert_eq!(u.read(LSR, &c, &mut irq) & LSR_DR, 0);
    }

    #[test]
    fn overrun_sets_oe_and_line_status_interrupt() {
        let (mut u, c, mut irq) = setup();
        u.write(IER, IER_ELSI, &c, &mut irq);
        u.receive(b'a', &c, &mut irq);
        u.receive(b'b', &c, &mut irq);
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_RX_LINE_STATUS);
        assert_eq!(u.read(LSR, &c, &mut irq) & LSR_OE, LSR_OE);
        assert_eq!(u.read(LSR, &c, &mut irq) & LSR_OE, 0, "LSR read clears OE");
        assert!(!irq.level);
    }

    #[test]
    fn fifo_trigger_level_and_timeout() {
        let (mut u, c, mut irq) = setup();
        u.write(IIR, FCR_FIFO_ENABLE | 0b0100_0000, &c, &mut irq);
        u.write(IER, IER_ERBFI, &c, &mut irq);
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_FIFO_ENABLED | IIR_NO_INT);
        for &b in b"abc" {
            u.receive(b, &c, &mut irq);
        }
        assert!(!irq.level, "below the trigger level of 4");
        let t = u.next_event_ns(&c).unwrap();
        c.0.set(t);
        u.update(&c, &mut irq);
        assert!(irq.level);
        assert_eq!(u.next_event_ns(&c), None, "fired: no deadline to wake for");
        assert_eq!(
            u.read(IIR, &c, &mut irq),
            IIR_FIFO_ENABLED | IIR_CHAR_TIMEOUT
        );
        u.receive(b'd', &c, &mut irq);
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_FIFO_ENABLED | IIR_RX_DATA);
        let got: Vec<u8> = (0..4).map(|_| u.read(RBR, &c, &mut irq)).collect();
        assert_eq!(got, b"abcd");
        assert!(!irq.level);
        for k in 0..FIFO_SIZE {
            assert!(u.can_receive(), "{k}");
            u.receive(k as u8, &c, &mut irq);
        }
        assert!(!u.can_receive());
        u.write(IIR, FCR_FIFO_ENABLE | FCR_RX_RESET, &c, &mut irq);
        assert_eq!(u.read(LSR, &c, &mut irq) & LSR_DR, 0);
    }

    #[test]
    fn loopback_echoes_and_mirrors_modem_lines() {
        let (mut u, c, mut irq) = setup();
        u.write(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS, &c, &mut irq);
        let msr = u.read(MSR, &c, &mut irq);
        assert_eq!(msr & 0xf0, MSR_CTS | MSR_DCD);
        assert_eq!(msr & (MSR_DDSR), MSR_DDSR, "DSR dropped");
        u.write(RBR, 0x42, &c, &mut irq);
        assert!(u.tx.is_empty());
        assert_eq!(u.read(RBR, &c, &mut irq), 0x42);
        u.write(MCR, 0, &c, &mut irq);
        assert_eq!(
            u.read(MSR, &c, &mut irq) & 0xf0,
            MSR_CTS | MSR_DSR | MSR_DCD
        );
    }

    #[test]
    fn modem_status_interrupt() {
        let (mut u, c, mut irq) = setup();
        u.write(MCR, MCR_LOOP | MCR_OUT1, &c, &mut irq);
        u.read(MSR, &c, &mut irq);
        u.write(IER, IER_EDSSI, &c, &mut irq);
        u.write(MCR, MCR_LOOP, &c, &mut irq);
        assert!(irq.level);
        assert_eq!(u.read(IIR, &c, &mut irq), IIR_MODEM_STATUS);
        assert_eq!(u.read(MSR, &c, &mut irq) & MSR_TERI, MSR_TERI);
        assert!(!irq.level);
    }
}
