//! Differential tests: IR blocks built by hand (every op of the table, with
//! operands in registers, as small and large constants, repeated) and
//! random IR programs (branches, guest memory, helper calls, register
//! pressure) run under the interpreter and the JIT from the same state;
//! guest state, exit and memory must be identical.

mod common;

use common::{block, g, goto, jit, snapshot};

use ox86_interp::{InterpTb, TbExit};
use ox86_ir::{opf, Cond, IrBlock, Label, Op, Opcode, Temp, XMM_ALIGNED};
use ox86_jit::{Jit, JitExit};
use ox86_x86::cpu::{glob, reg};
use ox86_x86::{helpers, CpuState};
use std::collections::HashSet;
use std::mem::offset_of;

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A value likely to hit edge cases.
    fn value(&mut self) -> u64 {
        const EDGES: [u64; 12] = [
            0,
            1,
            2,
            63,
            64,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x8000_0000_0000_0000,
            u64::MAX,
            u64::MAX - 1,
            0xffff_ffff_8000_0000,
        ];
        match self.below(3) {
            0 => EDGES[self.below(EDGES.len() as u64) as usize],
            1 => self.below(256),
            _ => self.next(),
        }
    }
}

/// Guest memory the tests' loads and stores touch.
struct Buf(Vec<u8>);

const BUF_LEN: u64 = 4096;

/// `CpuState.rip` at a chained TB entry may hold anything.
const STALE_RIP: u64 = 0xdead_beef_0bad_f00d;

impl Buf {
    fn new(rng: &mut Rng) -> Buf {
        Buf((0..BUF_LEN + 16).map(|_| rng.next() as u8).collect())
    }
    fn base(&self) -> u64 {
        self.0.as_ptr() as u64
    }
}

/// Runs `ir` under both engines from `env` and compares everything.
fn run_both(j: &mut Jit, ir: &IrBlock, env: &CpuState, buf: &mut Buf, what: &str) {
    let id = match j.compile(ir, 0x1000) {
        Err(ox86_jit::JitError::CacheFull) => {
            j.flush();
            j.compile(ir, 0x1000)
        }
        r => r,
    }
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    let mem0 = buf.0.clone();
    let mut jenv = snapshot(env);
    // Entered through a chained jump, generated code sees a stale rip.
    jenv.rip = STALE_RIP;
    let jr = j.run(&mut jenv, id);
    let jmem = buf.0.clone();
    buf.0.copy_from_slice(&mem0);
    let mut ienv = snapshot(env);
    let itb = InterpTb::new(ir.clone());
    let ir_exit = ox86_interp::exec(&itb, &mut ienv, &mut Vec::new());
    let text = || ox86_ir::format_block(ir, &helpers::Names);
    let same_exit = matches!(
        (jr, ir_exit),
        (JitExit::Direct { .. }, TbExit::Direct(_))
            | (JitExit::Indirect, TbExit::Indirect)
            | (JitExit::Exception, TbExit::Exception(_))
    );
    assert!(
        same_exit,
        "{what}: exit jit {jr:?} interp {ir_exit:?}\n{}",
        text()
    );
    for i in 0..glob::COUNT {
        let off = ox86_x86::GLOBALS[i].offset;
        let read = |e: &CpuState| {
            // SAFETY: `off` is a global's 8-byte field inside CpuState.
            unsafe { *((e as *const CpuState as *const u8).add(off) as *const u64) }
        };
        assert_eq!(
            read(&jenv),
            read(&ienv),
            "{what}: global {} differs\n{}\n{}",
            ox86_x86::GLOBALS[i].name,
            text(),
            j.disassemble(id)
        );
    }
    assert_eq!(jenv.eflags, ienv.eflags, "{what}: eflags\n{}", text());
    assert_eq!(jenv.xmm, ienv.xmm, "{what}: xmm\n{}", text());
    assert_eq!(
        jenv.xmm_result,
        ienv.xmm_result,
        "{what}: xmm_result\n{}",
        text()
    );
    assert_eq!(jenv.mxcsr, ienv.mxcsr, "{what}: mxcsr\n{}", text());
    assert_eq!(
        jenv.exception,
        ienv.exception,
        "{what}: exception\n{}",
        text()
    );
    assert!(jmem == buf.0, "{what}: memory differs\n{}", text());
}

fn random_env(rng: &mut Rng, buf: &Buf) -> CpuState {
    let mut env = CpuState::default();
    for r in env.regs.iter_mut() {
        *r = rng.value();
    }
    env.cc_dst = rng.value();
    env.cc_src = rng.value();
    env.cc_src2 = rng.value();
    env.regs[reg::RSI] = buf.base();
    env.rip = 0x1000;
    env
}

/// An operand for a hand-built op: a global, a small or a large constant.
fn operand(b: &mut IrBlock, rng: &mut Rng, kind: u64) -> Temp {
    match kind {
        0 => g(rng.below(4) as usize),
        1 => b.movi(rng.below(200).wrapping_sub(100)),
        2 => {
            let v = rng.value();
            b.movi(v)
        }
        _ => {
            let v = rng.value();
            let t = b.movi(v);
            let z = b.movi(0);
            b.add(t, z)
        }
    }
}

/// Ops computing a value from their inputs (`discard` leaves its value
/// undefined, so it is exercised apart).
fn data_op(opc: Opcode) -> bool {
    opc.flags() & (opf::SIDE_EFFECTS | opf::BB_END) == 0
        && !matches!(opc, Opcode::InsnStart | Opcode::CallPure | Opcode::Discard)
}

/// Appends one use of `opc` with operands of kinds `ka`, `kb` (and
/// random others), its outputs stored to globals.
fn one_op(b: &mut IrBlock, rng: &mut Rng, opc: Opcode, ka: u64, kb: u64, buf: &Buf) {
    let mut op = Op::new(opc);
    match opc {
        Opcode::Movi => op.consts[0] = rng.value(),
        Opcode::Setcond | Opcode::Movcond => op.consts[0] = rng.below(12),
        Opcode::Ld8u
        | Opcode::Ld8s
        | Opcode::Ld16u
        | Opcode::Ld16s
        | Opcode::Ld32u
        | Opcode::Ld32s
        | Opcode::Ld64
        | Opcode::St8
        | Opcode::St16
        | Opcode::St32
        | Opcode::St64 => {
            let off = b.movi(rng.below(BUF_LEN));
            let a = b.add(g(reg::RSI), off);
            let is_store = opc.n_outs() == 0;
            let a_slot = if is_store { 1 } else { 0 };
            op.ins[a_slot] = a;
            if is_store {
                op.ins[0] = operand(b, rng, ka);
            }
        }
        Opcode::LdXmm | Opcode::StXmm => {
            let off = b.movi(rng.below(BUF_LEN));
            op.ins[0] = b.add(g(reg::RSI), off);
            // XMM0..XMM15 or the staged operand.
            op.consts[0] = rng.below(17);
            // Aligned 16-byte accesses raise #GP at most offsets.
            op.consts[1] = match opc {
                Opcode::LdXmm => [4, 8, 16, 16 | XMM_ALIGNED][rng.below(4) as usize],
                _ => [16, 16 | XMM_ALIGNED][rng.below(2) as usize],
            };
        }
        Opcode::LdEnv | Opcode::StEnv => {
            op.consts[0] = match rng.below(2) {
                0 => offset_of!(CpuState, eflags) as u64,
                _ => ox86_x86::cpu::xmm_offset(rng.below(16) as usize, 1) as u64,
            };
            if opc == Opcode::StEnv {
                op.ins[0] = operand(b, rng, ka);
            }
        }
        _ => {
            for k in 0..opc.n_ins() {
                op.ins[k] = match k {
                    0 => operand(b, rng, ka),
                    1 => operand(b, rng, kb),
                    _ => {
                        let kind = rng.below(4);
                        operand(b, rng, kind)
                    }
                };
            }
            if rng.below(4) == 0 && opc.n_ins() == 2 {
                op.ins[1] = op.ins[0];
            }
            if matches!(opc, Opcode::Divu2 | Opcode::Divs2) {
                // A divisor the translator's guards let through: neither 0
                // nor -1.
                let m = b.movi(!3);
                let t = b.binop(Opcode::And, op.ins[1], m);
                let two = b.movi(2);
                op.ins[1] = b.binop(Opcode::Or, t, two);
            }
        }
    }
    for k in 0..opc.n_outs() {
        op.outs[k] = if rng.below(3) == 0 {
            g(8 + k)
        } else {
            b.temp()
        };
    }
    b.push(op);
    for (k, &t) in op.outputs().iter().enumerate() {
        if !b.is_global(t) {
            b.mov_to(g(10 + k), t);
        }
    }
    let _ = buf;
}

#[test]
fn every_op_matches_the_interpreter() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut j = jit();
    let mut covered = HashSet::new();
    let mmu = softmmu();
    for &opc in Opcode::ALL {
        let rounds = if data_op(opc) || opc.flags() & opf::CAN_FAULT != 0 {
            60
        } else {
            1
        };
        for round in 0..rounds {
            let mut buf = Buf::new(&mut rng);
            let mut env = random_env(&mut rng, &buf);
            env.sys.mmu = mmu;
            let mut b = block();
            b.insn_start(0x1000);
            let (ka, kb) = (round % 4, (round / 4) % 4);
            match opc {
                Opcode::InsnStart => {}
                Opcode::Brcond | Opcode::Br | Opcode::SetLabel => {
                    let l = b.label();
                    let x = operand(&mut b, &mut rng, ka);
                    let y = operand(&mut b, &mut rng, kb);
                    b.brcond(Cond::ALL[rng.below(12) as usize], x, y, l);
                    b.mov_to(g(reg::RDX), x);
                    let m = b.label();
                    b.br(m);
                    b.set_label(l);
                    b.mov_to(g(reg::RDX), y);
                    b.set_label(m);
                }
                Opcode::Call | Opcode::CallPure => {
                    let id = helpers::id_of(&helpers::flags::CC_COMPUTE_ALL);
                    let args: Vec<Temp> = (0..4).map(|_| operand(&mut b, &mut rng, ka)).collect();
                    let r = if opc == Opcode::Call {
                        b.call(id, &args)
                    } else {
                        b.call_pure(id, &args)
                    };
                    b.mov_to(g(reg::RBX), r);
                }
                Opcode::LdMmu | Opcode::StMmu => mmu_op(&mut b, &mut rng, opc, ka),
                Opcode::Discard => {
                    // The discarded value is dead: redefined before the exit.
                    let x = operand(&mut b, &mut rng, ka);
                    b.mov_to(g(reg::RDX), x);
                    b.discard(g(reg::RDX));
                    let y = operand(&mut b, &mut rng, kb);
                    b.mov_to(g(reg::RDX), y);
                }
                Opcode::GotoTb
                | Opcode::CallTb
                | Opcode::LookupAndGotoPtr
                | Opcode::LookupCall
                | Opcode::LookupRet
                | Opcode::Raise => {}
                _ => one_op(&mut b, &mut rng, opc, ka, kb, &buf),
            }
            match opc {
                Opcode::LookupAndGotoPtr => {
                    b.mov_to(g(glob::RIP), g(reg::RCX));
                    b.lookup_and_goto_ptr();
                }
                // With nothing on the return-address stack, each leaves
                // generated code as its plain form does.
                Opcode::CallTb => {
                    b.movi_to(g(glob::RIP), 0x2000);
                    b.call_tb(0, 0x1005);
                }
                Opcode::LookupCall => {
                    b.mov_to(g(glob::RIP), g(reg::RCX));
                    b.lookup_call(0x1005);
                }
                Opcode::LookupRet => {
                    b.mov_to(g(glob::RIP), g(reg::RCX));
                    b.lookup_ret();
                }
                Opcode::Raise => {
                    b.movi_to(g(glob::RIP), 0x1004);
                    b.raise(ox86_x86::cpu::excp::UD);
                }
                _ => goto(&mut b, 0x2000, rng.below(2)),
            }
            for op in &b.ops {
                covered.insert(op.opc);
            }
            ox86_ir::verify(&b, &helpers::Names, helpers::count()).unwrap();
            run_both(&mut j, &b, &env, &mut buf, opc.name());
        }
    }
    let all: HashSet<Opcode> = Opcode::ALL.iter().copied().collect();
    assert_eq!(covered, all, "some ops were not exercised");
}

/// A system-mode softmmu over 64 KiB of RAM (paging off, no devices),
/// shared by every round; returns its `CpuState::sys.mmu` value.
fn softmmu() -> u64 {
    struct NoDevices;
    impl ox86_x86::system::Bus for NoDevices {
        fn mmio_read(&mut self, _: u64, _: u32) -> u64 {
            u64::MAX
        }
        fn mmio_write(&mut self, _: u64, _: u32, _: u64) {}
        fn io_read(&mut self, _: u16, _: u32) -> u32 {
            u32::MAX
        }
        fn io_write(&mut self, _: u16, _: u32, _: u32) {}
        fn now_ns(&self) -> u64 {
            0
        }
    }
    let mut env = CpuState::default();
    let mmu = ox86_x86::system::Mmu::new(0x1_0000, Box::new(NoDevices));
    ox86_x86::system::attach(&mut env, Box::new(mmu));
    env.sys.mmu
}

/// A softmmu load (`ld_mmu`) or a store followed by a load of the same
/// bytes, of a random size and signedness, its result in RBX.
fn mmu_op(b: &mut IrBlock, rng: &mut Rng, opc: Opcode, ka: u64) {
    use ox86_x86::system::access::memop;
    let size = 1 << rng.below(4);
    let a = b.movi(rng.below(0x1_0000 - 8));
    let m = memop::make(size, rng.below(2) == 1, 0);
    if opc == Opcode::StMmu {
        let v = operand(b, rng, ka);
        b.store_mmu(v, a, m);
    }
    let r = b.load_mmu(a, m);
    b.mov_to(g(reg::RBX), r);
}

/// A random program: instructions of random data ops, loads and stores,
/// helper calls and forward branches, over globals and locals.
/// A 32-bit operation as the front end spells it (operands and result
/// zero-extended, rotates as shifts, ANDN as NOT and AND), for the
/// backend's 32-bit rewrites.
fn idiom32(b: &mut IrBlock, rng: &mut Rng, x: Temp, y: Temp) -> Temp {
    let xe = b.unop(Opcode::Ext32u, x);
    let ye = b.unop(Opcode::Ext32u, y);
    let r = match rng.below(6) {
        0 => {
            let ops = [
                Opcode::Add,
                Opcode::Sub,
                Opcode::Mul,
                Opcode::And,
                Opcode::Or,
                Opcode::Xor,
            ];
            b.binop(ops[rng.below(6) as usize], xe, ye)
        }
        1 => {
            // A rotate right by k, and its CF (bit 31 or bit 0 of the `or`).
            let k = 1 + rng.below(31);
            let (c, back) = (b.movi(k), b.movi(32 - k));
            let lo = b.binop(Opcode::Shr, xe, c);
            let hi = b.binop(Opcode::Shl, xe, back);
            let or = b.or(lo, hi);
            let rot = b.unop(Opcode::Ext32u, or);
            let cf = if rng.below(2) == 0 {
                b.shri(or, 31)
            } else {
                let one = b.movi(1);
                b.and(or, one)
            };
            b.add(rot, cf)
        }
        2 => {
            let n = b.unop(Opcode::Not, xe);
            b.and(n, ye)
        }
        3 => {
            let m = b.movi(31);
            let c = b.and(y, m);
            let opc = [Opcode::Shl, Opcode::Shr, Opcode::Sar][rng.below(3) as usize];
            b.binop(opc, xe, c)
        }
        4 => {
            let c = b.movi(rng.below(40));
            b.binop(Opcode::Shr, xe, c)
        }
        _ => {
            let opc = [Opcode::Not, Opcode::Neg][rng.below(2) as usize];
            b.unop(opc, xe)
        }
    };
    b.unop(Opcode::Ext32u, r)
}

fn random_program(rng: &mut Rng, guard: u64, exit: Exit) -> IrBlock {
    let mut b = block();
    let mut locals: Vec<(Temp, usize)> = Vec::new();
    let mut pending: Vec<(Label, usize)> = Vec::new();
    let data: Vec<Opcode> = Opcode::ALL
        .iter()
        .copied()
        // Divisions only with the divisors guards let through (`one_op`).
        .filter(|&o| data_op(o) && !matches!(o, Opcode::Movi | Opcode::Divu2 | Opcode::Divs2))
        .collect();
    let n_insns = 1 + rng.below(40);
    let mut pos = 0usize;
    for insn in 0..n_insns {
        // Branch targets across instructions are instruction starts.
        if !pending.is_empty() && rng.below(3) == 0 {
            let (l, from) = pending.swap_remove(rng.below(pending.len() as u64) as usize);
            b.set_label(l);
            // Locals defined after the branch may be undefined here.
            locals.retain(|&(_, p)| p < from);
        }
        b.insn_start(0x1000 + 4 * insn);
        for _ in 0..1 + rng.below(6) {
            pos += 1;
            let pick = |b: &mut IrBlock, rng: &mut Rng, locals: &Vec<(Temp, usize)>| -> Temp {
                match rng.below(4) {
                    0 if !locals.is_empty() => locals[rng.below(locals.len() as u64) as usize].0,
                    1 => {
                        let v = rng.value();
                        b.movi(v)
                    }
                    // GPRs and rip (read before and after writes to it).
                    _ => g(rng.below(17) as usize),
                }
            };
            match rng.below(20) {
                10..=11 if rng.below(2) == 0 => {
                    let x = pick(&mut b, rng, &locals);
                    let y = pick(&mut b, rng, &locals);
                    let t = idiom32(&mut b, rng, x, y);
                    if rng.below(2) == 0 {
                        b.mov_to(g(rng.below(16) as usize), t);
                    }
                    locals.push((t, pos));
                }
                0..=11 => {
                    let opc = data[rng.below(data.len() as u64) as usize];
                    let mut op = Op::new(opc);
                    for k in 0..opc.n_ins() {
                        op.ins[k] = pick(&mut b, rng, &locals);
                    }
                    op.consts[0] = if opc == Opcode::LdEnv {
                        [
                            offset_of!(CpuState, eflags),
                            ox86_x86::cpu::xmm_offset(3, 0),
                        ][rng.below(2) as usize] as u64
                    } else {
                        rng.below(12)
                    };
                    for k in 0..opc.n_outs() {
                        op.outs[k] = if rng.below(4) == 0 {
                            g(rng.below(16) as usize)
                        } else {
                            let t = b.temp();
                            locals.push((t, pos));
                            t
                        };
                    }
                    b.push(op);
                }
                12..=13 => {
                    let off = b.movi(rng.below(BUF_LEN));
                    let a = if rng.below(30) == 0 {
                        // A faulting access: the state must be precise.
                        let page = b.movi(guard);
                        b.add(page, off)
                    } else if rng.below(3) == 0 {
                        // A scaled index: [rsi + (x & 0x3f) * 2^k + d].
                        let x = pick(&mut b, rng, &locals);
                        let m = b.movi(0x3f);
                        let idx = b.and(x, m);
                        let k = rng.below(4);
                        let s = if k == 0 { idx } else { b.shli(idx, k) };
                        let a = b.add(g(reg::RSI), s);
                        b.addi(a, rng.below(64))
                    } else {
                        b.add(g(reg::RSI), off)
                    };
                    let opc = [
                        Opcode::Ld8u,
                        Opcode::Ld16s,
                        Opcode::Ld32u,
                        Opcode::Ld64,
                        Opcode::St8,
                        Opcode::St16,
                        Opcode::St32,
                        Opcode::St64,
                    ][rng.below(8) as usize];
                    if opc.n_outs() == 1 {
                        let t = b.load(opc, a);
                        locals.push((t, pos));
                    } else {
                        let v = pick(&mut b, rng, &locals);
                        b.store(opc, v, a);
                    }
                }
                14 => {
                    let id = helpers::id_of(&helpers::flags::CC_COMPUTE_ALL);
                    let args: Vec<Temp> = (0..4).map(|_| pick(&mut b, rng, &locals)).collect();
                    let t = if rng.below(2) == 0 {
                        b.call(id, &args)
                    } else {
                        b.call_pure(id, &args)
                    };
                    locals.push((t, pos));
                }
                15..=16 => {
                    let l = b.label();
                    let mut x = pick(&mut b, rng, &locals);
                    let mut y = pick(&mut b, rng, &locals);
                    if rng.below(2) == 0 {
                        // The front end's condition after `cmp x, y`:
                        // ((x - y) [zero-extended] + y) [extended] vs y.
                        let d = b.sub(x, y);
                        let ext = [Opcode::Ext32u, Opcode::Ext16u, Opcode::Ext8u, Opcode::Mov];
                        let d = b.unop(ext[rng.below(4) as usize], d);
                        if rng.below(4) == 0 {
                            let v = pick(&mut b, rng, &locals);
                            b.mov_to(g(rng.below(4) as usize), v);
                        }
                        let s1 = b.add(d, y);
                        let ext = [Opcode::Ext32s, Opcode::Ext32u, Opcode::Ext8s, Opcode::Mov];
                        let e = ext[rng.below(4) as usize];
                        x = b.unop(e, s1);
                        y = match rng.below(3) {
                            0 => b.unop(Opcode::Ext32s, y),
                            1 => b.unop(e, y),
                            _ => {
                                let v = rng.value();
                                b.movi(v)
                            }
                        };
                    }
                    b.brcond(Cond::ALL[rng.below(12) as usize], x, y, l);
                    pending.push((l, pos));
                }
                17 => {
                    // The front end's 32-bit rotate: shifts, or, ext32u.
                    let v = pick(&mut b, rng, &locals);
                    let x = b.unop(Opcode::Ext32u, v);
                    let k = 1 + rng.below(31);
                    let lo = b.shri(x, k);
                    let hi = b.shli(x, 32 - k);
                    let o = if rng.below(2) == 0 {
                        b.or(lo, hi)
                    } else {
                        b.or(hi, lo)
                    };
                    let r = b.unop(Opcode::Ext32u, o);
                    locals.push((r, pos));
                }
                _ => {
                    let s = pick(&mut b, rng, &locals);
                    b.mov_to(g(rng.below(17) as usize), s);
                }
            }
        }
    }
    for (l, _) in pending {
        b.set_label(l);
    }
    b.insn_start(0x1000 + 4 * n_insns);
    match exit {
        Exit::Random if rng.below(2) == 0 => goto(&mut b, 0x2000, rng.below(2)),
        Exit::Random => {
            b.mov_to(g(glob::RIP), g(reg::RAX));
            b.lookup_and_goto_ptr();
        }
        Exit::Loop(limit) => {
            // GS_BASE counts iterations (the body never writes it).
            let one = b.movi(1);
            let n = b.add(g(glob::GS_BASE), one);
            b.mov_to(g(glob::GS_BASE), n);
            let lim = b.movi(limit);
            let again = b.label();
            b.brcond(Cond::Ltu, n, lim, again);
            goto(&mut b, 0x2000, 0);
            b.set_label(again);
            goto(&mut b, 0x1000, 1);
        }
    }
    // The address register must survive: keep RSI out of the outputs.
    for op in b.ops.iter_mut() {
        for t in op.outs.iter_mut().take(op.opc.n_outs()) {
            if *t == g(reg::RSI) {
                *t = g(reg::RDI);
            }
        }
    }
    ox86_ir::verify(&b, &helpers::Names, helpers::count())
        .unwrap_or_else(|e| panic!("generator made bad IR: {e}"));
    b
}

/// How a random program ends.
#[derive(Clone, Copy)]
enum Exit {
    /// A direct or indirect exit.
    Random,
    /// A loop back to itself until GS_BASE reaches the limit.
    Loop(u64),
}

#[test]
fn random_programs_match_the_interpreter() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut j = jit();
    let guard = common::guard_page();
    for n in 0..3000 {
        let ir = random_program(&mut rng, guard, Exit::Random);
        let mut buf = Buf::new(&mut rng);
        let env = random_env(&mut rng, &buf);
        run_both(&mut j, &ir, &env, &mut buf, &format!("program {n}"));
    }
}

/// As above, for code limited to baseline x86-64 (no BMI forms).
#[test]
fn random_baseline_programs_match_the_interpreter() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut j = common::baseline_jit();
    let guard = common::guard_page();
    for n in 0..1000 {
        let ir = random_program(&mut rng, guard, Exit::Random);
        let mut buf = Buf::new(&mut rng);
        let env = random_env(&mut rng, &buf);
        run_both(&mut j, &ir, &env, &mut buf, &format!("program {n}"));
    }
}

/// Random loop bodies: the JIT runs the whole loop in generated code (loop
/// globals in host registers), the interpreter one iteration at a time.
#[test]
fn random_loops_match_the_interpreter() {
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let mut j = jit();
    let guard = common::guard_page();
    for n in 0..1500 {
        let limit = 1 + rng.below(12);
        let ir = random_program(&mut rng, guard, Exit::Loop(limit));
        let mut buf = Buf::new(&mut rng);
        let mut env = random_env(&mut rng, &buf);
        env.gs_base = 0;
        let id = match j.compile(&ir, 0x1000) {
            Err(ox86_jit::JitError::CacheFull) => {
                j.flush();
                j.compile(&ir, 0x1000)
            }
            r => r,
        }
        .unwrap();
        let mem0 = buf.0.clone();
        let mut jenv = snapshot(&env);
        jenv.rip = STALE_RIP;
        let jr = j.run(&mut jenv, id);
        let jmem = buf.0.clone();
        buf.0.copy_from_slice(&mem0);
        let itb = InterpTb::new(ir.clone());
        let mut ienv = snapshot(&env);
        let mut locals = Vec::new();
        let ir_exit = loop {
            let r = ox86_interp::exec(&itb, &mut ienv, &mut locals);
            if r != TbExit::Direct(1) {
                break r;
            }
        };
        let text = || ox86_ir::format_block(&ir, &helpers::Names);
        let same_exit = matches!(
            (jr, ir_exit),
            (JitExit::Direct { .. }, TbExit::Direct(0))
                | (JitExit::Exception, TbExit::Exception(_))
        );
        assert!(
            same_exit,
            "loop {n}: exit jit {jr:?} interp {ir_exit:?}\n{}",
            text()
        );
        for i in 0..glob::COUNT {
            let off = ox86_x86::GLOBALS[i].offset;
            let read = |e: &CpuState| {
                // SAFETY: `off` is a global's 8-byte field inside CpuState.
                unsafe { *((e as *const CpuState as *const u8).add(off) as *const u64) }
            };
            assert_eq!(
                read(&jenv),
                read(&ienv),
                "loop {n}: global {} differs\n{}",
                ox86_x86::GLOBALS[i].name,
                text()
            );
        }
        assert_eq!(
            jenv.exception,
            ienv.exception,
            "loop {n}: exception\n{}",
            text()
        );
        if jmem != buf.0 {
            let k = (0..jmem.len()).find(|&k| jmem[k] != buf.0[k]).unwrap();
            panic!(
                "loop {n}: memory differs at offset {k:#x}: jit {:x?} interp {:x?}\n{}\n{}",
                &jmem[k & !7..(k & !7) + 8],
                &buf.0[k & !7..(k & !7) + 8],
                text(),
                j.disassemble(id)
            );
        }
    }
}

/// A float bit pattern likely to hit edge cases (zeros, denormals,
/// infinities, NaNs, values near rounding boundaries, small fractions that
/// round and truncate differently), as one lane.
fn float_lane(rng: &mut Rng) -> u64 {
    const EDGES: [u64; 10] = [
        0,
        0x8000_0000_0000_0000,
        0x0000_0000_0000_0001,
        0x7ff0_0000_0000_0000,
        0xfff8_0000_0000_0000,
        0x7ff4_0000_0000_0001,
        0x3ff0_0000_0000_0001,
        0x4330_0000_0000_0000,
        0x0000_0001_7f80_0000,
        0x7fc0_0000_3f80_0001,
    ];
    // Eighths from -2^16 to 2^16: a double, or a single in each half.
    let eighths = |rng: &mut Rng| (rng.below(1 << 20) as i64 - (1 << 19)) as f64 / 8.0;
    match rng.below(5) {
        0 => EDGES[rng.below(EDGES.len() as u64) as usize],
        1 => rng.value(),
        2 => eighths(rng).to_bits(),
        3 => {
            let lo = (eighths(rng) as f32).to_bits() as u64;
            lo | ((eighths(rng) as f32).to_bits() as u64) << 32
        }
        _ => rng.next(),
    }
}

/// Every helper `call_xmm` inlines gives the helper's result (the
/// interpreter calls the helper), under the default MXCSR and under other
/// rounding modes, FTZ/DAZ and unmasked exceptions (the out-of-line path).
#[test]
fn call_xmm_inline_forms_match_their_helpers() {
    let mut rng = Rng(0x0bad_cafe_f00d_1234);
    let mut j = jit();
    let ids: Vec<u32> = (0..helpers::count()).collect();
    for name in ox86_jit::inline_forms() {
        let id = *ids
            .iter()
            .find(|&&id| helpers::by_id(id).name == name)
            .expect("inline form names a helper");
        for round in 0..48 {
            let mut buf = Buf::new(&mut rng);
            let mut env = random_env(&mut rng, &buf);
            for x in env.xmm.iter_mut().chain([&mut env.xmm_src]) {
                *x = [float_lane(&mut rng), float_lane(&mut rng)];
            }
            env.mxcsr = match round % 4 {
                0 => 0x1f80,
                1 => 0x1f80 | (rng.below(4) as u32) << 13,
                2 => 0x1f80 | 0x8040,
                _ => 0x1f80 & !(1 << (7 + rng.below(6))),
            };
            let mut b = block();
            b.insn_start(0x1000);
            let d = rng.below(16);
            let s = rng.below(17);
            b.call_xmm(id, d, s, rng.below(256));
            goto(&mut b, 0x2000, 0);
            ox86_ir::verify(&b, &helpers::Names, helpers::count()).unwrap();
            run_both(&mut j, &b, &env, &mut buf, name);
        }
    }
}
