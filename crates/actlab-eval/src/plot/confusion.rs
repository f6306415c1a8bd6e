//! `actlab eval`'s confusion-matrix heatmap.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, Figure, render};
use crate::error::PlotError;
use crate::eval::EvalReport;

const LEFT: i32 = 130;
const TOP: i32 = 70;
const CELL: i32 = 60;

/// The heatmap of one evaluation.
struct Heatmap<'a>(&'a EvalReport);

impl Figure for Heatmap<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        draw_confusion(root, self.0)
    }
}

fn draw_confusion<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &EvalReport,
) -> Result<(), DrawError> {
    let title = format!(
        "{} on {}: {:.2}% of {} test images (rows: true, columns: predicted)",
        report.run,
        report.dataset,
        100.0 * report.accuracy,
        report.images
    );
    root.draw(&Text::new(title, (10, 12), ("sans-serif", 16).into_font()))?;
    let short = |name: &str| -> String { name.chars().take(9).collect() };
    for (i, row) in report.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        let y = TOP + i as i32 * CELL;
        let name = short(&report.per_class[i].name);
        root.draw(&Text::new(
            name,
            (8, y + CELL / 2 - 7),
            ("sans-serif", 13).into_font(),
        ))?;
        for (j, &count) in row.iter().enumerate() {
            let x = LEFT + j as i32 * CELL;
            // Share of the true class's images: white (0) to dark blue (1).
            let share = count as f64 / total.max(1) as f64;
            let shade = |c: u8| (255.0 - share * (255.0 - f64::from(c))).round() as u8;
            let color = RGBColor(shade(8), shade(48), shade(107));
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL, y + CELL)],
                color.filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL, y + CELL)],
                RGBColor(200, 200, 200).stroke_width(1),
            ))?;
            let ink = if share > 0.5 { WHITE } else { BLACK };
            root.draw(&Text::new(
                count.to_string(),
                (x + 8, y + CELL / 2 - 7),
                ("sans-serif", 14).into_font().color(&ink),
            ))?;
        }
    }
    for (j, class) in report.per_class.iter().enumerate() {
        let x = LEFT + j as i32 * CELL + 4;
        root.draw(&Text::new(
            short(&class.name),
            (x, TOP - 20),
            ("sans-serif", 11).into_font(),
        ))?;
    }
    Ok(())
}

/// Writes the confusion-matrix heatmap of `report` (row-normalised shades, counts in the cells)
/// as `confusion.svg` and `confusion.png` into `dir`. Returns the files.
pub fn plot(dir: &Path, report: &EvalReport) -> Result<Vec<PathBuf>, PlotError> {
    let cells = CELL * report.confusion.len() as i32;
    let side = |margin: i32| (margin + cells + 20).unsigned_abs();
    render(
        &Heatmap(report),
        &dir.join("confusion"),
        (side(LEFT), side(TOP)),
    )
}
