//! The return-address stack: a RET goes back to its CALL's return point
//! inside generated code, a RET to another address or with nothing pushed
//! probes the jump table, and a recursion deeper than the stack holds
//! empties it rather than growing the host stack.

mod common;

use common::{adder, block, g, jit};
use ox86_ir::{Cond, IrBlock};
use ox86_jit::JitExit;
use ox86_x86::cpu::{glob, reg};
use ox86_x86::CpuState;

const PC_CALLER: u64 = 0x1000;
const PC_RETURN: u64 = 0x1005;
const PC_CALLEE: u64 = 0x2000;
const PC_OTHER: u64 = 0x3000;
const PC_END: u64 = 0x4000;

/// At `pc`: RAX += 1, then CALL `target` returning to `ret`.
fn caller(pc: u64, target: u64, ret: u64) -> IrBlock {
    let mut b = block();
    b.insn_start(pc);
    let rax = g(reg::RAX);
    let one = b.movi(1);
    let v = b.add(rax, one);
    b.mov_to(rax, v);
    b.movi_to(g(glob::RIP), target);
    b.call_tb(0, ret);
    b
}

/// At `pc`: RAX += 10, then RET to the address in RBX.
fn callee(pc: u64) -> IrBlock {
    let mut b = block();
    b.insn_start(pc);
    let rax = g(reg::RAX);
    let ten = b.movi(10);
    let v = b.add(rax, ten);
    b.mov_to(rax, v);
    b.mov_to(g(glob::RIP), g(reg::RBX));
    b.lookup_ret();
    b
}

#[test]
fn a_ret_goes_back_to_its_calls_return_point() {
    let mut j = jit();
    let a = j
        .compile(&caller(PC_CALLER, PC_CALLEE, PC_RETURN), PC_CALLER)
        .unwrap();
    let b = j.compile(&callee(PC_CALLEE), PC_CALLEE).unwrap();
    let r = j
        .compile(&adder(PC_RETURN, 100, PC_END), PC_RETURN)
        .unwrap();
    let mut env = CpuState::default();
    env.regs[reg::RBX] = PC_RETURN;

    // Unchained, the call leaves through its exit 0 ...
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 0 });
    assert_eq!((env.rip, env.regs[reg::RAX]), (PC_CALLEE, 1));
    // ... and the return point through exit 1.
    assert!(j.chain(a, 0, b));
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 1 });
    assert_eq!((env.rip, env.regs[reg::RAX]), (PC_RETURN, 12));

    // Chained both ways, CALL, RET and the code after the CALL run
    // without a jump-table entry for the return address.
    assert!(j.chain(a, 1, r));
    env.regs[reg::RAX] = 0;
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: r, exit: 0 });
    assert_eq!((env.rip, env.regs[reg::RAX]), (PC_END, 111));
}

#[test]
fn a_ret_elsewhere_or_with_nothing_pushed_probes_the_jump_table() {
    let mut j = jit();
    let a = j
        .compile(&caller(PC_CALLER, PC_CALLEE, PC_RETURN), PC_CALLER)
        .unwrap();
    let b = j.compile(&callee(PC_CALLEE), PC_CALLEE).unwrap();
    let other = j.compile(&adder(PC_OTHER, 1000, PC_END), PC_OTHER).unwrap();
    assert!(j.chain(a, 0, b));
    let mut env = CpuState::default();

    // The callee returns to an address its caller did not push.
    env.regs[reg::RBX] = PC_OTHER;
    assert_eq!(j.run(&mut env, a), JitExit::Indirect);
    assert_eq!((env.rip, env.regs[reg::RAX]), (PC_OTHER, 11));
    j.set_jump(PC_OTHER, other);
    env.regs[reg::RAX] = 0;
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: other, exit: 0 });
    assert_eq!(env.regs[reg::RAX], 1011);

    // Entered at the callee, the RET finds the stack empty.
    env.regs[reg::RAX] = 0;
    assert_eq!(j.run(&mut env, b), JitExit::Direct { tb: other, exit: 0 });
    assert_eq!(env.regs[reg::RAX], 1010);
    env.regs[reg::RBX] = PC_END;
    assert_eq!(j.run(&mut env, b), JitExit::Indirect);
    assert_eq!(env.rip, PC_END);
}

#[test]
fn a_deep_recursion_empties_the_stack_instead_of_growing_it() {
    // At PC_CALLER: RAX += 1; leave for PC_END at RAX == n, else CALL
    // itself. A million host calls without a return would overflow the
    // host stack.
    const N: u64 = 1_000_000;
    let mut b = block();
    b.insn_start(PC_CALLER);
    let rax = g(reg::RAX);
    let one = b.movi(1);
    let v = b.add(rax, one);
    b.mov_to(rax, v);
    let n = b.movi(N);
    let done = b.label();
    b.brcond(Cond::Eq, v, n, done);
    b.movi_to(g(glob::RIP), PC_CALLER);
    b.call_tb(0, PC_RETURN);
    b.set_label(done);
    b.movi_to(g(glob::RIP), PC_END);
    b.goto_tb(1);
    let mut j = jit();
    let a = j.compile(&b, PC_CALLER).unwrap();
    let mut env = CpuState::default();
    let mut exits = 0;
    loop {
        match j.run(&mut env, a) {
            JitExit::Direct { tb, exit: 0 } if tb == a && env.rip == PC_CALLER => {
                // The call's countdown for loop sampling ran out.
                assert!(j.chain(a, 0, a));
                exits += 1;
            }
            JitExit::Direct { tb, .. } if tb == a && env.rip == PC_END => break,
            e => panic!("unexpected exit {e:?} at rip {:#x}", env.rip),
        }
    }
    assert_eq!(env.regs[reg::RAX], N);
    assert!(exits < 1000, "left generated code {exits} times");
}
