//! Guest-program suite: every `tests/guest/*.c` and `tests/guest/*.S` is built in several
//! variants (gcc/musl, static/static-pie/dynamically linked, -O0/-O2; asm with `-nostdlib`),
//! run natively and under each engine, and the runs must agree byte for byte on stdout, stderr
//! and exit status.
//!
//! Knobs (environment variables):
//! - `OX86_ENGINES`: comma-separated engines to compare with the native run (default
//!   `interp,jit,jit-tiered`). A name runs `ox86 --engine NAME` (`jit` with `--jit-after=1`, so
//!   that every TB is compiled before it runs; `jit-tiered` is the JIT as run by default with
//!   the compile thread, code interpreted until it is compiled there); `native` runs the binary again directly and
//!   `qemu` runs it under `qemu-x86_64` (both check the tests themselves, not ox86).
//! - `OX86_TEST_FILTER`: comma-separated substrings; only programs whose name contains one run.
//! - `OX86_TEST_VARIANTS`: comma-separated variant names to build (default: all).
//! - `OX86_TEST_JOBS`: worker threads (default 2).
//! - `OX86_TEST_TIMEOUT`: seconds one run may take before it is killed (default 60).
//!
//! A program may carry one directive line `ox86-test: TOKEN...` with tokens `exit=N` or
//! `signal=N` (expected native status; default `exit=0`), `skip=PREFIX` (variants whose name
//! starts with PREFIX are not built) and `timeout=SECS`.

mod common;

use common::{run, Outcome, Status};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// Engines compared with the native run when `OX86_ENGINES` is unset.
const DEFAULT_ENGINES: &[&str] = &["interp", "jit", "jit-tiered"];
/// Worker threads when `OX86_TEST_JOBS` is unset.
const DEFAULT_JOBS: usize = 2;
/// Per-run time limit in seconds when neither `OX86_TEST_TIMEOUT` nor a directive sets one.
const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// How many of the slowest runs the report lists.
const SLOWEST_SHOWN: usize = 15;
/// Arguments after argv[0] given to every guest program.
const GUEST_ARGS: &[&str] = &["alpha", "beta gamma", ""];
/// The whole environment of every guest run.
const GUEST_ENV: &[(&str, &str)] = &[
    ("PATH", "/usr/bin:/bin"),
    ("LANG", "C"),
    ("HOME", "/"),
    ("OX86_GUEST_TEST", "1"),
];
/// Bytes fed to every guest run on stdin.
const GUEST_STDIN: &str = "first line of stdin\nsecond line\n";
/// Flags for every C variant.
const C_FLAGS: &[&str] = &["-g0", "-Wall", "-D_GNU_SOURCE", "-pthread"];
/// Libraries for every C variant (after the source).
const C_LIBS: &[&str] = &["-lm"];

/// Source language of a guest program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    /// `*.c`, linked with a libc.
    C,
    /// `*.S` with its own `_start`, no libc.
    Asm,
}

/// One way of building a guest program.
struct Variant {
    name: &'static str,
    lang: Lang,
    cc: &'static str,
    flags: &'static [&'static str],
}

/// Every build variant; C programs get the `Lang::C` ones, asm programs the `Lang::Asm` one.
const VARIANTS: &[Variant] = &[
    Variant {
        name: "gcc-O0",
        lang: Lang::C,
        cc: "gcc",
        flags: &["-static", "-O0"],
    },
    Variant {
        name: "gcc-O2",
        lang: Lang::C,
        cc: "gcc",
        flags: &["-static", "-O2"],
    },
    Variant {
        name: "gcc-pie-O0",
        lang: Lang::C,
        cc: "gcc",
        flags: &["-static-pie", "-O0"],
    },
    Variant {
        name: "gcc-pie-O2",
        lang: Lang::C,
        cc: "gcc",
        flags: &["-static-pie", "-O2"],
    },
    Variant {
        name: "gcc-dyn-O2",
        lang: Lang::C,
        cc: "gcc",
        flags: &["-O2"],
    },
    Variant {
        name: "musl-O0",
        lang: Lang::C,
        cc: "musl-gcc",
        flags: &["-static", "-O0"],
    },
    Variant {
        name: "musl-O2",
        lang: Lang::C,
        cc: "musl-gcc",
        flags: &["-static", "-O2"],
    },
    Variant {
        name: "asm",
        lang: Lang::Asm,
        cc: "gcc",
        flags: &["-static", "-nostdlib", "-O0"],
    },
];

/// What runs a guest binary besides the native run.
#[derive(Clone, Debug)]
enum Engine {
    /// The binary run directly a second time (checks that the test is deterministic).
    Native,
    /// `qemu-x86_64 BINARY` (checks that the test makes sense under emulation).
    Qemu,
    /// `ox86 --engine NAME BINARY`.
    Ox86(String),
}

impl Engine {
    fn parse(name: &str) -> Engine {
        match name {
            "native" => Engine::Native,
            "qemu" => Engine::Qemu,
            other => Engine::Ox86(other.to_string()),
        }
    }

    fn name(&self) -> &str {
        match self {
            Engine::Native => "native",
            Engine::Qemu => "qemu",
            Engine::Ox86(name) => name,
        }
    }
}

/// A guest program found in `tests/guest`, with its directive.
struct Program {
    name: String,
    source: PathBuf,
    lang: Lang,
    expect: Status,
    skip: Vec<String>,
    timeout: Option<u64>,
}

impl Program {
    fn load(source: PathBuf) -> Result<Program, String> {
        let lang = match source.extension().and_then(|e| e.to_str()) {
            Some("c") => Lang::C,
            _ => Lang::Asm,
        };
        let name = source
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("{}: bad file name", source.display()))?
            .to_string();
        let text = fs::read_to_string(&source)
            .map_err(|e| format!("{}: cannot read: {e}", source.display()))?;
        let mut prog = Program {
            name,
            source,
            lang,
            expect: Status::Exit(0),
            skip: Vec::new(),
            timeout: None,
        };
        for line in text.lines() {
            let Some(pos) = line.find("ox86-test:") else {
                continue;
            };
            let rest = line[pos + "ox86-test:".len()..].trim_end_matches("*/");
            for token in rest.split_whitespace() {
                prog.directive(token)
                    .map_err(|e| format!("{}: {e}", prog.source.display()))?;
            }
        }
        Ok(prog)
    }

    fn directive(&mut self, token: &str) -> Result<(), String> {
        let (key, value) = token
            .split_once('=')
            .ok_or_else(|| format!("bad ox86-test token `{token}`"))?;
        let number = || {
            value
                .parse::<i64>()
                .map_err(|_| format!("bad number in `{token}`"))
        };
        match key {
            "exit" => self.expect = Status::Exit(number()? as i32),
            "signal" => self.expect = Status::Signal(number()? as i32),
            "skip" => self.skip.push(value.to_string()),
            "timeout" => self.timeout = Some(number()? as u64),
            _ => return Err(format!("unknown ox86-test token `{token}`")),
        }
        Ok(())
    }

    fn builds(&self, variant: &Variant) -> bool {
        variant.lang == self.lang && !self.skip.iter().any(|p| variant.name.starts_with(p))
    }
}

/// Settings shared by every job.
struct Config {
    guest_dir: PathBuf,
    work_dir: PathBuf,
    stdin_file: PathBuf,
    engines: Vec<Engine>,
    timeout: u64,
    newest_include: SystemTime,
}

/// One mismatch or error, with its one-line summary and full explanation.
struct Failure {
    summary: String,
    detail: String,
}

/// What checking one program variant produced.
#[derive(Default)]
struct JobResult {
    runs: usize,
    failures: Vec<Failure>,
    /// Wall time of each run, labelled `program [variant] engine`.
    timings: Vec<(Duration, String)>,
}

fn env_list(var: &str) -> Option<Vec<String>> {
    let value = std::env::var(var).ok()?;
    let items: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    (!items.is_empty()).then_some(items)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Compiles `prog` for `variant` unless an up-to-date binary built by the same command exists.
fn build(cfg: &Config, prog: &Program, variant: &Variant) -> Result<PathBuf, String> {
    let out_dir = cfg.work_dir.join("bin").join(variant.name);
    fs::create_dir_all(&out_dir).map_err(|e| format!("mkdir {}: {e}", out_dir.display()))?;
    let out = out_dir.join(&prog.name);
    let mut args: Vec<String> = variant.flags.iter().map(|s| s.to_string()).collect();
    if prog.lang == Lang::C {
        args.extend(C_FLAGS.iter().map(|s| s.to_string()));
    }
    args.push(format!("-I{}", cfg.guest_dir.display()));
    args.push("-o".into());
    args.push(out.display().to_string());
    args.push(prog.source.display().to_string());
    if prog.lang == Lang::C {
        args.extend(C_LIBS.iter().map(|s| s.to_string()));
    }
    let cmdline = format!("{} {}", variant.cc, args.join(" "));
    let stamp = out_dir.join(format!("{}.cmd", prog.name));
    let newest_input = mtime(&prog.source)
        .unwrap_or_else(SystemTime::now)
        .max(cfg.newest_include);
    let fresh = mtime(&out).is_some_and(|t| t >= newest_input)
        && fs::read_to_string(&stamp).is_ok_and(|s| s == cmdline);
    if fresh {
        return Ok(out);
    }
    let _ = fs::remove_file(&stamp);
    let result = Command::new(variant.cc)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e} (see tests/run for setup)", variant.cc))?;
    if !result.status.success() {
        return Err(format!(
            "build failed: {cmdline}\n{}",
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    fs::write(&stamp, &cmdline).map_err(|e| format!("write {}: {e}", stamp.display()))?;
    Ok(out)
}

/// Runs `binary` natively or under `engine` in a fresh, empty working directory.
fn run_guest(
    cfg: &Config,
    prog: &Program,
    variant: &Variant,
    engine: Option<&Engine>,
    binary: &Path,
) -> Result<Outcome, String> {
    let label = engine.map_or("native-ref", Engine::name);
    let scratch = cfg
        .work_dir
        .join("run")
        .join(variant.name)
        .join(&prog.name)
        .join(label);
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).map_err(|e| format!("mkdir {}: {e}", scratch.display()))?;
    let mut cmd = match engine {
        None | Some(Engine::Native) => Command::new(binary),
        Some(Engine::Qemu) => {
            let mut c = Command::new("qemu-x86_64");
            c.arg(binary);
            c
        }
        Some(Engine::Ox86(name)) => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_ox86"));
            match name.as_str() {
                // Every TB compiled, so that the JIT sees all the code (by
                // default start-up code runs first in the interpreter).
                "jit" => c.args(["--engine", "jit", "--jit-after=1"]),
                "jit-tiered" => c.args(["--engine", "jit", "--compile-thread=on"]),
                _ => c.arg("--engine").arg(name),
            };
            c.arg(binary);
            c
        }
    };
    let stdin = fs::File::open(&cfg.stdin_file)
        .map_err(|e| format!("open {}: {e}", cfg.stdin_file.display()))?;
    cmd.args(GUEST_ARGS)
        .env_clear()
        .envs(GUEST_ENV.iter().copied())
        .current_dir(&scratch)
        .stdin(stdin);
    let limit = Duration::from_secs(prog.timeout.unwrap_or(cfg.timeout));
    let mut outcome = run(&mut cmd, limit).map_err(|e| format!("cannot start {label}: {e}"))?;
    if matches!(engine, Some(Engine::Qemu)) {
        outcome.stderr = strip_lines(&outcome.stderr, b"qemu: uncaught target signal");
    }
    let _ = fs::remove_dir_all(&scratch);
    Ok(outcome)
}

fn strip_lines(text: &[u8], prefix: &[u8]) -> Vec<u8> {
    text.split_inclusive(|&b| b == b'\n')
        .filter(|line| !line.starts_with(prefix))
        .flatten()
        .copied()
        .collect()
}

fn show_line(line: &[u8]) -> String {
    const MAX: usize = 160;
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches('\n');
    if text.chars().count() > MAX {
        format!("{}...", text.chars().take(MAX).collect::<String>())
    } else {
        text.to_string()
    }
}

/// A short unified-diff-like view of the first difference between `want` and `got`.
fn diff(stream: &str, engine: &str, want: &[u8], got: &[u8]) -> String {
    const CONTEXT: usize = 3;
    const SHOWN: usize = 8;
    let a: Vec<&[u8]> = want.split_inclusive(|&b| b == b'\n').collect();
    let b: Vec<&[u8]> = got.split_inclusive(|&b| b == b'\n').collect();
    let first = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = format!(
        "  {stream} differs at line {} (native {} lines / {} bytes, {engine} {} lines / {} bytes)\n",
        first + 1,
        a.len(),
        want.len(),
        b.len(),
        got.len()
    );
    for line in &a[first.saturating_sub(CONTEXT)..first] {
        let _ = writeln!(out, "     {}", show_line(line));
    }
    for line in a.iter().skip(first).take(SHOWN) {
        let _ = writeln!(out, "    -{}", show_line(line));
    }
    for line in b.iter().skip(first).take(SHOWN) {
        let _ = writeln!(out, "    +{}", show_line(line));
    }
    let tail = |lines: &[&[u8]]| lines.last().is_some_and(|l| !l.ends_with(b"\n"));
    if first == a.len().min(b.len()) && tail(&a) != tail(&b) {
        out.push_str("    (difference in the final newline)\n");
    }
    out
}

/// The first line of `got` that differs from `want`, for one-line summaries.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let mut a = want.split_inclusive(|&b| b == b'\n');
    got.split_inclusive(|&b| b == b'\n')
        .find(|line| a.next() != Some(*line))
        .map(show_line)
        .unwrap_or_default()
}

/// Compares an engine's run with the native one; returns the failure, if any.
fn compare(who: &str, engine: &str, native: &Outcome, other: &Outcome) -> Option<Failure> {
    let mut reasons = Vec::new();
    let mut detail = String::new();
    if native.status != other.status {
        reasons.push(format!(
            "status: native {}, {engine} {}",
            native.status, other.status
        ));
        let _ = writeln!(
            detail,
            "  exit status: native {}, {engine} {}",
            native.status, other.status
        );
    }
    if native.stdout != other.stdout {
        reasons.push("stdout differs".to_string());
        detail.push_str(&diff("stdout", engine, &native.stdout, &other.stdout));
    }
    if native.stderr != other.stderr {
        let line = first_difference(&native.stderr, &other.stderr);
        reasons.push(if line.is_empty() {
            "stderr differs".to_string()
        } else {
            format!("stderr differs: {line}")
        });
        detail.push_str(&diff("stderr", engine, &native.stderr, &other.stderr));
    }
    if reasons.is_empty() {
        return None;
    }
    Some(Failure {
        summary: format!("{who} under {engine}: {}", reasons.join("; ")),
        detail: format!("FAIL {who} under {engine}\n{detail}"),
    })
}

/// Builds one program variant, runs it natively and under every engine, and compares.
fn check_one(cfg: &Config, prog: &Program, variant: &Variant) -> JobResult {
    let who = format!("{} [{}]", prog.name, variant.name);
    let mut result = JobResult::default();
    let fail = |summary: String, detail: String| Failure { summary, detail };
    let binary = match build(cfg, prog, variant) {
        Ok(b) => b,
        Err(e) => {
            let line = format!("{who}: {}", e.lines().next().unwrap_or_default());
            result.failures.push(fail(line, format!("FAIL {who}\n{e}")));
            return result;
        }
    };
    let mut timed = |engine: Option<&Engine>| {
        let start = Instant::now();
        let outcome = run_guest(cfg, prog, variant, engine, &binary);
        let label = format!("{who} {}", engine.map_or("native", Engine::name));
        result.timings.push((start.elapsed(), label));
        result.runs += 1;
        outcome
    };
    let native = match timed(None) {
        Ok(o) => o,
        Err(e) => {
            result
                .failures
                .push(fail(format!("{who}: {e}"), format!("FAIL {who}: {e}")));
            return result;
        }
    };
    let mut failures = Vec::new();
    if native.status != prog.expect {
        let summary = format!(
            "{who}: native run ended with {}, expected {} (broken test?)",
            native.status, prog.expect
        );
        let detail = format!(
            "FAIL {summary}\n  stdout tail:\n{}\n  stderr:\n{}",
            tail_text(&native.stdout),
            tail_text(&native.stderr)
        );
        failures.push(fail(summary, detail));
    }
    for engine in &cfg.engines {
        match timed(Some(engine)) {
            Ok(other) => failures.extend(compare(&who, engine.name(), &native, &other)),
            Err(e) => failures.push(fail(format!("{who}: {e}"), format!("FAIL {who}: {e}"))),
        }
    }
    result.failures = failures;
    result
}

fn tail_text(text: &[u8]) -> String {
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let start = lines.len().saturating_sub(10);
    lines[start..]
        .iter()
        .map(|l| format!("    {}\n", show_line(l)))
        .collect()
}

fn find_programs(guest_dir: &Path) -> Vec<Program> {
    let mut sources: Vec<PathBuf> = fs::read_dir(guest_dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", guest_dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("c" | "S")))
        .collect();
    sources.sort();
    let filter = env_list("OX86_TEST_FILTER");
    let mut names = BTreeSet::new();
    let mut programs = Vec::new();
    for source in sources {
        let prog = Program::load(source).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            names.insert(prog.name.clone()),
            "two guest programs are named `{}`",
            prog.name
        );
        if filter
            .as_ref()
            .is_none_or(|f| f.iter().any(|s| prog.name.contains(s.as_str())))
        {
            programs.push(prog);
        }
    }
    programs
}

fn newest_include(guest_dir: &Path) -> SystemTime {
    fs::read_dir(guest_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("h" | "inc")))
        .filter_map(|p| mtime(&p))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

#[test]
fn guest_programs_match_native() {
    common::disable_core_dumps();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guest_dir = root.join("tests/guest");
    let guest_dir = guest_dir.canonicalize().unwrap_or(guest_dir);
    // The profile directory of the ox86 under test keeps debug and release runs apart.
    let profile = Path::new(env!("CARGO_BIN_EXE_ox86"))
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("ox86")
        .to_string();
    let work_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("guest-{profile}"));
    fs::create_dir_all(&work_dir).expect("create the guest work directory");
    let stdin_file = work_dir.join("stdin.txt");
    fs::write(&stdin_file, GUEST_STDIN).expect("write the guest stdin file");

    let engines = env_list("OX86_ENGINES")
        .unwrap_or_else(|| DEFAULT_ENGINES.iter().map(|e| e.to_string()).collect())
        .iter()
        .map(|s| Engine::parse(s))
        .collect();
    let timeout = std::env::var("OX86_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    let jobs_wanted = std::env::var("OX86_TEST_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_JOBS)
        .max(1);
    let variants = env_list("OX86_TEST_VARIANTS");
    let cfg = Config {
        newest_include: newest_include(&guest_dir),
        guest_dir: guest_dir.clone(),
        work_dir: work_dir.clone(),
        stdin_file,
        engines,
        timeout,
    };

    let programs = find_programs(&guest_dir);
    assert!(
        !programs.is_empty() || std::env::var("OX86_TEST_FILTER").is_ok(),
        "no guest programs in {}",
        guest_dir.display()
    );
    let jobs: Vec<(&Program, &Variant)> = programs
        .iter()
        .flat_map(|p| VARIANTS.iter().map(move |v| (p, v)))
        .filter(|(p, v)| p.builds(v))
        .filter(|(_, v)| {
            variants
                .as_ref()
                .is_none_or(|l| l.iter().any(|n| n == v.name))
        })
        .collect();

    let next = AtomicUsize::new(0);
    let runs = AtomicUsize::new(0);
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let timings: Mutex<Vec<(Duration, String)>> = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..jobs_wanted.min(jobs.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(prog, variant)) = jobs.get(i) else {
                    break;
                };
                let result = check_one(&cfg, prog, variant);
                runs.fetch_add(result.runs, Ordering::Relaxed);
                for f in &result.failures {
                    eprintln!("{}", f.detail);
                }
                failures
                    .lock()
                    .expect("no worker panics")
                    .extend(result.failures);
                timings
                    .lock()
                    .expect("no worker panics")
                    .extend(result.timings);
            });
        }
    });

    let mut failures = failures.into_inner().expect("no worker panics");
    failures.sort_by(|a, b| a.summary.cmp(&b.summary));
    let engine_names: Vec<&str> = cfg.engines.iter().map(Engine::name).collect();
    let mut report = format!(
        "{} programs, {} builds, {} runs, engines: {}; {} failures\n",
        programs.len(),
        jobs.len(),
        runs.load(Ordering::Relaxed),
        engine_names.join(","),
        failures.len()
    );
    for f in &failures {
        let _ = writeln!(report, "{}", f.summary);
    }
    let mut timings = timings.into_inner().expect("no worker panics");
    timings.sort_by_key(|t| std::cmp::Reverse(t.0));
    let _ = writeln!(report, "\nslowest runs:");
    for (took, label) in timings.iter().take(SLOWEST_SHOWN) {
        let _ = writeln!(report, "  {:8.2}s {label}", took.as_secs_f64());
    }
    for f in &failures {
        let _ = writeln!(report, "\n{}", f.detail);
    }
    let report_file = work_dir.join("report.txt");
    let _ = fs::write(&report_file, &report);
    eprintln!("{}", report.lines().next().unwrap_or_default());
    if !failures.is_empty() {
        let list: Vec<&str> = failures.iter().map(|f| f.summary.as_str()).collect();
        panic!(
            "{} guest run(s) failed (details above and in {}):\n{}",
            failures.len(),
            report_file.display(),
            list.join("\n")
        );
    }
}
