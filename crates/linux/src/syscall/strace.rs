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
    /// Octal (file modes).
    Oct,
    /// A 32-bit file descriptor or dirfd (`AT_FDCWD` by name).
    Fd,
    /// A NUL-terminated guest string.
    Str,
}

fn spec(nr: u64) -> &'static [Arg] {
    use Arg::*;
    match nr {
        0 | 1 => &[Int, Hex, Int],                  // read write
        2 => &[Str, Hex, Oct],                      // open
        3 | 32 | 81 | 74 | 75 | 306 => &[Int],      // close dup fchdir fsync fdatasync syncfs
        4 | 6 => &[Str, Hex],                       // stat lstat
        5 | 138 => &[Int, Hex],                     // fstat fstatfs
        7 => &[Hex, Int, Int],                      // poll
        8 => &[Int, Int, Int],                      // lseek
        9 => &[Hex, Int, Hex, Hex, Fd, Hex],        // mmap
        10 => &[Hex, Int, Hex],                     // mprotect
        11 => &[Hex, Int],                          // munmap
        12 => &[Hex],                               // brk
        13 => &[Int, Hex, Hex, Int],                // rt_sigaction
        14 => &[Int, Hex, Hex, Int],                // rt_sigprocmask
        16 => &[Int, Hex, Hex],                     // ioctl
        17 | 18 => &[Int, Hex, Int, Int],           // pread64 pwrite64
        19 | 20 => &[Int, Hex, Int],                // readv writev
        21 => &[Str, Int],                          // access
        22 => &[Hex],                               // pipe
        23 => &[Int, Hex, Hex, Hex, Hex],           // select
        25 => &[Hex, Int, Int, Hex, Hex],           // mremap
        26 | 28 => &[Hex, Int, Int],                // msync madvise
        27 => &[Hex, Int, Hex],                     // mincore
        33 => &[Int, Int],                          // dup2
        35 => &[Hex, Hex],                          // nanosleep
        37 => &[Int],                               // alarm
        40 => &[Int, Int, Hex, Int],                // sendfile
        41 => &[Int, Int, Int],                     // socket
        42 | 49 => &[Int, Hex, Int],                // connect bind
        43 | 51 | 52 => &[Int, Hex, Hex],           // accept getsockname getpeername
        44 | 45 => &[Int, Hex, Int, Hex, Hex, Hex], // sendto recvfrom
        46 | 47 => &[Int, Hex, Hex],                // sendmsg recvmsg
        48 | 50 => &[Int, Int],                     // shutdown listen
        53 => &[Int, Int, Int, Hex],                // socketpair
        54 | 55 => &[Int, Int, Int, Hex, Hex],      // setsockopt getsockopt
        56 => &[Hex, Hex, Hex, Hex, Hex],           // clone
        59 => &[Str, Hex, Hex],                     // execve
        60 | 231 => &[Int],                         // exit exit_group
        61 => &[Int, Hex, Hex, Hex],                // wait4
        62 | 200 => &[Int, Int],                    // kill tkill
        63 | 99 | 100 => &[Hex],                    // uname sysinfo times
        72 => &[Int, Int, Hex],                     // fcntl
        73 => &[Int, Int],                          // flock
        76 => &[Str, Int],                          // truncate
        77 => &[Int, Int],                          // ftruncate
        78 | 217 => &[Int, Hex, Int],               // getdents getdents64
        79 => &[Hex, Int],                          // getcwd
        80 | 84 | 87 | 161 => &[Str],               // chdir rmdir unlink chroot
        82 | 86 | 88 => &[Str, Str],                // rename link symlink
        83 | 85 | 90 => &[Str, Oct],                // mkdir creat chmod
        89 => &[Str, Hex, Int],                     // readlink
        91 => &[Int, Oct],                          // fchmod
        92 | 94 => &[Str, Int, Int],                // chown lchown
        93 => &[Int, Int, Int],                     // fchown
        95 => &[Oct],                               // umask
        97 | 160 => &[Int, Hex],                    // getrlimit setrlimit
        98 => &[Int, Hex],                          // getrusage
        115 | 116 => &[Int, Hex],                   // getgroups setgroups
        125 | 126 => &[Hex, Hex],                   // capget capset
        133 => &[Str, Oct, Hex],                    // mknod
        135 => &[Hex],                              // personality
        137 => &[Str, Hex],                         // statfs
        140 | 141 => &[Int, Int, Int],              // getpriority setpriority
        157 => &[Int, Hex, Hex, Hex, Hex],          // prctl
        158 => &[Hex, Hex],                         // arch_prctl
        191 | 192 => &[Str, Str, Hex, Int],         // getxattr lgetxattr
        193 => &[Int, Str, Hex, Int],               // fgetxattr
        194 | 195 => &[Str, Hex, Int],              // listxattr llistxattr
        202 => &[Hex, Int, Int, Hex, Hex, Int],     // futex
        203 | 204 => &[Int, Int, Hex],              // sched_setaffinity sched_getaffinity
        218 => &[Hex],                              // set_tid_address
        221 => &[Int, Int, Int, Int],               // fadvise64
        228 | 229 => &[Int, Hex],                   // clock_gettime clock_getres
        230 => &[Int, Int, Hex, Hex],               // clock_nanosleep
        232 => &[Int, Hex, Int, Int],               // epoll_wait
        233 => &[Int, Int, Int, Hex],               // epoll_ctl
        234 => &[Int, Int, Int],                    // tgkill
        247 => &[Int, Int, Hex, Hex, Hex],          // waitid
        257 => &[Fd, Str, Hex, Oct],                // openat
        258 => &[Fd, Str, Oct],                     // mkdirat
        260 => &[Fd, Str, Int, Int, Hex],           // fchownat
        262 => &[Fd, Str, Hex, Hex],                // newfstatat
        263 => &[Fd, Str, Hex],                     // unlinkat
        264 => &[Fd, Str, Fd, Str],                 // renameat
        265 => &[Fd, Str, Fd, Str, Hex],            // linkat
        266 => &[Str, Fd, Str],                     // symlinkat
        267 => &[Fd, Str, Hex, Int],                // readlinkat
        268 => &[Fd, Str, Oct],                     // fchmodat
        269 | 439 => &[Fd, Str, Int, Hex],          // faccessat faccessat2
        270 => &[Int, Hex, Hex, Hex, Hex, Hex],     // pselect6
        271 => &[Hex, Int, Hex, Hex, Int],          // ppoll
        273 => &[Hex, Int],                         // set_robust_list
        275 => &[Int, Hex, Int, Hex, Int, Hex],     // splice
        276 => &[Int, Int, Int, Hex],               // tee
        280 => &[Fd, Str, Hex, Hex],                // utimensat
        281 => &[Int, Hex, Int, Int, Hex, Int],     // epoll_pwait
        283 => &[Int, Hex],                         // timerfd_create
        286 => &[Int, Hex, Hex, Hex],               // timerfd_settime
        287 => &[Int, Hex],                         // timerfd_gettime
        288 => &[Int, Hex, Hex, Hex],               // accept4
        290 => &[Int, Hex],                         // eventfd2
        291 => &[Hex],                              // epoll_create1
        292 => &[Int, Int, Hex],                    // dup3
        293 => &[Hex, Hex],                         // pipe2
        302 => &[Int, Int, Hex, Hex],               // prlimit64
        316 => &[Fd, Str, Fd, Str, Hex],            // renameat2
        318 => &[Hex, Int, Hex],                    // getrandom
        319 => &[Str, Hex],                         // memfd_create
        326 => &[Int, Hex, Int, Hex, Int, Hex],     // copy_file_range
        332 => &[Fd, Str, Hex, Hex, Hex],           // statx
        334 => &[Hex, Int, Hex, Hex],               // rseq
        436 => &[Int, Int, Hex],                    // close_range
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
            Arg::Oct => format!("{v:#o}"),
            Arg::Fd if v as i32 == libc::AT_FDCWD => "AT_FDCWD".to_string(),
            Arg::Fd => (v as i32).to_string(),
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
    let res = if r == super::safe_syscall::ERESTARTSYS {
        "? ERESTARTSYS (to be restarted after the signal)".to_string()
    } else if (-4095..0).contains(&r) {
        let e = std::io::Error::from_raw_os_error(-r as i32);
        format!("-1 errno={} ({})", -r, e.kind())
    } else if matches!(nr, 9 | 12 | 25) {
        format!("{r:#x}")
    } else {
        r.to_string()
    };
    eprintln!("{pre} = {res}");
}
