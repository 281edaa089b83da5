//! The perf map (`--perfmap`): one line per compiled TB in
//! `/tmp/perf-PID.map`, the file `perf report` reads to name samples in
//! JIT code, as QEMU's `-perfmap` writes it. A line is the host start and
//! size in hex and a symbol naming the guest pc, so a profile of a guest
//! program shows which guest code its time went to.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};

/// The open perf map of this process.
pub struct PerfMap {
    file: File,
}

impl PerfMap {
    /// The file perf looks for: `/tmp/perf-PID.map`.
    pub fn path() -> String {
        format!("/tmp/perf-{}.map", std::process::id())
    }

    /// Creates (or truncates) this process's perf map.
    pub fn create() -> io::Result<PerfMap> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(Self::path())?;
        Ok(PerfMap { file })
    }

    /// Records the host code `[start, start + len)` of the TB at guest `pc`.
    /// One unbuffered write per TB, so the map is complete whenever the
    /// process ends (profiling runs only, where that cost does not matter).
    pub fn record(&mut self, start: usize, len: usize, pc: u64) {
        let line = format!("{start:x} {len:x} guest_{pc:#x}\n");
        // A map that cannot be written only costs the profile its names.
        let _ = self.file.write_all(line.as_bytes());
    }
}
