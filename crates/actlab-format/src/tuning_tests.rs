use super::*;
use crate::sweep::SweepConfig;
use crate::sweep::tune::Halving;

fn sweep(extra: &str) -> Result<Sweep, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!(
            "[base.model]\npreset = \"prelu-mlp\"\n[base.train]\nepochs = 5\n\
             optimizer = {{ kind = \"adam\", lr = 1e-3 }}\n\
             [grid]\nactivations = [\"relu\", \"tanh\"]\nseeds = [1, 2, 3]\n{extra}\n"
        ),
    )
    .unwrap();
    SweepConfig::load(&path)
}

const TUNE: &str = "[tune]\nlr = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]\nseeds = [1001, 1002]\n\
                    halving = { after = [2], keep = 0.5 }";

#[test]
fn tuning_runs_are_every_group_rate_and_seed() {
    let s = sweep(TUNE).unwrap();
    let points = s.tune_points();
    assert_eq!(points.len(), 2 * 5 * 2);
    assert_eq!(points[0].point.name, "relu-lr0.0001-s1001");
    assert_eq!(points[3].point.name, "relu-lr0.0003-s1002");
    let p = &points[3].point.experiment;
    assert_eq!(
        (p.train.optimizer.lr(), p.train.seed, p.train.epochs),
        (3e-4, 1002, 5)
    );
    assert_eq!(points[10].group, "tanh");
    // The final runs are the grid's, untouched by [tune] until a rate is chosen.
    assert_eq!(s.points().len(), 6);
    assert_eq!(s.points()[0].name, "relu-s1");
    assert_eq!(s.points()[0].group, "relu");
    // tune.epochs overrides base.train.epochs for tuning runs only.
    let s = sweep(&format!("{TUNE}\nepochs = 3")).unwrap();
    assert_eq!(s.tune_points()[0].point.experiment.train.epochs, 3);
    assert_eq!(s.points()[0].experiment.train.epochs, 5);
    // No [tune]: nothing to tune, and the sweep is what it was.
    assert!(sweep("").unwrap().tune_points().is_empty());
    assert!(plan(&sweep("").unwrap(), &mut |_| Observed::default()).is_none());
}

#[test]
fn bad_tune_sections_are_errors_naming_the_field() {
    let m = sweep("[tune]\nlr = [1e-3]\nseeds = [7, 2]")
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("tune.seeds")
            && m.contains("grid.seeds = [1, 2, 3]")
            && m.contains("both have 2"),
        "{m}"
    );
    let cases = [
        ("[tune]\nlr = []\nseeds = [9]", "tune.lr = []"),
        ("[tune]\nlr = [0.0]\nseeds = [9]", "tune.lr = 0"),
        ("[tune]\nlr = [1e-3, 1e-3]\nseeds = [9]", "distinct rates"),
        ("[tune]\nlr = [1e-3]\nseeds = []", "tune.seeds = []"),
        ("[tune]\nlr = [1e-3]\nseeds = [9, 9]", "distinct seeds"),
        (
            "[tune]\nlr = [1e-3]\nseeds = [9]\nepochs = 0",
            "tune.epochs",
        ),
        (
            "[tune]\nlr = [1e-3]\nseeds = [9]\nhalving = { after = [5] }",
            "tune.halving.after = [5]",
        ),
        (
            "[tune]\nlr = [1e-3]\nseeds = [9]\nhalving = { after = [3, 2] }",
            "increasing epochs between 1 and 4",
        ),
        (
            "[tune]\nlr = [1e-3]\nseeds = [9]\nhalving = { after = [2], keep = 1.0 }",
            "tune.halving.keep = 1",
        ),
        ("[tune]\nlr = [1e-3]\nseeds = [9]\nrates = 1", "rates"),
    ];
    for (extra, expected) in cases {
        let m = sweep(extra).unwrap_err().to_string();
        assert!(m.contains(expected), "{extra}: {m}");
    }
    // A rate grid and a tuning stage contradict each other.
    let m = sweep("lr = [1e-3]\n[tune]\nlr = [1e-3]\nseeds = [9]")
        .unwrap_err()
        .to_string();
    assert!(m.contains("grid.lr") && m.contains("tune.lr"), "{m}");
}

#[test]
fn halving_keeps_the_ceiling_of_the_fraction() {
    let h = |keep| Halving {
        after: vec![1],
        keep,
    };
    assert_eq!(h(0.5).kept(5), 3);
    assert_eq!(h(0.5).kept(4), 2);
    assert_eq!(h(0.5).kept(3), 2);
    assert_eq!(h(0.5).kept(1), 1);
    assert_eq!(h(0.2).kept(5), 1);
    assert_eq!(h(0.01).kept(5), 1);
    assert_eq!(h(0.34).kept(3), 2);
}

/// Validation accuracy of a synthetic run per epoch: `relu` is best at 1e-3 late but at 1e-2
/// early (so halving matters), `tanh` best at 3e-3; the seed shifts everything a little.
fn synthetic(p: &TunePoint, epoch: usize) -> f64 {
    let seed = (p.point.experiment.train.seed - 1000) as f64 * 1e-4;
    let late = match (p.group.as_str(), p.lr) {
        ("relu", 1e-3) => 0.90,
        ("relu", 1e-2) => 0.70,
        ("tanh", 3e-3) => 0.89,
        _ => 0.80,
    };
    let early = match (p.group.as_str(), p.lr) {
        ("relu", 1e-2) => 0.85,
        ("relu", 1e-4) => 0.50,
        (_, lr) => 0.60 + lr,
    };
    if epoch <= 2 {
        early + seed
    } else {
        late + seed
    }
}

#[test]
fn plan_trains_to_each_rung_prunes_and_chooses_by_validation() {
    let s = sweep(TUNE).unwrap();
    // Nothing yet: every run to epoch 2, paused there.
    let Some(Plan::Train {
        epoch,
        pause,
        points,
    }) = plan(&s, &mut |_| Observed::default())
    else {
        panic!("expected a training step");
    };
    assert_eq!((epoch, pause, points.len()), (2, true, 20));
    // Half the runs at the rung: only the others are asked for.
    let mut reached = |p: &TunePoint| Observed {
        val_acc: (1..=if p.point.experiment.train.seed == 1001 {
            2
        } else {
            1
        })
            .map(|e| synthetic(p, e))
            .collect(),
        finished: false,
    };
    let Some(Plan::Train { points, .. }) = plan(&s, &mut reached) else {
        panic!()
    };
    assert_eq!(points.len(), 10);
    assert!(points.iter().all(|n| n.ends_with("-s1002")), "{points:?}");
    // All at epoch 2: 3 of 5 rates per activation continue to epoch 5 (not paused).
    let at = |limit: usize| {
        move |p: &TunePoint| Observed {
            val_acc: (1..=limit).map(|e| synthetic(p, e)).collect(),
            finished: limit == 5,
        }
    };
    let Some(Plan::Train {
        epoch,
        pause,
        points,
    }) = plan(&s, &mut at(2))
    else {
        panic!()
    };
    assert_eq!((epoch, pause, points.len()), (5, false, 12));
    // relu at epoch 2: 1e-2 (0.85) > 3e-3 (0.603) > 1e-3 (0.601); 3e-4 and 1e-4 pruned.
    let relu: Vec<&String> = points.iter().filter(|n| n.starts_with("relu")).collect();
    assert_eq!(
        relu,
        [
            "relu-lr0.001-s1001",
            "relu-lr0.001-s1002",
            "relu-lr0.003-s1001",
            "relu-lr0.003-s1002",
            "relu-lr0.01-s1001",
            "relu-lr0.01-s1002"
        ]
    );
    // Everything finished: the best mean validation accuracy at epoch 5 wins.
    let Some(Plan::Done(selection)) = plan(&s, &mut at(5)) else {
        panic!()
    };
    assert_eq!(selection.groups.len(), 2);
    let relu = &selection.groups[0];
    assert_eq!((relu.group.as_str(), relu.tuned_lr), ("relu", 1e-3));
    assert_eq!(selection.groups[1].tuned_lr, 3e-3);
    assert!(selection.shared_is_candidate && selection.shared_lr == 1e-3);
    // The curve: every candidate once, increasing; pruned ones measured at epoch 2.
    let lrs: Vec<f64> = relu.lr_curve.iter().map(|r| r.lr).collect();
    assert_eq!(lrs, [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]);
    assert_eq!(relu.lr_curve[0].pruned_after, Some(2));
    assert_eq!(relu.lr_curve[0].epoch, 2);
    assert!((relu.lr_curve[0].val_accuracy - (0.50 + 1.5e-4)).abs() < 1e-12);
    assert_eq!(relu.lr_curve[2].pruned_after, None);
    assert_eq!((relu.lr_curve[2].epoch, relu.lr_curve[2].n), (5, 2));
    assert!((relu.lr_curve[2].val_accuracy - (0.90 + 1.5e-4)).abs() < 1e-12);
    // The final runs get the chosen rates.
    let finals = selection.final_points(&s).unwrap();
    assert_eq!(finals.len(), 6);
    assert!(
        finals
            .iter()
            .all(|p| p.experiment.train.optimizer.lr()
                == if p.group == "relu" { 1e-3 } else { 3e-3 })
    );
    assert_eq!(finals[0].name, "relu-s1");
}

#[test]
fn ties_go_to_the_lower_rate_and_early_finished_runs_count() {
    let s = sweep("[tune]\nlr = [1e-2, 1e-3, 3e-3]\nseeds = [9]").unwrap();
    // Every rate equal: the lowest wins, wherever it is in the list.
    let Some(Plan::Done(selection)) = plan(&s, &mut |_| Observed {
        val_acc: vec![0.5; 5],
        finished: true,
    }) else {
        panic!()
    };
    assert!(selection.groups.iter().all(|g| g.tuned_lr == 1e-3));
    // A run that early-stopped after 3 epochs is done; its last epoch is its score.
    let Some(Plan::Done(selection)) = plan(&s, &mut |p| Observed {
        val_acc: if p.lr == 1e-2 {
            vec![0.5, 0.6, 0.95]
        } else {
            vec![0.5; 5]
        },
        finished: true,
    }) else {
        panic!()
    };
    assert!(selection.groups.iter().all(|g| g.tuned_lr == 1e-2));
    assert!(!selection.shared_is_candidate || selection.shared_lr == 1e-3);
}

#[test]
fn near_ties_can_count_as_one_and_the_lowest_is_chosen() {
    // Validation accuracy at the last epoch: 3e-3 best by 5 of 10,000 predictions over 1e-3
    // (5,000 validation images × 2 seeds: one standard error is about 45 predictions); 1e-4
    // far behind. `best` takes 3e-3, `lower` 1e-3.
    let accuracy = |lr: f64| {
        if lr == 3e-3 {
            0.8851
        } else if lr == 1e-3 {
            0.8846
        } else {
            0.8500
        }
    };
    let tune = "[tune]\nlr = [1e-4, 1e-3, 3e-3]\nseeds = [1001, 1002]";
    let chosen = |extra: &str| {
        let s = sweep(&format!("{tune}\n{extra}")).unwrap();
        let mut observe = |p: &TunePoint| Observed {
            val_acc: vec![accuracy(p.lr); 5],
            finished: true,
        };
        match plan(&s, &mut observe) {
            Some(Plan::Done(selection)) => selection.groups[0].tuned_lr,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(chosen(""), 3e-3);
    assert_eq!(chosen("near_ties = \"best\""), 3e-3);
    assert_eq!(chosen("near_ties = \"lower\""), 1e-3);
    // By hand: the same rule on scores.
    let mut scores = vec![(3e-3, 0.8851), (1e-3, 0.8846), (1e-4, 0.8500)];
    lowest_near_tie(&mut scores, 10_000.0);
    assert_eq!(scores[0].0, 1e-3);
    let mut firm = vec![(3e-3, 0.8851), (1e-3, 0.8700)];
    lowest_near_tie(&mut firm, 10_000.0);
    assert_eq!(firm[0].0, 3e-3, "1.5 points is no near tie");
    let m = sweep(&format!("{tune}\nnear_ties = \"lowest\""))
        .unwrap_err()
        .to_string();
    assert!(m.contains("lowest") && m.contains("lower"), "{m}");
}
