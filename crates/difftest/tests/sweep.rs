//! The CI sweep: fixed seeds, a bounded count, every class, both engines;
//! zero mismatches allowed. Longer sweeps run on demand with the
//! `ox86-difftest` binary.

use ox86_difftest::{sweep, Class, Config, Tester};
use ox86_engine::EngineKind;

/// Sequences per class in the CI sweep.
const COUNT: u64 = 4000;

#[test]
fn fixed_seed_sweep() {
    let mut tester = Tester::new(&[EngineKind::Interp, EngineKind::Jit]).expect("tester");
    let mut reports = Vec::new();
    for (seed, class) in [(1, Class::Int), (2, Class::Sse), (3, Class::X87)] {
        let cfg = Config {
            seed,
            count: COUNT,
            classes: vec![class],
            ..Config::default()
        };
        let r = sweep(&cfg, &mut tester, |_| {});
        assert!(r.errors.is_empty(), "{}", r.errors.join("\n"));
        assert!(
            r.mismatches.is_empty(),
            "{}",
            r.mismatches.iter().map(|m| m.report()).collect::<String>()
        );
        reports.push(format!(
            "{}: {} sequences, {} instructions",
            class.name(),
            r.sequences,
            r.instructions
        ));
    }
    println!("{}", reports.join("; "));
}
