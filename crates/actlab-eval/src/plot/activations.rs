//! Pictures of every activation and its derivative on [-6, 6].
//!
//! The curves are what the modules compute, not re-typed formulas: values come from the
//! activation's `forward` and derivatives from Burn's autodiff, on the flex CPU backend.

use std::path::{Path, PathBuf};

use actlab_format::activation::ActivationConfig;
use actlab_model::ActivationInit;
use burn::tensor::{Device, Tensor, TensorData};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, Figure, render};
use crate::error::PlotError;

/// One activation sampled on a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// File-name stem, e.g. `leaky_relu`, `gelu_tanh`.
    pub slug: String,
    /// Human title with parameters.
    pub title: String,
    /// The grid.
    pub xs: Vec<f64>,
    /// f(x).
    pub values: Vec<f64>,
    /// f'(x), by autodiff.
    pub derivatives: Vec<f64>,
}

/// The activations the pictures show: every kind at its defaults except Leaky ReLU's slope
/// (0.1 instead of 0.01, so the leak is visible at this scale), plus Swish with β = 2 and the
/// tanh approximation of GELU.
pub fn plotted_activations() -> Vec<(String, ActivationConfig)> {
    use ActivationConfig as A;
    let mut list = Vec::new();
    for config in A::defaults() {
        let kind = config.kind().to_string();
        match config {
            A::LeakyRelu { .. } => list.push((kind, A::LeakyRelu { slope: 0.1 })),
            A::Swish { .. } => {
                list.push((kind, config));
                let steep = A::Swish {
                    beta: 2.0,
                    trainable: false,
                };
                list.push(("swish_beta2".into(), steep));
            }
            A::Gelu { .. } => {
                list.push((kind, config));
                list.push(("gelu_tanh".into(), A::Gelu { approximate: true }));
            }
            _ => list.push((kind, config)),
        }
    }
    list
}

fn to_f64(t: Tensor<1>) -> Result<Vec<f64>, PlotError> {
    t.into_data()
        .try_to_vec::<f32>()
        .map(|v| v.into_iter().map(f64::from).collect())
        .map_err(|e| PlotError::Tensor(format!("{e:?}")))
}

/// Samples `config` and its derivative at `xs` on `device` (autodiff is enabled here).
///
/// Softmax is not element-wise; it is drawn as the first output of `softmax([x, 0])`, the
/// two-class case (which equals σ(x)).
pub fn activation_curve(
    slug: &str,
    config: &ActivationConfig,
    xs: &[f64],
    device: &Device,
) -> Result<Curve, PlotError> {
    let device = device.clone().autodiff();
    let n = xs.len();
    let data: Vec<f32> = xs.iter().map(|x| *x as f32).collect();
    let x = Tensor::<1>::from_data(TensorData::new(data, [n]), &device).require_grad();
    let (output, title) = match config {
        ActivationConfig::Softmax { .. } => {
            let layer = config.init(2, &device)?;
            let pairs = Tensor::stack::<2>(vec![x.clone(), Tensor::zeros([n], &device)], 1);
            let first = layer.forward(pairs).narrow(1, 0, 1).reshape([n]);
            (first, "softmax([x, 0])₀ = σ(x)".to_string())
        }
        _ => {
            let layer = config.init(1, &device)?;
            (layer.forward(x.clone()), config.label())
        }
    };
    let grads = output.clone().sum().backward();
    let derivative = x
        .grad(&grads)
        .ok_or_else(|| PlotError::Tensor("no gradient for x".into()))?;
    Ok(Curve {
        slug: slug.to_string(),
        title,
        xs: xs.to_vec(),
        values: to_f64(output.without_autodiff())?,
        derivatives: to_f64(derivative)?,
    })
}

fn y_range(curve: &Curve) -> (f64, f64) {
    let (lo, hi) = curve
        .values
        .iter()
        .chain(&curve.derivatives)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let pad = ((hi - lo) * 0.08).max(0.1);
    (lo - pad, hi + pad)
}

fn draw_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curve: &Curve,
    font_scale: f64,
) -> Result<(), DrawError> {
    let (ylo, yhi) = y_range(curve);
    let size = |s: f64| (s * font_scale) as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(&curve.title, ("sans-serif", size(22.0)))
        .margin(size(10.0))
        .x_label_area_size(size(30.0))
        .y_label_area_size(size(42.0))
        .build_cartesian_2d(-6f64..6f64, ylo..yhi)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", size(14.0)))
        .draw()?;
    let axis = BLACK.mix(0.35);
    chart.draw_series(LineSeries::new([(-6.0, 0.0), (6.0, 0.0)], axis))?;
    chart.draw_series(LineSeries::new([(0.0, ylo), (0.0, yhi)], axis))?;
    let stroke = ((2.5 * font_scale) as u32).max(1);
    chart
        .draw_series(LineSeries::new(
            curve.xs.iter().copied().zip(curve.values.iter().copied()),
            BLUE.stroke_width(stroke),
        ))?
        .label("f(x)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(stroke)));
    chart
        .draw_series(LineSeries::new(
            curve
                .xs
                .iter()
                .copied()
                .zip(curve.derivatives.iter().copied()),
            RED.stroke_width(stroke),
        ))?
        .label("f'(x)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(stroke)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", size(14.0)))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

/// One activation on its own page.
struct One<'a>(&'a Curve);

impl Figure for One<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        draw_curve(root, self.0, 1.0)
    }
}

/// Every activation on one page, four to a row.
struct Grid<'a>(&'a [Curve]);

impl Grid<'_> {
    const COLUMNS: usize = 4;

    fn rows(&self) -> usize {
        self.0.len().div_ceil(Self::COLUMNS)
    }
}

impl Figure for Grid<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let areas = root.split_evenly((self.rows(), Self::COLUMNS));
        for (area, curve) in areas.iter().zip(self.0) {
            draw_curve(area, curve, 0.8)?;
        }
        Ok(())
    }
}

/// Writes `<slug>.svg` and `<slug>.png` for every activation of [`plotted_activations`], and
/// `activations.svg`/`.png` with all of them on one page, into `out_dir`. Returns the files.
pub fn plot_activations(out_dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    plot_these(&plotted_activations(), out_dir)
}

/// Writes `<slug>.svg`/`.png` for each `(slug, activation)` — formulas included — and
/// `activations.svg`/`.png` with all of them, into `out_dir`. Returns the files.
pub fn plot_these(
    activations: &[(String, ActivationConfig)],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(out_dir).map_err(|source| PlotError::CreateDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let device = Device::flex();
    let xs: Vec<f64> = (0..=600)
        .map(|i| -6.0 + 12.0 * f64::from(i) / 600.0)
        .collect();
    let curves = activations
        .iter()
        .map(|(slug, config)| activation_curve(slug, config, &xs, &device))
        .collect::<Result<Vec<_>, _>>()?;
    let mut written = Vec::new();
    for curve in &curves {
        written.extend(render(&One(curve), &out_dir.join(&curve.slug), (640, 480))?);
    }
    let grid = Grid(&curves);
    let size = (1600, 300 * grid.rows() as u32);
    written.extend(render(&grid, &out_dir.join("activations"), size)?);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_come_from_the_modules_and_autodiff() {
        let device = Device::flex();
        let xs = [-2.0, -0.5, 0.5, 2.0];
        let relu = activation_curve("relu", &ActivationConfig::Relu, &xs, &device).unwrap();
        assert_eq!(relu.values, vec![0.0, 0.0, 0.5, 2.0]);
        assert_eq!(relu.derivatives, vec![0.0, 0.0, 1.0, 1.0]);
        let softmax =
            activation_curve("softmax", &ActivationConfig::softmax(), &xs, &device).unwrap();
        for (x, (y, d)) in xs
            .iter()
            .zip(softmax.values.iter().zip(&softmax.derivatives))
        {
            let s = 1.0 / (1.0 + (-x).exp());
            assert!((y - s).abs() < 1e-6 && (d - s * (1.0 - s)).abs() < 1e-6);
        }
    }

    #[test]
    fn every_kind_is_plotted_once_per_slug() {
        let list = plotted_activations();
        for kind in actlab_format::activation::activation_kinds() {
            assert!(list.iter().any(|(_, a)| a.kind() == kind), "{kind} missing");
        }
        let mut slugs: Vec<&str> = list.iter().map(|(s, _)| s.as_str()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), list.len());
    }

    #[test]
    fn writes_svg_and_png_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = plot_activations(dir.path()).unwrap();
        assert_eq!(files.len(), 2 * plotted_activations().len() + 2);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            if file.extension().is_some_and(|e| e == "png") {
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", file.display());
            } else {
                let text = String::from_utf8(bytes).unwrap();
                assert!(
                    text.starts_with("<svg") && text.contains("<polyline"),
                    "{}",
                    file.display()
                );
                assert!(text.contains("f&apos;(x)"), "legend in {}", file.display());
            }
        }
    }
}
