//! MNIST-1D (Greydanus 2020, "Scaling down deep learning"): ten 12-point digit templates made
//! harder to classify by random padding, dilation, scaling, translation, correlated and i.i.d.
//! noise and shear, then subsampled to 40 points. Generated here, seeded, so the dataset needs
//! no download: a port of the reference implementation (PyPI `mnist1d` 0.0.2.post1,
//! `data.py`/`transform.py`) whose random draws are NumPy's legacy generator's, draw for draw
//! ([`legacy_rng`]). `scripts/mnist1d-reference.py` wrote the committed reference this is
//! tested against (`tests/data/mnist1d-reference.json`).

pub mod legacy_rng;

use legacy_rng::LegacyRng;

/// Points of a template.
pub const TEMPLATE_LEN: usize = 12;

/// The generator's settings: the reference's `get_dataset_args()` defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist1dArgs {
    /// Samples in all (train + test), `num_samples / 10` of each digit.
    pub num_samples: usize,
    /// The fraction that is the training split.
    pub train_split: f64,
    /// Zeros appended to a template: uniform in this range (inclusive).
    pub padding: (usize, usize),
    /// Amplitude scaled by 1 + `scale_coeff` · U(−½, ½).
    pub scale_coeff: f64,
    /// Circular shift by U{0, …, `max_translation` − 1} points.
    pub max_translation: usize,
    /// Gaussian noise (σ = 2 points smoothing) where the signal is zero.
    pub corr_noise_scale: f64,
    /// Gaussian noise everywhere.
    pub iid_noise_scale: f64,
    /// A linear ramp of slope `shear_scale` · U(−½, ½) subtracted.
    pub shear_scale: f64,
    /// Points of a sample.
    pub final_seq_length: usize,
    /// NumPy's `np.random.seed`.
    pub seed: u32,
}

impl Default for Mnist1dArgs {
    fn default() -> Mnist1dArgs {
        Mnist1dArgs {
            num_samples: 5000,
            train_split: 0.8,
            padding: (36, 60),
            scale_coeff: 0.4,
            max_translation: 48,
            corr_noise_scale: 0.25,
            iid_noise_scale: 2e-2,
            shear_scale: 0.75,
            final_seq_length: 40,
            seed: 42,
        }
    }
}

/// A generated MNIST-1D: samples of `final_seq_length` values, normalised over the whole
/// dataset to mean 0 and standard deviation 1, labels 0–9.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist1d {
    /// Training samples.
    pub x: Vec<Vec<f64>>,
    /// Their labels.
    pub y: Vec<u8>,
    /// Test samples.
    pub x_test: Vec<Vec<f64>>,
    /// Their labels.
    pub y_test: Vec<u8>,
    /// The sample positions (the templates' time axis, transformed like the samples).
    pub t: Vec<f64>,
}

/// Why settings cannot generate a dataset.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("MNIST-1D: {0}")]
pub struct Mnist1dError(String);

/// The ten templates (each whitened, starting at 0, divided by 6) and their time axis.
pub fn templates() -> ([[f64; TEMPLATE_LEN]; 10], [f64; TEMPLATE_LEN]) {
    let mut x: [[f64; TEMPLATE_LEN]; 10] = [
        [5., 6., 6.5, 6.75, 7., 7., 7., 7., 6.75, 6.5, 6., 5.],
        [5., 3., 3., 3.4, 3.8, 4.2, 4.6, 5., 5.4, 5.8, 5., 5.],
        [5., 6., 6.5, 6.5, 6., 5.25, 4.75, 4., 3.5, 3.5, 4., 5.],
        [5., 6., 6.5, 6.5, 6., 5., 5., 6., 6.5, 6.5, 6., 5.],
        [5., 4.4, 3.8, 3.2, 2.6, 2.6, 5., 5., 5., 5., 5., 5.],
        [5., 3., 3., 3., 3., 5., 6., 6.5, 6.5, 6., 4.5, 5.],
        [5., 4., 3.5, 3.25, 3., 3., 3., 3., 3.25, 3.5, 4., 5.],
        [5., 7., 7., 6.6, 6.2, 5.8, 5.4, 5., 4.6, 4.2, 5., 5.],
        [5., 4., 3.5, 3.5, 4., 5., 5., 4., 3.5, 3.5, 4., 5.],
        [5., 4., 3.5, 3.5, 4., 5., 5., 5., 5., 4.7, 4.3, 5.],
    ];
    for row in &mut x {
        let (mean, std) = mean_std(row);
        for v in row.iter_mut() {
            *v = (*v - mean) / std;
        }
        let first = row[0];
        for v in row.iter_mut() {
            *v = (*v - first) / 6.0;
        }
    }
    let t = linspace(-5.0, 5.0, TEMPLATE_LEN);
    let mut axis = [0.0; TEMPLATE_LEN];
    for (a, v) in axis.iter_mut().zip(t) {
        *a = v / 6.0;
    }
    (x, axis)
}

/// Generates the dataset: `num_samples / 10` transformed samples of each digit in label order,
/// shuffled, normalised, split (the reference's `make_dataset`).
pub fn generate(args: &Mnist1dArgs) -> Result<Mnist1d, Mnist1dError> {
    check(args)?;
    let (templates, t) = templates();
    let mut rng = LegacyRng::new(args.seed);
    let per_class = args.num_samples / 10;
    let mut xs = Vec::with_capacity(per_class * 10);
    let mut ys = Vec::with_capacity(per_class * 10);
    let mut new_t = Vec::new();
    for (label, template) in templates.iter().enumerate() {
        for _ in 0..per_class {
            let (x, time) = transform(template, &t, args, &mut rng);
            xs.push(x);
            ys.push(label as u8);
            new_t = time;
        }
    }
    let order = rng.permutation(xs.len());
    let mut xs: Vec<Vec<f64>> = order.iter().map(|&i| std::mem::take(&mut xs[i])).collect();
    let ys: Vec<u8> = order.iter().map(|&i| ys[i]).collect();
    let all: Vec<f64> = xs.iter().flatten().copied().collect();
    let (mean, std) = mean_std(&all);
    for v in &mut new_t {
        *v /= std;
    }
    for v in xs.iter_mut().flatten() {
        *v = (*v - mean) / std;
    }
    let split = (ys.len() as f64 * args.train_split) as usize;
    let x_test = xs.split_off(split);
    Ok(Mnist1d {
        x: xs,
        y: ys[..split].to_vec(),
        x_test,
        y_test: ys[split..].to_vec(),
        t: new_t,
    })
}

fn check(args: &Mnist1dArgs) -> Result<(), Mnist1dError> {
    let fail = |m: String| Err(Mnist1dError(m));
    if !(10..=1_000_000).contains(&args.num_samples) {
        return fail(format!(
            "num_samples = {} (10 to 1000000)",
            args.num_samples
        ));
    }
    if !(args.train_split > 0.0 && args.train_split < 1.0) {
        return fail(format!(
            "train_split = {} (between 0 and 1)",
            args.train_split
        ));
    }
    let (low, high) = args.padding;
    if low > high || high > 10_000 {
        return fail(format!("padding = [{low}, {high}] (low ≤ high ≤ 10000)"));
    }
    if !(2..=10_000).contains(&args.final_seq_length) {
        return fail(format!(
            "final_seq_length = {} (2 to 10000)",
            args.final_seq_length
        ));
    }
    if args.max_translation == 0 || args.max_translation > TEMPLATE_LEN + high {
        return fail(format!(
            "max_translation = {} (1 to the padded length {})",
            args.max_translation,
            TEMPLATE_LEN + high
        ));
    }
    let scales = [
        args.scale_coeff,
        args.corr_noise_scale,
        args.iid_noise_scale,
        args.shear_scale,
    ];
    if !scales.iter().all(|s| s.is_finite() && *s >= 0.0) {
        return fail("the noise and scale coefficients must be finite and ≥ 0".into());
    }
    Ok(())
}

/// One sample from `template` (the reference's `transform`), drawing from `rng` in its order:
/// padding, scale, translation, correlated noise, i.i.d. noise, shear.
fn transform(
    template: &[f64; TEMPLATE_LEN],
    t: &[f64; TEMPLATE_LEN],
    args: &Mnist1dArgs,
    rng: &mut LegacyRng,
) -> (Vec<f64>, Vec<f64>) {
    const EPS: f64 = 1e-8;
    let dilated = TEMPLATE_LEN + args.padding.1;
    // Pad with U{low, …, high} zeros, then dilate to the longest padded length.
    let (low, high) = args.padding;
    let p = low + (rng.rand() * (high - low + 1) as f64) as usize;
    let mut padded: Vec<f64> = template.iter().map(|v| v + EPS).collect();
    padded.resize(TEMPLATE_LEN + p, 0.0);
    let mut x = interpolate(&padded, dilated);
    let time = interpolate(t, dilated);
    let scale = 1.0 + args.scale_coeff * (rng.rand() - 0.5);
    for v in &mut x {
        *v *= scale;
    }
    // `np.random.choice(k)`, then `concatenate([x[-k:], x[:-k]])`: a shift right by k.
    let k = rng.choice(args.max_translation as u32) as usize;
    if k > 0 && k < x.len() {
        x.rotate_right(k);
    }
    let noise: Vec<f64> = (0..dilated)
        .map(|_| args.corr_noise_scale * rng.randn())
        .collect();
    let corr = gaussian_filter(&noise, 2.0);
    for (v, c) in x.iter_mut().zip(&corr) {
        if *v == 0.0 {
            *v = *c;
        }
    }
    for v in &mut x {
        *v += args.iid_noise_scale * rng.randn();
    }
    let coeff = args.shear_scale * (rng.rand() - 0.5);
    for (v, ramp) in x.iter_mut().zip(linspace(-0.5, 0.5, dilated)) {
        *v -= coeff * ramp;
    }
    (
        interpolate(&x, args.final_seq_length),
        interpolate(&time, args.final_seq_length),
    )
}

/// `np.linspace(start, stop, n)`: `start + i·step`, the last point exactly `stop`.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    let step = (stop - start) / (n - 1) as f64;
    let mut out: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
    if let Some(last) = out.last_mut() {
        *last = stop;
    }
    out
}

/// Linear resampling of `x` (on `linspace(0, 1, len)`) at `linspace(0, 1, n)`, as SciPy's
/// `interp1d(kind="linear")` computes it.
fn interpolate(x: &[f64], n: usize) -> Vec<f64> {
    let from = linspace(0.0, 1.0, x.len());
    linspace(0.0, 1.0, n)
        .into_iter()
        .map(|u| {
            // searchsorted(from, u, side="left"), clipped to [1, len − 1].
            let hi = from.partition_point(|&f| f < u).clamp(1, x.len() - 1);
            let lo = hi - 1;
            let slope = (x[hi] - x[lo]) / (from[hi] - from[lo]);
            slope * (u - from[lo]) + x[lo]
        })
        .collect()
}

/// SciPy's `gaussian_filter1d(x, sigma)` with its defaults: a kernel truncated at 4σ,
/// normalised, and the input extended by reflection (`d c b a | a b c d | d c b a`).
fn gaussian_filter(x: &[f64], sigma: f64) -> Vec<f64> {
    let radius = (4.0 * sigma + 0.5) as i64;
    let weights: Vec<f64> = (-radius..=radius)
        .map(|i| (-0.5 / (sigma * sigma) * (i * i) as f64).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let n = x.len() as i64;
    let at = |mut i: i64| {
        // Half-sample symmetric reflection, repeated for a kernel wider than the input.
        let period = 2 * n;
        i = i.rem_euclid(period);
        if i >= n {
            i = period - 1 - i;
        }
        x[i as usize]
    };
    (0..n)
        .map(|c| {
            (-radius..=radius)
                .zip(&weights)
                .map(|(k, w)| w / total * at(c + k))
                .sum()
        })
        .collect()
}

/// Mean and population standard deviation (NumPy's `mean()`, `std()`).
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// `dataset = "mnist1d"`: the reference's defaults (4,000 training and 1,000 test sequences of
/// 40 points, seed 42), as f32 — the same numbers as `mnist1d.data.make_dataset()` with its
/// default arguments (checked within 1e-13 in f64 by `tests/mnist1d.rs`).
pub fn dataset() -> Result<crate::MnistData, crate::DataError> {
    use actlab_format::dataset::{DatasetName, MNIST1D_LENGTH};
    let args = Mnist1dArgs::default();
    let data = generate(&args).map_err(|e| crate::DataError::Split(e.to_string()))?;
    let split = |x: Vec<Vec<f64>>, y: Vec<u8>| {
        let values: Vec<f32> = x.into_iter().flatten().map(|v| v as f32).collect();
        crate::Split::of(crate::mnist::Values::Floats(values), MNIST1D_LENGTH, y)
            .map_err(|e| crate::DataError::Split(format!("MNIST-1D: {e}")))
    };
    Ok(crate::MnistData {
        name: DatasetName::Mnist1d,
        dir: std::path::PathBuf::from("(generated)"),
        train: split(data.x, data.y)?,
        test: split(data.x_test, data.y_test)?,
        files: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_match_numpy_and_scipy_on_hand_worked_cases() {
        assert_eq!(linspace(0.0, 1.0, 5), [0.0, 0.25, 0.5, 0.75, 1.0]);
        // [0, 2, 4] on 0, ½, 1 resampled at 0, ¼, ½, ¾, 1.
        assert_eq!(interpolate(&[0.0, 2.0, 4.0], 5), [0.0, 1.0, 2.0, 3.0, 4.0]);
        // A constant is unchanged by a normalised filter; an impulse spreads into the kernel.
        let flat = gaussian_filter(&[3.0; 30], 2.0);
        assert!(flat.iter().all(|v| (v - 3.0).abs() < 1e-12));
        let mut impulse = vec![0.0; 30];
        impulse[15] = 1.0;
        let spread = gaussian_filter(&impulse, 2.0);
        let kernel = |i: f64| (-i * i / 8.0).exp();
        let total: f64 = (-8..=8).map(|i| kernel(f64::from(i))).sum();
        assert!((spread[15] - 1.0 / total).abs() < 1e-15);
        assert!((spread[17] - kernel(2.0) / total).abs() < 1e-15);
        assert_eq!(spread[6], 0.0);
        // Reflection at the edge: x[-1] = x[0], x[-2] = x[1].
        let mut edge = vec![0.0; 30];
        edge[0] = 1.0;
        let reflected = gaussian_filter(&edge, 2.0);
        assert!((reflected[0] - (kernel(0.0) + kernel(1.0)) / total).abs() < 1e-15);
    }

    #[test]
    fn templates_start_at_zero_and_the_dataset_has_its_shape() {
        let (x, t) = templates();
        assert!(x.iter().all(|row| row[0] == 0.0));
        assert!((t[0] + 5.0 / 6.0).abs() < 1e-15 && (t[11] - 5.0 / 6.0).abs() < 1e-15);
        let data = generate(&Mnist1dArgs::default()).unwrap();
        assert_eq!((data.x.len(), data.x_test.len()), (4000, 1000));
        assert!(data.x.iter().chain(&data.x_test).all(|s| s.len() == 40));
        let mut counts = [0; 10];
        for &y in data.y.iter().chain(&data.y_test) {
            counts[y as usize] += 1;
        }
        assert_eq!(counts, [500; 10]);
        let all: Vec<f64> = data
            .x
            .iter()
            .chain(&data.x_test)
            .flatten()
            .copied()
            .collect();
        let (mean, std) = mean_std(&all);
        assert!(mean.abs() < 1e-12 && (std - 1.0).abs() < 1e-12);
        assert_eq!(generate(&Mnist1dArgs::default()).unwrap(), data, "seeded");
        let other = generate(&Mnist1dArgs {
            seed: 43,
            ..Mnist1dArgs::default()
        })
        .unwrap();
        assert_ne!(other.x[0], data.x[0]);
    }

    #[test]
    fn impossible_settings_are_errors() {
        let bad = [
            Mnist1dArgs {
                num_samples: 5,
                ..Mnist1dArgs::default()
            },
            Mnist1dArgs {
                padding: (60, 36),
                ..Mnist1dArgs::default()
            },
            Mnist1dArgs {
                max_translation: 0,
                ..Mnist1dArgs::default()
            },
            Mnist1dArgs {
                train_split: 1.0,
                ..Mnist1dArgs::default()
            },
            Mnist1dArgs {
                shear_scale: f64::NAN,
                ..Mnist1dArgs::default()
            },
        ];
        for args in bad {
            assert!(generate(&args).is_err(), "{args:?}");
        }
    }
}
