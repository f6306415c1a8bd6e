//! GELU, exact (`x·Φ(x)`) or with the tanh approximation, with correct gradients on every backend.
//!
//! Why not `burn::nn::Gelu`: in Burn 0.22 the fused `gelu` op's backward pass on the default
//! implementation (used by ndarray and the CubeCL backends) is the derivative of the *tanh
//! approximation*, even for the exact GELU; only flex differentiates the exact form. Measured
//! here: f'(-5) = -2.0e-6 on ndarray against the true -7.1e-6. This module composes the exact
//! form from `erf`, whose backward pass is exact everywhere, so exact GELU trains the same on
//! every backend.

use burn::config::Config;
use burn::module::{Content, DisplaySettings, Module, ModuleDisplay};
use burn::tensor::Tensor;
use burn::tensor::activation::gelu_approximate;

/// GELU layer. Should be created with [`GeluConfig`].
#[derive(Module, Debug, Default)]
#[module(custom_display)]
pub struct Gelu {
    /// Use `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))` instead of `x·Φ(x)`.
    pub approximate: bool,
}

impl ModuleDisplay for Gelu {
    fn custom_settings(&self) -> Option<DisplaySettings> {
        DisplaySettings::new()
            .with_new_line_after_attribute(false)
            .optional()
    }

    fn custom_content(&self, content: Content) -> Option<Content> {
        content.add("approximate", &self.approximate).optional()
    }
}

/// Configuration to create a [`Gelu`] layer with [`GeluConfig::init`].
#[derive(Config, Debug)]
pub struct GeluConfig {
    /// Use the tanh approximation. Default is false (the exact erf form, PyTorch's default).
    #[config(default = "false")]
    pub approximate: bool,
}

impl GeluConfig {
    /// Initialises a new [`Gelu`] layer.
    pub fn init(&self) -> Gelu {
        Gelu {
            approximate: self.approximate,
        }
    }
}

impl Gelu {
    /// Applies GELU element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`
    /// - output: `[..., any]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        if self.approximate {
            gelu_approximate(input)
        } else {
            let cdf = (input.clone() * std::f64::consts::FRAC_1_SQRT_2).erf() + 1.0;
            input * cdf * 0.5
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn exact_gradient_on_ndarray_is_phi_plus_x_pdf() {
        // The case Burn's fused op gets wrong: x = -5, f'(x) = Φ(-5) - 5φ(-5) ≈ -7.147e-6.
        #[allow(deprecated)]
        let device = Device::ndarray().autodiff();
        let x = Tensor::<1>::from_data(TensorData::from([-5.0f32]), &device).require_grad();
        let grads = GeluConfig::new().init().forward(x.clone()).sum().backward();
        let g = x
            .grad(&grads)
            .and_then(|g| g.into_data().try_to_vec::<f32>().ok())
            .unwrap_or_default();
        assert_eq!(g.len(), 1);
        assert!((f64::from(g[0]) + 7.147e-6).abs() < 5e-8, "{g:?}");
    }
}
