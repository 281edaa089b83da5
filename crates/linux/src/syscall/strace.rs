//! `--strace`: one line per system call on stderr, qemu style:
//! `PID name(arg, ...) = result`, with path arguments shown as strings
//! and errors as `-1 errno=N (text)`.

use super::guest_cstr;
use super::names::syscall_name;

/// How to show one argument.
#[derive(Clone, Copy)]
enum Arg {
    /// Signed decimal (fds, counts, flags shown in hex elsewhere).
    Int,
    /// Hex (pointers, flags).
    Hex,
    /// A NUL-terminated guest string.
    Str,
}

fn spec(nr: u64) -> &'static [Arg] {
    use Arg::*;
    match nr {
        0 | 1 => &[Int, Hex, Int],              // read write
        2 => &[Str, Hex, Hex],                  // open
        3 | 32 => &[Int],                       // close dup
        4 | 6 => &[Str, Hex],                   // stat lstat
        5 => &[Int, Hex],                       // fstat
        8 => &[Int, Int, Int],                  // lseek
        9 => &[Hex, Int, Hex, Hex, Int, Hex],   // mmap
        10 => &[Hex, Int, Hex],                 // mprotect
        11 => &[Hex, Int],                      // munmap
        12 => &[Hex],                           // brk
        13 => &[Int, Hex, Hex, Int],            // rt_sigaction
        14 => &[Int, Hex, Hex, Int],            // rt_sigprocmask
        16 => &[Int, Hex, Hex],                 // ioctl
        17 | 18 => &[Int, Hex, Int, Int],       // pread64 pwrite64
        19 | 20 => &[Int, Hex, Int],            // readv writev
        21 => &[Str, Int],                      // access
        25 => &[Hex, Int, Int, Hex, Hex],       // mremap
        33 => &[Int, Int],                      // dup2
        60 | 231 => &[Int],                     // exit exit_group
        63 => &[Hex],                           // uname
        72 => &[Int, Int, Hex],                 // fcntl
        79 => &[Hex, Int],                      // getcwd
        87 | 84 => &[Str],                      // unlink rmdir
        83 => &[Str, Hex],                      // mkdir
        89 => &[Str, Hex, Int],                 // readlink
        158 => &[Hex, Hex],                     // arch_prctl
        202 => &[Hex, Int, Int, Hex, Hex, Int], // futex
        217 => &[Int, Hex, Int],                // getdents64
        218 => &[Hex],                          // set_tid_address
        228 => &[Int, Hex],                     // clock_gettime
        257 => &[Int, Str, Hex, Hex],           // openat
        262 => &[Int, Str, Hex, Hex],           // newfstatat
        267 => &[Int, Str, Hex, Int],           // readlinkat
        269 | 439 => &[Int, Str, Int, Hex],     // faccessat(2)
        273 => &[Hex, Int],                     // set_robust_list
        292 => &[Int, Int, Hex],                // dup3
        293 => &[Hex, Hex],                     // pipe2
        302 => &[Int, Int, Hex, Hex],           // prlimit64
        318 => &[Hex, Int, Hex],                // getrandom
        334 => &[Hex, Int, Hex, Hex],           // rseq
        _ => &[Hex, Hex, Hex, Hex, Hex, Hex],
    }
}

/// Formats `name(args` for call `nr`.
pub fn format_call(nr: u64, a: &[u64; 6]) -> String {
    let name = syscall_name(nr).map_or_else(|| format!("syscall_{nr}"), str::to_string);
    let args: Vec<String> = spec(nr)
        .iter()
        .zip(a)
        .map(|(k, &v)| match k {
            Arg::Int => (v as i64).to_string(),
            Arg::Hex => format!("{v:#x}"),
            Arg::Str => match guest_cstr(v) {
                Some(s) => format!("{s:?}"),
                None => format!("{v:#x}"),
            },
        })
        .collect();
    format!("{} {}({})", std::process::id(), name, args.join(","))
}

/// Prints a finished call with its result.
pub fn print(pre: &str, nr: u64, r: i64) {
    let res = if (-4095..0).contains(&r) {
        let e = std::io::Error::from_raw_os_error(-r as i32);
        format!("-1 errno={} ({})", -r, e.kind())
    } else if matches!(nr, 9 | 12 | 25) {
        format!("{r:#x}")
    } else {
        r.to_string()
    };
    eprintln!("{pre} = {res}");
}
