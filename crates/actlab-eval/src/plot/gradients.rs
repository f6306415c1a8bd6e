//! `actlab diagnose`'s figure: per-layer gradient norms per activation.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, Figure, draw_legend, legend_line, render};
use crate::error::PlotError;
use actlab_format::diagnose::DiagnoseReport;

/// Per-layer gradient norms (log scale), one line per activation: at initialisation (left)
/// and after training (right).
struct Norms<'a>(&'a DiagnoseReport);

impl Figure for Norms<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        draw_gradients(root, self.0)
    }
}

fn draw_gradients<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &DiagnoseReport,
) -> Result<(), DrawError> {
    let norms = report
        .activations
        .iter()
        .flat_map(|a| a.initial.iter().chain(&a.trained))
        .map(|l| l.grad_norm)
        .filter(|n| n.is_finite() && *n > 0.0);
    let lo = norms.clone().fold(f64::INFINITY, f64::min);
    let hi = norms.fold(f64::NEG_INFINITY, f64::max);
    // A log axis: any finite positive range works, but never an infinite one.
    let (lo, hi) = if lo.is_finite() && (hi * 2.0).is_finite() {
        (lo / 2.0, hi * 2.0)
    } else {
        (1e-6, 1.0)
    };
    let layers = report.depth as f64 + 1.0;
    let panels = root.split_evenly((1, 2));
    for (panel, (title, trained)) in panels
        .iter()
        .zip([("at initialisation", false), ("after training", true)])
    {
        let caption = if trained {
            format!("‖∂loss/∂W‖ per layer {title} ({} steps)", report.steps)
        } else {
            format!("‖∂loss/∂W‖ per layer {title}")
        };
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(60)
            .build_cartesian_2d(0.5..layers + 0.5, (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(format!("layer (1 = first; {} = output)", report.depth + 1))
            .y_desc("gradient norm (log)")
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()?;
        for (i, a) in report.activations.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let layers = if trained { &a.trained } else { &a.initial };
            let points: Vec<(f64, f64)> = layers
                .iter()
                .map(|l| (l.layer as f64, l.grad_norm.max(lo)))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(a.activation.as_str())
                .legend(legend_line(color));
        }
        draw_legend(&mut chart, 10)?;
    }
    Ok(())
}

/// Writes `gradients.svg` and `gradients.png` into `out`.
pub fn plot(report: &DiagnoseReport, out: &Path) -> Result<Vec<PathBuf>, PlotError> {
    render(&Norms(report), &out.join("gradients"), (1400, 600))
}
