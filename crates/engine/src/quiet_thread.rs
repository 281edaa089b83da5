//! Host threads of ox86's own: they run with every signal blocked, since
//! signals are the guest's, for the exec loop's thread; and they start on
//! a CPU other than the one the spawning thread runs on.
//!
//! The placement matters on a virtual machine whose idle virtual CPUs the
//! hypervisor deschedules: Linux then sees no idle CPU to place a new
//! thread on, queues it behind the busy spawning thread, and it starts
//! when that thread's time slice ends. On the 2-CPU KVM guest ox86 is
//! measured on, a thread spawned by a busy thread started 0.3 to 5 ms
//! later, 2.5 ms on average (the compile thread's first results came
//! after most of a dynamically linked program's start-up had run in the
//! interpreter); allowed only the other CPU, it started after 80 to
//! 250 us. The thread keeps that affinity (the spawning thread, the exec
//! loop's, keeps its own: guest threads it creates inherit it).

use std::ffi::CString;

/// A thread `spawn_quiet` started: detached when dropped unless joined.
pub(crate) struct QuietThread(Option<libc::pthread_t>);

impl QuietThread {
    /// Waits for the thread to end.
    pub fn join(mut self) {
        if let Some(t) = self.0.take() {
            // SAFETY: `t` is a joinable thread of this process, joined once
            // (taken out of `self`).
            unsafe { libc::pthread_join(t, std::ptr::null_mut()) };
        }
    }
}

impl Drop for QuietThread {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            // SAFETY: `t` is a joinable thread of this process, neither
            // joined nor detached before.
            unsafe { libc::pthread_detach(t) };
        }
    }
}

/// The closure a new thread runs, passed through `pthread_create`.
type Body = Box<dyn FnOnce() + Send>;

extern "C" fn start(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the `Box<Body>` `spawn_quiet` leaked for this
    // thread, taken back once, here.
    let body = unsafe { Box::from_raw(arg as *mut Body) };
    // A panic cannot unwind out of this `extern "C"` function: it aborts.
    body();
    std::ptr::null_mut()
}

/// The CPUs this process may use but the one the calling thread is on, if
/// there are such.
fn other_cpus() -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it (its
    // size passed) and the CPU_* macros stay within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        let here = libc::sched_getcpu();
        if here < 0 || here as usize >= libc::CPU_SETSIZE as usize {
            return None;
        }
        libc::CPU_CLR(here as usize, &mut set);
        (libc::CPU_COUNT(&set) > 0).then_some(set)
    }
}

/// Spawns a thread named `name` running `f`, every signal blocked there,
/// on the CPUs this process may use but the calling thread's.
pub(crate) fn spawn_quiet<F>(name: &str, f: F) -> std::io::Result<QuietThread>
where
    F: FnOnce() + Send + 'static,
{
    let name = CString::new(name).map_err(std::io::Error::other)?;
    let body: Box<Body> = Box::new(Box::new(move || {
        // SAFETY: PR_SET_NAME reads a NUL-terminated string.
        unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
        f()
    }));
    let arg = Box::into_raw(body) as *mut libc::c_void;
    // SAFETY: sigset_t, pthread_attr_t and pthread_t are plain data, each
    // initialised by the call that fills it before use; pthread_sigmask
    // swaps this thread's mask (restored below), which the new thread
    // inherits; the attributes are destroyed once the thread is made.
    // `arg` goes to the new thread, or is taken back here if there is
    // none.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        if let Some(cpus) = other_cpus() {
            libc::pthread_attr_setaffinity_np(&mut attr, std::mem::size_of_val(&cpus), &cpus);
        }
        let mut t: libc::pthread_t = std::mem::zeroed();
        let rc = libc::pthread_create(&mut t, &attr, start, arg);
        libc::pthread_attr_destroy(&mut attr);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if rc != 0 {
            drop(Box::from_raw(arg as *mut Body));
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        Ok(QuietThread(Some(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// The calling thread's CPU affinity.
    fn affinity() -> libc::cpu_set_t {
        // SAFETY: plain data filled by the call.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set);
            set
        }
    }

    fn cpus(set: &libc::cpu_set_t) -> Vec<usize> {
        // SAFETY: indices within the set.
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| unsafe { libc::CPU_ISSET(c, set) })
            .collect()
    }

    #[test]
    fn the_thread_runs_named_with_signals_blocked_on_the_other_cpus() {
        let mine = affinity();
        let (tx, rx) = mpsc::channel();
        let t = spawn_quiet("ox86-test", move || {
            // SAFETY: plain data filled by the calls.
            let (blocked, name) = unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &mut set);
                let mut name = [0u8; 16];
                libc::pthread_getname_np(libc::pthread_self(), name.as_mut_ptr().cast(), 16);
                (libc::sigismember(&set, libc::SIGINT) == 1, name)
            };
            tx.send((blocked, name, cpus(&affinity()))).unwrap();
        })
        .expect("spawns");
        let (blocked, name, theirs) = rx.recv().unwrap();
        t.join();
        assert!(blocked, "signals blocked in the thread");
        assert!(name.starts_with(b"ox86-test\0"), "named");
        let mine = cpus(&mine);
        if mine.len() > 1 {
            // Every CPU of the spawning thread but the one it ran on.
            assert_eq!(theirs.len(), mine.len() - 1, "{theirs:?} of {mine:?}");
            assert!(
                theirs.iter().all(|c| mine.contains(c)),
                "{theirs:?} of {mine:?}"
            );
        } else {
            assert_eq!(theirs, mine);
        }
    }
}
