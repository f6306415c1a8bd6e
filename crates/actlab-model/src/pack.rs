//! Packed models: K MLPs of the same shape trained as one network. Each member keeps its own
//! weights, activation and activation parameters; the pack only changes how they are laid out
//! so that a layer of the whole pack is one matrix product:
//!
//! - the first layer is one `[in, K·h1]` matrix (every member sees the same batch), so
//!   `x · W1` is one GEMM whose columns `k·h1 .. (k+1)·h1` are member `k`'s;
//! - every later layer (and the output layer) is a batched product `[K, B, h] × [K, h, h']`;
//! - activations run on each member's block; consecutive members with the same activation and
//!   no activation parameters share one call.
//!
//! Nothing mixes members: member `k`'s logits depend only on member `k`'s parameters, so the
//! gradient of a sum of per-member losses is each member's own gradient.

use std::ops::Range;

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use actlab_format::activation::ActivationConfig;
use actlab_format::error::ModelError;

use crate::activation::{Activation, ActivationInit};
use crate::mlp::Mlp;

/// K members' parameters, packed.
#[derive(Debug, Clone)]
pub struct PackedMlp {
    /// Hidden layer widths (every member's).
    pub hidden: Vec<usize>,
    /// Input width.
    pub input: usize,
    /// Output width (classes).
    pub output: usize,
    /// The first layer's weights `[input, K·h1]`.
    pub first_weight: Tensor<2>,
    /// The first layer's biases `[K·h1]`.
    pub first_bias: Tensor<1>,
    /// Later hidden layers, then the output layer: `[K, in, out]` each.
    pub weights: Vec<Tensor<3>>,
    /// Their biases: `[K, 1, out]` each.
    pub biases: Vec<Tensor<3>>,
    /// Each member's activation layers (their parameters, if any, are the member's own).
    pub activations: Vec<Vec<Activation>>,
    /// Runs of members that share one activation call (same config, no parameters).
    groups: Vec<Range<usize>>,
}

// The pack's tensors are its own, detached from the members' parameters.
fn weight_of(linear: &Linear) -> Tensor<2> {
    linear.weight.val().detach()
}

fn bias_of(linear: &Linear, width: usize, device: &Device) -> Tensor<1> {
    match &linear.bias {
        Some(b) => b.val().detach(),
        None => Tensor::zeros([width], device),
    }
}

impl PackedMlp {
    /// Packs `members` (same layer sizes; `configs[k]` is member `k`'s activation).
    pub fn new(members: &[Mlp], configs: &[ActivationConfig]) -> Result<Self, ModelError> {
        let mismatch = |what: String| ModelError::InvalidParameter {
            field: "pack".into(),
            value: what,
            expected: "members with the same layer sizes".into(),
        };
        let Some(first) = members.first() else {
            return Err(mismatch("no members".into()));
        };
        if configs.len() != members.len() {
            return Err(mismatch(format!(
                "{} members, {} activations",
                members.len(),
                configs.len()
            )));
        }
        let sizes = |m: &Mlp| -> Vec<[usize; 2]> {
            m.hidden
                .iter()
                .chain(std::iter::once(&m.output))
                .map(|l| l.weight.val().dims())
                .collect()
        };
        let shape = sizes(first);
        if let Some(other) = members.iter().find(|m| sizes(m) != shape) {
            return Err(mismatch(format!("{:?} and {:?}", shape, sizes(other))));
        }
        let device = first.output.weight.val().device();
        let hidden: Vec<usize> = shape[..shape.len() - 1].iter().map(|s| s[1]).collect();
        let layers = |m: &Mlp| -> Vec<Linear> {
            m.hidden
                .iter()
                .chain(std::iter::once(&m.output))
                .cloned()
                .collect()
        };
        let all: Vec<Vec<Linear>> = members.iter().map(layers).collect();
        let first_weight = Tensor::cat(all.iter().map(|l| weight_of(&l[0])).collect(), 1);
        let first_bias = Tensor::cat(
            all.iter()
                .map(|l| bias_of(&l[0], shape[0][1], &device))
                .collect(),
            0,
        );
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for (i, &[d_in, d_out]) in shape.iter().enumerate().skip(1) {
            let w: Vec<Tensor<3>> = all
                .iter()
                .map(|l| weight_of(&l[i]).reshape([1, d_in, d_out]))
                .collect();
            let b: Vec<Tensor<3>> = all
                .iter()
                .map(|l| bias_of(&l[i], d_out, &device).reshape([1, 1, d_out]))
                .collect();
            weights.push(Tensor::cat(w, 0));
            biases.push(Tensor::cat(b, 0));
        }
        let mut groups: Vec<Range<usize>> = Vec::new();
        for k in 0..members.len() {
            let shareable = members[k].activations.iter().all(|a| a.num_params() == 0);
            match groups.last_mut() {
                Some(g)
                    if shareable
                        && configs[g.start] == configs[k]
                        && members[g.start]
                            .activations
                            .iter()
                            .all(|a| a.num_params() == 0) =>
                {
                    g.end = k + 1
                }
                _ => groups.push(k..k + 1),
            }
        }
        Ok(PackedMlp {
            hidden,
            input: shape[0][0],
            output: shape[shape.len() - 1][1],
            first_weight,
            first_bias,
            weights,
            biases,
            activations: members.iter().map(|m| m.activations.clone()).collect(),
            groups,
        })
    }

    /// The same layout holding other tensors of the same shapes (an optimizer's moments), so
    /// that [`PackedMlp::member`] can cut them per member as it cuts the weights.
    pub fn with_tensors(
        &self,
        first_weight: Tensor<2>,
        first_bias: Tensor<1>,
        weights: Vec<Tensor<3>>,
        biases: Vec<Tensor<3>>,
    ) -> PackedMlp {
        PackedMlp {
            hidden: self.hidden.clone(),
            input: self.input,
            output: self.output,
            first_weight,
            first_bias,
            weights,
            biases,
            activations: self.activations.clone(),
            groups: self.groups.clone(),
        }
    }

    /// How many members.
    pub fn members(&self) -> usize {
        self.activations.len()
    }

    /// How many activation calls one layer takes (1 when every member shares one).
    pub fn activation_groups(&self) -> usize {
        self.groups.len()
    }

    /// Every member's logits.
    ///
    /// # Shapes
    /// - input: `[batch, input]` (one batch, shared by all members)
    /// - output: `[K, batch, output]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<3> {
        let k = self.members();
        let batch = input.dims()[0];
        let h1 = self.hidden[0];
        let y = input.matmul(self.first_weight.clone()) + self.first_bias.clone().unsqueeze();
        // The first layer's activations on column blocks, then members to the front.
        let parts: Vec<Tensor<2>> = self
            .groups
            .iter()
            .map(|g| {
                let block = if self.groups.len() == 1 {
                    y.clone()
                } else {
                    y.clone().narrow(1, g.start * h1, g.len() * h1)
                };
                self.activations[g.start][0].forward(block)
            })
            .collect();
        let y = if parts.len() == 1 {
            parts.into_iter().next().unwrap_or(y)
        } else {
            Tensor::cat(parts, 1)
        };
        let mut h: Tensor<3> = y.reshape([batch, k, h1]).swap_dims(0, 1);
        let last = self.weights.len() - 1;
        for (i, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            h = h.matmul(w.clone()) + b.clone();
            if i < last {
                h = self.activate(h, i + 1);
            }
        }
        h
    }

    /// Layer `layer`'s activations on `[K, batch, width]`, member by member or group by group.
    fn activate(&self, h: Tensor<3>, layer: usize) -> Tensor<3> {
        let [_, batch, width] = h.dims();
        let parts: Vec<Tensor<3>> = self
            .groups
            .iter()
            .map(|g| {
                let block = if self.groups.len() == 1 {
                    h.clone()
                } else {
                    h.clone().narrow(0, g.start, g.len())
                };
                let activation = &self.activations[g.start][layer];
                if activation.num_params() == 0 {
                    activation.forward(block)
                } else {
                    // Parameters per unit sit on the last (PReLU: second) dimension of a 2-D input.
                    let flat: Tensor<2> = block.reshape([batch, width]);
                    activation.forward(flat).reshape([1, batch, width])
                }
            })
            .collect();
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or(h)
        } else {
            Tensor::cat(parts, 0)
        }
    }

    /// Member `k` as a plain [`Mlp`] (its own tensors, copied out of the pack), on the pack's
    /// device; `output_activation` is the member's configured output activation, if any.
    pub fn member(
        &self,
        k: usize,
        output_activation: Option<&ActivationConfig>,
    ) -> Result<Mlp, ModelError> {
        let device = self.first_weight.device();
        let h1 = self.hidden[0];
        // Detached: a slice of the pack is not a leaf, and a parameter must be one.
        let linear = |w: Tensor<2>, b: Tensor<1>| Linear {
            weight: Param::from_tensor(w.detach()),
            bias: Some(Param::from_tensor(b.detach())),
        };
        let mut layers = vec![linear(
            self.first_weight.clone().narrow(1, k * h1, h1),
            self.first_bias.clone().narrow(0, k * h1, h1),
        )];
        for (w, b) in self.weights.iter().zip(&self.biases) {
            let [_, d_in, d_out] = w.dims();
            layers.push(linear(
                w.clone().narrow(0, k, 1).reshape([d_in, d_out]),
                b.clone().narrow(0, k, 1).reshape([d_out]),
            ));
        }
        let output = layers.pop().ok_or_else(|| ModelError::InvalidParameter {
            field: "pack".into(),
            value: "no layers".into(),
            expected: "an output layer".into(),
        })?;
        Ok(Mlp {
            hidden: layers,
            activations: self.activations[k].clone(),
            output,
            output_activation: output_activation
                .map(|a| a.init(self.output, &device))
                .transpose()?,
        })
    }
}
