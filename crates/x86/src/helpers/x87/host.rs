//! The host FPU as the guest's x87 unit: the guest state enters it as an
//! FNSAVE image (FRSTOR), the guest's instruction runs there with the
//! guest's control word, and the state comes back out (FNSAVE, which also
//! reinitialises the host FPU) before the host's control word is restored.

use crate::cpu::{excp, CpuState, X87State};

/// FPU status word bits (SDM vol. 1, 8.1.3) that the helpers look at.
pub mod fsw {
    /// The six exception flags IE DE ZE OE UE PE (in FCW: their masks).
    pub const EXCEPTIONS: u16 = 0x3f;
    /// Precision exception.
    pub const PE: u16 = 1 << 5;
    /// Exception summary: an unmasked exception is pending.
    pub const ES: u16 = 1 << 7;
    /// FPU busy (mirrors ES).
    pub const B: u16 = 1 << 15;
    /// TOP, bits 11..14.
    pub const TOP: u16 = 7 << 11;
}

/// Bytes of an FNSAVE/FRSTOR image in the 32-bit protected-mode layout
/// (the one 64-bit mode uses): FCW, FSW, FTW, FIP, FCS/FOP, FDP, FDS, then
/// ST(0)..ST(7), 10 bytes each.
pub const FSAVE_SIZE: usize = 108;
const FSAVE_FCW: usize = 0;
const FSAVE_FSW: usize = 4;
const FSAVE_FTW: usize = 8;
const FSAVE_ST: usize = 28;

/// Full tag of an empty register in the FTW of an FNSAVE image.
const TAG_EMPTY: u16 = 3;

/// An FNSAVE image of the guest's x87 state.
#[repr(C, align(16))]
pub struct FsaveImage(pub [u8; FSAVE_SIZE]);

/// How much of the host's result becomes guest state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// Nothing: the helper only wants the bytes the instruction stored.
    Nothing,
    /// The status word without TOP (stores, whose pop comes later).
    Status,
    /// Registers, TOP, tags and status word.
    Stack,
    /// As `Stack`, and the control word too (FLDCW, FLDENV, FNSTENV).
    Control,
}

/// Whether the instruction first checks for a pending unmasked exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A waiting instruction: #MF if an unmasked exception is pending.
    Check,
    /// FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE.
    NoCheck,
}

fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

impl FsaveImage {
    /// The image of `x`: ST(i) is physical register (TOP + i) mod 8, the
    /// tag word says empty or valid (the FPU reclassifies valid registers).
    pub fn from_state(x: &X87State) -> FsaveImage {
        let mut b = [0u8; FSAVE_SIZE];
        let top = x.top as usize & 7;
        put16(&mut b, FSAVE_FCW, x.fcw);
        put16(
            &mut b,
            FSAVE_FSW,
            (x.fsw & !fsw::TOP) | ((top as u16) << 11),
        );
        let ftw = (0..8)
            .filter(|p| x.ftw & (1 << p) == 0)
            .fold(0u16, |t, p| t | TAG_EMPTY << (2 * p));
        put16(&mut b, FSAVE_FTW, ftw);
        for i in 0..8 {
            let off = FSAVE_ST + 10 * i;
            b[off..off + 10].copy_from_slice(&x.regs[(top + i) & 7][..10]);
        }
        FsaveImage(b)
    }

    /// Writes the parts of the image that `commit` names back into `x`.
    pub fn commit(&self, x: &mut X87State, commit: Commit) {
        let b = &self.0;
        let sw = get16(b, FSAVE_FSW);
        match commit {
            Commit::Nothing => return,
            Commit::Status => {
                x.fsw = sw & !fsw::TOP;
                return;
            }
            Commit::Stack | Commit::Control => {}
        }
        let top = ((sw & fsw::TOP) >> 11) as usize;
        x.top = top as u32;
        x.fsw = sw & !fsw::TOP;
        let ftw = get16(b, FSAVE_FTW);
        x.ftw = (0..8)
            .filter(|p| (ftw >> (2 * p)) & TAG_EMPTY != TAG_EMPTY)
            .fold(0u8, |t, p| t | 1 << p);
        for i in 0..8 {
            let off = FSAVE_ST + 10 * i;
            x.regs[(top + i) & 7][..10].copy_from_slice(&b[off..off + 10]);
        }
        if commit == Commit::Control {
            x.fcw = get16(b, FSAVE_FCW);
        }
    }
}

/// A memory operand for the host instruction: inputs are placed in it
/// before, stores are read from it after (large enough for FNSAVE).
#[repr(C, align(16))]
pub struct Mem(pub [u8; 112]);

impl Mem {
    /// A buffer whose first quadwords are `q` (little-endian), then zeros.
    pub fn new(q: &[u64]) -> Mem {
        let mut m = Mem([0; 112]);
        for (k, v) in q.iter().enumerate() {
            m.0[8 * k..8 * k + 8].copy_from_slice(&v.to_le_bytes());
        }
        m
    }

    /// Quadword `k` (bytes 8k..8k+8); `k` past the end gives 0.
    pub fn qword(&self, k: u64) -> u64 {
        let k = k as usize;
        match self.0.get(8 * k..8 * k + 8) {
            Some(s) => u64::from_le_bytes(s.try_into().expect("8 bytes")),
            None => 0,
        }
    }
}

/// What a store helper's buffer holds where the instruction stores nothing.
pub const UNSTORED: u64 = 0xa5a5_a5a5_a5a5_a5a5;

/// After a store helper ran the instruction on `m` (filled with
/// `UNSTORED`) and committed its status word: records whether it stored
/// (`CpuState::x87_stored`) and moves the status word it left to
/// `CpuState::x87_word`, putting `fsw` (the one before) back. An unmasked
/// invalid-operation, denormal, overflow or underflow exception suppresses
/// the store to memory, and any of them leaves an exception pending; an
/// unmasked precision exception does not suppress it, so a changed buffer
/// also means a store.
pub fn store_outcome(env: &mut CpuState, m: &Mem, fsw: u16) {
    let changed = m.qword(0) != UNSTORED || m.qword(1) != UNSTORED;
    env.x87_stored = (changed || !pending(&env.fpu)) as u64;
    let word = env.fpu.top as u64 | (env.fpu.fcw as u64) << 32 | (env.fpu.fsw as u64) << 48;
    env.x87_word = word;
    env.fpu.fsw = fsw;
}

/// True when an unmasked exception is pending, so that the next waiting
/// x87 instruction takes #MF instead of executing.
pub fn pending(x: &X87State) -> bool {
    x.fsw & fsw::ES != 0 || x.fsw & !x.fcw & fsw::EXCEPTIONS != 0
}

/// Runs `run` (an `on_host!` block) over the guest's x87 state and commits
/// its result. A waiting instruction with an exception pending raises #MF
/// instead, leaving the state alone.
pub fn exec(env: &mut CpuState, wait: Wait, commit: Commit, run: impl FnOnce(*mut FsaveImage)) {
    if wait == Wait::Check && pending(&env.fpu) {
        env.raise(excp::MF, 0, false);
        return;
    }
    let mut img = FsaveImage::from_state(&env.fpu);
    run(&mut img);
    img.commit(&mut env.fpu, commit);
}

/// Runs x87 instructions on the host with the FPU state of an image:
/// `on_host!(img_ptr, ["insn", ...], extra asm operands)`. The instruction
/// text may name the operands `{m}` (a memory buffer) or `{i}` (a const).
macro_rules! on_host {
    ($img:expr, [$($insn:literal),+] $(, $($ops:tt)+)?) => {{
        let img: *mut $crate::helpers::x87::host::FsaveImage = $img;
        let mut host_cw: u16 = 0;
        // SAFETY: FRSTOR reads and FNSAVE writes the 108-byte image at `img`,
        // and any `{m}` operand points at a live `Mem` buffer. The host's FPU
        // is empty between Rust statements; FNSAVE reinitialises it and FLDCW
        // puts back its control word. The image carries no pending unmasked
        // exception into a waiting instruction (`exec` checks), and no waiting
        // instruction follows the guest's before FNSAVE, so whatever the guest
        // unmasked never traps on the host.
        unsafe {
            core::arch::asm!(
                "fnstcw word ptr [{host_cw}]",
                "frstor [{img}]",
                $($insn,)+
                "fnsave [{img}]",
                "fldcw word ptr [{host_cw}]",
                img = in(reg) img,
                host_cw = in(reg) &raw mut host_cw,
                $($($ops)+,)?
                out("st(0)") _, out("st(1)") _, out("st(2)") _, out("st(3)") _,
                out("st(4)") _, out("st(5)") _, out("st(6)") _, out("st(7)") _,
            );
        }
    }};
}

/// Declares one x87 helper of a common shape:
/// - `plain(wait, commit) ["insn"]`: no arguments;
/// - `plain(wait, commit, moved) ["insn"]`: likewise, but `moved(fpu)`
///   (see `moves`) first, which does the instruction itself when it can;
/// - `push(moved) ["insn"]`: `plain(Check, Stack, moved)`;
/// - `sti ["insn with st({i})"]`: argument 0 is i (0..7);
/// - `sti(moved) ["insn with st({i})"]`: likewise, `moved(fpu, i)` first;
/// - `load ["insn [{m}]"]`: arguments 0 and 1 are the bytes of the memory
///   source (low quadword first);
/// - `load(moved) ["insn [{m}]"]`: likewise, `moved(fpu, lo)` first;
/// - `arith_sti ["insn with st({i})"]`, `arith_load ["insn [{m}]"]`: as
///   `sti` and `load`, on a partial host stack where it can (`partial`);
/// - `store(part, commit) ["insn [{m}]"]`: returns quadword `part` of what
///   the instruction stores (on a partial host stack where it can), sets
///   `CpuState::x87_stored` and leaves the status word it commits in
///   `CpuState::x87_word` (see `store_outcome`).
macro_rules! x87_helper {
    ($(#[$doc:meta])* $name:ident = $text:literal, plain($wait:ident, $commit:ident, $moved:path) [$($insn:literal),+]) => {
        $(#[$doc])*
        pub static $name: $crate::helpers::HelperInfo = $crate::helpers::HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut $crate::cpu::CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
                    use $crate::helpers::x87::host::{exec, Commit, Wait};
                    if !$moved(&mut env.fpu) {
                        exec(env, Wait::$wait, Commit::$commit, |img| on_host!(img, [$($insn),+]));
                    }
                    0
                }
                f
            },
        };
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, plain($wait:ident, $commit:ident) [$($insn:literal),+]) => {
        x87_helper! {
            $(#[$doc])*
            $name = $text, plain($wait, $commit, $crate::helpers::x87::moves::host_only_plain) [$($insn),+]
        }
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, sti($moved:path) [$($insn:literal),+]) => {
        $(#[$doc])*
        pub static $name: $crate::helpers::HelperInfo = $crate::helpers::HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut $crate::cpu::CpuState, i: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
                    use $crate::helpers::x87::host::{exec, Commit, FsaveImage, Wait};
                    fn run<const I: usize>(img: *mut FsaveImage) {
                        on_host!(img, [$($insn),+], i = const I)
                    }
                    const RUN: [fn(*mut FsaveImage); 8] =
                        [run::<0>, run::<1>, run::<2>, run::<3>, run::<4>, run::<5>, run::<6>, run::<7>];
                    if !$moved(&mut env.fpu, (i & 7) as usize) {
                        exec(env, Wait::Check, Commit::Stack, RUN[(i & 7) as usize]);
                    }
                    0
                }
                f
            },
        };
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, push($moved:path) [$($insn:literal),+]) => {
        x87_helper! {
            $(#[$doc])*
            $name = $text, plain(Check, Stack, $moved) [$($insn),+]
        }
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, arith_sti [$($insn:literal),+]) => {
        $(#[$doc])*
        pub static $name: $crate::helpers::HelperInfo = $crate::helpers::HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut $crate::cpu::CpuState, i: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
                    use $crate::cpu::X87State;
                    use $crate::helpers::x87::host::{exec, Commit, FsaveImage, Wait};
                    use $crate::helpers::x87::partial::Partial;
                    fn run<const I: usize>(img: *mut FsaveImage) {
                        on_host!(img, [$($insn),+], i = const I)
                    }
                    fn fast<const I: usize>(x: &mut X87State) -> bool {
                        // ST(0) op ST(0) then pop: the result goes with the
                        // pop, into a register the partial stack drops.
                        if I == 0 && $crate::helpers::x87::partial::pops(&[$($insn),+]) {
                            return false;
                        }
                        let Some(mut p) = Partial::load(x, I) else {
                            return false;
                        };
                        on_partial!(&mut p, I + 1, [$($insn),+], i = const I);
                        p.commit(x, I + 1);
                        true
                    }
                    const RUN: [fn(*mut FsaveImage); 8] =
                        [run::<0>, run::<1>, run::<2>, run::<3>, run::<4>, run::<5>, run::<6>, run::<7>];
                    const FAST: [fn(&mut X87State) -> bool; 8] =
                        [fast::<0>, fast::<1>, fast::<2>, fast::<3>, fast::<4>, fast::<5>, fast::<6>, fast::<7>];
                    let i = (i & 7) as usize;
                    if !FAST[i](&mut env.fpu) {
                        exec(env, Wait::Check, Commit::Stack, RUN[i]);
                    }
                    0
                }
                f
            },
        };
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, arith_load [$($insn:literal),+]) => {
        $(#[$doc])*
        pub static $name: $crate::helpers::HelperInfo = $crate::helpers::HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut $crate::cpu::CpuState, lo: u64, hi: u64, _: u64, _: u64, _: u64) -> u64 {
                    use $crate::helpers::x87::host::{exec, Commit, Mem, Wait};
                    use $crate::helpers::x87::partial::Partial;
                    let mut m = Mem::new(&[lo, hi]);
                    let mp = m.0.as_mut_ptr();
                    if let Some(mut p) = Partial::load(&env.fpu, 0) {
                        on_partial!(&mut p, 1, [$($insn),+], m = in(reg) mp);
                        p.commit(&mut env.fpu, 1);
                        return 0;
                    }
                    exec(env, Wait::Check, Commit::Stack, |img| on_host!(img, [$($insn),+], m = in(reg) mp));
                    0
                }
                f
            },
        };
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, sti [$($insn:literal),+]) => {
        x87_helper! {
            $(#[$doc])*
            $name = $text, sti($crate::helpers::x87::moves::host_only_sti) [$($insn),+]
        }
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, load($moved:path) [$($insn:literal),+]) => {
        $(#[$doc])*
        pub static $name: $crate::helpers::HelperInfo = $crate::helpers::HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut $crate::cpu::CpuState, lo: u64, hi: u64, _: u64, _: u64, _: u64) -> u64 {
                    use $crate::helpers::x87::host::{exec, Commit, Mem, Wait};
                    if $moved(&mut env.fpu, lo) {
                        return 0;
                    }
                    let mut m = Mem::new(&[lo, hi]);
                    let p = m.0.as_mut_ptr();
                    exec(env, Wait::Check, Commit::Stack, |img| on_host!(img, [$($insn),+], m = in(reg) p));
                    0
                }
                f
            },
        };
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, load [$($insn:literal),+]) => {
        x87_helper! {
            $(#[$doc])*
            $name = $text, load($crate::helpers::x87::moves::host_only_load) [$($insn),+]
        }
    };
    ($(#[$doc:meta])* $name:ident = $text:literal, store($part:literal, $commit:ident) [$($insn:literal),+]) => {
        $(#[$doc])*
        pub static $name: $crate::helpers::HelperInfo = $crate::helpers::HelperInfo {
            name: $text,
            func: {
                extern "C" fn f(env: &mut $crate::cpu::CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
                    use $crate::helpers::x87::host::{exec, store_outcome, Commit, Mem, Wait, UNSTORED};
                    use $crate::helpers::x87::partial::Partial;
                    let mut m = Mem::new(&[UNSTORED, UNSTORED]);
                    let mp = m.0.as_mut_ptr();
                    let fsw = env.fpu.fsw;
                    if let Some(mut p) = Partial::load(&env.fpu, 0) {
                        on_partial!(&mut p, 1, [$($insn),+], m = in(reg) mp);
                        p.commit_status(&mut env.fpu, Commit::$commit);
                    } else {
                        exec(env, Wait::Check, Commit::$commit, |img| on_host!(img, [$($insn),+], m = in(reg) mp));
                    }
                    store_outcome(env, &m, fsw);
                    m.qword($part)
                }
                f
            },
        };
    };
}
