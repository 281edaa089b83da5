//! Integer instructions checked against the host CPU: every snippet runs
//! natively and under ox86 (translator + IR interpreter) from the same
//! registers, flags and memory, and must leave the same registers, memory
//! and every flag the SDM defines for it.

mod aliasing;
mod atomic;
mod bits;
mod bmi;
mod cache;
mod crypto;
mod flags;
mod fxsr;
mod harness;
mod mmx;
mod muldiv;
mod random;
mod shift;
mod string;
mod system;
