//! Dispatch blocks a TB goes on into: an interpreter whose loop switches
//! on the next opcode at its top (a `switch` in C) has every case jump
//! back to one short block that ends in an indirect jump through a table.
//! A TB that jumps there directly, back on its page, goes on into that
//! block (once), the jump itself no code, and so ends in its own copy of
//! the dispatch: one TB fewer each time round the interpreter's loop, and
//! an indirect jump of the case's own, which the host predicts from where
//! it is (the bytecode interpreter benchmark: 92.3 -> 86.3 ms). The copy
//! lies below the TB's pc, and a TB counts from its page's start for
//! invalidation (`TbCache::invalidate_range`), so it goes when its page's
//! code does.

use super::{is_jcc, CodeFetch, Mode, MAX_INSN_LEN, PAGE_SIZE};
use iced_x86::{Decoder, DecoderOptions, FlowControl, Instruction, Mnemonic, OpKind};

/// Most instructions of a dispatch block.
const DISPATCH_INSNS: usize = 12;

/// The target of `insn`, a direct `jmp` on the TB's page `page`, when the
/// code there is a dispatch block: at most `DISPATCH_INSNS` plain
/// instructions and conditional jumps, the last an indirect jump.
pub(super) fn target(
    insn: &Instruction,
    code: &mut dyn CodeFetch,
    mode: &Mode,
    page: u64,
) -> Option<u64> {
    let direct = matches!(
        insn.op0_kind(),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    );
    if insn.mnemonic() != Mnemonic::Jmp || !direct {
        return None;
    }
    let target = insn.near_branch_target();
    let lin = mode.cs_base.wrapping_add(target);
    if lin & !(PAGE_SIZE - 1) != page {
        return None;
    }
    let mut buf = [0u8; DISPATCH_INSNS * MAX_INSN_LEN];
    let room = ((page + PAGE_SIZE) - lin) as usize;
    let n = code.fetch(lin, &mut buf[..room.min(DISPATCH_INSNS * MAX_INSN_LEN)]);
    let mut dec = Decoder::with_ip(mode.code_bits, &buf[..n], target, DecoderOptions::NONE);
    for _ in 0..DISPATCH_INSNS {
        if !dec.can_decode() {
            return None;
        }
        let next = dec.decode();
        if next.is_invalid() {
            return None;
        }
        match next.flow_control() {
            FlowControl::IndirectBranch => return Some(target),
            FlowControl::Next => {}
            FlowControl::ConditionalBranch if is_jcc(&next) => {}
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::test_code::Code;

    /// `jmp` at 0x1000 + `at` to 0x1000 + `to` (rel32).
    fn jmp(at: u64, to: u64) -> Instruction {
        let rel = (to as i64 - (at as i64 + 5)) as i32;
        let mut bytes = vec![0xe9];
        bytes.extend_from_slice(&rel.to_le_bytes());
        Decoder::with_ip(64, &bytes, 0x1000 + at, DecoderOptions::NONE).decode()
    }

    fn found(code: &[u8], at: u64) -> Option<u64> {
        target(&jmp(at, 0), &mut Code(code.to_vec()), &Mode::USER64, 0x1000)
    }

    // movzx eax, byte [rdi]; inc rdi; cmp eax, 1; ja +0; jmp [rsi + rax*8]
    const DISPATCH: [u8; 15] = [
        0x0f, 0xb6, 0x07, 0x48, 0xff, 0xc7, 0x83, 0xf8, 0x01, 0x77, 0x00, 0xff, 0x24, 0xc6, 0x90,
    ];

    #[test]
    fn a_jump_back_to_a_dispatch_goes_on_there() {
        assert_eq!(found(&DISPATCH, 0x40), Some(0x1000));
        // jmp rax
        assert_eq!(found(&[0x48, 0x89, 0xf8, 0xff, 0xe0], 0x40), Some(0x1000));
    }

    #[test]
    fn other_code_does_not() {
        // ret; call; a direct jump; more than DISPATCH_INSNS instructions.
        assert_eq!(found(&[0x48, 0x89, 0xf8, 0xc3], 0x40), None);
        assert_eq!(found(&[0xe8, 0, 0, 0, 0, 0xff, 0xe0], 0x40), None);
        assert_eq!(found(&[0xeb, 0x00, 0xff, 0xe0], 0x40), None);
        let mut long = vec![0x90; DISPATCH_INSNS];
        long.extend_from_slice(&[0xff, 0xe0]);
        assert_eq!(found(&long, 0x40), None);
        // Bytes that run out before the indirect jump.
        assert_eq!(found(&DISPATCH[..12], 0x40), None);
    }

    #[test]
    fn only_on_the_tbs_page() {
        let insn = jmp(0x40, 0);
        let mut code = Code(DISPATCH.to_vec());
        assert_eq!(target(&insn, &mut code, &Mode::USER64, 0x2000), None);
    }
}
