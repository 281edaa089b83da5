//! Compiles one TB's IR to host code: the per-TB generator state (assembler,
//! allocator state, labels, out-of-line stubs) and the op-by-op driver.

use crate::abi::{exit, EXIT_REQUEST_DISP, N_SLOTS, RIP_DISP};
use crate::error::JitError;
use crate::liveness::Liveness;
use crate::stubs::Stubs;
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};
use ox86_ir::{IrBlock, Op, Opcode};

/// The assembler type used everywhere in the backend.
pub(crate) type Asm = VecAssembler<X64Relocation>;

/// Where a temp's current value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// No value (never defined, or dead).
    Dead,
    /// In its home: the `CpuState` field (globals) or its frame slot (locals).
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
    LoopRequest { label: DynamicLabel },
    /// A floating-point `call_xmm` under a non-default MXCSR.
    Xmm(crate::xmm::SlowXmm),
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
    /// Checking mode: host address of a function to call before each guest
    /// store; self-loops are not kept in generated code.
    pub store_hook: Option<usize>,
}

/// A compiled TB before it is copied into the code cache.
pub(crate) struct Compiled {
    /// Machine code, assembled for the base address given to `compile`.
    pub code: Vec<u8>,
    /// Its chainable exits.
    pub exits: Vec<ExitSite>,
    /// Its guest memory accesses.
    pub sites: crate::sites::Sites,
}

/// The generator for one TB.
pub(crate) struct Gen<'a> {
    pub a: Asm,
    /// Host address of offset 0.
    pub base: usize,
    pub ir: &'a IrBlock,
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
    pub stubs: &'a Stubs,
    pub opts: GenOptions,
    /// The TB id put in direct exit codes.
    pub id: u32,
    /// The guest pc of the TB.
    pub tb_pc: u64,
    /// rip is the TB's pc and `CpuState.rip` may be stale (see `rip`).
    pub rip_lazy: bool,
    /// Per label: rip is lazy on every path reaching it.
    pub label_lazy: Vec<bool>,
    /// Self-loop TBs: (global, host register) kept across block boundaries.
    pub canon: Vec<(u32, u8)>,
    /// Self-loop TBs: the loop body, after the preheader.
    pub body: Option<DynamicLabel>,
    /// Number of globals.
    pub ng: usize,
    // Allocator state (see `regalloc`).
    pub loc: Vec<Loc>,
    pub dirty: Vec<bool>,
    pub slot: Vec<u32>,
    /// Per host register: the temps it holds, `held[r][..n_held[r]]`.
    pub held: [[u32; MAX_HOLDERS]; 16],
    pub n_held: [u8; 16],
    /// Per temp: the op that reads its current value next (see `nextuse`).
    pub next_use: Vec<u32>,
    pub nu: crate::nextuse::NextUse,
    /// The index of the op being compiled.
    pub tick: u32,
    pub locked: u16,
    pub free_slots: Vec<u32>,
    pub next_slot: u32,
    pub overflow: bool,
    pub crossing_active: Vec<u32>,
    // Control flow.
    pub labels: Vec<DynamicLabel>,
    pub cold: Vec<Cold>,
    pub exit_labels: Vec<(DynamicLabel, usize, u64)>,
    pub sites: crate::sites::Sites,
    pub cur_pc: u64,
}

impl<'a> Gen<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        ir: &'a IrBlock,
        disp: Vec<i32>,
        narrow: Vec<crate::bits::Narrow>,
        rot32: Vec<u8>,
        op32: crate::demand::Op32,
        width: Vec<u8>,
        id: u32,
        tb_pc: u64,
        base: usize,
        stubs: &'a Stubs,
        opts: GenOptions,
    ) -> Self {
        let n = ir.n_temps as usize;
        let ng = ir.globals.len();
        let mut a = Asm::new(base);
        let labels = (0..ir.n_labels).map(|_| a.new_dynamic_label()).collect();
        let mut loc = vec![Loc::Dead; n];
        loc[..ng].fill(Loc::Mem);
        loc[crate::rip::RIP.index()] = Loc::Const(tb_pc);
        let live = Liveness::new(ir);
        let nu = crate::nextuse::NextUse::new(ir, &live.dead_op);
        Gen {
            a,
            base,
            ir,
            live,
            width,
            disp,
            narrow,
            rot32,
            op32,
            andn: Vec::new(),
            sib: Vec::new(),
            stubs,
            opts,
            id,
            tb_pc,
            rip_lazy: true,
            label_lazy: crate::rip::lazy_labels(ir),
            canon: if opts.store_hook.is_some() {
                Vec::new()
            } else {
                crate::loops::loop_globals(ir, tb_pc)
            },
            body: None,
            ng,
            loc,
            dirty: vec![false; n],
            slot: vec![NONE; n],
            held: [[NONE; MAX_HOLDERS]; 16],
            n_held: [0; 16],
            next_use: vec![crate::nextuse::NEVER; n],
            nu,
            tick: 0,
            locked: 0,
            free_slots: Vec::new(),
            next_slot: 0,
            overflow: false,
            crossing_active: Vec::new(),
            labels,
            cold: Vec::new(),
            exit_labels: Vec::new(),
            sites: Default::default(),
            cur_pc: 0,
        }
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
            Opcode::Add
            | Opcode::Sub
            | Opcode::Mul
            | Opcode::And
            | Opcode::Or
            | Opcode::Xor
            | Opcode::Shl
            | Opcode::Shr
            | Opcode::Sar
            | Opcode::Rotl
            | Opcode::Rotr => self.binop(i, op),
            Opcode::Not
            | Opcode::Neg
            | Opcode::Ext8s
            | Opcode::Ext8u
            | Opcode::Ext16s
            | Opcode::Ext16u
            | Opcode::Ext32s
            | Opcode::Ext32u
            | Opcode::Ctz
            | Opcode::Clz
            | Opcode::Ctpop
            | Opcode::Bswap64
            | Opcode::Bswap32 => self.unop(i, op),
            Opcode::Mulu2 | Opcode::Muls2 => self.mul2(i, op),
            Opcode::Setcond => self.setcond(i, op),
            Opcode::Movcond => self.movcond(i, op),
            Opcode::Brcond => self.brcond(i, op),
            Opcode::Br => {
                self.rip_before_branch(op.consts[0]);
                self.canonicalize();
                let l = self.labels[op.consts[0] as usize];
                dynasm!(self.a ; .arch x64 ; jmp =>l);
                self.reset();
            }
            Opcode::SetLabel => {
                self.rip_before_branch(op.consts[0]);
                self.canonicalize();
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
            Opcode::CallXmm => self.call_xmm(op),
            Opcode::GotoTb => self.goto_tb(),
            Opcode::LookupAndGotoPtr => self.lookup_and_goto_ptr(),
            Opcode::Raise => self.raise(op.consts[0]),
        }
    }

    /// Before a jump that may close a cycle (to a lower or equal guest pc,
    /// or through the jump table): leave if `exit_request` is set. Every
    /// loop of chained TBs passes one of these, so chained code stops
    /// promptly without a check at each TB entry.
    pub fn check_exit_request(&mut self, target_pc: u64) {
        dynasm!(self.a ; .arch x64 ; cmp DWORD [rbp + EXIT_REQUEST_DISP], 0);
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
                    self.a.dynamic_label(label);
                    let target = self.exit_labels[k].2;
                    self.st_env_imm(RIP_DISP, target);
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
                Cold::LoopRequest { label } => {
                    self.a.dynamic_label(label);
                    self.loop_request_stub();
                    self.st_env_imm(RIP_DISP, self.tb_pc);
                    self.jmp_abs(self.stubs.request);
                }
            }
        }
    }
}

/// Compiles `ir` as TB `id` (guest pc `tb_pc`) for code placed at host address `base`.
pub(crate) fn compile(
    ir: &IrBlock,
    id: u32,
    tb_pc: u64,
    base: usize,
    stubs: &Stubs,
    opts: GenOptions,
) -> Result<Compiled, JitError> {
    let (mut ir, disp) = crate::addr::fold_addresses(ir);
    crate::bits::strip_masked_extensions(&mut ir);
    crate::bits::recover_compare_operands(&mut ir);
    let narrow = crate::bits::narrow_compares(&mut ir);
    let rot32 = crate::bits::find_rotates(&mut ir);
    let op32 = crate::demand::narrow_ops(&mut ir, &rot32, &narrow);
    let width = crate::bits::known_widths(&ir, &crate::demand::wide32(&rot32, &op32));
    crate::bits::propagate_copies(&mut ir, &width, &rot32);
    crate::globcopy::read_globals(&mut ir, &width);
    let andn = if opts.bmi1 {
        crate::fuse::fuse_andn(&mut ir)
    } else {
        Vec::new()
    };
    let mut g = Gen::new(
        &ir, disp, narrow, rot32, op32, width, id, tb_pc, base, stubs, opts,
    );
    g.andn = andn;
    g.sib = crate::sib::fuse_scaled_index(&ir);
    if !g.canon.is_empty() {
        g.preheader();
    }
    for (i, op) in ir.ops.iter().enumerate() {
        g.op(i, op);
        g.note_uses(i, op);
        g.locked = 0;
        g.tick += 1;
    }
    g.emit_cold();
    if g.overflow {
        return Err(JitError::TooManySpills(N_SLOTS));
    }
    g.a.commit()
        .expect("relocations inside one TB always resolve");
    let mut exits = Vec::with_capacity(g.exit_labels.len());
    for &(label, field, target_pc) in &g.exit_labels {
        let stub =
            g.a.labels()
                .resolve_dynamic(label)
                .expect("exit stub placed")
                .0;
        exits.push(ExitSite {
            field,
            stub,
            target_pc,
        });
    }
    let sites = std::mem::take(&mut g.sites);
    let code =
        g.a.finalize()
            .expect("relocations inside one TB always resolve");
    Ok(Compiled { code, exits, sites })
}
