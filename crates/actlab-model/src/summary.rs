//! A Keras-style model summary, computed from the built module (not from formulas).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{Linear, PaddingConfig2d};
use serde::Serialize;

use crate::activation::Activation;
use crate::cnn::{Cnn, ConvNorm};
use crate::mlp::Mlp;
use crate::network::Network;

/// One row of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerSummary {
    /// Keras-style name, e.g. `linear_1`, `prelu_1`.
    pub name: String,
    /// Layer type, e.g. `Linear`, `PReLU`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Output shape; `None` (JSON `null`) is the batch dimension.
    pub output_shape: Vec<Option<usize>>,
    /// Parameters in this layer.
    pub params: usize,
}

/// The whole summary: `{"params": N, "layers": [...]}` as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSummary {
    /// Total parameters (all trainable).
    pub params: usize,
    /// Layers in order.
    pub layers: Vec<LayerSummary>,
}

/// Keras-style rows: the type in lower case, numbered per type from 1.
#[derive(Default)]
struct Rows {
    layers: Vec<LayerSummary>,
    counters: std::collections::BTreeMap<&'static str, usize>,
}

impl Rows {
    fn push(&mut self, kind: &'static str, shape: &[usize], params: usize) {
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        self.layers.push(LayerSummary {
            name: format!("{}_{n}", kind.to_lowercase()),
            kind: kind.into(),
            output_shape: std::iter::once(None)
                .chain(shape.iter().map(|&d| Some(d)))
                .collect(),
            params,
        });
    }

    fn activation(&mut self, activation: &Activation, shape: &[usize]) {
        self.push(activation.type_name(), shape, activation.num_params());
    }
}

impl Mlp {
    /// Summarises this model's layers, output shapes and parameter counts.
    pub fn summary(&self) -> ModelSummary {
        let mut rows = Rows::default();
        let width = |linear: &Linear| linear.weight.shape().dims::<2>()[1];
        for (linear, activation) in self.hidden.iter().zip(&self.activations) {
            rows.push("Linear", &[width(linear)], linear.num_params());
            rows.activation(activation, &[width(linear)]);
        }
        rows.push("Linear", &[width(&self.output)], self.output.num_params());
        if let Some(activation) = &self.output_activation {
            rows.activation(activation, &[width(&self.output)]);
        }
        ModelSummary {
            params: self.num_params(),
            layers: rows.layers,
        }
    }
}

/// The output `[channels, height, width]` of `conv` on `[_, height, width]`.
fn conv_shape(conv: &Conv2d, [_, h, w]: [usize; 3]) -> [usize; 3] {
    let [c_out, _, kh, kw] = conv.weight.shape().dims::<4>();
    let (top, left, bottom, right) = match conv.padding {
        PaddingConfig2d::Explicit(t, l, b, r) => (t, l, b, r),
        _ => (0, 0, 0, 0),
    };
    let [sh, sw] = conv.stride;
    [
        c_out,
        (h + top + bottom).saturating_sub(kh) / sh + 1,
        (w + left + right).saturating_sub(kw) / sw + 1,
    ]
}

impl ConvNorm {
    fn summarise(&self, rows: &mut Rows, input: [usize; 3]) -> [usize; 3] {
        let shape = conv_shape(&self.conv, input);
        rows.push("Conv2D", &shape, self.conv.num_params());
        if let Some(norm) = &self.norm {
            rows.push(
                "BatchNorm",
                &shape,
                norm.gamma.num_params() + norm.beta.num_params(),
            );
        }
        shape
    }
}

impl Cnn {
    /// Summarises this network's layers, output shapes and parameter counts (BatchNorm's
    /// running statistics are state, not parameters: γ and β are counted).
    pub fn summary(&self) -> ModelSummary {
        let mut rows = Rows::default();
        let mut shape = self.input;
        for block in &self.blocks {
            let input = shape;
            shape = block.first.summarise(&mut rows, input);
            rows.activation(&block.activation, &shape);
            if let Some(pool) = &block.pool {
                let [ph, pw] = pool.kernel_size;
                shape = [shape[0], shape[1] / ph, shape[2] / pw];
                rows.push("MaxPool2D", &shape, 0);
            }
            if let (Some(second), Some(out)) = (&block.second, &block.out_activation) {
                shape = second.summarise(&mut rows, shape);
                if let Some(projection) = &block.projection {
                    projection.summarise(&mut rows, input);
                }
                rows.push("Add", &shape, 0);
                rows.activation(out, &shape);
            }
        }
        if self.global_pool {
            rows.push("GlobalAvgPool", &[shape[0]], 0);
        } else {
            rows.push("Flatten", &[shape.iter().product()], 0);
        }
        for (linear, activation) in self.dense.iter().zip(&self.dense_activations) {
            let width = linear.weight.shape().dims::<2>()[1];
            rows.push("Linear", &[width], linear.num_params());
            rows.activation(activation, &[width]);
        }
        let classes = self.output.weight.shape().dims::<2>()[1];
        rows.push("Linear", &[classes], self.output.num_params());
        if let Some(activation) = &self.output_activation {
            rows.activation(activation, &[classes]);
        }
        ModelSummary {
            params: rows.layers.iter().map(|l| l.params).sum(),
            layers: rows.layers,
        }
    }
}

impl Network {
    /// [`Mlp::summary`] or [`Cnn::summary`].
    pub fn summary(&self) -> ModelSummary {
        match self {
            Network::Mlp(m) => m.summary(),
            Network::Cnn(c) => c.summary(),
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl std::fmt::Display for ModelSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shape = |s: &[Option<usize>]| {
            let parts: Vec<String> = s
                .iter()
                .map(|d| d.map_or("None".to_string(), |d| d.to_string()))
                .collect();
            format!("({})", parts.join(", "))
        };
        let rows: Vec<[String; 3]> = self
            .layers
            .iter()
            .map(|l| {
                [
                    format!("{} ({})", l.name, l.kind),
                    shape(&l.output_shape),
                    thousands(l.params),
                ]
            })
            .collect();
        let headers = ["Layer (type)", "Output Shape", "Param #"];
        let width = |i: usize| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
                + 4
        };
        let (w0, w1, w2) = (width(0), width(1), width(2));
        let rule = |c: &str| c.repeat(w0 + w1 + w2);
        writeln!(f, "{}", rule("━"))?;
        writeln!(
            f,
            "{:<w0$}{:<w1$}{:>w2$}",
            headers[0], headers[1], headers[2]
        )?;
        writeln!(f, "{}", rule("━"))?;
        for (i, row) in rows.iter().enumerate() {
            writeln!(f, "{:<w0$}{:<w1$}{:>w2$}", row[0], row[1], row[2])?;
            if i + 1 < rows.len() {
                writeln!(f, "{}", rule("─"))?;
            }
        }
        writeln!(f, "{}", rule("━"))?;
        writeln!(
            f,
            "Total params: {} (all trainable)",
            thousands(self.params)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(101_771), "101,771");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
