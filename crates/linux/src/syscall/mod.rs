//! System calls of a user-mode guest. x86-64 guest on an x86-64 host:
//! most calls pass straight through (same numbers, same structs, guest
//! pointers are host pointers); the ones that touch process state ox86
//! owns (memory map, brk, FS base, signal dispositions, exit, exec, the
//! program's own path) are emulated here.

pub mod names;
mod path;
pub(crate) mod safe_syscall;
mod sigmask;
pub mod strace;

use crate::process::Process;
use ox86_x86::cpu::reg;
use ox86_x86::CpuState;

/// System call numbers handled specially (arch/x86/entry/syscalls/syscall_64.tbl).
pub mod nr {
    pub const READ: u64 = 0;
    pub const PREAD64: u64 = 17;
    pub const RECVFROM: u64 = 45;
    pub const GETDENTS64: u64 = 217;
    pub const GETRANDOM: u64 = 318;
    pub const MMAP: u64 = 9;
    pub const MPROTECT: u64 = 10;
    pub const MUNMAP: u64 = 11;
    pub const BRK: u64 = 12;
    pub const RT_SIGACTION: u64 = 13;
    pub const RT_SIGPROCMASK: u64 = 14;
    pub const RT_SIGRETURN: u64 = 15;
    pub const RT_SIGSUSPEND: u64 = 130;
    pub const MREMAP: u64 = 25;
    pub const MSYNC: u64 = 26;
    pub const MINCORE: u64 = 27;
    pub const MADVISE: u64 = 28;
    pub const CLONE: u64 = 56;
    pub const FORK: u64 = 57;
    pub const VFORK: u64 = 58;
    pub const EXECVE: u64 = 59;
    pub const EXIT: u64 = 60;
    pub const SIGALTSTACK: u64 = 131;
    pub const ARCH_PRCTL: u64 = 158;
    pub const SET_TID_ADDRESS: u64 = 218;
    pub const EXIT_GROUP: u64 = 231;
    pub const SET_ROBUST_LIST: u64 = 273;
    pub const CLONE3: u64 = 435;
    pub const RSEQ: u64 = 334;
}

/// Calls that go to the host unchanged: they name only file descriptors,
/// ids, buffers and structs whose layout is the same for guest and host.
#[rustfmt::skip]
const PASSTHROUGH: &[u64] = &[
    0, 1, 3, 5, 7, 8,                   // read write close fstat poll lseek
    16, 17, 18, 19, 20,                 // ioctl pread64 pwrite64 readv writev
    22, 23, 24,                         // pipe select sched_yield
    32, 33, 34, 35, 36, 37, 38, 39,     // dup dup2 pause nanosleep getitimer alarm setitimer getpid
    40, 41, 42, 43, 44, 45, 46, 47,     // sendfile socket connect accept sendto recvfrom sendmsg recvmsg
    48, 49, 50, 51, 52,                 // shutdown bind listen getsockname getpeername
    53, 54, 55,                         // socketpair setsockopt getsockopt
    61, 62, 63,                         // wait4 kill uname
    72, 73, 74, 75, 76, 77, 78, 79,     // fcntl flock fsync fdatasync truncate ftruncate getdents getcwd
    80, 81, 82, 83, 84, 85, 86, 87, 88, // chdir fchdir rename mkdir rmdir creat link unlink symlink
    90, 91, 92, 93, 94, 95,             // chmod fchmod chown fchown lchown umask
    96, 97, 98, 99, 100,                // gettimeofday getrlimit getrusage sysinfo times
    102, 104, 105, 106, 107, 108,       // getuid getgid setuid setgid geteuid getegid
    109, 110, 111, 112, 113, 114,       // setpgid getppid getpgrp setsid setreuid setregid
    115, 116, 117, 118, 119, 120,       // getgroups setgroups setresuid getresuid setresgid getresgid
    121, 122, 123, 124, 125, 126,       // getpgid setfsuid setfsgid getsid capget capset
    127, 128, 129,                      // rt_sigpending rt_sigtimedwait rt_sigqueueinfo
    132, 133, 135, 137, 138,            // utime mknod personality statfs fstatfs
    140, 141, 142, 143, 144, 145,       // get/setpriority sched_{set,get}param sched_{set,get}scheduler
    146, 147, 148,                      // sched_get_priority_{max,min} sched_rr_get_interval
    149, 150, 151, 152,                 // mlock munlock mlockall munlockall
    157, 160, 161, 162,                 // prctl setrlimit chroot sync
    186,                                // gettid
    188, 189, 190, 191, 192, 193,       // setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr
    194, 195, 196, 197, 198, 199,       // listxattr llistxattr flistxattr removexattr l/fremovexattr
    200, 201, 202, 203, 204,            // tkill time futex sched_setaffinity sched_getaffinity
    213, 217, 221,                      // epoll_create getdents64 fadvise64
    222, 223, 224, 225, 226,            // timer_create timer_settime timer_gettime timer_getoverrun timer_delete
    228, 229, 230,                      // clock_gettime clock_getres clock_nanosleep
    232, 233, 234, 235, 247,            // epoll_wait epoll_ctl tgkill utimes waitid
    253, 254, 255,                      // inotify_init inotify_add_watch inotify_rm_watch
    258, 259, 260, 261,                 // mkdirat mknodat fchownat futimesat
    263, 264, 265, 266, 268,            // unlinkat renameat linkat symlinkat fchmodat
    275, 276, 277, 278, 280,            // splice tee sync_file_range vmsplice utimensat
    282, 283, 284, 285, 286, 287,       // signalfd timerfd_create eventfd fallocate timerfd_{set,get}time
    288, 289, 290, 291, 292, 293, 294,  // accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1
    295, 296, 297, 299, 302,            // preadv pwritev rt_tgsigqueueinfo recvmmsg prlimit64
    306, 307, 309, 316, 318, 319,       // syncfs sendmmsg getcpu renameat2 getrandom memfd_create
    322, 324, 325, 326, 327, 328,       // execveat membarrier mlock2 copy_file_range preadv2 pwritev2
    424, 434, 436,                      // pidfd_send_signal pidfd_open close_range
];

/// Reads a NUL-terminated guest string (at most 4096 bytes), lossily as UTF-8.
pub fn guest_cstr(addr: u64) -> Option<String> {
    guest_cstr_bytes(addr).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Reads the bytes of a NUL-terminated guest string (at most 4096 bytes).
pub fn guest_cstr_bytes(addr: u64) -> Option<Vec<u8>> {
    if addr == 0 {
        return None;
    }
    let mut out = Vec::new();
    for i in 0..4096 {
        let r = ox86_interp::guest_mem::ld8u(addr + i);
        if r.fault != 0 {
            return None;
        }
        if r.value == 0 {
            return Some(out);
        }
        out.push(r.value as u8);
    }
    None
}

/// Writes bytes to guest memory; the address of the first byte that
/// faults, if one does.
fn guest_write_bytes(addr: u64, bytes: &[u8]) -> Result<(), u64> {
    for (i, &b) in bytes.iter().enumerate() {
        let at = addr + i as u64;
        if ox86_interp::guest_mem::st8(at, b as u64).fault != 0 {
            return Err(at);
        }
    }
    Ok(())
}

/// Reads bytes from guest memory; false if any byte faults.
pub fn guest_read_bytes(addr: u64, out: &mut [u8]) -> bool {
    for (i, b) in out.iter_mut().enumerate() {
        let r = ox86_interp::guest_mem::ld8u(addr + i as u64);
        if r.fault != 0 {
            return false;
        }
        *b = r.value as u8;
    }
    true
}

const EFAULT: i64 = -(libc::EFAULT as i64);
const EINVAL: i64 = -(libc::EINVAL as i64);
const ENOSYS: i64 = -(libc::ENOSYS as i64);
const EINTR: i64 = -(libc::EINTR as i64);

impl Process {
    /// Runs call `nr` on the host under the guest's signal mask; a guest
    /// signal queued before the call starts makes it [`safe_syscall::ERESTARTSYS`].
    fn host_syscall(&self, nr: u64, a: [u64; 6]) -> i64 {
        safe_syscall::call(nr, a, self.sigmask)
    }

    /// Writes bytes to guest memory for the guest, as the kernel does:
    /// a page write-protected for its TBs takes the write
    /// (`Engine::release_code`); false if any byte faults otherwise.
    pub(crate) fn write_guest(&mut self, addr: u64, bytes: &[u8]) -> bool {
        let mut from = 0;
        loop {
            match guest_write_bytes(addr + from as u64, &bytes[from..]) {
                Ok(()) => return true,
                Err(at) if self.engine.release_code(at, at + 1) => from = (at - addr) as usize,
                Err(_) => return false,
            }
        }
    }

    /// `host_syscall` for a call that may write guest memory: pages
    /// write-protected for their TBs (`Engine::release_code`) where its
    /// buffer is get their guest protection back first, and a call that
    /// found another such page (EFAULT) runs again with every one given
    /// back.
    fn host_syscall_on_code(&mut self, nr: u64, a: [u64; 6]) -> i64 {
        let buffer = match nr {
            nr::READ | nr::PREAD64 | nr::GETDENTS64 => Some((a[1], a[2])),
            nr::RECVFROM => Some((a[1], a[2])),
            nr::GETRANDOM => Some((a[0], a[1])),
            _ => None,
        };
        if let Some((buf, len)) = buffer {
            self.engine.release_code(buf, buf.saturating_add(len));
        }
        let r = self.host_syscall(nr, a);
        if r == EFAULT && self.engine.release_code(0, u64::MAX) {
            return self.host_syscall(nr, a);
        }
        r
    }

    /// Handles the `syscall` the guest just executed.
    pub fn syscall(&mut self, env: &mut CpuState) {
        let nr = env.regs[reg::RAX];
        let a = [
            env.regs[reg::RDI],
            env.regs[reg::RSI],
            env.regs[reg::RDX],
            env.regs[reg::R10],
            env.regs[reg::R8],
            env.regs[reg::R9],
        ];
        let pre = self.strace.then(|| strace::format_call(nr, &a));
        let r = self.dispatch(env, nr, a);
        if nr == nr::RT_SIGRETURN {
            if let Some(pre) = pre {
                strace::print(&pre, nr, r);
            }
            return;
        }
        if r == safe_syscall::ERESTARTSYS {
            // A signal came before the host call started: it is delivered
            // now and the call runs again after the handler, as if the
            // signal had come just before the `syscall` instruction.
            self.interrupted_syscall = None;
            env.rip -= 2;
            if let Some(pre) = pre {
                strace::print(&pre, nr, r);
            }
            return;
        }
        self.interrupted_syscall = (r == EINTR).then_some(nr);
        env.regs[reg::RAX] = r as u64;
        if let Some(pre) = pre {
            strace::print(&pre, nr, r);
        }
    }

    fn dispatch(&mut self, env: &mut CpuState, nr: u64, a: [u64; 6]) -> i64 {
        if let Some(i) = path::path_arg(nr) {
            return self.path_call(nr, i, a);
        }
        match nr {
            nr::BRK => {
                let page_end = |brk: u64| brk.next_multiple_of(4096);
                let old = page_end(self.mem.brk);
                let r = self.mem.do_brk(a[0]);
                let new = page_end(self.mem.brk);
                // Fresh pages either way: read-write, or none. (Code there
                // ran only if the guest made it executable.)
                let (lo, hi) = (old.min(new), old.max(new));
                if new != old && self.engine.set_guest_prot(lo, hi, 0) {
                    self.engine.invalidate(lo, hi);
                }
                r as i64
            }
            nr::MMAP => {
                let r = self
                    .mem
                    .mmap(a[0], a[1], a[2] as i32, a[3] as i32, a[4] as i32, a[5]);
                if r >= 0 {
                    let end = (r as u64).saturating_add(a[1]);
                    let code = self.engine.set_guest_prot(r as u64, end, a[2] as i32);
                    // A fixed mapping replaces what was there, code included.
                    if code && a[3] as i32 & libc::MAP_FIXED != 0 {
                        self.engine.invalidate(r as u64, end);
                    }
                }
                r
            }
            nr::MUNMAP => {
                let r = self.mem.munmap(a[0], a[1]);
                let end = a[0].saturating_add(a[1]);
                if r == 0 && self.engine.set_guest_prot(a[0], end, 0) {
                    self.engine.invalidate(a[0], end);
                }
                r
            }
            nr::MPROTECT => {
                let r = self.mem.mprotect(a[0], a[1], a[2] as i32);
                let end = a[0].saturating_add(a[1]);
                if r == 0 && self.engine.set_guest_prot(a[0], end, a[2] as i32) {
                    self.engine.invalidate(a[0], end);
                }
                r
            }
            nr::MREMAP => {
                // Pages move with their host protection: the guest's first.
                let old_end = a[0].saturating_add(a[1]);
                let prot = self.engine.exec_prot(a[0]);
                self.engine.release_code(a[0], old_end);
                let r = self.mem.mremap(a[0], a[1], a[2], a[3] as i32, a[4]);
                if r >= 0 {
                    self.engine.set_guest_prot(a[0], old_end, 0);
                    if let Some(prot) = prot {
                        let new = r as u64;
                        self.engine
                            .set_guest_prot(new, new.saturating_add(a[2]), prot);
                        self.engine.invalidate(a[0], old_end);
                    }
                }
                r
            }
            nr::EXIT | nr::EXIT_GROUP => {
                if self.strace {
                    strace::print(&strace::format_call(nr, &a), nr, 0);
                }
                self.exit(a[0] as i32);
            }
            nr::ARCH_PRCTL => arch_prctl(self, env, a[0], a[1]),
            nr::SET_TID_ADDRESS => {
                self.clear_child_tid = a[0];
                self.host_syscall(186, [0; 6])
            }
            nr::SET_ROBUST_LIST => {
                if a[1] != 24 {
                    return EINVAL;
                }
                self.robust_list = a[0];
                0
            }
            nr::RSEQ => ENOSYS,
            nr::RT_SIGACTION => self.rt_sigaction(a[0], a[1], a[2], a[3]),
            nr::RT_SIGRETURN => self.rt_sigreturn(env),
            nr::RT_SIGSUSPEND => self.rt_sigsuspend(a[0], a[1]),
            nr::RT_SIGPROCMASK => self.rt_sigprocmask(a[0], a[1], a[2], a[3]),
            nr::SIGALTSTACK => self.sigaltstack(a[0], a[1]),
            nr::CLONE => self.clone(env, a[0], a[1], a[2], a[3]),
            nr::FORK | nr::VFORK => self.clone(env, libc::SIGCHLD as u64, 0, 0, 0),
            nr::EXECVE => self.execve(a[0], a[1], a[2]),
            nr::CLONE3 => ENOSYS,
            nr::MADVISE => self.madvise(a),
            nr::MSYNC | nr::MINCORE => self.on_guest_memory(nr, a),
            _ if sigmask::takes_sigmask(nr) => {
                // Their results go to guest memory too (see `host_syscall_on_code`).
                let r = self.masked_wait(nr, a);
                if r == EFAULT && self.engine.release_code(0, u64::MAX) {
                    return self.masked_wait(nr, a);
                }
                r
            }
            _ if PASSTHROUGH.contains(&nr) => self.host_syscall_on_code(nr, a),
            _ => {
                self.report_unimplemented(nr);
                ENOSYS
            }
        }
    }

    /// `msync` and `mincore`: the host's answer, but memory the guest does
    /// not own is unmapped to it (ENOMEM): ox86's own allocations may lie
    /// where the guest unmapped its pages (a `mincore` of pages the guest
    /// had just unmapped once found them mapped again, by ox86).
    fn on_guest_memory(&mut self, nr: u64, a: [u64; 6]) -> i64 {
        let r = self.host_syscall_on_code(nr, a);
        let end = a[1]
            .checked_add(4095)
            .and_then(|l| a[0].checked_add(l & !4095));
        match end {
            Some(end) if r != 0 || self.mem.owns(a[0], end) => r,
            _ => -(libc::ENOMEM as i64),
        }
    }

    /// `madvise`: only on guest memory (advice such as MADV_DONTNEED would
    /// wipe ox86's own pages); pages whose contents may change drop their
    /// translations.
    fn madvise(&mut self, a: [u64; 6]) -> i64 {
        let (addr, len, advice) = (a[0], a[1], a[2] as i32);
        let Some(end) = len
            .checked_add(4095)
            .and_then(|l| addr.checked_add(l & !4095))
        else {
            return EINVAL;
        };
        if addr % 4096 != 0 {
            return EINVAL;
        }
        if !self.mem.owns(addr, end) {
            return -(libc::ENOMEM as i64);
        }
        let r = self.host_syscall(nr::MADVISE, a);
        if r == 0
            && matches!(
                advice,
                libc::MADV_DONTNEED | libc::MADV_FREE | libc::MADV_REMOVE
            )
            && self.engine.executable_in(addr, end)
        {
            self.engine.invalidate(addr, end);
        }
        r
    }

    /// Names, once, a real Linux syscall ox86 does not implement. A number
    /// that is no syscall at all gets -ENOSYS silently, as from the kernel.
    fn report_unimplemented(&mut self, nr: u64) {
        let Some(name) = names::syscall_name(nr) else {
            return;
        };
        if self.reported_syscalls.insert(nr) {
            eprintln!("ox86: unimplemented syscall {name} ({nr}); returning -ENOSYS");
        }
    }

    fn rt_sigaction(&mut self, sig: u64, act: u64, oldact: u64, sigsetsize: u64) -> i64 {
        if sigsetsize != 8 || sig == 0 || sig > 64 {
            return EINVAL;
        }
        if act != 0 && (sig == libc::SIGKILL as u64 || sig == libc::SIGSTOP as u64) {
            return EINVAL;
        }
        let i = sig as usize;
        if oldact != 0 {
            let mut bytes = [0u8; 32];
            for (k, w) in self.sigactions[i].iter().enumerate() {
                bytes[k * 8..k * 8 + 8].copy_from_slice(&w.to_le_bytes());
            }
            if !self.write_guest(oldact, &bytes) {
                return EFAULT;
            }
        }
        if act != 0 {
            let mut bytes = [0u8; 32];
            if !guest_read_bytes(act, &mut bytes) {
                return EFAULT;
            }
            for k in 0..4 {
                self.sigactions[i][k] =
                    u64::from_le_bytes(bytes[k * 8..k * 8 + 8].try_into().unwrap_or_default());
            }
            apply_host_disposition(sig as i32, self.sigactions[i][0]);
            // A handler of a fault's signal sees the flags where it faulted.
            let faults = [
                libc::SIGSEGV,
                libc::SIGBUS,
                libc::SIGFPE,
                libc::SIGILL,
                libc::SIGTRAP,
            ];
            let handler = self.sigactions[i][0] > 1;
            if handler && faults.contains(&(sig as i32)) {
                self.engine.set_precise_faults(true);
            }
        }
        0
    }

    fn rt_sigprocmask(&mut self, how: u64, set: u64, oldset: u64, sigsetsize: u64) -> i64 {
        if sigsetsize != 8 {
            return EINVAL;
        }
        let old = self.sigmask;
        if set != 0 {
            let mut b = [0u8; 8];
            if !guest_read_bytes(set, &mut b) {
                return EFAULT;
            }
            let s = u64::from_le_bytes(b);
            let new = match how as i32 {
                libc::SIG_BLOCK => old | s,
                libc::SIG_UNBLOCK => old & !s,
                libc::SIG_SETMASK => s,
                _ => return EINVAL,
            };
            self.set_sigmask(new);
        }
        if oldset != 0 && !self.write_guest(oldset, &old.to_le_bytes()) {
            return EFAULT;
        }
        0
    }

    /// `rt_sigsuspend`: waits with the given mask in force; the handler of
    /// the signal that ends the wait also runs under it, and the old mask
    /// comes back when that handler returns (through its frame). The host
    /// call gets the mask itself, so unblocking and waiting stay atomic.
    fn rt_sigsuspend(&mut self, set: u64, sigsetsize: u64) -> i64 {
        if sigsetsize != 8 {
            return EINVAL;
        }
        let mut b = [0u8; 8];
        if !guest_read_bytes(set, &mut b) {
            return EFAULT;
        }
        let temp = u64::from_le_bytes(b);
        let host = [host_mask(temp)];
        safe_syscall::call(
            nr::RT_SIGSUSPEND,
            [host.as_ptr() as u64, 8, 0, 0, 0, 0],
            temp,
        );
        // The wait only ends when a guest signal the mask lets through is
        // queued (before the call or during it).
        self.wait_interrupted(temp)
    }

    /// A wait under the temporary mask `temp` ended with a signal: the
    /// handler runs under `temp`, and the current mask comes back through
    /// its frame. Returns EINTR.
    fn wait_interrupted(&mut self, temp: u64) -> i64 {
        let old = self.sigmask;
        self.set_sigmask(temp);
        self.sigsuspend_saved = Some(old);
        EINTR
    }

    fn sigaltstack(&mut self, ss: u64, old: u64) -> i64 {
        if old != 0 {
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&self.altstack[0].to_le_bytes());
            let flags = if self.altstack[2] == 0 {
                libc::SS_DISABLE as u64
            } else {
                self.altstack[1]
            };
            b[8..16].copy_from_slice(&flags.to_le_bytes());
            b[16..24].copy_from_slice(&self.altstack[2].to_le_bytes());
            if !self.write_guest(old, &b) {
                return EFAULT;
            }
        }
        if ss != 0 {
            let mut b = [0u8; 24];
            if !guest_read_bytes(ss, &mut b) {
                return EFAULT;
            }
            let w =
                |k: usize| u64::from_le_bytes(b[k * 8..k * 8 + 8].try_into().unwrap_or_default());
            let flags = w(1) as i32;
            if flags & libc::SS_DISABLE != 0 {
                self.altstack = [0, 0, 0];
            } else if flags & !(1i32 << 31) != 0 {
                return EINVAL;
            } else if w(2) < libc::MINSIGSTKSZ as u64 {
                return -(libc::ENOMEM as i64);
            } else {
                self.altstack = [w(0), flags as u64, w(2)];
            }
        }
        0
    }

    /// `clone` with fork-like flags (fork, vfork and `CLONE_VM | CLONE_VFORK`
    /// become a host fork); `ptid` and `ctid` are guest addresses, which the
    /// kernel writes in the parent's or the child's copy of guest memory.
    fn clone(&mut self, env: &mut CpuState, flags: u64, newsp: u64, ptid: u64, ctid: u64) -> i64 {
        if flags & libc::CLONE_VM as u64 != 0 && flags & libc::CLONE_VFORK as u64 == 0 {
            // Threads need one host thread per guest thread: not yet.
            eprintln!(
                "ox86: clone with CLONE_VM (threads) is not supported yet; returning -ENOSYS"
            );
            return ENOSYS;
        }
        // fork and vfork become a host fork: the child carries a copy of
        // ox86 and the guest, and resumes the guest with RAX = 0.
        let keep = libc::CLONE_CHILD_SETTID
            | libc::CLONE_CHILD_CLEARTID
            | libc::CLONE_PARENT_SETTID
            | 0xff;
        let host_flags = flags & keep as u64;
        let sigmask = self.sigmask;
        let r = self
            .engine
            .fork(|| safe_syscall::call(nr::CLONE, [host_flags, 0, ptid, ctid, 0, 0], sigmask));
        if r == 0 && newsp != 0 {
            env.regs[reg::RSP] = newsp;
        }
        r
    }

    /// `execve`: the new program runs natively on the host (child
    /// processes are not translated); only `/proc/self/exe` is redirected
    /// to the guest program, which would otherwise name ox86.
    fn execve(&mut self, path: u64, argv: u64, envp: u64) -> i64 {
        let Some(p) = guest_cstr_bytes(path) else {
            return EFAULT;
        };
        if self.is_self_exe(&p) {
            let Ok(exe) = std::ffi::CString::new(self.exe_abs.as_str()) else {
                return -(libc::ENOENT as i64);
            };
            return self.host_syscall(nr::EXECVE, [exe.as_ptr() as u64, argv, envp, 0, 0, 0]);
        }
        self.host_syscall(nr::EXECVE, [path, argv, envp, 0, 0, 0])
    }
}

/// Signals ox86 itself needs on the host: guest accesses fault through them.
fn host_reserved(sig: i32) -> bool {
    sig == libc::SIGSEGV || sig == libc::SIGBUS
}

/// SIG_DFL and SIG_IGN mean the same on the host as for the guest, so they
/// are applied there: ignoring, stopping, terminating and the exit status
/// of a signal death are then exactly the kernel's. A guest handler gets a
/// host handler that queues the signal for delivery at a TB boundary.
pub(crate) fn apply_host_disposition(sig: i32, handler: u64) {
    if host_reserved(sig) {
        return;
    }
    if handler > 1 {
        crate::signal::catch_on_host(sig);
        return;
    }
    let h = if handler == 1 {
        libc::SIG_IGN
    } else {
        libc::SIG_DFL
    };
    // SAFETY: setting a default or ignore disposition for a signal ox86
    // does not use.
    unsafe { libc::signal(sig, h) };
}

/// The host mask for guest mask `mask`: ox86's own signals stay unblocked.
fn host_mask(mask: u64) -> u64 {
    mask & !((1u64 << (libc::SIGSEGV - 1)) | (1u64 << (libc::SIGBUS - 1)))
}

/// Applies the guest's signal mask to the host thread, except for the
/// signals ox86 needs; pending and blocked signals then behave as on Linux.
pub(crate) fn apply_host_mask(mask: u64) {
    let set = host_mask(mask);
    // SAFETY: the set is built through the libc API and only changes this
    // thread's mask.
    unsafe {
        let mut hs: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut hs);
        for sig in 1..=64 {
            if set & (1u64 << (sig - 1)) != 0 {
                libc::sigaddset(&mut hs, sig);
            }
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &hs, std::ptr::null_mut());
    }
}

fn arch_prctl(p: &mut Process, env: &mut CpuState, code: u64, addr: u64) -> i64 {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    const ARCH_GET_GS: u64 = 0x1004;
    match code {
        ARCH_SET_FS => env.fs_base = addr,
        ARCH_SET_GS => env.gs_base = addr,
        ARCH_GET_FS | ARCH_GET_GS => {
            let v = if code == ARCH_GET_FS {
                env.fs_base
            } else {
                env.gs_base
            };
            if !p.write_guest(addr, &v.to_le_bytes()) {
                return EFAULT;
            }
        }
        _ => return EINVAL,
    }
    0
}
