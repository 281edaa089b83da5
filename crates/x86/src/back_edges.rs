//! The back edges of compiled loops, which an exit request repoints.
//!
//! A loop compiled as one TB (a loop region, or a TB that jumps to its own
//! start) goes round by a plain `jmp rel32`, with no test of
//! `CpuState::exit_request` on the way: a request (`request_exit`, from the
//! host signal handler on the guest's own thread) points every such jump at
//! its loop's way out, and the exec loop points them back once it has seen
//! the request. QEMU 0.x stopped chained TBs so, by unchaining their jumps.
//! The table has a fixed capacity, allocated once, so that the signal
//! handler can walk it at any point of the exec loop's work: entries are
//! written before the length that covers them is, and a flush only lowers
//! the length.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};

/// One back edge: where its rel32 field is, and the two values it takes.
#[derive(Default)]
struct BackEdge {
    /// Host address of the jump's rel32 field (4-byte aligned).
    field: AtomicUsize,
    /// rel32 to the loop's body.
    body: AtomicI32,
    /// rel32 to the loop's way out.
    out: AtomicI32,
}

/// Every back edge of the code cache.
pub struct BackEdges {
    len: AtomicUsize,
    /// A request is being honoured: back edges added now point out.
    requested: AtomicBool,
    edges: Box<[BackEdge]>,
}

impl BackEdges {
    /// An empty table for at most `capacity` back edges.
    pub fn new(capacity: usize) -> BackEdges {
        BackEdges {
            len: AtomicUsize::new(0),
            requested: AtomicBool::new(false),
            edges: (0..capacity).map(|_| BackEdge::default()).collect(),
        }
    }

    /// Adds the back edge whose rel32 field is at host address `field`, to
    /// take `body` or `out`; false if the table is full (nothing added).
    ///
    /// # Safety
    /// `field` must be a 4-byte aligned, writable rel32 field of generated
    /// code that stays mapped until the table is `clear`ed.
    pub unsafe fn push(&self, field: usize, body: i32, out: i32) -> bool {
        let n = self.len.load(Ordering::SeqCst);
        let Some(e) = self.edges.get(n) else {
            return false;
        };
        e.field.store(field, Ordering::SeqCst);
        e.body.store(body, Ordering::SeqCst);
        e.out.store(out, Ordering::SeqCst);
        self.len.store(n + 1, Ordering::SeqCst);
        // A request made before the length covered this edge did not see it.
        if self.requested.load(Ordering::SeqCst) {
            // SAFETY: as the caller promised.
            unsafe { set(field, out) };
        }
        true
    }

    /// Points every back edge out (an exit is requested).
    pub fn point_out(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.point(|e| e.out.load(Ordering::Relaxed));
    }

    /// Points every back edge at its body again (the request was seen).
    pub fn point_back(&self) {
        self.requested.store(false, Ordering::SeqCst);
        self.point(|e| e.body.load(Ordering::Relaxed));
    }

    fn point(&self, rel: impl Fn(&BackEdge) -> i32) {
        let n = self.len.load(Ordering::SeqCst);
        for e in &self.edges[..n] {
            // SAFETY: `push` was promised a live rel32 field.
            unsafe { set(e.field.load(Ordering::Relaxed), rel(e)) };
        }
    }

    /// Forgets every back edge (their code is about to go).
    pub fn clear(&self) {
        self.len.store(0, Ordering::SeqCst);
    }

    /// Back edges in the table.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }

    /// True if the table has no back edge.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Writes `rel` to the rel32 field at `field` in one aligned store, which
/// code running on another CPU sees whole, old or new.
///
/// # Safety
/// `field` must be a 4-byte aligned, writable rel32 field of generated code.
unsafe fn set(field: usize, rel: i32) {
    // SAFETY: as the caller promised.
    unsafe { (*(field as *const AtomicI32)).store(rel, Ordering::Release) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_point_out_and_back_and_late_ones_follow_a_request() {
        let fields = [AtomicI32::new(0), AtomicI32::new(0), AtomicI32::new(0)];
        let at = |k: usize| &fields[k] as *const AtomicI32 as usize;
        let get = |k: usize| fields[k].load(Ordering::SeqCst);
        let t = BackEdges::new(2);
        // SAFETY: the fields are aligned `AtomicI32`s alive for the test.
        unsafe {
            assert!(t.push(at(0), 10, 20));
            t.point_out();
            assert_eq!(get(0), 20);
            // Added while a request is honoured: it points out at once.
            assert!(t.push(at(1), 11, 21));
            assert_eq!(get(1), 21);
            t.point_back();
            assert_eq!((get(0), get(1)), (10, 11));
            assert!(!t.push(at(2), 12, 22), "full");
            t.clear();
            assert!(t.is_empty());
            t.point_out();
            assert_eq!((get(0), get(1)), (10, 11), "forgotten edges stay");
        }
    }
}
