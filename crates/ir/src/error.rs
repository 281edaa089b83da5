//! The IR crate's error type.

/// Errors from parsing or verifying IR.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IrError {
    /// The text form could not be parsed.
    #[error("line {line}: {msg}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        msg: String,
    },
    /// The verifier rejected a block.
    #[error("op {index} (`{op}`): {msg}")]
    Verify {
        /// Index of the offending op.
        index: usize,
        /// The op, in text form.
        op: String,
        /// What was wrong.
        msg: String,
    },
}
