//! The user-mode crate's error type: everything that stops a program from
//! starting is one of these, reported in one line.

/// Why a guest program cannot be loaded or started.
#[derive(Debug, thiserror::Error)]
pub enum LinuxError {
    /// The program file could not be read.
    #[error("cannot open `{path}`: {source}")]
    Open {
        /// Path as given.
        path: String,
        /// The host error.
        source: std::io::Error,
    },
    /// The file is not an ELF file at all.
    #[error("`{0}` is not an ELF executable")]
    NotElf(String),
    /// A 32-bit ELF (i386 guests are not supported yet).
    #[error("`{0}` is a 32-bit ELF; only x86-64 programs are supported")]
    Elf32(String),
    /// An ELF for another machine.
    #[error("`{path}` is an ELF for machine {machine}, not x86-64")]
    WrongMachine {
        /// Path as given.
        path: String,
        /// e_machine.
        machine: u16,
    },
    /// Not ET_EXEC / ET_DYN.
    #[error("`{0}` is not an executable (ELF type is neither EXEC nor DYN)")]
    NotExecutable(String),
    /// The ELF headers are damaged.
    #[error("`{path}` is malformed: {what}")]
    Malformed {
        /// Path as given.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// The program's interpreter (PT_INTERP) cannot be loaded.
    #[error("cannot load the interpreter `{interp}` of `{path}`: {source}")]
    Interpreter {
        /// Path of the program as given.
        path: String,
        /// The PT_INTERP path.
        interp: String,
        /// Why the interpreter cannot be loaded.
        source: Box<LinuxError>,
    },
    /// A segment could not be mapped where the ELF asks.
    #[error("cannot map segment of `{path}` at {addr:#x}: {source}")]
    Map {
        /// Path as given.
        path: String,
        /// Guest address.
        addr: u64,
        /// The host error.
        source: std::io::Error,
    },
    /// The initial stack could not be set up.
    #[error("cannot set up the guest stack: {0}")]
    Stack(std::io::Error),
}
