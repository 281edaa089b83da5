//! Code-generation rules, one test each: the IR a rule rewrites runs under
//! the JIT and the interpreter from the same states (edge values, high
//! halves that must not leak) and must give the same guest state; the
//! host code is checked for the shape the rule promises.

mod common;

use common::{baseline_jit, block, g, goto, guard_page, jit, page_before_guard, snapshot};
use ox86_interp::{InterpTb, TbExit};
use ox86_ir::{IrBlock, Opcode, Temp};
use ox86_jit::{Jit, JitExit};
use ox86_x86::cpu::{glob, reg};
use ox86_x86::CpuState;

const PC: u64 = 0x40_1000;

/// Values with interesting high and low halves.
const VALUES: [u64; 10] = [
    0,
    1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0xdead_beef_8765_4321,
    0xffff_ffff_8000_0000,
    u64::MAX,
    0x0123_4567_89ab_cdef,
];

/// The JIT as it runs on this host, and one limited to baseline x86-64.
struct Jits(Jit, Jit);

fn jits() -> Jits {
    Jits(jit(), baseline_jit())
}

/// Compiles `ir` for both JITs, runs it under each and the interpreter
/// (see `check_one`). Returns the host JIT's listing.
fn check(j: &mut Jits, ir: &IrBlock, mem: &mut [u64], keep_rsi: Option<u64>) -> String {
    check_one(&mut j.1, ir, mem, keep_rsi);
    check_one(&mut j.0, ir, mem, keep_rsi)
}

/// Compiles `ir`, runs it under the JIT and the interpreter from each
/// state `VALUES` gives the registers (RSI and R10 point at `mem`, or
/// are `keep_rsi`: R10 for a base that is not a pinned global), and compares the guest state, the exit and `mem`.
/// Returns the listing.
fn check_one(j: &mut Jit, ir: &IrBlock, mem: &mut [u64], keep_rsi: Option<u64>) -> String {
    let id = j.compile(ir, PC).expect("compiles");
    for (n, &v) in VALUES.iter().enumerate() {
        let mut env = CpuState::default();
        for (k, r) in env.regs.iter_mut().enumerate() {
            *r = VALUES[(n + k) % VALUES.len()].rotate_left(k as u32 * 7) ^ v;
        }
        env.regs[reg::RSI] = keep_rsi.unwrap_or(mem.as_ptr() as u64);
        env.regs[reg::R10] = env.regs[reg::RSI];
        env.cc_dst = v;
        env.cc_src = !v;
        let mem0 = mem.to_vec();
        let mut jenv = snapshot(&env);
        let jr = j.run(&mut jenv, id);
        let jmem = mem.to_vec();
        mem.copy_from_slice(&mem0);
        let mut ienv = snapshot(&env);
        let ir_exit = ox86_interp::exec(&InterpTb::new(ir.clone()), &mut ienv, &mut Vec::new());
        let text = || ox86_ir::format_block(ir, &ox86_x86::helpers::Names);
        let same_exit = matches!(
            (jr, ir_exit),
            (JitExit::Direct { .. }, TbExit::Direct(_))
                | (JitExit::Indirect, TbExit::Indirect)
                | (JitExit::Exception, TbExit::Exception(_))
        );
        assert!(same_exit, "exit jit {jr:?} interp {ir_exit:?}\n{}", text());
        assert_eq!(jenv.regs, ienv.regs, "registers from {v:#x}\n{}", text());
        assert_eq!(
            (jenv.cc_op, jenv.cc_dst, jenv.cc_src),
            (ienv.cc_op, ienv.cc_dst, ienv.cc_src),
            "flags state from {v:#x}\n{}",
            text()
        );
        assert_eq!(jenv.rip, ienv.rip, "rip\n{}", text());
        assert_eq!(jenv.exception, ienv.exception, "exception\n{}", text());
        assert_eq!(jmem, mem, "memory from {v:#x}\n{}", text());
        mem.copy_from_slice(&jmem);
    }
    j.disassemble(id)
}

/// The listing's instructions (mnemonic and operands), exit stubs included.
fn insns(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.split_once(":  ").map(|(_, i)| i.trim().to_string()))
        .collect()
}

/// True if `i` is a move between two 64-bit registers.
fn is_reg_copy(i: &str) -> bool {
    let Some(ops) = i.strip_prefix("mov ") else {
        return false;
    };
    let regs = [
        "rax", "rcx", "rdx", "rbx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
        "r15",
    ];
    ops.split(',').all(|o| regs.contains(&o))
}

/// True if `i` is mnemonic `m` with a 32-bit register destination.
fn is_32_bit(i: &str, m: &str) -> bool {
    let Some(ops) = i.strip_prefix(m).and_then(|o| o.strip_prefix(' ')) else {
        return false;
    };
    let dst = ops.split(',').next().unwrap_or("");
    (dst.starts_with('e') && dst.len() == 3) || (dst.starts_with('r') && dst.ends_with('d'))
}

/// True if `i` is `mov r32, r32` of one register (a zero-extension).
fn is_self_zext(i: &str) -> bool {
    i.strip_prefix("mov ")
        .and_then(|o| o.split_once(','))
        .is_some_and(|(a, b)| a == b && is_32_bit(&format!("mov {a}"), "mov"))
}

fn r(i: usize) -> Temp {
    g(i)
}

fn finish(b: &mut IrBlock) {
    goto(b, PC + 0x10, 0);
}

#[test]
fn ext32u_of_an_op_is_one_32_bit_instruction() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let ops = [
        Opcode::Add,
        Opcode::Sub,
        Opcode::Mul,
        Opcode::And,
        Opcode::Or,
        Opcode::Xor,
        Opcode::Shl,
    ];
    for opc in ops {
        for konst in [None, Some(5u64), Some(0xffff_ffff_0000_0003)] {
            let mut b = block();
            b.insn_start(PC);
            let y = match konst {
                Some(c) if opc == Opcode::Shl => b.movi(c & 31),
                Some(c) => b.movi(c),
                None => r(reg::RBX),
            };
            let t = b.binop(opc, r(reg::RAX), y);
            let e = b.unop(Opcode::Ext32u, t);
            b.mov_to(r(reg::RDX), e);
            // RAX stays live: the result goes to another register.
            let u = b.binop(
                opc,
                r(reg::RCX),
                if opc == Opcode::Shl { y } else { r(reg::RAX) },
            );
            let f = b.unop(Opcode::Ext32u, u);
            b.mov_to(r(reg::RCX), f);
            finish(&mut b);
            if opc == Opcode::Shl && konst.is_none() {
                // Variable counts mask to 6 bits: stays 64-bit.
                check(&mut j, &b, &mut mem, None);
                continue;
            }
            let code = insns(&check(&mut j, &b, &mut mem, None));
            let m = match opc {
                Opcode::Mul => "imul",
                _ => opc.name(),
            };
            assert!(
                code.iter()
                    .any(|i| is_32_bit(i, m) || (opc == Opcode::Add && is_32_bit(i, "lea"))),
                "{opc:?}: no 32-bit form\n{code:#?}"
            );
            assert!(
                !code.iter().any(|i| is_self_zext(i)),
                "{opc:?}: a separate zero-extension\n{code:#?}"
            );
        }
    }
    for opc in [Opcode::Not, Opcode::Neg] {
        let mut b = block();
        b.insn_start(PC);
        let t = b.unop(opc, r(reg::RAX));
        let e = b.unop(Opcode::Ext32u, t);
        b.mov_to(r(reg::RDX), e);
        finish(&mut b);
        check(&mut j, &b, &mut mem, None);
    }
}

#[test]
fn extension_read_only_in_32_bits_is_a_copy() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for ext in [
        Opcode::Ext32u,
        Opcode::Ext32s,
        Opcode::Ext16u,
        Opcode::Ext8s,
    ] {
        let mut b = block();
        b.insn_start(PC);
        let x = b.unop(ext, r(reg::RAX));
        let y = b.unop(Opcode::Ext32u, r(reg::RBX));
        let s = b.add(x, y);
        let e = b.unop(Opcode::Ext32u, s);
        b.mov_to(r(reg::RAX), e);
        // A narrow store demands fewer bits still.
        let n = b.unop(ext, r(reg::RCX));
        b.store(Opcode::St8, n, r(reg::RSI));
        // A mask below 2^8 demands at most 8 bits.
        let m = b.unop(ext, r(reg::RDX));
        let k = b.movi(0xf0);
        let a = b.and(m, k);
        b.mov_to(r(reg::RDX), a);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        // Only the extension the 32-bit add reads in full remains.
        let exts = code
            .iter()
            .filter(|i| i.starts_with("movzx") || i.starts_with("movsx") || is_self_zext(i))
            .count();
        let want = if matches!(ext, Opcode::Ext32u | Opcode::Ext32s) {
            0
        } else {
            1
        };
        assert_eq!(exts, want, "{ext:?}\n{code:#?}");
    }
}

#[test]
fn shift_right_of_a_zero_extension_is_32_bit() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for c in [1u64, 10, 31, 32, 40] {
        for opc in [Opcode::Shr, Opcode::Sar] {
            let mut b = block();
            b.insn_start(PC);
            let x = b.unop(Opcode::Ext32u, r(reg::RAX));
            let k = b.movi(c);
            let s = b.binop(opc, x, k);
            b.mov_to(r(reg::RDX), s);
            // The extension is still read in full elsewhere.
            b.mov_to(r(reg::RCX), x);
            let s2 = b.binop(opc, x, k);
            let e = b.unop(Opcode::Ext32u, s2);
            b.mov_to(r(reg::RBX), e);
            finish(&mut b);
            check(&mut j, &b, &mut mem, None);
        }
    }
}

/// `ext32u(or(shr(x, k), shl(x, 32 - k)))` as the front end spells a
/// 32-bit rotate right by `k`, with `x` a zero-extended register.
fn rotate(b: &mut IrBlock, x: Temp, k: u64) -> (Temp, Temp) {
    let (c, back) = (b.movi(k), b.movi(32 - k));
    let lo = b.binop(Opcode::Shr, x, c);
    let hi = b.binop(Opcode::Shl, x, back);
    let or = b.or(lo, hi);
    (or, b.unop(Opcode::Ext32u, or))
}

#[test]
fn readers_of_a_rotates_or_read_the_rotate() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for k in [1u64, 7, 31] {
        let mut b = block();
        b.insn_start(PC);
        let x = b.unop(Opcode::Ext32u, r(reg::RAX));
        let (or, rot) = rotate(&mut b, x, k);
        b.mov_to(r(reg::RAX), rot);
        // CF of ROR: bit 31 of the result; of ROL: bit 0.
        let one = b.movi(1);
        let cf = b.and(or, one);
        b.mov_to(r(reg::RDX), cf);
        let s = b.shri(rot, 31);
        b.mov_to(r(reg::RBX), s);
        // A 64-bit reader of the `or` keeps it.
        let w = b.add(or, one);
        b.mov_to(r(reg::RDI), w);
        finish(&mut b);
        check(&mut j, &b, &mut mem, None);

        let mut b = block();
        b.insn_start(PC);
        let x = b.unop(Opcode::Ext32u, r(reg::RAX));
        let (or, rot) = rotate(&mut b, x, k);
        b.mov_to(r(reg::RAX), rot);
        let one = b.movi(1);
        let cf = b.and(or, one);
        b.mov_to(r(reg::RDX), cf);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        assert!(
            !code
                .iter()
                .any(|i| i.starts_with("shl") || i.starts_with("or ")),
            "the or is computed\n{code:#?}"
        );
    }
}

#[test]
fn copies_share_a_register() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let mut b = block();
    b.insn_start(PC);
    let t = b.add(r(reg::RAX), r(reg::RBX));
    b.mov_to(r(reg::RCX), t);
    b.mov_to(r(reg::R9), t);
    b.mov_to(r(reg::RDX), r(reg::RCX));
    // Modified in place while its copies live on.
    let one = b.movi(1);
    let u = b.add(t, one);
    b.mov_to(r(reg::RSI), u);
    let v = b.add(r(reg::RCX), one);
    b.mov_to(r(reg::RCX), v);
    let w = b.add(r(reg::RDX), r(reg::RCX));
    b.mov_to(r(reg::R8), w);
    finish(&mut b);
    let code = insns(&check(&mut j, &b, &mut mem, None));
    assert!(
        !code.iter().any(|i| is_reg_copy(i)),
        "a register copy\n{code:#?}"
    );
}

#[test]
fn a_local_moved_into_a_global_is_read_as_the_global() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let mut b = block();
    b.insn_start(PC);
    let t = b.add(r(reg::RAX), r(reg::RBX));
    b.mov_to(r(reg::RAX), t);
    let u = b.add(t, r(reg::RBX)); // reads RAX
    b.mov_to(r(reg::RBX), u);
    b.mov_to(r(reg::RAX), u); // RAX changes: t is itself again
    let v = b.add(t, t);
    b.mov_to(r(reg::RCX), v);
    let l = b.label();
    b.brcond(ox86_ir::Cond::Eq, v, v, l);
    b.set_label(l);
    // Another block: t is read from its own home.
    let w = b.add(t, r(reg::RDX));
    b.mov_to(r(reg::RDX), w);
    finish(&mut b);
    check(&mut j, &b, &mut mem, None);
}

#[test]
fn spills_keep_values_used_soon() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    // More live values than registers, read back in an order unlike the
    // order they were made in.
    let mut b = block();
    b.insn_start(PC);
    let mut vals = Vec::new();
    for k in 0..20u64 {
        let c = b.movi(k * 0x1111);
        let v = b.add(r(k as usize % 8), c);
        vals.push(v);
    }
    let mut acc = b.movi(0);
    for k in [
        19, 0, 18, 1, 17, 2, 3, 4, 16, 5, 6, 7, 15, 8, 9, 14, 10, 13, 11, 12,
    ] {
        acc = b.xor(acc, vals[k]);
        let t = b.shli(acc, 1);
        acc = b.add(t, vals[(k + 3) % 20]);
    }
    b.mov_to(r(reg::RAX), acc);
    finish(&mut b);
    check(&mut j, &b, &mut mem, None);
}

#[test]
fn globals_overwritten_later_keep_their_value_for_fault_sites() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let page = guard_page();
    for fault in [false, true] {
        let mut b = block();
        b.insn_start(PC);
        // The old RAX dies here only if nothing can fault before it is
        // overwritten.
        let one = b.movi(1);
        let t = b.add(r(reg::RAX), one);
        let u = b.add(r(reg::RCX), one);
        b.mov_to(r(reg::RCX), u);
        b.insn_start(PC + 4);
        let v = b.load(Opcode::Ld64, r(reg::RSI));
        b.mov_to(r(reg::RDX), v);
        b.insn_start(PC + 8);
        b.mov_to(r(reg::RAX), t);
        let w = b.add(r(reg::RBX), one);
        b.mov_to(r(reg::RBX), w);
        finish(&mut b);
        let rsi = fault.then_some(page + 8);
        check(&mut j, &b, &mut mem, rsi);
    }
}

#[test]
fn constants_fold_to_32_bits_in_32_bit_ops() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let mut b = block();
    b.insn_start(PC);
    let x = b.movi(0xffff_ffff_ffff_fff0);
    let y = b.movi(0x20);
    let s = b.add(x, y);
    let e = b.unop(Opcode::Ext32u, s);
    let z = b.xor(e, r(reg::RAX));
    b.mov_to(r(reg::RAX), z);
    finish(&mut b);
    check(&mut j, &b, &mut mem, None);
}

#[test]
fn shifts_by_a_masked_count_are_32_bit() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for opc in [Opcode::Shl, Opcode::Shr] {
        for mask in [31u64, 63] {
            let mut b = block();
            b.insn_start(PC);
            let m = b.movi(mask);
            let n = b.and(r(reg::RCX), m);
            let x = b.unop(Opcode::Ext32u, r(reg::RAX));
            let s = b.binop(opc, x, n);
            let e = b.unop(Opcode::Ext32u, s);
            b.mov_to(r(reg::RAX), e);
            // The count also shifts a full register.
            let s2 = b.binop(opc, r(reg::RDX), n);
            b.mov_to(r(reg::RDX), s2);
            finish(&mut b);
            let code = insns(&check(&mut j, &b, &mut mem, None));
            let x = format!("{}x", opc.name());
            assert_eq!(
                code.iter()
                    .any(|i| is_32_bit(i, opc.name()) || is_32_bit(i, &x)),
                mask == 31,
                "{opc:?} masked by {mask}\n{code:#?}"
            );
        }
    }
}

#[test]
fn rotates_and_variable_shifts_use_bmi2_forms() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for (opc, k) in [(Opcode::Rotl, 5u64), (Opcode::Rotr, 13), (Opcode::Rotl, 0)] {
        let mut b = block();
        b.insn_start(PC);
        let c = b.movi(k);
        let t = b.binop(opc, r(reg::RAX), c);
        b.mov_to(r(reg::RDX), t);
        // 32-bit rotate into another register.
        let x = b.unop(Opcode::Ext32u, r(reg::RAX));
        let (_, rot) = rotate(&mut b, x, 7);
        b.mov_to(r(reg::RBX), rot);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        let rorx = code.iter().filter(|i| i.starts_with("rorx")).count();
        assert_eq!(rorx, if k == 0 { 1 } else { 2 }, "{opc:?} {k}\n{code:#?}");
    }
    for opc in [Opcode::Shl, Opcode::Shr, Opcode::Sar] {
        let mut b = block();
        b.insn_start(PC);
        let t = b.binop(opc, r(reg::RAX), r(reg::RBX));
        b.mov_to(r(reg::RDX), t);
        // The count in RCX, shifted itself.
        let u = b.binop(opc, r(reg::RCX), r(reg::RCX));
        b.mov_to(r(reg::RCX), u);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        let x = format!("{}x", opc.name());
        assert_eq!(
            code.iter().filter(|i| i.starts_with(&x)).count(),
            2,
            "{opc:?}\n{code:#?}"
        );
    }
}

#[test]
fn and_with_a_negated_operand_is_andn() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for (k, wide) in [(0, true), (1, true), (0, false)] {
        let mut b = block();
        b.insn_start(PC);
        let n = b.unop(Opcode::Not, r(reg::RAX));
        let (x, y) = if k == 0 {
            (n, r(reg::RBX))
        } else {
            (r(reg::RBX), n)
        };
        let a = b.and(x, y);
        let a = if wide { a } else { b.unop(Opcode::Ext32u, a) };
        b.mov_to(r(reg::RAX), a);
        // A constant operand, and two constants.
        let n2 = b.unop(Opcode::Not, r(reg::RCX));
        let c = b.movi(0xff00_ff00_ff00_ff00);
        let a2 = b.and(n2, c);
        b.mov_to(r(reg::RCX), a2);
        let c2 = b.movi(0xf0);
        let n3 = b.unop(Opcode::Not, c2);
        let a3 = b.and(c, n3);
        b.mov_to(r(reg::RDX), a3);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        let andn = code.iter().filter(|i| i.starts_with("andn")).count();
        assert_eq!(andn, 3, "{code:#?}");
        assert!(!code.iter().any(|i| i.starts_with("not")), "{code:#?}");
    }
}

/// True if `i` has a memory operand with a base and an index register.
fn has_index(i: &str) -> bool {
    let Some((_, rest)) = i.split_once('[') else {
        return false;
    };
    let inside = rest.split(']').next().unwrap_or("");
    inside.split('+').filter(|p| p.starts_with('r')).count() == 2
}

/// Every guest access at `[base + (index << k) + disp]`, with host
/// registers varied by more or fewer live values around it.
fn scaled_index_block(opc: Opcode, k: u64, disp: i64, live: usize) -> IrBlock {
    let mut b = block();
    b.insn_start(PC);
    let mut held = Vec::new();
    for n in 0..live {
        let c = b.movi(n as u64 + 1);
        held.push(b.add(r(reg::RBX), c));
    }
    let m = b.movi(3);
    let idx = b.and(r(reg::R11), m);
    let s = if k == 0 { idx } else { b.shli(idx, k) };
    let a = b.add(r(reg::R10), s);
    let a = b.addi(a, disp as u64);
    if opc.n_outs() == 1 {
        let v = b.load(opc, a);
        b.mov_to(r(reg::RDX), v);
    } else {
        b.store(opc, r(reg::RCX), a);
        let c = b.movi(0x5a5a_1234_8765_a5a5);
        let s2 = b.shli(idx, k);
        let a2 = b.add(r(reg::R10), s2);
        let a2 = b.addi(a2, disp as u64);
        b.store(opc, c, a2);
    }
    for (n, &h) in held.iter().enumerate() {
        b.mov_to(r(reg::R8 + n % 8), h);
    }
    finish(&mut b);
    b
}

#[test]
fn scaled_index_addresses_are_one_access() {
    let mut j = jits();
    // Reaches `mem[(200 + 3 * 8) / 8]`, the farthest access.
    let mut mem = [0u64; 32];
    let page = guard_page();
    let accesses = [
        Opcode::Ld8u,
        Opcode::Ld8s,
        Opcode::Ld16u,
        Opcode::Ld16s,
        Opcode::Ld32u,
        Opcode::Ld32s,
        Opcode::Ld64,
        Opcode::St8,
        Opcode::St16,
        Opcode::St32,
        Opcode::St64,
    ];
    let mut seen = Vec::new();
    for opc in accesses {
        for k in 0..4 {
            // Every number of other live values, so that base and index
            // land in every host register (R13 as a base needs a disp8).
            let cases = (0..16).map(|live| ([0, 8, 56, 200][live % 4], live));
            for (disp, live) in cases {
                let b = scaled_index_block(opc, k, disp, live);
                let code = insns(&check(&mut j, &b, &mut mem, None));
                let sib: Vec<_> = code.iter().filter(|i| has_index(i)).collect();
                assert_eq!(sib.len(), opc.n_ins(), "{opc:?} << {k}\n{code:#?}");
                seen.extend(sib.iter().map(|i| i.to_string()));
                assert!(
                    !code.iter().any(|i| i.starts_with("shl")),
                    "{opc:?} << {k}\n{code:#?}"
                );
                // A fault there leaves the state of the instruction before.
                check(&mut j, &b, &mut mem, Some(page + 64));
            }
        }
    }
    // The encodings with special cases came up.
    for special in ["[r13+r", "+r12", "[rbx+r", "*8]", "*2+"] {
        assert!(
            seen.iter().any(|i| i.contains(special)),
            "{special} {seen:#?}"
        );
    }
}

/// The XMM loads (4, 8 and 16 bytes, aligned or not) and stores at
/// `[base + (index << k) + disp]` are one host access each too (SSE code
/// walking arrays: `movdqu xmm0, [rdi+rax]`), with the same results, and
/// a misaligned aligned access raises #GP, as in the interpreter.
#[test]
fn scaled_index_xmm_accesses_are_one_access() {
    #[repr(C, align(16))]
    struct Buf([u64; 32]);
    let mut j = jits();
    let mut buf = Buf([0; 32]);
    for (n, x) in buf.0.iter_mut().enumerate() {
        *x = 0x0101_0101_0101_0101u64.wrapping_mul(n as u64 + 1);
    }
    let forms = [(4, false), (8, false), (16, false), (16, true)];
    for (store, (size, aligned)) in [false, true]
        .into_iter()
        .flat_map(|s| forms.map(|f| (s, f)))
    {
        if store && size != 16 {
            continue;
        }
        for k in 0..4 {
            for disp in [0u64, 16, 48] {
                let mut b = block();
                b.insn_start(PC);
                // XMM3 from the buffer's start, so a store writes data.
                b.ld_xmm(3, 16, r(reg::RSI), true);
                let m = b.movi(3);
                let idx = b.and(r(reg::R11), m);
                let s = if k == 0 { idx } else { b.shli(idx, k) };
                let a = b.add(r(reg::RSI), s);
                let a = b.addi(a, disp);
                if store {
                    b.st_xmm(3, a, aligned);
                } else {
                    b.ld_xmm(3, size, a, aligned);
                }
                for half in 0..2 {
                    let v = b.ld_env(ox86_x86::cpu::xmm_offset(3, half));
                    b.mov_to(r(reg::RAX + 2 * half), v);
                }
                finish(&mut b);
                let code = insns(&check(&mut j, &b, &mut buf.0, None));
                let sib = code
                    .iter()
                    .filter(|i| i.contains("xmm") && has_index(i))
                    .count();
                assert_eq!(sib, 1, "store {store} size {size} << {k}\n{code:#?}");
                assert!(!code.iter().any(|i| i.starts_with("shl")), "{code:#?}");
            }
        }
    }
}

/// A jump table in position-independent code: a 32-bit offset loaded
/// from `[table + index * 4]`, sign-extended and added to the table's
/// address, a constant too wide for a displacement. The load is one
/// access with the table's address as its base register.
#[test]
fn a_wide_constant_base_is_a_scaled_index_base() {
    let mut j = jits();
    let mut table = [0u64; 2];
    // Offsets -16, 8, 0x7fff_fff0 and -2^31 as the four 32-bit entries.
    table[0] = (8u64 << 32) | (-16i32 as u32 as u64);
    table[1] = (0x8000_0000u64 << 32) | 0x7fff_fff0;
    let base = table.as_ptr() as u64;
    assert!(i32::try_from(base as i64).is_err(), "a wide address");
    let mut b = block();
    b.insn_start(PC);
    let t = b.movi(base);
    let m = b.movi(3);
    let idx = b.and(r(reg::R11), m);
    let s = b.shli(idx, 2);
    let a = b.add(t, s);
    let v = b.load(Opcode::Ld32s, a);
    let target = b.add(v, t);
    b.mov_to(r(reg::RAX), target);
    finish(&mut b);
    let code = insns(&check(&mut j, &b, &mut [0u64; 2], None));
    let sib: Vec<_> = code.iter().filter(|i| has_index(i)).collect();
    assert_eq!(sib.len(), 1, "{code:#?}");
    assert!(
        sib[0].starts_with("movsxd") && sib[0].contains("*4]"),
        "{code:#?}"
    );
    assert!(!code.iter().any(|i| i.starts_with("shl")), "{code:#?}");
}

/// Addresses the checking mode's store hook saw.
static HOOKED: std::sync::Mutex<Vec<(u64, u64)>> = std::sync::Mutex::new(Vec::new());

extern "sysv64" fn hook(addr: u64, size: u64) {
    HOOKED.lock().unwrap().push((addr, size));
}

#[test]
fn store_hook_sees_scaled_index_addresses() {
    let mut j = jit();
    j.set_checking(Some(hook));
    let mut mem = [0u64; 16];
    let b = scaled_index_block(Opcode::St32, 2, 8, 5);
    let id = j.compile(&b, PC).expect("compiles");
    let mut env = CpuState::default();
    env.regs[reg::RSI] = mem.as_mut_ptr() as u64;
    env.regs[reg::R10] = env.regs[reg::RSI];
    env.regs[reg::R11] = 6; // index 2
    HOOKED.lock().unwrap().clear();
    j.run(&mut env, id);
    let at = mem.as_ptr() as u64 + 2 * 4 + 8;
    assert_eq!(*HOOKED.lock().unwrap(), [(at, 4), (at, 4)]);
    // An XMM store too, all 16 bytes.
    let mut b = block();
    b.insn_start(PC);
    let m = b.movi(3);
    let idx = b.and(r(reg::R11), m);
    let s = b.shli(idx, 2);
    let a = b.add(r(reg::RSI), s);
    let a = b.addi(a, 8);
    b.st_xmm(1, a, false);
    finish(&mut b);
    let id = j.compile(&b, PC).expect("compiles");
    assert!(j
        .disassemble(id)
        .lines()
        .any(|l| l.contains("movdqu") && has_index(l)));
    env.regs[reg::R11] = 6;
    HOOKED.lock().unwrap().clear();
    j.run(&mut env, id);
    assert_eq!(*HOOKED.lock().unwrap(), [(at, 16)]);
}

#[test]
fn globals_are_stored_at_a_branch_only_on_the_paths_that_read_them() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for both in [true, false] {
        let mut b = block();
        b.insn_start(PC);
        let t = b.add(r(reg::RAX), r(reg::RBX));
        b.mov_to(r(reg::R9), t);
        b.mov_to(r(reg::RCX), t);
        let taken = b.label();
        b.brcond(ox86_ir::Cond::Ltu, r(reg::RAX), r(reg::RBX), taken);
        let one = b.movi(1);
        b.mov_to(r(reg::R9), one);
        goto(&mut b, PC + 0x10, 0);
        b.set_label(taken);
        if both {
            let two = b.movi(2);
            b.mov_to(r(reg::R9), two);
        }
        goto(&mut b, PC + 0x20, 1);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        // R9 is never stored before the branch; when the taken path
        // reads it, it is stored on that path only (right after a jump
        // over it, for the other path).
        let before: Vec<_> = code.iter().take_while(|i| !i.starts_with('j')).collect();
        let stores = before.iter().filter(|i| i.starts_with("mov [rbp")).count();
        assert_eq!(stores, 1, "{code:#?}");
        let after = &code[before.len() + 1];
        assert_eq!(after.starts_with("mov [rbp-38h]"), !both, "{code:#?}");
    }
}

/// Ends `b` with a branch on `x` compared with zero by `cond`: RCX is 1
/// on the way out by exit 0, 2 by exit 1, where RAX is overwritten too
/// (operands change after the branch only).
fn branch_on_zero(b: &mut IrBlock, cond: ox86_ir::Cond, x: Temp) {
    let zero = b.movi(0);
    let taken = b.label();
    b.brcond(cond, x, zero, taken);
    let one = b.movi(1);
    b.mov_to(r(reg::RCX), one);
    goto(b, PC + 0x10, 0);
    b.set_label(taken);
    let two = b.movi(2);
    b.mov_to(r(reg::RCX), two);
    b.mov_to(r(reg::RAX), two);
    goto(b, PC + 0x20, 1);
}

#[test]
fn branches_on_a_zero_difference_or_and_compare_the_operands() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for op in [Opcode::Sub, Opcode::And] {
        for cond in [ox86_ir::Cond::Eq, ox86_ir::Cond::Ne] {
            for width in [64, 32, 8] {
                let mut b = block();
                b.insn_start(PC);
                // Equal operands, or ones differing in the high half only,
                // for some of the states the check runs from.
                let m = b.movi(0xffff_ffff_0000_0001);
                let d = b.and(r(reg::RBX), m);
                let y = b.xor(r(reg::RAX), d);
                let x = match (op, width) {
                    (Opcode::Sub, 64) => b.sub(r(reg::RAX), y),
                    (Opcode::Sub, _) => {
                        let t = b.sub(r(reg::RAX), y);
                        b.unop(Opcode::Ext32u, t)
                    }
                    (_, 64) => b.and(r(reg::RAX), r(reg::RBX)),
                    (_, 32) => {
                        let t = b.and(r(reg::RAX), r(reg::RBX));
                        b.unop(Opcode::Ext32u, t)
                    }
                    _ => {
                        let a8 = b.unop(Opcode::Ext8u, r(reg::RAX));
                        let one = b.movi(1);
                        let t = b.and(a8, one);
                        b.unop(Opcode::Ext8u, t)
                    }
                };
                branch_on_zero(&mut b, cond, x);
                let code = insns(&check(&mut j, &b, &mut mem, None));
                let what = format!("{op:?} {cond:?} width {width}: {code:#?}");
                let (fused, gone) = if op == Opcode::Sub {
                    ("cmp ", "sub ")
                } else {
                    ("test ", "and ")
                };
                assert!(code.iter().any(|i| i.starts_with(fused)), "{what}");
                assert!(!code.iter().any(|i| i.starts_with(gone)), "{what}");
                if width == 8 {
                    assert!(!code.iter().any(|i| i.starts_with("movzx")), "{what}");
                }
            }
        }
    }
}

#[test]
fn branches_on_a_narrow_zero_difference_of_narrow_operands_compare_them() {
    let mut j = jits();
    // The byte at offset 1 is 0x44, the 16-bit word at offset 2 0x1234.
    let mut mem = [0x0000_0000_1234_4400u64, 0, 0, 0];
    // (load, extension, offset, constant, fused): a byte or word loaded
    // and a constant it can equal; a constant wider than the extension
    // keeps (its difference's low bits may still be zero); a register.
    let cases = [
        (Some(Opcode::Ld8u), Opcode::Ext8u, 1, 0x44, true),
        (Some(Opcode::Ld8u), Opcode::Ext8u, 1, 0x45, true),
        (Some(Opcode::Ld16u), Opcode::Ext16u, 2, 0x1234, true),
        (Some(Opcode::Ld8u), Opcode::Ext8u, 1, 0x144, false),
        (None, Opcode::Ext8u, 0, 0x44, false),
    ];
    for (load, ext, offset, c, fused) in cases {
        for cond in [ox86_ir::Cond::Eq, ox86_ir::Cond::Ne] {
            let mut b = block();
            b.insn_start(PC);
            let a = match load {
                Some(ld) => {
                    let k = b.movi(offset);
                    let at = b.add(r(reg::RSI), k);
                    b.load(ld, at)
                }
                // Any value: one whose low byte is 0x44 among them.
                None => r(reg::RAX),
            };
            let k = b.movi(c);
            let d = b.sub(a, k);
            let x = b.unop(ext, d);
            branch_on_zero(&mut b, cond, x);
            let code = insns(&check(&mut j, &b, &mut mem, None));
            let what = format!("{ext:?} {c:#x} {cond:?}: {code:#?}");
            assert_eq!(code.iter().any(|i| i.starts_with("cmp ")), fused, "{what}");
            assert_eq!(
                code.iter().any(|i| i.starts_with("test ")),
                !fused,
                "{what}"
            );
        }
    }
}

#[test]
fn an_add_of_a_scaled_index_is_one_lea() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    for k in 1..=3u64 {
        for disp in [None, Some(1u64), Some(-0x80i64 as u64)] {
            for w32 in [false, true] {
                let mut b = block();
                b.insn_start(PC);
                let kk = b.movi(k);
                let s = b.binop(Opcode::Shl, r(reg::RBX), kk);
                let mut v = b.add(r(reg::RAX), s);
                if let Some(d) = disp {
                    let c = b.movi(d);
                    v = b.add(v, c);
                }
                if w32 {
                    v = b.unop(Opcode::Ext32u, v);
                }
                b.mov_to(r(reg::RCX), v);
                finish(&mut b);
                let code = insns(&check(&mut j, &b, &mut mem, None));
                let what = format!("shl {k}, disp {disp:?}, 32-bit {w32}: {code:#?}");
                let lea = code.iter().filter(|i| i.starts_with("lea ")).count();
                assert_eq!(lea, 1, "{what}");
                assert!(!code.iter().any(|i| i.starts_with("shl ")), "{what}");
                assert!(!code.iter().any(|i| i.starts_with("add ")), "{what}");
            }
        }
    }
}

/// The `lea` reads its index where the `shl` did: a later materialised
/// base must not take the register of an index nothing reads after the
/// `shl` (here a value also copied into RAX, which is overwritten).
#[test]
fn lea_reads_its_index_before_the_base_is_materialised() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let mut b = block();
    b.insn_start(PC);
    let one = b.movi(1);
    let s = b.binop(Opcode::Shl, r(15), one);
    let x = b.add(r(15), s);
    b.mov_to(r(reg::RAX), x);
    let c = b.movi(0x4a_26a0);
    b.mov_to(r(reg::RDI), c);
    let three = b.movi(3);
    let s2 = b.binop(Opcode::Shl, x, three);
    let v = b.add(r(reg::RDI), s2);
    b.mov_to(r(reg::RAX), v);
    finish(&mut b);
    let code = insns(&check(&mut j, &b, &mut mem, None));
    assert_eq!(
        code.iter().filter(|i| i.starts_with("lea ")).count(),
        2,
        "{code:#?}"
    );
}

/// A store hook that overwrites every host XMM register, as any function
/// the generated code calls may.
extern "sysv64" fn clobber_xmm(_: u64, _: u64) {
    // SAFETY: writes only the registers declared as clobbered.
    unsafe {
        std::arch::asm!(
            "pcmpeqd xmm0, xmm0", "pcmpeqd xmm1, xmm1", "pcmpeqd xmm2, xmm2",
            "pcmpeqd xmm3, xmm3", "pcmpeqd xmm4, xmm4", "pcmpeqd xmm5, xmm5",
            "pcmpeqd xmm6, xmm6", "pcmpeqd xmm7, xmm7", "pcmpeqd xmm8, xmm8",
            "pcmpeqd xmm9, xmm9", "pcmpeqd xmm10, xmm10", "pcmpeqd xmm11, xmm11",
            "pcmpeqd xmm12, xmm12", "pcmpeqd xmm13, xmm13", "pcmpeqd xmm14, xmm14",
            "pcmpeqd xmm15, xmm15",
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            options(nostack, nomem),
        );
    }
}

/// Guest XMM registers 0..8 with distinct doubles in each lane.
fn xmm_state(mxcsr: u32) -> CpuState {
    let mut env = CpuState::default();
    for (k, x) in env.xmm.iter_mut().enumerate().take(8) {
        *x = [(1.5 + k as f64).to_bits(), (0.1 * k as f64 - 3.0).to_bits()];
    }
    env.mxcsr = mxcsr;
    env
}

/// Runs `b` under the JIT (with `hook` as the checking store hook) and the
/// interpreter from `env`, and compares the XMM registers and MXCSR.
fn check_xmm(b: &IrBlock, env: &CpuState, hook: Option<extern "sysv64" fn(u64, u64)>) {
    let mut j = jit();
    j.set_checking(hook);
    let id = j.compile(b, PC).expect("compiles");
    // Both engines leave exception flags in the host MXCSR until synced.
    use ox86_x86::helpers::sse::{clear_host_flags, sync_mxcsr_flags};
    let mut jenv = snapshot(env);
    clear_host_flags();
    j.run(&mut jenv, id);
    sync_mxcsr_flags(&mut jenv);
    let mut ienv = snapshot(env);
    ox86_interp::exec(&InterpTb::new(b.clone()), &mut ienv, &mut Vec::new());
    sync_mxcsr_flags(&mut ienv);
    let text = ox86_ir::format_block(b, &ox86_x86::helpers::Names);
    assert_eq!(jenv.xmm, ienv.xmm, "{text}");
    assert_eq!(jenv.mxcsr, ienv.mxcsr, "{text}");
}

#[test]
fn xmm_registers_are_reloaded_after_a_call_out() {
    use ox86_x86::helpers::{id_of, sse};
    let mut mem = [0u64; 2];
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    b.call_xmm(id_of(&sse::float::MULSD), 4, 2, 0);
    // In checking mode the store calls the hook, which overwrites every
    // host XMM register.
    let p = b.movi(mem.as_mut_ptr() as u64);
    b.store(Opcode::St64, r(reg::RAX), p);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    b.call_xmm(id_of(&sse::shuffle::MOVAPS), 5, 4, 0);
    goto(&mut b, PC + 0x10, 0);
    check_xmm(&b, &xmm_state(0x1f80), Some(clobber_xmm));
}

/// Checked once at the TB's entry, MXCSR decides before anything runs:
/// under the default control bits the floating-point instructions run
/// inline (no check of their own), under others the TB leaves with
/// `MxcsrNotDefault` and the state untouched. A TB with a helper call
/// (which may change MXCSR) keeps a check at each instruction.
#[test]
fn mxcsr_checked_at_entry_decides_before_anything_runs() {
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    b.call_xmm(id_of(&sse::float::MULSD), 4, 2, 0);
    b.call_xmm(id_of(&sse::float::DIVPD), 5, 4, 0);
    goto(&mut b, PC + 0x10, 0);
    let mut j = jit();
    j.set_mxcsr_at_entry(true);
    let id = j.compile(&b, PC).expect("compiles");
    let checks = |j: &Jit, id| j.disassemble(id).matches("1F80h").count();
    assert_eq!(checks(&j, id), 1, "{}", j.disassemble(id));
    let env = xmm_state(0x1f80);
    let mut jenv = snapshot(&env);
    assert!(matches!(j.run(&mut jenv, id), JitExit::Direct { .. }));
    let mut ienv = snapshot(&env);
    ox86_interp::exec(&InterpTb::new(b.clone()), &mut ienv, &mut Vec::new());
    assert_eq!(jenv.xmm, ienv.xmm);
    for mxcsr in [0x7f80, 0x9f80, 0x1f00] {
        let env = xmm_state(mxcsr);
        let mut jenv = snapshot(&env);
        jenv.rip = 0;
        assert_eq!(j.run(&mut jenv, id), JitExit::MxcsrNotDefault);
        assert_eq!((jenv.xmm, jenv.mxcsr, jenv.rip), (env.xmm, mxcsr, PC));
    }
    // With a call (LDMXCSR's, say) in the TB: a check per instruction.
    let mut c = block();
    c.insn_start(PC);
    c.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    c.call(id_of(&sse::MXCSR_LOADED), &[]);
    c.call_xmm(id_of(&sse::float::MULSD), 4, 2, 0);
    goto(&mut c, PC + 0x10, 0);
    let id = j.compile(&c, PC).expect("compiles");
    assert_eq!(checks(&j, id), 2, "{}", j.disassemble(id));
    for mxcsr in [0x1f80, 0x7f80] {
        check_xmm(&c, &xmm_state(mxcsr), None);
    }
}

/// The low quadword of a guest XMM register the TB holds in a host one
/// (a MOVSD store's value, say) is read there: no store of the register
/// and load of its half. The value, the XMM registers and the other half
/// (read from `CpuState`, the register written back first) are the
/// interpreter's.
#[test]
fn the_low_half_of_a_cached_xmm_register_is_read_in_place() {
    use ox86_x86::cpu::xmm_offset;
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::MULSD), 2, 3, 0);
    let lo = b.ld_env(xmm_offset(2, 0));
    b.mov_to(r(reg::RAX), lo);
    let mut c = b.clone();
    let hi = c.ld_env(xmm_offset(2, 1));
    c.mov_to(r(reg::RCX), hi);
    goto(&mut b, PC + 0x10, 0);
    goto(&mut c, PC + 0x10, 0);
    let mut j = jit();
    let id = j.compile(&b, PC).expect("compiles");
    let code = insns(&j.disassemble(id));
    let in_place = |i: &String| i.starts_with("movq r") && i.contains(",xmm");
    assert!(code.iter().any(in_place), "{code:#?}");
    // The register is stored once, at the exit, not before the read.
    let stores = code.iter().filter(|i| i.starts_with("movdqa [rbp"));
    assert_eq!(stores.count(), 1, "{code:#?}");
    for blk in [&b, &c] {
        let id = j.compile(blk, PC).expect("compiles");
        let env = xmm_state(0x1f80);
        let mut jenv = snapshot(&env);
        j.run(&mut jenv, id);
        let mut ienv = snapshot(&env);
        ox86_interp::exec(&InterpTb::new(blk.clone()), &mut ienv, &mut Vec::new());
        assert_eq!((jenv.regs, jenv.xmm), (ienv.regs, ienv.xmm));
    }
}

/// A result the cache holds dirty reaches `CpuState` however the block
/// goes on: through a forward branch whose label the falling way reaches
/// with the register elsewhere (written in halves, reloaded, recomputed),
/// through an `ld_env` of one of its halves, and at the exit.
#[test]
fn dirty_xmm_registers_agree_where_paths_meet() {
    use ox86_ir::Cond;
    use ox86_x86::cpu::xmm_offset;
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    let l = b.label();
    let zero = b.movi(0);
    b.brcond(Cond::Eq, r(reg::RAX), zero, l);
    let lo = b.ld_env(xmm_offset(4, 0));
    b.st_env(lo, xmm_offset(2, 0));
    b.call_xmm(id_of(&sse::float::MULPD), 5, 2, 0);
    b.call_xmm(id_of(&sse::int::PADDQ), 2, 5, 0);
    b.set_label(l);
    b.call_xmm(id_of(&sse::float::SUBPD), 6, 2, 0);
    let hi = b.ld_env(xmm_offset(2, 8));
    b.st_env(hi, xmm_offset(7, 0));
    goto(&mut b, PC + 0x10, 0);
    for (rax, mxcsr) in [(0, 0x1f80), (1, 0x1f80), (0, 0x7f80), (1, 0x7f80)] {
        let mut env = xmm_state(mxcsr);
        env.regs[reg::RAX] = rax;
        check_xmm(&b, &env, None);
    }
}

/// Results in more guest registers than the cache has host registers:
/// each dirty one is stored when its host register is taken.
#[test]
fn dirty_xmm_registers_are_stored_when_evicted() {
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    for round in 0..2 {
        for g in 0..16u64 {
            let s = (g + 5 + round) % 16;
            b.call_xmm(id_of(&sse::int::PADDQ), g, s, 0);
        }
    }
    goto(&mut b, PC + 0x10, 0);
    check_xmm(&b, &xmm_state(0x1f80), None);
}

#[test]
fn xmm_registers_are_reloaded_after_the_slow_path() {
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::DIVPD), 2, 3, 0);
    // Integer forms have no slow path: they read the cached registers as
    // the floating-point forms' slow paths left them.
    b.call_xmm(id_of(&sse::shuffle::MOVAPS), 4, 2, 0);
    b.call_xmm(id_of(&sse::float::SUBSD), 3, 4, 0);
    b.call_xmm(id_of(&sse::int::PADDQ), 5, 3, 0);
    goto(&mut b, PC + 0x10, 0);
    // Default MXCSR: the inline path; round toward zero: the helpers.
    for mxcsr in [0x1f80, 0x7f80] {
        check_xmm(&b, &xmm_state(mxcsr), None);
    }
}

/// PCMPISTRI writes ECX: whatever the allocator keeps in RCX survives it.
#[test]
fn pcmpistri_keeps_the_values_in_rcx() {
    use ox86_x86::helpers::{id_of, sse};
    let mut j = jits();
    let mut mem = [0u64; 2];
    let mut b = block();
    b.insn_start(PC);
    // More live values than the allocator has registers without RCX.
    let vals: Vec<Temp> = (0..14u64)
        .map(|k| {
            let c = b.movi(k * 0x1111_0001 + 1);
            b.add(r(k as usize % 8), c)
        })
        .collect();
    b.call_xmm(id_of(&sse::pcmpstr::PCMPISTRI), 1, 2, 0x0c);
    let mut acc = b.movi(0);
    for &v in &vals {
        let rot = b.movi(7);
        let t = b.binop(Opcode::Rotl, acc, rot);
        acc = b.binop(Opcode::Xor, t, v);
    }
    b.mov_to(r(reg::RAX), acc);
    goto(&mut b, PC + 0x10, 0);
    check(&mut j, &b, &mut mem, None);
}

/// PCMPISTRI's index and flags go from the host's ECX and the flags it
/// sets straight to their readers (RCX and the lazy flags, as the
/// translator reads them): no store of either field, no save of RCX; the
/// same values as the interpreter's for strings that differ, match, end
/// early or not at all, with values kept in RAX and RCX around it.
#[test]
fn pcmpistri_results_go_to_their_readers() {
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    let keep = [
        b.add(r(reg::RAX), r(reg::RDX)),
        b.add(r(reg::RCX), r(reg::RDX)),
    ];
    b.call_xmm(id_of(&sse::pcmpstr::PCMPISTRI), 1, 2, 0x1a);
    let flags = b.ld_env(std::mem::offset_of!(CpuState, xmm_result));
    let index = b.ld_env(std::mem::offset_of!(CpuState, xmm_index));
    b.mov_to(r(reg::RCX), index);
    b.mov_to(g(glob::CC_SRC), flags);
    b.movi_to(g(glob::CC_OP), 0);
    b.mov_to(r(reg::RSI), keep[0]);
    b.mov_to(r(reg::RDI), keep[1]);
    goto(&mut b, PC + 0x10, 0);
    let mut j = jit();
    let id = j.compile(&b, PC).expect("compiles");
    let code = insns(&j.disassemble(id));
    assert!(
        !code
            .iter()
            .any(|i| i.starts_with("push ") || i.contains("shl rcx")),
        "{code:#?}"
    );
    let s = |t: &[u8]| {
        let mut v = [0u8; 16];
        v[..t.len()].copy_from_slice(t);
        [
            u64::from_le_bytes(v[..8].try_into().unwrap()),
            u64::from_le_bytes(v[8..].try_into().unwrap()),
        ]
    };
    let cases: [(&[u8], &[u8]); 5] = [
        (b"abcdefgh", b"abcdXfgh"),
        (b"hello", b"hello"),
        (b"0123456789abcdef", b"0123456789abcdef"),
        (b"0123456789abcdef", b"0123456789abcdeX"),
        (b"", b"x"),
    ];
    for (x, y) in cases {
        let mut env = CpuState::default();
        env.xmm[1] = s(x);
        env.xmm[2] = s(y);
        env.regs[reg::RAX] = 0x1111;
        env.regs[reg::RCX] = 0x2222;
        env.regs[reg::RDX] = 3;
        let mut jenv = snapshot(&env);
        j.run(&mut jenv, id);
        let mut ienv = snapshot(&env);
        ox86_interp::exec(&InterpTb::new(b.clone()), &mut ienv, &mut Vec::new());
        assert_eq!(jenv.regs, ienv.regs, "{x:?} {y:?}");
        assert_eq!(
            (jenv.cc_op, jenv.cc_src),
            (ienv.cc_op, ienv.cc_src),
            "{x:?} {y:?}"
        );
    }
}

/// A 16-byte store that crosses into an inaccessible page writes nothing
/// (as the CPU's does); a load from there faults the same way.
#[test]
fn xmm_accesses_across_a_page_boundary_are_whole() {
    let base = page_before_guard() as *mut u64;
    // SAFETY: the first page of the mapping, which nothing else uses.
    let mem = unsafe { std::slice::from_raw_parts_mut(base, 512) };
    for (k, x) in mem.iter_mut().enumerate() {
        *x = 0x0101_0101_0101_0101u64.wrapping_mul(k as u64);
    }
    let before = mem.to_vec();
    let mut j = jits();
    for back in [1u64, 8, 15, 16] {
        for store in [true, false] {
            let mut b = block();
            b.insn_start(PC);
            let off = b.movi(4096 - back);
            let a = b.add(r(reg::RSI), off);
            if store {
                b.st_xmm(3, a, false);
            } else {
                b.ld_xmm(3, 16, a, false);
            }
            let v = b.ld_env(ox86_x86::cpu::xmm_offset(3, 0));
            b.mov_to(r(reg::RAX), v);
            goto(&mut b, PC + 0x10, 0);
            check(&mut j, &b, mem, None);
            // 16 bytes before the boundary the access is whole and valid.
            let crosses = back < 16;
            assert!(
                !crosses || mem == &before[..],
                "a store {back} bytes before the boundary wrote"
            );
            mem.copy_from_slice(&before);
        }
    }
}

/// Where paths meet, a guest XMM register stays cached only if every path
/// has it in the same host register: both ways through a branch (and the
/// `raise` pattern of an alignment check) give the interpreter's state.
#[test]
fn xmm_registers_cached_on_one_path_only_are_reloaded_where_paths_meet() {
    use ox86_ir::Cond;
    use ox86_x86::helpers::{id_of, sse};
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    let join = b.label();
    b.brcond(Cond::Ltu, r(reg::RAX), r(reg::RBX), join);
    // Only on the fall-through path: XMM3 changes, XMM4 and XMM5 are cached
    // and XMM2 moves to another host register.
    b.call_xmm(id_of(&sse::float::MULPD), 3, 2, 0);
    b.call_xmm(id_of(&sse::shuffle::MOVAPS), 4, 5, 0);
    b.call_xmm(id_of(&sse::shuffle::MOVAPS), 6, 2, 0);
    b.set_label(join);
    b.call_xmm(id_of(&sse::float::ADDPD), 4, 3, 0);
    b.call_xmm(id_of(&sse::float::SUBPD), 2, 4, 0);
    // An alignment check: only the branch reaches the label.
    let aligned = b.label();
    let mask = b.movi(15);
    b.brcond(Cond::TstEq, r(reg::RCX), mask, aligned);
    b.raise(13);
    b.set_label(aligned);
    b.call_xmm(id_of(&sse::float::MULPD), 2, 6, 0);
    goto(&mut b, PC + 0x10, 0);
    for (rax, rbx) in [(1, 2), (2, 1)] {
        let mut env = xmm_state(0x1f80);
        env.regs[reg::RAX] = rax;
        env.regs[reg::RBX] = rbx;
        env.regs[reg::RCX] = 0x40;
        check_xmm(&b, &env, None);
    }
}

/// A label that a later branch jumps back to starts with nothing cached.
#[test]
fn xmm_registers_at_a_backward_label_are_reloaded() {
    use ox86_ir::Cond;
    use ox86_x86::helpers::{id_of, sse};
    let mut mem = [0u64; 2];
    let mut b = block();
    b.insn_start(PC);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    let top = b.label();
    b.set_label(top);
    // Five rounds; within one, the store's hook overwrites every host XMM
    // register and the registers are cached again in another order.
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    let p = b.movi(mem.as_mut_ptr() as u64);
    b.store(Opcode::St64, r(reg::RAX), p);
    b.call_xmm(id_of(&sse::shuffle::MOVAPS), 7, 6, 0);
    b.call_xmm(id_of(&sse::float::ADDPD), 2, 3, 0);
    b.call_xmm(id_of(&sse::int::PADDQ), 5, 2, 0);
    let one = b.movi(1);
    let n = b.sub(r(reg::RCX), one);
    b.mov_to(r(reg::RCX), n);
    let zero = b.movi(0);
    b.brcond(Cond::Ne, r(reg::RCX), zero, top);
    goto(&mut b, PC + 0x10, 0);
    let mut env = xmm_state(0x1f80);
    env.regs[reg::RCX] = 5;
    check_xmm(&b, &env, Some(clobber_xmm));
}

/// The host address a listing line's jump goes to, if it is a jump.
fn jump_target(line: &str) -> Option<u64> {
    let (_, insn) = line.split_once(":  ")?;
    let insn = insn.trim().trim_start_matches("hint-not-taken ");
    let (m, t) = insn.split_once(' ')?;
    m.starts_with('j').then_some(())?;
    u64::from_str_radix(t.trim_end_matches('h'), 16).ok()
}

/// The instruction at host address `at` in a listing.
fn insn_at(listing: &str, at: u64) -> Option<String> {
    listing.lines().find_map(|l| {
        let (addr, insn) = l.split_once(":  ")?;
        let a = u64::from_str_radix(addr.trim_start_matches("0x"), 16).ok()?;
        (a == at).then(|| insn.trim().to_string())
    })
}

#[test]
fn a_branch_between_two_exits_jumps_straight_to_one() {
    let (fwd, fwd2, back, back2) = (PC + 0x40, PC + 0x80, PC - 0x40, PC - 0x80);
    for (x, y) in [(fwd, fwd2), (fwd, back), (back, fwd), (back, back2)] {
        let mut b = block();
        b.insn_start(PC);
        let taken = b.label();
        b.brcond(ox86_ir::Cond::Ltu, r(reg::RAX), r(reg::RBX), taken);
        b.discard(g(glob::CC_OP));
        goto(&mut b, x, 0);
        b.set_label(taken);
        b.discard(g(glob::CC_OP));
        goto(&mut b, y, 1);
        let mut j = jits();
        let listing = check(&mut j, &b, &mut [0; 1], None);
        // Unless both targets may close a loop (and so check
        // `exit_request` first), the conditional jump is the exit.
        let jcc = listing
            .lines()
            .find(|l| {
                // A padded exit's jcc carries the (ignored) hint prefix.
                let l = l.replace("hint-not-taken ", "");
                l.contains(":  j") && !l.contains(":  jmp")
            })
            .and_then(jump_target)
            .unwrap_or_else(|| panic!("a conditional jump\n{listing}"));
        let at = insn_at(&listing, jcc).expect("its target is in the TB");
        // An exit stub loads its exit code into EAX and leaves.
        let to_stub = at.starts_with("mov eax,");
        assert_eq!(to_stub, x > PC || y > PC, "{x:#x} {y:#x}\n{listing}");

        // Chained, each way reaches its TB.
        let mut jit = jit();
        let a = jit.compile(&b, PC).expect("compiles");
        let mut to = Vec::new();
        for (pc, mark) in [(x, 0x1111), (y, 0x2222)] {
            let mut t = block();
            t.insn_start(pc);
            t.movi_to(r(reg::RDX), mark);
            goto(&mut t, pc + 0x1000, 0);
            to.push(jit.compile(&t, pc).expect("compiles"));
        }
        for k in 0..2 {
            let chained = to.iter().filter(|&&t| jit.chain(a, k, t)).count();
            assert_eq!(chained, 1, "exit {k} has one target");
        }
        for (rax, rbx, pc, mark) in [(1, 2, y, 0x2222), (2, 1, x, 0x1111), (5, 5, x, 0x1111)] {
            let mut env = CpuState::default();
            env.regs[reg::RAX] = rax;
            env.regs[reg::RBX] = rbx;
            let exit = jit.run(&mut env, a);
            assert!(matches!(exit, JitExit::Direct { .. }), "{exit:?}");
            assert_eq!((env.regs[reg::RDX], env.rip), (mark, pc + 0x1000));
        }
    }
}

#[test]
fn pinned_globals_leave_a_tb_in_registers() {
    let mut j = jits();
    let mut mem = [0u64; 4];
    let mut b = block();
    b.insn_start(PC);
    let eight = b.movi(8);
    let sp = b.sub(r(reg::RSP), eight);
    b.mov_to(r(reg::RSP), sp);
    b.mov_to(g(glob::CC_DST), sp);
    b.mov_to(g(glob::CC_SRC), eight);
    b.movi_to(g(glob::CC_OP), 0xf);
    b.mov_to(r(reg::RCX), sp);
    finish(&mut b);
    // `check` compares `CpuState` after the exit stub stored them.
    let code = insns(&check(&mut j, &b, &mut mem, None));
    let body: Vec<_> = code.iter().take_while(|i| !i.starts_with("jmp")).collect();
    // rsp, cc_op, cc_dst, cc_src: no store; rcx: one.
    for field in ["[rbp-60h]", "[rbp+8]", "[rbp+10h]", "[rbp+18h]"] {
        assert!(
            !body.iter().any(|i| i.contains(field)),
            "{field} stored\n{code:#?}"
        );
    }
    assert!(body.iter().any(|i| i.contains("[rbp-78h]")), "{code:#?}");
}

/// A page mapped at `at`, a fixed address below 2 GiB (where a non-PIE
/// program's data lies), or None if something is mapped there already.
fn low_page(at: u64) -> Option<*mut u64> {
    // SAFETY: a fresh anonymous mapping at a fixed address that must not
    // replace anything (MAP_FIXED_NOREPLACE); left mapped for the test.
    let p = unsafe {
        libc::mmap(
            at as *mut libc::c_void,
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    (p as u64 == at).then_some(p as *mut u64)
}

#[test]
fn accesses_at_constant_low_addresses_use_absolute_displacements() {
    const AT: u64 = 0x2345_6000;
    let page = low_page(AT).expect("a free page at a low fixed address");
    let mut b = block();
    b.insn_start(PC);
    // Each width, loaded and stored at constant addresses (a global of a
    // non-PIE program) and at one below its page start (a displacement
    // folded in), mixed with a register.
    for (k, (ld, st)) in [
        (Opcode::Ld8s, Opcode::St8),
        (Opcode::Ld16u, Opcode::St16),
        (Opcode::Ld32s, Opcode::St32),
        (Opcode::Ld64, Opcode::St64),
    ]
    .into_iter()
    .enumerate()
    {
        let k = k as u64;
        let base = b.movi(AT);
        let off = b.movi(8 * k);
        let a = b.add(base, off);
        let v = b.load(ld, a);
        let sum = b.add(v, g(reg::RBX));
        b.mov_to(g(k as usize), sum);
        let a2 = b.movi(AT + 0x800 + 8 * k);
        b.store(st, sum, a2);
        let c = b.movi(0x8765_4321_8081_8283);
        let a3 = b.movi(AT + 0x400 + 8 * k);
        b.store(st, c, a3);
    }
    goto(&mut b, PC + 0x10, 0);
    // SAFETY: the page is ours and 4096 bytes long.
    let mem = unsafe { std::slice::from_raw_parts_mut(page, 512) };
    for (i, w) in mem.iter_mut().enumerate() {
        *w = VALUES[i % VALUES.len()].rotate_left(i as u32);
    }
    let listing = check(&mut jits(), &b, &mut [0; 1], None);
    let want = ["[23456000h]", "[23456808h]", "[23456410h]", "[23456018h]"];
    for w in want {
        assert!(listing.contains(w), "no absolute access {w}\n{listing}");
    }
    let mut env = CpuState::default();
    env.regs[reg::RBX] = 0x1111;
    let mut j = jit();
    let id = j.compile(&b, PC).expect("compiles");
    let before = mem.to_vec();
    j.run(&mut env, id);
    assert_eq!(
        env.regs[0],
        (before[0] as u8 as i8 as u64).wrapping_add(0x1111)
    );
    assert_eq!(
        mem[0x800 / 8],
        before[0x800 / 8] & !0xff | env.regs[0] & 0xff
    );
    assert_eq!(mem[0x400 / 8 + 3], 0x8765_4321_8081_8283);
    assert_eq!(
        mem[0x400 / 8 + 2],
        before[0x400 / 8 + 2] & !0xffff_ffff | 0x8081_8283
    );
}

#[test]
fn only_jumps_back_on_the_tbs_page_count_down_to_a_loop_sample() {
    // A TB 0x100 into its page: 0x40 back stays on it, 0x200 back does not.
    let at = PC + 0x100;
    for (target, counts) in [(at - 0x40, true), (at - 0x200, false), (at + 0x40, false)] {
        let mut b = block();
        b.insn_start(at);
        goto(&mut b, target, 0);
        let mut j = jit();
        let id = j.compile(&b, at).expect("compiles");
        let listing = j.disassemble(id);
        assert_eq!(
            listing.contains("dec dword ptr"),
            counts,
            "{target:#x}\n{listing}"
        );
        // Every jump back may close a cycle: it counts down (a request
        // sets the count to 1) or checks exit_request.
        assert_eq!(
            listing.contains("cmp byte ptr [rbp"),
            target <= at && !counts,
            "{target:#x}\n{listing}"
        );
    }
}

/// The address of the first instruction of `listing` that is not a NOP.
fn first_real_insn(listing: &str) -> u64 {
    let line = listing
        .lines()
        .find(|l| !l.contains("nop") && l.starts_with("0x"))
        .expect("an instruction");
    u64::from_str_radix(&line[2..line.find(':').expect("address")], 16).expect("hex address")
}

#[test]
fn a_loop_tb_starts_on_a_cache_line() {
    let mut j = jit();
    // A TB that loops to itself until RAX reaches 100, compiled after a
    // small one so that it would not start on a line by chance alone.
    let mut small = block();
    small.insn_start(PC);
    goto(&mut small, PC + 0x40, 0);
    let mut loop_tb = block();
    loop_tb.insn_start(PC + 0x40);
    let one = loop_tb.movi(1);
    let s = loop_tb.add(g(reg::RAX), one);
    loop_tb.mov_to(g(reg::RAX), s);
    let lim = loop_tb.movi(100);
    let l = loop_tb.label();
    loop_tb.brcond(ox86_ir::Cond::Ltu, g(reg::RAX), lim, l);
    goto(&mut loop_tb, PC + 0x80, 1);
    loop_tb.set_label(l);
    goto(&mut loop_tb, PC + 0x40, 0);
    for _ in 0..4 {
        j.compile(&small, PC).expect("compiles");
        let b = j.compile(&loop_tb, PC + 0x40).expect("compiles");
        let listing = j.disassemble(b);
        assert_eq!(first_real_insn(&listing) % 64, 0, "{listing}");
        let mut env = CpuState::default();
        assert!(matches!(j.run(&mut env, b), JitExit::Direct { .. }));
        assert_eq!(env.regs[reg::RAX], 100);
    }
    // Other TBs are not padded (the prefixes that keep a patchable jump's
    // displacement aligned are the jump's own).
    let a = j.compile(&small, PC).expect("compiles");
    let start = j.code_range(a).0 as u64;
    assert!(first_real_insn(&j.disassemble(a)) - start < 4);
}

#[test]
fn values_for_pinned_globals_are_computed_in_their_registers() {
    // The shape of an interpreter's dispatch (Lua's `luaV_execute`): new
    // values of RBX and RAX computed from a register kept in `CpuState`,
    // RBX's through its own intermediate value, RAX's by a load indexed
    // by RAX's intermediate value, then an indirect jump to RAX. RBX and RAX leave in their host registers.
    let mut j = jits();
    let mut mem = [0u64; 4];
    let mut b = block();
    b.insn_start(PC);
    let op = b.unop(Opcode::Ext32u, r(12));
    let a = b.shri(op, 7);
    let a = b.unop(Opcode::Ext8u, a);
    b.mov_to(r(reg::RBX), a);
    let k = b.andi(op, 3);
    b.mov_to(r(reg::RAX), k);
    let k = b.shli(k, 3);
    let at = b.add(r(reg::RSI), k);
    let target = b.load(Opcode::Ld64, at);
    b.mov_to(r(reg::RAX), target);
    let a = b.shli(r(reg::RBX), 4);
    let a = b.add(a, r(reg::R10));
    b.mov_to(r(reg::RBX), a);
    b.mov_to(g(glob::CC_DST), a);
    b.mov_to(g(glob::RIP), r(reg::RAX));
    b.lookup_and_goto_ptr();
    let code = insns(&check(&mut j, &b, &mut mem, None));
    // No copy into RBX's or RAX's register (R8, R15).
    let copies = code
        .iter()
        .filter(|i| is_reg_copy(i) && (i.starts_with("mov r8,") || i.starts_with("mov r15,")))
        .count();
    assert_eq!(copies, 0, "{code:#?}");
}

/// The general-register results of inline XMM instructions (PMOVMSKB's
/// mask, COMISD's flags, CVTTSD2SI's integer, PCMPISTRI's flags and index)
/// go straight to the register of the `ld_env` that reads them, not
/// through `CpuState.xmm_result`; under a non-default MXCSR the
/// out-of-line calls deliver them to the same place.
#[test]
fn scalar_xmm_results_go_to_their_readers_register() {
    use ox86_x86::helpers::{id_of, sse};
    use std::mem::offset_of;
    let result = offset_of!(CpuState, xmm_result);
    let mut b = block();
    b.insn_start(PC);
    let steps = [
        (id_of(&sse::int::PMOVMSKB), 0, 2, reg::RAX),
        (id_of(&sse::compare::COMISD), 3, 2, reg::RCX),
        (id_of(&sse::convert::CVTTSD2SI64), 0, 4, reg::RDX),
        (id_of(&sse::pcmpstr::PCMPISTRI), 5, 6, reg::RSI),
    ];
    for (h, d, s, to) in steps {
        b.call_xmm(h, d, s, 0x1a);
        let v = b.ld_env(result);
        b.mov_to(r(to), v);
    }
    goto(&mut b, PC + 0x10, 0);
    let mut j = jit();
    let id = j.compile(&b, PC).expect("compiles");
    let listing = j.disassemble(id);
    let disp = result as i64 - 128;
    // Only the out-of-line paths read it (after their calls).
    let store = format!("mov [rbp+{disp:X}h],");
    assert!(!listing.contains(&store), "{store} in\n{listing}");
    for mxcsr in [0x1f80, 0x7f80] {
        let mut env = xmm_state(mxcsr);
        env.xmm[2] = [0x8000_0080_7f00_ff01, 0x0000_0001_8080_8000];
        let mut jenv = snapshot(&env);
        j.run(&mut jenv, id);
        let mut ienv = snapshot(&env);
        ox86_interp::exec(&InterpTb::new(b.clone()), &mut ienv, &mut Vec::new());
        for (_, _, _, to) in steps {
            assert_eq!(
                jenv.regs[to], ienv.regs[to],
                "mxcsr {mxcsr:#x}: r{to}\n{listing}"
            );
        }
    }
}

/// Ends `b` with `brcond cond, x, y` between two exits, runs it under
/// both JITs and the interpreter (`check`) and returns the host JIT's
/// instructions.
fn branch_between_exits(
    j: &mut Jits,
    mut b: IrBlock,
    cond: ox86_ir::Cond,
    x: Temp,
    y: Temp,
) -> Vec<String> {
    let taken = b.label();
    b.brcond(cond, x, y, taken);
    goto(&mut b, PC + 0x10, 0);
    b.set_label(taken);
    goto(&mut b, PC + 0x20, 1);
    insns(&check(j, &b, &mut [0u64; 2], None))
}

/// True if `code` compares or tests anything.
fn compares(code: &[String]) -> bool {
    code.iter()
        .any(|i| i.starts_with("cmp ") || i.starts_with("test "))
}

/// `sub edx, 1; jnz` in a loop: the difference goes to EDX in place and
/// the branch takes ZF from that `sub` (no `test`, no `cmp` of the old
/// value, which would keep it and compute the new one aside).
#[test]
fn a_branch_on_a_kept_difference_uses_its_flags() {
    let mut j = jits();
    for cond in [ox86_ir::Cond::Eq, ox86_ir::Cond::Ne] {
        let mut b = block();
        b.insn_start(PC);
        let x = b.unop(Opcode::Ext32u, r(reg::RDX));
        let one = b.movi(1);
        let t = b.sub(x, one);
        let d = b.unop(Opcode::Ext32u, t);
        b.mov_to(r(reg::RDX), d);
        let zero = b.movi(0);
        let code = branch_between_exits(&mut j, b, cond, d, zero);
        let sub = code
            .iter()
            .position(|i| i.starts_with("sub "))
            .expect("a sub");
        let jcc = code
            .iter()
            .position(|i| i.starts_with('j'))
            .expect("a branch");
        assert!(sub < jcc, "{code:#?}");
        let between = &code[sub + 1..jcc];
        assert!(
            !between
                .iter()
                .any(|i| i.starts_with("test") || i.starts_with("cmp")),
            "{code:#?}"
        );
        assert!(!code.iter().any(|i| i.starts_with("lea")), "{code:#?}");
    }
}

/// `cmp rax, rdx; jb` with the difference kept as the lazy flags' result
/// (`cc_dst = rax - rdx`, as where a loop's flags stay live) branches on
/// the flags of the `sub` that computed it, for every comparison: no `cmp`
/// of the same registers after it.
#[test]
fn a_compare_after_the_same_difference_reuses_its_flags() {
    use ox86_ir::Cond;
    let mut j = jits();
    let conds = [
        Cond::Ltu,
        Cond::Leu,
        Cond::Lt,
        Cond::Ge,
        Cond::Gt,
        Cond::Eq,
        Cond::Ne,
    ];
    for cond in conds {
        let mut b = block();
        b.insn_start(PC);
        let (x, y) = (r(reg::RAX), r(reg::RDX));
        let d = b.sub(x, y);
        b.mov_to(g(glob::CC_DST), d);
        b.mov_to(g(glob::CC_SRC), y);
        let code = branch_between_exits(&mut j, b, cond, x, y);
        assert!(code.iter().any(|i| i.starts_with("sub ")), "{code:#?}");
        assert!(!compares(&code), "{cond:?}: {code:#?}");
    }
}

/// `test rax, rdx; jz` (or a mask) with `rax & rdx` kept as the lazy
/// flags' result branches on the ZF of the `and` that computed it: no
/// `test` after it, for a register, a byte mask and a wider one (and the
/// right branch, checked against the interpreter, for a negative one).
#[test]
fn a_test_after_the_same_and_reuses_its_flags() {
    use ox86_ir::Cond;
    let mut j = jits();
    for cond in [Cond::TstEq, Cond::TstNe] {
        for mask in [None, Some(0x20u64), Some(0x1_0000), Some(-16i64 as u64)] {
            let mut b = block();
            b.insn_start(PC);
            let x = r(reg::RAX);
            let y = match mask {
                None => r(reg::RDX),
                Some(m) => b.movi(m),
            };
            let d = b.and(x, y);
            b.mov_to(g(glob::CC_DST), d);
            let code = branch_between_exits(&mut j, b, cond, x, y);
            if mask.is_some_and(|m| (m as i64) < 0) {
                continue;
            }
            assert!(code.iter().any(|i| i.starts_with("and ")), "{code:#?}");
            assert!(!compares(&code), "{cond:?} {mask:?}: {code:#?}");
        }
    }
}

/// `mov ecx, eax; sar ecx, 31` (the sign of a 32-bit value as a mask) is
/// one 32-bit `sar` of the value, with no sign extension to 64 bits and
/// back.
#[test]
fn an_arithmetic_shift_of_a_sign_extended_value_is_32_bit() {
    let mut j = jits();
    let mut mem = [0u64; 2];
    for count in [1u64, 31] {
        let mut b = block();
        b.insn_start(PC);
        let x = b.unop(Opcode::Ext32u, r(reg::RAX));
        let s = b.unop(Opcode::Ext32s, x);
        let c = b.movi(count);
        let t = b.binop(Opcode::Sar, s, c);
        let m = b.unop(Opcode::Ext32u, t);
        b.mov_to(r(reg::RCX), m);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        assert!(code.iter().any(|i| is_32_bit(i, "sar")), "{code:#?}");
        assert!(!code.iter().any(|i| i.starts_with("movsxd")), "{code:#?}");
    }
    // A 64-bit result keeps the sign extension.
    let mut b = block();
    b.insn_start(PC);
    let x = b.unop(Opcode::Ext32u, r(reg::RAX));
    let s = b.unop(Opcode::Ext32s, x);
    let c = b.movi(31);
    let t = b.binop(Opcode::Sar, s, c);
    b.mov_to(r(reg::RCX), t);
    finish(&mut b);
    let code = insns(&check(&mut j, &b, &mut mem, None));
    assert!(!code.iter().any(|i| is_32_bit(i, "sar")), "{code:#?}");
}

/// `lea edi, [rcx + rdi * 2 + 1]` with RDI pinned: the `lea` writes RDI's
/// register, which it also reads, and no copy follows.
#[test]
fn a_lea_overwrites_a_dying_input_where_its_result_belongs() {
    let mut j = jits();
    let mut mem = [0u64; 2];
    let mut b = block();
    b.insn_start(PC);
    let s = b.shli(r(reg::RDI), 1);
    let t = b.add(r(reg::RCX), s);
    let u = b.addi(t, 1);
    b.mov_to(r(reg::RDI), u);
    finish(&mut b);
    let code = insns(&check(&mut j, &b, &mut mem, None));
    let lea = code.iter().find(|i| i.starts_with("lea ")).expect("a lea");
    let dst = lea[4..].split(',').next().unwrap();
    assert!(lea.contains(&format!("{dst}*2")), "{code:#?}");
    assert!(!code.iter().any(|i| is_reg_copy(i)), "{code:#?}");
}

/// `lea ecx, [rbx + r9 + 0x428a2f98]` (as SHA-256's rounds add their
/// constants): the sum of two registers and a displacement is one `lea`,
/// also when the constant is added by a second `add`.
#[test]
fn a_sum_of_two_registers_and_a_constant_is_one_lea() {
    let mut j = jits();
    let mut mem = [0u64; 2];
    for (width, c) in [(64, 8u64), (32, 0x428a_2f98), (64, (-16i64) as u64)] {
        let mut b = block();
        b.insn_start(PC);
        let s = b.add(r(reg::RBX), r(reg::R9));
        let k = b.movi(c);
        let t = b.add(s, k);
        let v = if width == 32 {
            b.unop(Opcode::Ext32u, t)
        } else {
            t
        };
        b.mov_to(r(reg::RCX), v);
        finish(&mut b);
        let code = insns(&check(&mut j, &b, &mut mem, None));
        let leas: Vec<_> = code.iter().filter(|i| i.starts_with("lea")).collect();
        assert_eq!(leas.len(), 1, "{code:#?}");
        assert!(has_index(leas[0]), "{code:#?}");
        assert!(!code.iter().any(|i| i.starts_with("add")), "{code:#?}");
    }
}

/// A function's epilogue (`add rsp, 38h; mov rax, rbx; pop rbx; pop rbp;
/// ret`, as gcc ends a function with a frame): each pop loads straight
/// into the register its guest register is pinned to (a faulting load
/// leaves that register as it was, so the old value is there for the
/// fault site), RSP stays in its register while the lazy result of the
/// `add` moves to its own, and the return address is loaded into RAX, where
/// the jump table's probe wants it. At most two copies remain: RAX's
/// value into its register, and the lazy result.
#[test]
fn an_epilogue_pops_into_the_pinned_registers() {
    let mut j = jits();
    let mut mem = [0u64; 12];
    for (k, m) in mem.iter_mut().enumerate() {
        *m = 0x1111 * k as u64;
    }
    let mut b = block();
    b.insn_start(PC);
    // The frame: RSP from RSI, which points at `mem`.
    let sp = b.addi(r(reg::RSI), 0x38);
    b.mov_to(r(reg::RSP), sp);
    b.mov_to(g(glob::CC_DST), sp);
    b.movi_to(g(glob::CC_SRC), 0x38);
    b.movi_to(g(glob::CC_OP), 7);
    b.insn_start(PC + 4);
    b.mov_to(r(reg::RAX), r(reg::RBX));
    let mut sp = sp;
    for (k, dst) in [reg::RBX, reg::RBP].into_iter().enumerate() {
        b.insn_start(PC + 7 + k as u64);
        let v = b.load(Opcode::Ld64, sp);
        sp = b.addi(sp, 8);
        b.mov_to(r(reg::RSP), sp);
        b.mov_to(r(dst), v);
    }
    b.insn_start(PC + 9);
    let target = b.load(Opcode::Ld64, sp);
    let sp = b.addi(sp, 8);
    b.mov_to(r(reg::RSP), sp);
    b.mov_to(g(glob::RIP), target);
    b.lookup_and_goto_ptr();
    let code = insns(&check(&mut j, &b, &mut mem, None));
    // RBX's and RBP's registers (R8, R9), then RAX.
    for load in ["mov r8,[", "mov r9,[", "mov rax,["] {
        assert!(
            code.iter().any(|i| i.starts_with(load)),
            "{load}: {code:#?}"
        );
    }
    assert!(
        code.iter().filter(|i| is_reg_copy(i)).count() <= 2,
        "{code:#?}"
    );
}

/// `or rdx, r13; mov [rsi], rdx` as a TB's first instructions: the lazy
/// flags arriving in their registers are overwritten before anything
/// needs them, so the `or` is computed in the lazy result's register and
/// its operand loaded into the lazy source's, with no copy into either
/// at the end.
#[test]
fn flags_dead_at_entry_leave_their_registers_to_the_tb() {
    let mut j = jits();
    let mut mem = [0u64; 2];
    let mut b = block();
    b.insn_start(PC);
    let v = b.or(r(reg::R9), r(13));
    b.mov_to(r(reg::R9), v);
    b.mov_to(g(glob::CC_DST), v);
    b.mov_to(g(glob::CC_SRC), r(13));
    b.movi_to(g(glob::CC_OP), 0x17);
    b.insn_start(PC + 3);
    b.store(Opcode::St64, v, r(reg::RSI));
    finish(&mut b);
    let code = insns(&check(&mut j, &b, &mut mem, None));
    // CC_DST's and CC_SRC's registers.
    for reg in ["r13", "r14"] {
        let copy = format!("mov {reg},");
        assert!(
            !code.iter().any(|i| is_reg_copy(i) && i.starts_with(&copy)),
            "{code:#?}"
        );
    }
    assert!(code.iter().any(|i| i.starts_with("or r13,")), "{code:#?}");
}

/// `test r9d, r9d` as a TB's first instruction: the lazy result, R9's
/// low half, is one 32-bit load from R9's `CpuState` field into CC_DST's
/// register, not R9 loaded whole and then extended; every extension
/// width loads that way, and a global read again later in the block is
/// loaded whole once.
#[test]
fn an_extension_of_a_global_in_memory_is_a_narrow_load() {
    let mut j = jits();
    let mut mem = [0u64; 2];
    for opc in [
        Opcode::Ext8u,
        Opcode::Ext8s,
        Opcode::Ext16u,
        Opcode::Ext16s,
        Opcode::Ext32u,
        Opcode::Ext32s,
    ] {
        for read_again in [false, true] {
            let mut b = block();
            b.insn_start(PC);
            let v = b.unop(opc, r(reg::R9));
            b.mov_to(g(glob::CC_DST), v);
            b.movi_to(g(glob::CC_OP), 0x16);
            if read_again {
                let w = b.addi(r(reg::R9), 1);
                b.mov_to(r(reg::RCX), w);
            }
            finish(&mut b);
            let code = insns(&check(&mut j, &b, &mut mem, None));
            // R9's field is at [rbp-38h].
            let loads: Vec<_> = code.iter().filter(|i| i.contains("[rbp-38h]")).collect();
            assert_eq!(loads.len(), 1, "{opc:?}: {code:#?}");
            // A 64-bit load names a 64-bit register and no width.
            let whole = loads[0]
                .strip_prefix("mov ")
                .and_then(|o| o.split_once(','))
                .is_some_and(|(d, m)| is_reg_copy(&format!("mov {d},{d}")) && m.starts_with('['));
            assert_eq!(whole, read_again, "{opc:?}: {code:#?}");
        }
    }
}

/// `cc_compute_c` (CF of a lazy-flags state known only at run time):
/// inline for the logic kinds, INC, DEC and materialised flags, out of
/// line for the others, with the values in caller-saved registers (the
/// pinned RSI, RDX, RBX, RBP and RDI, and a local) kept across it and no
/// spill around it. Every kind and size, with and without a rotate, the
/// operands from `VALUES`, against the interpreter (which calls the
/// helper).
#[test]
fn carry_of_a_lazy_state_keeps_every_register() {
    use ox86_x86::cc::CC_OP_ROT;
    use ox86_x86::helpers::{flags::CC_COMPUTE_C, id_of};
    let regs = [reg::RSI, reg::RDX, reg::RBX, reg::RBP, reg::RDI];
    let mut b = block();
    b.insn_start(PC);
    let one = b.movi(1);
    for &r in &regs {
        let t = b.add(g(r), one);
        b.mov_to(g(r), t);
    }
    let local = b.add(g(reg::RCX), one);
    let flags = [glob::CC_OP, glob::CC_DST, glob::CC_SRC, glob::CC_SRC2].map(g);
    let cf = b.call_pure(id_of(&CC_COMPUTE_C), &flags);
    b.mov_to(g(reg::RAX), cf);
    for &r in &regs {
        let t = b.add(g(r), cf);
        b.mov_to(g(r), t);
    }
    let t = b.add(local, cf);
    b.mov_to(g(reg::RCX), t);
    goto(&mut b, PC + 0x100, 0);
    for j in [&mut jit(), &mut baseline_jit()] {
        let id = j.compile(&b, PC).expect("compiles");
        let listing = j.disassemble(id);
        let code = insns(&listing);
        let check = code
            .iter()
            .position(|i| i.starts_with("and r11,"))
            .expect("the check");
        assert!(
            !code[..check].iter().any(|i| i.starts_with("mov [rbp")),
            "no spill before the op:\n{listing}"
        );
        assert!(
            code.iter().any(|i| i.starts_with("call")),
            "the helper's call"
        );
        for kind in 0..12u64 {
            for size in 0..4 {
                for rot in [0, CC_OP_ROT] {
                    for (n, &v) in VALUES.iter().enumerate() {
                        let mut env = CpuState::default();
                        for (k, r) in env.regs.iter_mut().enumerate() {
                            *r = VALUES[(n + k) % VALUES.len()].rotate_left(k as u32 * 5);
                        }
                        env.cc_op = (kind * 4 + size) | rot;
                        env.cc_dst = v;
                        env.cc_src = VALUES[(n + 3) % VALUES.len()];
                        env.cc_src2 = VALUES[(n + 7) % VALUES.len()] | (n as u64 & 1);
                        let mut jenv = snapshot(&env);
                        assert!(matches!(j.run(&mut jenv, id), JitExit::Direct { .. }));
                        let mut ienv = snapshot(&env);
                        let exit = ox86_interp::exec(
                            &InterpTb::new(b.clone()),
                            &mut ienv,
                            &mut Vec::new(),
                        );
                        assert_eq!(exit, TbExit::Direct(0));
                        assert_eq!(
                            jenv.regs, ienv.regs,
                            "cc_op {:#x}, operands {v:#x}:\n{listing}",
                            env.cc_op
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_local_copied_into_a_global_written_again_later_keeps_its_value() {
    // The shape of a TB the IR optimiser left a dead global write in:
    // `mov cc_dst, t` overwritten before the TB ends, `t` read between.
    let mut j = jits();
    let mut mem = [0x1111_2222_3333_4444u64, 0x5555_6666_7777_8888, 0, 0];
    let mut b = block();
    b.insn_start(PC);
    let three = b.movi(3);
    let low = b.and(r(reg::RAX), three);
    let one = b.movi(1);
    let t = b.add(low, one);
    b.mov_to(r(reg::RAX), t);
    b.mov_to(g(glob::CC_DST), t);
    b.movi_to(g(glob::CC_OP), 7);
    let two = b.movi(2);
    let scaled = b.binop(Opcode::Shl, t, two);
    let at = b.add(r(reg::RSI), scaled);
    let v = b.load(Opcode::Ld32u, at);
    b.mov_to(r(reg::RDX), v);
    b.mov_to(g(glob::CC_DST), v);
    b.movi_to(g(glob::CC_OP), 0x16);
    branch_on_zero(&mut b, ox86_ir::Cond::Ne, v);
    for unobserved in [0, 1 << glob::CC_OP | 1 << glob::CC_DST | 1 << glob::CC_SRC] {
        b.unobserved_at_faults = unobserved;
        check(&mut j, &b, &mut mem, None);
    }
}
