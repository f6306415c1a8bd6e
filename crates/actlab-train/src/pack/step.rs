//! One training step of a pack: the members' summed cross-entropy, backward, and Adam with a
//! learning rate per member.
//!
//! Burn's optimizers take one learning rate per step, so the packed weights get their own Adam
//! here, written to the same formulas as Burn 0.22's (`burn-optim/src/optim/adam.rs`): weight
//! decay added to the gradient, `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`, and
//! `p ← p − lr · m·√(1−β2ᵗ)/(1−β1ᵗ) / (√v + ε·√(1−β2ᵗ))` — with `lr` a tensor that holds each
//! member's rate on that member's block. The members' activation parameters (PReLU slopes,
//! Swish β, formula parameters, rational coefficients) go through Burn's own Adam, one optimizer
//! per member at its rate, without weight decay — as `optim::build` treats them unpacked.

use actlab_format::error::ModelError;
use actlab_model::{Activation, Mlp, PackedMlp};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};

use super::super::optim::ADAM_EPSILON;

const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;

/// Adam's two moments of one tensor.
type Moments<const D: usize> = Option<(Tensor<D>, Tensor<D>)>;

/// The pack, its optimizer state, and each member's learning rate.
pub(crate) struct PackStep {
    pub(crate) net: PackedMlp,
    weight_decay: f32,
    time: i32,
    first_weight: Moments<2>,
    first_bias: Moments<1>,
    weights: Vec<Moments<3>>,
    biases: Vec<Moments<3>>,
    /// One optimizer per member for its activation parameters (`None`: it has none).
    activation_optims: Vec<Option<ModuleOptimizer>>,
    /// The rate tensors of the last step's rates.
    rates: Option<Rates>,
}

/// Each member's rate, as tensors shaped for the packed layers: one value per first-layer
/// column (`[K·h1]`), one per member (`[K, 1, 1]`).
struct Rates {
    lrs: Vec<f64>,
    columns: Tensor<1>,
    per_member: Tensor<3>,
}

impl Rates {
    fn new(lrs: &[f64], h1: usize, device: &burn::tensor::Device) -> Self {
        let k = lrs.len();
        let per_column: Vec<f32> = lrs
            .iter()
            .flat_map(|&lr| std::iter::repeat_n(lr as f32, h1))
            .collect();
        let columns = Tensor::<1>::from_data(TensorData::new(per_column, [k * h1]), device).inner();
        let per_member = Tensor::<1>::from_data(
            TensorData::new(lrs.iter().map(|&l| l as f32).collect(), [k]),
            device,
        )
        .inner()
        .reshape([k, 1, 1]);
        Rates {
            lrs: lrs.to_vec(),
            columns,
            per_member,
        }
    }
}

impl PackStep {
    pub(crate) fn new(net: PackedMlp, weight_decay: f64) -> Self {
        let layers = net.weights.len();
        let activation_optims = net
            .activations
            .iter()
            .map(|layers| {
                layers
                    .iter()
                    .any(|a| burn::module::Module::num_params(a) > 0)
                    .then(|| AdamConfig::new().with_epsilon(ADAM_EPSILON).init())
            })
            .collect();
        PackStep {
            net,
            weight_decay: weight_decay as f32,
            time: 0,
            first_weight: None,
            first_bias: None,
            weights: vec![None; layers],
            biases: vec![None; layers],
            activation_optims,
            rates: None,
        }
    }

    /// A pack restored from its members' checkpoints: Adam at step `time`, its moments packed
    /// like the weights (`m`, `v`), each member's activation optimizer restored.
    pub(crate) fn resumed(
        net: PackedMlp,
        weight_decay: f64,
        time: i32,
        (m, v): (PackedMlp, PackedMlp),
        activation_optims: Vec<Option<ModuleOptimizer>>,
    ) -> Self {
        let pair = |a: Tensor<3>, b: Tensor<3>| Some((a.inner(), b.inner()));
        PackStep {
            net,
            weight_decay: weight_decay as f32,
            time,
            first_weight: Some((m.first_weight.inner(), v.first_weight.inner())),
            first_bias: Some((m.first_bias.inner(), v.first_bias.inner())),
            weights: m
                .weights
                .into_iter()
                .zip(v.weights)
                .map(|(a, b)| pair(a, b))
                .collect(),
            biases: m
                .biases
                .into_iter()
                .zip(v.biases)
                .map(|(a, b)| pair(a, b))
                .collect(),
            activation_optims,
            rates: None,
        }
    }

    /// Member `k`'s Adam moments `(m, v)`, shaped as its model (`None` before the first step).
    pub(crate) fn member_moments(&self, k: usize) -> Result<Option<(Mlp, Mlp)>, ModelError> {
        let (Some((fw_m, fw_v)), Some((fb_m, fb_v))) = (&self.first_weight, &self.first_bias)
        else {
            return Ok(None);
        };
        let mut w = (Vec::new(), Vec::new());
        let mut b = (Vec::new(), Vec::new());
        for (target, moments) in [(&mut w, &self.weights), (&mut b, &self.biases)] {
            for pair in moments {
                let Some((m, v)) = pair else { return Ok(None) };
                target.0.push(m.clone());
                target.1.push(v.clone());
            }
        }
        let m = self.net.with_tensors(fw_m.clone(), fb_m.clone(), w.0, b.0);
        let v = self.net.with_tensors(fw_v.clone(), fb_v.clone(), w.1, b.1);
        Ok(Some((m.member(k, None)?, v.member(k, None)?)))
    }

    /// Member `k`'s optimizer of its activation parameters, if it has any.
    pub(crate) fn activation_optim(&self, k: usize) -> Option<&ModuleOptimizer> {
        self.activation_optims.get(k).and_then(Option::as_ref)
    }

    /// One step on `images`/`targets` with member `k` at rate `lrs[k]` (0 freezes it). Returns
    /// each member's mean cross-entropy `[K]` and correct count `[K]`, both still on the device.
    pub(crate) fn step(
        &mut self,
        images: Tensor<2>,
        targets: Tensor<1, Int>,
        lrs: &[f64],
    ) -> (Tensor<1>, Tensor<1, Int>) {
        let net = &mut self.net;
        let k = net.members();
        let rows = targets.dims()[0];
        net.first_weight = net.first_weight.clone().detach().require_grad();
        net.first_bias = net.first_bias.clone().detach().require_grad();
        for t in net.weights.iter_mut().chain(net.biases.iter_mut()) {
            *t = t.clone().detach().require_grad();
        }
        let logits = net.forward(images);
        let hits = logits
            .clone()
            .detach()
            .argmax(2)
            .reshape([k, rows])
            .equal(targets.clone().reshape([1, rows]).expand([k, rows]))
            .int()
            .sum_dim(1)
            .reshape([k]);
        let picked =
            log_softmax(logits, 2).gather(2, targets.reshape([1, rows, 1]).expand([k, rows, 1]));
        let losses = picked.sum_dim(1).reshape([k]).div_scalar(-(rows as f64));
        let mut grads = losses.clone().sum().backward();
        // The members' rates on their blocks: uploaded when they change (once an epoch), not
        // every step.
        let h1 = net.hidden[0];
        if self.rates.as_ref().is_some_and(|r| r.lrs != lrs) {
            self.rates = None;
        }
        let device = net.first_weight.device();
        let rates = self
            .rates
            .get_or_insert_with(|| Rates::new(lrs, h1, &device));
        let (columns, per_member) = (rates.columns.clone(), rates.per_member.clone());
        self.time += 1;
        let adam = Adam {
            time: self.time,
            weight_decay: self.weight_decay,
        };
        if let Some(g) = net.first_weight.grad(&grads) {
            let p = net.first_weight.clone().inner();
            net.first_weight = adam
                .update(
                    p,
                    g,
                    &mut self.first_weight,
                    columns.clone().reshape([1, k * h1]),
                )
                .autodiff();
        }
        if let Some(g) = net.first_bias.grad(&grads) {
            let p = net.first_bias.clone().inner();
            net.first_bias = adam.update(p, g, &mut self.first_bias, columns).autodiff();
        }
        for (i, moments) in self.weights.iter_mut().enumerate() {
            if let Some(g) = net.weights[i].grad(&grads) {
                let p = net.weights[i].clone().inner();
                net.weights[i] = adam.update(p, g, moments, per_member.clone()).autodiff();
            }
        }
        for (i, moments) in self.biases.iter_mut().enumerate() {
            if let Some(g) = net.biases[i].grad(&grads) {
                let p = net.biases[i].clone().inner();
                net.biases[i] = adam.update(p, g, moments, per_member.clone()).autodiff();
            }
        }
        for (member, optim) in self.activation_optims.iter_mut().enumerate() {
            let Some(optim) = optim else { continue };
            let layers: Vec<Activation> = std::mem::take(&mut net.activations[member]);
            let member_grads = GradientsParams::from_module(&mut grads, &layers);
            net.activations[member] = optim.step(lrs[member], layers, member_grads);
        }
        (losses.detach(), hits)
    }
}

/// Burn's Adam at step `time`, on tensors of the inner (non-autodiff) backend.
struct Adam {
    time: i32,
    weight_decay: f32,
}

impl Adam {
    fn update<const D: usize>(
        &self,
        param: Tensor<D>,
        grad: Tensor<D>,
        moments: &mut Moments<D>,
        lr: Tensor<D>,
    ) -> Tensor<D> {
        let grad = if self.weight_decay > 0.0 {
            param.clone().mul_scalar(self.weight_decay).add(grad)
        } else {
            grad
        };
        let (m, v) = match moments.take() {
            Some((m, v)) => (
                m.mul_scalar(BETA_1)
                    .add(grad.clone().mul_scalar(1.0 - BETA_1)),
                v.mul_scalar(BETA_2)
                    .add(grad.square().mul_scalar(1.0 - BETA_2)),
            ),
            None => (
                grad.clone().mul_scalar(1.0 - BETA_1),
                grad.square().mul_scalar(1.0 - BETA_2),
            ),
        };
        let bias_correction2_sqrt = (1.0 - BETA_2.powi(self.time)).sqrt();
        let combined = bias_correction2_sqrt / (1.0 - BETA_1.powi(self.time));
        let update = m.clone().mul_scalar(combined).div(
            v.clone()
                .sqrt()
                .add_scalar(ADAM_EPSILON * bias_correction2_sqrt),
        );
        *moments = Some((m, v));
        param - update * lr
    }
}
