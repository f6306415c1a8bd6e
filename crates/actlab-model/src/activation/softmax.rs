//! Softmax as a module, so an output layer can be listed (and counted) like any other layer.

use burn::config::Config;
use burn::module::{Content, DisplaySettings, Module, ModuleDisplay};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

/// Softmax layer: `e^{x_i} / Σ_j e^{x_j}` along one dimension. It has no parameters.
///
/// Should be created with [`SoftmaxConfig`]. Numerically stable for large inputs: the softmax
/// of `[1000, 0]` is `[1, 0]`.
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Softmax {
    /// The dimension normalised over; negative values count from the end.
    pub dim: isize,
}

impl ModuleDisplay for Softmax {
    fn custom_settings(&self) -> Option<DisplaySettings> {
        DisplaySettings::new()
            .with_new_line_after_attribute(false)
            .optional()
    }

    fn custom_content(&self, content: Content) -> Option<Content> {
        content.add("dim", &self.dim).optional()
    }
}

/// Configuration to create a [`Softmax`] layer with [`SoftmaxConfig::init`].
#[derive(Config, Debug)]
pub struct SoftmaxConfig {
    /// The dimension to normalise. Default is -1, the last one (the classes of `[batch, classes]`).
    #[config(default = "-1")]
    pub dim: isize,
}

impl SoftmaxConfig {
    /// Initialises a new [`Softmax`] layer.
    pub fn init(&self) -> Softmax {
        Softmax { dim: self.dim }
    }
}

impl Softmax {
    /// Applies softmax along the configured dimension.
    ///
    /// # Shapes
    /// - input: `[..., any]`
    /// - output: same as input; entries along `dim` are positive and sum to 1
    ///
    /// # Panics
    /// If `dim` is outside the tensor's rank (the MLP validates it against its output rank).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        softmax(input, self.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn rows_sum_to_one_along_the_chosen_dim() {
        let device = Device::flex();
        let x = Tensor::<2>::from_data(
            TensorData::from([[1.0f32, 2.0, 3.0], [0.0, 0.0, 0.0]]),
            &device,
        );
        let rows = SoftmaxConfig::new().init().forward(x.clone());
        let sums = rows
            .sum_dim(1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        assert_eq!(sums.len(), 2);
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-6), "{sums:?}");
        let cols = SoftmaxConfig::new().with_dim(0).init().forward(x);
        let sums = cols
            .sum_dim(0)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        assert_eq!(sums.len(), 3);
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-6), "{sums:?}");
    }

    #[test]
    fn large_inputs_do_not_overflow() {
        let device = Device::flex();
        let x = Tensor::<1>::from_data(TensorData::from([1000.0f32, 0.0]), &device);
        let y = SoftmaxConfig::new()
            .init()
            .forward(x)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        assert_eq!(y, vec![1.0, 0.0]);
    }
}
