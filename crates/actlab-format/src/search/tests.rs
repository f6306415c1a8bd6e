#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use super::screen::{Rejection, screen};
use super::space::{Binary, Candidate, Space, Unary};
use super::{SearchConfig, SpaceSection};

fn candidate(f: &str, constants: &[&str]) -> Candidate {
    Candidate {
        f: f.into(),
        constants: constants.iter().map(|c| c.to_string()).collect(),
        learnable: true,
    }
}

#[test]
fn equal_functions_are_one_candidate_whatever_their_text() {
    let list = [
        candidate("x*sigmoid(x)", &[]),
        candidate("sigmoid(x)*x", &[]),      // commuted
        candidate("x / (1 + exp(-x))", &[]), // the same function, another formula
        candidate("relu(x)", &[]),
        candidate("max(x, 0)", &[]), // relu
        candidate("x*x", &[]),
        candidate("x^2", &[]), // pow vs product: equal to 5 digits
        candidate("tanh(x)", &[]),
        candidate("2*sigmoid(2*x) - 1", &[]), // tanh, rounded differently in the last bits
        candidate("x*sigmoid(c1*x)", &["c1"]), // Swish with a learnable β: not SiLU
        candidate("sin(x)", &[]),
    ];
    let s = screen(&list);
    assert_eq!(s.generated, 11);
    assert_eq!(s.unique, 6, "{:?}", s.survivors);
    assert_eq!(s.rejected.get(&Rejection::Duplicate), Some(&5));
    let kept: Vec<&str> = s.survivors.iter().map(|v| v.candidate.f.as_str()).collect();
    assert_eq!(
        kept,
        [
            "x*sigmoid(x)",
            "relu(x)",
            "x*x",
            "tanh(x)",
            "x*sigmoid(c1*x)",
            "sin(x)"
        ]
    );
    let numbers: Vec<usize> = s.survivors.iter().map(|v| v.number).collect();
    assert_eq!(numbers, [1, 4, 6, 8, 10, 11]);
    let duplicates: Vec<usize> = s.survivors.iter().map(|v| v.duplicates).collect();
    assert_eq!(duplicates, [2, 1, 1, 1, 0, 0]);
}

#[test]
fn what_cannot_work_is_rejected_before_training_by_reason() {
    let list = [
        candidate("x", &[]),                         // linear
        candidate("c1*x", &["c1"]),                  // linear at any constant
        candidate("relu(x) - relu(-x) + 1", &[]),    // = x + 1: linear, found by values
        candidate("min(x, 0) - min(x, 0) + 3", &[]), // constant
        candidate("exp(x)", &[]),                    // overflows before 1e4
        candidate("x / (x - x)", &[]),               // 0/0
        candidate("abs(x)", &[]),                    // kept: not linear
    ];
    let s = screen(&list);
    assert_eq!(
        s.rejected.get(&Rejection::Linear),
        Some(&3),
        "{:?} {:?}",
        s.rejected,
        s.examples
    );
    assert_eq!(s.rejected.get(&Rejection::Constant), Some(&1));
    assert_eq!(s.rejected.get(&Rejection::NotFinite), Some(&2));
    assert_eq!(
        s.examples.get(&Rejection::NotFinite).map(String::as_str),
        Some("exp(x)")
    );
    assert_eq!(s.survivors.len(), 1);
    assert_eq!(s.survivors[0].candidate.f, "abs(x)");
    // The funnel adds up: generated = not finite + duplicates + unique; unique = constant +
    // linear + survivors.
    assert_eq!(
        s.generated,
        s.count(Rejection::NotFinite) + s.count(Rejection::Duplicate) + s.unique
    );
    assert_eq!(
        s.unique,
        s.count(Rejection::Constant) + s.count(Rejection::Linear) + s.survivors.len()
    );
    assert!(s.adds_up());
}

fn space(unary: &[&str], binary: &[&str], depth: usize) -> Space {
    Space::new(&SpaceSection {
        unary: unary.iter().map(|s| s.to_string()).collect(),
        binary: binary.iter().map(|s| s.to_string()).collect(),
        depth,
        learnable_constants: true,
    })
    .unwrap()
}

#[test]
fn generation_is_seeded_and_every_candidate_is_a_formula() {
    let unary = [
        "x",
        "-x",
        "abs(x)",
        "x^2",
        "x^3",
        "sqrt(abs(x))",
        "exp(x)",
        "log1p(abs(x))",
        "sin(x)",
        "cos(x)",
        "tanh(x)",
        "sigmoid(x)",
        "erf(x)",
        "softplus(x)",
        "relu(x)",
        "min(x, 0)",
        "b*x",
    ];
    let binary = [
        "a + b",
        "a - b",
        "a * b",
        "max(a, b)",
        "min(a, b)",
        "sigmoid(a) * b",
        "a / (1 + abs(b))",
    ];
    let s = space(&unary, &binary, 2);
    let first = s.generate(500, 7);
    assert_eq!(
        first,
        s.generate(500, 7),
        "the same seed, the same candidates"
    );
    assert_ne!(first, s.generate(500, 8));
    for c in &first {
        // Every candidate parses as a formula with exactly its constants.
        let params = c.constants.iter().map(|k| (k.clone(), 1.0)).collect();
        let checked = crate::expr::Formula::check(&c.f, &params, &c.constants, None, "c");
        match checked {
            Ok(_) => {}
            Err(e) => assert!(
                e.to_string().contains("not a finite number"),
                "{}: {e}",
                c.f
            ),
        }
    }
    let screened = screen(&first);
    assert!(screened.unique < 500 && !screened.survivors.is_empty());
    // Depth 2 composes: some candidate applies a unary template to a whole core unit.
    assert!(
        first.iter().any(|c| c.f.matches('(').count() >= 4),
        "{first:?}"
    );
}

#[test]
fn templates_are_substituted_name_by_name() {
    // One template, one operand: exp's x and max's a are not the variables.
    let s = space(&["exp(-abs(x))", "b*x"], &["max(a, b) + a"], 1);
    let all = s.generate(64, 1);
    let texts: std::collections::BTreeSet<&str> = all.iter().map(|c| c.f.as_str()).collect();
    assert!(
        texts.contains("max(exp(-abs(x)), c1*x) + exp(-abs(x))"),
        "{texts:?}"
    );
    assert!(texts.contains("max(c1*x, c2*x) + (c1*x)"), "{texts:?}");
    assert!(
        texts.contains("max(exp(-abs(x)), exp(-abs(x))) + exp(-abs(x))"),
        "{texts:?}"
    );
    // Constants are numbered per candidate, and learnable.
    let c = all
        .iter()
        .find(|c| c.f == "max(c1*x, c2*x) + (c1*x)")
        .unwrap();
    assert_eq!(c.constants, ["c1", "c2"]);
    assert!(c.learnable);
    match c.activation() {
        crate::activation::ActivationConfig::Expr {
            learnable, params, ..
        } => {
            assert_eq!(learnable, ["c1", "c2"]);
            assert_eq!(params.values().copied().collect::<Vec<f64>>(), [1.0, 1.0]);
        }
        other => panic!("{other:?}"),
    }
    // An operand that is not a name or a call is parenthesised.
    let s = space(&["x + 1"], &["a * b"], 2);
    let c = &s.generate(8, 3)[0];
    assert!(
        c.f.starts_with("(") && c.f.contains(") * (x + 1)"),
        "{}",
        c.f
    );
    // Bad templates are refused with what was expected.
    assert!(Unary::parse("b + 1").unwrap_err().contains("uses x"));
    assert!(Unary::parse("sin(x").is_err());
    assert!(Binary::parse("a + 1").unwrap_err().contains("both a and b"));
    assert!(Binary::parse("a + x").unwrap_err().contains("names `x`"));
}

const EXAMPLE: &str = r#"
[base]
model = { preset = "prelu-mlp", hidden = [128, 128, 128, 128, 128, 128, 128, 128] }
[space]
unary  = ["x", "-x", "abs(x)", "x^2", "x^3", "sqrt(abs(x))", "exp(x)", "log1p(abs(x))", "sin(x)",
          "cos(x)", "tanh(x)", "sigmoid(x)", "erf(x)", "softplus(x)", "relu(x)", "min(x, 0)", "b*x"]
binary = ["a + b", "a - b", "a * b", "max(a, b)", "min(a, b)", "sigmoid(a) * b", "a / (1 + abs(b))"]
depth  = 2
learnable_constants = true
[budget]
candidates = 500
proxy = { epochs = 2, train_limit = 12800, seeds = [7001] }
halving = { keep = 0.25, rounds = 3 }
finalists = 5
[confirm]
baselines = ["relu", "silu", "gelu"]
seeds = { start = 5, step = 5, max = 20 }
tune = { lr = [3e-4, 1e-3, 3e-3] }
"#;

fn load(text: &str) -> Result<SearchConfig, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search.toml");
    std::fs::write(&path, text).unwrap();
    SearchConfig::load(&path).map_err(|e| e.to_string())
}

#[test]
fn the_issue_example_loads_and_bad_values_name_their_field() {
    let config = load(EXAMPLE).unwrap();
    assert_eq!(config.name.as_deref(), Some("search"));
    assert_eq!(config.space.depth, 2);
    assert_eq!(config.confirm.tune.seeds, [2001, 2002]);
    for (from, to, field) in [
        ("depth  = 2", "depth  = 4", "space.depth"),
        ("candidates = 500", "candidates = 0", "budget.candidates"),
        ("keep = 0.25", "keep = 1.0", "budget.halving.keep"),
        ("finalists = 5", "finalists = 501", "budget.finalists"),
        ("seeds = [7001]", "seeds = [10]", "budget.proxy.seeds"),
        ("\"a + b\",", "\"a + 1\",", "space.binary[0]"),
        ("\"-x\",", "\"-y\",", "space.unary[1]"),
        (
            "baselines = [\"relu\", \"silu\", \"gelu\"]",
            "baselines = []",
            "confirm.baselines",
        ),
        (
            "lr = [3e-4, 1e-3, 3e-3] }",
            "lr = [3e-4, 1e-3, 3e-3], seeds = [15] }",
            "confirm.tune.seeds",
        ),
        (
            "train_limit = 12800",
            "train_limit = 3",
            "budget.proxy.train_limit",
        ),
        // compare's bound, checked before the search trains anything.
        (
            "tune = { lr = [3e-4, 1e-3, 3e-3] }",
            "tune = { lr = [3e-4, 1e-3, 3e-3] }\nmargin = 100.5",
            "confirm.margin",
        ),
    ] {
        assert!(EXAMPLE.contains(from), "{from}");
        let e = load(&EXAMPLE.replace(from, to)).unwrap_err();
        assert!(e.contains(field), "{to}: {e}");
    }
    let e = load(&EXAMPLE.replace("finalists = 5", "finalists = 5\nfinalist = 3")).unwrap_err();
    assert!(e.contains("finalist"), "{e}");
}

mod proxy_stage {
    use std::collections::BTreeMap;

    use super::super::SearchConfig;
    use super::super::proxy::{
        ProxyPlan, Standing, plan, points, reference_points, references_missing, rung_scores, rungs,
    };
    use super::{EXAMPLE, load};
    use crate::tuning::Observed;

    /// The example with 10 candidates' worth of budget: 2 seeds, rungs 2, 4, 8 (keep 0.5,
    /// 2 rounds), 2 finalists.
    fn config() -> SearchConfig {
        load(
            &EXAMPLE
                .replace("seeds = [7001]", "seeds = [7001, 7002]")
                .replace("keep = 0.25, rounds = 3", "keep = 0.5, rounds = 2")
                .replace("finalists = 5", "finalists = 2"),
        )
        .unwrap()
    }

    /// Runs that have trained: name → validation accuracy per epoch.
    struct Fake {
        curves: BTreeMap<String, Vec<f64>>,
        failed: Vec<String>,
    }

    impl Fake {
        /// Candidate k's accuracy at any epoch: `quality[k]`, seed 7002 0.001 higher.
        fn train(&mut self, names: &[String], epoch: usize, quality: &[f64]) {
            for name in names {
                let k: usize = name["cand-".len()..name.find("-s").unwrap()]
                    .parse()
                    .unwrap();
                let bump = if name.ends_with("7002") { 0.001 } else { 0.0 };
                self.curves
                    .insert(name.clone(), vec![quality[k] + bump; epoch]);
            }
        }

        fn next(&self, config: &SearchConfig, candidates: &[String]) -> ProxyPlan {
            let mut observe = |name: &str| Observed {
                val_acc: self.curves.get(name).cloned().unwrap_or_default(),
                finished: false,
            };
            plan(config, candidates, &mut observe, &|name| {
                self.failed.iter().any(|f| f == name)
            })
        }
    }

    #[test]
    fn halving_promotes_the_best_half_to_twice_the_epochs_and_ends_with_the_finalists() {
        let config = config();
        assert_eq!(rungs(&config), [2, 4, 8]);
        let candidates: Vec<String> = (0..10).map(|k| format!("cand-{k}")).collect();
        // Quality by candidate; 3 and 7 tie (the earlier wins), 9 diverges.
        let quality = [0.80, 0.85, 0.70, 0.88, 0.60, 0.90, 0.75, 0.88, 0.65, 0.0];
        let mut fake = Fake {
            curves: BTreeMap::new(),
            failed: vec!["cand-9-s7001".into()],
        };
        let mut asked = Vec::new();
        let standings: Vec<Standing> = loop {
            match fake.next(&config, &candidates) {
                ProxyPlan::Train { epoch, points } => {
                    asked.push((epoch, points.len()));
                    fake.train(&points, epoch, &quality);
                }
                ProxyPlan::Done(s) => break s,
            }
        };
        // Rung 2: 10 candidates × 2 seeds but one failed run; rung 4: ⌈0.5 × 9⌉ = 5 kept;
        // rung 8: ⌈0.5 × 5⌉ = 3 kept.
        assert_eq!(asked, [(2, 19), (4, 10), (8, 6)]);
        let finalists: Vec<&str> = standings
            .iter()
            .filter(|s| s.finalist)
            .map(|s| s.candidate.as_str())
            .collect();
        assert_eq!(
            finalists,
            ["cand-5", "cand-3"],
            "the tie goes to the earlier"
        );
        let order: Vec<&str> = standings.iter().map(|s| s.candidate.as_str()).collect();
        assert_eq!(
            order,
            [
                "cand-5", "cand-3", // finalists
                "cand-7", // out at 8
                "cand-1", "cand-0", // out at 4
                "cand-6", "cand-2", "cand-8", "cand-4", // out at 2
                "cand-9", // failed
            ]
        );
        let out_at: Vec<usize> = standings.iter().map(|s| s.epoch).collect();
        assert_eq!(out_at, [8, 8, 8, 4, 4, 2, 2, 2, 2, 2]);
        assert!(standings[9].failed && standings[9].val_accuracy.is_nan());
        // Mean over the two seeds.
        assert!((standings[0].val_accuracy - 0.9005).abs() < 1e-12);
        // Nothing was ever trained past the last rung, and a finished plan asks nothing more.
        assert!(fake.curves.values().all(|c| c.len() <= 8));
        assert!(matches!(
            fake.next(&config, &candidates),
            ProxyPlan::Done(_)
        ));
    }

    #[test]
    fn proxy_runs_stop_before_their_end_so_the_test_set_is_never_evaluated() {
        let config = config();
        let candidates = vec![(
            "cand-1".to_string(),
            crate::activation::ActivationConfig::Gelu { approximate: false },
        )];
        let p = points(&config, &candidates, std::path::Path::new("search.toml")).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "cand-1-s7001");
        let e = &p[1].experiment;
        assert_eq!(e.train.seed, 7002);
        assert_eq!(
            e.train.epochs, 9,
            "one past the last rung: paused at 8, never finished"
        );
        assert_eq!(e.data.train_limit, Some(12800));
        assert_eq!(e.train.early_stopping, None);
        // Without validation images there is nothing to rank on.
        let e = load(&EXAMPLE.replace("[space]", "[base.data]\nvalidation_size = 0\n[space]"))
            .unwrap_err();
        assert!(e.contains("base.data.validation_size"), "{e}");
    }

    /// The baselines train on the proxy as references, to the last rung and no further, and
    /// their scores at each rung are the mean over the proxy seeds.
    #[test]
    fn the_baselines_are_proxy_references_scored_at_every_rung() {
        let config = config();
        let path = std::path::Path::new("search.toml");
        let refs = reference_points(&config, path).unwrap();
        let names: Vec<&str> = refs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "relu-s7001",
                "relu-s7002",
                "silu-s7001",
                "silu-s7002",
                "gelu-s7001",
                "gelu-s7002"
            ]
        );
        assert!(refs.iter().all(|p| p.experiment.train.epochs == 9));
        let mut curves: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        curves.insert(
            "relu-s7001".into(),
            vec![0.5, 0.6, 0.7, 0.8, 0.81, 0.82, 0.83, 0.84],
        );
        curves.insert(
            "relu-s7002".into(),
            vec![0.4, 0.5, 0.6, 0.7, 0.71, 0.72, 0.73, 0.74],
        );
        curves.insert("silu-s7001".into(), vec![0.5; 3]);
        curves.insert("silu-s7002".into(), vec![0.5; 8]);
        let mut observe = |name: &str| Observed {
            val_acc: curves.get(name).cloned().unwrap_or_default(),
            finished: false,
        };
        let missing = references_missing(&config, &refs, &mut observe, &|n| n == "gelu-s7002");
        assert_eq!(missing, ["silu-s7001", "gelu-s7001"]);
        let relu = rung_scores(&config, "relu", &mut observe);
        let want = [0.55, 0.75, 0.79];
        for (got, want) in relu.iter().zip(want) {
            assert!((got.unwrap() - want).abs() < 1e-12, "{relu:?}");
        }
        // SiLU's first seed stopped before rung 4: a score only where every seed reached it.
        assert_eq!(
            rung_scores(&config, "silu", &mut observe),
            [Some(0.5), None, None]
        );
        assert_eq!(
            rung_scores(&config, "gelu", &mut observe),
            [None, None, None]
        );
    }
}
