//! Golden tests: x86 bytes -> IR text (`golden/`), and -> optimised IR
//! text (`golden_opt/`). Each `*.ir` file starts with
//! `; bytes: ..` (hex) and optionally `; pc: 0x..`, followed by the IR the
//! translator must produce. `OX86_BLESS=1 cargo test -p ox86-x86 --test golden`
//! rewrites the expectations from the current translator.

use iced_x86::{Decoder, DecoderOptions};
use ox86_x86::helpers::Names;
use ox86_x86::{translate_tb, CodeFetch, TbFlags, GLOBALS};
use std::path::Path;

struct Bytes {
    pc: u64,
    code: Vec<u8>,
}

impl CodeFetch for Bytes {
    fn fetch(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        let Some(off) = addr.checked_sub(self.pc) else {
            return 0;
        };
        let avail = self.code.get(off as usize..).unwrap_or(&[]);
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        n
    }
}

fn header(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("; {key}:")))
        .map(|v| v.trim().to_string())
}

fn translate(pc: u64, code: Vec<u8>, optimize: bool) -> String {
    let n = Decoder::with_ip(64, &code, pc, DecoderOptions::NONE)
        .into_iter()
        .count();
    let mut src = Bytes { pc, code };
    let mut tb = translate_tb(
        pc,
        &mut src,
        TbFlags {
            max_insns: n,
            ..Default::default()
        },
    );
    if optimize {
        ox86_ir::opt::optimize(&mut tb.ir);
    }
    let ir_text = ox86_ir::format_block(&tb.ir, &Names);
    let back = ox86_ir::parse_block(&ir_text, &GLOBALS, &Names).expect("IR text parses back");
    assert_eq!(back.ops, tb.ir.ops, "IR text round-trips");
    ox86_ir::verify(&tb.ir, &Names, ox86_x86::helpers::count()).expect("IR verifies");
    ir_text
}

#[test]
fn golden_ir() {
    run_dir("golden", false);
}

#[test]
fn golden_optimised_ir() {
    run_dir("golden_opt", true);
}

fn run_dir(name: &str, optimize: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name);
    let bless = std::env::var_os("OX86_BLESS").is_some();
    let mut failures = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ir"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no golden files");
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read golden");
        let bytes = header(&text, "bytes").expect("`; bytes:` header");
        let code: Vec<u8> = bytes
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
            .collect();
        let pc = header(&text, "pc")
            .map(|p| u64::from_str_radix(p.trim_start_matches("0x"), 16).expect("hex pc"))
            .unwrap_or(0x401000);
        let got = translate(pc, code, optimize);
        let head: String = text
            .lines()
            .take_while(|l| l.starts_with(';'))
            .map(|l| format!("{l}\n"))
            .collect();
        let expected = &text[head.len()..];
        if bless {
            std::fs::write(&path, format!("{head}{got}")).expect("bless");
        } else if expected != got {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches:\n{}",
        failures.join("\n")
    );
}
