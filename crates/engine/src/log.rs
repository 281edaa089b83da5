//! `-d` logging in the manner of qemu: `in_asm` (guest code of each new
//! TB), `op` / `op_opt` (its IR before / after the optimiser), `out_asm` (its
//! host code), `exec` (each TB run), `int` (system mode: each interrupt
//! and exception delivered); written to
//! stderr or to the `-D` file.

use std::fs::File;
use std::io::{self, Write};

/// Which `-d` items are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogMask {
    /// Guest disassembly per TB.
    pub in_asm: bool,
    /// IR of each TB.
    pub op: bool,
    /// IR of each TB after the optimiser.
    pub op_opt: bool,
    /// Host code of each new TB (JIT engine).
    pub out_asm: bool,
    /// Each TB executed.
    pub exec: bool,
    /// Each interrupt and exception delivered (system mode).
    pub int: bool,
}

impl LogMask {
    /// Parses a comma-separated `-d` list; `help` is not an item.
    pub fn parse(s: &str) -> Result<LogMask, String> {
        let mut m = LogMask::default();
        for item in s.split(',').filter(|i| !i.is_empty()) {
            match item {
                "in_asm" => m.in_asm = true,
                "op" => m.op = true,
                "op_opt" => m.op_opt = true,
                "out_asm" => m.out_asm = true,
                "exec" => m.exec = true,
                "int" => m.int = true,
                other => {
                    return Err(format!(
                        "unknown -d item `{other}` (known: in_asm, op, op_opt, out_asm, exec, int)"
                    ))
                }
            }
        }
        Ok(m)
    }

    /// True if anything is logged.
    pub fn any(&self) -> bool {
        self.in_asm || self.op || self.op_opt || self.out_asm || self.exec || self.int
    }
}

/// Where log lines go.
pub enum LogSink {
    /// Standard error.
    Stderr,
    /// The `-D` file.
    File(File),
}

impl LogSink {
    /// Writes a chunk of log text.
    pub fn write(&mut self, s: &str) {
        let _ = match self {
            LogSink::Stderr => io::stderr().write_all(s.as_bytes()),
            LogSink::File(f) => f.write_all(s.as_bytes()),
        };
    }
}
