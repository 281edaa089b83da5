//! `-d out_asm`: host code listings with iced-x86's Intel formatter.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};

/// One `0x...:  insn` line per host instruction of `code` placed at `ip`.
pub fn listing(code: &[u8], ip: u64) -> String {
    let mut dec = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut out = String::new();
    let mut text = String::new();
    while dec.can_decode() {
        let insn = dec.decode();
        text.clear();
        fmt.format(&insn, &mut text);
        out.push_str(&format!("0x{:016x}:  {}\n", insn.ip(), text));
    }
    out
}
