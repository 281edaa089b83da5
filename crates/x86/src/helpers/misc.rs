//! Miscellaneous helpers: the instruction-fetch fault, the CPUID model ox86
//! presents, and RDTSC.

use super::HelperInfo;
use crate::cpu::{excp, CpuState};

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[&RAISE_FETCH_FAULT, &CPUID_AB, &CPUID_CD, &RDTSC];

extern "C" fn raise_fetch_fault(
    env: &mut CpuState,
    addr: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
) -> u64 {
    if env.sys.mmu != 0 {
        // System mode: the fetch's own #PF (CR2, error code) or #GP.
        match crate::system::access::code_paddr(env, addr) {
            Err(f) => f.raise(env),
            Ok(_) => env.raise(excp::PF, addr, false),
        }
        return 0;
    }
    // A fetch from a non-canonical address (a jump or return there) is a
    // #GP, which Linux reports without an address.
    if ((addr as i64) << 16 >> 16) as u64 != addr {
        env.raise(excp::GP, 0, false);
    } else {
        env.raise(excp::PF, addr, false);
    }
    0
}

/// `raise_fetch_fault(addr)`: records #PF (#GP at a non-canonical
/// address) for an instruction fetch at `addr`.
pub static RAISE_FETCH_FAULT: HelperInfo = HelperInfo {
    name: "raise_fetch_fault",
    func: raise_fetch_fault,
};

/// CPUID feature bits (SDM vol. 2A, CPUID, tables 3-10, 3-11 and the
/// extended leaves), named as there.
pub mod feature {
    /// Leaf 1 EDX: x87 FPU on chip.
    pub const FPU: u32 = 1 << 0;
    /// Leaf 1 EDX: time stamp counter (RDTSC).
    pub const TSC: u32 = 1 << 4;
    /// Leaf 1 EDX: page size extension (4 MiB pages).
    pub const PSE: u32 = 1 << 3;
    /// Leaf 1 EDX: RDMSR and WRMSR.
    pub const MSR: u32 = 1 << 5;
    /// Leaf 1 EDX: physical address extension.
    pub const PAE: u32 = 1 << 6;
    /// Leaf 1 EDX: CMPXCHG8B.
    pub const CX8: u32 = 1 << 8;
    /// Leaf 1 EDX: SYSENTER and SYSEXIT.
    pub const SEP: u32 = 1 << 11;
    /// Leaf 1 EDX: global pages.
    pub const PGE: u32 = 1 << 13;
    /// Leaf 1 EDX: page attribute table.
    pub const PAT: u32 = 1 << 16;
    /// Leaf 1 EDX: 36-bit 4 MiB page frames.
    pub const PSE36: u32 = 1 << 17;

    /// Leaf 1 EDX: CMOVcc.
    pub const CMOV: u32 = 1 << 15;
    /// Leaf 1 EDX: CLFLUSH (line size in EBX bits 15:8).
    pub const CLFSH: u32 = 1 << 19;
    /// Leaf 1 EDX: MMX.
    pub const MMX: u32 = 1 << 23;
    /// Leaf 1 EDX: FXSAVE/FXRSTOR (and CR4.OSFXSR, set by the OS).
    pub const FXSR: u32 = 1 << 24;
    /// Leaf 1 EDX: SSE.
    pub const SSE: u32 = 1 << 25;
    /// Leaf 1 EDX: SSE2.
    pub const SSE2: u32 = 1 << 26;
    /// Leaf 1 ECX: SSE3.
    pub const SSE3: u32 = 1 << 0;
    /// Leaf 1 ECX: PCLMULQDQ.
    pub const PCLMULQDQ: u32 = 1 << 1;
    /// Leaf 1 ECX: SSSE3.
    pub const SSSE3: u32 = 1 << 9;
    /// Leaf 1 ECX: SSE4.1.
    pub const SSE4_1: u32 = 1 << 19;
    /// Leaf 1 ECX: SSE4.2 (PCMPxSTRx, CRC32, PCMPGTQ).
    pub const SSE4_2: u32 = 1 << 20;
    /// Leaf 1 ECX: CMPXCHG16B.
    pub const CX16: u32 = 1 << 13;
    /// Leaf 1 ECX: MOVBE.
    pub const MOVBE: u32 = 1 << 22;
    /// Leaf 1 ECX: POPCNT.
    pub const POPCNT: u32 = 1 << 23;
    /// Leaf 1 ECX: AES-NI.
    pub const AES: u32 = 1 << 25;
    /// Leaf 1 ECX: RDRAND.
    pub const RDRAND: u32 = 1 << 30;
    /// Leaf 7 EBX: BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR, TZCNT).
    pub const BMI1: u32 = 1 << 3;
    /// Leaf 7 EBX: BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX).
    pub const BMI2: u32 = 1 << 8;
    /// Leaf 7 EBX: enhanced REP MOVSB/STOSB (fast byte strings).
    pub const ERMS: u32 = 1 << 9;
    /// Leaf 7 EBX: RDSEED.
    pub const RDSEED: u32 = 1 << 18;
    /// Leaf 7 EBX: ADCX and ADOX.
    pub const ADX: u32 = 1 << 19;
    /// Leaf 7 EBX: CLFLUSHOPT.
    pub const CLFLUSHOPT: u32 = 1 << 23;
    /// Leaf 7 EBX: CLWB.
    pub const CLWB: u32 = 1 << 24;
    /// Leaf 7 EBX: the SHA extensions.
    pub const SHA: u32 = 1 << 29;
    /// Leaf 8000_0001h ECX: LAHF/SAHF in 64-bit mode.
    pub const LAHF_LM: u32 = 1 << 0;
    /// Leaf 8000_0001h ECX: LZCNT (AMD's "ABM").
    pub const ABM: u32 = 1 << 5;
    /// Leaf 8000_0001h ECX: PREFETCHW.
    pub const PREFETCHW: u32 = 1 << 8;
    /// Leaf 8000_0001h EDX: SYSCALL/SYSRET.
    pub const SYSCALL: u32 = 1 << 11;
    /// Leaf 8000_0001h EDX: execute-disable bit.
    pub const NX: u32 = 1 << 20;
    /// Leaf 8000_0001h EDX: RDTSCP (and IA32_TSC_AUX).
    pub const RDTSCP: u32 = 1 << 27;
    /// Leaf 8000_0001h EDX: Intel 64 (long mode).
    pub const LM: u32 = 1 << 29;
}

/// The features ox86 implements, as each leaf reports them: x86-64-v2
/// (CMPXCHG16B, LAHF/SAHF, POPCNT, SSE3 to SSE4.2) and the user-space
/// extras, without AVX or XSAVE.
mod advertised {
    use super::feature::*;
    /// Leaf 1 EDX.
    pub const LEAF1_EDX: u32 = FPU | TSC | CX8 | CMOV | CLFSH | MMX | FXSR | SSE | SSE2;
    /// Leaf 1 ECX.
    pub const LEAF1_ECX: u32 =
        SSE3 | PCLMULQDQ | SSSE3 | CX16 | SSE4_1 | SSE4_2 | MOVBE | POPCNT | AES | RDRAND;
    /// Leaf 7 subleaf 0 EBX.
    pub const LEAF7_EBX: u32 = BMI1 | BMI2 | ERMS | RDSEED | ADX | CLFLUSHOPT | CLWB | SHA;
    /// Leaf 8000_0001h ECX.
    pub const EXT1_ECX: u32 = LAHF_LM | ABM | PREFETCHW;
    /// Leaf 8000_0001h EDX.
    pub const EXT1_EDX: u32 = SYSCALL | NX | RDTSCP | LM;
}

/// Highest basic leaf.
const MAX_BASIC_LEAF: u32 = 7;
/// Highest extended leaf.
const MAX_EXT_LEAF: u32 = 0x8000_0008;
/// Leaf 1 EAX: family 6, model 0x2C, stepping 2 (extended model 2):
/// Westmere-EP, an Intel core without AVX, as ox86 has none. Libraries
/// tune by model: glibc counts unaligned 16-byte loads and copies as fast
/// on Nehalem and Westmere models (and on unknown family-6 ones only with
/// AVX), and then picks its SSE2 unaligned `mem*`/`str*` routines, whose
/// MOVDQU loads and stores ox86 runs as the host's own. For Ivy Bridge's
/// 0x3A without AVX it took the SSSE3 `memmove`, whose PALIGNR loops ran
/// 10% of the strmem benchmark's time more.
const SIGNATURE: u32 = (2 << 16) | (6 << 8) | (0xc << 4) | 2;
/// The processor brand string, NUL-padded to the 48 bytes of leaves
/// 8000_0002h..8000_0004h.
const BRAND: &[u8] = b"ox86 virtual CPU";

/// One deterministic cache descriptor (CPUID leaf 4).
struct Cache {
    /// 1 data, 2 instruction, 3 unified.
    kind: u32,
    level: u32,
    ways: u32,
    line: u32,
    sets: u32,
    /// Leaf 4 EDX (bit 1: inclusive of lower levels).
    edx: u32,
}

/// L1d 32 KiB, L1i 32 KiB, L2 1 MiB, L3 8 MiB; 64-byte lines.
const CACHES: [Cache; 4] = [
    Cache {
        kind: 1,
        level: 1,
        ways: 8,
        line: 64,
        sets: 64,
        edx: 0,
    },
    Cache {
        kind: 2,
        level: 1,
        ways: 8,
        line: 64,
        sets: 64,
        edx: 0,
    },
    Cache {
        kind: 3,
        level: 2,
        ways: 16,
        line: 64,
        sets: 1024,
        edx: 0,
    },
    Cache {
        kind: 3,
        level: 3,
        ways: 16,
        line: 64,
        sets: 8192,
        edx: 2,
    },
];

/// Four bytes of `s` from offset `i` (NUL beyond its end), little-endian.
fn text4(s: &[u8], i: usize) -> u32 {
    let b = |k: usize| s.get(i + k).copied().unwrap_or(0);
    u32::from_le_bytes([b(0), b(1), b(2), b(3)])
}

/// CPUID for leaf `leaf` (EAX) and subleaf `subleaf` (ECX): returns EAX,
/// EBX, ECX, EDX of ox86's one CPU model, a "GenuineIntel" family 6
/// processor advertising exactly the features ox86 implements. A leaf
/// above the highest basic or extended leaf returns the highest basic
/// leaf's data, as Intel processors do.
pub fn cpuid(leaf: u32, subleaf: u32) -> [u32; 4] {
    use advertised::*;
    let leaf = if leaf > MAX_EXT_LEAF || (MAX_BASIC_LEAF < leaf && leaf < 0x8000_0000) {
        MAX_BASIC_LEAF
    } else {
        leaf
    };
    match leaf {
        0 => [
            MAX_BASIC_LEAF,
            text4(b"GenuineIntel", 0),
            text4(b"GenuineIntel", 8),
            text4(b"GenuineIntel", 4),
        ],
        // EBX: CLFLUSH line size 8 * 8 bytes, one logical processor,
        // APIC id 0. No HTT, so software assumes nothing is shared.
        1 => [SIGNATURE, (8 << 8) | (1 << 16), LEAF1_ECX, LEAF1_EDX],
        // One round of descriptors: 0xff = "see leaf 4".
        2 => [0x0000_ff01, 0, 0, 0],
        4 => match CACHES.get(subleaf as usize) {
            Some(c) => [
                c.kind | (c.level << 5) | (1 << 8),
                (c.line - 1) | ((c.ways - 1) << 22),
                c.sets - 1,
                c.edx,
            ],
            None => [0; 4],
        },
        // Structured extended features: subleaf 0 only (EAX = 0 subleaves more).
        7 if subleaf == 0 => [0, LEAF7_EBX, 0, 0],
        0x8000_0000 => [MAX_EXT_LEAF, 0, 0, 0],
        0x8000_0001 => [0, 0, EXT1_ECX, EXT1_EDX],
        0x8000_0002..=0x8000_0004 => {
            let base = (leaf - 0x8000_0002) as usize * 16;
            [0, 4, 8, 12].map(|k| text4(BRAND, base + k))
        }
        // L2: 64-byte lines, 16-way (code 8), 1024 KiB.
        0x8000_0006 => [0, 0, (1024 << 16) | (8 << 12) | 64, 0],
        // 39 physical and 48 linear address bits.
        0x8000_0008 => [(48 << 8) | 39, 0, 0, 0],
        // Leaves 3, 5, 6, 7 subleaves above 0, 8000_0005h, 8000_0007h.
        _ => [0; 4],
    }
}

/// AT_HWCAP for the guest: CPUID.1:EDX of the CPU model ox86 presents.
pub fn hwcap() -> u64 {
    cpuid(1, 0)[3] as u64
}

/// CPUID as a system-mode CPU answers it: the user-mode model plus the
/// features of the privileged architecture ox86 implements there.
pub fn cpuid_system(leaf: u32, subleaf: u32) -> [u32; 4] {
    use feature::*;
    let mut r = cpuid(leaf, subleaf);
    if leaf == 1 {
        r[3] |= PSE | MSR | PAE | SEP | PGE | PAT | PSE36;
    }
    r
}

/// CPUID for `env`: the system-mode model when it has a softmmu.
fn cpuid_for(env: &CpuState, leaf: u64, subleaf: u64) -> [u32; 4] {
    if env.sys.mmu != 0 {
        cpuid_system(leaf as u32, subleaf as u32)
    } else {
        cpuid(leaf as u32, subleaf as u32)
    }
}

extern "C" fn cpuid_ab(env: &mut CpuState, leaf: u64, subleaf: u64, _: u64, _: u64, _: u64) -> u64 {
    let r = cpuid_for(env, leaf, subleaf);
    r[0] as u64 | (r[1] as u64) << 32
}

extern "C" fn cpuid_cd(env: &mut CpuState, leaf: u64, subleaf: u64, _: u64, _: u64, _: u64) -> u64 {
    let r = cpuid_for(env, leaf, subleaf);
    r[2] as u64 | (r[3] as u64) << 32
}

/// `cpuid_ab(leaf, subleaf)` -> CPUID's EAX | EBX << 32.
pub static CPUID_AB: HelperInfo = HelperInfo {
    name: "cpuid_ab",
    func: cpuid_ab,
};

/// `cpuid_cd(leaf, subleaf)` -> CPUID's ECX | EDX << 32.
pub static CPUID_CD: HelperInfo = HelperInfo {
    name: "cpuid_cd",
    func: cpuid_cd,
};

extern "C" fn rdtsc(_: &mut CpuState, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: RDTSC has no memory effects; user mode may execute it on
    // every host ox86 runs on (CR4.TSD is clear under Linux).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// `rdtsc()` -> the host time-stamp counter.
pub static RDTSC: HelperInfo = HelperInfo {
    name: "rdtsc",
    func: rdtsc,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> String {
        let mut b = Vec::new();
        for leaf in 0x8000_0002..=0x8000_0004 {
            for r in cpuid(leaf, 0) {
                b.extend_from_slice(&r.to_le_bytes());
            }
        }
        String::from_utf8(b)
            .unwrap()
            .trim_end_matches('\0')
            .to_string()
    }

    #[test]
    fn vendor_brand_and_limits() {
        let r = cpuid(0, 0);
        let mut v = Vec::new();
        for x in [r[1], r[3], r[2]] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        assert_eq!(&v, b"GenuineIntel");
        assert_eq!(r[0], MAX_BASIC_LEAF);
        assert_eq!(cpuid(0x8000_0000, 0)[0], MAX_EXT_LEAF);
        assert_eq!(brand(), "ox86 virtual CPU");
        let family = (cpuid(1, 0)[0] >> 8) & 0xf;
        assert_eq!(family, 6);
    }

    #[test]
    fn the_model_is_westmere_ep() {
        // SDM vol. 2A, CPUID: the display model of family 6 is the
        // extended model (bits 19:16) above the model (bits 7:4).
        let eax = cpuid(1, 0)[0];
        let model = ((eax >> 16) & 0xf) << 4 | ((eax >> 4) & 0xf);
        assert_eq!((eax >> 8) & 0xf, 6);
        assert_eq!(model, 0x2c);
        assert_eq!(eax & 0xf, 2, "stepping");
        assert_eq!(eax >> 20, 0, "extended family (family 6 has none)");
    }

    #[test]
    fn features_are_the_implemented_set() {
        use feature::*;
        let l1 = cpuid(1, 0);
        assert_eq!(
            l1[3],
            FPU | TSC | CX8 | CMOV | CLFSH | MMX | FXSR | SSE | SSE2
        );
        assert_eq!(
            l1[2],
            SSE3 | PCLMULQDQ | SSSE3 | SSE4_1 | SSE4_2 | CX16 | MOVBE | POPCNT | AES | RDRAND
        );
        // No XSAVE/OSXSAVE, AVX.
        assert_eq!(l1[2] & ((1 << 26) | (1 << 27) | (1 << 28)), 0);
        assert_eq!(
            cpuid(7, 0),
            [
                0,
                BMI1 | BMI2 | ERMS | RDSEED | ADX | CLFLUSHOPT | CLWB | SHA,
                0,
                0
            ]
        );
        assert_eq!(cpuid(7, 1), [0; 4]);
        let e1 = cpuid(0x8000_0001, 0);
        assert_eq!(e1[2], LAHF_LM | ABM | PREFETCHW);
        assert_eq!(e1[3], SYSCALL | NX | RDTSCP | LM);
        assert_eq!(hwcap(), l1[3] as u64);
    }

    #[test]
    fn out_of_range_leaves_repeat_the_highest_basic_leaf() {
        for leaf in [8, 0x4000_0000, 0x8000_0009, 0xffff_ffff] {
            assert_eq!(cpuid(leaf, 0), cpuid(MAX_BASIC_LEAF, 0));
        }
    }

    #[test]
    fn leaf4_describes_consistent_caches() {
        // Size = ways * partitions * line * sets, as software computes it.
        let size = |r: [u32; 4]| {
            ((r[1] >> 22) + 1) * (((r[1] >> 12) & 0x3ff) + 1) * ((r[1] & 0xfff) + 1) * (r[2] + 1)
        };
        assert_eq!(size(cpuid(4, 0)), 32 << 10);
        assert_eq!(cpuid(4, 0)[0] & 0x1f, 1);
        assert_eq!(size(cpuid(4, 1)), 32 << 10);
        assert_eq!(size(cpuid(4, 2)), 1 << 20);
        assert_eq!(size(cpuid(4, 3)), 8 << 20);
        assert_eq!((cpuid(4, 3)[0] >> 5) & 7, 3);
        assert_eq!(cpuid(4, 4)[0] & 0x1f, 0);
        // Leaf 8000_0006h agrees on L2.
        assert_eq!(cpuid(0x8000_0006, 0)[2] >> 16, 1024);
        // Leaf 2 defers to leaf 4.
        assert_eq!(cpuid(2, 0)[0], 0xff01);
    }
}
