//! Command-line behaviour of the `ox86` binary: programs it must refuse (missing, not ELF,
//! 32-bit, foreign machine, truncated, relocatable) end with a one-line
//! error and a non-zero status, never a panic; a hand-made minimal ELF runs; guest arguments
//! that look like options reach the guest; busybox applets agree with native runs.

mod common;

use common::{run, Outcome, Status};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Time limit for one `ox86` run in these tests.
const LIMIT: Duration = Duration::from_secs(60);
/// ELF constants (System V gABI and the x86-64 psABI).
const ET_EXEC: u16 = 2;
const ET_REL: u16 = 1;
const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const PT_LOAD: u32 = 1;
const PF_R_X: u32 = 5;
/// Where the hand-made executables are loaded.
const BASE: u64 = 0x40_0000;

fn ox86() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ox86"));
    cmd.stdin(Stdio::null()).env_remove("RUST_BACKTRACE");
    cmd
}

/// Engines to run guests under, as in the guest suite (`OX86_ENGINES`, default `interp,jit`).
fn engines() -> Vec<String> {
    std::env::var("OX86_ENGINES")
        .unwrap_or_else(|_| "interp,jit".to_string())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "native" && *s != "qemu")
        .map(String::from)
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    fs::create_dir_all(&dir).expect("create the scratch directory");
    dir.join(name)
}

fn write_exec(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch(name);
    fs::write(&path, bytes).expect("write a test file");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod a test file");
    path
}

/// An ELF64 header; the caller patches what a test needs.
fn ehdr64(machine: u16, kind: u16, entry: u64, phnum: u16) -> Vec<u8> {
    let mut h = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    h.resize(16, 0);
    h.extend_from_slice(&kind.to_le_bytes());
    h.extend_from_slice(&machine.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&entry.to_le_bytes());
    h.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    h.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    h.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    h.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    h.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
    h.extend_from_slice(&phnum.to_le_bytes());
    h.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    h.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    h.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    assert_eq!(h.len(), 64);
    h
}

fn phdr64_load(filesz: u64) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&PT_LOAD.to_le_bytes());
    p.extend_from_slice(&PF_R_X.to_le_bytes());
    p.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    p.extend_from_slice(&BASE.to_le_bytes()); // p_vaddr
    p.extend_from_slice(&BASE.to_le_bytes()); // p_paddr
    p.extend_from_slice(&filesz.to_le_bytes());
    p.extend_from_slice(&filesz.to_le_bytes()); // p_memsz
    p.extend_from_slice(&0x1000u64.to_le_bytes());
    assert_eq!(p.len(), 56);
    p
}

/// A complete static executable: write(1, "hi\n", 3); exit(7).
fn tiny_elf(machine: u16) -> Vec<u8> {
    let code: &[u8] = &[
        0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1 (write)
        0xbf, 0x01, 0x00, 0x00, 0x00, // mov edi, 1
        0x48, 0x8d, 0x35, 0x13, 0x00, 0x00, 0x00, // lea rsi, [rip + 19] (the message)
        0xba, 0x03, 0x00, 0x00, 0x00, // mov edx, 3
        0x0f, 0x05, // syscall
        0xb8, 0x3c, 0x00, 0x00, 0x00, // mov eax, 60 (exit)
        0xbf, 0x07, 0x00, 0x00, 0x00, // mov edi, 7
        0x0f, 0x05, // syscall
        b'h', b'i', b'\n',
    ];
    let size = (64 + 56 + code.len()) as u64;
    let mut elf = ehdr64(machine, ET_EXEC, BASE + 120, 1);
    elf.extend(phdr64_load(size));
    elf.extend_from_slice(code);
    elf
}

/// A 32-bit i386 executable header with one program header (the code never runs).
fn elf32_i386() -> Vec<u8> {
    let mut h = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0];
    h.resize(16, 0);
    h.extend_from_slice(&ET_EXEC.to_le_bytes());
    h.extend_from_slice(&EM_386.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0x0804_8054u32.to_le_bytes()); // e_entry
    h.extend_from_slice(&52u32.to_le_bytes()); // e_phoff
    h.extend_from_slice(&0u32.to_le_bytes()); // e_shoff
    h.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    h.extend_from_slice(&52u16.to_le_bytes()); // e_ehsize
    h.extend_from_slice(&32u16.to_le_bytes()); // e_phentsize
    h.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    h.extend_from_slice(&40u16.to_le_bytes()); // e_shentsize
    h.extend_from_slice(&[0; 4]); // e_shnum, e_shstrndx
    for v in [
        PT_LOAD,
        0,
        0x0804_8000,
        0x0804_8000,
        0x60,
        0x60,
        PF_R_X,
        0x1000,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&[
        0xb8, 0x01, 0, 0, 0, 0xcd, 0x80, 0x90, 0x90, 0x90, 0x90, 0x90,
    ]);
    h
}

fn run_ox86(args: &[&str]) -> Outcome {
    common::disable_core_dumps();
    let mut cmd = ox86();
    cmd.args(args);
    run(&mut cmd, LIMIT).expect("start ox86")
}

/// Checks the contract for refused inputs and returns the error line.
fn assert_refused(what: &str, out: &Outcome) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{what}: ox86 panicked:\n{stderr}"
    );
    assert!(
        matches!(out.status, Status::Exit(code) if code != 0),
        "{what}: expected a non-zero exit status, got {} (stderr: {stderr})",
        out.status
    );
    let text = stderr.trim_end();
    assert!(!text.is_empty(), "{what}: no error message on stderr");
    assert_eq!(
        text.lines().count(),
        1,
        "{what}: the error should be one line, got:\n{text}"
    );
    text.to_string()
}

fn refuse(what: &str, path: &Path) {
    let out = run_ox86(&[path.to_str().expect("UTF-8 path")]);
    let line = assert_refused(what, &out);
    assert!(out.stdout.is_empty(), "{what}: unexpected stdout");
    eprintln!("{what}: {line}");
}

#[test]
fn missing_file_is_refused() {
    refuse("missing file", Path::new("/nonexistent/ox86/program"));
}

#[test]
fn empty_file_is_refused() {
    refuse("empty file", &write_exec("empty", b""));
}

#[test]
fn directory_is_refused() {
    let dir = scratch("a-directory");
    fs::create_dir_all(&dir).expect("mkdir");
    refuse("directory", &dir);
}

#[test]
fn text_file_is_refused() {
    let path = write_exec("script.sh", b"#!/bin/sh\necho this is not an ELF file\n");
    refuse("text file", &path);
}

#[test]
fn elf32_is_refused() {
    refuse("32-bit ELF", &write_exec("elf32-i386", &elf32_i386()));
}

#[test]
fn foreign_machine_is_refused() {
    refuse(
        "AArch64 ELF",
        &write_exec("elf64-aarch64", &tiny_elf(EM_AARCH64)),
    );
}

#[test]
fn truncated_program_headers_are_refused() {
    let mut elf = ehdr64(EM_X86_64, ET_EXEC, BASE + 120, 3);
    elf.extend_from_slice(&phdr64_load(200)[..20]);
    refuse("truncated program header", &write_exec("truncated", &elf));
}

#[test]
fn truncated_header_is_refused() {
    let elf = ehdr64(EM_X86_64, ET_EXEC, BASE, 1);
    refuse(
        "truncated ELF header",
        &write_exec("short-header", &elf[..40]),
    );
}

#[test]
fn relocatable_object_is_refused() {
    let mut elf = ehdr64(EM_X86_64, ET_REL, 0, 0);
    elf[32..40].copy_from_slice(&0u64.to_le_bytes()); // no program headers at all
    refuse("relocatable object", &write_exec("object.o", &elf));
}

#[test]
fn no_program_is_a_usage_error() {
    let out = run_ox86(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "ox86 panicked:\n{stderr}");
    assert!(
        matches!(out.status, Status::Exit(code) if code != 0),
        "expected a usage error, got {}",
        out.status
    );
}

#[test]
fn tiny_static_elf_runs() {
    let path = write_exec("tiny", &tiny_elf(EM_X86_64));
    let native = run(&mut Command::new(&path), LIMIT).expect("run natively");
    assert_eq!(native.status, Status::Exit(7));
    assert_eq!(native.stdout, b"hi\n");
    for engine in engines() {
        let out = run_ox86(&["--engine", &engine, path.to_str().expect("UTF-8 path")]);
        assert_eq!(
            (out.status, out.stdout.as_slice()),
            (Status::Exit(7), b"hi\n".as_slice()),
            "tiny ELF under {engine}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Builds (once per test run) a static program that prints its arguments.
fn echo_args_binary() -> PathBuf {
    let src = scratch("echo_args.c");
    fs::write(
        &src,
        "#include <stdio.h>\n\
         int main(int argc, char **argv) {\n\
         for (int i = 1; i < argc; i++) printf(\"[%s]\\n\", argv[i]);\n\
         return argc;\n}\n",
    )
    .expect("write source");
    let bin = scratch("echo_args");
    let status = Command::new("gcc")
        .args(["-static", "-O1", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .expect("gcc is needed (see tests/run)");
    assert!(status.success(), "gcc failed");
    bin
}

#[test]
fn guest_options_reach_the_guest() {
    let bin = echo_args_binary();
    let guest_args = [
        "-d", "in_asm", "--engine", "jit", "--strace", "-D", "x", "--", "-",
    ];
    for engine in engines() {
        let mut cmd = ox86();
        cmd.arg("--engine").arg(&engine).arg(&bin).args(guest_args);
        let out = run(&mut cmd, LIMIT).expect("start ox86");
        let want: String = guest_args.iter().map(|a| format!("[{a}]\n")).collect();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            want,
            "under {engine}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status, Status::Exit(guest_args.len() as i32 + 1));
        assert!(out.stderr.is_empty(), "ox86 wrote to stderr");
    }
}

/// Busybox (the static build, `busybox-static` on Debian) applets agree with native runs.
#[test]
fn busybox_applets_match_native() {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "/bin/busybox is missing: install busybox-static (tests/run does)"
    );
    let cases: &[&[&str]] = &[
        &["echo", "hello", "from", "busybox"],
        &["true"],
        &["false"],
        &["seq", "1", "3", "30"],
        &["expr", "6", "*", "7"],
        &["printf", "%05d|%x|%s\\n", "42", "255", "str"],
        &["basename", "/a/b/c.txt", ".txt"],
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 5 ]; do echo line $i; i=$((i+1)); done",
        ],
        &["sh", "-c", "echo $((123456789 * 3 % 1000)); exit 3"],
        &["md5sum", "/etc/hostname"],
        &["wc", "-c", "/bin/busybox"],
    ];
    let mut failures = Vec::new();
    for args in cases {
        let native = run(
            Command::new(busybox).args(*args).stdin(Stdio::null()),
            LIMIT,
        )
        .expect("run busybox natively");
        for engine in engines() {
            let mut cmd = ox86();
            cmd.arg("--engine").arg(&engine).arg(busybox).args(*args);
            let out = run(&mut cmd, LIMIT).expect("start ox86");
            if (out.status, &out.stdout, &out.stderr)
                != (native.status, &native.stdout, &native.stderr)
            {
                failures.push(format!(
                    "busybox {args:?} under {engine}: native {} {:?}, ox86 {} {:?}; stderr {:?}",
                    native.status,
                    String::from_utf8_lossy(&native.stdout),
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A code cache too small for the program (64 KiB): it is flushed again
/// and again, with TBs on the compile thread's queue and in its hands each
/// time, and with and without that thread the output matches the native
/// run's.
#[test]
fn a_small_code_cache_is_flushed_under_the_compile_thread() {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "/bin/busybox is missing: install busybox-static (tests/run does)"
    );
    let args = [
        "awk",
        "BEGIN { for (i = 0; i < 40; i++) { s = sprintf(\"%05d-%x-%o-%e\", i, i * 7, i, i / 3.0); \
         n = split(s, a, \"-\"); gsub(/[0-4]/, \"z\", s); \
         t = t length(s) substr(s, 2, 3) toupper(a[2]) tolower(a[1]); \
         if (i % 8 == 0) print s, n, index(s, \"z\"), match(s, /z+/), RSTART, RLENGTH } \
         print length(t), t }",
    ];
    let native = run(Command::new(busybox).args(args).stdin(Stdio::null()), LIMIT)
        .expect("run busybox natively");
    assert_eq!(native.status, Status::Exit(0));
    for thread in [true, false] {
        let mut cmd = ox86();
        cmd.args(["--code-cache", "64", "--stats", "--compile-thread"])
            .arg(if thread { "on" } else { "off" });
        let out = run(cmd.arg(busybox).args(args), LIMIT).expect("start ox86");
        assert_eq!(
            (out.status, &out.stdout),
            (native.status, &native.stdout),
            "compile thread {thread}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        let flushes: u64 = err
            .split("code-cache flushes ")
            .nth(1)
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or_else(|| panic!("no flush count in {err:?}"));
        assert!(flushes >= 10, "compile thread {thread}: {flushes} flushes");
        // Compiling went on after every flush.
        let compiled: u64 = err
            .split("TBs compiled ")
            .nth(1)
            .and_then(|t| t.split(',').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no compile count in {err:?}"));
        assert!(
            compiled > 100 * flushes,
            "compile thread {thread}: {compiled} TBs compiled, {flushes} flushes"
        );
    }
}

/// Builds a static program with gcc from `text`, a source file of
/// extension `ext`, with `flags`.
fn gcc_binary(name: &str, ext: &str, flags: &[&str], text: &str) -> PathBuf {
    let src = scratch(&format!("{name}.{ext}"));
    fs::write(&src, text).expect("write source");
    let bin = scratch(name);
    let status = Command::new("gcc")
        .arg("-static")
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .expect("gcc is needed (see tests/run)");
    assert!(status.success(), "gcc failed");
    bin
}

/// Builds a `-nostdlib` static program from assembly text.
fn asm_binary(name: &str, text: &str) -> PathBuf {
    gcc_binary(name, "S", &["-nostdlib"], text)
}

/// A real Linux syscall ox86 lacks gets -ENOSYS and is named on stderr
/// once; a number that is no syscall gets -ENOSYS silently, as natively.
#[test]
fn unimplemented_syscall_is_named_once() {
    // io_uring_setup (425) twice, then syscall 100000; exit status 0 only
    // if all three returned -ENOSYS (-38).
    let bin = asm_binary(
        "enosys",
        ".globl _start\n_start:\n\
         xor %ebx, %ebx\n\
         mov $425, %eax\n syscall\n cmp $-38, %rax\n setne %bl\n\
         mov $425, %eax\n syscall\n cmp $-38, %rax\n setne %cl\n or %cl, %bl\n\
         mov $100000, %eax\n syscall\n cmp $-38, %rax\n setne %cl\n or %cl, %bl\n\
         movzbl %bl, %edi\n mov $60, %eax\n syscall\n",
    );
    for engine in engines() {
        let mut cmd = ox86();
        cmd.arg("--engine").arg(&engine).arg(&bin);
        let out = run(&mut cmd, LIMIT).expect("start ox86");
        assert_eq!(out.status, Status::Exit(0), "under {engine}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one report under {engine}: {err}");
        assert!(
            err.contains("io_uring_setup"),
            "named under {engine}: {err}"
        );
    }
}

/// `--strace` prints each call with decoded arguments and its result;
/// `-d in_asm,op -D FILE` logs guest code and IR of each TB to FILE.
#[test]
fn strace_and_debug_log() {
    let bin = asm_binary(
        "write_exit",
        ".globl _start\n_start:\n\
         mov $1, %eax\n mov $1, %edi\n lea msg(%rip), %rsi\n mov $3, %edx\n syscall\n\
         mov $60, %eax\n mov $5, %edi\n syscall\n\
         msg: .ascii \"hi\\n\"\n",
    );
    let log = scratch("write_exit.log");
    for engine in engines() {
        let mut cmd = ox86();
        cmd.arg("--engine")
            .arg(&engine)
            .arg("--strace")
            .arg("-d")
            .arg("in_asm,op");
        cmd.arg("-D").arg(&log).arg(&bin);
        let out = run(&mut cmd, LIMIT).expect("start ox86");
        assert_eq!(out.status, Status::Exit(5), "under {engine}");
        assert_eq!(out.stdout, b"hi\n");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("write(1,0x"), "strace of write: {err}");
        assert!(err.contains(",3) = 3"), "strace result: {err}");
        assert!(err.contains("exit(5)"), "strace of exit: {err}");
        let text = fs::read_to_string(&log).expect("log file written");
        assert!(
            text.contains("IN:") && text.contains("syscall"),
            "in_asm: {text}"
        );
        assert!(
            text.contains("OP:") && text.contains("ext32u"),
            "op: {text}"
        );
    }
}

/// JIT options: `-d out_asm` lists host code per TB, `--stats` reports the
/// JIT figures, `--compare-engines=N` checks N TB runs against the
/// interpreter and reports when done; the program's result is unchanged.
#[test]
fn jit_out_asm_stats_and_engine_comparison() {
    // Sums 1..1000 in a loop with a call, exits with the sum's low byte.
    let bin = asm_binary(
        "jit_loop",
        ".globl _start\n_start:\n\
         xor %ebx, %ebx\n mov $1000, %ecx\n\
         1: call add\n dec %ecx\n jnz 1b\n\
         movzbl %bl, %edi\n mov $60, %eax\n syscall\n\
         add: add %rcx, %rbx\n ret\n",
    );
    let log = scratch("jit_loop.log");
    let mut cmd = ox86();
    cmd.args([
        "--engine",
        "jit",
        "--stats",
        "--compare-engines=500",
        "-d",
        "out_asm",
    ])
    .arg("-D")
    .arg(&log)
    .arg(&bin);
    let out = run(&mut cmd, LIMIT).expect("start ox86");
    assert_eq!(out.status, Status::Exit(500_500 % 256));
    let err = String::from_utf8_lossy(&out.stderr);
    for item in [
        "TBs translated",
        "chained exits",
        "jump-cache hit rate",
        "code-cache bytes",
    ] {
        assert!(err.contains(item), "--stats lacks {item}: {err}");
    }
    let text = fs::read_to_string(&log).expect("log file written");
    assert!(text.contains("OUT: ["), "out_asm: {text}");
    assert!(
        text.contains("cmp byte ptr [rbp+"),
        "TB entry check: {text}"
    );
    assert!(
        text.contains("compare-engines: done, 500 TB runs compared"),
        "comparison: {text}"
    );
    assert!(!text.contains("differs"), "comparison: {text}");
}

/// A TB that has dropped out of the jump cache is found again in the TB
/// hash, not translated anew: 8,192 small functions (twice the jump cache)
/// called indirectly in two rounds are translated once each. The JIT's
/// first tier is off (`--jit-after=1`): it translates a start-up TB again
/// at the run that compiles it.
#[test]
fn tb_hash_finds_tbs_evicted_from_the_jump_cache() {
    let bin = asm_binary(
        "tb_hash",
        ".globl _start\n_start:\n\
         xor %ebx, %ebx\n lea funcs(%rip), %r12\n mov $2, %r13d\n\
         2: xor %ecx, %ecx\n\
         1: lea (%r12,%rcx,8), %rax\n call *%rax\n inc %ecx\n cmp $8192, %ecx\n jne 1b\n\
         dec %r13d\n jnz 2b\n\
         mov %ebx, %edi\n shr $8, %edi\n mov $60, %eax\n syscall\n\
         .balign 8\n funcs:\n .rept 8192\n add $1, %rbx\n ret\n .balign 8\n .endr\n",
    );
    for engine in engines() {
        let mut cmd = ox86();
        cmd.args(["--engine", &engine, "--stats"]);
        if engine.starts_with("jit") {
            cmd.arg("--jit-after=1");
        }
        cmd.arg(&bin);
        let out = run(&mut cmd, LIMIT).expect("start ox86");
        assert_eq!(out.status, Status::Exit(16384 >> 8), "under {engine}");
        let err = String::from_utf8_lossy(&out.stderr);
        let translated: u64 = err
            .split("TBs translated ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("--stats under {engine}: {err}"));
        assert!(
            (8192..8192 + 16).contains(&translated),
            "{translated} TBs translated under {engine}: {err}"
        );
    }
}

/// The jump table grows once conflicts in it cost (see
/// `ox86_jit::jmp_table`): 8,192 small functions called indirectly in 8
/// rounds conflict in the small table at every call (65,536 conflicts), but
/// only until it has grown, after which one round refills it. The result
/// stays right under every engine.
#[test]
fn jump_table_grows_for_large_programs() {
    let bin = asm_binary(
        "jmp_grow",
        ".globl _start\n_start:\n\
         xor %ebx, %ebx\n lea funcs(%rip), %r12\n mov $8, %r13d\n\
         2: xor %ecx, %ecx\n\
         1: lea (%r12,%rcx,8), %rax\n call *%rax\n inc %ecx\n cmp $8192, %ecx\n jne 1b\n\
         dec %r13d\n jnz 2b\n\
         mov %ebx, %edi\n shr $10, %edi\n mov $60, %eax\n syscall\n\
         .balign 8\n funcs:\n .rept 8192\n add $1, %rbx\n ret\n .balign 8\n .endr\n",
    );
    for engine in engines() {
        let mut cmd = ox86();
        cmd.args(["--engine", &engine, "--stats"]);
        if engine.starts_with("jit") {
            // The counts below are those of code compiled at once; with a
            // compile thread they depend on when it starts (`auto` looks
            // at the host's load).
            cmd.arg("--compile-thread=off");
        }
        let out = run(cmd.arg(&bin), LIMIT).expect("start ox86");
        assert_eq!(out.status, Status::Exit(65536 >> 10), "under {engine}");
        let err = String::from_utf8_lossy(&out.stderr);
        let conflicts: u64 = err
            .split("jump-cache conflicts ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("--stats under {engine}: {err}"));
        if engine.starts_with("jit") {
            assert!(
                (20_000..20_000 + 2 * 8192).contains(&conflicts),
                "{conflicts} conflicts under {engine}: {err}"
            );
        }
    }
}

/// `--perfmap` lists each compiled TB in `/tmp/perf-PID.map` as perf reads
/// it: host start and size in hex, then a symbol naming the guest pc. The
/// entry point's TB is there, and no two TBs overlap.
#[test]
fn perfmap_lists_compiled_tbs() {
    let bin = asm_binary(
        "perfmap",
        ".globl _start\n_start:\n\
         mov $3, %ecx\n 1: call f\n dec %ecx\n jnz 1b\n\
         mov $60, %eax\n xor %edi, %edi\n syscall\n\
         f: ret\n",
    );
    let entry = Command::new("readelf")
        .arg("-h")
        .arg(&bin)
        .output()
        .expect("readelf (binutils) is needed");
    let entry = String::from_utf8_lossy(&entry.stdout)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Entry point address:")
                .map(|v| v.trim().to_string())
        })
        .expect("entry point");
    let child = ox86()
        .args(["--engine", "jit", "--jit-after=1", "--perfmap"])
        .arg(&bin)
        .spawn()
        .expect("start ox86");
    let pid = child.id();
    let out = child.wait_with_output().expect("ox86 runs");
    assert!(out.status.success());
    let path = format!("/tmp/perf-{pid}.map");
    let text = fs::read_to_string(&path).expect("perf map written");
    fs::remove_file(&path).expect("remove the perf map");
    let mut ranges = Vec::new();
    for line in text.lines() {
        let mut f = line.splitn(3, ' ');
        let start = u64::from_str_radix(f.next().unwrap_or(""), 16);
        let len = u64::from_str_radix(f.next().unwrap_or(""), 16);
        let sym = f.next().unwrap_or("");
        match (start, len) {
            (Ok(s), Ok(l)) if l > 0 && sym.starts_with("guest_0x") => ranges.push((s, l)),
            _ => panic!("malformed perf map line {line:?}"),
        }
    }
    assert!(
        text.lines().any(|l| l.ends_with(&format!("guest_{entry}"))),
        "no TB at the entry {entry}: {text}"
    );
    assert!(ranges.len() >= 3, "{text}");
    ranges.sort();
    for w in ranges.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "TBs overlap: {text}");
    }
}

/// Builds a static C program from source text.
fn c_binary(name: &str, text: &str) -> PathBuf {
    gcc_binary(name, "c", &["-O2"], text)
}

/// The JIT's first tier (`--jit-after`): start-up code is interpreted until
/// its Nth run, then compiled. Code rewritten between its runs (through
/// mprotect, as a JIT does it) runs as rewritten, whichever tier ran it
/// before; the output matches the native run, and
/// `--stats` shows the interpreted runs.
#[test]
fn first_tier_runs_rewritten_code_afresh() {
    let bin = c_binary(
        "first_tier",
        r#"#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
int main(void) {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int sum = 0;
    for (int v = 1; v <= 5; v++) {
        /* mov eax, v; ret */
        unsigned char code[] = {0xb8, (unsigned char)v, 0, 0, 0, 0xc3};
        mprotect(p, 4096, PROT_READ | PROT_WRITE);
        memcpy(p, code, sizeof code);
        mprotect(p, 4096, PROT_READ | PROT_EXEC);
        for (int k = 0; k < v; k++) sum += ((int (*)(void))p)();
        printf("%d %d\n", v, sum);
    }
    return 0;
}
"#,
    );
    let native = Command::new(&bin).output().expect("native run");
    assert!(native.status.success());
    for after in ["1", "2", "3"] {
        let mut cmd = ox86();
        cmd.args([
            "--engine",
            "jit",
            "--stats",
            &format!("--jit-after={after}"),
        ])
        .arg(&bin);
        let out = run(&mut cmd, LIMIT).expect("start ox86");
        assert_eq!(out.status, Status::Exit(0), "--jit-after={after}");
        assert_eq!(out.stdout, native.stdout, "--jit-after={after}");
        let err = String::from_utf8_lossy(&out.stderr);
        let interpreted: u64 = err
            .split("interpreted before compiling ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("--stats: {err}"));
        assert_eq!(interpreted == 0, after == "1", "--jit-after={after}: {err}");
    }
    let out = run_ox86(&["--jit-after=0", bin.to_str().expect("UTF-8 path")]);
    assert!(matches!(out.status, Status::Exit(2)), "usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--jit-after <N>'"));
}
