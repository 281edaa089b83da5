//! Calls that wait with a temporary signal mask (ppoll, pselect6,
//! epoll_pwait, epoll_pwait2). The host call gets the guest's temporary
//! mask, so unblocking and waiting stay atomic as in the kernel; when a
//! signal ends the wait, its handler runs under the temporary mask and the
//! old one comes back through the handler's frame, as with sigsuspend.

use super::{guest_read_bytes, host_mask, safe_syscall, EFAULT, EINTR, EINVAL};
use crate::process::Process;

/// ppoll(fds, nfds, tsp, sigmask, sigsetsize).
const PPOLL: u64 = 271;
/// pselect6(n, in, out, ex, tsp, &{sigmask, sigsetsize}).
const PSELECT6: u64 = 270;
/// epoll_pwait(epfd, events, maxevents, timeout, sigmask, sigsetsize).
const EPOLL_PWAIT: u64 = 281;
/// epoll_pwait2(epfd, events, maxevents, tsp, sigmask, sigsetsize).
const EPOLL_PWAIT2: u64 = 441;

/// True for the calls this module handles.
pub(super) fn takes_sigmask(nr: u64) -> bool {
    matches!(nr, PPOLL | PSELECT6 | EPOLL_PWAIT | EPOLL_PWAIT2)
}

fn read_u64(addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    guest_read_bytes(addr, &mut b).then(|| u64::from_le_bytes(b))
}

impl Process {
    /// Runs one of the calls of [`takes_sigmask`].
    pub(super) fn masked_wait(&mut self, nr: u64, mut a: [u64; 6]) -> i64 {
        let (set, size) = match nr {
            PPOLL => (a[3], a[4]),
            PSELECT6 if a[5] == 0 => (0, 0),
            PSELECT6 => match (read_u64(a[5]), read_u64(a[5] + 8)) {
                (Some(set), Some(size)) => (set, size),
                _ => return EFAULT,
            },
            _ => (a[4], a[5]),
        };
        if set == 0 {
            return self.host_syscall(nr, a);
        }
        if size != 8 {
            return EINVAL;
        }
        let Some(mask) = read_u64(set) else {
            return EFAULT;
        };
        let unblockable = (1u64 << (libc::SIGKILL - 1)) | (1u64 << (libc::SIGSTOP - 1));
        let temp = mask & !unblockable;
        let host_set = [host_mask(temp)];
        let host_pselect = [host_set.as_ptr() as u64, 8];
        match nr {
            PPOLL => a[3] = host_set.as_ptr() as u64,
            PSELECT6 => a[5] = host_pselect.as_ptr() as u64,
            _ => a[4] = host_set.as_ptr() as u64,
        }
        // A signal the temporary mask lets through, queued before the call
        // (ERESTARTSYS) or arriving during it (EINTR), ends the wait.
        match safe_syscall::call(nr, a, temp) {
            EINTR | safe_syscall::ERESTARTSYS => self.wait_interrupted(temp),
            r => r,
        }
    }
}
