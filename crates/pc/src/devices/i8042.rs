//! The Intel 8042 keyboard controller (data port 0x60, status/command
//! port 0x64) with a PS/2 keyboard and mouse that answer commands but
//! never type: controller self test, command byte, interface tests, the
//! output port (A20 gate, system reset), pulsed reset via 0xFE, and the
//! usual keyboard replies. IRQ1 and IRQ12 follow the output buffer.

use super::IrqLine;
use std::collections::VecDeque;

/// Data port.
pub const DATA_PORT: u16 = 0x60;
/// Status (read) and command (write) port.
pub const COMMAND_PORT: u16 = 0x64;
/// Keyboard ISA IRQ.
pub const KBD_IRQ: u8 = 1;
/// Mouse ISA IRQ.
pub const AUX_IRQ: u8 = 12;

/// Status: output buffer full.
pub const STATUS_OBF: u8 = 0b0000_0001;
/// Status: input buffer full.
pub const STATUS_IBF: u8 = 0b0000_0010;
/// Status: system flag (set after a successful self test).
pub const STATUS_SYS: u8 = 0b0000_0100;
/// Status: the last write was to the command port.
pub const STATUS_A2: u8 = 0b0000_1000;
/// Status: keyboard not inhibited.
pub const STATUS_INH: u8 = 0b0001_0000;
/// Status: the output buffer holds mouse data.
pub const STATUS_AUX_OBF: u8 = 0b0010_0000;

/// Command byte: keyboard interrupt enable.
pub const CCB_KBD_INT: u8 = 0b0000_0001;
/// Command byte: mouse interrupt enable.
pub const CCB_AUX_INT: u8 = 0b0000_0010;
/// Command byte: system flag.
pub const CCB_SYS: u8 = 0b0000_0100;
/// Command byte: keyboard clock disabled.
pub const CCB_KBD_DISABLE: u8 = 0b0001_0000;
/// Command byte: mouse clock disabled.
pub const CCB_AUX_DISABLE: u8 = 0b0010_0000;
/// Command byte: translate to scan code set 1.
pub const CCB_XLATE: u8 = 0b0100_0000;

/// Output port: system reset (active low).
pub const OUT_RESET: u8 = 0b0000_0001;
/// Output port: A20 gate.
pub const OUT_A20: u8 = 0b0000_0010;

/// Controller command: read the command byte.
pub const CMD_READ_CCB: u8 = 0x20;
/// Controller command: write the command byte (next data byte).
pub const CMD_WRITE_CCB: u8 = 0x60;
/// Controller command: disable the mouse interface.
pub const CMD_DISABLE_AUX: u8 = 0xa7;
/// Controller command: enable the mouse interface.
pub const CMD_ENABLE_AUX: u8 = 0xa8;
/// Controller command: test the mouse interface.
pub const CMD_TEST_AUX: u8 = 0xa9;
/// Controller command: self test (answers 0x55).
pub const CMD_SELF_TEST: u8 = 0xaa;
/// Controller command: test the keyboard interface.
pub const CMD_TEST_KBD: u8 = 0xab;
/// Controller command: disable the keyboard interface.
pub const CMD_DISABLE_KBD: u8 = 0xad;
/// Controller command: enable the keyboard interface.
pub const CMD_ENABLE_KBD: u8 = 0xae;
/// Controller command: read the input port.
pub const CMD_READ_INPUT: u8 = 0xc0;
/// Controller command: read the output port.
pub const CMD_READ_OUTPUT: u8 = 0xd0;
/// Controller command: write the output port (next data byte).
pub const CMD_WRITE_OUTPUT: u8 = 0xd1;
/// Controller command: put the next data byte in the buffer as keyboard data.
pub const CMD_WRITE_KBD_OBUF: u8 = 0xd2;
/// Controller command: put the next data byte in the buffer as mouse data.
pub const CMD_WRITE_AUX_OBUF: u8 = 0xd3;
/// Controller command: send the next data byte to the mouse.
pub const CMD_WRITE_AUX: u8 = 0xd4;
/// Controller command: disable A20.
pub const CMD_DISABLE_A20: u8 = 0xdd;
/// Controller command: enable A20.
pub const CMD_ENABLE_A20: u8 = 0xdf;
/// Controller command: pulse output port bit 0 (reset the system).
pub const CMD_PULSE_RESET: u8 = 0xfe;

/// Keyboard/mouse reply: acknowledge.
pub const REPLY_ACK: u8 = 0xfa;
/// Keyboard/mouse reply: basic assurance test passed.
pub const REPLY_BAT_OK: u8 = 0xaa;
/// Keyboard reply: resend (unknown command).
pub const REPLY_RESEND: u8 = 0xfe;
/// Controller self-test pass.
pub const SELF_TEST_OK: u8 = 0x55;

/// Who put a byte in the output buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Controller,
    Keyboard,
    Aux,
}

/// What the next data-port write means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Pending {
    /// A byte for the keyboard.
    #[default]
    Keyboard,
    /// The parameter of a keyboard command (LEDs, typematic, scan code set).
    KeyboardParam,
    /// The command byte.
    Ccb,
    /// The output port.
    OutputPort,
    /// Keyboard output buffer data.
    KbdObuf,
    /// Mouse output buffer data.
    AuxObuf,
    /// A byte for the mouse.
    Aux,
}

/// The controller and its two devices.
#[derive(Clone, Debug)]
pub struct I8042 {
    /// Controller command byte.
    pub ccb: u8,
    /// Output port.
    pub output_port: u8,
    /// STATUS_SYS and STATUS_A2 as last set.
    status: u8,
    pending: Pending,
    out: VecDeque<(u8, Source)>,
    /// The guest asked for a system reset (taken by the machine).
    pub reset_requested: bool,
}

impl Default for I8042 {
    fn default() -> Self {
        I8042::new()
    }
}

impl I8042 {
    /// Power-on state: A20 enabled, reset line high, interrupts on.
    pub fn new() -> I8042 {
        I8042 {
            ccb: CCB_KBD_INT | CCB_SYS | CCB_XLATE,
            output_port: OUT_RESET | OUT_A20,
            status: STATUS_SYS,
            pending: Pending::Keyboard,
            out: VecDeque::new(),
            reset_requested: false,
        }
    }

    /// True while the output port gates A20 on.
    pub fn a20_enabled(&self) -> bool {
        self.output_port & OUT_A20 != 0
    }

    fn push(&mut self, v: u8, src: Source) {
        self.out.push_back((v, src));
    }

    fn update_irqs(&self, kbd: &mut dyn IrqLine, aux: &mut dyn IrqLine) {
        let head = self.out.front().map(|&(_, s)| s);
        kbd.set_level(
            self.ccb & CCB_KBD_INT != 0
                && matches!(head, Some(Source::Keyboard | Source::Controller)),
        );
        aux.set_level(self.ccb & CCB_AUX_INT != 0 && head == Some(Source::Aux));
    }

    fn set_output_port(&mut self, v: u8) {
        if v & OUT_RESET == 0 {
            self.reset_requested = true;
        }
        self.output_port = v | OUT_RESET;
    }

    /// Reads the data (`offset` 0) or status (4) port.
    pub fn read(&mut self, offset: u8, kbd: &mut dyn IrqLine, aux: &mut dyn IrqLine) -> u8 {
        if offset == 4 {
            let mut s = self.status | STATUS_INH;
            match self.out.front() {
                Some(&(_, Source::Aux)) => s |= STATUS_OBF | STATUS_AUX_OBF,
                Some(_) => s |= STATUS_OBF,
                None => {}
            }
            return s;
        }
        let v = match self.out.pop_front() {
            Some((v, _)) => v,
            None => 0,
        };
        self.update_irqs(kbd, aux);
        v
    }

    /// Writes the data (`offset` 0) or command (4) port.
    pub fn write(&mut self, offset: u8, value: u8, kbd: &mut dyn IrqLine, aux: &mut dyn IrqLine) {
        if offset == 4 {
            self.status |= STATUS_A2;
            self.command(value);
        } else {
            self.status &= !STATUS_A2;
            self.data(value);
        }
        self.update_irqs(kbd, aux);
    }

    fn command(&mut self, cmd: u8) {
        let c = Source::Controller;
        match cmd {
            CMD_READ_CCB => self.push(self.ccb, c),
            CMD_WRITE_CCB => self.pending = Pending::Ccb,
            CMD_DISABLE_AUX => self.ccb |= CCB_AUX_DISABLE,
            CMD_ENABLE_AUX => self.ccb &= !CCB_AUX_DISABLE,
            CMD_TEST_AUX | CMD_TEST_KBD => self.push(0x00, c),
            CMD_SELF_TEST => {
                self.status |= STATUS_SYS;
                self.push(SELF_TEST_OK, c);
            }
            CMD_DISABLE_KBD => self.ccb |= CCB_KBD_DISABLE,
            CMD_ENABLE_KBD => self.ccb &= !CCB_KBD_DISABLE,
            CMD_READ_INPUT => self.push(0x80, c),
            CMD_READ_OUTPUT => self.push(self.output_port, c),
            CMD_WRITE_OUTPUT => self.pending = Pending::OutputPort,
            CMD_WRITE_KBD_OBUF => self.pending = Pending::KbdObuf,
            CMD_WRITE_AUX_OBUF => self.pending = Pending::AuxObuf,
            CMD_WRITE_AUX => self.pending = Pending::Aux,
            CMD_DISABLE_A20 => self.output_port &= !OUT_A20,
            CMD_ENABLE_A20 => self.output_port |= OUT_A20,
            // 0xf0-0xff pulse the output port bits that are 0 in the low nibble.
            0xf0..=0xff if cmd & OUT_RESET == 0 => self.reset_requested = true,
            _ => {}
        }
    }

    fn data(&mut self, v: u8) {
        match std::mem::take(&mut self.pending) {
            Pending::Ccb => {
                self.ccb = v;
                self.status = (self.status & !STATUS_SYS) | (v & CCB_SYS);
            }
            Pending::OutputPort => self.set_output_port(v),
            Pending::KbdObuf => self.push(v, Source::Keyboard),
            Pending::AuxObuf => self.push(v, Source::Aux),
            Pending::Aux => self.aux_command(v),
            Pending::KeyboardParam => self.push(REPLY_ACK, Source::Keyboard),
            Pending::Keyboard => self.keyboard_command(v),
        }
    }

    fn keyboard_command(&mut self, v: u8) {
        let k = Source::Keyboard;
        self.ccb &= !CCB_KBD_DISABLE;
        match v {
            // Set LEDs, scan code set, typematic rate: a parameter follows.
            0xed | 0xf0 | 0xf3 => {
                self.push(REPLY_ACK, k);
                self.pending = Pending::KeyboardParam;
            }
            0xee => self.push(0xee, k),
            0xf2 => {
                self.push(REPLY_ACK, k);
                self.push(0xab, k);
                self.push(0x83, k);
            }
            0xf4..=0xf6 => self.push(REPLY_ACK, k),
            0xff => {
                self.push(REPLY_ACK, k);
                self.push(REPLY_BAT_OK, k);
            }
            _ => self.push(REPLY_RESEND, k),
        }
    }

    fn aux_command(&mut self, v: u8) {
        let a = Source::Aux;
        self.push(REPLY_ACK, a);
        match v {
            0xf2 => self.push(0x00, a),
            0xff => {
                self.push(REPLY_BAT_OK, a);
                self.push(0x00, a);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::testing::Line;

    struct Rig {
        c: I8042,
        kbd: Line,
        aux: Line,
    }

    impl Rig {
        fn new() -> Rig {
            Rig {
                c: I8042::new(),
                kbd: Line::default(),
                aux: Line::default(),
            }
        }
        fn cmd(&mut self, v: u8) {
            self.c.write(4, v, &mut self.kbd, &mut self.aux);
        }
        fn data(&mut self, v: u8) {
            self.c.write(0, v, &mut self.kbd, &mut self.aux);
        }
        fn status(&mut self) -> u8 {
            self.c.read(4, &mut self.kbd, &mut self.aux)
        }
        fn read(&mut self) -> u8 {
            self.c.read(0, &mut self.kbd, &mut self.aux)
        }
    }

    #[test]
    fn self_test_and_interface_tests() {
        let mut r = Rig::new();
        assert_eq!(r.status() & STATUS_OBF, 0);
        r.cmd(CMD_SELF_TEST);
        assert_eq!(r.status() & (STATUS_OBF | STATUS_SYS | STATUS_A2), 0x0d);
        assert_eq!(r.read(), SELF_TEST_OK);
        r.cmd(CMD_TEST_KBD);
        assert_eq!(r.read(), 0);
        assert_eq!(r.status() & STATUS_OBF, 0);
    }

    #[test]
    fn command_byte_round_trip() {
        let mut r = Rig::new();
        r.cmd(CMD_WRITE_CCB);
        r.data(CCB_AUX_INT | CCB_XLATE);
        assert_eq!(r.status() & (STATUS_A2 | STATUS_SYS), 0);
        r.cmd(CMD_READ_CCB);
        assert!(!r.kbd.level, "keyboard interrupt disabled in the CCB");
        assert_eq!(r.read(), CCB_AUX_INT | CCB_XLATE);
    }

    #[test]
    fn keyboard_reset_and_identify_raise_irq1() {
        let mut r = Rig::new();
        r.data(0xff);
        assert!(r.kbd.level);
        assert_eq!((r.read(), r.read()), (REPLY_ACK, REPLY_BAT_OK));
        assert!(!r.kbd.level);
        r.data(0xf2);
        assert_eq!([r.read(), r.read(), r.read()], [REPLY_ACK, 0xab, 0x83]);
        r.data(0xed);
        r.data(0x07);
        assert_eq!((r.read(), r.read()), (REPLY_ACK, REPLY_ACK));
        r.data(0x01);
        assert_eq!(r.read(), REPLY_RESEND);
    }

    #[test]
    fn mouse_bytes_raise_irq12() {
        let mut r = Rig::new();
        r.cmd(CMD_WRITE_CCB);
        r.data(CCB_AUX_INT);
        r.cmd(CMD_WRITE_AUX);
        r.data(0xf2);
        assert!(r.aux.level);
        assert_eq!(r.status() & STATUS_AUX_OBF, STATUS_AUX_OBF);
        assert_eq!((r.read(), r.read()), (REPLY_ACK, 0x00));
        assert!(!r.aux.level);
    }

    #[test]
    fn a20_through_the_output_port() {
        let mut r = Rig::new();
        assert!(r.c.a20_enabled());
        r.cmd(CMD_WRITE_OUTPUT);
        r.data(OUT_RESET);
        assert!(!r.c.a20_enabled());
        r.cmd(CMD_READ_OUTPUT);
        assert_eq!(r.read(), OUT_RESET);
        r.cmd(CMD_ENABLE_A20);
        assert!(r.c.a20_enabled());
        assert!(!r.c.reset_requested);
    }

    #[test]
    fn reset_by_pulse_and_by_output_port() {
        let mut r = Rig::new();
        r.cmd(0xff);
        assert!(!r.c.reset_requested, "0xff pulses nothing");
        r.cmd(CMD_PULSE_RESET);
        assert!(r.c.reset_requested);
        let mut r = Rig::new();
        r.cmd(CMD_WRITE_OUTPUT);
        r.data(OUT_A20);
        assert!(r.c.reset_requested);
    }
}
