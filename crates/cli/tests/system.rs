//! System-mode suite: every `tests/system/*.S` is built into a kernel by
//! `tests/system/build` and booted with `ox86-system` under each engine;
//! its serial output and exit status (through isa-debug-exit) must be what
//! the file's directives say. Where `qemu-system-x86_64` is installed, the
//! Multiboot kernels are checked under it too (that checks the tests).
//!
//! Directives, in comments, one per `ox86-test:`: `exit=N` (the status
//! isa-debug-exit gives: (V << 1) | 1), `expect=LINE` (the serial output,
//! line by line), `stdin=TEXT` (typed on the console; `\n` for newline),
//! `seconds=S` (the run lasts S seconds of host time within 10%), `idle`
//! (the CPU mostly sleeps: CPU time under half the host time), `elf64` (a plain x86-64 ELF, not Multiboot),
//! `reboot` (run without `-no-reboot`: a reset boots the kernel again),
//! `append=TEXT` (the kernel command line) and `timeout=SECS`.
//!
//! Knobs: `OX86_TEST_FILTER` (comma-separated substrings of kernel names),
//! `OX86_ENGINES` (default `interp,jit`; `qemu` forces the QEMU check).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// What a kernel's directives ask for.
#[derive(Debug, Default)]
struct Spec {
    exit: i32,
    expect: Vec<String>,
    stdin: String,
    seconds: Option<f64>,
    idle: bool,
    elf64: bool,
    reboot: bool,
    append: Option<String>,
    timeout: u64,
}

fn parse_spec(src: &str) -> Spec {
    let mut s = Spec {
        exit: 1,
        timeout: 30,
        ..Default::default()
    };
    for line in src.lines() {
        let Some((_, d)) = line.split_once("ox86-test:") else {
            continue;
        };
        let d = d.trim().trim_end_matches("*/").trim_end();
        let (key, val) = d.split_once('=').unwrap_or((d, ""));
        match key {
            "exit" => s.exit = val.parse().expect("exit=N"),
            "expect" => s.expect.push(val.to_string()),
            "stdin" => s.stdin = val.replace("\\n", "\n"),
            "seconds" => s.seconds = Some(val.parse().expect("seconds=S")),
            "idle" => s.idle = true,
            "elf64" => s.elf64 = true,
            "reboot" => s.reboot = true,
            "append" => s.append = Some(val.to_string()),
            "timeout" => s.timeout = val.parse().expect("timeout=SECS"),
            other => panic!("unknown directive `{other}`"),
        }
    }
    s
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/system")
}

/// Builds every kernel once; returns the output directory.
fn kernels() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = std::env::temp_dir().join(format!("ox86-system-kernels-{}", std::process::id()));
        let st = Command::new("sh")
            .arg(tests_dir().join("build"))
            .arg(&out)
            .status()
            .expect("run tests/system/build (needs sh, gcc, ld)");
        assert!(st.success(), "building the test kernels failed");
        out
    })
}

/// One run's results.
struct Run {
    stdout: String,
    stderr: String,
    status: Option<i32>,
    elapsed: Duration,
    cpu: Duration,
}

/// Runs `cmd` with `stdin` typed in, killing it after `limit`; measures
/// host time and the child's CPU time.
fn run(mut cmd: Command, stdin: &str, limit: Duration) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    // Reaped below with wait4 (which also gives its CPU time).
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.to_string();
    thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let drain = |mut p: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = Vec::new();
            let _ = p.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let pid = child.id() as libc::pid_t;
    let (status, cpu) = loop {
        let mut st = 0;
        // SAFETY: a zeroed rusage is valid; wait4 fills it for our child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, non-blocking.
        let r = unsafe { libc::wait4(pid, &mut st, libc::WNOHANG, &mut ru) };
        if r == pid {
            let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
            let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
            let status = libc::WIFEXITED(st).then(|| libc::WEXITSTATUS(st));
            break (status, cpu);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
        }
        thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    Run {
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        status,
        elapsed,
        cpu,
    }
}

/// Checks one run against the spec; returns what is wrong. `reference`
/// runs (QEMU, with its firmware first) may print more before the kernel
/// and take longer to start.
fn check(name: &str, how: &str, spec: &Spec, r: &Run, reference: bool) -> Vec<String> {
    let exact_output = !reference;
    let mut bad = Vec::new();
    let want: String = spec.expect.iter().map(|l| format!("{l}\n")).collect();
    let got = r.stdout.replace("\r\n", "\n");
    let output_ok = if exact_output {
        got == want
    } else {
        got.ends_with(&want)
    };
    if !output_ok {
        bad.push(format!(
            "{name} ({how}): serial output differs\n--- expected\n{want}--- got\n{got}--- stderr\n{}",
            r.stderr
        ));
    }
    if r.status != Some(spec.exit) {
        bad.push(format!(
            "{name} ({how}): status {:?}, expected {} (stderr: {})",
            r.status, spec.exit, r.stderr
        ));
    }
    if let Some(s) = spec.seconds.filter(|_| !reference) {
        let t = r.elapsed.as_secs_f64();
        if (t - s).abs() > s * 0.1 {
            bad.push(format!(
                "{name} ({how}): took {t:.3} s of host time, expected {s} s within 10%"
            ));
        }
    }
    if spec.idle && !reference {
        let t = r.elapsed.as_secs_f64();
        if r.cpu.as_secs_f64() > t * 0.5 {
            bad.push(format!(
                "{name} ({how}): used {:.3} s of CPU in {t:.3} s: the halted CPU should sleep",
                r.cpu.as_secs_f64()
            ));
        }
    }
    bad
}

fn qemu_available() -> bool {
    Command::new("qemu-system-x86_64")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn kernels_boot_and_pass() {
    let filter: Vec<String> = std::env::var("OX86_TEST_FILTER")
        .map(|f| f.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let engines: Vec<String> = std::env::var("OX86_ENGINES")
        .unwrap_or_else(|_| "interp,jit".into())
        .split(',')
        .map(str::to_string)
        .collect();
    let mut sources: Vec<PathBuf> = fs::read_dir(tests_dir())
        .expect("tests/system")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "S"))
        .collect();
    sources.sort();
    let qemu = engines.iter().any(|e| e == "qemu") || qemu_available();
    let mut failures = Vec::new();
    let mut ran = 0;
    for src in sources {
        let name = src.file_stem().unwrap().to_string_lossy().into_owned();
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let spec = parse_spec(&fs::read_to_string(&src).expect("read kernel source"));
        let kernel = kernels().join(format!("{name}.elf"));
        let limit = Duration::from_secs(spec.timeout);
        for engine in engines.iter().filter(|e| *e != "qemu") {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ox86-system"));
            cmd.arg("-kernel")
                .arg(&kernel)
                .args(["-nographic", "-m", "64", "--engine", engine]);
            if !spec.reboot {
                cmd.arg("-no-reboot");
            }
            if let Some(a) = &spec.append {
                cmd.args(["-append", a]);
            }
            // Timing is measured on a shared host: a slow run gets two more tries.
            let tries = if spec.seconds.is_some() || spec.idle {
                3
            } else {
                1
            };
            let mut bad = Vec::new();
            for _ in 0..tries {
                let mut c = Command::new(cmd.get_program());
                c.args(cmd.get_args());
                let r = run(c, &spec.stdin, limit);
                bad = check(&name, engine, &spec, &r, false);
                if bad.is_empty() {
                    break;
                }
            }
            failures.extend(bad);
            ran += 1;
        }
        if qemu && !spec.elf64 {
            let mut cmd = Command::new("qemu-system-x86_64");
            cmd.arg("-kernel").arg(&kernel).args([
                "-display",
                "none",
                "-serial",
                "stdio",
                "-monitor",
                "none",
                "-m",
                "64",
                "-device",
                "isa-debug-exit,iobase=0xf4,iosize=0x04",
            ]);
            if !spec.reboot {
                cmd.arg("-no-reboot");
            }
            if let Some(a) = &spec.append {
                cmd.args(["-append", a]);
            }
            let r = run(cmd, &spec.stdin, limit);
            failures.extend(check(&name, "qemu", &spec, &r, true));
        }
    }
    let _ = fs::remove_dir_all(kernels());
    assert!(
        ran > 0 || !filter.is_empty(),
        "no system-mode kernels found"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
