use super::*;

fn sweep(grid: &str) -> Result<Sweep, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!("[base.model]\npreset = \"prelu-mlp\"\n[grid]\n{grid}\n"),
    )
    .unwrap();
    SweepConfig::load(&path)
}

#[test]
fn a_sweeps_output_switch_turns_tensorboard_off_in_every_point() {
    let on = sweep("seeds = [1, 2]").unwrap();
    assert!(on.points().iter().all(|p| p.experiment.output.tensorboard));
    let off = sweep("seeds = [1, 2]\n[output]\ntensorboard = false").unwrap();
    let points = off.points();
    assert_eq!(points.len(), 26);
    assert!(points.iter().all(|p| !p.experiment.output.tensorboard));
    let typo = sweep("[output]\ntensorbord = false")
        .unwrap_err()
        .to_string();
    assert!(typo.contains("tensorbord"), "{typo}");
}

#[test]
fn the_default_grid_is_13_activations_by_5_seeds() {
    let s = sweep("").unwrap();
    let points = s.points();
    assert_eq!(points.len(), 65);
    assert_eq!(points[0].name, "sigmoid-s1");
    assert_eq!(points[4].name, "sigmoid-s5");
    assert!(
        points.iter().any(|p| p.name == "swish-beta-1-learnable-s3"),
        "{:?}",
        points.iter().map(|p| &p.name).collect::<Vec<_>>()
    );
    assert_eq!(s.name.as_deref(), Some("s"));
    assert_eq!(s.baseline, "relu");
    assert_eq!(s.out_dir(), Path::new("runs/s"));
    let relu = points.iter().find(|p| p.name == "relu-s2").unwrap();
    assert_eq!(relu.experiment.train.seed, 2);
    assert_eq!(
        *relu.experiment.network().activation(),
        ActivationConfig::Relu
    );
}

#[test]
fn hidden_sizes_and_rates_multiply_the_grid() {
    let s = sweep("activations = [\"relu\", \"tanh\"]\nseeds = [7]\nhidden = [[64], [128, 64]]\nlr = [1e-3, 3e-4]").unwrap();
    let names: Vec<String> = s.points().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names.len(), 8);
    assert_eq!(names[0], "relu-h64-lr0.001-s7");
    assert_eq!(names[3], "relu-h128x64-lr0.0003-s7");
    let p = &s.points()[3];
    assert_eq!(p.experiment.network().activation_units(), vec![128, 64]);
    assert_eq!(p.experiment.train.optimizer.lr(), 3e-4);
}

#[test]
fn bad_sweeps_are_errors_naming_the_field() {
    let m = sweep("activations = []").unwrap_err().to_string();
    assert!(m.contains("grid.activations"), "{m}");
    let m = sweep("seeds = [1, 1]").unwrap_err().to_string();
    assert!(m.contains("grid =") && m.contains("-s1 is invalid"), "{m}");
    let m = sweep("activations = [\"rellu\"]").unwrap_err().to_string();
    assert!(m.contains("grid.activations") && m.contains("rellu"), "{m}");
    let m = sweep("sedes = [1]").unwrap_err().to_string();
    assert!(m.contains("sedes"), "{m}");
    let m = sweep("lr = [-1.0]").unwrap_err().to_string();
    assert!(m.contains("train.optimizer.lr"), "{m}");
    let m = sweep("hidden = []").unwrap_err().to_string();
    assert!(m.contains("grid.hidden = []"), "{m}");
    let m = sweep("lr = []").unwrap_err().to_string();
    assert!(m.contains("grid.lr = []"), "{m}");
    // 2 × 50,001 runs: refused before a single point is built.
    let seeds: Vec<String> = (1..=50_001).map(|s| s.to_string()).collect();
    let grid = format!(
        "activations = [\"relu\", \"tanh\"]\nseeds = [{}]",
        seeds.join(",")
    );
    let m = sweep(&grid).unwrap_err().to_string();
    assert!(m.contains("at most 100000 runs"), "{m}");
    // A name that would leave runs/.
    for name in ["../x", "/tmp/x", "..", ""] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        let text = format!("name = {name:?}\n[base.model]\npreset = \"prelu-mlp\"\n[grid]\n");
        std::fs::write(&path, text).unwrap();
        let m = SweepConfig::load(&path).unwrap_err().to_string();
        assert!(
            m.contains("name =") && m.contains("a plain name"),
            "{name}: {m}"
        );
    }
}

#[test]
fn formula_points_are_named_by_their_name_or_a_hash() {
    let s = sweep(
        "activations = [\"relu\", { kind = \"expr\", f = \"x * sigmoid(b * x)\", params = { b = 1.0 }, learnable = [\"b\"], name = \"Swish-B\" }, { kind = \"expr\", f = \"x * erf(x)\" }, { kind = \"expr\", f = \"x * erf(2 * x)\" }]\nseeds = [1]",
    )
    .unwrap();
    let names: Vec<String> = s.points().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names[1], "swish-b-s1");
    assert!(names[2].starts_with("expr-") && names[2].len() == "expr-01234567-s1".len());
    assert_ne!(
        names[2], names[3],
        "different formulas, different directories"
    );
    assert_eq!(
        sweep("activations = [{ kind = \"expr\", f = \"x * erf(x)\" }]\nseeds = [1]")
            .unwrap()
            .points()[0]
            .name,
        names[2],
        "the hash is stable"
    );
    let m = sweep("activations = [{ kind = \"expr\", f = \"x * sigmod(x)\" }]")
        .unwrap_err()
        .to_string();
    assert!(m.contains("column 5") && m.contains("sigmod"), "{m}");
}
