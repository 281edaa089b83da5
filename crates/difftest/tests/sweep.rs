//! The CI sweep: fixed seeds, a bounded count (about a minute on an
//! idle 2-core machine), each class alone and all mixed, both engines;
//! zero mismatches allowed. Longer sweeps run on demand with the
//! `ox86-difftest` binary, e.g.
//! `cargo run --release --bin ox86-difftest -- --seed 100 --count 2000000`.

use ox86_difftest::{sweep, Class, Config, Tester};
use ox86_engine::EngineKind;

/// Sequences per sweep.
const COUNT: u64 = 50_000;

#[test]
fn fixed_seed_sweep() {
    let mut tester = Tester::new(&[EngineKind::Interp, EngineKind::Jit]).expect("tester");
    let mut reports = Vec::new();
    let sweeps = [
        (1, vec![Class::Int]),
        (2, vec![Class::Sse]),
        (3, vec![Class::X87]),
        (4, Class::ALL.to_vec()),
    ];
    for (seed, classes) in sweeps {
        let name: Vec<&str> = classes.iter().map(|c| c.name()).collect();
        let cfg = Config {
            seed,
            count: COUNT,
            classes,
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
            name.join("+"),
            r.sequences,
            r.instructions
        ));
    }
    println!("{}", reports.join("; "));
}
