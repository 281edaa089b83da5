//! sse helpers.

use super::HelperInfo;

/// This family's helpers.
pub static HELPERS: &[&HelperInfo] = &[];
