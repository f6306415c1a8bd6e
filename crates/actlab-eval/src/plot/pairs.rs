//! A report's all-pairs heatmap: Δ test accuracy (row − column, points) for every pair of
//! groups, blue where the row is better, red where it is worse, significant cells (Holm over
//! all pairs) outlined and starred.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, Figure, render};
use crate::error::PlotError;
use crate::report::Report;

const LEFT: i32 = 190;
const TOP: i32 = 150;
const CELL: i32 = 58;

struct Pairs<'a>(&'a Report);

impl Figure for Pairs<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        draw_pairs(root, self.0)
    }
}

fn draw_pairs<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
) -> Result<(), DrawError> {
    let names: Vec<&str> = report.results.iter().map(|r| r.name.as_str()).collect();
    root.draw(&Text::new(
        "Δ test accuracy, row − column (points); * = significant (Holm over all pairs, 0.05)",
        (10, 12),
        ("sans-serif", 15).into_font(),
    ))?;
    let largest = report
        .pairs
        .iter()
        .map(|p| p.test.difference.mean.abs())
        .fold(1e-9, f64::max);
    let short = |name: &str| -> String { name.chars().take(26).collect() };
    for (i, name) in names.iter().enumerate() {
        let y = TOP + i as i32 * CELL;
        root.draw(&Text::new(
            short(name),
            (8, y + CELL / 2 - 7),
            ("sans-serif", 12).into_font(),
        ))?;
        let x = LEFT + i as i32 * CELL;
        root.draw(&Text::new(
            short(name).chars().take(9).collect::<String>(),
            (x + 2, TOP - 18),
            ("sans-serif", 11).into_font(),
        ))?;
    }
    for (i, row) in names.iter().enumerate() {
        for (j, column) in names.iter().enumerate() {
            let (x, y) = (LEFT + j as i32 * CELL, TOP + i as i32 * CELL);
            // Pairs are stored once (row above column in the table); the mirror cell negates.
            let cell = report.pairs.iter().find_map(|p| {
                if p.row == *row && p.column == *column {
                    Some((p.test.difference.mean, p.significant))
                } else if p.row == *column && p.column == *row {
                    Some((-p.test.difference.mean, p.significant))
                } else {
                    None
                }
            });
            let (fill, text) = match cell {
                Some((delta, significant)) => {
                    let share = (delta.abs() / largest).min(1.0);
                    let shade = |c: u8| (255.0 - share * (255.0 - f64::from(c))).round() as u8;
                    let fill = if delta >= 0.0 {
                        RGBColor(shade(33), shade(102), shade(172))
                    } else {
                        RGBColor(shade(178), shade(24), shade(43))
                    };
                    let star = if significant { "*" } else { "" };
                    (fill, format!("{:+.2}{star}", 100.0 * delta))
                }
                None => (RGBColor(240, 240, 240), String::new()),
            };
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL, y + CELL)],
                fill.filled(),
            ))?;
            let significant = cell.is_some_and(|(_, s)| s);
            let border = if significant {
                BLACK.stroke_width(3)
            } else {
                RGBColor(200, 200, 200).stroke_width(1)
            };
            root.draw(&Rectangle::new([(x, y), (x + CELL, y + CELL)], border))?;
            root.draw(&Text::new(
                text,
                (x + 5, y + CELL / 2 - 7),
                ("sans-serif", 12).into_font(),
            ))?;
        }
    }
    Ok(())
}

/// The most groups the heatmap draws (40 × 58 px a side: a 2,500-px PNG); `pairs.csv` has
/// every pair whatever the number.
pub const MAX_GROUPS: usize = 40;

/// Writes `pairs.svg` and `pairs.png` into `dir` (nothing for fewer than two groups or more
/// than [`MAX_GROUPS`]).
pub fn plot(dir: &Path, report: &Report) -> Result<Vec<PathBuf>, PlotError> {
    if report.results.len() < 2 || report.results.len() > MAX_GROUPS {
        return Ok(Vec::new());
    }
    let cells = CELL * report.results.len() as i32;
    let side = |margin: i32| (margin + cells + 20).unsigned_abs();
    render(&Pairs(report), &dir.join("pairs"), (side(LEFT), side(TOP)))
}
