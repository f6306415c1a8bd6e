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

/// What can go wrong while plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The output directory could not be created.
    #[error("cannot create {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Drawing or writing an image failed.
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The image file.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
    /// The embedded font could not be loaded.
    #[error("cannot load the embedded font")]
    Font,
    /// A tensor could not be read back.
    #[error("cannot read the computed curve: {0}")]
    Tensor(String),
    /// The activation cannot be built (a formula that fails its checks).
    #[error(transparent)]
    Model(#[from] actlab_model::ModelError),
}

/// Something drawable on a white canvas.
pub(crate) trait Figure {
    /// Draws onto `root` (already white; presented by [`render`]).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
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
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        figure.draw(&root)?;
        root.present().map_err(|e| e.to_string())
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
        move |message: String| PlotError::Draw { path, message }
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
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", font_size))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| e.to_string())
}

/// A legend entry: a short line in the series' colour.
pub(crate) fn legend_line(color: RGBAColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
}
