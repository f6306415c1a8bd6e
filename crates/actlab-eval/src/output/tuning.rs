//! The report's "Learning rates" section for a tuned sweep: the chosen rates with every
//! candidate's validation accuracy, the shared-rate leaderboard and the rank changes.

use crate::report::Report;
use crate::report::tuning::Tuning;

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}", 100.0 * v)
    } else {
        "–".into()
    }
}

/// The section (empty for a sweep without a tuning stage).
pub fn markdown(report: &Report) -> String {
    if let Some(note) = &report.tuning_note {
        return format!("\n**Tuning:** {note}.\n");
    }
    let Some(tuning) = &report.tuning else {
        return String::new();
    };
    let selection = &tuning.selection;
    let halving = selection.halving.as_ref().map_or(String::new(), |h| {
        format!(
            "; successive halving after epoch(s) {:?} kept the best ⌈{}·n⌉ of each activation's \
             n remaining rates (†: stopped there, its accuracy measured at that epoch)",
            h.after, h.keep
        )
    });
    let mut md = format!(
        "\n## Learning rates\n\nThe table above is at each activation's **tuned rate**, on the \
         grid's seeds. Each rate was chosen on **validation** accuracy alone — the mean over the \
         tuning seeds {:?} (never final seeds) at epoch {}{halving}; ties go to the lower rate. \
         The test set was not looked at.\n\n",
        selection.seeds, selection.epochs
    );
    let mut rates: Vec<f64> = selection
        .groups
        .iter()
        .flat_map(|g| g.lr_curve.iter().map(|s| s.lr))
        .collect();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    md.push_str("| activation | tuned lr |");
    for lr in &rates {
        md.push_str(&format!(" val % at {lr} |"));
    }
    md.push_str(" lead over the runner-up (validation predictions) |");
    md.push_str("\n|---|---|");
    md.push_str(&"---|".repeat(rates.len() + 1));
    md.push('\n');
    let names = crate::report::tuning::display_names(tuning, &report.results);
    for (group, name) in selection.groups.iter().zip(&names) {
        md.push_str(&format!("| {name} | {} |", group.tuned_lr));
        for lr in &rates {
            let cell = group
                .lr_curve
                .iter()
                .find(|s| s.lr == *lr)
                .map_or(String::new(), |s| {
                    let value = pct(s.val_accuracy);
                    if s.lr == group.tuned_lr {
                        format!("**{value}**")
                    } else if s.pruned_after.is_some() {
                        format!("{value}†")
                    } else {
                        value
                    }
                });
            md.push_str(&format!(" {cell} |"));
        }
        let lead = tuning.margins.iter().find(|m| m.group == group.group);
        md.push_str(&format!(" {} |", lead.map_or(String::new(), lead_cell)));
        md.push('\n');
    }
    md.push_str(&lead_note(tuning));
    md.push_str("\n![learning-rate sensitivity](lr_sensitivity.svg)\n");
    md.push_str(&shared_board(report, tuning));
    md
}

fn shared_board(report: &Report, tuning: &Tuning) -> String {
    let lr = tuning.selection.shared_lr;
    let Some(shared) = &tuning.shared else {
        let why = if tuning.selection.shared_is_candidate {
            let mut why = String::from(
                "no activation finished its tuning runs at this rate (halving stopped it):\n\n",
            );
            for line in &tuning.absent {
                why.push_str(&format!("- {line}\n"));
            }
            why
        } else {
            "it is not one of the candidates, so no activation was trained at it.\n".to_string()
        };
        return format!(
            "\n### At the shared rate\n\nAbsent for the shared rate {lr} (`base.train`'s): {why}"
        );
    };
    let mut md = format!(
        "\n### At the shared rate (lr = {lr} for every activation)\n\nThe tuning runs at \
         `base.train`'s rate: {} seed(s), {} epoch(s) each — fewer seeds than the tuned \
         leaderboard, so wider intervals. **Descriptive only**: with so few seeds the smallest \
         difference these runs could detect is points, not tenths, so this table carries no \
         verdicts; Δ is against {}.\n\n\
         | rank | activation | n | mean acc % | 95% CI | Δ vs baseline (points) | rank at tuned rate |\n\
         |---|---|---|---|---|---|---|\n",
        tuning.selection.seeds.len(),
        tuning.selection.epochs,
        shared.baseline
    );
    for (i, r) in shared.results.iter().enumerate() {
        let tuned_rank = report
            .results
            .iter()
            .position(|t| t.name == r.name)
            .map_or("–".to_string(), |k| (k + 1).to_string());
        let delta = r.vs_baseline.as_ref().map_or_else(
            || {
                let base = if r.name == shared.baseline {
                    "baseline"
                } else {
                    "–"
                };
                base.to_string()
            },
            |v| format!("{:+.2}", 100.0 * v.test.difference.mean),
        );
        md.push_str(&format!(
            "| {} | {} | {} | {} | [{}, {}] | {delta} | {tuned_rank} |\n",
            i + 1,
            r.name,
            r.n,
            pct(r.accuracy.mean),
            pct(r.accuracy.low),
            pct(r.accuracy.high),
        ));
    }
    for line in &tuning.absent {
        md.push_str(&format!("\nNo shared-rate row for {line}.\n"));
    }
    if tuning.rank_changes.is_empty() {
        md.push_str("\nNo activation changes rank between the two leaderboards.\n");
    } else {
        let moves: Vec<String> = tuning
            .rank_changes
            .iter()
            .map(|c| format!("{} {} → {}", c.name, c.shared, c.tuned))
            .collect();
        md.push_str(&format!(
            "\nRank changes (shared rate → tuned rate): {}. With this few seeds a rank is not a \
             verdict: the Holm-corrected tests are.\n",
            moves.join("; ")
        ));
    }
    md
}

/// "+5 of 10,000 (near tie)": the chosen rate's lead, in validation predictions.
fn lead_cell(m: &crate::report::tuning::ChoiceMargin) -> String {
    match m.runner_up {
        None => "only candidate left".into(),
        Some(lr) => format!(
            "{:+.0} over {lr}{}",
            m.margin_images,
            if m.near_tie { " (**near tie**)" } else { "" }
        ),
    }
}

/// What the lead column means, how many choices are near ties, and halving's bias.
fn lead_note(tuning: &Tuning) -> String {
    let near = tuning.margins.iter().filter(|m| m.near_tie).count();
    let noise: Vec<f64> = tuning
        .margins
        .iter()
        .map(|m| m.noise_images)
        .filter(|v| v.is_finite())
        .collect();
    let scale = noise.iter().copied().fold(f64::NAN, f64::max);
    let mut md = format!(
        "\nLead: how many more validation predictions (over the tuning seeds) the chosen rate got \
         right than the best rate not chosen. A **near tie** is a lead below one standard error \
         of that difference from the validation images' own sampling (about {scale:.0} \
         predictions here): another draw of validation images could well have chosen the \
         runner-up, so the rate, not the activation, may decide such a row. {near} of {} \
         choices are near ties.",
        tuning.margins.len()
    );
    if tuning.selection.halving.is_some() {
        md.push_str(
            " Halving judges rates at an early epoch, which favours rates that converge fast \
             (usually the higher ones): a rate it stopped (†) was slower early, not shown worse \
             at the final epoch.",
        );
    }
    md.push('\n');
    md
}
