//! The comparison report's tables as CSV: `results.csv` (a row per activation) and
//! `pairs.csv` (a row per pair of activations).

use super::report::accuracy_cells;
use crate::report::{ActivationResult, Report};

/// `results.csv`.
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "activation,kind,n,mean,std,ci_low,ci_high,min,max,epoch_seconds,params,learned_mean,learned_std,diff_vs_baseline,diff_low,diff_high,p_value,test,verdict,p_holm,effect_kind,effect_size,mde_points,seeds_to_decide,simultaneous_low,simultaneous_high,family_size,p_equivalence,p_equivalence_holm,rank,rank_low,rank_high,images_diff_low,images_diff_high,images_simultaneous_low,images_simultaneous_high,seeds_only_low,seeds_only_high,p_improvement,p_improvement_low,p_improvement_high,mcnemar_better_seeds,mcnemar_worse_seeds,decided_at_look,seeds_judged\n",
    );
    let num = |v: f64| {
        if v.is_finite() {
            v.to_string()
        } else {
            String::new()
        }
    };
    for r in &report.results {
        let (lm, ls) = r
            .learned
            .as_ref()
            .map_or((String::new(), String::new()), |(_, m, s)| {
                (num(*m), num(*s))
            });
        let (d, dl, dh, p, t, v) = r.vs_baseline.as_ref().map_or_else(Default::default, |v| {
            (
                num(v.test.difference.mean),
                num(v.test.difference.low),
                num(v.test.difference.high),
                num(v.test.p),
                format!("{:?}", v.test.test).to_lowercase(),
                v.judgement.verdict.to_string(),
            )
        });
        let power = r.vs_baseline.as_ref().map_or_else(
            || ",,,,,,,,,".to_string(),
            |v| {
                let j = &v.judgement;
                let opt = |p: Option<f64>| p.map_or(String::new(), num);
                format!(
                    "{},{},{},{},{},{},{},{},{},{}",
                    num(j.p_holm),
                    v.effect_size.kind,
                    num(v.effect_size.value),
                    num(v.mde_points),
                    j.seeds_to_decide.map_or(String::new(), |n| n.to_string()),
                    num(j.simultaneous.low),
                    num(j.simultaneous.high),
                    j.family_size,
                    opt(j.p_equivalence),
                    opt(j.p_equivalence_holm),
                )
            },
        );
        let accuracy = accuracy_cells(r, num).join(",");
        let images = image_cells(r, &num);
        out.push_str(&format!(
            "\"{}\",{},{},{accuracy},{},{},{lm},{ls},{d},{dl},{dh},{p},{t},{v},{power},{images}\n",
            r.name.replace('"', "\"\""),
            r.kind,
            r.n,
            num(r.epoch_seconds),
            r.params
        ));
    }
    out
}

/// results.csv's rank, image-level and sequential cells of a row (empty where absent).
fn image_cells(r: &ActivationResult, num: &dyn Fn(f64) -> String) -> String {
    let rank = r.rank.map_or(",,".to_string(), |k| {
        format!("{},{},{}", k.rank, k.low, k.high)
    });
    let v = r.vs_baseline.as_ref();
    let images = v
        .and_then(|v| v.images.as_ref())
        .map_or(",,,,,,,,,,".to_string(), |c| {
            format!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                num(c.difference.low),
                num(c.difference.high),
                num(c.simultaneous.low),
                num(c.simultaneous.high),
                num(c.seeds_only.low),
                num(c.seeds_only.high),
                num(c.improvement.mean),
                num(c.improvement.low),
                num(c.improvement.high),
                c.mcnemar.a_better,
                c.mcnemar.b_better,
            )
        });
    let look = v
        .and_then(|v| v.judgement.sequential)
        .map_or(",".to_string(), |l| {
            format!(
                "{},{}",
                l.decided_at.map_or(String::new(), |k| k.to_string()),
                l.seeds
            )
        });
    format!("{rank},{images},{look}")
}

/// `pairs.csv`: one row per pair of groups — Δ (row − column) in points with its raw 95% CI,
/// the test, raw and Holm-corrected (over all pairs) p-values, significance, the simultaneous
/// interval, the equivalence p-values and the verdict.
pub fn pairs_csv(report: &Report) -> String {
    let mut out = String::from(
        "row,column,diff_points,diff_low,diff_high,test,p_value,p_holm,significant,simultaneous_low,simultaneous_high,p_equivalence_holm,verdict\n",
    );
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for p in &report.pairs {
        let j = &p.judgement;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            quote(&p.row),
            quote(&p.column),
            100.0 * p.test.difference.mean,
            100.0 * p.test.difference.low,
            100.0 * p.test.difference.high,
            format!("{:?}", p.test.test).to_lowercase(),
            p.test.p,
            j.p_holm,
            p.significant,
            100.0 * j.simultaneous.low,
            100.0 * j.simultaneous.high,
            j.p_equivalence_holm
                .map_or(String::new(), |p| p.to_string()),
            j.verdict,
        ));
    }
    out
}
