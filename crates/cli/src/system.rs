//! `ox86-system -kernel FILE [OPTIONS]`: boots a kernel on ox86's PC
//! (system mode). QEMU's spelling of the options is accepted (`-kernel`
//! as well as `--kernel`). Argument parsing only; the work is in the crates.

use clap::{Parser, ValueEnum};
use ox86_engine::{EngineKind, EngineOptions, LogMask, LogSink};
use ox86_pc::{Config, Machine};
use std::process::ExitCode;

/// The execution engine.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    /// The x86-64 JIT (default).
    Jit,
    /// The IR interpreter (reference engine).
    Interp,
}

/// Boot a kernel on an emulated PC.
#[derive(Parser, Debug)]
#[command(name = "ox86-system", version, about)]
struct Args {
    /// The kernel: a Multiboot kernel (32-bit entry) or an x86-64 ELF
    /// (entered in long mode with identity paging).
    #[arg(long, value_name = "FILE")]
    kernel: String,
    /// The kernel command line (Multiboot).
    #[arg(long, value_name = "STRING", default_value = "")]
    append: String,
    /// Guest RAM: a size in MiB, or with a suffix K, M, G.
    #[arg(short = 'm', value_name = "SIZE", default_value = "128")]
    memory: String,
    /// No display: the serial port on the terminal (Ctrl-A x quits).
    #[arg(long)]
    nographic: bool,
    /// Where COM1 goes; only `stdio` is supported.
    #[arg(long, value_name = "DEV")]
    serial: Option<String>,
    /// Log items, comma separated: in_asm, op, op_opt, out_asm, exec, int.
    #[arg(short = 'd', value_name = "ITEMS")]
    log: Option<String>,
    /// Write the -d log to FILE instead of stderr.
    #[arg(short = 'D', value_name = "FILE")]
    log_file: Option<String>,
    /// Exit instead of rebooting (reset or triple fault).
    #[arg(long)]
    no_reboot: bool,
    /// Execution engine.
    #[arg(long, value_enum, default_value = "jit")]
    engine: EngineArg,
    /// Translate one guest instruction per TB (debugging).
    #[arg(long)]
    one_insn_per_tb: bool,
    /// List each compiled TB in /tmp/perf-PID.map, so that `perf report`
    /// names JIT samples by guest pc (JIT engine).
    #[arg(long)]
    perfmap: bool,
}

/// Rewrites QEMU-style `-kernel` into `--kernel` for the long options.
fn qemu_style(args: impl Iterator<Item = String>) -> Vec<String> {
    const LONG: [&str; 8] = [
        "kernel",
        "append",
        "nographic",
        "serial",
        "no-reboot",
        "engine",
        "one-insn-per-tb",
        "perfmap",
    ];
    args.map(|a| match a.strip_prefix('-') {
        Some(rest) if LONG.contains(&rest) => format!("-{a}"),
        _ => a,
    })
    .collect()
}

/// Parses `-m`: MiB by default, or a K/M/G suffix.
fn ram_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_uppercase()),
        _ => (s, 'M'),
    };
    let n: u64 = num.parse().ok()?;
    let shift = match unit {
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return None,
    };
    n.checked_shl(shift)
        .filter(|&b| (2 << 20..=64 << 30).contains(&b))
}

fn main() -> ExitCode {
    ox86_engine::warm::start();
    let args = Args::parse_from(qemu_style(std::env::args()));
    let log = match args.log.as_deref().map(LogMask::parse).transpose() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            eprintln!("ox86-system: {e}");
            return ExitCode::from(1);
        }
    };
    let sink = match &args.log_file {
        None => LogSink::Stderr,
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => LogSink::File(f),
            Err(e) => {
                eprintln!("ox86-system: cannot create log file `{path}`: {e}");
                return ExitCode::from(1);
            }
        },
    };
    if let Some(dev) = args.serial.as_deref().filter(|d| *d != "stdio") {
        eprintln!("ox86-system: -serial {dev}: only `stdio` is supported");
        return ExitCode::from(1);
    }
    let Some(ram) = ram_size(&args.memory) else {
        eprintln!("ox86-system: bad -m size `{}` (2M to 64G)", args.memory);
        return ExitCode::from(1);
    };
    let kind = match args.engine {
        EngineArg::Jit => EngineKind::Jit,
        EngineArg::Interp => EngineKind::Interp,
    };
    let cfg = Config {
        kernel: args.kernel.clone(),
        append: args.append.clone(),
        ram_size: ram,
        no_reboot: args.no_reboot,
        engine: EngineOptions {
            kind,
            log,
            one_insn_per_tb: args.one_insn_per_tb,
            perfmap: args.perfmap,
            ..Default::default()
        },
        stdio_console: args.nographic || args.serial.is_some(),
    };
    let result = Machine::new(cfg, Box::new(std::io::stdout()), sink).and_then(|mut m| m.run());
    match result {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("ox86-system: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(ram_size("128"), Some(128 << 20));
        assert_eq!(ram_size("64M"), Some(64 << 20));
        assert_eq!(ram_size("1g"), Some(1 << 30));
        assert_eq!(ram_size("4096K"), Some(4 << 20));
        assert_eq!(ram_size("1"), None);
        assert_eq!(ram_size("x"), None);
    }

    #[test]
    fn qemu_spelling() {
        let a = qemu_style(
            ["ox86-system", "-kernel", "k", "-m", "64", "-no-reboot"]
                .map(String::from)
                .into_iter(),
        );
        assert_eq!(
            a,
            ["ox86-system", "--kernel", "k", "-m", "64", "--no-reboot"]
        );
    }
}
