//! ox86's intermediate representation: the op table, the per-TB op list and
//! its builder, the text form, and the verifier. Front ends write it; the
//! optimiser rewrites it; the interpreter and the JIT execute it.

pub mod error;
pub mod eval;
pub mod func;
pub mod op;
pub mod opt;
pub mod table;
pub mod text;
pub mod verify;

pub use error::IrError;
pub use func::{pack_xmm_operands, unpack_xmm_operands, Global, IrBlock, XMM_ALIGNED};
pub use op::{Cond, Label, Op, Temp};
pub use table::{opf, Opcode};
pub use text::{format_block, format_op, parse_block, HelperNames};
pub use verify::verify;
