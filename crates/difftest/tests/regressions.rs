//! Every mismatch ox86-difftest has found, kept as a fixed case: each row
//! of `regressions.txt` (a sequence and its initial state, as the tester
//! prints them) runs natively and under both engines, which must agree.

use ox86_difftest::{engine_name, Case, Tester};
use ox86_engine::EngineKind;

#[test]
fn regressions() {
    let mut tester = Tester::new(&[EngineKind::Interp, EngineKind::Jit]).expect("tester");
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, line) in include_str!("regressions.txt").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        n += 1;
        let case = Case::parse(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        match tester.check(&case, None) {
            Ok(results) => {
                for (k, d) in results {
                    if !d.is_empty() {
                        failures.push(format!(
                            "line {} under {}:\n{}  {}",
                            i + 1,
                            engine_name(k),
                            case.disassembly(),
                            d.join("\n  ")
                        ));
                    }
                }
            }
            Err(e) => failures.push(format!("line {}: {e}", i + 1)),
        }
    }
    assert!(n > 0, "no regression cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
