//! Compiles one TB's IR to host code: the generator state (assembler,
//! allocator state, labels, out-of-line stubs), reused from TB to TB, and
//! the op-by-op driver.

use crate::abi::{exit, EXIT_REQUEST_DISP, N_SLOTS, RIP_DISP};
pub(crate) use crate::asm::Asm;
use crate::census::Census;
use crate::defs::Defs;
use crate::error::JitError;
use crate::liveness::Liveness;
use crate::stubs::Stubs;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use ox86_ir::{opf, IrBlock, Op, Opcode, Temp};

/// Where a temp's current value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// No value (never defined, or dead).
    Dead,
    /// In its home: the `CpuState` field (globals) or its spill slot (locals).
    Mem,
    /// In a host register.
    Reg(u8),
    /// A constant known at translation time.
    Const(u64),
}

/// "No slot" in `slot`.
pub(crate) const NONE: u32 = u32::MAX;

/// Most temps one host register holds at once (copies of one value).
pub(crate) const MAX_HOLDERS: usize = 6;

/// Code emitted after the TB body, reached only on rare paths.
pub(crate) enum Cold {
    /// Unchained `goto_tb` exit number `k`: return (tb, k) to the exec loop.
    Exit { label: DynamicLabel, k: usize },
    /// A helper left an exception pending: set rip to `pc` and leave.
    Exception { label: DynamicLabel, pc: u64 },
    /// `exit_request` is set at a backward direct exit: set rip to its
    /// target `pc` and leave.
    Request { label: DynamicLabel, pc: u64 },
    /// `exit_request` is set at a loop's back edge: write the loop globals
    /// back, set rip to the TB's pc and leave.
    LoopRequest {
        label: DynamicLabel,
        /// The loop's XMM registers: (guest, host), stored on the way out.
        xmm: Vec<(usize, u8)>,
    },
    /// A floating-point `call_xmm` under a non-default MXCSR.
    Xmm(crate::xmm::SlowXmm),
    /// The entry check found MXCSR not the default.
    Mxcsr { label: DynamicLabel },
    /// `cc_compute_c` for a kind not answered inline.
    Cf(crate::lazy_cf::SlowCf),
    /// The return-address stack is full at a CALL: empty it and go back.
    RasFull {
        label: DynamicLabel,
        back: DynamicLabel,
    },
}

/// One chainable `goto_tb` exit of a compiled TB.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExitSite {
    /// Offset of the jump's rel32 field (4-byte aligned).
    pub field: usize,
    /// Offset of the exit stub the jump leads to while unchained.
    pub stub: usize,
    /// Guest pc this exit always goes to.
    pub target_pc: u64,
}

/// Settings that change the code generated.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GenOptions {
    /// Count inline jump-table hits (for `--stats`).
    pub count_hits: bool,
    /// The host has LZCNT and TZCNT (BMI1/ABM).
    pub lzcnt_tzcnt: bool,
    /// The host has BMI1's ANDN.
    pub bmi1: bool,
    /// The host has BMI2 (RORX, SHLX, SHRX, SARX).
    pub bmi2: bool,
    /// The host has PCLMULQDQ (run inline, not through its helper).
    pub pclmulqdq: bool,
    /// The host has AES-NI (the same for AESENC and its kin).
    pub aes: bool,
    /// The host's flags are gathered by LAHF and SETO rather than by
    /// PUSHFQ and POP (see `xmm::gather_flags`): on AMD hosts.
    pub lahf_flags: bool,
    /// Checking mode: host address of a function to call before each guest
    /// store; self-loops are not kept in generated code.
    pub store_hook: Option<usize>,
    /// A TB that qualifies checks MXCSR once at its entry (see `mxcsr`).
    pub mxcsr_at_entry: bool,
    /// A loop's back edge is a jump to repoint, not a test (see
    /// `JitOptions::patch_back_edges`).
    pub patch_back_edges: bool,
}

/// One back edge of a compiled loop (see `ox86_x86::back_edges`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BackEdgeSite {
    /// Offset of the jump's rel32 field (4-byte aligned).
    pub field: usize,
    /// Offset of the loop's body.
    pub body: usize,
    /// Offset of the loop's way out (in the cold part).
    pub out: usize,
}

/// The generator: per-TB state (assembler, allocator state, labels,
/// out-of-line stubs) in buffers that are reset, not reallocated, for
/// each TB.
pub(crate) struct Gen {
    pub a: Asm,
    /// Host address of offset 0.
    pub base: usize,
    /// The TB's ops, rewritten by the backend's passes (`addr`, `bits`).
    pub ir: IrBlock,
    pub live: Liveness,
    /// Known value widths (see `bits`).
    pub width: Vec<u8>,
    /// Per op: displacement added to a guest access's address (see `addr`).
    pub disp: Vec<i32>,
    /// Per op: a `brcond` comparing 32-bit values (see `bits`).
    pub narrow: Vec<crate::bits::Narrow>,
    /// Per op: an `ext32u` that is a 32-bit rotate right by this much (see `bits`).
    pub rot32: Vec<u8>,
    /// Per op: a 32-bit operation (see `demand`).
    pub op32: crate::demand::Op32,
    /// Per op: an `and` that is an `andn` (see `fuse`).
    pub andn: crate::fuse::Andn,
    /// Per op: scaled-index address fusion (see `sib`).
    pub sib: Vec<crate::sib::Fused>,
    pub stubs: Stubs,
    pub opts: GenOptions,
    /// The TB id put in direct exit codes.
    pub id: u32,
    /// The guest pc of the TB.
    pub tb_pc: u64,
    /// rip is the TB's pc and `CpuState.rip` may be stale (see `rip`).
    pub rip_lazy: bool,
    /// Per label: rip is lazy on every path reaching it.
    pub label_lazy: Vec<bool>,
    /// (global, host register) kept across block boundaries: the pinned
    /// globals, and in a self-loop TB its loop globals (see `loops`).
    pub canon: Vec<(u32, u8)>,
    /// Per temp: the register its value is best computed in.
    pub hints: crate::hints::Hints,
    /// The order free registers are taken in (`abi::ALLOCATABLE`, or
    /// `ALLOCATABLE_LEAF` in a TB without helper calls).
    pub order: &'static [u8; 13],
    /// The pinned globals of `abi::PINNED` (as this TB's globals) and their
    /// registers, where every exit to other generated code leaves them.
    pub pinned: Vec<(u32, u8)>,
    /// Bit g set: global g is pinned.
    pub pinned_mask: u64,
    /// The globals table (address, length) `pinned` was found for.
    pinned_of: (usize, usize),
    /// Bit g set: pinned global g was discarded, its register holds no
    /// value worth placing (see `regalloc::discard`).
    pub pin_junk: u64,
    /// Self-loop TBs: the loop body, after the preheader.
    pub body: Option<DynamicLabel>,
    /// The TB is a self-loop: `canon` holds its loop globals.
    pub loop_tb: bool,
    /// MXCSR's control bits were checked at the TB's entry (see `mxcsr`).
    pub mxcsr_known: bool,
    /// Number of globals.
    pub ng: usize,
    // Allocator state (see `regalloc`).
    pub loc: Vec<Loc>,
    pub dirty: Vec<bool>,
    /// Bit g set: global g is dirty (mirrors `dirty`, see `set_dirty`).
    pub dirty_mask: u64,
    pub slot: Vec<u32>,
    /// Per host register: the temps it holds, `held[r][..n_held[r]]`.
    pub held: [[u32; MAX_HOLDERS]; 16],
    pub n_held: [u8; 16],
    /// Per op: globals whose values die (see `nextuse`).
    pub nu: crate::nextuse::NextUse,
    /// The index of the op being compiled.
    pub tick: u32,
    /// Ops before this index are already compiled (see `two_way_exit`).
    pub skip_to: usize,
    /// The value the flags' ZF was last set from (see `emit::ZfOf`).
    pub zf: Option<crate::emit::ZfOf>,
    /// `nu.gdead` of the last op compiled (see `note_uses`).
    pub prev_dead: u64,
    pub locked: u16,
    pub free_slots: Vec<u32>,
    pub next_slot: u32,
    pub overflow: bool,
    pub crossing_active: Vec<u32>,
    /// Scratch for `parallel_move` callers.
    pub moves: Vec<(u8, u8)>,
    // Control flow.
    pub labels: Vec<DynamicLabel>,
    pub cold: Vec<Cold>,
    /// Where the cold part (`emit_cold`) of the code starts.
    pub cold_start: usize,
    /// Offsets of the rel32 fields of jumps and calls to fixed host
    /// addresses (shared stubs, helpers), for `split`.
    pub abs_fields: Vec<usize>,
    pub exit_labels: Vec<(DynamicLabel, usize, u64)>,
    /// The chainable exits, once compiled.
    pub exits: Vec<ExitSite>,
    /// Back edges being compiled: (rel32 field, body, way out).
    pub back_edge_labels: Vec<(usize, DynamicLabel, DynamicLabel)>,
    /// The back edges, once compiled.
    pub back_edges: Vec<BackEdgeSite>,
    pub sites: crate::sites::SiteWriter,
    pub cur_pc: u64,
    /// Per guest instruction, in order: the index of its first op in
    /// `ir` and its pc (the `insn_start` ops, taken out of `ir`).
    pub insn_pcs: Vec<(u32, u64)>,
    /// The opcodes of the TB's ops.
    pub(crate) census: Census,
    /// Guest XMM registers held in host XMM registers.
    pub xc: crate::xmm_cache::XmmCache,
    /// Per label: the XMM cache its forward branches agree on so far.
    pub xc_at_label: Vec<Option<crate::xmm_cache::XmmCache>>,
    /// Per label: a branch to it comes after it (its state is unknown).
    pub xc_backward: Vec<bool>,
    /// The code being generated can be reached by falling through.
    pub xc_falls: bool,
    /// Self-loop TBs: the XMM cache at the loop body.
    pub xc_loop: Option<crate::xmm_cache::XmmCache>,
    /// The TB has XMM ops (else nothing is ever cached).
    pub xc_used: bool,
    /// Scratch for `xmm_begin`: labels placed so far.
    pub xc_placed: Vec<bool>,
    /// Per IR label: how many branch ops name it.
    pub xc_branches: Vec<u8>,
    /// Scratch for the rewrite passes.
    pass: PassScratch,
}

/// Buffers the rewrite passes use and drop (kept for the next TB).
#[derive(Default)]
struct PassScratch {
    defs: Defs,
    uses: Vec<u32>,
    removed: Vec<bool>,
    low_of: Vec<Option<(Temp, u8, usize)>>,
    subst: Vec<(Temp, u32)>,
    last_write: Vec<u32>,
    passed: Vec<bool>,
    demand: crate::demand::Scratch,
    copies: crate::globcopy::Copies,
}

impl Gen {
    /// A generator whose code jumps to `stubs`.
    pub fn new(stubs: Stubs, opts: GenOptions) -> Gen {
        Gen {
            a: Asm::new(0),
            base: 0,
            ir: IrBlock {
                globals: &[],
                ops: Vec::new(),
                n_temps: 0,
                n_labels: 0,
                unobserved_at_faults: 0,
            },
            live: Liveness::default(),
            width: Vec::new(),
            disp: Vec::new(),
            narrow: Vec::new(),
            rot32: Vec::new(),
            op32: Vec::new(),
            andn: Vec::new(),
            sib: Vec::new(),
            stubs,
            opts,
            id: 0,
            tb_pc: 0,
            rip_lazy: true,
            label_lazy: Vec::new(),
            canon: Vec::new(),
            hints: Default::default(),
            order: &crate::abi::ALLOCATABLE,
            pinned: Vec::new(),
            pinned_mask: 0,
            pinned_of: (0, 0),
            pin_junk: 0,
            body: None,
            loop_tb: false,
            mxcsr_known: false,
            ng: 0,
            loc: Vec::new(),
            dirty: Vec::new(),
            dirty_mask: 0,
            slot: Vec::new(),
            held: [[NONE; MAX_HOLDERS]; 16],
            n_held: [0; 16],
            nu: Default::default(),
            tick: 0,
            skip_to: 0,
            zf: None,
            prev_dead: 0,
            locked: 0,
            free_slots: Vec::new(),
            next_slot: 0,
            overflow: false,
            crossing_active: Vec::new(),
            moves: Vec::new(),
            labels: Vec::new(),
            cold: Vec::new(),
            cold_start: 0,
            abs_fields: Vec::new(),
            exit_labels: Vec::new(),
            exits: Vec::new(),
            back_edge_labels: Vec::new(),
            back_edges: Vec::new(),
            sites: Default::default(),
            cur_pc: 0,
            insn_pcs: Vec::new(),
            census: Census::default(),
            xc: Default::default(),
            xc_at_label: Vec::new(),
            xc_backward: Vec::new(),
            xc_falls: true,
            xc_loop: None,
            xc_used: false,
            xc_placed: Vec::new(),
            xc_branches: Vec::new(),
            pass: PassScratch::default(),
        }
    }

    /// Copies `src` in and runs the rewrite passes on it (`andn`: the
    /// host has ANDN).
    fn prepare(&mut self, src: &IrBlock, andn: bool) {
        let ir = &mut self.ir;
        ir.globals = src.globals;
        ir.n_temps = src.n_temps;
        ir.n_labels = src.n_labels;
        ir.unobserved_at_faults = src.unobserved_at_faults;
        ir.ops.clear();
        // Instruction starts go to a side table: the passes below do not
        // look at them, and code generation only needs the guest pc.
        self.insn_pcs.clear();
        let mut census = Census::default();
        for op in &src.ops {
            if op.opc == Opcode::InsnStart {
                self.insn_pcs.push((ir.ops.len() as u32, op.consts[0]));
            } else {
                census.note(op);
                ir.ops.push(*op);
            }
        }
        self.census = census;
        let p = &mut self.pass;
        let folds = census.any(&[Opcode::Add, Opcode::Sub]) && census.accesses();
        if !folds {
            p.defs.compute_with_uses(ir, &mut p.uses);
            self.disp.clear();
            self.disp.resize(ir.ops.len(), 0);
        } else if crate::addr::fold_addresses(
            ir,
            &mut self.disp,
            &mut p.defs,
            &mut p.uses,
            &mut p.removed,
        ) {
            // Ops went: an instruction starts at its first op kept.
            let (mut gone, mut r) = (0, 0);
            for (at, _) in &mut self.insn_pcs {
                while r < *at as usize {
                    gone += p.removed[r] as u32;
                    r += 1;
                }
                *at -= gone;
            }
        }
        if census.has(Opcode::And) {
            crate::bits::strip_masked_extensions(ir, &p.defs);
        }
        if census.has(Opcode::Add) && census.has(Opcode::Sub) {
            crate::bits::recover_compare_operands(ir, &p.defs, &mut p.low_of);
        }
        if census.has(Opcode::Brcond) {
            crate::bits::narrow_compares(ir, &p.defs, &mut self.narrow);
            crate::cmpfuse::fuse_zero_tests(ir, &p.defs, &self.narrow);
        } else {
            self.narrow.clear();
            self.narrow.resize(ir.ops.len(), crate::bits::Narrow::No);
        }
        let rotates = census.has(Opcode::Or)
            && census.has(Opcode::Ext32u)
            && crate::bits::may_rotate(ir, &p.defs)
            && {
                crate::bits::known_widths(ir, &[], &p.defs, &mut self.width);
                crate::bits::find_rotates(ir, &p.defs, &self.width, &mut self.rot32)
            };
        if !rotates {
            self.rot32.clear();
            self.rot32.resize(ir.ops.len(), 0);
        }
        // Also the widths again (32-bit ops included) and `globcopy`.
        let not = crate::demand::narrow_ops(
            ir,
            rotates,
            &self.rot32,
            &self.narrow,
            census,
            &p.defs,
            &mut p.demand,
            &mut self.op32,
            &mut self.width,
            &mut p.copies,
            &mut p.uses,
        );
        if andn && not {
            crate::fuse::fuse_andn(ir, &p.defs, &p.uses, &mut self.andn);
        } else {
            self.andn.clear();
        }
        // Liveness finds the temps that cross blocks as the last rewrite
        // finalises each op.
        let live = &mut self.live;
        live.start_blocks(ir);
        crate::bits::propagate_copies(
            ir,
            &p.defs,
            &self.width,
            &self.rot32,
            &mut p.subst,
            &mut p.last_write,
            |op| live.note_op(op),
        );
    }

    /// Resets the per-TB state for the prepared ops.
    fn begin(&mut self, id: u32, tb_pc: u64, base: usize, opts: GenOptions) {
        let n = self.ir.n_temps as usize;
        let ng = self.ir.globals.len();
        assert!(ng <= 64, "the backend handles at most 64 globals");
        self.a.reset(base);
        self.base = base;
        self.opts = opts;
        self.id = id;
        self.tb_pc = tb_pc;
        self.ng = ng;
        self.labels.clear();
        for _ in 0..self.ir.n_labels {
            let l = self.a.new_dynamic_label();
            self.labels.push(l);
        }
        self.loc.clear();
        self.loc.resize(n, Loc::Dead);
        self.loc[..ng].fill(Loc::Mem);
        self.loc[crate::rip::RIP.index()] = Loc::Const(tb_pc);
        self.pin_junk = 0;
        // The same globals as the last TB's (every TB of a mode): the same
        // pinned ones.
        let globals = (self.ir.globals.as_ptr() as usize, self.ir.globals.len());
        if self.pinned_of != globals {
            self.pinned_of = globals;
            self.pinned.clear();
            self.pinned_mask = 0;
            for (offset, r) in crate::abi::PINNED {
                if let Some(g) = self.ir.globals.iter().position(|g| g.offset == offset) {
                    self.pinned.push((g as u32, r));
                    self.pinned_mask |= 1 << g;
                }
            }
        }
        let loops = opts.store_hook.is_none()
            && crate::loops::loop_globals(
                &self.ir,
                tb_pc,
                &self.pinned,
                &mut self.pass.uses,
                &mut self.canon,
            );
        if !loops {
            self.canon.clear();
            self.canon.extend_from_slice(&self.pinned);
        }
        self.loop_tb = loops;
        let calls = self.census.any(&[
            Opcode::Call,
            Opcode::CallPure,
            Opcode::CallXmm,
            Opcode::LdMmu,
            Opcode::StMmu,
        ]);
        self.order = if calls {
            &crate::abi::ALLOCATABLE
        } else {
            &crate::abi::ALLOCATABLE_LEAF
        };
        // The global deaths (`nextuse`) and the register hints in the
        // same backward walk.
        let (nu, hints) = (&mut self.nu, &mut self.hints);
        nu.start(&self.ir);
        hints.start(&self.ir, &self.canon);
        self.live.compute_deaths(&self.ir, |i, op, dead_ins| {
            nu.step(i, op);
            hints.step(op, dead_ins, nu.gdies[i]);
        });
        hints.finish();
        // Every pattern it fuses has an `add`.
        if self.census.has(Opcode::Add) {
            crate::sib::fuse_scaled_index(
                &self.ir,
                &self.pass.defs,
                &self.live.dead_ins,
                &self.live.dead_op,
                &mut self.sib,
            );
        } else {
            self.sib.clear();
            self.sib.resize(self.ir.ops.len(), crate::sib::Fused::No);
        }
        self.rip_lazy = true;
        crate::rip::lazy_labels(&self.ir, &mut self.label_lazy, &mut self.pass.passed);
        self.body = None;
        self.dirty.clear();
        self.dirty.resize(n, false);
        self.dirty_mask = 0;
        self.slot.clear();
        self.slot.resize(n, NONE);
        self.n_held = [0; 16];
        self.tick = 0;
        self.skip_to = 0;
        self.zf = None;
        self.prev_dead = 0;
        self.locked = 0;
        self.free_slots.clear();
        self.next_slot = 0;
        self.overflow = false;
        self.crossing_active.clear();
        self.cold.clear();
        self.abs_fields.clear();
        self.exit_labels.clear();
        self.exits.clear();
        self.back_edge_labels.clear();
        self.back_edges.clear();
        self.sites.start(tb_pc);
        self.cur_pc = 0;
        if loops {
            // A loop starts on a cache line: how fast it runs then no
            // longer depends on the code compiled before it (on the host
            // measured, a loop's body at some offsets of a 64-byte line
            // ran at two thirds of its speed at others).
            self.align_code(64);
        }
        self.xmm_begin();
        self.mxcsr_entry();
        // The pinned globals arrive in their registers, `CpuState` stale.
        for k in 0..self.pinned.len() {
            let (g, r) = self.pinned[k];
            self.place(g, r);
            self.set_dirty(g as usize, true);
        }
        // Those the TB overwrites before anything needs them leave their
        // registers free from the start.
        self.drop_globals(self.nu.entry_dead() & self.pinned_mask);
        if loops {
            self.preheader();
        }
    }

    /// Compiles `src` as TB `id` (guest pc `tb_pc`) for code placed at
    /// host address `base`: the code is then `self.a.code()`, its exits
    /// `self.exits` and its fault sites `self.sites.bytes`.
    pub fn compile(
        &mut self,
        src: &IrBlock,
        id: u32,
        tb_pc: u64,
        base: usize,
        opts: GenOptions,
    ) -> Result<(), JitError> {
        self.prepare(src, opts.bmi1);
        self.begin(id, tb_pc, base, opts);
        let mut insn = 0;
        for i in 0..self.ir.ops.len() {
            while let Some(&(at, pc)) = self.insn_pcs.get(insn) {
                if at as usize > i {
                    break;
                }
                self.cur_pc = pc;
                insn += 1;
            }
            if i < self.skip_to {
                self.tick += 1;
                continue;
            }
            let op = self.ir.ops[i];
            self.op(i, &op);
            self.note_uses(i, &op);
            self.locked = 0;
            self.tick += 1;
        }
        self.cold_start = self.off();
        self.emit_cold();
        if self.overflow {
            return Err(JitError::TooManySpills(N_SLOTS));
        }
        self.a
            .commit()
            .expect("relocations inside one TB always resolve");
        for k in 0..self.exit_labels.len() {
            let (label, field, target_pc) = self.exit_labels[k];
            let stub = self
                .a
                .labels()
                .resolve_dynamic(label)
                .expect("exit stub placed")
                .0;
            self.exits.push(ExitSite {
                field,
                stub,
                target_pc,
            });
        }
        for k in 0..self.back_edge_labels.len() {
            let (field, body, out) = self.back_edge_labels[k];
            let at = |l| {
                self.a
                    .labels()
                    .resolve_dynamic(l)
                    .expect("back-edge labels placed")
                    .0
            };
            let (body, out) = (at(body), at(out));
            self.back_edges.push(BackEdgeSite { field, body, out });
        }
        Ok(())
    }

    /// Current code offset.
    pub fn off(&self) -> usize {
        self.a.offset().0
    }

    fn op(&mut self, i: usize, op: &Op) {
        if self.live.dead_op[i] || self.fused_away(i) {
            return;
        }
        match op.opc {
            Opcode::InsnStart => {
                self.cur_pc = op.consts[0];
            }
            Opcode::Mov => self.mov(i, op),
            Opcode::Movi => self.movi(i, op),
            Opcode::Discard => self.discard(op.outs[0]),
            binop_opcodes!() => self.binop(i, op),
            unop_opcodes!() => self.unop(i, op),
            Opcode::Mulu2 | Opcode::Muls2 => self.mul2(i, op),
            Opcode::Divu2 | Opcode::Divs2 => self.div2(i, op),
            Opcode::Setcond => self.setcond(i, op),
            Opcode::Movcond => self.movcond(i, op),
            Opcode::Brcond => self.brcond(i, op),
            Opcode::Br => {
                self.rip_before_branch(op.consts[0]);
                self.canonicalize();
                let l = self.labels[op.consts[0] as usize];
                self.xmm_branch(op.consts[0]);
                let next = self.ir.ops.get(i + 1);
                if !next.is_some_and(|n| n.opc == Opcode::SetLabel && n.consts[0] == op.consts[0]) {
                    dynasm!(self.a ; .arch x64 ; jmp =>l);
                }
                self.reset();
            }
            Opcode::SetLabel => {
                self.rip_before_branch(op.consts[0]);
                self.canonicalize();
                self.xmm_at_label(op.consts[0]);
                let l = self.labels[op.consts[0] as usize];
                self.a.dynamic_label(l);
                self.reset();
                self.rip_at_label(op.consts[0]);
            }
            Opcode::Ld8u
            | Opcode::Ld8s
            | Opcode::Ld16u
            | Opcode::Ld16s
            | Opcode::Ld32u
            | Opcode::Ld32s
            | Opcode::Ld64 => self.load(i, op),
            Opcode::St8 | Opcode::St16 | Opcode::St32 | Opcode::St64 => self.store(i, op),
            Opcode::LdMmu | Opcode::StMmu => self.mmu_access(i, op),
            Opcode::LdEnv => self.ld_env(i, op),
            Opcode::StEnv => self.st_env(i, op),
            Opcode::Call => self.call(i, op, false),
            Opcode::CallPure => self.call(i, op, true),
            Opcode::CallXmm => self.call_xmm(i, op),
            Opcode::LdXmm => self.ld_xmm(i, op),
            Opcode::StXmm => self.st_xmm(i, op),
            Opcode::GotoTb => self.goto_tb(),
            Opcode::LookupAndGotoPtr => self.lookup_and_goto_ptr(),
            Opcode::CallTb => self.call_tb(op.consts[1]),
            Opcode::LookupCall => self.lookup_call(op.consts[0]),
            Opcode::LookupRet => self.lookup_ret(),
            Opcode::Raise => self.raise(op.consts[0]),
        }
        if op.opc == Opcode::Br || op.opc.flags() & opf::TB_EXIT != 0 {
            self.xc_falls = false;
        }
    }

    /// Before a direct jump that may close a cycle (to a lower or equal
    /// guest pc): leave if `exit_request` is set. Every loop of chained TBs
    /// passes one of these or an indirect jump, whose probe misses once an
    /// exit is requested (`CpuState::request_exit`), so chained code stops
    /// promptly without a check at each TB entry.
    pub fn check_exit_request(&mut self, target_pc: u64) {
        dynasm!(self.a ; .arch x64 ; cmp BYTE [BYTE rbp + EXIT_REQUEST_DISP], 0);
        let label = self.a.new_dynamic_label();
        self.jcc_label(0x5, label);
        self.cold.push(Cold::Request {
            label,
            pc: target_pc,
        });
    }

    fn emit_cold(&mut self) {
        let cold = std::mem::take(&mut self.cold);
        for c in cold {
            match c {
                Cold::Exit { label, k } => {
                    // `Jit::run` sets rip from the exit's target.
                    self.a.dynamic_label(label);
                    let code = (self.id as u64) << 8 | (k as u64) << 3 | exit::DIRECT;
                    dynasm!(self.a ; .arch x64 ; mov eax, code as i32);
                    self.jmp_abs(self.stubs.ret);
                }
                Cold::Exception { label, pc } => {
                    self.a.dynamic_label(label);
                    self.st_env_imm(RIP_DISP, pc);
                    self.jmp_abs(self.stubs.exception);
                }
                Cold::Request { label, pc } => {
                    self.a.dynamic_label(label);
                    self.st_env_imm(RIP_DISP, pc);
                    self.jmp_abs(self.stubs.request);
                }
                Cold::Xmm(slow) => self.emit_slow_xmm(slow),
                Cold::Mxcsr { label } => self.emit_mxcsr_exit(label),
                Cold::RasFull { label, back } => self.emit_ras_full(label, back),
                Cold::Cf(slow) => self.emit_slow_cf(slow),
                Cold::LoopRequest { label, xmm } => {
                    self.a.dynamic_label(label);
                    self.xmm_store_all(&xmm);
                    self.loop_request_stub();
                    self.st_env_imm(RIP_DISP, self.tb_pc);
                    self.jmp_abs(self.stubs.request);
                }
            }
        }
    }
}
