//! Flag liveness across a TB's direct exits: before the TB jumps to a
//! target, the target's first instructions are decoded, following direct
//! jumps; if one of them writes every arithmetic flag before any reads one
//! (and nothing before it can fault or leave), the lazy-flags state is
//! dead at that exit and the translator discards it, so its stores
//! disappear.
//! Where nothing sees the flags at a fault (a user-mode process without a
//! handler of a fault's signal; `TbFlags::flags_at_faults`), a fault only
//! ends the process, so loads, stores, PUSH and POP, SSE instructions and
//! direct CALLs may come before that write too. Code the engine restarts
//! after a fault of its own (a write to translated code, a stack that
//! grows) restarts at an instruction of the same run, before the write.
//! The TB relies on the code it looked at: in user mode that code may lie
//! on any page, and the TB reports its range (`Seen`) for code
//! invalidation to drop it with that code; in system mode, where code
//! invalidation works by physical page, the target must lie on the TB's
//! own page.

use super::{CodeFetch, Mode, PAGE_SIZE};
use iced_x86::{Decoder, DecoderOptions, FlowControl, Instruction, Mnemonic, OpKind, RflagsBits};

/// CF PF AF ZF SF OF.
const ARITH: u32 = RflagsBits::CF
    | RflagsBits::PF
    | RflagsBits::AF
    | RflagsBits::ZF
    | RflagsBits::SF
    | RflagsBits::OF;

/// How many instructions of the target are looked at. Across pages, 4
/// left lua's flags stored at 41.8 million TB ends, 10 at 29.7 million,
/// 16 at 24.9 million and 32 at 23.5 million (callgrind counts).
const WINDOW: usize = 16;

/// Bytes fetched at a time: most look-aheads end at the first or second
/// instruction, so fetching for the whole window (each 8 bytes a checked
/// guest load) would cost more than the decoding.
const CHUNK: usize = 64;

/// The longest x86 instruction.
const MAX_INSN_LEN: usize = 15;

/// The linear range `[start, end)` of guest code a look-ahead decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub start: u64,
    pub end: u64,
}

impl Seen {
    /// The smallest range holding both.
    pub fn union(self, other: Seen) -> Seen {
        Seen {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// The code looked at if the flags are overwritten at `target` before
/// anything can read them (see the module doc), else `None`. `target` is
/// a rip of code of `mode`, `page` the TB's page (where system-mode
/// targets must lie); `flags_at_faults` says whether a fault shows the
/// flags to the guest.
pub fn flags_dead_at(
    code: &mut dyn CodeFetch,
    target: u64,
    page: u64,
    mode: &Mode,
    flags_at_faults: bool,
) -> Option<Seen> {
    let mut at = target;
    let mut left = WINDOW;
    let mut seen: Option<Seen> = None;
    'run: while left > 0 {
        let lin = mode.cs_base.wrapping_add(at);
        let here = lin & !(PAGE_SIZE - 1);
        if mode.system && here != page {
            return None;
        }
        let page = here;
        // A chunk, but nothing past the page.
        let mut buf = [0u8; CHUNK];
        let room = (page + PAGE_SIZE - lin).min(CHUNK as u64) as usize;
        let avail = code.fetch(lin, &mut buf[..room]);
        let mut dec = Decoder::with_ip(mode.code_bits, &buf[..avail], at, DecoderOptions::NONE);
        while left > 0 {
            // Fewer bytes left than an instruction may take, of a full
            // chunk: the next chunk starts here.
            if avail == CHUNK && avail - dec.position() < MAX_INSN_LEN {
                at = dec.ip();
                continue 'run;
            }
            left -= 1;
            if !dec.can_decode() {
                return None;
            }
            let insn = dec.decode();
            if insn.is_invalid() {
                return None;
            }
            let ip = mode.cs_base.wrapping_add(insn.ip());
            let this = Seen {
                start: ip,
                end: ip + insn.len() as u64,
            };
            seen = Some(seen.map_or(this, |s| s.union(this)));
            let direct = is_direct(&insn, Mnemonic::Jmp)
                || (!flags_at_faults && is_direct(&insn, Mnemonic::Call));
            if direct {
                at = insn.near_branch_target();
                continue 'run;
            }
            if !harmless(&insn, flags_at_faults) || insn.rflags_read() & ARITH != 0 {
                return None;
            }
            if insn.rflags_modified() & ARITH == ARITH {
                return seen;
            }
        }
    }
    None
}

/// `jmp rel` (`m` JMP) or `call rel` (`m` CALL): neither reads nor writes
/// flags, and cannot fault but where its target does (which is then
/// looked at); a CALL also pushes its return address.
fn is_direct(insn: &Instruction, m: Mnemonic) -> bool {
    insn.mnemonic() == m
        && matches!(
            insn.op0_kind(),
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
        )
}

/// An instruction that cannot leave the block, nor fault where a fault
/// shows the flags (`flags_at_faults`): general registers and immediates
/// only (LEA's address too; a memory operand, PUSH and POP, and XMM
/// registers, whose instructions read no arithmetic flag but may raise an
/// unmasked SIMD exception, where a fault does not show them), no division, no port I/O, and no shift or rotate
/// that may keep the flags (a count that is zero after masking, or any
/// count in CL). One with no operands at all must be one of a few known
/// register-only ones: the others (x87 instructions such as FCOMPP,
/// FWAIT, CPUID, RDMSR, SYSCALL, ...) work on implicit state, may fault
/// or leave.
fn harmless(insn: &Instruction, flags_at_faults: bool) -> bool {
    use Mnemonic as M;
    let m = insn.mnemonic();
    if insn.op_count() == 0
        && !matches!(
            m,
            M::Nop
                | M::Cbw
                | M::Cwde
                | M::Cdqe
                | M::Cwd
                | M::Cdq
                | M::Cqo
                | M::Clc
                | M::Stc
                | M::Cld
                | M::Std
                | M::Pause
                | M::Lfence
                | M::Sfence
                | M::Mfence
                | M::Endbr64
        )
    {
        return false;
    }
    let count_known_nonzero = || {
        let last = insn.op_count() - 1;
        let width_mask = if insn.op0_register().size() == 8 {
            63
        } else {
            31
        };
        insn.op_kind(last) != OpKind::Register && insn.immediate(last) & width_mask != 0
    };
    let keeps_flags = match m {
        M::Shl | M::Sal | M::Shr | M::Sar => !count_known_nonzero(),
        M::Rol | M::Ror | M::Rcl | M::Rcr | M::Shld | M::Shrd => true,
        _ => false,
    };
    insn.flow_control() == FlowControl::Next
        && (insn.stack_pointer_increment() == 0
            || (!flags_at_faults && matches!(m, M::Push | M::Pop)))
        && !keeps_flags
        && !matches!(m, M::Div | M::Idiv | M::In | M::Out)
        && (0..insn.op_count()).all(|i| match insn.op_kind(i) {
            OpKind::Memory => m == M::Lea || !flags_at_faults,
            OpKind::Register => {
                let r = insn.op_register(i);
                r.is_gpr() || (r.is_xmm() && !flags_at_faults)
            }
            OpKind::Immediate8
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64 => true,
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::test_code::Code;

    fn dead_if(flags_at_faults: bool, bytes: &[u8]) -> bool {
        let mut code = Code(bytes.to_vec());
        flags_dead_at(&mut code, 0x1000, 0x1000, &Mode::USER64, flags_at_faults).is_some()
    }

    fn dead(bytes: &[u8]) -> bool {
        dead_if(true, bytes)
    }

    /// Where a fault does not show the flags.
    fn dead_unless_faults_show(bytes: &[u8]) -> bool {
        dead_if(false, bytes)
    }

    #[test]
    fn a_full_flag_write_first_kills_the_flags() {
        assert!(dead(&[0x48, 0x01, 0xd8])); // add rax, rbx
        assert!(dead(&[0x48, 0x89, 0xd8, 0x48, 0x83, 0xf8, 0x01])); // mov rax, rbx; cmp rax, 1
        assert!(dead(&[0x48, 0x8d, 0x43, 0x08, 0x85, 0xc0])); // lea rax, [rbx+8]; test eax, eax
        assert!(dead(&[0x48, 0xd1, 0xea])); // shr rdx, 1
        assert!(dead(&[0xc1, 0xe0, 0x05])); // shl eax, 5
    }

    /// The translator discards the flags at an exit to such code only
    /// when asked to (`TbFlags::flag_lookahead`; the first tier does not).
    #[test]
    fn the_translator_discards_dead_flags_when_asked_to() {
        use crate::translate::{translate_tb_into, TbFlags};
        use ox86_ir::Opcode;
        // add rax, rbx; jz 0x1005 (both ways); 0x1005: add rax, rbx
        let code = [0x48, 0x01, 0xd8, 0x74, 0x00, 0x48, 0x01, 0xd8];
        let discards = |flag_lookahead| {
            let flags = TbFlags {
                flag_lookahead,
                ..Default::default()
            };
            let ir = ox86_ir::IrBlock::new(&crate::GLOBALS);
            let t = translate_tb_into(ir, 0x1000, &mut Code(code.to_vec()), flags);
            let cc = crate::cpu::glob::CC_DST as u32;
            t.ir.ops
                .iter()
                .filter(|o| o.opc == Opcode::Discard && o.outs[0].0 == cc)
                .count()
        };
        assert_eq!(discards(true), 2, "one per exit");
        assert_eq!(discards(false), 0);
    }

    #[test]
    fn reads_faults_exits_and_kept_flags_keep_them() {
        assert!(!dead(&[0x74, 0x00])); // jz
        assert!(!dead(&[0x48, 0x11, 0xd8])); // adc rax, rbx
        assert!(!dead(&[0x48, 0x0f, 0x44, 0xc3])); // cmovz rax, rbx
        assert!(!dead(&[0x48, 0xd3, 0xe0])); // shl rax, cl
        assert!(!dead(&[0xc1, 0xe0, 0x20])); // shl eax, 32: a zero count
        assert!(!dead(&[0x48, 0x03, 0x03])); // add rax, [rbx]
        assert!(!dead(&[0x50, 0x31, 0xc0])); // push rax; xor eax, eax
        assert!(!dead(&[0x48, 0xf7, 0xf3])); // div rbx
        assert!(!dead(
            &[0x90; WINDOW]
                .iter()
                .chain(&[0x31, 0xc0])
                .copied()
                .collect::<Vec<_>>()
        )); // past the window
        assert!(!dead(&[0x0f, 0x0b])); // ud2
        assert!(!dead(&[])); // nothing readable
        assert!(!dead(&[0xde, 0xd9, 0x66, 0x3d, 0x05, 0x00])); // fcompp; cmp ax, 5
        assert!(!dead(&[0x9b, 0x31, 0xc0])); // fwait; xor eax, eax
        assert!(!dead(&[0x0f, 0xa2, 0x31, 0xc0])); // cpuid; xor eax, eax
        assert!(!dead(&[0xec, 0x31, 0xc0])); // in al, dx; xor eax, eax
        assert!(dead(&[0x99, 0x90, 0x31, 0xc0])); // cdq; nop; xor eax, eax
    }

    #[test]
    fn direct_jumps_on_the_page_are_followed() {
        // jmp +2; ud2; add rax, rbx
        assert!(dead(&[0xeb, 0x02, 0x0f, 0x0b, 0x48, 0x01, 0xd8]));
        // jmp +0; jz: the flags are read after the jump
        assert!(!dead(&[0xeb, 0x00, 0x74, 0x00]));
        // jmp -2: a jump to itself runs out of the window
        assert!(!dead(&[0xeb, 0xfe]));
        // jmp to the next page
        assert!(!dead(&[0xe9, 0x00, 0x10, 0x00, 0x00]));
        // jmp rax
        assert!(!dead(&[0xff, 0xe0, 0x48, 0x01, 0xd8]));
    }

    #[test]
    fn user_mode_looks_at_other_pages_and_says_what_it_read() {
        // add rax, rbx at 0x1000, for a TB on page 0x2000.
        let mut code = Code(vec![0x48, 0x01, 0xd8]);
        let seen = flags_dead_at(&mut code, 0x1000, 0x2000, &Mode::USER64, true);
        assert_eq!(
            seen,
            Some(Seen {
                start: 0x1000,
                end: 0x1003
            })
        );
        // jmp +2; ud2; mov eax, ebx; cmp eax, 1: the jump and the two.
        let mut code = Code(vec![0xeb, 0x02, 0x0f, 0x0b, 0x89, 0xd8, 0x83, 0xf8, 0x01]);
        let seen = flags_dead_at(&mut code, 0x1000, 0x1000, &Mode::USER64, true);
        assert_eq!(
            seen,
            Some(Seen {
                start: 0x1000,
                end: 0x1009
            })
        );
    }

    #[test]
    fn the_window_spans_several_fetches() {
        // 10 x mov rax, imm64 (100 bytes); xor eax, eax
        let mut code: Vec<u8> = (0..10)
            .flat_map(|k| [0x48, 0xb8, k, 0, 0, 0, 0, 0, 0, 0])
            .collect();
        code.extend([0x31, 0xc0]);
        assert_eq!(
            flags_dead_at(&mut Code(code.clone()), 0x1000, 0x1000, &Mode::USER64, true),
            Some(Seen {
                start: 0x1000,
                end: 0x1000 + code.len() as u64
            })
        );
        // The same with the write one instruction past the window.
        let mut long: Vec<u8> = (0..WINDOW as u8)
            .flat_map(|k| [0x48, 0xb8, k, 0, 0, 0, 0, 0, 0, 0])
            .collect();
        long.extend([0x31, 0xc0]);
        assert!(!dead(&long));
    }

    #[test]
    fn system_mode_targets_off_the_page_are_not_looked_at() {
        let mode = Mode {
            system: true,
            ..Mode::USER64
        };
        let mut code = Code(vec![0x48, 0x01, 0xd8]);
        assert_eq!(flags_dead_at(&mut code, 0x1000, 0x2000, &mode, false), None);
        assert!(flags_dead_at(&mut code, 0x1000, 0x1000, &mode, false).is_some());
    }

    #[test]
    fn xmm_instructions_count_where_faults_do_not_show_the_flags() {
        // movsd xmm0, [rdi]; addsd xmm0, xmm1; ucomisd xmm0, xmm1 (writes
        // ZF, PF and CF, clears OF, SF and AF)
        let code = [
            0xf2, 0x0f, 0x10, 0x07, 0xf2, 0x0f, 0x58, 0xc1, 0x66, 0x0f, 0x2e, 0xc1,
        ];
        assert!(dead_unless_faults_show(&code));
        assert!(!dead(&code));
        // movq rax, xmm0 (no fault); test rax, rax
        assert!(dead_unless_faults_show(&[
            0x66, 0x48, 0x0f, 0x7e, 0xc0, 0x48, 0x85, 0xc0
        ]));
        // x87: fld st(1); xor eax, eax
        assert!(!dead_unless_faults_show(&[0xd9, 0xc1, 0x31, 0xc0]));
    }

    #[test]
    fn memory_and_the_stack_count_where_faults_do_not_show_the_flags() {
        let cases: [&[u8]; 4] = [
            &[0x8a, 0x10, 0x80, 0xfa, 0x5c],       // mov dl, [rax]; cmp dl, 0x5c
            &[0x50, 0x31, 0xc0],                   // push rax; xor eax, eax
            &[0x5b, 0x48, 0x89, 0x1f, 0x85, 0xdb], // pop rbx; mov [rdi], rbx; test ebx, ebx
            &[0xe8, 0x01, 0, 0, 0, 0x0b, 0x48, 0x01, 0xd8], // call +1; (skipped); add rax, rbx
        ];
        for code in cases {
            assert!(dead_unless_faults_show(code), "{code:x?}");
            assert!(!dead(code), "{code:x?} where faults show the flags");
        }
        // Still read, kept, left or faulting with the flags shown.
        assert!(!dead_unless_faults_show(&[0x48, 0x13, 0x03])); // adc rax, [rbx]
        assert!(!dead_unless_faults_show(&[0xc3])); // ret
        assert!(!dead_unless_faults_show(&[0x0f, 0x05, 0x31, 0xc0])); // syscall; xor eax, eax
        assert!(!dead_unless_faults_show(&[0xd3, 0x23, 0x31, 0xc0])); // shl dword [rbx], cl; xor
        assert!(!dead_unless_faults_show(&[0x9c, 0x31, 0xc0])); // pushfq; xor eax, eax
        assert!(!dead_unless_faults_show(&[0xff, 0xd0, 0x31, 0xc0])); // call rax; xor eax, eax
                                                                      // call to the next page
        assert!(!dead_unless_faults_show(&[0xe8, 0x00, 0x10, 0x00, 0x00]));
    }
}
