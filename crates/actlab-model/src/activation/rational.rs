//! A learnable safe rational activation (`kind = "rational"`, a Padé Activation Unit):
//! `R(x) = (a0 + a1 x + … + am x^m) / (1 + |b1 x + … + bn x^n|)`, both polynomials evaluated by
//! Horner's scheme with Burn tensor operations (the gradients of `x` and of every coefficient
//! come from autodiff). The coefficients start at the least-squares fit of the config's `init`
//! activation (`actlab_format::rational`); each is a `Param<Tensor<1>>` of shape `[1]` (shared
//! by the layer) or `[units]` (`per_unit`).

use actlab_format::rational::RationalFit;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use actlab_format::error::ModelError;

/// A rational activation layer.
#[derive(Module, Debug)]
pub struct RationalActivation {
    /// `a0, …, am`.
    pub numerator: Vec<Param<Tensor<1>>>,
    /// `b1, …, bn`.
    pub denominator: Vec<Param<Tensor<1>>>,
    /// The initial fit (its coefficients and maximum error): what the layer started as.
    #[module(skip)]
    pub fit: RationalFit,
}

impl RationalActivation {
    /// Builds the layer at the fitted coefficients, `units` values of each when `per_unit`.
    pub fn new(fit: RationalFit, per_unit: bool, units: usize, device: &Device) -> Self {
        let width = if per_unit { units.max(1) } else { 1 };
        let param = |c: f64| {
            let values = vec![c as f32; width];
            Param::from_tensor(Tensor::<1>::from_floats(values.as_slice(), device))
        };
        RationalActivation {
            numerator: fit.numerator.iter().map(|&c| param(c)).collect(),
            denominator: fit.denominator.iter().map(|&c| param(c)).collect(),
            fit,
        }
    }

    /// Applies `R` element-wise.
    ///
    /// # Shapes
    /// - input: `[..., units]` (per-unit coefficients need `units` in the last dimension)
    /// - output: same as input
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let p = horner(&self.numerator, &x, 0);
        if self.denominator.is_empty() {
            return p;
        }
        // Q(x) = x·(b1 + x·(b2 + … + x·bn)): Horner over b1.. with one more factor of x.
        let q = horner(&self.denominator, &x, 1);
        p / q.abs().add_scalar(1.0)
    }

    /// The coefficients' current values: every `a_k` (each `units` long when per unit), then
    /// every `b_k`.
    pub fn learned_values(&self) -> Result<Vec<f32>, ModelError> {
        let mut out = Vec::new();
        for p in self.numerator.iter().chain(&self.denominator) {
            out.extend(super::read_values(p.val(), "rational coefficients")?);
        }
        Ok(out)
    }
}

/// A coefficient shaped `[1, …, 1, width]` so that it broadcasts against `[…, units]`.
fn coefficient<const D: usize>(p: &Param<Tensor<1>>) -> Tensor<D> {
    let c = p.val();
    let mut shape = [1usize; D];
    shape[D.min(2) - 1] = c.dims()[0];
    c.reshape(shape)
}

/// `x^shift · (c0 + c1 x + … + ck x^k)` by Horner's scheme (`shift` 0 or 1; `c` non-empty).
fn horner<const D: usize>(c: &[Param<Tensor<1>>], x: &Tensor<D>, shift: usize) -> Tensor<D> {
    let last = c.len() - 1;
    if last == 0 {
        let c0 = coefficient::<D>(&c[0]);
        return if shift == 1 {
            x.clone() * c0
        } else {
            x.zeros_like() + c0
        };
    }
    let mut acc = x.clone() * coefficient::<D>(&c[last]);
    for k in (1..last).rev() {
        acc = (acc + coefficient::<D>(&c[k])) * x.clone();
    }
    acc = acc + coefficient::<D>(&c[0]);
    if shift == 1 { acc * x.clone() } else { acc }
}
