//! A sweep: many random sequences from one seed, each run natively and
//! under the engines; mismatches minimised and reported; which forms were
//! generated, for the coverage report.

use crate::analysis::Start;
use crate::forms::{Class, Form, Forms};
use crate::gen::{Generator, MAX_LEN};
use crate::rng::Rng;
use crate::state::{scratch, Input};
use crate::tester::{engine_name, instructions, Case, Mismatch, Tester};
use iced_x86::Code;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

/// What to sweep.
#[derive(Clone, Debug)]
pub struct Config {
    /// The sweep's seed.
    pub seed: u64,
    /// Sequences to run.
    pub count: u64,
    /// Classes to draw forms from.
    pub classes: Vec<Class>,
    /// Longest sequence.
    pub max_len: usize,
    /// Stop after this many mismatches.
    pub max_mismatches: usize,
    /// Print each case to stderr before running it (to find one that
    /// crashes ox86).
    pub trace: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            count: 1000,
            classes: Class::ALL.to_vec(),
            max_len: MAX_LEN,
            max_mismatches: 20,
            trace: false,
        }
    }
}

/// What a sweep did and found.
#[derive(Debug, Default)]
pub struct Report {
    /// Sequences run.
    pub sequences: u64,
    /// Instructions in them.
    pub instructions: u64,
    /// Sequences that faulted natively.
    pub faulted: u64,
    /// Minimised mismatches, one per distinct minimised sequence of forms.
    pub mismatches: Vec<Mismatch>,
    /// Further mismatches that minimised to forms already reported.
    pub repeats: u64,
    /// Sequences that could not be run (encoding or native runner errors).
    pub errors: Vec<String>,
    /// How often each form was run.
    pub generated: HashMap<Code, u64>,
}

/// The seed of sequence `i` of a sweep with `seed`.
fn sequence_seed(seed: u64, i: u64) -> u64 {
    Rng::new(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next_u64()
}

/// Runs a sweep; `progress` sees each mismatch as it is found.
pub fn sweep(cfg: &Config, tester: &mut Tester, mut progress: impl FnMut(&Mismatch)) -> Report {
    let forms = Forms::new();
    let pool: Vec<Form> = forms
        .generated
        .iter()
        .copied()
        .filter(|f| cfg.classes.contains(&f.class))
        .collect();
    let mut generator = Generator::new(&pool);
    let mut r = Report::default();
    let mut seen: HashSet<(&str, Vec<Code>)> = HashSet::new();
    for i in 0..cfg.count {
        if r.mismatches.len() >= cfg.max_mismatches {
            break;
        }
        let mut rng = Rng::new(sequence_seed(cfg.seed, i));
        let input = Input::random(&mut rng);
        let mem = scratch(input.mem_seed);
        let start = Start {
            regs: &input.regs,
            mem: &mem,
            avoid_known_gaps: true,
        };
        let seq = generator.sequence(&mut rng, &start, cfg.max_len);
        let code = match seq.encode() {
            Ok(c) => c,
            Err(e) => {
                r.errors.push(format!("sequence {i}: encoding: {e}"));
                continue;
            }
        };
        let case = Case {
            code: code.clone(),
            input: input.clone(),
        };
        if cfg.trace {
            eprintln!("{}", case.to_row());
        }
        let results = match tester.check(&case, None) {
            Ok(x) => x,
            Err(e) => {
                r.errors.push(format!("sequence {i}: {e}"));
                continue;
            }
        };
        r.sequences += 1;
        if tester.native_faulted() {
            r.faulted += 1;
        }
        for insn in instructions(&case) {
            r.instructions += 1;
            *r.generated.entry(insn.code()).or_default() += 1;
        }
        for (engine, diffs) in results {
            if diffs.is_empty() {
                continue;
            }
            let (case, diffs) = tester.minimize(&seq, &input, engine, diffs, code.clone());
            let forms = instructions(&case).iter().map(|i| i.code()).collect();
            if !seen.insert((engine_name(engine), forms)) {
                r.repeats += 1;
                continue;
            }
            let m = Mismatch {
                engine,
                case,
                diffs,
            };
            progress(&m);
            r.mismatches.push(m);
        }
    }
    r
}

/// The coverage report: per class, the forms ox86 advertises, how many the
/// sweep ran, and which it did not (generated forms never run first, then
/// the forms left out on purpose, with the reason).
pub fn coverage(classes: &[Class], generated: &HashMap<Code, u64>) -> String {
    let forms = Forms::new();
    let mut out = String::new();
    for &c in classes {
        let gen: Vec<Code> = forms
            .generated
            .iter()
            .filter(|f| f.class == c)
            .map(|f| f.code)
            .collect();
        let excl: Vec<(Code, &str)> = forms
            .excluded
            .iter()
            .filter(|(f, _)| f.class == c)
            .map(|(f, why)| (f.code, *why))
            .collect();
        let ran = gen.iter().filter(|c| generated.contains_key(c)).count();
        let _ = writeln!(
            out,
            "class {}: {} forms advertised, {} generated by the tester, {} run ({:.1}%), {} left out",
            c.name(),
            gen.len() + excl.len(),
            gen.len(),
            ran,
            100.0 * ran as f64 / (gen.len() + excl.len()).max(1) as f64,
            excl.len()
        );
        let missing: Vec<String> = gen
            .iter()
            .filter(|c| !generated.contains_key(c))
            .map(|c| format!("{c:?}"))
            .collect();
        if !missing.is_empty() {
            let _ = writeln!(out, "  not run: {}", missing.join(" "));
        }
        let mut why: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (code, w) in excl {
            why.entry(w).or_default().push(format!("{code:?}"));
        }
        for (w, codes) in why {
            let _ = writeln!(out, "  left out ({w}): {}", codes.join(" "));
        }
    }
    out
}
