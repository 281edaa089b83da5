//! Guest memory faults inside generated code: the exit carries the host
//! pc, which maps back to the faulting guest instruction, and `CpuState`
//! holds the registers as of that instruction (the interpreter agrees).

mod common;

use common::{block, g, goto, guard_page, jit, snapshot};
use ox86_interp::{InterpTb, TbExit};
use ox86_ir::Opcode;
use ox86_jit::JitExit;
use ox86_x86::cpu::{excp, glob, reg};
use ox86_x86::CpuState;

const PC: u64 = 0x40_1000;

/// Three guest instructions; the second one writes RCX and RDX, then
/// accesses `[RSI]`; the third one would write RDI.
fn three_insns(store: bool) -> ox86_ir::IrBlock {
    let mut b = block();
    b.insn_start(PC);
    let five = b.movi(5);
    b.mov_to(g(reg::RBX), five);
    b.insn_start(PC + 3);
    let one = b.movi(1);
    let c = b.add(g(reg::RBX), one);
    b.mov_to(g(reg::RCX), c);
    let d = b.add(c, c);
    b.mov_to(g(reg::RDX), d);
    let cc = b.movi(7);
    b.mov_to(g(glob::CC_OP), cc);
    if store {
        b.store(Opcode::St32, d, g(reg::RSI));
    } else {
        let v = b.load(Opcode::Ld64, g(reg::RSI));
        b.mov_to(g(reg::RAX), v);
    }
    b.insn_start(PC + 7);
    b.mov_to(g(reg::RDI), five);
    goto(&mut b, PC + 9, 0);
    b
}

fn check(store: bool) {
    let page = guard_page();
    let mut j = jit();
    let ir = three_insns(store);
    let id = j.compile(&ir, PC).unwrap();
    let mut env = CpuState::default();
    env.regs[reg::RSI] = page + 0x10;
    env.regs[reg::RAX] = 0xaaaa;
    env.regs[reg::RDI] = 0xbbbb;
    let start = snapshot(&env);

    let r = j.run(&mut env, id);

    assert_eq!(r, JitExit::Exception);
    assert_eq!(env.rip, PC + 3);
    assert_eq!(env.regs[reg::RBX], 5);
    assert_eq!(env.regs[reg::RCX], 6);
    assert_eq!(env.regs[reg::RDX], 12);
    assert_eq!(env.cc_op, 7);
    assert_eq!(env.regs[reg::RAX], 0xaaaa);
    assert_eq!(env.regs[reg::RDI], 0xbbbb);
    assert_eq!(env.exception.pending, 1);
    assert_eq!(env.exception.vector as u64, excp::PF);
    assert_eq!(env.exception.addr, page + 0x10);
    assert_eq!(env.exception.write, store as u32);

    // The interpreter reaches the same state.
    let mut ienv = snapshot(&start);
    let itb = InterpTb::new(ir);
    assert_eq!(
        ox86_interp::exec(&itb, &mut ienv, &mut Vec::new()),
        TbExit::Exception(excp::PF)
    );
    assert_eq!(ienv.regs, env.regs);
    assert_eq!(ienv.rip, env.rip);
    assert_eq!(ienv.cc_op, env.cc_op);
    assert_eq!(ienv.exception, env.exception);
}

#[test]
fn load_fault_mid_tb_is_precise() {
    check(false);
}

#[test]
fn store_fault_mid_tb_is_precise() {
    check(true);
}

#[test]
fn unmapped_host_pc_has_no_guest_pc() {
    let j = jit();
    assert_eq!(j.guest_pc(0x10), None);
}
