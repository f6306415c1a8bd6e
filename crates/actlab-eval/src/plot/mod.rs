//! Figures, each as SVG and PNG, one file per family: `activations` (every activation and its
//! derivative), `confusion` (eval's heatmap), `comparison` (a report's curves and bars),
//! `gradients` (diagnose's per-layer norms), `pairs` (a report's all-pairs Δ heatmap), `lr` (a tuned sweep's
//! learning-rate sensitivity). A figure implements [`Figure`]; [`render`] draws
//! it to both formats.

pub mod activations;
pub mod comparison;
pub mod confusion;
pub mod gradients;
pub mod lr;
pub mod pairs;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::PlotError;

/// What a figure's drawing reports: plotters' error (its type depends on the backend drawn
/// to), as text; [`render`] names the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DrawError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        DrawError(error.to_string())
    }
}

/// Something drawable on a white canvas.
pub(crate) trait Figure {
    /// Draws onto `root` (already white; presented by [`render`]).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>;
}

/// Renders `figure` at `size` pixels to `<stem>.svg` and `<stem>.png` (`stem` is a path without
/// the extension); returns both paths.
pub(crate) fn render(
    figure: &impl Figure,
    stem: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>, PlotError> {
    fn draw<DB: DrawingBackend>(
        figure: &impl Figure,
        root: DrawingArea<DB, Shift>,
    ) -> Result<(), DrawError> {
        root.fill(&WHITE)?;
        figure.draw(&root)?;
        Ok(root.present()?)
    }
    register_font()?;
    let with = |extension: &str| {
        let mut name = stem.as_os_str().to_owned();
        name.push(extension);
        PathBuf::from(name)
    };
    let (svg, png) = (with(".svg"), with(".png"));
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |error: DrawError| PlotError::Draw {
            path,
            message: error.0,
        }
    };
    draw(figure, SVGBackend::new(&svg, size).into_drawing_area()).map_err(failed(&svg))?;
    draw(figure, BitMapBackend::new(&png, size).into_drawing_area()).map_err(failed(&png))?;
    Ok(vec![svg, png])
}

fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    if *ok { Ok(()) } else { Err(PlotError::Font) }
}

/// The legend box of a line chart, lower right.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    font_size: u32,
) -> Result<(), DrawError> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", font_size))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}

/// A legend entry: a short line in the series' colour.
pub(crate) fn legend_line(color: RGBAColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
}
