//! The architectural state a sequence starts from and ends in: GPRs,
//! RFLAGS, XMM, MXCSR, the x87 unit and the scratch page; random initial
//! states; the FXSAVE image the native side loads and stores; and the
//! one-line text form of an initial state that regression cases keep.

use crate::layout::{PAGE, SCRATCH};
use crate::rng::Rng;
use ox86_x86::cpu::eflags;
use std::fmt::Write;

/// x87 status word bits (SDM vol. 1, 8.1.3).
pub mod fsw {
    pub const C0: u16 = 1 << 8;
    pub const C1: u16 = 1 << 9;
    pub const C2: u16 = 1 << 10;
    pub const C3: u16 = 1 << 14;
    /// TOP, bits 11..14.
    pub const TOP_SHIFT: u16 = 11;
}

/// GPR names in encoding order.
pub const GPR_NAMES: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];

/// RSP's number.
pub const RSP: usize = 4;

/// The register file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regs {
    /// RAX..R15.
    pub gpr: [u64; 16],
    /// RFLAGS.
    pub rflags: u64,
    /// XMM0..XMM15.
    pub xmm: [u128; 16],
    /// MXCSR.
    pub mxcsr: u32,
    /// x87 control word.
    pub fcw: u16,
    /// x87 status word, TOP included.
    pub fsw: u16,
    /// Abridged tag word: bit i set when physical register i is valid.
    pub ftw: u8,
    /// Physical x87 registers R0..R7 (80-bit, little-endian).
    pub st: [[u8; 10]; 8],
    /// The GS segment base (GS-prefixed memory operands add it).
    pub gs_base: u64,
}

/// A sequence's initial state: registers and the seed of the scratch page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// Registers.
    pub regs: Regs,
    /// The scratch page's contents are `scratch(mem_seed)`.
    pub mem_seed: u64,
}

/// The initial scratch page for `seed`: integers biased to the edges and
/// float bit patterns, 8 bytes at a time.
pub fn scratch(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut mem = Vec::with_capacity(PAGE as usize);
    while mem.len() < PAGE as usize {
        let v = match rng.below(5) {
            0 | 1 => rng.edge_u64(),
            2 => edge_f64(&mut rng),
            3 => edge_f32(&mut rng) as u64 | (edge_f32(&mut rng) as u64) << 32,
            // Any canonical address (WRGSBASE takes no other).
            _ => ((rng.next_u64() << 16) as i64 >> 16) as u64,
        };
        mem.extend_from_slice(&v.to_le_bytes());
    }
    mem
}

/// A single-precision bit pattern biased to zeros, infinities, NaNs,
/// denormals and values near one.
pub fn edge_f32(rng: &mut Rng) -> u32 {
    const EDGES: [u32; 14] = [
        0,
        0x8000_0000,
        0x3f80_0000,
        0xbf80_0000,
        0x3f00_0000,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0xffc0_0000,
        0x7fa0_0001,
        1,
        0x007f_ffff,
        0x0080_0000,
        0x7f7f_ffff,
    ];
    match rng.below(4) {
        0 => rng.pick(&EDGES),
        1 => rng.next_u64() as u32,
        _ => {
            let sign = (rng.next_u64() as u32) & 0x8000_0000;
            let exp = (127 + rng.below(60) as u32).wrapping_sub(30) << 23;
            sign | exp | (rng.next_u64() as u32 & 0x7f_ffff)
        }
    }
}

/// A double-precision bit pattern, biased as `edge_f32`.
pub fn edge_f64(rng: &mut Rng) -> u64 {
    const EDGES: [u64; 14] = [
        0,
        1 << 63,
        0x3ff0_0000_0000_0000,
        0xbff0_0000_0000_0000,
        0x3fe0_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0xfff8_0000_0000_0000,
        0x7ff4_0000_0000_0001,
        1,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x7fef_ffff_ffff_ffff,
    ];
    match rng.below(4) {
        0 => rng.pick(&EDGES),
        1 => rng.next_u64(),
        _ => {
            let sign = rng.next_u64() & (1 << 63);
            let exp = (1023 + rng.below(120)).wrapping_sub(60) << 52;
            sign | exp | (rng.next_u64() & 0xf_ffff_ffff_ffff)
        }
    }
}

/// An 80-bit extended value: normal numbers near one, small integers,
/// zeros, infinities, NaNs, denormals, and rarely the unsupported
/// encodings (unnormals, pseudo-denormals).
pub fn edge_f80(rng: &mut Rng) -> [u8; 10] {
    let sign = (rng.below(2) as u16) << 15;
    let (se, mant): (u16, u64) = match rng.below(12) {
        0 => (0, 0),
        1 => (0x7fff, 1 << 63),
        2 => (0x7fff, 0xc000_0000_0000_0000 | rng.below(1 << 20)),
        3 => (0x7fff, 0x8000_0000_0000_0000 | (rng.next_u64() >> 2).max(1)),
        4 => (0, rng.next_u64() >> 1),
        5 => {
            let n = rng.below(1 << 16).max(1);
            let lz = n.leading_zeros() as u16;
            (0x3fff + 63 - lz, n << lz)
        }
        6 if rng.chance(30) => (0, rng.next_u64() | (1 << 63)),
        7 if rng.chance(30) => (1 + rng.below(0x7ffe) as u16, rng.next_u64() >> 1),
        8 => (1 + rng.below(0x7ffe) as u16, rng.next_u64() | (1 << 63)),
        _ => (
            0x3fff + rng.below(128) as u16 - 64,
            rng.next_u64() | (1 << 63),
        ),
    };
    let mut b = [0u8; 10];
    b[..8].copy_from_slice(&mant.to_le_bytes());
    b[8..].copy_from_slice(&(sign | se).to_le_bytes());
    b
}

impl Input {
    /// A random initial state: GPRs that are pointers into the scratch page,
    /// small numbers or edge values; RSP in the middle of the scratch page;
    /// random status flags and DF; XMM lanes as floats or integers; an
    /// MXCSR and an x87 control word with every exception masked and random
    /// rounding (and precision, DAZ, FTZ); a random x87 stack.
    pub fn random(rng: &mut Rng) -> Input {
        let mut gpr = [0u64; 16];
        for (i, g) in gpr.iter_mut().enumerate() {
            *g = if i == RSP {
                let off = 0x600 + rng.below(0x400);
                SCRATCH + if rng.chance(90) { off & !7 } else { off }
            } else {
                match rng.below(20) {
                    0..=6 => {
                        let off = 0x200 + rng.below(0xc00);
                        SCRATCH + if rng.chance(50) { off & !15 } else { off }
                    }
                    7..=9 => (rng.below(128) as i64 - 32) as u64,
                    _ => rng.edge_u64(),
                }
            };
        }
        let mut fl = rng.next_u64() & eflags::ARITH | eflags::FIXED1 | eflags::IF;
        if rng.chance(25) {
            fl |= eflags::DF;
        }
        let mut xmm = [0u128; 16];
        for x in xmm.iter_mut() {
            let (lo, hi) = match rng.below(4) {
                0 => {
                    let f = |r: &mut Rng| edge_f32(r) as u64 | (edge_f32(r) as u64) << 32;
                    (f(rng), f(rng))
                }
                1 => (edge_f64(rng), edge_f64(rng)),
                2 => (rng.edge_u64(), rng.edge_u64()),
                _ => (rng.next_u64(), rng.next_u64()),
            };
            *x = lo as u128 | (hi as u128) << 64;
        }
        let mut mxcsr = 0x1f80 | (rng.below(4) as u32) << 13;
        if rng.chance(20) {
            mxcsr |= 1 << 15;
        }
        if rng.chance(20) {
            mxcsr |= 1 << 6;
        }
        if rng.chance(30) {
            mxcsr |= rng.below(64) as u32;
        }
        let pc = rng.pick(&[3u16, 3, 3, 2, 0]);
        let fcw = 0x7f | pc << 8 | (rng.below(4) as u16) << 10;
        let top = rng.below(8) as u16;
        let mut fsw = top << fsw::TOP_SHIFT
            | (rng.next_u64() as u16 & (fsw::C0 | fsw::C1 | fsw::C2 | fsw::C3));
        if rng.chance(30) {
            fsw |= rng.below(64) as u16;
        }
        let ftw = (0..8).fold(0u8, |t, i| t | (rng.chance(60) as u8) << i);
        let mut st = [[0u8; 10]; 8];
        for r in st.iter_mut() {
            *r = edge_f80(rng);
        }
        let gs_base = match rng.below(4) {
            0 => 0,
            1 => SCRATCH + rng.below(PAGE),
            2 => rng.below(1 << 20),
            // Any canonical address (WRGSBASE takes no other).
            _ => ((rng.next_u64() << 16) as i64 >> 16) as u64,
        };
        Input {
            regs: Regs {
                gpr,
                rflags: fl,
                xmm,
                mxcsr,
                fcw,
                fsw,
                ftw,
                st,
                gs_base,
            },
            mem_seed: rng.next_u64(),
        }
    }

    /// The text form: `key=value` fields separated by spaces, hex numbers
    /// (`gs` may be left out: 0).
    pub fn to_text(&self) -> String {
        let r = &self.regs;
        let mut s = String::new();
        let list = |v: Vec<String>| v.join(",");
        let _ = write!(
            s,
            "gpr={} rflags={:x} xmm={} mxcsr={:x} fcw={:x} fsw={:x} ftw={:x} st={} gs={:x} mem={:x}",
            list(r.gpr.iter().map(|g| format!("{g:x}")).collect()),
            r.rflags,
            list(r.xmm.iter().map(|x| format!("{x:x}")).collect()),
            r.mxcsr,
            r.fcw,
            r.fsw,
            r.ftw,
            list(r.st.iter().map(|b| hex(b)).collect()),
            r.gs_base,
            self.mem_seed
        );
        s
    }

    /// Parses `to_text`'s form (fields in any order; all required).
    pub fn parse(text: &str) -> Result<Input, String> {
        let mut regs = Regs::zero();
        let mut mem_seed = None;
        let mut seen = 0u32;
        for field in text.split_whitespace() {
            let (k, v) = field
                .split_once('=')
                .ok_or_else(|| format!("field without '=': {field}"))?;
            let num = |s: &str| u128::from_str_radix(s, 16).map_err(|e| format!("{k}: {s}: {e}"));
            let items: Vec<&str> = v.split(',').collect();
            let bit = match k {
                "gpr" => {
                    check_len(k, &items, 16)?;
                    for (g, s) in regs.gpr.iter_mut().zip(&items) {
                        *g = num(s)? as u64;
                    }
                    1
                }
                "rflags" => {
                    regs.rflags = num(v)? as u64;
                    2
                }
                "xmm" => {
                    check_len(k, &items, 16)?;
                    for (x, s) in regs.xmm.iter_mut().zip(&items) {
                        *x = num(s)?;
                    }
                    4
                }
                "mxcsr" => {
                    regs.mxcsr = num(v)? as u32;
                    8
                }
                "fcw" => {
                    regs.fcw = num(v)? as u16;
                    16
                }
                "fsw" => {
                    regs.fsw = num(v)? as u16;
                    32
                }
                "ftw" => {
                    regs.ftw = num(v)? as u8;
                    64
                }
                "st" => {
                    check_len(k, &items, 8)?;
                    for (r, s) in regs.st.iter_mut().zip(&items) {
                        let b = unhex(s)?;
                        *r = b.try_into().map_err(|_| format!("st: {s}: not 10 bytes"))?;
                    }
                    128
                }
                "mem" => {
                    mem_seed = Some(num(v)? as u64);
                    256
                }
                // Optional (rows from before it existed have GS base 0).
                "gs" => {
                    regs.gs_base = num(v)? as u64;
                    0
                }
                _ => 0,
            };
            seen |= bit;
        }
        match mem_seed {
            Some(mem_seed) if seen == 511 => Ok(Input { regs, mem_seed }),
            _ => Err(format!("incomplete state: {text}")),
        }
    }
}

fn check_len(k: &str, items: &[&str], n: usize) -> Result<(), String> {
    if items.len() == n {
        Ok(())
    } else {
        Err(format!("{k}: {} values, expected {n}", items.len()))
    }
}

/// Bytes as hex digits, in memory order.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hex digits back to bytes.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex length: {s}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("{s}: {e}")))
        .collect()
}

/// Size of an FXSAVE image.
pub const FXSAVE_SIZE: usize = 512;

/// FXSAVE image offsets (SDM vol. 1, table 10-2, 64-bit format).
mod fx {
    pub const FCW: usize = 0;
    pub const FSW: usize = 2;
    pub const FTW: usize = 4;
    pub const MXCSR: usize = 24;
    pub const ST: usize = 32;
    pub const XMM: usize = 160;
}

impl Regs {
    /// All zero (a base for parsing).
    fn zero() -> Regs {
        Regs {
            gpr: [0; 16],
            rflags: 0,
            xmm: [0; 16],
            mxcsr: 0,
            fcw: 0,
            fsw: 0,
            ftw: 0,
            st: [[0; 10]; 8],
            gs_base: 0,
        }
    }

    /// The x87 TOP field.
    pub fn top(&self) -> usize {
        (self.fsw >> fsw::TOP_SHIFT & 7) as usize
    }

    /// The FXSAVE image of the x87 and SSE state (ST(i) in stack order).
    pub fn to_fxsave(&self) -> [u8; FXSAVE_SIZE] {
        let mut f = [0u8; FXSAVE_SIZE];
        f[fx::FCW..fx::FCW + 2].copy_from_slice(&self.fcw.to_le_bytes());
        f[fx::FSW..fx::FSW + 2].copy_from_slice(&self.fsw.to_le_bytes());
        f[fx::FTW] = self.ftw;
        f[fx::MXCSR..fx::MXCSR + 4].copy_from_slice(&self.mxcsr.to_le_bytes());
        f[fx::MXCSR + 4..fx::MXCSR + 8].copy_from_slice(&0xffffu32.to_le_bytes());
        for i in 0..8 {
            let o = fx::ST + 16 * i;
            f[o..o + 10].copy_from_slice(&self.st[(self.top() + i) & 7]);
        }
        for (i, x) in self.xmm.iter().enumerate() {
            let o = fx::XMM + 16 * i;
            f[o..o + 16].copy_from_slice(&x.to_le_bytes());
        }
        f
    }

    /// Takes the x87 and SSE state from an FXSAVE image.
    pub fn set_fxsave(&mut self, f: &[u8]) {
        let u16_at = |o: usize| u16::from_le_bytes([f[o], f[o + 1]]);
        self.fcw = u16_at(fx::FCW);
        self.fsw = u16_at(fx::FSW);
        self.ftw = f[fx::FTW];
        self.mxcsr = u32::from_le_bytes(f[fx::MXCSR..fx::MXCSR + 4].try_into().unwrap());
        let top = self.top();
        for i in 0..8 {
            let o = fx::ST + 16 * i;
            self.st[(top + i) & 7].copy_from_slice(&f[o..o + 10]);
        }
        for (i, x) in self.xmm.iter_mut().enumerate() {
            let o = fx::XMM + 16 * i;
            *x = u128::from_le_bytes(f[o..o + 16].try_into().unwrap());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip() {
        let mut rng = Rng::new(7);
        for _ in 0..50 {
            let i = Input::random(&mut rng);
            assert_eq!(Input::parse(&i.to_text()), Ok(i));
        }
    }

    #[test]
    fn fxsave_round_trip() {
        let mut rng = Rng::new(9);
        let i = Input::random(&mut rng);
        let mut r = i.regs.clone();
        r.set_fxsave(&i.regs.to_fxsave());
        assert_eq!(r, i.regs);
    }
}
