//! The fixed addresses a sequence runs at, the same in the native child and
//! in the ox86 process (guest address == host address in user mode), all
//! below 2 GiB so that absolute and 32-bit address forms reach them.

/// Bytes in a page.
pub const PAGE: u64 = 4096;
/// The code page; a sequence ends exactly at its end (`END`).
pub const CODE: u64 = 0x3000_0000;
/// The address after the last byte of a sequence. Natively the page there
/// holds the stub that saves the final state; under ox86 it is unmapped, so
/// fetching there ends the run with a fetch fault at `END`.
pub const END: u64 = CODE + PAGE;
/// The scratch data page memory operands and the stack point into.
pub const SCRATCH: u64 = 0x3001_0000;
/// The guard page below the scratch page (never mapped: accesses fault).
pub const GUARD_LO: u64 = SCRATCH - PAGE;
/// The guard page above the scratch page.
pub const GUARD_HI: u64 = SCRATCH + PAGE;
/// The end of the region memory operands may address (the high guard's end).
pub const REGION_END: u64 = GUARD_HI + PAGE;
