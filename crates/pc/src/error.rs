//! The system-mode crate's error type: what stops a machine from being
//! built or a kernel from being booted, reported in one line.

/// Why the machine cannot start.
#[derive(Debug, thiserror::Error)]
pub enum PcError {
    /// The kernel file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Open {
        /// Path as given.
        path: String,
        /// The host error.
        source: std::io::Error,
    },
    /// Neither a Multiboot kernel nor a 64-bit ELF.
    #[error("`{0}` is neither a Multiboot kernel nor an x86-64 ELF")]
    UnknownFormat(String),
    /// The ELF or Multiboot headers are damaged.
    #[error("`{path}` is malformed: {what}")]
    Malformed {
        /// Path as given.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A segment does not fit in guest RAM.
    #[error("`{path}`: {what} does not fit in {ram_mib} MiB of RAM")]
    TooBig {
        /// Path as given.
        path: String,
        /// Which part.
        what: String,
        /// RAM size.
        ram_mib: u64,
    },
    /// A segment would overwrite the loader's own data in low memory.
    #[error("`{path}`: the segment at {addr:#x} overlaps the boot data at 0x1000-0x9000")]
    Overlaps {
        /// Path as given.
        path: String,
        /// The segment's physical address.
        addr: u64,
    },
    /// The JIT could not start.
    #[error("cannot start the JIT: {0}")]
    Jit(String),
}
