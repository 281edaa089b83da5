//! One test case (sequence bytes + initial state) run natively and under
//! each ox86 engine, compared; the minimiser that shrinks a failing
//! sequence; and the report of a mismatch, with the regression row that
//! reproduces it.

use crate::analysis::{analyze, Start};
use crate::compare::diff;
use crate::emu::Emu;
use crate::gen::{decode, Sequence};
use crate::layout::END;
use crate::native::Native;
use crate::state::{hex, scratch, unhex, Input, GPR_NAMES};
use iced_x86::{Formatter, Instruction, IntelFormatter};
use ox86_engine::EngineKind;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard};

/// A sequence (ending at `END`) and the state it starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The encoded instructions.
    pub code: Vec<u8>,
    /// The initial state.
    pub input: Input,
}

impl Case {
    /// The one-line regression form: `code=HEX` then the state's fields.
    pub fn to_row(&self) -> String {
        format!("code={} {}", hex(&self.code), self.input.to_text())
    }

    /// Parses `to_row`'s form.
    pub fn parse(row: &str) -> Result<Case, String> {
        let (code, rest) = row
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("not a case: {row}"))?;
        let code = code
            .strip_prefix("code=")
            .ok_or_else(|| format!("a case starts with code=: {row}"))?;
        Ok(Case {
            code: unhex(code)?,
            input: Input::parse(rest)?,
        })
    }

    /// The instructions, one `address: bytes  text` line each.
    pub fn disassembly(&self) -> String {
        let mut out = String::new();
        let mut f = IntelFormatter::new();
        let start = END - self.code.len() as u64;
        for i in decode(&self.code) {
            let mut text = String::new();
            f.format(&i, &mut text);
            let off = (i.ip() - start) as usize;
            let bytes = hex(&self.code[off..off + i.len()]);
            let _ = writeln!(out, "  {:#x}: {bytes:<30} {text}", i.ip());
        }
        out
    }

    /// The initial state, readable.
    pub fn state_text(&self) -> String {
        let r = &self.input.regs;
        let mut s = String::new();
        for (i, name) in GPR_NAMES.iter().enumerate() {
            let _ = write!(s, "  {name}={:#x}", r.gpr[i]);
            if i % 4 == 3 {
                s.push('\n');
            }
        }
        let _ = writeln!(
            s,
            "  rflags={:#x} mxcsr={:#x} fcw={:#x} fsw={:#x} (top {}) ftw={:#x}",
            r.rflags,
            r.mxcsr,
            r.fcw,
            r.fsw,
            r.top(),
            r.ftw
        );
        for (i, st) in r.st.iter().enumerate() {
            let _ = write!(
                s,
                "  R{i}={}",
                hex(&st.iter().rev().copied().collect::<Vec<_>>())
            );
            if i % 4 == 3 {
                s.push('\n');
            }
        }
        for (i, x) in r.xmm.iter().enumerate() {
            let _ = write!(s, "  xmm{i}={x:#034x}");
            if i % 2 == 1 {
                s.push('\n');
            }
        }
        let _ = writeln!(s, "  scratch page: seed {:#x}", self.input.mem_seed);
        s
    }
}

/// A difference found between the host and one engine.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The engine.
    pub engine: EngineKind,
    /// The (minimised) case.
    pub case: Case,
    /// The differing fields.
    pub diffs: Vec<String>,
}

impl Mismatch {
    /// The full report: sequence, initial state, differences, regression row.
    pub fn report(&self) -> String {
        format!(
            "MISMATCH under {}:\nsequence:\n{}initial state:\n{}differences:\n{}regression row:\n{}\n",
            engine_name(self.engine),
            self.case.disassembly(),
            self.case.state_text(),
            self.diffs.iter().map(|d| format!("  {d}\n")).collect::<String>(),
            self.case.to_row()
        )
    }
}

/// The name `--engine` takes.
pub fn engine_name(k: EngineKind) -> &'static str {
    match k {
        EngineKind::Interp => "interp",
        EngineKind::Jit => "jit",
    }
}

/// The fixed addresses are one per process: one tester at a time.
static IN_USE: Mutex<()> = Mutex::new(());

/// The native runner and the engines under test.
pub struct Tester {
    native: Native,
    emus: Vec<(EngineKind, Emu)>,
    last_faulted: bool,
    _guard: MutexGuard<'static, ()>,
}

impl Tester {
    /// A tester for `engines` (waits while another tester of this process
    /// exists).
    pub fn new(engines: &[EngineKind]) -> Result<Tester, String> {
        let guard = IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        let native = Native::new()?;
        let mut emus = Vec::new();
        for &k in engines {
            emus.push((k, Emu::new(k)?));
        }
        Ok(Tester {
            native,
            emus,
            last_faulted: false,
            _guard: guard,
        })
    }

    /// The engines under test.
    pub fn engines(&self) -> Vec<EngineKind> {
        self.emus.iter().map(|(k, _)| *k).collect()
    }

    /// Runs `case` natively and under each engine (or only `only`); returns
    /// the differences per engine (empty lists included). Errors: the case
    /// breaks the generator's rules, or the native runner failed.
    pub fn check(
        &mut self,
        case: &Case,
        only: Option<EngineKind>,
    ) -> Result<Vec<(EngineKind, Vec<String>)>, String> {
        let insns = decode(&case.code);
        let mem = scratch(case.input.mem_seed);
        let start = Start {
            regs: &case.input.regs,
            mem: &mem,
            avoid_known_gaps: false,
        };
        let a = analyze(&insns, END, &start)?;
        let native = self.native.run(&case.code, &case.input, &mem)?;
        self.last_faulted = native.fault.is_some();
        let mut out = Vec::new();
        for (k, emu) in self.emus.iter_mut() {
            if only.is_some_and(|o| o != *k) {
                continue;
            }
            let e = emu.run(&case.code, &case.input, &mem);
            out.push((*k, diff(&insns, &a, &native, &e)));
        }
        Ok(out)
    }

    /// Whether the last native run faulted (for statistics).
    pub fn native_faulted(&self) -> bool {
        self.last_faulted
    }

    /// Shrinks `seq` (failing under `engine` from `input`) by dropping
    /// instructions while it still fails; returns the shortest case found
    /// and its differences.
    pub fn minimize(
        &mut self,
        seq: &Sequence,
        input: &Input,
        engine: EngineKind,
        diffs: Vec<String>,
        code: Vec<u8>,
    ) -> (Case, Vec<String>) {
        let mut best = (seq.clone(), code, diffs);
        loop {
            let mut shrunk = false;
            for k in (0..best.0.insns.len()).rev() {
                let Some(s) = best.0.without(k) else { continue };
                if s.insns.is_empty() {
                    continue;
                }
                let Ok(code) = s.encode() else { continue };
                let case = Case {
                    code: code.clone(),
                    input: input.clone(),
                };
                if let Ok(r) = self.check(&case, Some(engine)) {
                    if let Some((_, d)) = r.into_iter().find(|(_, d)| !d.is_empty()) {
                        best = (s, code, d);
                        shrunk = true;
                    }
                }
            }
            if !shrunk {
                break;
            }
        }
        (
            Case {
                code: best.1,
                input: input.clone(),
            },
            best.2,
        )
    }
}

/// The instructions of a case (for coverage counting).
pub fn instructions(case: &Case) -> Vec<Instruction> {
    decode(&case.code)
}
