//! Guest memory faults inside generated code: the exit carries the host
//! pc, which maps back to the faulting guest instruction, and `CpuState`
//! holds the registers as of that instruction (the interpreter agrees).

mod common;

use common::{block, g, goto, guard_page, jit, page_before_guard, snapshot};
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

/// `pop rbx; pop rbp`: each pop loads straight into the host register its
/// guest register is pinned to (the old value is dead once the pop is
/// done). When the load faults, that register still holds the old value,
/// which the fault site reports: the pop that faults leaves its register,
/// RSP and the lazy flags as they were, the one before it is done.
#[test]
fn a_faulting_pop_leaves_the_register_it_pops_into() {
    // A stack page, then an inaccessible one.
    let stack = page_before_guard();
    let top = stack + 4096;
    // SAFETY: the last word of the stack page.
    unsafe { *((top - 8) as *mut u64) = 0x5555 };
    let mut b = block();
    for (k, dst) in [reg::RBX, reg::RBP].into_iter().enumerate() {
        b.insn_start(PC + k as u64);
        let v = b.load(Opcode::Ld64, g(reg::RSP));
        let eight = b.movi(8);
        let sp = b.add(g(reg::RSP), eight);
        b.mov_to(g(reg::RSP), sp);
        b.mov_to(g(dst), v);
    }
    goto(&mut b, PC + 2, 0);
    let mut j = jit();
    let id = j.compile(&b, PC).unwrap();
    let listing = j.disassemble(id);
    assert!(listing.contains("mov r8,["), "{listing}");
    for faulting in [0u64, 1] {
        let mut env = CpuState::default();
        env.regs[reg::RSP] = top - 8 + 8 * (1 - faulting);
        env.regs[reg::RBX] = 0x1111;
        env.regs[reg::RBP] = 0x2222;
        env.cc_op = 7;
        env.cc_dst = 0x33;
        env.cc_src = 0x44;
        let start = snapshot(&env);
        assert_eq!(j.run(&mut env, id), JitExit::Exception);
        assert_eq!(env.rip, PC + faulting);
        assert_eq!(env.regs[reg::RSP], top);
        let rbx = if faulting == 1 { 0x5555 } else { 0x1111 };
        assert_eq!(env.regs[reg::RBX], rbx);
        assert_eq!(env.regs[reg::RBP], 0x2222);
        assert_eq!((env.cc_op, env.cc_dst, env.cc_src), (7, 0x33, 0x44));
        assert_eq!(env.exception.addr, top);
        let mut ienv = snapshot(&start);
        let itb = InterpTb::new(b.clone());
        assert_eq!(
            ox86_interp::exec(&itb, &mut ienv, &mut Vec::new()),
            TbExit::Exception(excp::PF)
        );
        assert_eq!(ienv.regs, env.regs);
        assert_eq!(ienv.rip, env.rip);
        assert_eq!(ienv.exception, env.exception);
    }
}
