//! What every reader must hold on **any** input: a value or an error — never a panic, a hang or
//! an unbounded allocation — and, for a value, the properties listed on each function (a
//! failed property panics). One definition, run by the cargo-fuzz targets in `fuzz/` and by
//! the seeded mutation tests that CI runs on the stable toolchain.

use std::path::Path;

use crate::config::{ConfigFile, ExperimentConfig, parse_toml};
use crate::diagnose::{DiagnoseConfig, DiagnoseReport};
use crate::image::decode_image;
use crate::run::{RunSummary, diagnostics, metrics};
use crate::state::CheckpointState;
use crate::sweep::{MAX_POINTS, SweepConfig};
use crate::tuning::Selection;

const PATH: &str = "input.toml";

fn text(bytes: &[u8]) -> Option<&str> {
    // Config readers read UTF-8 text (`read_text` refuses anything else).
    std::str::from_utf8(bytes).ok()
}

/// An experiment config: what validates writes itself out as TOML that reads and validates
/// back to the same experiment (what a run directory records is what it ran), all but
/// `train.progress`, which is never recorded.
pub fn experiment_config(bytes: &[u8]) {
    let path = Path::new(PATH);
    let Some(text) = text(bytes) else { return };
    let Ok(raw) = ExperimentConfig::parse(text, path) else {
        return;
    };
    let Ok(experiment) = raw.validate(path) else {
        return;
    };
    let written = experiment
        .to_toml()
        .unwrap_or_else(|e| panic!("a valid config cannot be written: {e}"));
    let again = ExperimentConfig::parse(&written, path)
        .and_then(|raw| raw.validate(path))
        .unwrap_or_else(|e| panic!("a written config does not read back: {e}\n{written}"));
    // `train.progress` is how this invocation reports, deliberately not recorded.
    let mut back = again.into_config();
    back.train.progress = experiment.train.progress;
    assert_eq!(
        &back,
        experiment.config(),
        "a written config reads back different"
    );
}

/// A sweep file: a valid sweep has at most [`MAX_POINTS`] points, exactly the grid's product.
pub fn sweep_config(bytes: &[u8]) {
    let path = Path::new(PATH);
    let Some(text) = text(bytes) else { return };
    let Ok(raw) = parse_toml::<SweepConfig>(text, path) else {
        return;
    };
    let Ok(sweep) = raw.validate(path) else {
        return;
    };
    let grid = &sweep.grid;
    let expected = grid.activations.len()
        * grid.hidden.as_ref().map_or(1, Vec::len)
        * grid.lr.as_ref().map_or(1, Vec::len)
        * grid.seeds.count().unwrap_or(usize::MAX);
    assert!(
        expected <= MAX_POINTS,
        "{expected} points passed validation"
    );
    assert_eq!(sweep.points().len(), expected);
    // A tuning stage: every group × candidate × tuning seed, none on a final seed, and the
    // final runs (at whatever rates are chosen) are the grid's points.
    if let Some(tune) = &sweep.tune {
        let runs = sweep.tune_points();
        let groups = grid.activations.len() * grid.hidden.as_ref().map_or(1, Vec::len);
        assert_eq!(runs.len(), groups * tune.lr.len() * tune.seeds.len());
        assert!(
            runs.iter()
                .all(|p| !grid.seeds.values().contains(&p.point.experiment.train.seed))
        );
        assert!(runs.len() <= MAX_POINTS);
    }
}

/// A diagnose file: a valid one names at least one activation and every network it builds
/// (the deep MLP or `[base.model]`) validates.
pub fn diagnose_config(bytes: &[u8]) {
    let path = Path::new(PATH);
    let Some(text) = text(bytes) else { return };
    let Ok(raw) = parse_toml::<DiagnoseConfig>(text, path) else {
        return;
    };
    let Ok(config) = raw.validate(path) else {
        return;
    };
    assert!(!config.diagnose.activations.is_empty());
    for activation in &config.diagnose.activations {
        let network = config.network(activation);
        assert!(network.is_ok_and(|n| n.validate().is_ok()));
    }
}

/// A search file: a valid one builds its space, and a sample of its candidates screens into a
/// funnel that adds up, every survivor a formula activation that validates.
pub fn search_config(bytes: &[u8]) {
    use crate::search::screen::screen;
    use crate::search::space::Space;
    let path = Path::new(PATH);
    let Some(text) = text(bytes) else { return };
    let Ok(raw) = parse_toml::<crate::search::SearchConfig>(text, path) else {
        return;
    };
    let Ok(config) = raw.validate(path) else {
        return;
    };
    let space = Space::new(&config.space);
    assert!(space.is_ok(), "a valid file's templates are checked");
    let Ok(space) = space else { return };
    let candidates = space.generate(config.budget.candidates.min(50), config.budget.seed);
    let s = screen(&candidates);
    assert!(s.adds_up(), "the funnel does not add up: {s:?}");
    for survivor in &s.survivors {
        assert!(
            survivor
                .candidate
                .activation()
                .validate("candidate")
                .is_ok()
        );
    }
}

/// `checkpoint/state.toml`: an error is one line naming the file; a state that reads is one
/// the trainer can resume from (a history of `epochs_completed` epochs numbered from 1 with
/// accuracies in [0, 1] and finite losses; sums of an unfinished epoch exactly when one is
/// under way, finite, with no more correct images than seen; the shuffle at the position), and
/// it writes itself out and reads back identical (the trainer resumes from exactly what it
/// saved).
pub fn checkpoint_state(bytes: &[u8]) {
    let path = Path::new("state.toml");
    let Some(text) = text(bytes) else { return };
    let state = match CheckpointState::parse(text, path) {
        Ok(state) => state,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with("state.toml: ") && !message.contains('\n'),
                "not one line naming the file: {message}"
            );
            return;
        }
    };
    let t = &state.train;
    // A pack member that stopped early: a shorter history, no unfinished epoch.
    let stopped_member =
        !t.packed_with.is_empty() && t.history.len() < t.epochs_completed && t.partial.is_none();
    assert!(t.history.len() == t.epochs_completed || stopped_member);
    for (i, r) in t.history.iter().enumerate() {
        assert_eq!(r.epoch, i + 1);
        assert!((0.0..=1.0).contains(&r.train_acc) && r.train_loss.is_finite());
        assert!(r.val_acc.is_none_or(|a| (0.0..=1.0).contains(&a)));
    }
    assert!(t.partial.is_some() == (t.steps_into_epoch > 0) || stopped_member);
    if let Some(p) = &t.partial {
        assert!(p.loss_sum.is_finite() && p.correct <= p.seen && p.steps == t.steps_into_epoch);
    }
    assert_eq!(
        (state.rng.stream, state.rng.position),
        (t.epochs_completed as u64 + 1, t.steps_into_epoch)
    );
    let written =
        toml::to_string(&state).unwrap_or_else(|e| panic!("a valid state cannot be written: {e}"));
    let again = CheckpointState::parse(&written, path)
        .unwrap_or_else(|e| panic!("a written state does not read back: {e}\n{written}"));
    // NaN ≠ NaN: compare the written forms, which are exact.
    let rewritten = toml::to_string(&again).unwrap_or_default();
    assert_eq!(rewritten, written, "a written state reads back different");
}

/// An image for `predict`: decoded, it is 28×28 pixels.
pub fn image(bytes: &[u8]) {
    if let Ok(pixels) = decode_image(bytes, false) {
        assert_eq!(pixels.len(), 28 * 28);
    }
}

/// An activation formula (the bytes as the formula, parameters `a` and `b`): a tree or an
/// error whose column lies within the formula (or just past its end); a tree evaluates without
/// panicking anywhere on the check grid, and the load-time check gives a value or an error.
pub fn formula(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let names = vec!["a".to_string(), "b".to_string()];
    match crate::expr::parse(text, &names) {
        Ok(expr) => {
            for x in crate::expr::check_grid() {
                let _ = expr.eval(x, &[0.5, -2.0]);
            }
        }
        Err(e) => {
            let length = text.chars().count();
            assert!(
                e.column >= 1 && e.column <= length.max(crate::expr::MAX_FORMULA_CHARS) + 1,
                "column {} of {length}",
                e.column
            );
        }
    }
    let params = [("a".to_string(), 0.5), ("b".to_string(), -2.0)].into();
    let _ = crate::expr::Formula::check(text, &params, &names, None, "model.activation");
}

/// A run directory's text files — `metrics.csv`, `diagnostics.csv`, `summary.json` — and a
/// sweep's `tune/selection.json` and `diagnose.json`, each tried on the bytes: a value or an
/// error. A metrics or diagnostics file that reads writes itself out and reads back the same,
/// and a summary that reads holds only accuracies in [0, 1] and finite losses.
pub fn run_files(bytes: &[u8]) {
    let Some(text) = text(bytes) else { return };
    let path = Path::new("run-file");
    if let Ok(history) = metrics::parse(text, path) {
        let again = metrics::parse(&metrics::csv(&history), path)
            .unwrap_or_else(|e| panic!("written metrics do not read back: {e}"));
        assert_eq!(again.len(), history.len());
        for (a, b) in again.iter().zip(&history) {
            assert_eq!(
                (a.epoch, a.train_acc.to_bits()),
                (b.epoch, b.train_acc.to_bits())
            );
        }
    }
    if let Ok(rows) = diagnostics::parse(text, path) {
        let written = diagnostics::csv(&rows);
        let again = diagnostics::parse(&written, path)
            .unwrap_or_else(|e| panic!("written diagnostics do not read back: {e}"));
        // NaN ≠ NaN: compare the written forms.
        assert_eq!(diagnostics::csv(&again), written);
    }
    if let Ok(summary) = RunSummary::parse(text, path) {
        assert!((0.0..=1.0).contains(&summary.test_accuracy));
        assert!(summary.test_loss.is_finite());
    }
    let _ = Selection::parse(text, path);
    let _ = DiagnoseReport::parse(text, path);
}

/// `predictions.bin`: an error is one line naming the file; a file that reads holds only
/// classes below its class count, as many labels as predictions, and writes itself back to
/// exactly the bytes read (its hash covers every byte).
pub fn predictions(bytes: &[u8]) {
    let path = Path::new("predictions.bin");
    match crate::run::TestPredictions::parse(bytes, path) {
        Ok(p) => {
            assert!(p.check().is_ok());
            let written = p
                .to_bytes()
                .unwrap_or_else(|e| panic!("a read predictions file cannot be written: {e}"));
            assert_eq!(written, bytes, "a predictions file reads back different");
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with("predictions.bin: ") && !message.contains('\n'),
                "not one line naming the file: {message}"
            );
        }
    }
}
