//! The comparison report's figures: validation accuracy and training loss per epoch (mean and
//! spread over seeds), test accuracy with 95% CIs.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use actlab_format::state::EpochRecord;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, Figure, draw_legend, legend_line, render};
use crate::error::PlotError;
use crate::report::{Report, RunRecord};
use crate::stats;

/// One line of a comparison plot: a name and (epoch, mean, std) points.
type Series = (String, Vec<(f64, f64, f64)>);

/// The most points a curve draws: a 900-pixel-wide figure shows no more. Longer runs are drawn
/// from consecutive epochs averaged in equal buckets (said in the title).
pub const MAX_CURVE_POINTS: usize = 450;

/// Per group, per epoch: the mean and standard deviation over the group's seeds of `value`,
/// in one pass over every run's rows (a run's repeated epoch counts once, its first row).
/// Bucketed to at most [`MAX_CURVE_POINTS`] points; the second value is the bucket's width in
/// epochs (1 when nothing was averaged).
pub fn epoch_series(
    report: &Report,
    runs: &[RunRecord],
    keys: &[String],
    value: impl Fn(&EpochRecord) -> Option<f64>,
) -> (Vec<Series>, usize) {
    let mut per_group: BTreeMap<&str, BTreeMap<usize, Vec<f64>>> = BTreeMap::new();
    for (run, key) in runs.iter().zip(keys) {
        let epochs = per_group.entry(key.as_str()).or_default();
        let mut seen = HashSet::new();
        for row in &run.history {
            if !seen.insert(row.epoch) {
                continue;
            }
            if let Some(v) = value(row) {
                epochs.entry(row.epoch).or_default().push(v);
            }
        }
    }
    let series: Vec<Series> = report
        .results
        .iter()
        .filter_map(|result| {
            let epochs = per_group.get(result.name.as_str())?;
            let points: Vec<(f64, f64, f64)> = epochs
                .iter()
                .map(|(&epoch, values)| {
                    let std = stats::sample_std(values);
                    let std = if std.is_finite() { std } else { 0.0 };
                    (epoch as f64, stats::mean(values), std)
                })
                .collect();
            (!points.is_empty()).then(|| (result.name.clone(), points))
        })
        .collect();
    let longest = series.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
    let width = longest.div_ceil(MAX_CURVE_POINTS).max(1);
    if width == 1 {
        return (series, 1);
    }
    let bucketed = series
        .into_iter()
        .map(|(name, points)| (name, points.chunks(width).map(average).collect()))
        .collect();
    (bucketed, width)
}

/// The average of some consecutive (epoch, mean, std) points, coordinate by coordinate.
fn average(points: &[(f64, f64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let sum = points
        .iter()
        .fold((0.0, 0.0, 0.0), |s, p| (s.0 + p.0, s.1 + p.1, s.2 + p.2));
    (sum.0 / n, sum.1 / n, sum.2 / n)
}

/// Test accuracy against the number of hidden layers, one line per activation: `(hidden
/// layers, mean, 95% CI half-width)` points. Empty unless the groups have several depths.
pub fn depth_series(report: &Report) -> Vec<Series> {
    let depths: std::collections::BTreeSet<usize> =
        report.results.iter().map(|r| r.hidden_layers).collect();
    if depths.len() < 2 {
        return Vec::new();
    }
    let mut labels: Vec<&str> = report
        .results
        .iter()
        .map(|r| r.activation_label.as_str())
        .collect();
    labels.sort();
    labels.dedup();
    labels
        .into_iter()
        .map(|label| {
            let mut points: Vec<(f64, f64, f64)> = report
                .results
                .iter()
                .filter(|r| r.activation_label == label)
                .map(|r| {
                    let half = r.accuracy.high - r.accuracy.mean;
                    let half = if half.is_finite() { half } else { 0.0 };
                    (r.hidden_layers as f64, r.accuracy.mean, half)
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (label.to_string(), points)
        })
        .collect()
}

/// Labels on a curve's x axis at most (whole epochs only).
const MAX_X_LABELS: usize = 20;

/// Curves with more points than this draw no markers or whiskers.
const MAX_MARKERS: usize = 60;

/// A line per group over epochs: the mean, a band of ± one standard deviation, a marker at
/// every point while there are few (a one-epoch run is a point), ticks at whole epochs.
struct Curves<'a> {
    title: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    series: &'a [Series],
}

impl Figure for Curves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let all = self.series.iter().flat_map(|(_, p)| p.iter());
        let epochs = all.clone().map(|p| p.0).fold(1.0, f64::max);
        let first = all.clone().map(|p| p.0).fold(1.0, f64::min);
        let lo = all.clone().map(|p| p.1 - p.2).fold(f64::INFINITY, f64::min);
        let hi = all.map(|p| p.1 + p.2).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let pad = ((hi - lo) * 0.05).max(1e-3);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(first - 0.5..epochs + 0.5, lo - pad..hi + pad)?;
        // At most one label per whole epoch, and only whole epochs labelled.
        let whole = |x: &f64| {
            if x.fract().abs() < 1e-9 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels((epochs as usize + 1).min(MAX_X_LABELS))
            .x_label_formatter(&whole)
            .x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .draw()?;
        for (i, (name, points)) in self.series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1 + p.2)).collect();
            band.extend(points.iter().rev().map(|p| (p.0, p.1 - p.2)));
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.12).filled(),
            )))?;
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.0, p.1)),
                    color.stroke_width(2),
                ))?
                .label(name.as_str())
                .legend(legend_line(color));
            // Markers and whiskers while there is room for them: with one epoch the band has
            // no width, and the whisker shows the spread.
            if points.len() <= MAX_MARKERS {
                chart.draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new((p.0, p.1), 4, color.filled())),
                )?;
                chart.draw_series(
                    points
                        .iter()
                        .filter(|p| p.2 > 0.0)
                        .map(|p| PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], color)),
                )?;
            }
        }
        draw_legend(&mut chart, 11)
    }
}

/// Test accuracy per group: bars at the mean, whiskers at the 95% CI.
struct Bars<'a>(&'a Report);

impl Figure for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        draw_bars(root, self.0)
    }
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Result<(), DrawError> {
    let rows = &report.results;
    let finite = |v: f64, fallback: f64| if v.is_finite() { v } else { fallback };
    let lo = rows
        .iter()
        .map(|r| finite(r.accuracy.low, r.min))
        .fold(f64::INFINITY, f64::min);
    let hi = rows
        .iter()
        .map(|r| finite(r.accuracy.high, r.max))
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = ((hi - lo) * 0.1).max(0.002);
    let x0 = (lo - 4.0 * pad).max(0.0);
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Test accuracy: mean and 95% CI over seeds",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(10)
        .build_cartesian_2d(x0..hi + pad, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("test accuracy")
        .x_label_formatter(&|x| format!("{:.1}%", 100.0 * x))
        .draw()?;
    for (i, r) in rows.iter().enumerate() {
        // Best at the top.
        let y = n - i as f64 - 0.5;
        let color = Palette99::pick(i).to_rgba();
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, y - 0.35), (r.accuracy.mean, y + 0.35)],
            color.mix(0.55).filled(),
        )))?;
        if r.accuracy.low.is_finite() {
            let whisker = vec![(r.accuracy.low, y), (r.accuracy.high, y)];
            chart.draw_series([
                PathElement::new(whisker, BLACK.stroke_width(2)),
                PathElement::new(
                    vec![(r.accuracy.low, y - 0.2), (r.accuracy.low, y + 0.2)],
                    BLACK.stroke_width(2),
                ),
                PathElement::new(
                    vec![(r.accuracy.high, y - 0.2), (r.accuracy.high, y + 0.2)],
                    BLACK.stroke_width(2),
                ),
            ])?;
        }
        chart.draw_series(std::iter::once(Text::new(
            format!("{}  {:.2}%", r.name, 100.0 * r.accuracy.mean),
            (x0 + pad * 0.2, y - 0.15),
            ("sans-serif", 12).into_font(),
        )))?;
    }
    Ok(())
}

/// Writes the comparison plots into `out` (SVG and PNG each): `val_accuracy` (validation
/// accuracy per epoch, mean line, band = std), `test_accuracy` (bars with 95% CI whiskers),
/// `train_loss` (training loss per epoch), and `depth` (test accuracy vs hidden layers) when
/// the groups have several depths.
pub fn plot(
    report: &Report,
    runs: &[RunRecord],
    keys: &[String],
    out: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let (val, val_width) = epoch_series(report, runs, keys, |row| row.val_acc);
    let (loss, loss_width) = epoch_series(report, runs, keys, |row| Some(row.train_loss));
    let mut written = Vec::new();
    for (stem, what, y_desc, series, width) in [
        (
            "val_accuracy",
            "Validation accuracy",
            "validation accuracy",
            &val,
            val_width,
        ),
        (
            "train_loss",
            "Training loss",
            "cross-entropy",
            &loss,
            loss_width,
        ),
    ] {
        let title = if width == 1 {
            format!("{what} per epoch (mean ± std over seeds)")
        } else {
            format!("{what}, means of {width} epochs (mean ± std over seeds)")
        };
        let curves = Curves {
            title: &title,
            x_desc: "epoch",
            y_desc,
            series,
        };
        written.extend(render(&curves, &out.join(stem), (900, 600))?);
    }
    let depth = depth_series(report);
    if !depth.is_empty() {
        let curves = Curves {
            title: "Test accuracy vs depth (mean, whiskers = 95% CI over seeds)",
            x_desc: "hidden layers",
            y_desc: "test accuracy",
            series: &depth,
        };
        written.extend(render(&curves, &out.join("depth"), (900, 600))?);
    }
    let height = 80 + 34 * report.results.len() as u32;
    written.extend(render(
        &Bars(report),
        &out.join("test_accuracy"),
        (900, height),
    )?);
    Ok(written)
}
