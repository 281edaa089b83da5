//! LAHF and SAHF against the host; CPUID and RDTSC against ox86's model
//! (the host's CPUID describes a different CPU).

use crate::harness::*;
use ox86_x86::cpu::eflags::ARITH;
use ox86_x86::helpers::misc::cpuid;

#[test]
fn lahf_sahf() {
    let mut rng = Rng::new(0x9e);
    let prefixes: [&[u8]; 3] = [&[], &[0x48, 0x01, 0xd8], &[0x48, 0x29, 0xd8]];
    for pre in prefixes {
        for op in [0x9f, 0x9e] {
            let mut code = pre.to_vec();
            code.push(op);
            for _ in 0..200 {
                check(&code, &rng.case(), ARITH);
            }
        }
    }
}

#[test]
fn cpuid_returns_the_model() {
    let mut rng = Rng::new(0xc1d);
    for (leaf, sub) in [
        (0, 0),
        (1, 0),
        (2, 0),
        (4, 0),
        (4, 3),
        (4, 9),
        (7, 0),
        (0x8000_0000, 0),
    ]
    .into_iter()
    .chain((0x8000_0001..=0x8000_0008).map(|l| (l, 0)))
    .chain([(0x4000_0000, 0), (0x8000_0009, 1)])
    {
        let mut case = rng.case();
        case.state.gpr[RAX] = leaf as u64 | 0xdead_0000_0000_0000;
        case.state.gpr[RCX] = sub as u64 | 0xbeef_0000_0000_0000;
        let (after, end) = run_ox86(&[0x0f, 0xa2], &case);
        assert_eq!(end, End::Done);
        let r = cpuid(leaf, sub);
        assert_eq!(
            [
                after.gpr[RAX],
                after.gpr[RBX],
                after.gpr[RCX],
                after.gpr[RDX]
            ],
            r.map(u64::from),
            "leaf {leaf:#x}.{sub}"
        );
    }
}

#[test]
fn rdtsc_counts_up_in_edx_eax() {
    let case = Case::regs([u64::MAX; 16], 0);
    let read = || {
        let (s, end) = run_ox86(&[0x0f, 0x31], &case);
        assert_eq!(end, End::Done);
        assert_eq!((s.gpr[RAX] >> 32, s.gpr[RDX] >> 32), (0, 0));
        s.gpr[RDX] << 32 | s.gpr[RAX]
    };
    let t0 = read();
    let t1 = read();
    assert!(t1 > t0);
}

#[test]
fn rdtscp_counts_up_with_tsc_aux_zero() {
    let case = Case::regs([u64::MAX; 16], 0);
    let read = || {
        let (s, end) = run_ox86(&[0x0f, 0x01, 0xf9], &case);
        assert_eq!(end, End::Done);
        assert_eq!((s.gpr[RAX] >> 32, s.gpr[RDX] >> 32), (0, 0));
        assert_eq!(s.gpr[RCX], 0);
        s.gpr[RDX] << 32 | s.gpr[RAX]
    };
    let t0 = read();
    let t1 = read();
    assert!(t1 > t0);
}
