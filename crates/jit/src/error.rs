//! The JIT's error type.

use thiserror::Error;

/// Why a TB could not be compiled or the JIT could not start.
#[derive(Debug, Error)]
pub enum JitError {
    /// The code cache has no room for this TB: flush and compile again.
    #[error("code cache full")]
    CacheFull,
    /// The TB needs more spill slots than the frame has: translate fewer instructions.
    #[error("TB needs more than {0} spill slots")]
    TooManySpills(usize),
    /// The host CPU lacks an instruction the backend needs.
    #[error("the host CPU lacks {0}")]
    HostCpu(&'static str),
    /// Mapping the code cache failed.
    #[error("cannot map the code cache: {0}")]
    Map(std::io::Error),
}
