//! The Intel 8259A programmable interrupt controller, and the pair a PC
//! wires: master at ports 0x20/0x21, slave at 0xA0/0xA1 on master IR2.
//! Initialisation words ICW1-4, operation words OCW1-3, IRR/ISR/IMR,
//! fully nested and rotating priority, specific and non-specific EOI,
//! automatic EOI, special mask mode, poll mode and spurious IR7.

use super::IrqLine;

/// ICW1 bit 0: ICW4 will be written.
pub const ICW1_IC4: u8 = 0b0000_0001;
/// ICW1 bit 1: single 8259A (no ICW3).
pub const ICW1_SNGL: u8 = 0b0000_0010;
/// ICW1 bit 3: level-triggered inputs.
pub const ICW1_LTIM: u8 = 0b0000_1000;
/// Bit 4 of a command-port write: this is ICW1.
pub const ICW1_INIT: u8 = 0b0001_0000;
/// ICW4 bit 0: 8086/8088 mode.
pub const ICW4_UPM: u8 = 0b0000_0001;
/// ICW4 bit 1: automatic end of interrupt.
pub const ICW4_AEOI: u8 = 0b0000_0010;
/// ICW4 bit 4: special fully nested mode.
pub const ICW4_SFNM: u8 = 0b0001_0000;
/// OCW2 bit 5: end of interrupt.
pub const OCW2_EOI: u8 = 0b0010_0000;
/// OCW2 bit 6: specific level (L2-L0 in bits 0-2).
pub const OCW2_SL: u8 = 0b0100_0000;
/// OCW2 bit 7: rotate.
pub const OCW2_R: u8 = 0b1000_0000;
/// Bit 3 of a command-port write with bit 4 clear: this is OCW3.
pub const OCW3_SEL: u8 = 0b0000_1000;
/// OCW3 bit 0: read ISR (with RR) instead of IRR.
pub const OCW3_RIS: u8 = 0b0000_0001;
/// OCW3 bit 1: read register command.
pub const OCW3_RR: u8 = 0b0000_0010;
/// OCW3 bit 2: poll command.
pub const OCW3_P: u8 = 0b0000_0100;
/// OCW3 bit 5: special mask mode (with ESMM).
pub const OCW3_SMM: u8 = 0b0010_0000;
/// OCW3 bit 6: enable the special mask mode bit.
pub const OCW3_ESMM: u8 = 0b0100_0000;

/// Master command port (ICW1, OCW2, OCW3; reads IRR/ISR/poll).
pub const MASTER_COMMAND: u16 = 0x20;
/// Master data port (ICW2-4, OCW1 = IMR).
pub const MASTER_DATA: u16 = 0x21;
/// Slave command port.
pub const SLAVE_COMMAND: u16 = 0xa0;
/// Slave data port.
pub const SLAVE_DATA: u16 = 0xa1;
/// The master input the slave's INT output drives.
pub const CASCADE_IRQ: u8 = 2;

/// Which initialisation word the data port expects next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Init {
    /// Initialised: data writes are OCW1.
    #[default]
    Done,
    Icw2,
    Icw3,
    Icw4,
}

/// One 8259A.
#[derive(Clone, Debug, Default)]
pub struct Pic8259 {
    /// Interrupt request register.
    pub irr: u8,
    /// In-service register.
    pub isr: u8,
    /// Interrupt mask register (OCW1).
    pub imr: u8,
    /// Current level of each IR input.
    lines: u8,
    /// Vector of IR0 (ICW2 bits 3-7).
    pub vector_base: u8,
    /// ICW3: slaves on a master, the cascade id on a slave.
    pub icw3: u8,
    init: Init,
    icw4_needed: bool,
    single: bool,
    level_triggered: bool,
    auto_eoi: bool,
    rotate_on_aeoi: bool,
    special_fully_nested: bool,
    special_mask: bool,
    read_isr: bool,
    poll: bool,
    /// The IR with the lowest priority; IR (lowest + 1) & 7 has the highest.
    lowest_priority: u8,
}

impl Pic8259 {
    /// A chip in its power-on state (IR0 highest priority, nothing masked).
    pub fn new() -> Pic8259 {
        Pic8259 {
            lowest_priority: 7,
            ..Default::default()
        }
    }

    /// Priority rank of IR `irq`: 0 is the highest.
    fn rank(&self, irq: u8) -> u8 {
        irq.wrapping_sub(self.lowest_priority.wrapping_add(1)) & 7
    }

    /// The highest-priority IR whose bit is set in `bits`.
    fn highest(&self, bits: u8) -> Option<u8> {
        (0..8)
            .map(|k| (self.lowest_priority + 1 + k) & 7)
            .find(|&irq| bits & (1 << irq) != 0)
    }

    /// The IR this chip would present at the next INTA, if any: the highest
    /// unmasked request above every interrupt in service.
    pub fn pending(&self, cascade: u8) -> Option<u8> {
        let irq = self.highest(self.irr & !self.imr)?;
        let mut blocking = self.isr;
        if self.special_mask {
            blocking &= !self.imr;
        }
        if self.special_fully_nested {
            blocking &= !cascade;
        }
        match self.highest(blocking) {
            Some(cur) if self.rank(cur) <= self.rank(irq) => None,
            _ => Some(irq),
        }
    }

    /// Drives IR input `irq` to `level`: a rising edge (or, level-triggered,
    /// a high level) sets the IRR bit.
    pub fn set_line(&mut self, irq: u8, level: bool) {
        let bit = 1 << irq;
        if level {
            if self.level_triggered || self.lines & bit == 0 {
                self.irr |= bit;
            }
            self.lines |= bit;
        } else {
            if self.level_triggered {
                self.irr &= !bit;
            }
            self.lines &= !bit;
        }
    }

    /// An interrupt acknowledge cycle: the IR delivered (ISR set unless in
    /// automatic-EOI mode), or `None` when nothing is pending (spurious).
    pub fn acknowledge(&mut self, cascade: u8) -> Option<u8> {
        let irq = self.pending(cascade)?;
        let bit = 1 << irq;
        self.irr &= !bit;
        if self.level_triggered {
            self.irr |= self.lines & bit;
        }
        if self.auto_eoi {
            if self.rotate_on_aeoi {
                self.lowest_priority = irq;
            }
        } else {
            self.isr |= bit;
        }
        Some(irq)
    }

    /// Reads the command (`offset` 0) or data (1) port.
    pub fn read(&mut self, offset: u8, cascade: u8) -> u8 {
        if offset & 1 == 1 {
            return self.imr;
        }
        if self.poll {
            self.poll = false;
            return match self.acknowledge(cascade) {
                Some(irq) => 0x80 | irq,
                None => 0,
            };
        }
        if self.read_isr {
            self.isr
        } else {
            self.irr
        }
    }

    /// Writes the command (`offset` 0) or data (1) port.
    pub fn write(&mut self, offset: u8, value: u8) {
        if offset & 1 == 1 {
            self.write_data(value);
        } else if value & ICW1_INIT != 0 {
            self.icw1(value);
        } else if value & OCW3_SEL != 0 {
            self.ocw3(value);
        } else {
            self.ocw2(value);
        }
    }

    fn icw1(&mut self, value: u8) {
        *self = Pic8259 {
            lines: self.lines,
            vector_base: self.vector_base,
            icw3: self.icw3,
            init: Init::Icw2,
            icw4_needed: value & ICW1_IC4 != 0,
            single: value & ICW1_SNGL != 0,
            level_triggered: value & ICW1_LTIM != 0,
            ..Pic8259::new()
        };
        if self.level_triggered {
            self.irr = self.lines;
        }
    }

    fn write_data(&mut self, value: u8) {
        self.init = match self.init {
            Init::Done => {
                self.imr = value;
                Init::Done
            }
            Init::Icw2 => {
                self.vector_base = value & 0xf8;
                if !self.single {
                    Init::Icw3
                } else if self.icw4_needed {
                    Init::Icw4
                } else {
                    Init::Done
                }
            }
            Init::Icw3 => {
                self.icw3 = value;
                if self.icw4_needed {
                    Init::Icw4
                } else {
                    Init::Done
                }
            }
            Init::Icw4 => {
                self.auto_eoi = value & ICW4_AEOI != 0;
                self.special_fully_nested = value & ICW4_SFNM != 0;
                Init::Done
            }
        };
    }

    fn ocw2(&mut self, value: u8) {
        let level = value & 7;
        match value & (OCW2_R | OCW2_SL | OCW2_EOI) {
            // Non-specific EOI, optionally rotating.
            v if v == OCW2_EOI || v == OCW2_R | OCW2_EOI => {
                if let Some(irq) = self.highest(self.isr) {
                    self.isr &= !(1 << irq);
                    if v & OCW2_R != 0 {
                        self.lowest_priority = irq;
                    }
                }
            }
            // Specific EOI, optionally rotating.
            v if v == OCW2_SL | OCW2_EOI || v == OCW2_R | OCW2_SL | OCW2_EOI => {
                self.isr &= !(1 << level);
                if v & OCW2_R != 0 {
                    self.lowest_priority = level;
                }
            }
            OCW2_R => self.rotate_on_aeoi = true,
            0 => self.rotate_on_aeoi = false,
            v if v == OCW2_R | OCW2_SL => self.lowest_priority = level,
            _ => {}
        }
    }

    fn ocw3(&mut self, value: u8) {
        if value & OCW3_P != 0 {
            self.poll = true;
        }
        if value & OCW3_RR != 0 {
            self.read_isr = value & OCW3_RIS != 0;
        }
        if value & OCW3_ESMM != 0 {
            self.special_mask = value & OCW3_SMM != 0;
        }
    }
}

/// The PC's cascaded pair: IRQ 0-7 on the master, 8-15 on the slave.
#[derive(Clone, Debug)]
pub struct PicPair {
    /// The master (CPU-facing) chip.
    pub master: Pic8259,
    /// The slave chip, on master IR2.
    pub slave: Pic8259,
}

impl Default for PicPair {
    fn default() -> Self {
        PicPair::new()
    }
}

impl PicPair {
    /// Both chips in their power-on state.
    pub fn new() -> PicPair {
        PicPair {
            master: Pic8259::new(),
            slave: Pic8259::new(),
        }
    }

    fn cascade(&self) -> u8 {
        1 << CASCADE_IRQ
    }

    fn update_cascade(&mut self) {
        let out = self.slave.pending(0).is_some();
        self.master.set_line(CASCADE_IRQ, out);
    }

    /// Drives ISA IRQ `irq` (0-15) to `level`.
    pub fn set_irq(&mut self, irq: u8, level: bool) {
        if irq < 8 {
            self.master.set_line(irq, level);
        } else {
            self.slave.set_line(irq - 8, level);
            self.update_cascade();
        }
    }

    /// The master's INT output: an interrupt is waiting for the CPU.
    pub fn intr(&self) -> bool {
        self.master.pending(self.cascade()).is_some()
    }

    /// The CPU's interrupt acknowledge: the vector to deliver. With nothing
    /// pending it is the spurious IR7 of the chip that had no request.
    pub fn acknowledge(&mut self) -> u8 {
        let cascade = self.cascade();
        let v = match self.master.acknowledge(cascade) {
            Some(CASCADE_IRQ) => match self.slave.acknowledge(0) {
                Some(irq) => self.slave.vector_base + irq,
                None => self.slave.vector_base + 7,
            },
            Some(irq) => self.master.vector_base + irq,
            None => self.master.vector_base + 7,
        };
        self.update_cascade();
        v
    }

    /// Reads one of the four ports.
    pub fn read(&mut self, port: u16) -> u8 {
        let v = match port {
            MASTER_COMMAND | MASTER_DATA => {
                let cascade = self.cascade();
                self.master.read(port as u8 & 1, cascade)
            }
            SLAVE_COMMAND | SLAVE_DATA => self.slave.read(port as u8 & 1, 0),
            _ => 0xff,
        };
        self.update_cascade();
        v
    }

    /// Writes one of the four ports.
    pub fn write(&mut self, port: u16, value: u8) {
        match port {
            MASTER_COMMAND | MASTER_DATA => self.master.write(port as u8 & 1, value),
            SLAVE_COMMAND | SLAVE_DATA => self.slave.write(port as u8 & 1, value),
            _ => {}
        }
        self.update_cascade();
    }
}

/// One ISA IRQ input of a `PicPair`, as the line a device drives.
pub struct PicIrq<'a> {
    /// The controller.
    pub pic: &'a mut PicPair,
    /// IRQ number 0-15.
    pub irq: u8,
}

impl IrqLine for PicIrq<'_> {
    fn set_level(&mut self, level: bool) {
        self.pic.set_irq(self.irq, level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The initialisation BIOSes and kernels do: vectors 0x20 and 0x28,
    /// slave on IR2, 8086 mode.
    fn pc_pair() -> PicPair {
        let mut p = PicPair::new();
        for (port, v) in [
            (MASTER_COMMAND, ICW1_INIT | ICW1_IC4),
            (SLAVE_COMMAND, ICW1_INIT | ICW1_IC4),
            (MASTER_DATA, 0x20),
            (SLAVE_DATA, 0x28),
            (MASTER_DATA, 1 << CASCADE_IRQ),
            (SLAVE_DATA, CASCADE_IRQ),
            (MASTER_DATA, ICW4_UPM),
            (SLAVE_DATA, ICW4_UPM),
            (MASTER_DATA, 0),
            (SLAVE_DATA, 0),
        ] {
            p.write(port, v);
        }
        p
    }

    fn pulse(p: &mut PicPair, irq: u8) {
        PicIrq { pic: p, irq }.pulse();
    }

    #[test]
    fn delivers_vector_and_blocks_until_eoi() {
        let mut p = pc_pair();
        assert!(!p.intr());
        pulse(&mut p, 0);
        assert!(p.intr());
        assert_eq!(p.acknowledge(), 0x20);
        assert_eq!(p.master.isr, 1);
        pulse(&mut p, 0);
        assert!(!p.intr(), "IR0 in service blocks IR0");
        p.write(MASTER_COMMAND, OCW2_EOI);
        assert_eq!(p.master.isr, 0);
        assert!(p.intr());
        assert_eq!(p.acknowledge(), 0x20);
    }

    #[test]
    fn edge_needs_a_new_rising_edge() {
        let mut p = pc_pair();
        PicIrq {
            pic: &mut p,
            irq: 1,
        }
        .set_level(true);
        assert_eq!(p.acknowledge(), 0x21);
        p.write(MASTER_COMMAND, OCW2_EOI);
        PicIrq {
            pic: &mut p,
            irq: 1,
        }
        .set_level(true);
        assert!(!p.intr(), "still high: no new edge");
    }

    #[test]
    fn masked_requests_wait_in_irr() {
        let mut p = pc_pair();
        p.write(MASTER_DATA, 0b0000_1000);
        pulse(&mut p, 3);
        assert!(!p.intr());
        assert_eq!(p.master.irr, 0b1000);
        p.write(MASTER_DATA, 0);
        assert_eq!(p.acknowledge(), 0x23);
    }

    #[test]
    fn priority_nesting() {
        let mut p = pc_pair();
        pulse(&mut p, 3);
        assert_eq!(p.acknowledge(), 0x23);
        pulse(&mut p, 5);
        assert!(!p.intr(), "IR5 is below IR3 in service");
        pulse(&mut p, 1);
        assert_eq!(p.acknowledge(), 0x21, "IR1 preempts IR3");
        // Non-specific EOI ends the highest in service (IR1), then IR3.
        p.write(MASTER_COMMAND, OCW2_EOI);
        assert_eq!(p.master.isr, 0b1000);
        assert!(!p.intr());
        p.write(MASTER_COMMAND, OCW2_EOI);
        assert_eq!(p.acknowledge(), 0x25);
    }

    #[test]
    fn specific_eoi() {
        let mut p = pc_pair();
        pulse(&mut p, 4);
        p.acknowledge();
        pulse(&mut p, 2 + 4);
        pulse(&mut p, 0);
        p.acknowledge();
        assert_eq!(p.master.isr, 0b1_0001);
        p.write(MASTER_COMMAND, OCW2_SL | OCW2_EOI | 4);
        assert_eq!(p.master.isr, 0b1);
    }

    #[test]
    fn slave_cascades_through_ir2() {
        let mut p = pc_pair();
        pulse(&mut p, 8 + 4);
        assert!(p.intr());
        assert_eq!(p.acknowledge(), 0x2c);
        assert_eq!(p.master.isr, 1 << CASCADE_IRQ);
        assert_eq!(p.slave.isr, 1 << 4);
        // A second slave request waits for both EOIs (slave first).
        pulse(&mut p, 8 + 6);
        assert!(!p.intr());
        p.write(SLAVE_COMMAND, OCW2_EOI);
        assert!(!p.intr(), "master IR2 still in service");
        p.write(MASTER_COMMAND, OCW2_EOI);
        assert_eq!(p.acknowledge(), 0x2e);
    }

    #[test]
    fn spurious_ir7_without_request() {
        let mut p = pc_pair();
        assert_eq!(p.acknowledge(), 0x27);
        assert_eq!(p.master.isr, 0, "spurious IR7 is not put in service");
        // A slave request withdrawn by masking before INTA: slave IR7.
        pulse(&mut p, 9);
        p.master.irr = 1 << CASCADE_IRQ;
        p.slave.imr = 0xff;
        assert_eq!(p.acknowledge(), 0x2f);
        assert_eq!(p.slave.isr, 0);
    }

    #[test]
    fn auto_eoi_leaves_isr_clear() {
        let mut p = PicPair::new();
        for (port, v) in [
            (MASTER_COMMAND, ICW1_INIT | ICW1_IC4 | ICW1_SNGL),
            (MASTER_DATA, 0x40),
            (MASTER_DATA, ICW4_UPM | ICW4_AEOI),
        ] {
            p.write(port, v);
        }
        pulse(&mut p, 0);
        assert_eq!(p.acknowledge(), 0x40);
        assert_eq!(p.master.isr, 0);
        pulse(&mut p, 0);
        assert!(p.intr());
    }

    #[test]
    fn ocw3_reads_irr_isr_and_polls() {
        let mut p = pc_pair();
        pulse(&mut p, 5);
        pulse(&mut p, 6);
        assert_eq!(p.read(MASTER_COMMAND), 0b0110_0000, "IRR by default");
        p.write(MASTER_COMMAND, OCW3_SEL | OCW3_RR | OCW3_RIS);
        p.acknowledge();
        assert_eq!(p.read(MASTER_COMMAND), 0b0010_0000);
        p.write(MASTER_COMMAND, OCW2_EOI);
        p.write(MASTER_COMMAND, OCW3_SEL | OCW3_P);
        assert_eq!(p.read(MASTER_COMMAND), 0x80 | 6);
        p.write(MASTER_COMMAND, OCW3_SEL | OCW3_P);
        assert_eq!(p.read(MASTER_COMMAND), 0);
        assert_eq!(p.read(MASTER_DATA), 0, "data port reads IMR");
    }

    #[test]
    fn rotation_and_set_priority() {
        let mut p = pc_pair();
        pulse(&mut p, 0);
        p.acknowledge();
        // Rotate on non-specific EOI: IR0 becomes the lowest priority.
        p.write(MASTER_COMMAND, OCW2_R | OCW2_EOI);
        pulse(&mut p, 0);
        pulse(&mut p, 7);
        assert_eq!(p.acknowledge(), 0x27);
        p.write(MASTER_COMMAND, OCW2_EOI);
        // Set priority: IR3 lowest, so IR4 highest.
        p.write(MASTER_COMMAND, OCW2_R | OCW2_SL | 3);
        pulse(&mut p, 4);
        assert_eq!(p.acknowledge(), 0x24);
    }

    #[test]
    fn special_mask_mode_lets_lower_levels_in() {
        let mut p = pc_pair();
        pulse(&mut p, 1);
        p.acknowledge();
        p.write(MASTER_DATA, 0b10);
        p.write(MASTER_COMMAND, OCW3_SEL | OCW3_ESMM | OCW3_SMM);
        pulse(&mut p, 4);
        assert_eq!(p.acknowledge(), 0x24);
    }

    #[test]
    fn level_triggered_follows_the_line() {
        let mut p = PicPair::new();
        for (port, v) in [
            (MASTER_COMMAND, ICW1_INIT | ICW1_IC4 | ICW1_SNGL | ICW1_LTIM),
            (MASTER_DATA, 0x30),
            (MASTER_DATA, ICW4_UPM),
        ] {
            p.write(port, v);
        }
        PicIrq {
            pic: &mut p,
            irq: 3,
        }
        .set_level(true);
        assert_eq!(p.acknowledge(), 0x33);
        p.write(MASTER_COMMAND, OCW2_EOI);
        assert!(p.intr(), "still asserted: requested again");
        PicIrq {
            pic: &mut p,
            irq: 3,
        }
        .set_level(false);
        assert!(!p.intr());
    }
}
