//! The initial process stack, laid out as the Linux kernel's
//! `create_elf_tables` does: strings at the top (execfn, envp, argv,
//! platform, AT_RANDOM bytes), then auxv, envp[], argv[], argc at the
//! 16-byte-aligned stack pointer.

use crate::error::LinuxError;
use crate::loader::Loaded;
use crate::mm::{host_mmap, GuestMemory};

/// Guest stack size (as the default RLIMIT_STACK).
pub const STACK_SIZE: u64 = 8 << 20;

/// Auxiliary vector tags (include/uapi/linux/auxvec.h).
pub mod at {
    pub const NULL: u64 = 0;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const PAGESZ: u64 = 6;
    pub const BASE: u64 = 7;
    pub const FLAGS: u64 = 8;
    pub const ENTRY: u64 = 9;
    pub const UID: u64 = 11;
    pub const EUID: u64 = 12;
    pub const GID: u64 = 13;
    pub const EGID: u64 = 14;
    pub const PLATFORM: u64 = 15;
    pub const HWCAP: u64 = 16;
    pub const CLKTCK: u64 = 17;
    pub const SECURE: u64 = 23;
    pub const RANDOM: u64 = 25;
    pub const HWCAP2: u64 = 26;
    pub const EXECFN: u64 = 31;
}

/// Builds the stack; returns the initial RSP.
pub fn setup_stack(
    mem: &mut GuestMemory,
    loaded: &Loaded,
    execfn: &str,
    argv: &[String],
    envp: &[String],
    hwcap: u64,
) -> Result<u64, LinuxError> {
    // Executable when the program's PT_GNU_STACK says so, as Linux makes it.
    let prot = if loaded.exec_stack {
        libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC
    } else {
        libc::PROT_READ | libc::PROT_WRITE
    };
    let base = host_mmap(
        0,
        STACK_SIZE,
        prot,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
        -1,
        0,
    )
    .map_err(LinuxError::Stack)?;
    mem.record(base, base + STACK_SIZE);
    mem.loaded.push((base, base + STACK_SIZE, prot));
    let top = base + STACK_SIZE;
    let mut sp = top;
    let put_bytes = |sp: &mut u64, bytes: &[u8]| -> u64 {
        *sp -= bytes.len() as u64;
        // SAFETY: `sp` stays inside the stack mapping made above (the
        // strings are far smaller than STACK_SIZE).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), *sp as *mut u8, bytes.len()) };
        *sp
    };
    let cstr = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    };
    put_bytes(&mut sp, &[0u8; 8]);
    let execfn_p = put_bytes(&mut sp, &cstr(execfn));
    let env_p: Vec<u64> = envp
        .iter()
        .rev()
        .map(|e| put_bytes(&mut sp, &cstr(e)))
        .collect();
    let arg_p: Vec<u64> = argv
        .iter()
        .rev()
        .map(|a| put_bytes(&mut sp, &cstr(a)))
        .collect();
    let platform_p = put_bytes(&mut sp, b"x86_64\0");
    let mut random = [0u8; 16];
    // SAFETY: getrandom writes at most 16 bytes into `random`.
    unsafe { libc::getrandom(random.as_mut_ptr() as *mut _, 16, 0) };
    let random_p = put_bytes(&mut sp, &random);
    sp &= !15;

    let image = &loaded.program;
    // SAFETY: libc getters with no preconditions.
    let (uid, euid, gid, egid) = unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    };
    let auxv: Vec<(u64, u64)> = vec![
        (at::HWCAP, hwcap),
        (at::PAGESZ, 4096),
        (at::CLKTCK, 100),
        (at::PHDR, image.phdr),
        (at::PHENT, image.phent),
        (at::PHNUM, image.phnum),
        (at::BASE, loaded.interp.as_ref().map_or(0, |i| i.base)),
        (at::FLAGS, 0),
        (at::ENTRY, image.entry),
        (at::UID, uid as u64),
        (at::EUID, euid as u64),
        (at::GID, gid as u64),
        (at::EGID, egid as u64),
        (at::SECURE, 0),
        (at::RANDOM, random_p),
        (at::HWCAP2, 0),
        (at::EXECFN, execfn_p),
        (at::PLATFORM, platform_p),
        (at::NULL, 0),
    ];
    let argc = argv.len() as u64;
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * auxv.len();
    sp -= 8 * words as u64;
    sp &= !15;
    let mut w = sp;
    let mut push = |v: u64| {
        // SAFETY: inside the stack mapping; `words` slots were reserved.
        unsafe { (w as *mut u64).write(v) };
        w += 8;
    };
    push(argc);
    arg_p.iter().rev().for_each(|&p| push(p));
    push(0);
    env_p.iter().rev().for_each(|&p| push(p));
    push(0);
    for (k, v) in auxv {
        push(k);
        push(v);
    }
    Ok(sp)
}
