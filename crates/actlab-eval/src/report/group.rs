//! One group's statistics over its runs, before any comparison: accuracy, timing, parameters
//! and what the activation learned.

use super::*;

/// One group's statistics over its runs (sorted by seed), not yet compared with anything.
pub(super) fn group_result(name: &str, members: &[&RunRecord]) -> ActivationResult {
    let accuracies: Vec<f64> = members.iter().map(|r| r.summary.test_accuracy).collect();
    let epoch_means: Vec<f64> = members
        .iter()
        .filter(|r| !r.summary.epoch_seconds.is_empty())
        .map(|r| stats::mean(&r.summary.epoch_seconds))
        .collect();
    let learned_values: Vec<(String, f64)> =
        members.iter().filter_map(|r| learned(&r.summary)).collect();
    let learned = learned_values.first().map(|(what, _)| {
        let values: Vec<f64> = learned_values.iter().map(|(_, v)| *v).collect();
        (
            what.clone(),
            stats::mean(&values),
            stats::sample_std(&values),
        )
    });
    let first = &members[0].summary;
    ActivationResult {
        name: name.to_string(),
        kind: first.activation.clone(),
        activation_label: first.activation_label.clone(),
        hidden_layers: first.layers.len().saturating_sub(2),
        hidden: hidden_sizes(&first.layers),
        n: members.len(),
        seeds: members.iter().map(|r| r.summary.seed).collect(),
        data_seeds: members
            .iter()
            .any(|r| r.summary.data_seed.is_some())
            .then(|| {
                members
                    .iter()
                    .map(|r| r.summary.data_seed.unwrap_or(r.summary.seed))
                    .collect()
            }),
        keys: members.iter().map(|r| pair_key(&r.summary)).collect(),
        accuracy: stats::ci95(&accuracies),
        std: stats::sample_std(&accuracies),
        min: accuracies.iter().copied().fold(f64::INFINITY, f64::min),
        max: accuracies.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        accuracies,
        epoch_seconds: if epoch_means.is_empty() {
            f64::NAN
        } else {
            stats::mean(&epoch_means)
        },
        params: first.params,
        learned,
        vs_baseline: None,
        same_as: None,
        tuned_lr: None,
        lr_curve: None,
        rank: None,
        variance: sources::of_runs(members),
    }
}

fn learned(summary: &RunSummary) -> Option<(String, f64)> {
    let mean = |values: Vec<f64>| -> Option<f64> {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    if let Some(slopes) = &summary.prelu_slopes {
        let all: Vec<f64> = slopes.iter().flatten().map(|&v| f64::from(v)).collect();
        return mean(all).map(|m| ("PReLU slope".to_string(), m));
    }
    if let Some(beta) = &summary.swish_beta {
        let all: Vec<f64> = beta.iter().map(|&v| f64::from(v)).collect();
        return mean(all).map(|m| ("Swish β".to_string(), m));
    }
    // A formula's first learnable parameter (the one the label names).
    if let (Some(layers), Some(ActivationConfig::Expr { learnable, .. })) =
        (&summary.learned_params, &summary.activation_config)
    {
        let first = learnable.first()?;
        let per_layer = layers.first().map_or(0, Vec::len) / learnable.len().max(1);
        let all: Vec<f64> = layers
            .iter()
            .flat_map(|l| l.iter().take(per_layer))
            .map(|&v| f64::from(v))
            .collect();
        return mean(all).map(|m| (first.clone(), m));
    }
    None
}
