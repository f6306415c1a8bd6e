//! Pictures of every activation and its derivative on [-6, 6], as SVG and PNG.
//!
//! The curves are what the modules compute, not re-typed formulas: values come from the
//! activation's `forward` and derivatives from Burn's autodiff, on the flex CPU backend.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use actlab_model::ActivationConfig;
use burn::tensor::{Device, Tensor, TensorData};
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
}

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

/// The activations the pictures show: every kind, parameters at their defaults except Leaky
/// ReLU's slope (0.1 instead of 0.01, so the leak is visible at this scale).
pub fn plotted_activations() -> Vec<(String, ActivationConfig)> {
    use ActivationConfig as A;
    let mut list: Vec<(String, ActivationConfig)> = [
        A::Identity,
        A::Sigmoid,
        A::Tanh,
        A::Relu,
        A::LeakyRelu { slope: 0.1 },
        A::prelu(),
        A::swish(1.0),
        A::Swish {
            beta: 2.0,
            trainable: false,
        },
        A::Silu,
        A::Gelu { approximate: false },
        A::Gelu { approximate: true },
        A::Elu { alpha: 1.0 },
        A::Selu,
        A::Softplus { beta: 1.0 },
        A::Mish,
        A::softmax(),
    ]
    .into_iter()
    .map(|a| (a.kind().to_string(), a))
    .collect();
    for (slug, config) in &mut list {
        match config {
            A::Gelu { approximate: true } => *slug = "gelu_tanh".into(),
            A::Swish { beta, .. } if *beta != 1.0 => *slug = format!("swish_beta{beta}"),
            _ => {}
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
            let layer = config.init(2, &device);
            let pairs = Tensor::stack::<2>(vec![x.clone(), Tensor::zeros([n], &device)], 1);
            let first = layer.forward(pairs).narrow(1, 0, 1).reshape([n]);
            (first, "softmax([x, 0])₀ = σ(x)".to_string())
        }
        _ => {
            let layer = config.init(1, &device);
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

fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    if *ok { Ok(()) } else { Err(PlotError::Font) }
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
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (ylo, yhi) = y_range(curve);
    let size = |s: f64| (s * font_scale) as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(&curve.title, ("sans-serif", size(22.0)))
        .margin(size(10.0))
        .x_label_area_size(size(30.0))
        .y_label_area_size(size(42.0))
        .build_cartesian_2d(-6f64..6f64, ylo..yhi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", size(14.0)))
        .draw()
        .map_err(err)?;
    let axis = BLACK.mix(0.35);
    chart
        .draw_series(LineSeries::new([(-6.0, 0.0), (6.0, 0.0)], axis))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new([(0.0, ylo), (0.0, yhi)], axis))
        .map_err(err)?;
    let stroke = ((2.5 * font_scale) as u32).max(1);
    chart
        .draw_series(LineSeries::new(
            curve.xs.iter().copied().zip(curve.values.iter().copied()),
            BLUE.stroke_width(stroke),
        ))
        .map_err(err)?
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
        ))
        .map_err(err)?
        .label("f'(x)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(stroke)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", size(14.0)))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(err)?;
    Ok(())
}

fn draw_grid<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    curves: &[Curve],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let cols = 4;
    let rows = curves.len().div_ceil(cols);
    for (area, curve) in root.split_evenly((rows, cols)).iter().zip(curves) {
        draw_curve(area, curve, 0.8)?;
    }
    root.present().map_err(|e| e.to_string())
}

fn draw_one<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, curve: &Curve) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    draw_curve(&root, curve, 1.0)?;
    root.present().map_err(|e| e.to_string())
}

/// Writes `<slug>.svg` and `<slug>.png` for every activation of [`plotted_activations`], and
/// `activations.svg`/`.png` with all of them on one page, into `out_dir`. Returns the files.
pub fn plot_activations(out_dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    std::fs::create_dir_all(out_dir).map_err(|source| PlotError::CreateDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let device = Device::flex();
    let xs: Vec<f64> = (0..=600)
        .map(|i| -6.0 + 12.0 * f64::from(i) / 600.0)
        .collect();
    let curves = plotted_activations()
        .iter()
        .map(|(slug, config)| activation_curve(slug, config, &xs, &device))
        .collect::<Result<Vec<_>, _>>()?;

    let mut written = Vec::new();
    let draw_err = |path: &Path| {
        let path = path.to_path_buf();
        move |message: String| PlotError::Draw { path, message }
    };
    for curve in &curves {
        let svg = out_dir.join(format!("{}.svg", curve.slug));
        draw_one(SVGBackend::new(&svg, (640, 480)).into_drawing_area(), curve)
            .map_err(draw_err(&svg))?;
        let png = out_dir.join(format!("{}.png", curve.slug));
        draw_one(
            BitMapBackend::new(&png, (640, 480)).into_drawing_area(),
            curve,
        )
        .map_err(draw_err(&png))?;
        written.extend([svg, png]);
    }
    let rows = curves.len().div_ceil(4) as u32;
    let size = (1600, 300 * rows);
    let svg = out_dir.join("activations.svg");
    draw_grid(SVGBackend::new(&svg, size).into_drawing_area(), &curves).map_err(draw_err(&svg))?;
    let png = out_dir.join("activations.png");
    draw_grid(BitMapBackend::new(&png, size).into_drawing_area(), &curves)
        .map_err(draw_err(&png))?;
    written.extend([svg, png]);
    Ok(written)
}

fn draw_confusion<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &crate::EvalReport,
) -> Result<(), String> {
    const LEFT: i32 = 130;
    const TOP: i32 = 70;
    const CELL: i32 = 60;
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let title = format!(
        "{} on {}: {:.2}% of {} test images (rows: true, columns: predicted)",
        report.run,
        report.dataset,
        100.0 * report.accuracy,
        report.images
    );
    root.draw(&Text::new(title, (10, 12), ("sans-serif", 16).into_font()))
        .map_err(err)?;
    let short = |name: &str| -> String { name.chars().take(9).collect() };
    for (i, row) in report.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        let y = TOP + i as i32 * CELL;
        let name = short(&report.per_class[i].name);
        root.draw(&Text::new(
            name,
            (8, y + CELL / 2 - 7),
            ("sans-serif", 13).into_font(),
        ))
        .map_err(err)?;
        for (j, &count) in row.iter().enumerate() {
            let x = LEFT + j as i32 * CELL;
            // Share of the true class's images: white (0) to dark blue (1).
            let share = count as f64 / total.max(1) as f64;
            let shade = |c: u8| (255.0 - share * (255.0 - f64::from(c))).round() as u8;
            let color = RGBColor(shade(8), shade(48), shade(107));
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL, y + CELL)],
                color.filled(),
            ))
            .map_err(err)?;
            root.draw(&Rectangle::new(
                [(x, y), (x + CELL, y + CELL)],
                RGBColor(200, 200, 200).stroke_width(1),
            ))
            .map_err(err)?;
            let ink = if share > 0.5 { WHITE } else { BLACK };
            root.draw(&Text::new(
                count.to_string(),
                (x + 8, y + CELL / 2 - 7),
                ("sans-serif", 14).into_font().color(&ink),
            ))
            .map_err(err)?;
        }
    }
    for (j, class) in report.per_class.iter().enumerate() {
        let x = LEFT + j as i32 * CELL + 4;
        root.draw(&Text::new(
            short(&class.name),
            (x, TOP - 20),
            ("sans-serif", 11).into_font(),
        ))
        .map_err(err)?;
    }
    root.present().map_err(err)
}

/// Writes the confusion-matrix heatmap of `report` as `confusion.svg` and `confusion.png` into
/// `dir`. Returns the files.
pub fn plot_confusion(dir: &Path, report: &crate::EvalReport) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let n = report.confusion.len() as u32;
    let size = (130 + 60 * n + 20, 70 + 60 * n + 20);
    let svg = dir.join("confusion.svg");
    let png = dir.join("confusion.png");
    draw_confusion(SVGBackend::new(&svg, size).into_drawing_area(), report).map_err(|message| {
        PlotError::Draw {
            path: svg.clone(),
            message,
        }
    })?;
    draw_confusion(BitMapBackend::new(&png, size).into_drawing_area(), report).map_err(
        |message| PlotError::Draw {
            path: png.clone(),
            message,
        },
    )?;
    Ok(vec![svg, png])
}

/// The legend box of a line chart, lower right.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
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
fn legend_line(color: RGBAColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
}

/// One line of a comparison plot: a name and (epoch, mean, std) points.
type Series = (String, Vec<(f64, f64, f64)>);

fn comparison_series(
    report: &crate::report::Report,
    runs: &[crate::report::RunRecord],
    keys: &[String],
    value: impl Fn(&crate::report::EpochRow) -> Option<f64>,
) -> Vec<Series> {
    report
        .results
        .iter()
        .map(|result| {
            let members: Vec<&crate::report::RunRecord> = runs
                .iter()
                .zip(keys)
                .filter(|(_, k)| **k == result.name)
                .map(|(r, _)| r)
                .collect();
            let epochs = members.iter().map(|r| r.history.len()).max().unwrap_or(0);
            let points = (1..=epochs)
                .filter_map(|epoch| {
                    let values: Vec<f64> = members
                        .iter()
                        .filter_map(|r| r.history.iter().find(|row| row.epoch == epoch))
                        .filter_map(&value)
                        .collect();
                    if values.is_empty() {
                        return None;
                    }
                    let std = crate::stats::sample_std(&values);
                    Some((
                        epoch as f64,
                        crate::stats::mean(&values),
                        if std.is_finite() { std } else { 0.0 },
                    ))
                })
                .collect();
            (result.name.clone(), points)
        })
        .filter(|(_, points): &Series| !points.is_empty())
        .collect()
}

fn draw_series<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let all = series.iter().flat_map(|(_, p)| p.iter());
    let x_max = all.clone().map(|p| p.0).fold(1.0, f64::max);
    let lo = all.clone().map(|p| p.1 - p.2).fold(f64::INFINITY, f64::min);
    let hi = all.map(|p| p.1 + p.2).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(0.8..x_max + 0.2, lo - pad..hi + pad)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .draw()
        .map_err(err)?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1 + p.2)).collect();
        band.extend(points.iter().rev().map(|p| (p.0, p.1 - p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.12).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name.as_str())
            .legend(legend_line(color));
    }
    draw_legend(&mut chart, 11)?;
    root.present().map_err(err)
}

fn draw_bars<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &crate::report::Report,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
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
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = ((hi - lo) * 0.1).max(0.002);
    let x0 = (lo - 4.0 * pad).max(0.0);
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Test accuracy: mean and 95% CI over seeds",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(10)
        .build_cartesian_2d(x0..hi + pad, 0.0..n)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("test accuracy")
        .x_label_formatter(&|x| format!("{:.1}%", 100.0 * x))
        .draw()
        .map_err(err)?;
    for (i, r) in rows.iter().enumerate() {
        // Best at the top.
        let y = n - i as f64 - 0.5;
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, y - 0.35), (r.accuracy.mean, y + 0.35)],
                color.mix(0.55).filled(),
            )))
            .map_err(err)?;
        if r.accuracy.low.is_finite() {
            let whisker = vec![(r.accuracy.low, y), (r.accuracy.high, y)];
            chart
                .draw_series([
                    PathElement::new(whisker, BLACK.stroke_width(2)),
                    PathElement::new(
                        vec![(r.accuracy.low, y - 0.2), (r.accuracy.low, y + 0.2)],
                        BLACK.stroke_width(2),
                    ),
                    PathElement::new(
                        vec![(r.accuracy.high, y - 0.2), (r.accuracy.high, y + 0.2)],
                        BLACK.stroke_width(2),
                    ),
                ])
                .map_err(err)?;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{}  {:.2}%", r.name, 100.0 * r.accuracy.mean),
                (x0 + pad * 0.2, y - 0.15),
                ("sans-serif", 12).into_font(),
            )))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// Writes the comparison plots into `out` (SVG and PNG each): `val_accuracy` (validation
/// accuracy per epoch, mean line, band = std), `test_accuracy` (bars with 95% CI whiskers),
/// `train_loss` (training loss per epoch).
pub fn plot_comparison(
    report: &crate::report::Report,
    runs: &[crate::report::RunRecord],
    keys: &[String],
    out: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let draw_err = |path: &Path| {
        let path = path.to_path_buf();
        move |message: String| PlotError::Draw { path, message }
    };
    let val = comparison_series(report, runs, keys, |row| row.val_acc);
    let loss = comparison_series(report, runs, keys, |row| Some(row.train_loss));
    let mut written = Vec::new();
    for (stem, title, y_desc, series) in [
        (
            "val_accuracy",
            "Validation accuracy per epoch (mean ± std over seeds)",
            "validation accuracy",
            &val,
        ),
        (
            "train_loss",
            "Training loss per epoch (mean ± std over seeds)",
            "cross-entropy",
            &loss,
        ),
    ] {
        let svg = out.join(format!("{stem}.svg"));
        draw_series(
            SVGBackend::new(&svg, (900, 600)).into_drawing_area(),
            title,
            y_desc,
            series,
        )
        .map_err(draw_err(&svg))?;
        let png = out.join(format!("{stem}.png"));
        draw_series(
            BitMapBackend::new(&png, (900, 600)).into_drawing_area(),
            title,
            y_desc,
            series,
        )
        .map_err(draw_err(&png))?;
        written.extend([svg, png]);
    }
    let height = 80 + 34 * report.results.len() as u32;
    let svg = out.join("test_accuracy.svg");
    draw_bars(
        SVGBackend::new(&svg, (900, height)).into_drawing_area(),
        report,
    )
    .map_err(draw_err(&svg))?;
    let png = out.join("test_accuracy.png");
    draw_bars(
        BitMapBackend::new(&png, (900, height)).into_drawing_area(),
        report,
    )
    .map_err(draw_err(&png))?;
    written.extend([svg, png]);
    Ok(written)
}

fn draw_gradients<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &crate::diagnose::DiagnoseReport,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let norms = report
        .activations
        .iter()
        .flat_map(|a| a.initial.iter().chain(&a.trained))
        .map(|l| l.grad_norm)
        .filter(|n| n.is_finite() && *n > 0.0);
    let lo = norms.clone().fold(f64::INFINITY, f64::min);
    let hi = norms.fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
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
            .build_cartesian_2d(0.5..layers + 0.5, (lo..hi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(format!("layer (1 = first; {} = output)", report.depth + 1))
            .y_desc("gradient norm (log)")
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()
            .map_err(err)?;
        for (i, a) in report.activations.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let layers = if trained { &a.trained } else { &a.initial };
            let points: Vec<(f64, f64)> = layers
                .iter()
                .map(|l| (l.layer as f64, l.grad_norm.max(lo)))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?
                .label(a.activation.as_str())
                .legend(legend_line(color));
        }
        draw_legend(&mut chart, 10)?;
    }
    root.present().map_err(err)
}

/// Writes `gradients.svg` and `gradients.png`: per-layer gradient norms (log scale), one line
/// per activation, at initialisation and after training.
pub fn plot_gradients(
    report: &crate::diagnose::DiagnoseReport,
    out: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let svg = out.join("gradients.svg");
    let png = out.join("gradients.png");
    draw_gradients(
        SVGBackend::new(&svg, (1400, 600)).into_drawing_area(),
        report,
    )
    .map_err(|message| PlotError::Draw {
        path: svg.clone(),
        message,
    })?;
    draw_gradients(
        BitMapBackend::new(&png, (1400, 600)).into_drawing_area(),
        report,
    )
    .map_err(|message| PlotError::Draw {
        path: png.clone(),
        message,
    })?;
    Ok(vec![svg, png])
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
        for kind in actlab_model::ACTIVATION_KINDS {
            assert!(
                list.iter().any(|(_, a)| a.kind() == *kind),
                "{kind} missing"
            );
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
