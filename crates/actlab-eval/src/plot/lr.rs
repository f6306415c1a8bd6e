//! A tuned sweep's learning-rate sensitivity: mean validation accuracy against the rate (log
//! axis), one line per activation; the chosen rate a large dot, rates stopped by halving hollow
//! (measured at the epoch they stopped, so not comparable with the others' last epoch).

use std::path::{Path, PathBuf};

use actlab_format::tuning::Selection;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, Figure, draw_legend, legend_line, render};
use crate::error::PlotError;

/// The selection, and the name to show for each group.
struct Sensitivity<'a>(&'a Selection, &'a [String]);

impl Figure for Sensitivity<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let scores = self.0.groups.iter().flat_map(|g| g.lr_curve.iter());
        let finite = scores
            .clone()
            .filter(|s| s.val_accuracy.is_finite() && s.lr > 0.0);
        let (mut x0, mut x1) = (f64::INFINITY, 0.0f64);
        let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
        for s in finite {
            x0 = x0.min(s.lr);
            x1 = x1.max(s.lr);
            y0 = y0.min(s.val_accuracy);
            y1 = y1.max(s.val_accuracy);
        }
        if !(x0.is_finite() && y0.is_finite()) {
            (x0, x1, y0, y1) = (1e-4, 1e-2, 0.0, 1.0);
        }
        let pad = ((y1 - y0) * 0.05).max(1e-3);
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Learning-rate sensitivity: mean validation accuracy over tuning seeds",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0.log10() - 0.25..x1.log10() + 0.25, y0 - pad..y1 + pad)?;
        // The candidate rates are the x ticks (a plain log axis would label rounded values).
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_desc("learning rate (log scale)")
            .y_desc("validation accuracy")
            .draw()?;
        let mut rates: Vec<f64> = scores.map(|s| s.lr).filter(|r| *r > 0.0).collect();
        rates.sort_by(f64::total_cmp);
        rates.dedup();
        let bottom = y0 - pad;
        for lr in rates {
            let x = lr.log10();
            chart.draw_series([
                PathElement::new(vec![(x, bottom), (x, y1 + pad)], BLACK.mix(0.15)),
                PathElement::new(vec![(x, bottom), (x, bottom + pad * 0.3)], BLACK.mix(1.0)),
            ])?;
            // Below the axis, in the label area (outside the chart's clipping).
            let (px, py) = chart.backend_coord(&(x, bottom));
            let label = format!("{lr}");
            let half = 3 * label.len() as i32;
            root.draw(&Text::new(
                label,
                (px - half, py + 6),
                ("sans-serif", 12).into_font(),
            ))?;
        }
        for (i, group) in self.0.groups.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let points: Vec<(f64, f64)> = group
                .lr_curve
                .iter()
                .filter(|s| s.val_accuracy.is_finite())
                .map(|s| (s.lr.log10(), s.val_accuracy))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(self.1.get(i).map_or(group.group.as_str(), String::as_str))
                .legend(legend_line(color));
            for s in group.lr_curve.iter().filter(|s| s.val_accuracy.is_finite()) {
                let at = (s.lr.log10(), s.val_accuracy);
                let marker = if s.lr == group.tuned_lr {
                    Circle::new(at, 7, color.filled())
                } else if s.pruned_after.is_some() {
                    Circle::new(at, 4, color.stroke_width(2))
                } else {
                    Circle::new(at, 4, color.filled())
                };
                chart.draw_series(std::iter::once(marker))?;
            }
        }
        draw_legend(&mut chart, 11)
    }
}

/// Writes `lr_sensitivity.svg` and `.png` into `out`; `names` label the groups (in order).
pub fn plot(
    selection: &Selection,
    names: &[String],
    out: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        &Sensitivity(selection, names),
        &out.join("lr_sensitivity"),
        (900, 600),
    )
}
