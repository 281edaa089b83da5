//! The two guest globals (rax and rcx, at CpuState offsets 0 and 8) the
//! unit tests of the JIT's passes build their IR over.

use ox86_ir::Global;

/// rax and rcx.
pub static GLOBALS: [Global; 2] = [
    Global {
        name: "rax",
        offset: 0,
    },
    Global {
        name: "rcx",
        offset: 8,
    },
];
