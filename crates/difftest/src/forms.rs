//! The instruction forms (iced-x86 `Code`s) the tester generates: those of
//! 64-bit user mode whose CPUID features ox86 advertises (and the host
//! has), grouped in classes, minus the forms whose results legitimately
//! depend on the host or that leave the sequence.

use iced_x86::{
    Code, CpuidFeature, EncodingKind, FlowControl, Instruction, Mnemonic, OpCodeOperandKind as K,
};
use std::collections::HashSet;

/// An instruction class (`--class`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Integer, control-flow, string and stack instructions.
    Int,
    /// SSE..SSE4.2 and the other XMM extensions.
    Sse,
    /// The x87 FPU.
    X87,
}

impl Class {
    /// Every class.
    pub const ALL: [Class; 3] = [Class::Int, Class::Sse, Class::X87];

    /// The name `--class` takes.
    pub fn name(self) -> &'static str {
        match self {
            Class::Int => "int",
            Class::Sse => "sse",
            Class::X87 => "x87",
        }
    }
}

/// Where a CPUID feature bit lives: (leaf, register 0..4 = EAX..EDX, bit).
type Bit = (u32, usize, u32);

/// The CPUID bits that gate iced-x86's features (SDM vol. 2A, CPUID).
const FEATURE_BITS: &[(CpuidFeature, Bit)] = &[
    (CpuidFeature::FPU, (1, 3, 0)),
    (CpuidFeature::FPU287, (1, 3, 0)),
    (CpuidFeature::FPU387, (1, 3, 0)),
    (CpuidFeature::TSC, (1, 3, 4)),
    (CpuidFeature::CX8, (1, 3, 8)),
    (CpuidFeature::CMOV, (1, 3, 15)),
    (CpuidFeature::CLFSH, (1, 3, 19)),
    (CpuidFeature::MMX, (1, 3, 23)),
    (CpuidFeature::FXSR, (1, 3, 24)),
    (CpuidFeature::SSE, (1, 3, 25)),
    (CpuidFeature::SSE2, (1, 3, 26)),
    (CpuidFeature::SSE3, (1, 2, 0)),
    (CpuidFeature::PCLMULQDQ, (1, 2, 1)),
    (CpuidFeature::SSSE3, (1, 2, 9)),
    (CpuidFeature::CMPXCHG16B, (1, 2, 13)),
    (CpuidFeature::SSE4_1, (1, 2, 19)),
    (CpuidFeature::SSE4_2, (1, 2, 20)),
    (CpuidFeature::MOVBE, (1, 2, 22)),
    (CpuidFeature::POPCNT, (1, 2, 23)),
    (CpuidFeature::AES, (1, 2, 25)),
    (CpuidFeature::XSAVE, (1, 2, 26)),
    (CpuidFeature::AVX, (1, 2, 28)),
    (CpuidFeature::F16C, (1, 2, 29)),
    (CpuidFeature::RDRAND, (1, 2, 30)),
    (CpuidFeature::FSGSBASE, (7, 1, 0)),
    (CpuidFeature::BMI1, (7, 1, 3)),
    (CpuidFeature::AVX2, (7, 1, 5)),
    (CpuidFeature::BMI2, (7, 1, 8)),
    (CpuidFeature::RDSEED, (7, 1, 18)),
    (CpuidFeature::ADX, (7, 1, 19)),
    (CpuidFeature::SHA, (7, 1, 29)),
    (CpuidFeature::LZCNT, (0x8000_0001, 2, 5)),
    (CpuidFeature::PREFETCHW, (0x8000_0001, 2, 8)),
    (CpuidFeature::SYSCALL, (0x8000_0001, 3, 11)),
    (CpuidFeature::RDTSCP, (0x8000_0001, 3, 27)),
];

/// Features every x86-64 processor has, with no CPUID bit of their own.
const BASELINE: &[CpuidFeature] = &[
    CpuidFeature::INTEL8086,
    CpuidFeature::INTEL186,
    CpuidFeature::INTEL286,
    CpuidFeature::INTEL386,
    CpuidFeature::INTEL486,
    CpuidFeature::X64,
    CpuidFeature::CPUID,
    CpuidFeature::MULTIBYTENOP,
    CpuidFeature::PAUSE,
];

/// The features a CPUID function reports.
fn features(cpuid: impl Fn(u32) -> [u32; 4]) -> HashSet<CpuidFeature> {
    let mut set: HashSet<CpuidFeature> = BASELINE.iter().copied().collect();
    for &(f, (leaf, reg, bit)) in FEATURE_BITS {
        if cpuid(leaf)[reg] >> bit & 1 != 0 {
            set.insert(f);
        }
    }
    set
}

/// The features ox86's CPU model advertises.
pub fn ox86_features() -> HashSet<CpuidFeature> {
    features(|leaf| ox86_x86::helpers::misc::cpuid(leaf, 0))
}

/// The host's features.
pub fn host_features() -> HashSet<CpuidFeature> {
    features(|leaf| {
        let r = core::arch::x86_64::__cpuid_count(leaf, 0);
        [r.eax, r.ebx, r.ecx, r.edx]
    })
}

/// Mnemonics never generated, with the reason.
const EXCLUDED: &[(Mnemonic, &str)] = &[
    (Mnemonic::Cpuid, "host-dependent result"),
    (Mnemonic::Rdtsc, "host-dependent result"),
    (Mnemonic::Rdtscp, "host-dependent result"),
    (Mnemonic::Rdrand, "host-dependent result"),
    (Mnemonic::Rdseed, "host-dependent result"),
    (Mnemonic::Rdpid, "host-dependent result"),
    (Mnemonic::Xgetbv, "host-dependent result"),
    (Mnemonic::Lar, "reads host descriptor tables"),
    (Mnemonic::Lsl, "reads host descriptor tables"),
    (Mnemonic::Verr, "reads host descriptor tables"),
    (Mnemonic::Verw, "reads host descriptor tables"),
    (Mnemonic::Sldt, "reads host descriptor tables"),
    (Mnemonic::Str, "reads host descriptor tables"),
    (Mnemonic::Sgdt, "reads host descriptor tables"),
    (Mnemonic::Sidt, "reads host descriptor tables"),
    (Mnemonic::Smsw, "reads the host's CR0"),
    (Mnemonic::Syscall, "leaves user mode"),
    (Mnemonic::Sysenter, "leaves user mode"),
    (Mnemonic::Int, "leaves user mode"),
    (Mnemonic::Int1, "leaves user mode"),
    (Mnemonic::Hlt, "privileged"),
    (Mnemonic::Cli, "privileged"),
    (Mnemonic::Sti, "privileged"),
    (Mnemonic::Ret, "leaves the sequence"),
    (Mnemonic::Retf, "leaves the sequence"),
    (Mnemonic::Iret, "leaves the sequence"),
    (Mnemonic::Iretd, "leaves the sequence"),
    (Mnemonic::Iretq, "leaves the sequence"),
    (Mnemonic::Lfs, "loads a segment register"),
    (Mnemonic::Lgs, "loads a segment register"),
    (Mnemonic::Lss, "loads a segment register"),
    (Mnemonic::Ud0, "decoded differently by vendors"),
    (Mnemonic::Fxsave, "stores the unmodelled FPU pointers"),
    (Mnemonic::Fxsave64, "stores the unmodelled FPU pointers"),
    (Mnemonic::Fxrstor, "loads state wholesale"),
    (Mnemonic::Fxrstor64, "loads state wholesale"),
    (Mnemonic::Fnsave, "stores the unmodelled FPU pointers"),
    (Mnemonic::Fsave, "stores the unmodelled FPU pointers"),
    (Mnemonic::Frstor, "loads state wholesale"),
    (Mnemonic::Fnstenv, "stores the unmodelled FPU pointers"),
    (Mnemonic::Fstenv, "stores the unmodelled FPU pointers"),
    (Mnemonic::Fldenv, "loads state wholesale"),
];

/// Single forms never generated, with the reason.
const EXCLUDED_FORMS: &[(Code, &str)] = &[(
    Code::Movsxd_r16_rm16,
    "vendors read 16 or 32 bits (a fault at a page end differs)",
)];

/// Why a form is not generated (`None`: it is).
fn exclusion(
    code: Code,
    ox86: &HashSet<CpuidFeature>,
    host: &HashSet<CpuidFeature>,
) -> Option<&'static str> {
    let op = code.op_code();
    if let Some(&(_, why)) = EXCLUDED.iter().find(|(m, _)| *m == code.mnemonic()) {
        return Some(why);
    }
    if let Some(&(_, why)) = EXCLUDED_FORMS.iter().find(|(c, _)| *c == code) {
        return Some(why);
    }
    if op.is_privileged() || op.is_input_output() || op.must_be_cpl0() {
        return Some("privileged");
    }
    if op.is_reserved_nop() && op.op_code() == 0x0d {
        return Some("0F 0D reserved NOP (AMD decodes it as a prefetch)");
    }
    if op.fwait() {
        return Some("FWAIT + the no-wait form (both generated)");
    }
    if op.is_save_restore() {
        return Some("saves or restores state wholesale");
    }
    let insn = Instruction::with(code);
    if matches!(
        insn.flow_control(),
        FlowControl::IndirectBranch
            | FlowControl::IndirectCall
            | FlowControl::Return
            | FlowControl::XbeginXabortXend
    ) {
        return Some("leaves the sequence");
    }
    if !insn.cpuid_features().iter().all(|f| host.contains(f)) {
        return Some("not on the host");
    }
    let mmx = op
        .op_kinds()
        .iter()
        .any(|k| matches!(k, K::mm_or_mem | K::mm_reg | K::mm_rm));
    if mmx && !ox86.contains(&CpuidFeature::MMX) {
        return Some("MMX registers (CPUID.MMX not advertised)");
    }
    if !op
        .op_kinds()
        .iter()
        .all(|k| crate::gen::OPERAND_KINDS.contains(k))
    {
        return Some("operand kind not generated");
    }
    None
}

/// One form and its class.
#[derive(Clone, Copy, Debug)]
pub struct Form {
    /// The iced-x86 code.
    pub code: Code,
    /// Its class.
    pub class: Class,
}

/// The class of a form.
pub fn class_of(code: Code) -> Class {
    let op = code.op_code();
    let insn = Instruction::with(code);
    let f = insn.cpuid_features();
    if f.iter().any(|f| {
        matches!(
            f,
            CpuidFeature::FPU | CpuidFeature::FPU287 | CpuidFeature::FPU387
        )
    }) || op
        .op_kinds()
        .iter()
        .any(|k| matches!(k, K::st0 | K::sti_opcode))
    {
        Class::X87
    } else if op.op_kinds().iter().any(|k| {
        matches!(
            k,
            K::xmm_or_mem | K::xmm_reg | K::xmm_rm | K::mm_or_mem | K::mm_reg | K::mm_rm
        )
    }) || f.iter().any(|f| {
        matches!(
            f,
            CpuidFeature::SSE
                | CpuidFeature::SSE2
                | CpuidFeature::SSE3
                | CpuidFeature::SSSE3
                | CpuidFeature::SSE4_1
                | CpuidFeature::SSE4_2
                | CpuidFeature::AES
                | CpuidFeature::PCLMULQDQ
                | CpuidFeature::MMX
        )
    }) {
        Class::Sse
    } else {
        Class::Int
    }
}

/// The forms ox86 advertises, split into those generated and those left
/// out (with the reason).
pub struct Forms {
    /// Generated forms.
    pub generated: Vec<Form>,
    /// Advertised forms left out, with the reason.
    pub excluded: Vec<(Form, &'static str)>,
}

impl Forms {
    /// Every 64-bit-mode legacy or VEX form whose features ox86 advertises.
    pub fn new() -> Forms {
        let ox86 = ox86_features();
        let host = host_features();
        let mut generated = Vec::new();
        let mut excluded = Vec::new();
        for code in Code::values() {
            let op = code.op_code();
            let usable = op.is_instruction()
                && op.mode64()
                && matches!(op.encoding(), EncodingKind::Legacy | EncodingKind::VEX)
                && op.decoder_option() == 0
                && op.intel_decoder64()
                && op.amd_decoder64();
            if !usable {
                continue;
            }
            let insn = Instruction::with(code);
            if !insn.cpuid_features().iter().all(|f| ox86.contains(f)) {
                continue;
            }
            let form = Form {
                code,
                class: class_of(code),
            };
            match exclusion(code, &ox86, &host) {
                None => generated.push(form),
                Some(why) => excluded.push((form, why)),
            }
        }
        Forms {
            generated,
            excluded,
        }
    }
}

impl Default for Forms {
    fn default() -> Self {
        Forms::new()
    }
}
