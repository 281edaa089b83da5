//! What ox86 takes from the host CPU's vendor: where Intel and AMD
//! processors differ in something a program can see and the architecture
//! leaves open, ox86 does as the host does, so that a guest sees what it
//! would see running natively on that host (and the guest tests, which
//! compare with the native run, hold on either).

use std::sync::OnceLock;

/// True where the host's x87 stores to memory check their destination
/// even when an unmasked exception suppresses them: on AMD processors
/// (seen on EPYC) a FISTP, FSTP and the like whose store is suppressed
/// still fault on an unmapped or read-only page, and leave writable
/// memory as it was; Intel's touch no memory at all, so they do not fault.
pub fn x87_suppressed_store_checks_page() -> bool {
    is_amd()
}

/// True where PUSHFQ is slow enough that generated code reads the host's
/// flags another way: on AMD processors (Zen 5: a loop of PCMPISTRI,
/// PUSHFQ, POP and a test ran at 1.6 ns an iteration, with LAHF and SETO
/// at 0.7 ns), where Intel's (Sapphire Rapids) run PUSHFQ faster than
/// LAHF's partial-register writes.
pub fn pushfq_is_slow() -> bool {
    is_amd()
}

/// Whether the host is an AMD (or Hygon) processor.
fn is_amd() -> bool {
    static AMD: OnceLock<bool> = OnceLock::new();
    *AMD.get_or_init(|| matches!(&vendor(), b"AuthenticAMD" | b"HygonGenuine"))
}

/// The host's CPUID vendor string.
fn vendor() -> [u8; 12] {
    let r = std::arch::x86_64::__cpuid(0);
    let mut v = [0u8; 12];
    v[..4].copy_from_slice(&r.ebx.to_le_bytes());
    v[4..8].copy_from_slice(&r.edx.to_le_bytes());
    v[8..].copy_from_slice(&r.ecx.to_le_bytes());
    v
}
