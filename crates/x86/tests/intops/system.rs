//! LAHF and SAHF against the host; CPUID and RDTSC against ox86's model
//! (the host's CPUID describes a different CPU).

use crate::harness::*;
use ox86_x86::cpu::eflags::ARITH;
use ox86_x86::cpu::excp;
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

#[test]
fn hint_space_nops_change_nothing() {
    let mut rng = Rng::new(0x4e0);
    let snippets: [&[u8]; 5] = [
        &[0xf3, 0x48, 0x0f, 0x1e, 0xc8], // rdsspq rax (shadow stacks off)
        &[0xf3, 0x0f, 0x1e, 0xc9],       // rdsspd ecx
        &[0x0f, 0x19, 0x04, 0x24],       // nop dword [rsp], eax (reserved NOP)
        &[0x0f, 0x1c, 0xc0],             // reserved NOP, register form
        &[0xf3, 0x0f, 0x1e, 0xfb],       // endbr32
    ];
    for code in snippets {
        for _ in 0..50 {
            check(code, &rng.case(), ARITH);
        }
    }
}

#[test]
fn extensions_not_reported_are_undefined() {
    let case = Case::regs([0; 16], 0);
    let snippets: [&[u8]; 5] = [
        &[0xf3, 0x48, 0x0f, 0xae, 0xe9], // incsspq rcx
        &[0x0f, 0x01, 0xd6],             // xtest
        &[0x0f, 0x01, 0xd5],             // xend
        &[0x0f, 0x01, 0xee],             // rdpkru
        &[0xc6, 0xf8, 0x00],             // xabort 0
    ];
    for code in snippets {
        assert_eq!(run_ox86(code, &case).1, End::Exception(excp::UD, 0));
    }
}

#[test]
fn segment_register_forms_are_reported_not_mistranslated() {
    let case = Case::regs([0; 16], 0);
    let snippets: [&[u8]; 4] = [
        &[0x8e, 0x07], // mov es, [rdi]
        &[0x8c, 0xd8], // mov eax, ds
        &[0x0f, 0xa0], // push fs
        &[0x0f, 0xa9], // pop gs
    ];
    for code in snippets {
        assert_eq!(
            run_ox86(code, &case).1,
            End::Exception(excp::UNIMPLEMENTED, 0)
        );
    }
}
