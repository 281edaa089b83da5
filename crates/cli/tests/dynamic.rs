//! Dynamically linked programs and the qemu-user style options: a gcc-built dynamic program
//! runs under ox86 as natively (its interpreter maps the libraries), a missing or truncated
//! interpreter is a one-line error, `-L` prefers files under the prefix and falls back to the
//! plain path, `-E`/`-U` edit the guest environment in order, and `/proc/self/exe` and
//! AT_EXECFN name the guest program.

mod common;

use common::{run, Outcome, Status};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Time limit for one run in these tests.
const LIMIT: Duration = Duration::from_secs(60);
/// The interpreter gcc names in x86-64 programs.
const LD_SO: &str = "/lib64/ld-linux-x86-64.so.2";

/// Prints its `OX86_*` environment, `/proc/self/exe` seen through readlink and open,
/// AT_EXECFN, and the first line and access() of each file named on the command line.
const PROBE_C: &str = r#"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    extern char **environ;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "OX86_", 5) == 0)
            printf("env %s\n", *e);
    printf("argv0 %s\n", argv[0]);
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    printf("exe %s\n", buf);
    printf("execfn %s\n", (const char *)getauxval(AT_EXECFN));
    struct stat a, b;
    int fd = open("/proc/self/exe", O_RDONLY);
    int same = fd >= 0 && fstat(fd, &a) == 0 && stat(buf, &b) == 0 && a.st_ino == b.st_ino;
    printf("open /proc/self/exe is the program: %d\n", same);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            printf("%s: cannot open\n", argv[i]);
            continue;
        }
        if (fgets(buf, sizeof buf, f))
            printf("%s: %s", argv[i], buf);
        fclose(f);
        printf("%s: access %d\n", argv[i], access(argv[i], R_OK));
    }
    return 0;
}
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dynamic");
    fs::create_dir_all(&dir).expect("create the scratch directory");
    dir.join(name)
}

/// Engines to run guests under (`OX86_ENGINES`, default `interp,jit`).
fn engines() -> Vec<String> {
    std::env::var("OX86_ENGINES")
        .unwrap_or_else(|_| "interp,jit".to_string())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "native" && *s != "qemu")
        .map(String::from)
        .collect()
}

/// Builds `source` as a dynamically linked program with `extra` gcc flags.
fn build(name: &str, source: &str, extra: &[&str]) -> PathBuf {
    let src = scratch(&format!("{name}.c"));
    fs::write(&src, source).expect("write source");
    let bin = scratch(name);
    let status = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&bin)
        .arg(&src)
        .args(extra)
        .status()
        .expect("gcc is needed (see tests/run)");
    assert!(status.success(), "gcc failed to build {name}");
    bin
}

/// The probe program, built once per test run (the tests run in parallel); `-no-pie` gives
/// an ET_EXEC program at fixed addresses, the default a PIE placed like the kernel does.
fn probe(pie: bool) -> PathBuf {
    static PIE: OnceLock<PathBuf> = OnceLock::new();
    static NO_PIE: OnceLock<PathBuf> = OnceLock::new();
    if pie {
        PIE.get_or_init(|| build("probe", PROBE_C, &[])).clone()
    } else {
        NO_PIE
            .get_or_init(|| build("probe-no-pie", PROBE_C, &["-no-pie"]))
            .clone()
    }
}

fn ox86(engine: &str, opts: &[&str], bin: &Path, args: &[&str]) -> Outcome {
    common::disable_core_dumps();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ox86"));
    cmd.arg("--engine")
        .arg(engine)
        .args(opts)
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_BACKTRACE");
    run(&mut cmd, LIMIT).expect("start ox86")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn dynamic_program_matches_native() {
    for pie in [true, false] {
        let bin = probe(pie);
        let native = run(
            Command::new(&bin)
                .arg("/etc/passwd")
                .env("OX86_X", "1")
                .stdin(Stdio::null()),
            LIMIT,
        )
        .expect("run natively");
        assert_eq!(native.status, Status::Exit(0));
        for engine in engines() {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ox86"));
            cmd.args(["--engine", &engine])
                .arg(&bin)
                .arg("/etc/passwd")
                .env("OX86_X", "1")
                .stdin(Stdio::null());
            let out = run(&mut cmd, LIMIT).expect("start ox86");
            assert_eq!(
                (out.status, text(&out.stdout)),
                (native.status, text(&native.stdout)),
                "{} under {engine}; stderr: {}",
                bin.display(),
                text(&out.stderr)
            );
            assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
        }
    }
}

/// Checks a refusal: non-zero status, one line naming the interpreter, no panic.
fn assert_interp_refused(what: &str, out: &Outcome, interp: &str) {
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: ox86 panicked:\n{err}");
    assert!(
        matches!(out.status, Status::Exit(code) if code != 0),
        "{what}: expected a non-zero exit status, got {} ({err})",
        out.status
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
    assert!(
        err.contains("interpreter") && err.contains(interp),
        "{what}: the error names the interpreter: {err}"
    );
    assert!(out.stdout.is_empty(), "{what}: unexpected stdout");
    eprintln!("{what}: {}", err.trim_end());
}

#[test]
fn missing_or_truncated_interpreter_is_refused() {
    const HELLO: &str = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";
    let missing = "/nonexistent/ox86/ld.so";
    let bin = build(
        "missing-interp",
        HELLO,
        &[&format!("-Wl,--dynamic-linker={missing}")],
    );
    assert_interp_refused("missing interpreter", &ox86("jit", &[], &bin, &[]), missing);

    let real = fs::read(LD_SO).expect("the system's dynamic loader");
    for (what, len) in [("header only", 64), ("first page", 4096)] {
        let short = scratch(&format!("ld-{len}.so"));
        fs::write(&short, &real[..len]).expect("write a truncated loader");
        let short = short.to_str().expect("UTF-8 path");
        let bin = build(
            &format!("short-interp-{len}"),
            HELLO,
            &[&format!("-Wl,--dynamic-linker={short}")],
        );
        let out = ox86("jit", &[], &bin, &[]);
        assert_interp_refused(&format!("truncated interpreter ({what})"), &out, short);
    }
}

#[test]
fn sysroot_prefix_is_tried_first() {
    let root = scratch("sysroot");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("etc")).expect("mkdir sysroot/etc");
    fs::write(root.join("etc/ox86-probe"), "from the sysroot\n").expect("write probe file");
    let root_s = root.to_str().expect("UTF-8 path");
    let bin = probe(true);
    let want = format!(
        "argv0 {bin}\nexe {exe}\nexecfn {bin}\nopen /proc/self/exe is the program: 1\n\
         /etc/ox86-probe: from the sysroot\n/etc/ox86-probe: access 0\n\
         /etc/passwd: {passwd}/etc/passwd: access 0\n",
        bin = bin.display(),
        exe = fs::canonicalize(&bin).expect("canonical path").display(),
        passwd = fs::read_to_string("/etc/passwd")
            .expect("read /etc/passwd")
            .lines()
            .next()
            .map(|l| format!("{l}\n"))
            .unwrap_or_default()
    );
    for engine in engines() {
        let out = ox86(
            &engine,
            &["-L", root_s],
            &bin,
            &["/etc/ox86-probe", "/etc/passwd"],
        );
        assert_eq!(
            (out.status, text(&out.stdout)),
            (Status::Exit(0), want.clone()),
            "under {engine}; stderr: {}",
            text(&out.stderr)
        );
    }
    // An interpreter under the prefix wins over the host's: a broken one is refused.
    let lib64 = root.join("lib64");
    fs::create_dir_all(&lib64).expect("mkdir sysroot/lib64");
    fs::write(lib64.join("ld-linux-x86-64.so.2"), b"\x7fELF").expect("write a broken loader");
    let out = ox86("jit", &["-L", root_s], &bin, &[]);
    assert_interp_refused("broken interpreter in the sysroot", &out, LD_SO);
    assert!(text(&out.stderr).contains(root_s), "{}", text(&out.stderr));
}

#[test]
fn environment_options_apply_in_order() {
    let bin = probe(true);
    for engine in engines() {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ox86"));
        cmd.args(["--engine", &engine])
            .args(["-E", "OX86_A=1", "-E", "OX86_B=2", "-U", "OX86_A"])
            .args(["-E", "OX86_C=x=y", "-U", "OX86_KEEP_NOT", "-E", "OX86_B=3"])
            .args(["-0", "renamed"])
            .arg(&bin)
            .env_clear()
            .env("OX86_KEEP", "k")
            .env("OX86_KEEP_NOT", "gone")
            .stdin(Stdio::null());
        let out = run(&mut cmd, LIMIT).expect("start ox86");
        let stdout = text(&out.stdout);
        let env: Vec<&str> = stdout.lines().filter(|l| l.starts_with("env ")).collect();
        assert_eq!(
            env,
            ["env OX86_KEEP=k", "env OX86_B=3", "env OX86_C=x=y"],
            "under {engine}; stderr: {}",
            text(&out.stderr)
        );
        assert!(stdout.contains("argv0 renamed\n"), "-0: {stdout}");
        assert_eq!(out.status, Status::Exit(0));
    }
}
