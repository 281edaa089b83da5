//! The host side of the serial console: the terminal in raw mode while
//! the guest owns it (restored on exit), and the threads that wake the
//! vCPU: one reading standard input (with QEMU's `Ctrl-A x` escape to
//! quit, `Ctrl-A Ctrl-A` for a literal Ctrl-A), one sleeping until the
//! next device deadline.

use ox86_x86::CpuState;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// The escape character: Ctrl-A.
pub const ESCAPE: u8 = 0x01;

/// The terminal settings to put back, if raw mode was entered.
static SAVED_TERMIOS: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Puts the terminal on standard input in raw mode (no echo, no line
/// editing, no signals from keys: Ctrl-C goes to the guest), keeping
/// output post-processing (`\n` -> `\r\n`). Nothing if stdin is no tty.
pub fn enter_raw_mode() {
    // SAFETY: isatty/tcgetattr/tcsetattr on fd 0 with a termios we own.
    unsafe {
        if libc::isatty(0) != 1 {
            return;
        }
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return;
        }
        *SAVED_TERMIOS.lock().expect("termios lock") = Some(t);
        let mut raw = t;
        libc::cfmakeraw(&mut raw);
        raw.c_oflag |= libc::OPOST;
        libc::tcsetattr(0, libc::TCSANOW, &raw);
    }
}

/// Restores the terminal if `enter_raw_mode` changed it.
pub fn restore_terminal() {
    if let Some(t) = SAVED_TERMIOS.lock().map(|mut g| g.take()).ok().flatten() {
        // SAFETY: restores settings read from the same fd.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
    }
}

/// A vCPU's `exit_request`, for other threads to set.
#[derive(Clone, Copy)]
pub struct Kick(*const CpuState);

// SAFETY: the pointee is a boxed CpuState that is never moved or freed
// while the process runs the machine; only its atomics are touched.
unsafe impl Send for Kick {}
// SAFETY: as above; only atomic operations go through the pointer.
unsafe impl Sync for Kick {}

impl Kick {
    /// The kick for `cpu`.
    pub fn new(cpu: &CpuState) -> Kick {
        Kick(cpu)
    }

    /// Makes the vCPU leave chained code (`CpuState::request_exit`).
    pub fn kick(&self) {
        // SAFETY: see the Send/Sync impls.
        unsafe { (*self.0).request_exit() };
    }
}

/// State shared by the vCPU and the helper threads.
#[derive(Default)]
pub struct Events {
    /// Bytes typed, not yet given to the UART.
    pub input: VecDeque<u8>,
    /// The user asked to quit (Ctrl-A x).
    pub quit: bool,
    /// When the next device event is due (for the timer thread).
    pub deadline: Option<Instant>,
}

/// The shared state and the condition variable that signals changes.
pub struct Shared {
    /// The state.
    pub events: Mutex<Events>,
    /// Signalled on input, quit and deadline changes.
    pub cond: Condvar,
    /// Set with input or quit, so the vCPU need not lock to find none.
    pub pending: AtomicBool,
}

impl Shared {
    /// Empty state.
    pub fn new() -> Arc<Shared> {
        Arc::new(Shared {
            events: Mutex::new(Events::default()),
            cond: Condvar::new(),
            pending: AtomicBool::new(false),
        })
    }

    /// Blocks until input (if `want_input`: the UART has room), quit, or
    /// `until` (forever when None).
    pub fn wait(&self, until: Option<Instant>, want_input: bool) {
        let mut ev = self.events.lock().expect("events lock");
        loop {
            if (want_input && !ev.input.is_empty()) || ev.quit {
                return;
            }
            match until {
                None => ev = self.cond.wait(ev).expect("events lock"),
                Some(t) => {
                    let now = Instant::now();
                    if now >= t {
                        return;
                    }
                    ev = self.cond.wait_timeout(ev, t - now).expect("events lock").0;
                }
            }
        }
    }

    /// Sets the deadline the timer thread sleeps toward.
    pub fn set_deadline(&self, t: Option<Instant>) {
        let mut ev = self.events.lock().expect("events lock");
        if ev.deadline != t {
            ev.deadline = t;
            self.cond.notify_all();
        }
    }
}

/// Starts the thread that kicks the vCPU when the deadline passes.
pub fn spawn_timer(shared: Arc<Shared>, kick: Kick) {
    std::thread::spawn(move || {
        let mut ev = shared.events.lock().expect("events lock");
        loop {
            match ev.deadline {
                None => ev = shared.cond.wait(ev).expect("events lock"),
                Some(t) => {
                    let now = Instant::now();
                    if now >= t {
                        ev.deadline = None;
                        kick.kick();
                    } else {
                        ev = shared
                            .cond
                            .wait_timeout(ev, t - now)
                            .expect("events lock")
                            .0;
                    }
                }
            }
        }
    });
}

/// Starts the thread that reads standard input into `shared.input`,
/// handling the Ctrl-A escapes.
pub fn spawn_input(shared: Arc<Shared>, kick: Kick) {
    std::thread::spawn(move || {
        let mut escaped = false;
        let mut buf = [0u8; 256];
        loop {
            // SAFETY: reads into a buffer we own.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if n <= 0 {
                return;
            }
            let mut ev = shared.events.lock().expect("events lock");
            for &b in &buf[..n as usize] {
                if escaped {
                    escaped = false;
                    match b {
                        b'x' => ev.quit = true,
                        b'h' => eprint!(
                            "\nC-a h    print this help\nC-a x    exit\nC-a C-a  sends C-a\n"
                        ),
                        b => ev.input.push_back(b),
                    }
                } else if b == ESCAPE {
                    escaped = true;
                } else {
                    ev.input.push_back(b);
                }
            }
            shared.pending.store(true, Ordering::Release);
            drop(ev);
            shared.cond.notify_all();
            kick.kick();
        }
    });
}
