//! `ox86 [OPTIONS] PROGRAM [ARGS...]`: runs a Linux x86-64 program under
//! ox86 (user mode). Argument parsing only; the work is in the crates.

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, ValueEnum};
use ox86_engine::{CompileThread, Engine, EngineKind, EngineOptions, LogMask, LogSink};
use ox86_linux::{Process, RunOptions, Sysroot};
use std::process::ExitCode;

/// The execution engine.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    /// The x86-64 JIT (default).
    Jit,
    /// The IR interpreter (reference engine).
    Interp,
}

/// When the JIT compiles on a second host thread.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompileThreadArg {
    /// When a CPU is idle for it.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
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
    /// List each compiled TB in /tmp/perf-PID.map, so that `perf report`
    /// names JIT samples by guest pc (JIT engine).
    #[arg(long)]
    perfmap: bool,
    /// JIT: compile a TB when it runs for the Nth time; its earlier runs
    /// use the interpreter (1: compile every TB at once).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    jit_after: u32,
    /// JIT: compile on a second host thread while the guest runs, in the
    /// interpreter for code still waiting: `auto` when a CPU is idle for
    /// it as the program starts, `on` always, `off` never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    compile_thread: CompileThreadArg,
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
    #[arg(short = '0', long, value_name = "NAME")]
    argv0: Option<String>,
    /// Prefix for absolute paths the guest opens: the interpreter and
    /// libraries are looked up under PATH first (a sysroot).
    #[arg(short = 'L', value_name = "PATH")]
    sysroot: Option<String>,
    /// Set VAR to VALUE in the guest environment (repeatable).
    #[arg(short = 'E', value_name = "VAR=VALUE")]
    set_env: Vec<String>,
    /// Remove VAR from the guest environment (repeatable).
    #[arg(short = 'U', value_name = "VAR")]
    unset_env: Vec<String>,
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

/// The guest environment: ox86's own, changed by the -E and -U options in
/// the order they were given.
fn guest_env(matches: &ArgMatches) -> Vec<String> {
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let edits = |id: &str| -> Vec<(usize, String)> {
        match (matches.indices_of(id), matches.get_many::<String>(id)) {
            (Some(i), Some(v)) => i.zip(v.cloned()).collect(),
            _ => Vec::new(),
        }
    };
    let mut all: Vec<(usize, bool, String)> = edits("set_env")
        .into_iter()
        .map(|(i, v)| (i, true, v))
        .chain(edits("unset_env").into_iter().map(|(i, v)| (i, false, v)))
        .collect();
    all.sort_by_key(|e| e.0);
    for (_, set, item) in all {
        if set {
            let (k, v) = item.split_once('=').unwrap_or((&item, ""));
            match env.iter_mut().find(|e| e.0 == k) {
                Some(e) => e.1 = v.to_string(),
                None => env.push((k.to_string(), v.to_string())),
            }
        } else {
            env.retain(|e| e.0 != item);
        }
    }
    env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

fn main() -> ExitCode {
    ox86_engine::warm::start();
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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
            perfmap: args.perfmap,
            jit_after: args.jit_after,
            compile_thread: match args.compile_thread {
                CompileThreadArg::Auto => CompileThread::Auto,
                CompileThreadArg::On => CompileThread::On,
                CompileThreadArg::Off => CompileThread::Off,
            },
            patch_back_edges: true,
        },
        sink,
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ox86: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = RunOptions {
        strace: args.strace,
        stats: args.stats,
        argv0: args.argv0.clone(),
        sysroot: Sysroot::new(args.sysroot.as_deref()),
    };
    let envs = guest_env(&matches);
    match Process::load(engine, program, guest_args, &envs, &opts) {
        Ok((process, cpu)) => process.run(cpu),
        Err(e) => {
            eprintln!("ox86: {e}");
            ExitCode::from(1)
        }
    }
}
