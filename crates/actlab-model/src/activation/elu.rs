//! ELU and SELU with finite gradients for every finite input.
//!
//! Why not `burn::nn::{Elu, Selu}`: Burn 0.22 computes `exp(x)` for every element and then
//! selects the negative branch with a mask. For x > 88 that `exp` overflows to inf, and the
//! backward pass multiplies the masked-out gradient (0) by it: the gradient is NaN (measured here
//! on ndarray and flex at x = 1e4). These modules exponentiate `min(x, 0)` instead, so the
//! unused branch stays finite and the values are unchanged.

use burn::config::Config;
use burn::module::{Content, DisplaySettings, Module, ModuleDisplay};
use burn::tensor::Tensor;

/// SELU's λ (Klambauer et al., 2017).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;
/// SELU's α.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

/// x where x > 0, α(e^{min(x, 0)} − 1) elsewhere, chosen by a mask: autodiff then follows one
/// branch per element. (A sum `max(x, 0) + α(e^{min(x, 0)} − 1)` has the same values but, at
/// exactly x = 0, passes a gradient through both clamps: 1 + α.) At 0 the derivative is the
/// left one, α — exactly 1 for ELU with α = 1, where the function is differentiable.
fn elu<const D: usize>(input: Tensor<D>, alpha: f64) -> Tensor<D> {
    let negative = (input.clone().clamp_max(0.0).exp() - 1.0) * alpha;
    let positive = input.clone().greater_elem(0.0);
    negative.mask_where(positive, input)
}

/// ELU layer. Should be created with [`EluConfig`].
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Elu {
    /// α, the value ELU saturates to for x → −∞ is −α.
    pub alpha: f64,
}

impl ModuleDisplay for Elu {
    fn custom_settings(&self) -> Option<DisplaySettings> {
        DisplaySettings::new()
            .with_new_line_after_attribute(false)
            .optional()
    }

    fn custom_content(&self, content: Content) -> Option<Content> {
        content.add("alpha", &self.alpha).optional()
    }
}

/// Configuration to create an [`Elu`] layer with [`EluConfig::init`].
#[derive(Config, Debug)]
pub struct EluConfig {
    /// α. Default is 1.0.
    #[config(default = "1.0")]
    pub alpha: f64,
}

impl EluConfig {
    /// Initialises a new [`Elu`] layer.
    pub fn init(&self) -> Elu {
        Elu { alpha: self.alpha }
    }
}

impl Elu {
    /// Applies ELU element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`
    /// - output: `[..., any]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        elu(input, self.alpha)
    }
}

/// SELU layer: `λ·elu_α(x)` with the self-normalising constants [`SELU_LAMBDA`], [`SELU_ALPHA`].
#[derive(Module, Debug, Default)]
pub struct Selu;

impl Selu {
    /// Creates the layer.
    pub fn new() -> Self {
        Self
    }

    /// Applies SELU element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`
    /// - output: `[..., any]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        elu(input, SELU_ALPHA) * SELU_LAMBDA
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn gradients_stay_finite_where_exp_overflows() {
        for device in [Device::flex().autodiff()] {
            let x = Tensor::<1>::from_data(TensorData::from([1e4f32, 100.0, -100.0]), &device)
                .require_grad();
            let y = EluConfig::new().init().forward(x.clone()) + Selu::new().forward(x.clone());
            let g = x
                .grad(&y.sum().backward())
                .and_then(|g| g.into_data().try_to_vec::<f32>().ok())
                .unwrap_or_default();
            let want = [1.0 + SELU_LAMBDA, 1.0 + SELU_LAMBDA, 0.0];
            assert_eq!(g.len(), 3);
            for (got, want) in g.iter().zip(want) {
                assert!((f64::from(*got) - want).abs() < 1e-6, "{g:?}");
            }
        }
    }

    #[test]
    fn the_derivative_at_zero_is_one_sided_not_the_sum_of_both() {
        let device = Device::flex().autodiff();
        let grad_at_zero = |f: &dyn Fn(Tensor<1>) -> Tensor<1>| {
            let x = Tensor::<1>::from_data(TensorData::from([0.0f32]), &device).require_grad();
            let y = f(x.clone());
            x.grad(&y.sum().backward())
                .map(|g| g.into_data().try_to_vec::<f32>().unwrap())
                .unwrap()
        };
        // ELU with α = 1 is differentiable at 0: exactly 1 (the sum of both clamps gave 2).
        let elu = EluConfig::new().init();
        assert_eq!(grad_at_zero(&|x| elu.forward(x)), [1.0]);
        // SELU: the left derivative λα, between the one-sided ones (λα ≈ 1.758, λ ≈ 1.051).
        let selu = grad_at_zero(&|x| Selu::new().forward(x))[0];
        assert!(
            (f64::from(selu) - SELU_LAMBDA * SELU_ALPHA).abs() < 1e-6,
            "{selu}"
        );
    }
}
