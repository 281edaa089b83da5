//! `ox86-difftest`: runs random instruction sequences natively and under
//! ox86's engines and reports every difference, minimised, with the
//! regression row that reproduces it; optionally the coverage report.

use clap::{Parser, ValueEnum};
use ox86_difftest::{coverage, engine_name, sweep, Case, Class, Config, Tester};
use ox86_engine::EngineKind;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    Interp,
    Jit,
    Both,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ClassArg {
    Int,
    Sse,
    X87,
    All,
}

/// Differential testing of ox86 against the host CPU.
#[derive(Parser, Debug)]
#[command(name = "ox86-difftest")]
struct Args {
    /// The sweep's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sequences to run.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Engines to test.
    #[arg(long, value_enum, default_value_t = EngineArg::Both)]
    engine: EngineArg,
    /// Instruction classes to generate.
    #[arg(long, value_enum, default_value_t = ClassArg::All)]
    class: ClassArg,
    /// Longest sequence (1..=16).
    #[arg(long, default_value_t = 16)]
    max_len: usize,
    /// Stop after this many mismatches.
    #[arg(long, default_value_t = 20)]
    max_mismatches: usize,
    /// Print the coverage report after the sweep.
    #[arg(long)]
    coverage: bool,
    /// Print each case to stderr before running it.
    #[arg(long)]
    trace: bool,
    /// Run one regression row (as printed for a mismatch) instead of a sweep.
    #[arg(long)]
    case: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let engines = match args.engine {
        EngineArg::Interp => vec![EngineKind::Interp],
        EngineArg::Jit => vec![EngineKind::Jit],
        EngineArg::Both => vec![EngineKind::Interp, EngineKind::Jit],
    };
    let classes = match args.class {
        ClassArg::Int => vec![Class::Int],
        ClassArg::Sse => vec![Class::Sse],
        ClassArg::X87 => vec![Class::X87],
        ClassArg::All => Class::ALL.to_vec(),
    };
    let mut tester = match Tester::new(&engines) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ox86-difftest: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(row) = &args.case {
        return run_case(&mut tester, row);
    }
    let cfg = Config {
        seed: args.seed,
        count: args.count,
        classes: classes.clone(),
        max_len: args.max_len.clamp(1, 16),
        max_mismatches: args.max_mismatches,
        trace: args.trace,
    };
    let t0 = Instant::now();
    let r = sweep(&cfg, &mut tester, |m| println!("{}", m.report()));
    let secs = t0.elapsed().as_secs_f64();
    for e in &r.errors {
        println!("error: {e}");
    }
    if args.coverage {
        print!("{}", coverage(&classes, &r.generated));
    }
    println!(
        "seed {}: {} sequences, {} instructions ({} sequences faulted natively) in {:.1} s ({:.0} sequences/s); {} mismatches ({} more repeating them), {} errors",
        cfg.seed,
        r.sequences,
        r.instructions,
        r.faulted,
        secs,
        r.sequences as f64 / secs,
        r.mismatches.len(),
        r.repeats,
        r.errors.len()
    );
    if r.mismatches.is_empty() && r.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_case(tester: &mut Tester, row: &str) -> ExitCode {
    let case = match Case::parse(row) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ox86-difftest: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!(
        "sequence:\n{}initial state:\n{}",
        case.disassembly(),
        case.state_text()
    );
    match tester.check(&case, None) {
        Ok(results) => {
            let mut ok = true;
            for (k, d) in results {
                if d.is_empty() {
                    println!("{}: same as the host", engine_name(k));
                } else {
                    ok = false;
                    println!("{}: differs:", engine_name(k));
                    for line in d {
                        println!("  {line}");
                    }
                }
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("ox86-difftest: {e}");
            ExitCode::FAILURE
        }
    }
}
