//! Block chaining: patched direct exits, unchaining on invalidation, cache
//! flush while chained, exit requests in chained loops, the inline jump
//! table, and helper calls.

mod common;

use common::{adder, block, g, goto, jit};
use ox86_ir::Cond;
use ox86_jit::JitExit;
use ox86_x86::cpu::{excp, glob, reg};
use ox86_x86::{helpers, CpuState};
use std::sync::atomic::Ordering;

const PC_A: u64 = 0x1000;
const PC_B: u64 = 0x2000;
const PC_C: u64 = 0x3000;

#[test]
fn chained_exit_runs_target_without_returning() {
    let mut j = jit();
    let a = j.compile(&adder(PC_A, 1, PC_B), PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    let mut env = CpuState::default();

    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (1, PC_B));

    assert!(j.chain(a, 0, b));
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: b, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (12, PC_C));
    assert_eq!(j.chains, 1);
}

/// TB A: `rax += 1`, then to B if rax is 1, else to C.
fn branchy(pc: u64) -> ox86_ir::IrBlock {
    let mut b = adder(pc, 1, 0);
    b.ops.truncate(b.ops.len() - 2);
    let one = b.movi(1);
    let l = b.label();
    b.brcond(Cond::Eq, g(reg::RAX), one, l);
    goto(&mut b, PC_C, 1);
    b.set_label(l);
    goto(&mut b, PC_B, 0);
    b
}

/// The exit stubs (cold code) go apart from the TBs' code: consecutive
/// TBs lie back to back, and their exits leave through the moved stubs,
/// chained or not, and again once unchained.
#[test]
fn exit_stubs_lie_apart_from_the_code_that_runs() {
    let mut j = jit();
    let a = j.compile(&branchy(PC_A), PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    let (a_at, a_len) = j.code_range(a);
    assert_eq!(
        j.code_addr(b),
        a_at + a_len.next_multiple_of(16),
        "nothing between A and B"
    );
    let used = j.code_bytes();
    let c = j.compile(&adder(PC_C, 100, PC_A), PC_C).unwrap();
    assert!(
        j.code_bytes() - used > j.code_range(c).1,
        "C's stub went elsewhere"
    );

    let mut env = CpuState::default();
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (1, PC_B));
    env.rip = PC_A;
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 1 });
    assert_eq!((env.regs[reg::RAX], env.rip), (2, PC_C));
    assert!(j.chain(a, 1, c) && j.chain(c, 0, a));
    env.regs[reg::RAX] = 5;
    env.rip = PC_A;
    // A (6) -> C (106) -> A (107) -> C ... until A's first exit is taken:
    // never, so break the cycle by unchaining C.
    j.invalidate(c);
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 1 });
    assert_eq!((env.regs[reg::RAX], env.rip), (6, PC_C));
}

#[test]
fn chain_refuses_wrong_target() {
    let mut j = jit();
    let a = j.compile(&adder(PC_A, 1, PC_B), PC_A).unwrap();
    let c = j.compile(&adder(PC_C, 1, PC_A), PC_C).unwrap();
    assert!(!j.chain(a, 0, c));
}

#[test]
fn invalidated_target_is_unchained() {
    let mut j = jit();
    let a = j.compile(&adder(PC_A, 1, PC_B), PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    let mut env = CpuState::default();
    assert!(j.chain(a, 0, b));

    j.invalidate(b);

    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: a, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (1, PC_B));
    assert!(!j.chain(a, 0, b));
    // A fresh translation of B chains again.
    let b2 = j.compile(&adder(PC_B, 100, PC_C), PC_B).unwrap();
    assert!(j.chain(a, 0, b2));
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: b2, exit: 0 });
    assert_eq!(env.regs[reg::RAX], 102);
}

#[test]
fn invalidated_source_leaves_target_incoming_list() {
    let mut j = jit();
    let a = j.compile(&adder(PC_A, 1, PC_B), PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    assert!(j.chain(a, 0, b));
    j.invalidate(a);
    // Invalidating B afterwards must not patch A's dead code (nothing to
    // observe but no crash), and B still runs.
    j.invalidate(b);
    let b2 = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    let mut env = CpuState::default();
    assert_eq!(j.run(&mut env, b2), JitExit::Direct { tb: b2, exit: 0 });
    assert_eq!(env.regs[reg::RAX], 10);
}

#[test]
fn incoming_lists_survive_rechaining_and_invalidation() {
    let mut j = jit();
    let srcs: Vec<_> = (0..3u64)
        .map(|k| {
            let pc = PC_A + k * 0x100;
            j.compile(&adder(pc, 1, PC_B), pc).unwrap()
        })
        .collect();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    let b2 = j.compile(&adder(PC_B, 100, PC_C), PC_B).unwrap();
    for &s in &srcs {
        assert!(j.chain(s, 0, b));
    }
    // The middle source moves to b2, then the first source dies.
    assert!(j.chain(srcs[1], 0, b2));
    j.invalidate(srcs[0]);
    // Only the last source still jumps to b: it is unchained when b goes.
    j.invalidate(b);
    let run = |j: &mut ox86_jit::Jit, s| {
        let mut env = CpuState::default();
        let r = j.run(&mut env, s);
        (r, env.regs[reg::RAX])
    };
    let direct = |tb| JitExit::Direct { tb, exit: 0 };
    assert_eq!(run(&mut j, srcs[2]), (direct(srcs[2]), 1));
    assert_eq!(run(&mut j, srcs[1]), (direct(b2), 101));
    j.invalidate(b2);
    assert_eq!(run(&mut j, srcs[1]), (direct(srcs[1]), 1));
}

#[test]
fn flush_while_chained_drops_everything() {
    let mut j = jit();
    let a = j.compile(&adder(PC_A, 1, PC_B), PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    assert!(j.chain(a, 0, b));
    j.set_jump(PC_A, a);
    let used = j.code_bytes();

    j.flush();

    assert!(j.code_bytes() < used);
    // New TBs reuse the space; the old chain must not survive in it.
    let a2 = j.compile(&adder(PC_A, 5, PC_B), PC_A).unwrap();
    let mut env = CpuState::default();
    assert_eq!(j.run(&mut env, a2), JitExit::Direct { tb: a2, exit: 0 });
    assert_eq!((env.regs[reg::RAX], env.rip), (5, PC_B));
}

/// A TB at `pc` counting RAX up to `limit`, looping to itself via slot 0.
fn counter(pc: u64, limit: u64) -> ox86_ir::IrBlock {
    counted_loop(pc, limit, |_| {})
}

/// `counter` with `body` first in each iteration.
fn counted_loop(pc: u64, limit: u64, body: impl FnOnce(&mut ox86_ir::IrBlock)) -> ox86_ir::IrBlock {
    let mut b = block();
    b.insn_start(pc);
    body(&mut b);
    let one = b.movi(1);
    let s = b.add(g(reg::RAX), one);
    b.mov_to(g(reg::RAX), s);
    let lim = b.movi(limit);
    let l = b.label();
    b.brcond(Cond::Ltu, g(reg::RAX), lim, l);
    goto(&mut b, pc + 0x10, 1);
    b.set_label(l);
    goto(&mut b, pc, 0);
    b
}

#[test]
fn self_loop_runs_in_generated_code() {
    let mut j = jit();
    let a = j.compile(&counter(PC_A, 100_000), PC_A).unwrap();
    let mut env = CpuState {
        rip: PC_A,
        ..Default::default()
    };
    env.regs[reg::RBX] = 0x1234;
    let r = j.run(&mut env, a);
    assert!(matches!(r, JitExit::Direct { tb, .. } if tb == a));
    assert_eq!((env.regs[reg::RAX], env.rip), (100_000, PC_A + 0x10));
    assert_eq!(env.regs[reg::RBX], 0x1234);
}

/// Requests an exit (`CpuState::request_exit`) from another thread after
/// a while; ends the process if the run has not returned 10 s later (the
/// request was lost: generated code would spin for ever).
fn request_exit_soon(env: &CpuState) -> std::thread::JoinHandle<()> {
    let cpu = env as *const CpuState as usize;
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        // SAFETY: the CpuState outlives the caller's join; `request_exit`
        // only does atomic operations.
        unsafe { (*(cpu as *const CpuState)).request_exit() };
        std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(10));
            eprintln!("an exit request did not stop generated code");
            std::process::exit(101);
        });
    })
}

#[test]
fn exit_request_stops_a_loop() {
    stops_at_requests(&mut jit());
}

/// A loop that would not end stops at an exit request made before its run
/// (after one iteration) and at one made while it runs; returns the state.
fn stops_at_requests(j: &mut ox86_jit::Jit) -> CpuState {
    let a = j.compile(&counter(PC_A, u64::MAX), PC_A).unwrap();
    let mut env = CpuState::default();
    env.exit_request.store(1, Ordering::Release);
    assert_eq!(j.run(&mut env, a), JitExit::ExitRequest);
    assert_eq!((env.regs[reg::RAX], env.rip), (1, PC_A));

    env.exit_request.store(0, Ordering::Release);
    j.saw_exit_request();
    let t = request_exit_soon(&env);
    assert_eq!(j.run(&mut env, a), JitExit::ExitRequest);
    t.join().unwrap();
    assert!(env.regs[reg::RAX] > 1);
    assert_eq!(env.rip, PC_A);
    env
}

/// With `patch_back_edges` a loop goes round by a plain jump, which an exit
/// request points out (made before the run or while it runs, from another
/// thread as a signal handler's would be) and `saw_exit_request` points back,
/// a loop compiled while a request stands too.
#[test]
fn exit_request_repoints_a_loops_back_edge() {
    // A loop that no request stops would spin for ever.
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_secs(20));
        eprintln!("an exit request did not stop a loop");
        std::process::exit(101);
    });
    common::install_handler();
    let mut j = ox86_jit::Jit::new(ox86_jit::JitOptions {
        cache_size: 1 << 20,
        patch_back_edges: true,
        ..ox86_jit::JitOptions::default()
    })
    .expect("JIT starts");
    let mut env = stops_at_requests(&mut j);

    // Compiled while the request stands: it leaves after one iteration.
    let b = j.compile(&counter(PC_B, 100_000), PC_B).unwrap();
    env.rip = PC_B;
    env.regs[reg::RAX] = 0;
    assert_eq!(j.run(&mut env, b), JitExit::ExitRequest);
    assert_eq!((env.regs[reg::RAX], env.rip), (1, PC_B));

    // Seen: it goes round to its end.
    env.exit_request.store(0, Ordering::Release);
    j.saw_exit_request();
    assert!(matches!(j.run(&mut env, b), JitExit::Direct { tb, .. } if tb == b));
    assert_eq!((env.regs[reg::RAX], env.rip), (100_000, PC_B + 0x10));
}

/// A self-loop keeps its XMM registers newer than `CpuState` from one
/// iteration to the next: they reach it when the loop ends, when an exit
/// request stops it, and when an access in it faults.
#[test]
fn a_loops_xmm_registers_reach_cpu_state_however_it_stops() {
    use ox86_x86::helpers::{id_of, sse};
    // xmm2 += xmm3 (as quadwords) until rax reaches `limit`, with a load
    // of [rsi + rax * step] in each iteration.
    let looped = |pc: u64, limit: u64, step: u64| {
        counted_loop(pc, limit, |b| {
            b.call_xmm(id_of(&sse::int::PADDQ), 2, 3, 0);
            let k = b.movi(step);
            let off = b.binop(ox86_ir::Opcode::Mul, g(reg::RAX), k);
            let at = b.add(g(reg::RSI), off);
            let v = b.load(ox86_ir::Opcode::Ld64, at);
            b.mov_to(g(reg::RDX), v);
        })
    };
    let word = 7u64;
    let start = |env: &mut CpuState| {
        env.xmm[2] = [5, 1 << 40];
        env.xmm[3] = [3, 1];
        env.regs[reg::RSI] = &word as *const u64 as u64;
    };
    let mut j = jit();
    let a = j.compile(&looped(PC_A, 1000, 0), PC_A).unwrap();
    let mut env = CpuState::default();
    start(&mut env);
    assert!(matches!(j.run(&mut env, a), JitExit::Direct { .. }));
    assert_eq!(env.xmm[2], [5 + 3 * 1000, (1 << 40) + 1000]);
    let mut env = CpuState::default();
    start(&mut env);
    let t = request_exit_soon(&env);
    let b = j.compile(&looped(PC_B, u64::MAX, 0), PC_B).unwrap();
    assert_eq!(j.run(&mut env, b), JitExit::ExitRequest);
    t.join().unwrap();
    let n = env.regs[reg::RAX];
    assert!(n > 1);
    assert_eq!(env.xmm[2], [5 + 3 * n, (1 << 40) + n]);
    // The load faults in the second iteration (rax = 1, at the guard
    // page): xmm2 has had two additions.
    let mut env = CpuState::default();
    start(&mut env);
    let step = common::guard_page().wrapping_sub(&word as *const u64 as u64);
    let c = j
        .compile(&looped(PC_A + 0x100, u64::MAX, step), PC_A + 0x100)
        .unwrap();
    assert_eq!(j.run(&mut env, c), JitExit::Exception);
    assert_eq!(env.regs[reg::RAX], 1);
    assert_eq!(env.xmm[2], [5 + 3 * 2, (1 << 40) + 2]);
}

#[test]
fn exit_request_stops_a_chained_cycle() {
    let mut j = jit();
    let a = j.compile(&adder(PC_A, 1, PC_B), PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 10, PC_A), PC_B).unwrap();
    assert!(j.chain(a, 0, b));
    assert!(j.chain(b, 0, a));
    let mut env = CpuState::default();
    let t = request_exit_soon(&env);
    assert_eq!(j.run(&mut env, a), JitExit::ExitRequest);
    t.join().unwrap();
    // Checked on B's backward exit: the state is that of A's entry.
    assert_eq!(env.rip, PC_A);
    assert_eq!(env.regs[reg::RAX] % 11, 0);
}

#[test]
fn exit_request_stops_a_counted_cycle() {
    // Two TBs on one page: the jump back counts down `loop_countdown`
    // and tests no `exit_request`; a request sets the count to 1, so the
    // cycle leaves at that jump, once round, however high it was.
    let (pa, pb) = (PC_A + 0x100, PC_A + 0x200);
    let mut j = jit();
    let a = j.compile(&adder(pa, 1, pb), pa).unwrap();
    let b = j.compile(&adder(pb, 10, pa), pb).unwrap();
    assert!(j.chain(a, 0, b));
    assert!(j.chain(b, 0, a));
    let mut env = CpuState::default();
    env.loop_countdown.store(u32::MAX, Ordering::Relaxed);
    env.request_exit();
    let r = j.run(&mut env, a);
    assert!(matches!(r, JitExit::Direct { tb, .. } if tb == b), "{r:?}");
    assert_eq!(env.loop_countdown.load(Ordering::Relaxed), 0);
    assert_eq!(env.exit_request.load(Ordering::Relaxed), 1);
    assert_eq!((env.rip, env.regs[reg::RAX]), (pa, 11));
}

#[test]
fn exit_request_stops_an_indirect_cycle() {
    let mut j = jit();
    let mut ind = block();
    ind.insn_start(PC_A);
    let one = ind.movi(1);
    let s = ind.add(g(reg::RAX), one);
    ind.mov_to(g(reg::RAX), s);
    ind.mov_to(g(glob::RIP), g(reg::RBX));
    ind.lookup_and_goto_ptr();
    let a = j.compile(&ind, PC_A).unwrap();
    j.set_jump(PC_A, a);
    let mut env = CpuState::default();
    env.regs[reg::RBX] = PC_A;
    let t = request_exit_soon(&env);
    assert_eq!(j.run(&mut env, a), JitExit::Indirect);
    t.join().unwrap();
    assert_eq!(env.rip, PC_A);
    assert!(env.regs[reg::RAX] > 1);
}

#[test]
fn indirect_exit_probes_the_jump_table() {
    let mut j = jit();
    let mut ind = block();
    ind.insn_start(PC_A);
    ind.mov_to(g(glob::RIP), g(reg::RBX));
    ind.lookup_and_goto_ptr();
    let a = j.compile(&ind, PC_A).unwrap();
    let b = j.compile(&adder(PC_B, 7, PC_C), PC_B).unwrap();
    let mut env = CpuState::default();
    env.regs[reg::RBX] = PC_B;

    assert_eq!(j.run(&mut env, a), JitExit::Indirect);
    assert_eq!(env.rip, PC_B);

    j.set_jump(PC_B, b);
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: b, exit: 0 });
    assert_eq!(env.regs[reg::RAX], 7);

    j.invalidate(b);
    assert_eq!(j.run(&mut env, a), JitExit::Indirect);
    assert_eq!(env.regs[reg::RAX], 7);
}

#[test]
fn helper_call_and_exception_after_it() {
    let mut j = jit();
    let mut b = block();
    b.insn_start(PC_A);
    let op = b.movi(ox86_x86::cc::CC_OP_EFLAGS);
    let src = b.movi(0x8d5);
    let zero = b.movi(0);
    let id = helpers::id_of(&helpers::flags::CC_COMPUTE_ALL);
    let f = b.call(id, &[op, zero, src, zero]);
    b.mov_to(g(reg::RDX), f);
    b.insn_start(PC_A + 4);
    let addr = b.movi(0xdead_0000);
    let fault = helpers::id_of(&helpers::misc::RAISE_FETCH_FAULT);
    b.call(fault, &[addr]);
    b.mov_to(g(reg::RDX), zero);
    goto(&mut b, PC_B, 0);
    let a = j.compile(&b, PC_A).unwrap();
    let mut env = CpuState::default();

    assert_eq!(j.run(&mut env, a), JitExit::Exception);

    assert_eq!(env.regs[reg::RDX], 0x8d5);
    assert_eq!(env.rip, PC_A + 4);
    assert_eq!(env.exception.pending, 1);
    assert_eq!(env.exception.vector as u64, excp::PF);
    assert_eq!(env.exception.addr, 0xdead_0000);
}

#[test]
fn raise_leaves_with_the_exception() {
    let mut j = jit();
    let mut b = block();
    b.insn_start(PC_A);
    b.movi_to(g(glob::RIP), PC_A + 2);
    b.raise(excp::SYSCALL);
    let a = j.compile(&b, PC_A).unwrap();
    let mut env = CpuState::default();
    assert_eq!(j.run(&mut env, a), JitExit::Exception);
    assert_eq!(env.rip, PC_A + 2);
    assert_eq!(
        (env.exception.pending, env.exception.vector as u64),
        (1, excp::SYSCALL)
    );
}

/// `cc_op` of a 64-bit subtraction.
const SUBQ: u64 = ox86_x86::cc::CcKind::Sub.op(8);

/// A TB at `pc` as `push`-like code leaves it: rsp lowered by 8 and the
/// lazy flags of that subtraction, then a jump to `next`.
fn push_like(pc: u64, next: u64) -> ox86_ir::IrBlock {
    let mut b = block();
    b.insn_start(pc);
    let eight = b.movi(8);
    let sp = b.sub(g(reg::RSP), eight);
    b.mov_to(g(reg::RSP), sp);
    b.mov_to(g(glob::CC_DST), sp);
    b.mov_to(g(glob::CC_SRC), eight);
    b.movi_to(g(glob::CC_OP), SUBQ);
    goto(&mut b, next, 0);
    b
}

/// The pinned globals (rsp and the lazy flags) a TB sets, read by
/// `reader` chained after it.
fn pinned_env() -> CpuState {
    let mut env = CpuState::default();
    env.regs[reg::RSP] = 0x7fff_0000;
    env.cc_op = ox86_x86::cc::CC_OP_EFLAGS;
    env.cc_dst = 1;
    env.cc_src = 2;
    env
}

/// What `push_like` leaves from `pinned_env`.
fn assert_pushed(env: &CpuState) {
    assert_eq!(env.regs[reg::RSP], 0x7fff_0000 - 8);
    assert_eq!(
        (env.cc_op, env.cc_dst, env.cc_src),
        (SUBQ, 0x7fff_0000 - 8, 8)
    );
}

#[test]
fn pinned_globals_reach_a_chained_tb_and_the_exec_loop() {
    let mut j = jit();
    let a = j.compile(&push_like(PC_A, PC_B), PC_A).unwrap();
    // B sums the four pinned globals into RAX.
    let mut b = block();
    b.insn_start(PC_B);
    let s = b.add(g(reg::RSP), g(glob::CC_DST));
    let s = b.add(s, g(glob::CC_SRC));
    let s = b.add(s, g(glob::CC_OP));
    b.mov_to(g(reg::RAX), s);
    goto(&mut b, PC_C, 0);
    let b = j.compile(&b, PC_B).unwrap();
    assert!(j.chain(a, 0, b));
    let mut env = pinned_env();
    assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: b, exit: 0 });
    assert_pushed(&env);
    let sp = 0x7fff_0000 - 8;
    assert_eq!(env.regs[reg::RAX], sp + sp + 8 + SUBQ);
}

#[test]
fn pinned_globals_are_in_cpu_state_after_an_exception_in_a_chained_tb() {
    let mut j = jit();
    let a = j.compile(&push_like(PC_A, PC_B), PC_A).unwrap();
    let mut b = block();
    b.insn_start(PC_B);
    let addr = b.movi(0xdead_0000);
    let fault = helpers::id_of(&helpers::misc::RAISE_FETCH_FAULT);
    b.call(fault, &[addr]);
    goto(&mut b, PC_C, 0);
    let b = j.compile(&b, PC_B).unwrap();
    assert!(j.chain(a, 0, b));
    let mut env = pinned_env();
    assert_eq!(j.run(&mut env, a), JitExit::Exception);
    assert_eq!(env.rip, PC_B);
    assert_pushed(&env);
}

#[test]
fn pinned_globals_are_in_cpu_state_after_a_host_fault_in_a_chained_tb() {
    let mut j = jit();
    let a = j.compile(&push_like(PC_A, PC_B), PC_A).unwrap();
    // B overwrites rsp, then loads from a guard page: the fault sees the
    // new rsp, and A's flags.
    let guard = common::guard_page();
    let mut b = block();
    b.insn_start(PC_B);
    let sp = b.movi(0x1234_5678);
    b.mov_to(g(reg::RSP), sp);
    b.insn_start(PC_B + 4);
    let at = b.movi(guard);
    let v = b.load(ox86_ir::Opcode::Ld64, at);
    b.mov_to(g(reg::RAX), v);
    goto(&mut b, PC_C, 0);
    let b = j.compile(&b, PC_B).unwrap();
    assert!(j.chain(a, 0, b));
    let mut env = pinned_env();
    assert_eq!(j.run(&mut env, a), JitExit::Exception);
    assert_eq!(env.rip, PC_B + 4);
    assert_eq!(env.exception.vector as u64, excp::PF);
    assert_eq!(env.regs[reg::RSP], 0x1234_5678);
    assert_eq!(
        (env.cc_op, env.cc_dst, env.cc_src),
        (SUBQ, 0x7fff_0000 - 8, 8)
    );
}

/// The instructions of a listing whose hot part ends at `end`: (address,
/// length, text).
fn listing_insns(listing: &str, end: u64) -> Vec<(u64, u64, String)> {
    let lines: Vec<(u64, String)> = listing
        .lines()
        .filter_map(|l| {
            let (a, i) = l.split_once(":  ")?;
            Some((
                u64::from_str_radix(a.trim_start_matches("0x"), 16).ok()?,
                i.trim().to_string(),
            ))
        })
        .collect();
    // The last instruction of the hot part ends at `end`; the cold part
    // follows in the listing, elsewhere.
    let next = lines.iter().skip(1).map(|l| l.0).chain([end]);
    lines
        .iter()
        .zip(next)
        .map(|((a, i), n)| {
            let e = if n > *a && n - a <= 15 { n } else { end };
            (*a, e.wrapping_sub(*a), i.clone())
        })
        .collect()
}

/// A chainable exit's `jmp` has its rel32 on a 4-byte boundary (patched
/// atomically) wherever it lands, padded by prefixes of the jump itself,
/// so that the path through it runs no NOP. Chained, every such jump runs
/// its target.
#[test]
fn chainable_jumps_are_aligned_by_their_own_prefixes() {
    let mut j = jit();
    let b = j.compile(&adder(PC_B, 10, PC_C), PC_B).unwrap();
    let mut pads = [0usize; 4];
    // Immediates of 8, 32 and 64 bits: code of different sizes before
    // the jump moves it through every phase.
    let sizes = [1u64, 1 << 20, 1 << 40];
    for (n, m) in sizes.into_iter().flat_map(|n| sizes.map(|m| (n, m))) {
        let mut ir = block();
        ir.insn_start(PC_A);
        for (r, c) in [(reg::RAX, n), (reg::RBX, m)] {
            let c = ir.movi(c);
            let s = ir.add(g(r), c);
            ir.mov_to(g(r), s);
        }
        goto(&mut ir, PC_B, 0);
        let a = j.compile(&ir, PC_A).unwrap();
        let (at, len) = j.code_range(a);
        let insns = listing_insns(&j.disassemble(a), (at + len) as u64);
        let (at, (addr, len, _)) = insns
            .iter()
            .enumerate()
            .find(|(_, (_, _, t))| t.contains("jmp"))
            .expect("an exit jump");
        assert_eq!((addr + len - 4) % 4, 0, "{insns:#?}");
        let prefixes = (len - 5) as usize;
        assert!(prefixes <= 3, "{insns:#?}");
        assert!(at == 0 || !insns[at - 1].2.starts_with("nop"), "{insns:#?}");
        pads[prefixes] += 1;
        assert!(j.chain(a, 0, b));
        let mut env = CpuState::default();
        assert_eq!(j.run(&mut env, a), JitExit::Direct { tb: b, exit: 0 });
        assert_eq!((env.regs[reg::RAX], env.regs[reg::RBX]), (n + 10, m));
    }
    assert!(pads.iter().all(|&n| n > 0), "every padding seen: {pads:?}");
}
