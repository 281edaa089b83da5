//! Fault sites: for each guest load and store in generated code, the guest
//! pc and where every global and XMM register not yet written back lives
//! (a host register or a constant; a host XMM register). Guest state is
//! not synced before memory accesses; after a host fault, `recover`
//! rebuilds the exact state from this table and the registers the fault
//! handler saved.
//!
//! A TB's sites are a byte string, read only after a fault: per site, in
//! code order, the code offset (as a delta from the previous site's), the
//! guest pc (as a delta from the previous site's, starting at the TB's pc),
//! the pinned globals (`abi::PINNED`) that are in their own registers, as
//! a mask of those registers, the number of other values, then per value
//! the `CpuState` offset of its word with its kind in the low two bits
//! (`kind`), and the host register or the constant. All numbers are
//! LEB128 varints, signed deltas zigzag-encoded. Most sites find most
//! pinned globals at home, so the mask keeps the string short.

use crate::abi::PINNED;
use crate::gen::{Gen, Loc};
use crate::rip::RIP;
use ox86_x86::cpu::{xmm_offset, XMM_SRC};
use ox86_x86::CpuState;

/// Appends `v` as an unsigned LEB128 varint.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an unsigned LEB128 varint at `*at`.
fn get(bytes: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// What a site's value is, in the low two bits of its head.
mod kind {
    /// A host general register (one byte follows).
    pub const REG: u64 = 0;
    /// A constant (a varint follows).
    pub const CONST: u64 = 1;
    /// The low quadword of a host XMM register (one byte follows).
    pub const XMM_LO: u64 = 2;
    /// The high quadword of a host XMM register (one byte follows).
    pub const XMM_HI: u64 = 3;
}

fn zigzag(v: i64) -> u64 {
    (v << 1 ^ v >> 63) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Builds one TB's site string (the generator's buffer, reused per TB).
#[derive(Default, Debug)]
pub(crate) struct SiteWriter {
    /// The encoded sites.
    pub bytes: Vec<u8>,
    last_off: u32,
    last_pc: u64,
}

impl SiteWriter {
    /// Starts the sites of a TB at guest `tb_pc`.
    pub fn start(&mut self, tb_pc: u64) {
        self.bytes.clear();
        self.last_off = 0;
        self.last_pc = tb_pc;
    }

    /// Begins a site at code offset `off` (not below the previous one) for
    /// the instruction at `pc`, where the pinned globals whose registers
    /// are in `home` (bit r: host register r) are in them; its other dirty
    /// globals follow, then `end`. Returns where the count goes.
    fn site(&mut self, off: u32, pc: u64, home: u16) -> usize {
        put(&mut self.bytes, (off - self.last_off) as u64);
        put(
            &mut self.bytes,
            zigzag(pc.wrapping_sub(self.last_pc) as i64),
        );
        put(&mut self.bytes, home as u64);
        self.bytes.push(0);
        self.last_off = off;
        self.last_pc = pc;
        self.bytes.len() - 1
    }

    /// Ends the site whose count goes at `at`: it has `n` dirty globals.
    fn end(&mut self, at: usize, n: usize) {
        if n < 0x80 {
            self.bytes[at] = n as u8;
        } else {
            let mut count = Vec::new();
            put(&mut count, n as u64);
            self.bytes.splice(at..at + 1, count);
        }
    }

    /// A dirty global at `CpuState` byte offset `field` holds `v`.
    fn value(&mut self, field: usize, v: Loc) {
        let word = (field / 8) as u64;
        match v {
            Loc::Reg(r) => {
                put(&mut self.bytes, word << 2 | kind::REG);
                self.bytes.push(r);
            }
            Loc::Const(c) => {
                put(&mut self.bytes, word << 2 | kind::CONST);
                put(&mut self.bytes, c);
            }
            Loc::Mem | Loc::Dead => unreachable!("only values outside CpuState are recorded"),
        }
    }

    /// A dirty XMM register at `CpuState` byte offset `field` (16 bytes)
    /// is in host XMM register `h`: two values, one per quadword.
    fn xmm(&mut self, field: usize, h: u8) {
        let word = (field / 8) as u64;
        put(&mut self.bytes, word << 2 | kind::XMM_LO);
        self.bytes.push(h);
        put(&mut self.bytes, (word + 1) << 2 | kind::XMM_HI);
        self.bytes.push(h);
    }
}

/// One site found in a TB's string: its guest pc and where its values start.
pub(crate) struct Site<'a> {
    /// Guest pc of the instruction the access belongs to.
    pub pc: u64,
    /// Bit r set: the pinned global whose register is r is in it.
    home: u16,
    bytes: &'a [u8],
    vals: usize,
    n: usize,
}

/// The site of the access instruction at code offset `off` in `bytes`, the
/// site string of a TB at guest `tb_pc`.
pub(crate) fn find(bytes: &[u8], tb_pc: u64, off: u32) -> Option<Site<'_>> {
    let (mut at, mut cur_off, mut pc) = (0, 0u64, tb_pc);
    while at < bytes.len() {
        cur_off += get(bytes, &mut at);
        pc = pc.wrapping_add(unzigzag(get(bytes, &mut at)) as u64);
        let home = get(bytes, &mut at) as u16;
        let n = get(bytes, &mut at) as usize;
        if cur_off == off as u64 {
            return Some(Site {
                pc,
                home,
                bytes,
                vals: at,
                n,
            });
        }
        if cur_off > off as u64 {
            return None;
        }
        for _ in 0..n {
            let head = get(bytes, &mut at);
            if head & 3 == kind::CONST {
                get(bytes, &mut at);
            } else {
                at += 1;
            }
        }
    }
    None
}

impl Site<'_> {
    /// Writes the guest state at this site into `env`: the pinned globals
    /// at home and the other dirty globals from `regs` (host registers at
    /// the fault, in encoding order) or constants, dirty XMM registers
    /// from `xmm` (the host's at the fault), and rip.
    pub fn recover(&self, regs: &[u64; 16], xmm: &[[u64; 2]; 16], env: &mut CpuState) {
        for (offset, r) in PINNED {
            if self.home & 1 << r != 0 {
                write_word(env, offset, regs[r as usize]);
            }
        }
        let mut at = self.vals;
        for _ in 0..self.n {
            let head = get(self.bytes, &mut at);
            let value = if head & 3 == kind::CONST {
                get(self.bytes, &mut at)
            } else {
                let r = self.bytes[at] as usize;
                at += 1;
                match head & 3 {
                    kind::REG => regs[r],
                    kind::XMM_LO => xmm[r][0],
                    _ => xmm[r][1],
                }
            };
            write_word(env, (head >> 2) as usize * 8, value);
        }
        env.rip = self.pc;
    }
}

/// Writes the 8-byte word at byte offset `off` of `env`.
fn write_word(env: &mut CpuState, off: usize, value: u64) {
    assert!(off.is_multiple_of(8) && off + 8 <= std::mem::size_of::<CpuState>());
    // SAFETY: `off` is a global's 8-byte, 8-aligned field of CpuState or a
    // quadword of an XMM register (recorded from the TB's globals and XMM
    // registers, or `abi::PINNED`; alignment and bounds checked).
    unsafe { *((env as *mut CpuState as *mut u8).add(off) as *mut u64) = value };
}

impl Gen {
    /// Where global `g` is at a fault site, if `CpuState` does not hold it.
    fn site_value(&self, g: usize) -> Option<Loc> {
        let v = self.loc[g];
        let outside = matches!(v, Loc::Reg(_) | Loc::Const(_));
        (self.dirty[g] && g != RIP.index() && outside).then_some(v)
    }

    /// Records a fault site for the access instruction emitted next.
    /// `XMM_SRC` is left out: the translator fills it within the guest
    /// instruction that reads it.
    pub fn fault_site(&mut self) {
        let off = self.off() as u32;
        let (mut home, mut at_home) = (0u16, 0u64);
        for &(g, r) in &self.pinned {
            if self.dirty[g as usize] && self.loc[g as usize] == Loc::Reg(r) {
                home |= 1 << r;
                at_home |= 1 << g;
            }
        }
        let at = self.sites.site(off, self.cur_pc, home);
        let mut n = 0;
        for g in self.dirty_globals() {
            if at_home & 1 << g != 0 {
                continue;
            }
            if let Some(v) = self.site_value(g as usize) {
                self.sites.value(self.ir.globals[g as usize].offset, v);
                n += 1;
            }
        }
        for (g, h) in self.xc.dirty_entries() {
            if g != XMM_SRC {
                self.sites.xmm(xmm_offset(g, 0), h);
                n += 2;
            }
        }
        self.sites.end(at, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_round_trip() {
        let rcx = std::mem::offset_of!(CpuState, regs) + 8;
        let rdx = rcx + 8;
        let mut w = SiteWriter::default();
        w.start(0x40_1000);
        let at = w.site(3, 0x40_1000, 0);
        w.value(rcx, Loc::Reg(12));
        w.end(at, 1);
        let (rsp_home, rax_home) = (PINNED[0].1, PINNED[4].1);
        let at = w.site(200, 0x40_0ff0, 1 << rsp_home | 1 << rax_home);
        w.value(rcx, Loc::Const(u64::MAX));
        w.value(rdx, Loc::Reg(6));
        w.end(at, 2);
        let at = w.site(201, 0x40_2000, 0);
        w.xmm(xmm_offset(5, 0), 14);
        w.end(at, 2);
        assert!(find(&w.bytes, 0x40_1000, 4).is_none());
        assert!(find(&w.bytes, 0x40_1000, 202).is_none());
        let s = find(&w.bytes, 0x40_1000, 200).unwrap();
        assert_eq!(s.pc, 0x40_0ff0);
        let mut env = CpuState::default();
        let mut regs = [0u64; 16];
        regs[6] = 0x1234;
        regs[rsp_home as usize] = 0x7ff0;
        regs[rax_home as usize] = 0x4321;
        let mut xmm = [[0u64; 2]; 16];
        xmm[14] = [0x5555, 0xaaaa];
        s.recover(&regs, &xmm, &mut env);
        assert_eq!(env.rip, 0x40_0ff0);
        assert_eq!((env.regs[1], env.regs[2]), (u64::MAX, 0x1234));
        assert_eq!(
            (env.regs[4], env.regs[0]),
            (0x7ff0, 0x4321),
            "rsp, rax at home"
        );
        let s = find(&w.bytes, 0x40_1000, 201).unwrap();
        assert_eq!(s.pc, 0x40_2000);
        s.recover(&regs, &xmm, &mut env);
        assert_eq!(env.xmm[5], [0x5555, 0xaaaa]);
    }
}
