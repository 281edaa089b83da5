//! `ox86 [OPTIONS] PROGRAM [ARGS...]`: runs a Linux x86-64 program under
//! ox86 (user mode). Argument parsing only; the work is in the crates.

use clap::{Parser, ValueEnum};
use ox86_engine::{Engine, EngineKind, EngineOptions, LogMask, LogSink};
use ox86_linux::{Process, RunOptions};
use std::process::ExitCode;

/// The execution engine.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    /// The x86-64 JIT (default).
    Jit,
    /// The IR interpreter (reference engine).
    Interp,
}

/// Run a Linux x86-64 program under ox86.
#[derive(Parser, Debug)]
#[command(name = "ox86", version, about)]
struct Args {
    /// Execution engine.
    #[arg(long, value_enum, default_value = "jit")]
    engine: EngineArg,
    /// Log items, comma separated: in_asm, op, op_opt, out_asm, exec.
    #[arg(short = 'd', value_name = "ITEMS")]
    log: Option<String>,
    /// Write the -d log to FILE instead of stderr.
    #[arg(short = 'D', value_name = "FILE")]
    log_file: Option<String>,
    /// Print each system call with its arguments and result.
    #[arg(long)]
    strace: bool,
    /// Print engine statistics at exit.
    #[arg(long)]
    stats: bool,
    /// Translate one guest instruction per TB (debugging).
    #[arg(long)]
    one_insn_per_tb: bool,
    /// JIT debugging: run the first N TBs under both the JIT and the
    /// interpreter and report the first difference (default N: 100000).
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "100000")]
    compare_engines: Option<u64>,
    /// JIT code cache size in KiB, at least 64 (flushed whole when full;
    /// default 262144).
    #[arg(long, value_name = "KIB")]
    code_cache: Option<usize>,
    /// argv[0] for the guest (default: PROGRAM).
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,
    /// The program to run, then its arguments (everything after PROGRAM
    /// goes to the guest, options included).
    #[arg(
        value_name = "PROGRAM [ARGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (program, guest_args) = args.command.split_first().expect("clap requires PROGRAM");
    let log = match args.log.as_deref().map(LogMask::parse).transpose() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            eprintln!("ox86: {e}");
            return ExitCode::from(1);
        }
    };
    let sink = match &args.log_file {
        None => LogSink::Stderr,
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => LogSink::File(f),
            Err(e) => {
                eprintln!("ox86: cannot create log file `{path}`: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let kind = match args.engine {
        EngineArg::Jit => EngineKind::Jit,
        EngineArg::Interp => EngineKind::Interp,
    };
    let engine = match Engine::new(
        EngineOptions {
            kind,
            log,
            one_insn_per_tb: args.one_insn_per_tb,
            stats: args.stats,
            compare_engines: args.compare_engines.unwrap_or(0),
            code_cache_size: args.code_cache.map_or(0, |k| k << 10),
        },
        sink,
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ox86: {e}");
            return ExitCode::from(1);
        }
    };
    let mut self_cmd = vec![
        std::env::current_exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "ox86".into()),
        "--engine".into(),
        format!("{:?}", args.engine).to_lowercase(),
    ];
    if args.strace {
        self_cmd.push("--strace".into());
    }
    if args.stats {
        self_cmd.push("--stats".into());
    }
    if let Some(k) = args.code_cache {
        self_cmd.push(format!("--code-cache={k}"));
    }
    if args.one_insn_per_tb {
        self_cmd.push("--one-insn-per-tb".into());
    }
    let opts = RunOptions {
        strace: args.strace,
        stats: args.stats,
        self_cmd,
        argv0: args.argv0.clone(),
    };
    let envs: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    match Process::load(engine, program, guest_args, &envs, &opts) {
        Ok((process, cpu)) => process.run(cpu),
        Err(e) => {
            eprintln!("ox86: {e}");
            ExitCode::from(1)
        }
    }
}
