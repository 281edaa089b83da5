//! Path arguments of the open, stat, access and readlink families: the
//! `-L` prefix is applied to absolute paths, and `/proc/self/exe` names the
//! guest program instead of ox86.

use super::{guest_cstr_bytes, EFAULT, EINVAL};
use crate::process::Process;
use std::ffi::CString;

/// Index of the path argument of the calls whose paths are rewritten.
pub(super) fn path_arg(nr: u64) -> Option<usize> {
    match nr {
        // open stat lstat access readlink
        2 | 4 | 6 | 21 | 89 => Some(0),
        // openat newfstatat readlinkat faccessat statx openat2 faccessat2
        257 | 262 | 267 | 269 | 332 | 437 | 439 => Some(1),
        _ => None,
    }
}

impl Process {
    /// True when `path` names the running program through /proc.
    pub(super) fn is_self_exe(&self, path: &[u8]) -> bool {
        path == b"/proc/self/exe"
            || path == b"/proc/thread-self/exe"
            || path == format!("/proc/{}/exe", std::process::id()).as_bytes()
    }

    /// Runs call `nr`, whose argument `i` is a path, with that path
    /// redirected as the module doc says.
    pub(super) fn path_call(&mut self, nr: u64, i: usize, mut a: [u64; 6]) -> i64 {
        let Some(path) = guest_cstr_bytes(a[i]) else {
            // The kernel reports the bad pointer or the over-long path.
            return self.host_syscall_on_code(nr, a);
        };
        let readlink = matches!(nr, 89 | 267);
        let replacement = if self.is_self_exe(&path) {
            if readlink {
                return self.readlink_reply(self.exe_abs.clone().as_bytes(), a[i + 1], a[i + 2]);
            }
            Some(self.exe_abs.clone())
        } else {
            std::str::from_utf8(&path)
                .ok()
                .filter(|_| self.sysroot.is_set())
                .map(|p| self.sysroot.resolve(p).into_owned())
                .filter(|p| p.as_bytes() != path.as_slice())
        };
        let Some(host) = replacement.and_then(|p| CString::new(p).ok()) else {
            return self.host_syscall_on_code(nr, a);
        };
        a[i] = host.as_ptr() as u64;
        self.host_syscall_on_code(nr, a)
    }

    /// What readlink returns for a link to `target`: as many bytes as fit,
    /// no NUL.
    fn readlink_reply(&mut self, target: &[u8], buf: u64, size: u64) -> i64 {
        if size as i64 <= 0 {
            return EINVAL;
        }
        let n = target.len().min(size as usize);
        if !self.write_guest(buf, &target[..n]) {
            return EFAULT;
        }
        n as i64
    }
}
