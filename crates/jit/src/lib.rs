//! ox86's x86-64 backend: compiles each TB's IR to host code with dynasm
//! (register allocation inside the TB, helper calls with the SysV ABI,
//! patchable direct exits, inline jump-table lookup), keeps it in a
//! bump-allocated code cache, and maps host faults back to guest pcs.

#[macro_use]
mod short;
// Before `gen`, which matches on its opcode patterns.
#[macro_use]
mod ops;

mod abi;
mod addr;
mod asm;
mod bits;
mod cache;
mod census;
mod cmpfuse;
mod compiler;
mod defs;
mod demand;
#[cfg(feature = "disas")]
mod disas;
mod emit;
mod error;
mod exits;
mod fault;
mod fuse;
mod gen;
mod globcopy;
mod hints;
mod jit;
pub mod jmp_table;
mod lazy_cf;
mod liveness;
mod loops;
mod mmu;
mod mxcsr;
mod nextuse;
mod ras;
mod regalloc;
mod rip;
mod sib;
mod sites;
mod split;
mod stubs;
#[cfg(test)]
mod test_globals;
mod xmm;
mod xmm_cache;

pub use compiler::{Compiled, Compiler, Slot};
pub use error::JitError;
pub use fault::{handle_host_fault, GREGS};
pub use jit::{Jit, JitExit, JitOptions, StoreHook, TbId};
pub use xmm::inline_forms;
