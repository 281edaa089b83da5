//! The compile thread (JIT engine, user mode): TBs are optimised and
//! compiled on a second host thread while the guest runs on its own, in
//! the interpreter for code still waiting. The exec loop submits a TB's IR
//! (`Background::submit`) and installs what comes back (`Done`) whenever
//! it passes by; a compile the exec loop cannot go on without is submitted
//! the same way and waited for.
//!
//! Order: the thread takes the newest job first (code just reached is the
//! code running now), compiles each for the code-cache slot after the
//! previous one (`ox86_jit::Compiler`), and returns the results in that
//! order, which is the order the `Jit` must install them in. A flush of
//! the code cache starts a new epoch: queued jobs are dropped, results of
//! the old epoch ignored, and the thread goes on at the `Jit`'s new slot.
//! A submitted job reads its IR from the TB cached for the interpreter
//! meanwhile (or, for a loop region, from a TB of its own, the code
//! compiled before it running meanwhile); a job waited for brings its
//! optimised IR.
//!
//! Neither thread frees or grows memory the other allocated: with glibc's
//! per-thread arenas that would make each wait for the other's arena lock
//! (a system call and a reschedule each time). The thread compiles a copy
//! of each job's IR, returns the job's own (and its references), and fills
//! output buffers that come back to it (`Background::recycle`).
//!
//! Waking a sleeping thread costs a system call too, so each side polls a
//! little before it sleeps (yielding the CPU meanwhile, in case the other
//! side needs it): new code comes in bursts. By default the engine starts
//! no thread unless a CPU is idle for it (`cpu_exec::idle_cpu`, looked at
//! again now and then while it is not): on a busy host the two would only
//! take turns.
//!
//! The thread starts with the first job. Fork: the host child has only the
//! forking thread. The fork is made with the thread stopped between two
//! jobs and the queue locked (`fork`), so that the thread holds no lock the
//! child could need (the allocator's among them); the child starts a
//! thread of its own for the jobs left, or with its first.

use crate::tb::Tb;
use ox86_ir::IrBlock;
use ox86_jit::{Compiled, Compiler, JitError, Slot};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a side looks for work before it sleeps. A wake-up through
/// the futex costs the waking exec loop about 26 us on this host (a
/// virtual machine's inter-processor interrupt): gcc's cc1 woke the
/// thread 2,046 times after 200 us of polling, 821 times after 2 ms
/// (1473.8 -> 1432.3 ms; its CPU time the same within 2%).
const SPIN: Duration = Duration::from_millis(2);

/// The IR of a job, back in `Done` for the exec loop to drop or reuse.
pub enum JobIr {
    /// The IR of a TB made for the job, not optimised: the TB cached for
    /// the interpreter meanwhile, or a loop region (not cached: the code
    /// compiled before it runs meanwhile).
    Cached(Arc<Tb>),
    /// Optimised IR of a compile the exec loop waits for.
    Optimised(IrBlock),
}

impl JobIr {
    fn ir(&self) -> &IrBlock {
        match self {
            JobIr::Cached(tb) => &tb.interp.as_ref().expect("cached with its IR").ir,
            JobIr::Optimised(ir) => ir,
        }
    }
}

/// A TB to compile.
struct Job {
    seq: u64,
    epoch: u64,
    pc: u64,
    ir: JobIr,
    /// As `ox86_jit::Jit::set_mxcsr_at_entry`.
    mxcsr_at_entry: bool,
}

/// A job's outcome.
pub struct Done {
    /// `Background::submit`'s number for the job.
    pub seq: u64,
    /// The epoch it was submitted in.
    pub epoch: u64,
    /// The TB's guest pc.
    pub pc: u64,
    /// The code (to go back through `recycle` once installed), or why
    /// there is none.
    pub result: Result<Compiled, JitError>,
    /// The job's IR, back for the exec loop to drop or reuse.
    pub ir: JobIr,
    /// CPU time the thread spent on it, in nanoseconds.
    pub ns: u64,
}

#[derive(Default)]
struct Queue {
    /// Taken from the end.
    jobs: Vec<Job>,
    /// Jobs whose code kept running while they waited (`boost`): taken
    /// before `jobs`, from the end.
    boosted: Vec<Job>,
    /// Finished, in order.
    done: VecDeque<Done>,
    /// Output buffers back from the exec loop.
    spare: Vec<Compiled>,
    epoch: u64,
    /// Where to compile the next job to, after a flush.
    restart: Option<Slot>,
    /// Take no job (a fork is coming).
    paused: bool,
    /// The thread is working on a job.
    busy: bool,
    /// The thread waits on `Shared::work`.
    sleeping: bool,
    /// The exec loop waits on `Shared::finished`.
    waiting: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled for a sleeping thread: a job arrived, or the pause ended.
    work: Condvar,
    /// Signalled for a waiting exec loop: a job finished.
    finished: Condvar,
    /// Signalled when the thread stops being busy.
    idle: Condvar,
    /// Jobs submitted so far, for the thread to spin on.
    submitted: AtomicU64,
    /// Jobs finished so far, for the exec loop to poll without locking.
    completed: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Polls `counter` while it reads `seen`, for at most `SPIN`, yielding the
/// CPU between reads; true if it changed.
fn spin_on(counter: &AtomicU64, seen: u64) -> bool {
    let start = Instant::now();
    loop {
        if counter.load(Ordering::Acquire) != seen {
            return true;
        }
        if start.elapsed() >= SPIN {
            return false;
        }
        std::thread::yield_now();
    }
}

/// The exec loop's side of the compile thread.
pub struct Background {
    shared: Arc<Shared>,
    /// The compiler of a thread not started yet.
    unstarted: Option<Compiler>,
    next_seq: u64,
    epoch: u64,
    /// Jobs taken off `Queue::done`.
    taken: u64,
    /// Finished jobs taken off `Queue::done` and not yet handed out: every
    /// finished job is taken in one hold of the lock.
    ready: VecDeque<Done>,
    /// Installed TBs' buffers, for `Queue::spare` at the next hold of the
    /// lock.
    returned: Vec<Compiled>,
    /// Whether the thread times its jobs (`--stats`).
    timed: bool,
}

impl Background {
    /// A compile thread that will compile with `compiler`; it starts with
    /// the first job (`start`).
    pub fn new(compiler: Compiler, timed: bool) -> Background {
        Background {
            shared: Arc::new(Shared::default()),
            unstarted: Some(compiler),
            next_seq: 0,
            epoch: 0,
            taken: 0,
            ready: VecDeque::new(),
            returned: Vec::new(),
            timed,
        }
    }

    /// Whether the thread was started.
    pub fn started(&self) -> bool {
        self.unstarted.is_none()
    }

    /// Starts the thread unless it runs; call before `submit`. On an
    /// error there is none, and jobs would never be done.
    pub fn start(&mut self) -> std::io::Result<()> {
        match self.unstarted.take() {
            None => Ok(()),
            Some(compiler) => spawn(self.shared.clone(), compiler, self.timed),
        }
    }

    /// Replaces the compiler of a thread not started yet with `compiler`
    /// (the exec loop's thread compiled meanwhile, at slots after the old
    /// one's), and forgets a restart for the old.
    pub fn renew(&mut self, compiler: Compiler) {
        debug_assert!(!self.started(), "the thread has its compiler");
        self.unstarted = Some(compiler);
        self.shared.lock().restart = None;
    }

    /// The current epoch: results of another are stale.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Queues the TB at `pc` for compiling, ahead of every job queued
    /// before; returns the job's number.
    pub fn submit(&mut self, pc: u64, ir: JobIr, mxcsr_at_entry: bool) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let job = Job {
            seq,
            epoch: self.epoch,
            pc,
            ir,
            mxcsr_at_entry,
        };
        let mut q = self.shared.lock();
        q.jobs.push(job);
        q.spare.append(&mut self.returned);
        self.shared.submitted.fetch_add(1, Ordering::Release);
        if q.sleeping {
            q.sleeping = false;
            self.shared.work.notify_one();
        }
        seq
    }

    /// Moves job `seq` ahead of every other queued job, if it is still
    /// queued (the exec loop keeps interpreting its code meanwhile).
    pub fn boost(&mut self, seq: u64) {
        let mut q = self.shared.lock();
        if let Some(at) = q.jobs.iter().rposition(|j| j.seq == seq) {
            let job = q.jobs.remove(at);
            q.boosted.push(job);
        }
    }

    /// A finished job, if there is one. Takes every finished job at once,
    /// and gives back the buffers returned meanwhile (`recycle`), in one
    /// hold of the lock.
    pub fn poll(&mut self) -> Option<Done> {
        if self.ready.is_empty() && self.shared.completed.load(Ordering::Acquire) != self.taken {
            let mut q = self.shared.lock();
            // Moved element by element: each side's buffers stay its own.
            self.ready.extend(q.done.drain(..));
            q.spare.append(&mut self.returned);
            self.taken += self.ready.len() as u64;
        }
        self.ready.pop_front()
    }

    /// The next finished job, waiting for it.
    pub fn wait(&mut self) -> Done {
        loop {
            if let Some(done) = self.poll() {
                return done;
            }
            if spin_on(&self.shared.completed, self.taken) {
                continue;
            }
            let mut q = self.shared.lock();
            while q.done.is_empty() {
                q.waiting = true;
                q = self
                    .shared
                    .finished
                    .wait(q)
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    /// Gives an installed TB's buffers back to the thread (at the next
    /// `poll` or `submit`).
    pub fn recycle(&mut self, c: Compiled) {
        self.returned.push(c);
    }

    /// A new epoch after a flush: queued jobs are dropped (their IR is
    /// freed here, where it was allocated) and the thread goes on at
    /// `next`.
    pub fn restart(&mut self, next: Slot) {
        self.epoch += 1;
        let mut q = self.shared.lock();
        q.jobs.clear();
        q.boosted.clear();
        q.epoch = self.epoch;
        q.restart = Some(next);
    }

    /// Makes a host fork of `engine`'s process by calling `fork` (which
    /// returns the child's pid in the parent, 0 in the child, or an error)
    /// with the thread stopped between jobs and the queue locked. The
    /// child installs the results already made, then starts a thread for
    /// the jobs left (compiling at the slot after those results), or
    /// leaves that to its first job. Returns `fork`'s result.
    pub fn fork(engine: &mut crate::Engine, fork: impl FnOnce() -> i64) -> i64 {
        let Some(bg) = engine.bg.as_ref().filter(|bg| bg.unstarted.is_none()) else {
            return fork();
        };
        let shared = bg.shared.clone();
        let r = {
            let mut q = shared.lock();
            q.paused = true;
            while q.busy {
                q = shared.idle.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            let r = fork();
            q.paused = false;
            q.sleeping = false;
            if r == 0 {
                q.busy = false;
                q.waiting = false;
            }
            r
        };
        if r != 0 {
            shared.work.notify_one();
            return r;
        }
        engine.install_finished();
        let compiler = engine.jit_compiler();
        let Some(bg) = &mut engine.bg else {
            return 0;
        };
        bg.unstarted = Some(compiler);
        if {
            let q = shared.lock();
            !q.jobs.is_empty() || !q.boosted.is_empty()
        } && bg.start().is_err()
        {
            // Queued code is then compiled when it runs again.
            engine.stop_compile_thread();
        }
        0
    }
}

/// Starts the compile thread with every signal blocked: signals are the
/// guest's, for the exec loop's thread.
fn spawn(shared: Arc<Shared>, compiler: Compiler, timed: bool) -> std::io::Result<()> {
    // Busy until it first waits for work, after its start-up allocations
    // (a fork waits for that).
    shared.lock().busy = true;
    let thread = shared.clone();
    let r = crate::quiet_thread::spawn_quiet("ox86-compile", move || run(&thread, compiler, timed));
    if r.is_err() {
        shared.lock().busy = false;
    }
    r.map(|_| ())
}

/// The thread: takes jobs, newest first, and queues their outcomes.
fn run(shared: &Shared, mut compiler: Compiler, timed: bool) {
    let mut opt = ox86_ir::opt::Optimizer::default();
    let mut ir = IrBlock::new(&ox86_x86::GLOBALS);
    // The last job's outcome, queued in the same hold of the lock that
    // takes the next job.
    let mut finished: Option<Done> = None;
    loop {
        let (job, mut out) = {
            let mut q = shared.lock();
            if let Some(done) = finished.take() {
                q.done.push_back(done);
                shared.completed.fetch_add(1, Ordering::Release);
                if q.waiting {
                    q.waiting = false;
                    shared.finished.notify_one();
                }
            }
            loop {
                if !q.paused {
                    if let Some(slot) = q.restart.take() {
                        compiler.restart_at(slot);
                    }
                    if let Some(job) = q.boosted.pop().or_else(|| q.jobs.pop()) {
                        q.busy = true;
                        let out = q.spare.pop().unwrap_or_default();
                        break (job, out);
                    }
                }
                if q.busy {
                    q.busy = false;
                    // Only a fork waits for that (and pauses first); a
                    // notification is a system call, made holding the lock.
                    if q.paused {
                        shared.idle.notify_all();
                    }
                    if !q.paused {
                        let seen = shared.submitted.load(Ordering::Acquire);
                        drop(q);
                        spin_on(&shared.submitted, seen);
                        q = shared.lock();
                        continue;
                    }
                }
                q.sleeping = true;
                q = shared.work.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        };
        let t0 = if timed {
            crate::cpu_exec::thread_cpu_ns()
        } else {
            0
        };
        // This thread's own copy (see the module's notes on memory).
        let src = job.ir.ir();
        ir.globals = src.globals;
        ir.n_temps = src.n_temps;
        ir.n_labels = src.n_labels;
        ir.unobserved_at_faults = src.unobserved_at_faults;
        ir.ops.clear();
        ir.ops.extend_from_slice(&src.ops);
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let JobIr::Cached(_) = job.ir {
                opt.run(&mut ir);
            }
            if cfg!(debug_assertions) {
                let (names, n) = (&ox86_x86::helpers::Names, ox86_x86::helpers::count());
                if let Err(e) = ox86_ir::verify(&ir, names, n) {
                    panic!("translator produced invalid IR at {:#x}: {e}", job.pc);
                }
            }
            compiler.compile(&ir, job.pc, job.mxcsr_at_entry, &mut out)
        })) {
            Ok(r) => r.map(|()| out),
            // The panic hook printed the message; a failure here is an
            // ox86 bug, fatal as on the exec loop's thread.
            Err(_) => std::process::exit(101),
        };
        let ns = if timed {
            crate::cpu_exec::thread_cpu_ns() - t0
        } else {
            0
        };
        finished = Some(Done {
            seq: job.seq,
            epoch: job.epoch,
            pc: job.pc,
            result,
            ir: job.ir,
            ns,
        });
    }
}
