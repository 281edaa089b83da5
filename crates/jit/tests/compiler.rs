//! A `Compiler` detached from its `Jit` (for the compile thread): TBs it
//! compiles on another thread run and chain like the `Jit`'s own once
//! installed in order; out of order they are refused; a full cache is
//! reported and, after a flush, compiling goes on at the new slot.

mod common;

use common::{adder, jit};
use ox86_jit::{Compiled, Compiler, JitError, JitExit};
use ox86_x86::cpu::reg;
use ox86_x86::CpuState;

const PC_A: u64 = 0x1000;
const PC_B: u64 = 0x2000;
const PC_C: u64 = 0x3000;

/// TB A (adds 1, goes to B) and TB B (adds 10, goes to C), compiled in
/// that order.
fn a_then_b(compiler: &mut Compiler) -> (Compiled, Compiled) {
    let (mut a, mut b) = (Compiled::default(), Compiled::default());
    compiler
        .compile(&adder(PC_A, 1, PC_B), PC_A, false, &mut a)
        .unwrap();
    compiler
        .compile(&adder(PC_B, 10, PC_C), PC_B, false, &mut b)
        .unwrap();
    (a, b)
}

#[test]
fn tbs_compiled_on_another_thread_run_and_chain() {
    let mut j = jit();
    let mut compiler = j.compiler();
    let (a, b) = std::thread::spawn(move || a_then_b(&mut compiler))
        .join()
        .unwrap();
    let (a, b) = (j.install(&a), j.install(&b));
    let mut env = CpuState::default();
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (1, PC_B));
    assert!(j.chain(a, 0, b));
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: b, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (12, PC_C));

    // After a compile of the Jit's own, the compiler goes on after it.
    let c = j.compile(&adder(PC_C, 100, PC_A), PC_C).unwrap();
    let mut compiler = j.compiler();
    compiler.restart_at(j.next_slot());
    let mut d = Compiled::default();
    compiler
        .compile(&adder(PC_A, 1000, PC_B), PC_A, false, &mut d)
        .unwrap();
    let d = j.install(&d);
    assert!(j.chain(c, 0, d));
    env.rip = PC_C;
    assert_eq!(j.run(&mut env, c), JitExit::Direct { tb: d, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (1112, PC_B));
}

#[test]
#[should_panic(expected = "another slot")]
fn a_tb_installed_out_of_order_is_refused() {
    let mut j = jit();
    let (_, b) = a_then_b(&mut j.compiler());
    j.install(&b);
}

#[test]
fn a_full_cache_is_reported_and_compiling_goes_on_after_a_flush() {
    let mut j = jit();
    let mut compiler = j.compiler();
    let mut out = Compiled::default();
    let mut n = 0;
    loop {
        match compiler.compile(&adder(PC_A, 1, PC_B), PC_A, false, &mut out) {
            Ok(()) => {
                j.install(&out);
                n += 1;
            }
            Err(JitError::CacheFull) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(n > 100);
    // Full for the Jit too.
    assert!(matches!(
        j.compile(&adder(PC_A, 1, PC_B), PC_A),
        Err(JitError::CacheFull)
    ));
    j.flush();
    compiler.restart_at(j.next_slot());
    compiler
        .compile(&adder(PC_A, 5, PC_B), PC_A, false, &mut out)
        .unwrap();
    let a = j.install(&out);
    let mut env = CpuState::default();
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (5, PC_B));
}
