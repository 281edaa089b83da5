//! Lazy flags read back right after the instruction that set them, in the
//! same TB, where the translator knows the producing `cc_op` and computes
//! the flags inline: every flag-setting kind and width, followed by each
//! kind of reader (a rotate keeping SF/ZF/AF/PF, LAHF, every SETcc whose
//! flags are defined).

use crate::harness::*;
use ox86_x86::cpu::eflags::{AF, ARITH, CF, OF, PF, SF, ZF};

/// A flag-setting instruction on RBX (with RDX as the source), and the
/// flags it leaves defined.
struct Producer {
    code: fn(u32) -> Vec<u8>,
    defined: u64,
    sizes: &'static [u32],
}

const ALL: &[u32] = &[1, 2, 4, 8];

fn alu(op: u8) -> impl Fn(u32) -> Vec<u8> {
    move |size| {
        enc(
            size,
            &[],
            &[op | (size != 1) as u8],
            RDX as u8,
            Rm::Reg(3),
            &[],
        )
    }
}

fn group(opcode: u8, ext: u8, imm: &'static [u8]) -> impl Fn(u32) -> Vec<u8> {
    move |size| {
        enc(
            size,
            &[],
            &[opcode | (size != 1) as u8],
            ext,
            Rm::Reg(3),
            imm,
        )
    }
}

const PRODUCERS: &[Producer] = &[
    Producer {
        code: |s| alu(0x00)(s),
        defined: ARITH,
        sizes: ALL,
    },
    Producer {
        code: |s| alu(0x28)(s),
        defined: ARITH,
        sizes: ALL,
    },
    Producer {
        code: |s| alu(0x38)(s),
        defined: ARITH,
        sizes: ALL,
    },
    Producer {
        code: |s| alu(0x20)(s),
        defined: ARITH & !AF,
        sizes: ALL,
    },
    Producer {
        code: |s| alu(0x30)(s),
        defined: ARITH & !AF,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xfe, 0, &[])(s),
        defined: ARITH,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xfe, 1, &[])(s),
        defined: ARITH,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xf6, 3, &[])(s),
        defined: ARITH,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xd0, 4, &[])(s),
        defined: ARITH & !AF,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xc0, 4, &[5])(s),
        defined: CF | PF | ZF | SF,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xd0, 7, &[])(s),
        defined: ARITH & !AF,
        sizes: ALL,
    },
    Producer {
        code: |s| group(0xc0, 7, &[3])(s),
        defined: CF | PF | ZF | SF,
        sizes: ALL,
    },
    Producer {
        code: |s| enc(s, &[], &[0x0f, 0xaf], RBX as u8, Rm::Reg(RDX as u8), &[]),
        defined: CF | OF,
        sizes: &[2, 4, 8],
    },
];

/// The flags SETcc number `cc` reads.
fn reads(cc: u8) -> u64 {
    match cc >> 1 {
        0 => OF,
        1 => CF,
        2 => ZF,
        3 => CF | ZF,
        4 => SF,
        5 => PF,
        6 => SF | OF,
        _ => SF | OF | ZF,
    }
}

#[test]
fn flags_read_back_after_each_kind() {
    let mut rng = Rng::new(0xf1a9);
    for p in PRODUCERS {
        for &size in p.sizes {
            let produce = (p.code)(size);
            // ROR ECX, 3: CF from the rotate, OF undefined, the rest kept.
            let ror = [&produce[..], &[0xc1, 0xc9, 3]].concat();
            let ror_mask = (p.defined & (PF | AF | ZF | SF)) | CF;
            // LAHF; AND AH, the defined ones of SF ZF AF PF CF and bit 1
            // (the flags are then AND's own).
            let keep = (p.defined & (SF | ZF | AF | PF | CF)) as u8 | 2;
            let lahf = [&produce[..], &[0x9f, 0x80, 0xe4, keep]].concat();
            let mut forms = vec![(ror, ror_mask), (lahf, ARITH & !AF)];
            for cc in (0..16).filter(|&cc| reads(cc) & !p.defined == 0) {
                let setcc = [&produce[..], &[0x0f, 0x90 + cc, 0xc0]].concat();
                forms.push((setcc, p.defined));
            }
            for (code, mask) in &forms {
                for _ in 0..24 {
                    let case = rng.case();
                    check(code, &case, *mask);
                }
            }
        }
    }
}
