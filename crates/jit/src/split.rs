//! A compiled TB's cold part, its exit stubs and slow paths
//! (`Gen::emit_cold`), placed apart from the rest: in the code cache's top
//! end, which fills downwards (`CodeCache::push_cold`). An exit stub runs
//! until its jump is chained, a slow path on rare events; between the hot
//! parts of the TBs that run they only took cache lines and pages. (Padding
//! every TB of gcc's cc1 with 32 bytes never run made it 5% slower, with 96
//! bytes 11%; a TB's cold part was about two fifths of its bytes.)
//!
//! A TB is assembled as one piece for the address of its hot part. Moving
//! the cold part then changes, by the distance moved, the rel32 fields of
//! jumps between the two parts and of jumps and calls from the cold part to
//! anything outside the TB (shared stubs, helpers: `Gen::abs_fields`). The
//! cold part keeps its address modulo 16, so the alignment of anything in
//! it holds. A TB with a reference between the parts that is not a rel32
//! stays whole.

use crate::cache::CodeCache;
use crate::compiler::Slot;
use crate::error::JitError;
use crate::gen::Gen;

/// Where a TB just compiled goes.
pub(crate) struct Placement {
    /// Bytes at the slot's address: the hot part, or the whole TB.
    pub hot_len: usize,
    /// Host address of the cold part, when it goes apart.
    pub cold_at: Option<usize>,
    /// The slot after the TB.
    pub next: Slot,
}

/// Places the TB `g` just compiled for `slot`: its cold part apart if it
/// can (rewriting `g`'s code and exit stubs for that), else the whole TB at
/// the slot. `CacheFull` if it does not fit.
pub(crate) fn place(g: &mut Gen, slot: Slot) -> Result<Placement, JitError> {
    let len = g.a.code().len();
    let cold_start = g.cold_start;
    let cold_len = len - cold_start;
    if cold_len > 0 {
        let hot_end = slot.addr + CodeCache::footprint(cold_start);
        let from = slot.addr + cold_start;
        let at = (slot.cold.saturating_sub(cold_len) & !15) + (from & 15);
        let at = if at + cold_len > slot.cold {
            at.checked_sub(16)
        } else {
            Some(at)
        };
        if let Some(at) = at.filter(|&at| at >= hot_end) {
            if relocate(g, cold_start, at as i64 - from as i64) {
                return Ok(Placement {
                    hot_len: cold_start,
                    cold_at: Some(at),
                    next: Slot {
                        id: slot.id + 1,
                        addr: hot_end,
                        cold: at,
                    },
                });
            }
        }
    }
    let end = slot.addr + CodeCache::footprint(len);
    if end > slot.cold {
        return Err(JitError::CacheFull);
    }
    Ok(Placement {
        hot_len: len,
        cold_at: None,
        next: Slot {
            id: slot.id + 1,
            addr: end,
            cold: slot.cold,
        },
    })
}

/// Rewrites `g`'s code and exits for its part from `cold_start` on moved
/// by `d` bytes; false (nothing changed) if a field that would have to
/// change is not a rel32 or its value would not fit.
fn relocate(g: &mut Gen, cold_start: usize, d: i64) -> bool {
    let cold = |off: usize| off >= cold_start;
    let resolved = std::mem::take(&mut g.a.resolved);
    // Each field to change, its size and by how much: a jump into the cold
    // part from the hot one lengthens by `d`, one out of the cold part
    // shortens by it.
    let labels = resolved.iter().filter_map(|&(field, size, target)| {
        (cold(field) != cold(target)).then_some((field, size, if cold(target) { d } else { -d }))
    });
    let absolute = g
        .abs_fields
        .iter()
        .filter(|&&f| cold(f))
        .map(|&f| (f, 4, -d));
    let fields = labels.chain(absolute);
    let fits = fields.clone().all(|(field, size, by)| {
        size == 4 && i32::try_from(read_i32(g.a.code(), field) as i64 + by).is_ok()
    });
    if fits {
        for (field, _, by) in fields {
            let v = (read_i32(g.a.code(), field) as i64 + by) as i32;
            g.a.code_mut()[field..field + 4].copy_from_slice(&v.to_le_bytes());
        }
        for e in &mut g.exits {
            e.stub = (e.stub as i64 + d) as usize;
        }
        for e in &mut g.back_edges {
            e.out = (e.out as i64 + d) as usize;
        }
    }
    g.a.resolved = resolved;
    fits
}

fn read_i32(code: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(code[at..at + 4].try_into().expect("a 4-byte field"))
}
