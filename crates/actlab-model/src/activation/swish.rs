//! Swish, `x·σ(βx)`, with β fixed or learnable (Burn has only the β = 1 case, `SiLU`).

use burn::config::Config;
use burn::module::{Content, DisplaySettings, Module, ModuleDisplay, Param};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// Swish layer: `x·σ(βx)` (Ramachandran et al., 2017).
///
/// Should be created with [`SwishConfig`]. A fixed β is a constant (no parameter); a learnable β
/// is one shared `Param<Tensor<1>>` of shape `[1]`.
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Swish {
    /// The learnable β, present only when the layer was configured `trainable`.
    pub beta: Option<Param<Tensor<1>>>,
    /// β for a fixed layer (and the initial β of a learnable one).
    pub beta_value: f64,
}

impl ModuleDisplay for Swish {
    fn custom_settings(&self) -> Option<DisplaySettings> {
        DisplaySettings::new()
            .with_new_line_after_attribute(false)
            .optional()
    }

    fn custom_content(&self, content: Content) -> Option<Content> {
        content
            .add("beta_value", &self.beta_value)
            .add("trainable", &self.beta.is_some())
            .optional()
    }
}

/// Configuration to create a [`Swish`] layer with [`SwishConfig::init`].
#[derive(Config, Debug)]
pub struct SwishConfig {
    /// β (the initial β when trainable). Default is 1.0, which makes Swish equal to SiLU.
    #[config(default = "1.0")]
    pub beta: f64,
    /// Whether β is a learnable parameter. Default is false.
    #[config(default = "false")]
    pub trainable: bool,
}

impl SwishConfig {
    /// Initialises a new [`Swish`] layer on `device`.
    pub fn init(&self, device: &Device) -> Swish {
        let beta = self
            .trainable
            .then(|| Param::from_tensor(Tensor::<1>::from_floats([self.beta as f32], device)));
        Swish {
            beta,
            beta_value: self.beta,
        }
    }
}

impl Swish {
    /// Applies `x·σ(βx)` element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`
    /// - output: `[..., any]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let scaled = match &self.beta {
            Some(beta) => input.clone() * beta.val().reshape([1; D]),
            None if self.beta_value == 1.0 => input.clone(),
            None => input.clone() * self.beta_value,
        };
        input * sigmoid(scaled)
    }

    /// The current β (the learned value when trainable); reports read it through
    /// `Activation::learned_values`, which says when the read fails.
    #[cfg(test)]
    fn beta(&self) -> f64 {
        match &self.beta {
            Some(beta) => beta
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .ok()
                .and_then(|v| v.first().copied())
                .map_or(self.beta_value, f64::from),
            None => self.beta_value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    fn values(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn fixed_swish_has_no_parameters_and_learnable_has_one() {
        let device = Device::flex();
        assert_eq!(SwishConfig::new().init(&device).num_params(), 0);
        assert_eq!(
            SwishConfig::new()
                .with_trainable(true)
                .init(&device)
                .num_params(),
            1
        );
    }

    #[test]
    fn matches_x_sigmoid_beta_x() {
        let device = Device::flex();
        let xs = [-3.0f32, -0.5, 0.0, 0.7, 2.0];
        for (beta, trainable) in [(1.0, false), (2.5, false), (0.3, true)] {
            let layer = SwishConfig::new()
                .with_beta(beta)
                .with_trainable(trainable)
                .init(&device);
            let out = values(layer.forward(Tensor::<1>::from_data(TensorData::from(xs), &device)));
            assert_eq!(out.len(), xs.len(), "one output per input");
            for (x, y) in xs.iter().zip(out) {
                let x = f64::from(*x);
                let expected = x / (1.0 + (-beta * x).exp());
                assert!((f64::from(y) - expected).abs() < 1e-6, "β={beta} x={x}");
            }
            assert!((layer.beta() - beta).abs() < 1e-7);
        }
    }

    #[test]
    fn display_shows_beta_and_trainability() {
        let layer = SwishConfig::new().with_beta(2.0).init(&Device::flex());
        let shown = format!("{layer}");
        assert!(
            shown.contains("beta_value: 2") && shown.contains("trainable: false"),
            "{shown}"
        );
    }
}
