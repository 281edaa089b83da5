//! The Intel 8254 programmable interval timer (ports 0x40-0x43) and the
//! timer bits of system control port B (0x61). Counters run in guest time
//! from the `Clock` at 1.193182 MHz: a counter's value and OUT level are
//! computed from the time its count was loaded, so nothing ticks while
//! nobody looks. `update` turns the rising edges of OUT0 since the last
//! call into requests on IRQ0.

use super::{Clock, IrqLine};

/// The counters' input clock.
pub const PIT_FREQ_HZ: u64 = 1_193_182;

/// Counter 0 port (IRQ0).
pub const COUNTER0: u16 = 0x40;
/// Counter 2 port (speaker, gate in port B).
pub const COUNTER2: u16 = 0x42;
/// Control word register.
pub const CONTROL: u16 = 0x43;
/// System control port B.
pub const PORT_B: u16 = 0x61;

/// Control word bit 0: BCD counting.
pub const CW_BCD: u8 = 0b0000_0001;
/// Control word bits 1-3: counter mode.
pub const CW_MODE: u8 = 0b0000_1110;
/// Control word bits 4-5: read/write (00: latch, 01: LSB, 10: MSB, 11: LSB then MSB).
pub const CW_RW: u8 = 0b0011_0000;
/// Control word bits 6-7: counter select (11: read-back command).
pub const CW_SC: u8 = 0b1100_0000;
/// Read-back command bit 5, active low: latch the counts.
pub const RB_NOT_COUNT: u8 = 0b0010_0000;
/// Read-back command bit 4, active low: latch the status.
pub const RB_NOT_STATUS: u8 = 0b0001_0000;
/// Status byte bit 7: the OUT pin.
pub const STATUS_OUTPUT: u8 = 0b1000_0000;
/// Status byte bit 6: the last count written is not loaded yet.
pub const STATUS_NULL_COUNT: u8 = 0b0100_0000;
/// Port B bit 0: counter 2 gate.
pub const PORTB_TIM2_GATE: u8 = 0b0000_0001;
/// Port B bit 1: speaker data enable.
pub const PORTB_SPKR_DATA: u8 = 0b0000_0010;
/// Port B bit 4 (read): refresh request, toggles every 15.085 us.
pub const PORTB_REFRESH: u8 = 0b0001_0000;
/// Port B bit 5 (read): counter 2 OUT.
pub const PORTB_OUT2: u8 = 0b0010_0000;

/// Nanoseconds per refresh-request toggle.
const REFRESH_NS: u64 = 15_085;

/// One counter.
#[derive(Clone, Debug, Default)]
pub struct Counter {
    /// Mode 0-5 (6 and 7 alias 2 and 3).
    pub mode: u8,
    /// Counting in BCD.
    pub bcd: bool,
    /// Access mode: 1 LSB, 2 MSB, 3 LSB then MSB.
    pub rw: u8,
    /// The count in input clocks (1..=65536, or 10000 in BCD for 0).
    pub count: u32,
    /// Guest time the count was loaded (or the gate last triggered).
    pub load_ns: u64,
    /// A count has been loaded since the control word.
    pub armed: bool,
    /// Gate input level.
    pub gate: bool,
    null_count: bool,
    latched_count: Option<u16>,
    latched_msb_next: bool,
    latched_status: Option<u8>,
    read_msb_next: bool,
    write_msb_next: bool,
    write_lsb: u8,
    /// Clocks since `load_ns` at the last `update` (edge detection).
    seen_ticks: u64,
}

impl Counter {
    fn ticks(&self, now: u64) -> u64 {
        let ns = now.saturating_sub(self.load_ns) as u128;
        (ns * PIT_FREQ_HZ as u128 / 1_000_000_000) as u64
    }

    fn period(&self) -> u64 {
        self.count.max(1) as u64
    }

    /// The counting element after `d` clocks.
    fn value_at(&self, d: u64) -> u32 {
        let n = self.period();
        let v = match self.mode {
            2 => n - d % n,
            3 => n - (2 * d) % n,
            _ => (n + 0x10000 - d % 0x10000) % 0x10000,
        };
        (v & 0xffff) as u32
    }

    /// The OUT pin after `d` clocks.
    fn out_at(&self, d: u64) -> bool {
        let n = self.period();
        if !self.armed {
            return self.mode != 0;
        }
        match self.mode {
            0 | 1 => d >= n,
            2 => !self.gate || d % n != n - 1,
            3 => !self.gate || d % n < n.div_ceil(2),
            _ => d != n,
        }
    }

    /// Rising edges of OUT between clock `from` and clock `to`.
    fn rising_edges(&self, from: u64, to: u64) -> u64 {
        let n = self.period();
        if !self.armed || to <= from {
            return 0;
        }
        match self.mode {
            0 | 1 => (from < n && to >= n) as u64,
            2 | 3 => to / n - from / n,
            _ => (from <= n && to > n) as u64,
        }
    }

    /// Clock count of the next rising edge after clock `d`, if any.
    fn next_edge(&self, d: u64) -> Option<u64> {
        let n = self.period();
        if !self.armed {
            return None;
        }
        match self.mode {
            0 | 1 => (d < n).then_some(n),
            2 | 3 => Some((d / n + 1) * n),
            _ => (d <= n).then_some(n + 1),
        }
    }

    fn status(&self, now: u64) -> u8 {
        let mut s = (self.rw << 4) | (self.mode << 1) | self.bcd as u8;
        if self.out_at(self.ticks(now)) {
            s |= STATUS_OUTPUT;
        }
        if self.null_count {
            s |= STATUS_NULL_COUNT;
        }
        s
    }

    fn current(&self, now: u64) -> u16 {
        if !self.armed {
            return 0;
        }
        let v = self.value_at(self.ticks(now));
        if self.bcd {
            to_bcd(v)
        } else {
            v as u16
        }
    }

    fn latch(&mut self, now: u64) {
        if self.latched_count.is_none() {
            self.latched_count = Some(self.current(now));
            self.latched_msb_next = false;
        }
    }

    fn read(&mut self, now: u64) -> u8 {
        if let Some(s) = self.latched_status.take() {
            return s;
        }
        if let Some(v) = self.latched_count {
            let (byte, done) = match self.rw {
                1 => (v as u8, true),
                2 => ((v >> 8) as u8, true),
                _ if !self.latched_msb_next => {
                    self.latched_msb_next = true;
                    (v as u8, false)
                }
                _ => ((v >> 8) as u8, true),
            };
            if done {
                self.latched_count = None;
            }
            return byte;
        }
        let v = self.current(now);
        match self.rw {
            1 => v as u8,
            2 => (v >> 8) as u8,
            _ => {
                self.read_msb_next = !self.read_msb_next;
                if self.read_msb_next {
                    v as u8
                } else {
                    (v >> 8) as u8
                }
            }
        }
    }

    /// Writes a count byte; returns true when a complete count was loaded.
    fn write(&mut self, value: u8, now: u64) -> bool {
        let count = match self.rw {
            1 => value as u16,
            2 => (value as u16) << 8,
            _ if !self.write_msb_next => {
                self.write_msb_next = true;
                self.write_lsb = value;
                self.null_count = true;
                if self.mode == 0 {
                    // Writing the first byte stops a mode 0 count, OUT low.
                    self.armed = false;
                }
                return false;
            }
            _ => {
                self.write_msb_next = false;
                (value as u16) << 8 | self.write_lsb as u16
            }
        };
        self.count = match (count, self.bcd) {
            (0, false) => 0x10000,
            (0, true) => 10_000,
            (c, false) => c as u32,
            (c, true) => from_bcd(c),
        };
        self.load_ns = now;
        self.armed = true;
        self.null_count = false;
        self.seen_ticks = 0;
        true
    }

    fn control(&mut self, cw: u8) {
        let rw = (cw & CW_RW) >> 4;
        let mut mode = (cw & CW_MODE) >> 1;
        if mode >= 6 {
            mode -= 4;
        }
        *self = Counter {
            mode,
            bcd: cw & CW_BCD != 0,
            rw,
            count: self.count,
            load_ns: self.load_ns,
            gate: self.gate,
            null_count: true,
            ..Default::default()
        };
    }

    fn set_gate(&mut self, level: bool, now: u64) {
        if level && !self.gate && matches!(self.mode, 1 | 2 | 3 | 5) {
            self.load_ns = now;
            self.seen_ticks = 0;
        }
        self.gate = level;
    }
}

fn from_bcd(v: u16) -> u32 {
    (0..4)
        .rev()
        .fold(0, |acc, k| acc * 10 + ((v >> (4 * k)) & 0xf) as u32)
}

fn to_bcd(v: u32) -> u16 {
    (0..4).fold(0, |acc, k| {
        acc | (((v / 10u32.pow(k)) % 10) as u16) << (4 * k)
    })
}

/// The timer: three counters and port B.
#[derive(Clone, Debug)]
pub struct Pit8254 {
    /// Counters 0-2.
    pub counters: [Counter; 3],
    /// Port B bits 0-3 as last written.
    pub port_b: u8,
}

impl Default for Pit8254 {
    fn default() -> Self {
        Pit8254::new()
    }
}

impl Pit8254 {
    /// Power-on state: counters 0 and 1 gated on, counter 2 gated off.
    pub fn new() -> Pit8254 {
        let mut counters: [Counter; 3] = Default::default();
        counters[0].gate = true;
        counters[1].gate = true;
        Pit8254 {
            counters,
            port_b: 0,
        }
    }

    /// Reads counter `offset` (0-2); the control register reads as 0xff.
    pub fn read(&mut self, offset: u8, clock: &dyn Clock) -> u8 {
        let now = clock.now_ns();
        match offset {
            0..=2 => self.counters[offset as usize].read(now),
            _ => 0xff,
        }
    }

    /// Writes counter `offset` (0-2) or the control word (3). IRQ0 sees the
    /// edges of the old programming first.
    pub fn write(&mut self, offset: u8, value: u8, clock: &dyn Clock, irq0: &mut dyn IrqLine) {
        let now = clock.now_ns();
        self.update(clock, irq0);
        match offset {
            0..=2 => {
                let c = &mut self.counters[offset as usize];
                if c.write(value, now) && offset == 0 {
                    irq0.set_level(c.out_at(0));
                }
            }
            _ if value & CW_SC == CW_SC => {
                for k in 0..3 {
                    if value & (2 << k) == 0 {
                        continue;
                    }
                    let c = &mut self.counters[k];
                    if value & RB_NOT_COUNT == 0 {
                        c.latch(now);
                    }
                    if value & RB_NOT_STATUS == 0 && c.latched_status.is_none() {
                        c.latched_status = Some(c.status(now));
                    }
                }
            }
            _ => {
                let c = &mut self.counters[(value >> 6) as usize];
                if value & CW_RW == 0 {
                    c.latch(now);
                } else {
                    c.control(value);
                    if value >> 6 == 0 {
                        irq0.set_level(c.out_at(0));
                    }
                }
            }
        }
    }

    /// Reads port B: gate and speaker bits, refresh toggle, OUT2.
    pub fn read_port_b(&self, clock: &dyn Clock) -> u8 {
        let now = clock.now_ns();
        let c = &self.counters[2];
        let mut v = self.port_b & 0x0f;
        if (now / REFRESH_NS) & 1 != 0 {
            v |= PORTB_REFRESH;
        }
        if c.out_at(c.ticks(now)) {
            v |= PORTB_OUT2;
        }
        v
    }

    /// Writes port B: bit 0 gates counter 2, bit 1 enables the speaker.
    pub fn write_port_b(&mut self, value: u8, clock: &dyn Clock) {
        self.port_b = value & 0x0f;
        self.counters[2].set_gate(value & PORTB_TIM2_GATE != 0, clock.now_ns());
    }

    /// Raises IRQ0 once if OUT0 had rising edges since the last call (an
    /// edge-triggered PIC sees several as one), then leaves it at OUT0's
    /// level. Returns how many edges there were, for a caller that makes
    /// up for the ones a late call merged.
    pub fn update(&mut self, clock: &dyn Clock, irq0: &mut dyn IrqLine) -> u64 {
        let c = &mut self.counters[0];
        let d = c.ticks(clock.now_ns());
        if d <= c.seen_ticks {
            return 0;
        }
        let edges = c.rising_edges(c.seen_ticks, d);
        if edges > 0 {
            irq0.set_level(false);
            irq0.set_level(true);
        }
        irq0.set_level(c.out_at(d));
        c.seen_ticks = d;
        edges
    }

    /// The level of OUT0 now.
    pub fn out0(&self, clock: &dyn Clock) -> bool {
        let c = &self.counters[0];
        c.out_at(c.ticks(clock.now_ns()))
    }

    /// Guest time of OUT0's next rising edge (the next IRQ0), if one is due.
    pub fn next_irq_ns(&self, clock: &dyn Clock) -> Option<u64> {
        let c = &self.counters[0];
        let tick = c.next_edge(c.ticks(clock.now_ns()))?;
        let ns = (tick as u128 * 1_000_000_000).div_ceil(PIT_FREQ_HZ as u128);
        Some(c.load_ns + ns as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::testing::{FakeClock, Line};
    use crate::devices::NoIrq;

    const MS: u64 = 1_000_000;

    /// A control word: counter select, read/write mode, counter mode.
    fn cw(sc: u8, rw: u8, mode: u8) -> u8 {
        (sc << 6) | (rw << 4) | (mode << 1)
    }

    fn program(pit: &mut Pit8254, clock: &FakeClock, irq: &mut Line, cw: u8, count: u16) {
        pit.write(3, cw, clock, irq);
        let k = cw >> 6;
        pit.write(k, count as u8, clock, irq);
        pit.write(k, (count >> 8) as u8, clock, irq);
    }

    #[test]
    fn rate_generator_ticks_at_1000_hz() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 2), 1193);
        assert!(irq.level, "mode 2 OUT goes high at the control word");
        let before = irq.edges;
        for _ in 0..100 {
            clock.advance(MS);
            pit.update(&clock, &mut irq);
        }
        // 100 ms at 1193182 / 1193 Hz = 100.015 periods.
        assert_eq!(irq.edges - before, 100);
    }

    #[test]
    fn missed_periods_coalesce() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 3), 1193);
        let before = irq.edges;
        clock.advance(50 * MS);
        assert_eq!(pit.update(&clock, &mut irq), 50);
        assert_eq!(irq.edges - before, 1);
    }

    #[test]
    fn next_irq_time() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 2), 11932);
        let t = pit.next_irq_ns(&clock).unwrap();
        assert!((t as i64 - 10 * MS as i64).abs() < 2000, "{t}");
        let before = irq.edges;
        clock.0.set(t - 1);
        pit.update(&clock, &mut irq);
        assert_eq!(irq.edges, before);
        clock.0.set(t);
        pit.update(&clock, &mut irq);
        assert_eq!(irq.edges, before + 1);
        assert!(pit.next_irq_ns(&clock).unwrap() > t + 9 * MS);
    }

    #[test]
    fn one_shot_mode_0() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 0), 1193);
        assert!(!irq.level);
        clock.advance(MS / 2);
        pit.update(&clock, &mut irq);
        assert_eq!(irq.edges, 0);
        clock.advance(MS);
        pit.update(&clock, &mut irq);
        assert_eq!((irq.edges, irq.level), (1, true));
        clock.advance(100 * MS);
        pit.update(&clock, &mut irq);
        assert_eq!(irq.edges, 1, "mode 0 fires once");
        assert_eq!(pit.next_irq_ns(&clock), None);
    }

    #[test]
    fn counter_counts_down_and_latches() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 2), 10000);
        clock.0.set(1_000_000_000 * 1000 / PIT_FREQ_HZ + 1);
        pit.write(3, cw(0, 0, 0), &clock, &mut irq);
        clock.advance(3 * MS);
        let lo = pit.read(0, &clock);
        let hi = pit.read(0, &clock);
        assert_eq!(u16::from_le_bytes([lo, hi]), 9000);
        // Unlatched, the live count has moved on.
        let lo = pit.read(0, &clock);
        let hi = pit.read(0, &clock);
        assert!(u16::from_le_bytes([lo, hi]) < 9000 - 3000);
    }

    #[test]
    fn square_wave_counts_by_two() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 3), 1000);
        clock.0.set(1_000_000_000 * 100 / PIT_FREQ_HZ + 1);
        pit.write(3, 0, &clock, &mut irq);
        let v = u16::from_le_bytes([pit.read(0, &clock), pit.read(0, &clock)]);
        assert_eq!(v, 800);
    }

    #[test]
    fn read_back_status_and_count() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        pit.write(3, cw(2, 3, 0), &clock, &mut irq);
        assert_eq!(
            {
                pit.write(3, CW_SC | RB_NOT_COUNT | 0b1000, &clock, &mut irq);
                pit.read(2, &clock)
            },
            STATUS_NULL_COUNT | 0b11 << 4
        );
        pit.write(2, 0x34, &clock, &mut irq);
        pit.write(2, 0x12, &clock, &mut irq);
        pit.write(3, CW_SC | 0b1000, &clock, &mut irq);
        assert_eq!(pit.read(2, &clock), 0b11 << 4, "status first, not null");
        assert_eq!(pit.read(2, &clock), 0x34);
        assert_eq!(pit.read(2, &clock), 0x12);
    }

    #[test]
    fn lsb_only_and_msb_only_access() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = NoIrq;
        pit.write(3, cw(1, 1, 2), &clock, &mut irq);
        pit.write(1, 200, &clock, &mut irq);
        assert_eq!(pit.counters[1].count, 200);
        pit.write(3, cw(1, 2, 2), &clock, &mut irq);
        pit.write(1, 2, &clock, &mut irq);
        assert_eq!(pit.counters[1].count, 512);
        assert_eq!(pit.read(1, &clock), 2);
    }

    #[test]
    fn bcd_counting() {
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = Line::default();
        program(&mut pit, &clock, &mut irq, cw(0, 3, 2) | CW_BCD, 0x1000);
        assert_eq!(pit.counters[0].count, 1000);
        clock.0.set(1_000_000_000 / PIT_FREQ_HZ + 1);
        pit.write(3, 0, &clock, &mut irq);
        assert_eq!(pit.read(0, &clock), 0x99);
        assert_eq!(pit.read(0, &clock), 0x09);
    }

    #[test]
    fn channel_2_gate_and_out_in_port_b() {
        // The TSC calibration loop: mode 0 on counter 2, poll OUT2.
        let clock = FakeClock::default();
        let mut pit = Pit8254::new();
        let mut irq = NoIrq;
        pit.write_port_b(PORTB_TIM2_GATE, &clock);
        pit.write(3, cw(2, 3, 0), &clock, &mut irq);
        pit.write(2, 0xff, &clock, &mut irq);
        pit.write(2, 0xff, &clock, &mut irq);
        assert_eq!(
            pit.read_port_b(&clock) & (PORTB_OUT2 | 0xf),
            PORTB_TIM2_GATE
        );
        clock.advance(60 * MS);
        assert_ne!(pit.read_port_b(&clock) & PORTB_OUT2, 0);
        // A gate rising edge restarts a mode 2 count.
        pit.write(3, cw(2, 3, 2), &clock, &mut irq);
        pit.write(2, 100, &clock, &mut irq);
        pit.write(2, 0, &clock, &mut irq);
        clock.advance(MS);
        pit.write_port_b(0, &clock);
        pit.write_port_b(PORTB_TIM2_GATE | PORTB_SPKR_DATA, &clock);
        assert_eq!(pit.counters[2].load_ns, clock.now_ns());
        assert_eq!(pit.read_port_b(&clock) & 0x3, 0x3);
    }

    #[test]
    fn refresh_bit_toggles() {
        let clock = FakeClock::default();
        let pit = Pit8254::new();
        let a = pit.read_port_b(&clock) & PORTB_REFRESH;
        clock.advance(REFRESH_NS);
        assert_ne!(pit.read_port_b(&clock) & PORTB_REFRESH, a);
    }
}
