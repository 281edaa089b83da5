//! Host threads of ox86's own: they run with every signal blocked, since
//! signals are the guest's, for the exec loop's thread.

use std::thread::JoinHandle;

/// Spawns a thread named `name` running `f`, every signal blocked there.
pub(crate) fn spawn_quiet<F>(name: &str, f: F) -> std::io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    // SAFETY: sigset_t is plain data; sigfillset fills the local, and
    // pthread_sigmask swaps this thread's mask (restored below), which the
    // new thread inherits.
    let old = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        old
    };
    let r = std::thread::Builder::new().name(name.into()).spawn(f);
    // SAFETY: restores the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    r
}
