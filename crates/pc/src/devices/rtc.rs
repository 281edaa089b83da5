//! The Motorola MC146818 real-time clock and CMOS RAM (index port 0x70,
//! data port 0x71, IRQ8). Time of day is the host's wall clock at machine
//! creation plus guest time, shifted by whatever the guest sets; status
//! registers A-D with update-in-progress, periodic, alarm and
//! update-ended interrupts; BCD or binary, 12- or 24-hour formats; the NMI
//! mask bit of port 0x70.

use super::{Clock, IrqLine};

/// Index port (bit 7: NMI disable).
pub const RTC_INDEX: u16 = 0x70;
/// Data port.
pub const RTC_DATA: u16 = 0x71;
/// The RTC's ISA IRQ.
pub const RTC_IRQ: u8 = 8;

/// Register: seconds.
pub const RTC_SECONDS: u8 = 0x00;
/// Register: seconds alarm.
pub const RTC_SECONDS_ALARM: u8 = 0x01;
/// Register: minutes.
pub const RTC_MINUTES: u8 = 0x02;
/// Register: minutes alarm.
pub const RTC_MINUTES_ALARM: u8 = 0x03;
/// Register: hours.
pub const RTC_HOURS: u8 = 0x04;
/// Register: hours alarm.
pub const RTC_HOURS_ALARM: u8 = 0x05;
/// Register: day of week (1 = Sunday).
pub const RTC_DAY_OF_WEEK: u8 = 0x06;
/// Register: day of month.
pub const RTC_DAY_OF_MONTH: u8 = 0x07;
/// Register: month.
pub const RTC_MONTH: u8 = 0x08;
/// Register: year within the century.
pub const RTC_YEAR: u8 = 0x09;
/// Status register A.
pub const RTC_REG_A: u8 = 0x0a;
/// Status register B.
pub const RTC_REG_B: u8 = 0x0b;
/// Status register C (interrupt flags, read clears).
pub const RTC_REG_C: u8 = 0x0c;
/// Status register D.
pub const RTC_REG_D: u8 = 0x0d;
/// The IBM PC century byte.
pub const RTC_CENTURY: u8 = 0x32;

/// Register A: update in progress.
pub const REG_A_UIP: u8 = 0b1000_0000;
/// Register A: divider chain select (bits 4-6; 010 runs the clock).
pub const REG_A_DV: u8 = 0b0111_0000;
/// Register A: periodic rate select (bits 0-3).
pub const REG_A_RS: u8 = 0b0000_1111;
/// Register B: halt updates while the time is set.
pub const REG_B_SET: u8 = 0b1000_0000;
/// Register B: periodic interrupt enable.
pub const REG_B_PIE: u8 = 0b0100_0000;
/// Register B: alarm interrupt enable.
pub const REG_B_AIE: u8 = 0b0010_0000;
/// Register B: update-ended interrupt enable.
pub const REG_B_UIE: u8 = 0b0001_0000;
/// Register B: binary (not BCD) data mode.
pub const REG_B_DM: u8 = 0b0000_0100;
/// Register B: 24-hour mode.
pub const REG_B_24H: u8 = 0b0000_0010;
/// Register C: an enabled interrupt flag is set.
pub const REG_C_IRQF: u8 = 0b1000_0000;
/// Register C: periodic interrupt flag.
pub const REG_C_PF: u8 = 0b0100_0000;
/// Register C: alarm flag.
pub const REG_C_AF: u8 = 0b0010_0000;
/// Register C: update-ended flag.
pub const REG_C_UF: u8 = 0b0001_0000;
/// Register D: valid RAM and time.
pub const REG_D_VRT: u8 = 0b1000_0000;
/// Port 0x70 bit 7: NMI disabled.
pub const NMI_DISABLE: u8 = 0b1000_0000;

const NS: i128 = 1_000_000_000;
/// The update cycle: UIP is set this long before each second ends.
const UIP_NS: i128 = 244_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01: (year, month 1-12, day 1-31).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + (month <= 2) as i64;
    (year, month, day)
}

/// A broken-down time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DateTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl DateTime {
    fn from_unix(secs: i64) -> DateTime {
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let s = secs.rem_euclid(86_400) as u32;
        DateTime {
            year,
            month,
            day,
            hour: s / 3600,
            minute: s / 60 % 60,
            second: s % 60,
        }
    }

    fn to_unix(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + (self.hour * 3600 + self.minute * 60 + self.second) as i64
    }

    /// 1 = Sunday .. 7 = Saturday.
    fn day_of_week(self) -> u32 {
        ((days_from_civil(self.year, self.month, self.day) + 4).rem_euclid(7) + 1) as u32
    }
}

/// The RTC and its 128 bytes of CMOS RAM.
#[derive(Clone, Debug)]
pub struct Rtc {
    /// CMOS RAM; the time registers in it are only used while SET is on.
    pub ram: [u8; 128],
    /// Selected register (port 0x70 bits 0-6).
    pub index: u8,
    /// NMI disabled (port 0x70 bit 7).
    pub nmi_disabled: bool,
    /// Wall-clock nanoseconds since the epoch at guest time 0, plus what
    /// the guest added by setting the clock.
    wall_ns_at_zero: i128,
    /// Guest time of the last flag update.
    seen_ns: u64,
}

impl Rtc {
    /// An RTC whose clock reads `wall_ns` (ns since 1970, UTC) at guest time 0.
    pub fn new(wall_ns: i128) -> Rtc {
        let mut ram = [0u8; 128];
        ram[RTC_REG_A as usize] = 0b010_0110;
        ram[RTC_REG_B as usize] = REG_B_24H;
        ram[RTC_REG_D as usize] = REG_D_VRT;
        Rtc {
            ram,
            index: 0,
            nmi_disabled: true,
            wall_ns_at_zero: wall_ns,
            seen_ns: 0,
        }
    }

    fn reg(&self, r: u8) -> u8 {
        self.ram[r as usize]
    }

    fn wall_ns(&self, now: u64) -> i128 {
        self.wall_ns_at_zero + now as i128
    }

    fn running(&self) -> bool {
        self.reg(RTC_REG_B) & REG_B_SET == 0 && self.reg(RTC_REG_A) & REG_A_DV == 0b010_0000
    }

    fn binary(&self) -> bool {
        self.reg(RTC_REG_B) & REG_B_DM != 0
    }

    fn encode(&self, v: u32) -> u8 {
        if self.binary() {
            v as u8
        } else {
            (((v / 10) << 4) | (v % 10)) as u8
        }
    }

    fn decode(&self, v: u8) -> u32 {
        if self.binary() {
            v as u32
        } else {
            (v >> 4) as u32 * 10 + (v & 0xf) as u32
        }
    }

    fn encode_hour(&self, h: u32) -> u8 {
        if self.reg(RTC_REG_B) & REG_B_24H != 0 {
            return self.encode(h);
        }
        let pm = if h >= 12 { 0x80 } else { 0 };
        let h12 = match h % 12 {
            0 => 12,
            x => x,
        };
        self.encode(h12) | pm
    }

    fn decode_hour(&self, v: u8) -> u32 {
        if self.reg(RTC_REG_B) & REG_B_24H != 0 {
            return self.decode(v);
        }
        let h = self.decode(v & 0x7f) % 12;
        if v & 0x80 != 0 {
            h + 12
        } else {
            h
        }
    }

    fn now_datetime(&self, now: u64) -> DateTime {
        DateTime::from_unix(self.wall_ns(now).div_euclid(NS) as i64)
    }

    /// The value of time register `r` for date-time `t`.
    fn time_reg(&self, r: u8, t: DateTime) -> u8 {
        match r {
            RTC_SECONDS => self.encode(t.second),
            RTC_MINUTES => self.encode(t.minute),
            RTC_HOURS => self.encode_hour(t.hour),
            RTC_DAY_OF_WEEK => self.encode(t.day_of_week()),
            RTC_DAY_OF_MONTH => self.encode(t.day),
            RTC_MONTH => self.encode(t.month),
            RTC_YEAR => self.encode(t.year.rem_euclid(100) as u32),
            _ => self.encode(t.year.div_euclid(100) as u32),
        }
    }

    fn is_time_reg(r: u8) -> bool {
        matches!(
            r,
            RTC_SECONDS
                | RTC_MINUTES
                | RTC_HOURS
                | RTC_DAY_OF_WEEK
                | RTC_DAY_OF_MONTH
                | RTC_MONTH
                | RTC_YEAR
                | RTC_CENTURY
        )
    }

    /// Copies the running time into the time registers (SET turned on).
    fn freeze(&mut self, now: u64) {
        let t = self.now_datetime(now);
        for r in [
            RTC_SECONDS,
            RTC_MINUTES,
            RTC_HOURS,
            RTC_DAY_OF_WEEK,
            RTC_DAY_OF_MONTH,
            RTC_MONTH,
            RTC_YEAR,
            RTC_CENTURY,
        ] {
            self.ram[r as usize] = self.time_reg(r, t);
        }
    }

    /// Restarts the clock from the time registers (SET turned off).
    fn thaw(&mut self, now: u64) {
        let century = self.decode(self.reg(RTC_CENTURY)) as i64;
        let t = DateTime {
            year: century * 100 + self.decode(self.reg(RTC_YEAR)) as i64,
            month: self.decode(self.reg(RTC_MONTH)).clamp(1, 12),
            day: self.decode(self.reg(RTC_DAY_OF_MONTH)).clamp(1, 31),
            hour: self.decode_hour(self.reg(RTC_HOURS)) % 24,
            minute: self.decode(self.reg(RTC_MINUTES)) % 60,
            second: self.decode(self.reg(RTC_SECONDS)) % 60,
        };
        self.wall_ns_at_zero = t.to_unix() as i128 * NS - now as i128;
        self.seen_ns = now;
    }

    /// Periodic interrupt period in ns (register A RS), if enabled.
    fn periodic_ns(&self) -> Option<i128> {
        let rs = self.reg(RTC_REG_A) & REG_A_RS;
        let ticks: i128 = match rs {
            0 => return None,
            1 | 2 => 1 << (rs + 6),
            _ => 1 << (rs - 1),
        };
        Some(ticks * NS / 32_768)
    }

    fn alarm_matches(&self, t: DateTime) -> bool {
        let field = |alarm: u8, v: u8| alarm & 0xc0 == 0xc0 || alarm == v;
        field(self.reg(RTC_SECONDS_ALARM), self.time_reg(RTC_SECONDS, t))
            && field(self.reg(RTC_MINUTES_ALARM), self.time_reg(RTC_MINUTES, t))
            && field(self.reg(RTC_HOURS_ALARM), self.time_reg(RTC_HOURS, t))
    }

    /// Sets the register C flags for what happened since the last call and
    /// drives IRQ8 from IRQF.
    fn update_flags(&mut self, now: u64, irq: &mut dyn IrqLine) {
        let mut c = self.reg(RTC_REG_C) & (REG_C_PF | REG_C_AF | REG_C_UF);
        let (from, to) = (self.seen_ns as i128, now as i128);
        if to > from {
            if let Some(p) = self.periodic_ns() {
                if to / p > from / p {
                    c |= REG_C_PF;
                }
            }
            if self.running() {
                let (w0, w1) = (self.wall_ns(self.seen_ns), self.wall_ns(now));
                let (s0, s1) = (w0.div_euclid(NS), w1.div_euclid(NS));
                if s1 > s0 {
                    c |= REG_C_UF;
                    // Seconds begun in between, at most a day's worth.
                    let first = (s0 + 1).max(s1 - 86_400);
                    if (first..=s1).any(|s| self.alarm_matches(DateTime::from_unix(s as i64))) {
                        c |= REG_C_AF;
                    }
                }
            }
            self.seen_ns = now;
        }
        let enabled = self.reg(RTC_REG_B) & (REG_B_PIE | REG_B_AIE | REG_B_UIE);
        // Enable bits B4-B6 line up with flags C4-C6.
        if c & enabled != 0 {
            c |= REG_C_IRQF;
        }
        self.ram[RTC_REG_C as usize] = c;
        irq.set_level(c & REG_C_IRQF != 0);
    }

    /// Reads the index (0) or data (1) port.
    pub fn read(&mut self, offset: u8, clock: &dyn Clock, irq: &mut dyn IrqLine) -> u8 {
        if offset & 1 == 0 {
            return 0xff;
        }
        let now = clock.now_ns();
        self.update_flags(now, irq);
        let r = self.index;
        match r {
            RTC_REG_A => {
                let mut v = self.reg(RTC_REG_A) & !REG_A_UIP;
                let into_second = self.wall_ns(now).rem_euclid(NS);
                if self.running() && into_second >= NS - UIP_NS {
                    v |= REG_A_UIP;
                }
                v
            }
            RTC_REG_C => {
                let v = self.reg(RTC_REG_C);
                self.ram[RTC_REG_C as usize] = 0;
                irq.set_level(false);
                v
            }
            _ if Self::is_time_reg(r) && self.reg(RTC_REG_B) & REG_B_SET == 0 => {
                self.time_reg(r, self.now_datetime(now))
            }
            _ => self.reg(r),
        }
    }

    /// Writes the index (0: register number and NMI mask) or data (1) port.
    pub fn write(&mut self, offset: u8, value: u8, clock: &dyn Clock, irq: &mut dyn IrqLine) {
        if offset & 1 == 0 {
            self.index = value & 0x7f;
            self.nmi_disabled = value & NMI_DISABLE != 0;
            return;
        }
        let now = clock.now_ns();
        self.update_flags(now, irq);
        let r = self.index;
        match r {
            RTC_REG_B => {
                let old = self.reg(RTC_REG_B);
                if value & REG_B_SET != 0 && old & REG_B_SET == 0 {
                    self.freeze(now);
                }
                // Mode bits change how the frozen registers read: re-encode.
                let set_off = value & REG_B_SET == 0 && old & REG_B_SET != 0;
                self.ram[RTC_REG_B as usize] = value;
                if set_off {
                    self.thaw(now);
                }
            }
            RTC_REG_C | RTC_REG_D => {}
            RTC_REG_A => self.ram[RTC_REG_A as usize] = value & !REG_A_UIP,
            _ if Self::is_time_reg(r) && self.reg(RTC_REG_B) & REG_B_SET == 0 => {
                self.freeze(now);
                self.ram[r as usize] = value;
                self.thaw(now);
            }
            _ => self.ram[r as usize] = value,
        }
        self.update_flags(now, irq);
    }

    /// Re-evaluates the interrupt flags at the current time.
    pub fn update(&mut self, clock: &dyn Clock, irq: &mut dyn IrqLine) {
        self.update_flags(clock.now_ns(), irq);
    }

    /// Guest time of the next event that could raise IRQ8, if any is enabled.
    pub fn next_event_ns(&self, clock: &dyn Clock) -> Option<u64> {
        let now = clock.now_ns() as i128;
        let b = self.reg(RTC_REG_B);
        let mut next: Option<i128> = None;
        if b & REG_B_PIE != 0 {
            if let Some(p) = self.periodic_ns() {
                next = Some((now / p + 1) * p);
            }
        }
        if b & (REG_B_UIE | REG_B_AIE) != 0 && self.running() {
            let w = self.wall_ns(now as u64);
            let t = (w.div_euclid(NS) + 1) * NS - self.wall_ns_at_zero;
            next = Some(next.map_or(t, |n| n.min(t)));
        }
        next.map(|t| t.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::testing::{FakeClock, Line};

    /// 2024-02-29 23:59:58 UTC.
    const WALL: i128 = 1_709_251_198 * NS;

    fn read(rtc: &mut Rtc, c: &FakeClock, irq: &mut Line, r: u8) -> u8 {
        rtc.write(0, r, c, irq);
        rtc.read(1, c, irq)
    }

    fn write(rtc: &mut Rtc, c: &FakeClock, irq: &mut Line, r: u8, v: u8) {
        rtc.write(0, r, c, irq);
        rtc.write(1, v, c, irq);
    }

    #[test]
    fn date_conversions_round_trip() {
        for days in [-1000, 0, 11_016, 19_782, 20_000, 100_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(
            DateTime::from_unix(0).day_of_week(),
            5,
            "1970-01-01 was a Thursday"
        );
    }

    #[test]
    fn reads_host_time_in_bcd_and_rolls_over() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        let regs = |rtc: &mut Rtc, irq: &mut Line| {
            [
                RTC_SECONDS,
                RTC_MINUTES,
                RTC_HOURS,
                RTC_DAY_OF_MONTH,
                RTC_MONTH,
                RTC_YEAR,
                RTC_CENTURY,
            ]
            .map(|r| read(rtc, &c, irq, r))
        };
        assert_eq!(
            regs(&mut rtc, &mut irq),
            [0x58, 0x59, 0x23, 0x29, 0x02, 0x24, 0x20]
        );
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_DAY_OF_WEEK), 5);
        c.advance(2 * NS as u64);
        assert_eq!(
            regs(&mut rtc, &mut irq),
            [0x00, 0x00, 0x00, 0x01, 0x03, 0x24, 0x20]
        );
    }

    #[test]
    fn binary_and_12_hour_modes() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        write(&mut rtc, &c, &mut irq, RTC_REG_B, REG_B_DM);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_HOURS), 0x80 | 11);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_SECONDS), 58);
    }

    #[test]
    fn guest_sets_the_time() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        write(&mut rtc, &c, &mut irq, RTC_REG_B, REG_B_SET | REG_B_24H);
        c.advance(5 * NS as u64);
        assert_eq!(
            read(&mut rtc, &c, &mut irq, RTC_SECONDS),
            0x58,
            "frozen while SET"
        );
        write(&mut rtc, &c, &mut irq, RTC_HOURS, 0x07);
        write(&mut rtc, &c, &mut irq, RTC_MINUTES, 0x30);
        write(&mut rtc, &c, &mut irq, RTC_SECONDS, 0x00);
        write(&mut rtc, &c, &mut irq, RTC_REG_B, REG_B_24H);
        c.advance(61 * NS as u64);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_MINUTES), 0x31);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_SECONDS), 0x01);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_HOURS), 0x07);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_DAY_OF_MONTH), 0x29);
    }

    #[test]
    fn update_in_progress_before_each_second() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_REG_A) & REG_A_UIP, 0);
        c.advance((NS - 100_000) as u64);
        assert_eq!(
            read(&mut rtc, &c, &mut irq, RTC_REG_A) & REG_A_UIP,
            REG_A_UIP
        );
    }

    #[test]
    fn periodic_interrupt_at_1024_hz() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        write(&mut rtc, &c, &mut irq, RTC_REG_B, REG_B_24H | REG_B_PIE);
        let t = rtc.next_event_ns(&c).unwrap();
        assert_eq!(t, 976_562);
        c.0.set(t);
        rtc.update(&c, &mut irq);
        assert!(irq.level);
        let flags = read(&mut rtc, &c, &mut irq, RTC_REG_C);
        assert_eq!(flags, REG_C_IRQF | REG_C_PF);
        assert!(!irq.level, "reading C acknowledges");
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_REG_C), 0);
    }

    #[test]
    fn update_ended_and_alarm_interrupts() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        write(&mut rtc, &c, &mut irq, RTC_REG_A, 0b010_0000);
        write(&mut rtc, &c, &mut irq, RTC_SECONDS_ALARM, 0x00);
        write(&mut rtc, &c, &mut irq, RTC_MINUTES_ALARM, 0xc0);
        write(&mut rtc, &c, &mut irq, RTC_HOURS_ALARM, 0xc0);
        write(&mut rtc, &c, &mut irq, RTC_REG_B, REG_B_24H | REG_B_AIE);
        c.0.set(rtc.next_event_ns(&c).unwrap());
        rtc.update(&c, &mut irq);
        assert!(!irq.level, "second 59 does not match the alarm");
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_REG_C), REG_C_UF);
        c.0.set(rtc.next_event_ns(&c).unwrap());
        rtc.update(&c, &mut irq);
        assert!(irq.level);
        assert_eq!(
            read(&mut rtc, &c, &mut irq, RTC_REG_C),
            REG_C_IRQF | REG_C_AF | REG_C_UF
        );
    }

    #[test]
    fn nmi_mask_and_cmos_ram() {
        let (c, mut irq) = (FakeClock::default(), Line::default());
        let mut rtc = Rtc::new(WALL);
        rtc.write(0, NMI_DISABLE | 0x40, &c, &mut irq);
        assert!(rtc.nmi_disabled);
        rtc.write(1, 0xa5, &c, &mut irq);
        rtc.write(0, 0x40, &c, &mut irq);
        assert!(!rtc.nmi_disabled);
        assert_eq!(rtc.read(1, &c, &mut irq), 0xa5);
        assert_eq!(read(&mut rtc, &c, &mut irq, RTC_REG_D), REG_D_VRT);
    }
}
