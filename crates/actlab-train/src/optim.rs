//! `[train] optimizer` → Burn's `ModuleOptimizer`, with weight decay kept off the activations'
//! own parameters (PReLU slopes, Swish β): decaying them would pull PReLU towards ReLU and Swish
//! towards a linear unit, which is not what "regularise the weights" means.

use actlab_model::Network;
use burn::module::ParamGroup;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdamConfig, AdamWConfig, DynOptimizer, DynState, LearningRate, ModuleOptimizer, Optimizer,
    SgdConfig, StateSink, StateSource,
};
use burn::tensor::Device;
use burn::tensor::kind::BridgeTensor;

use actlab_format::config::OptimizerConfig;

/// Adam's ε: PyTorch's and Keras' order of magnitude (Burn's default is 1e-5), so the article's
/// runs are reproduced with the optimizer they used.
pub(crate) const ADAM_EPSILON: f32 = 1e-8;

/// Builds the optimizer for `model`. Parameters of `model.activations` get the same update rule
/// without weight decay. Saved optimizer state is restored onto `state_device` (Burn would use
/// its default device, which is a GPU whenever wgpu is compiled in).
pub fn build(config: &OptimizerConfig, model: &Network, state_device: &Device) -> ModuleOptimizer {
    let activations = model.activation_group();
    match *config {
        OptimizerConfig::Adam { weight_decay, .. } => {
            let base = AdamConfig::new().with_epsilon(ADAM_EPSILON);
            let decayed = base.clone().with_weight_decay(
                (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32)),
            );
            grouped(decayed.build(), base.build(), activations, state_device)
        }
        OptimizerConfig::Adamw { weight_decay, .. } => {
            let base = AdamWConfig::new().with_epsilon(ADAM_EPSILON);
            let decayed = base.clone().with_weight_decay(weight_decay as f32);
            grouped(
                decayed.build(),
                base.with_weight_decay(0.0).build(),
                activations,
                state_device,
            )
        }
        OptimizerConfig::Sgd {
            momentum,
            weight_decay,
            ..
        } => {
            // PyTorch's SGD semantics: no dampening (Burn defaults to 0.1).
            let momentum = (momentum > 0.0).then(|| {
                MomentumConfig::new()
                    .with_momentum(momentum)
                    .with_dampening(0.0)
            });
            let base = SgdConfig::new().with_momentum(momentum);
            let decayed = base.clone().with_weight_decay(
                (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32)),
            );
            grouped(decayed.build(), base.build(), activations, state_device)
        }
    }
}

fn grouped<O: Optimizer>(
    weights: O,
    activations_rule: O,
    activations: ParamGroup,
    device: &Device,
) -> ModuleOptimizer {
    // The first group must match every parameter; later groups take precedence.
    ModuleOptimizer::from(weights.clone())
        .with_group(
            ParamGroup::all(),
            Pinned {
                inner: weights,
                device: device.clone(),
            },
            None,
        )
        .with_group(
            activations,
            Pinned {
                inner: activations_rule,
                device: device.clone(),
            },
            None,
        )
}

/// An optimizer whose restored state lands on a chosen device.
struct Pinned<O> {
    inner: O,
    device: Device,
}

impl<O: Optimizer> DynOptimizer for Pinned<O> {
    fn step_dyn(
        &self,
        rank: usize,
        lr: LearningRate,
        tensor: BridgeTensor,
        grad: BridgeTensor,
        state: Option<DynState>,
    ) -> (BridgeTensor, Option<DynState>) {
        DynOptimizer::step_dyn(&self.inner, rank, lr, tensor, grad, state)
    }

    fn to_device_dyn(&self, state: DynState, device: &Device) -> DynState {
        DynOptimizer::to_device_dyn(&self.inner, state, device)
    }

    fn state_flatten(&self, prefix: &str, state: &DynState, out: &mut StateSink) {
        DynOptimizer::state_flatten(&self.inner, prefix, state, out)
    }

    fn state_unflatten(
        &self,
        rank: usize,
        prefix: &str,
        src: &mut StateSource,
        _device: &Device,
    ) -> Option<DynState> {
        DynOptimizer::state_unflatten(&self.inner, rank, prefix, src, &self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actlab_format::activation::ActivationConfig;
    use actlab_format::model::{Init, MlpConfig, NetworkConfig};
    use actlab_model::NetworkInit;
    use burn::optim::GradientsParams;
    use burn::tensor::Tensor;

    fn values(model: &Network) -> (Vec<f32>, Vec<f32>) {
        let weights = model.mlp().expect("an MLP").hidden[0]
            .weight
            .val()
            .into_data()
            .iter::<f32>()
            .collect();
        (weights, model.learned_activation_values().unwrap().concat())
    }

    /// One step with all-zero gradients: only weight decay can move a parameter. The linear
    /// weights must move, the PReLU slopes / Swish β must not.
    #[test]
    fn weight_decay_moves_weights_but_never_activation_parameters() {
        let base = Device::flex();
        let device = base.clone().autodiff();
        for activation in [
            ActivationConfig::Prelu {
                slope: 0.25,
                per_unit: true,
            },
            ActivationConfig::Swish {
                beta: 1.5,
                trainable: true,
            },
        ] {
            let config = MlpConfig {
                input_size: 3,
                hidden: vec![4],
                activation,
                output_size: 2,
                output_activation: None,
                init: Init::Pytorch,
            };
            for optimizer in [
                OptimizerConfig::Adam {
                    lr: 0.1,
                    weight_decay: 0.5,
                },
                OptimizerConfig::Adamw {
                    lr: 0.1,
                    weight_decay: 0.5,
                },
                OptimizerConfig::Sgd {
                    lr: 0.1,
                    momentum: 0.9,
                    weight_decay: 0.5,
                },
            ] {
                let model = NetworkConfig::Mlp(config.clone())
                    .init_seeded(&device, 3)
                    .unwrap();
                let (w0, a0) = values(&model);
                assert!(!a0.is_empty());
                let mut optim = build(&optimizer, &model, &base);
                let loss = model
                    .forward(Tensor::ones([2, 3], &device))
                    .sum()
                    .mul_scalar(0.0);
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                let stepped = optim.step(0.1, model, grads);
                let (w1, a1) = values(&stepped);
                assert_ne!(w0, w1, "{optimizer:?}: weight decay had no effect");
                assert!(
                    w1.iter().zip(&w0).all(|(a, b)| (b - a) * b.signum() > 0.0),
                    "{optimizer:?}: decay pulls every weight towards zero"
                );
                assert_eq!(a0, a1, "{optimizer:?} decayed the activation's parameters");
            }
        }
    }
}
