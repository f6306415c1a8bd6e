//! A Keras-style model summary, computed from the built module (not from formulas).

use burn::module::Module;
use burn::nn::Linear;
use serde::Serialize;

use crate::mlp::Mlp;

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

impl Mlp {
    /// Summarises this model's layers, output shapes and parameter counts.
    pub fn summary(&self) -> ModelSummary {
        let mut layers = Vec::new();
        let mut counters = std::collections::BTreeMap::<&str, usize>::new();
        // Keras-style names: the type in lower case, numbered per type from 1.
        let mut push = |kind: &'static str, width: usize, params: usize| {
            let n = counters.entry(kind).or_insert(0);
            *n += 1;
            layers.push(LayerSummary {
                name: format!("{}_{n}", kind.to_lowercase()),
                kind: kind.into(),
                output_shape: vec![None, Some(width)],
                params,
            });
        };
        let width = |linear: &Linear| linear.weight.shape().dims::<2>()[1];
        for (linear, activation) in self.hidden.iter().zip(&self.activations) {
            push("Linear", width(linear), linear.num_params());
            push(
                activation.type_name(),
                width(linear),
                activation.num_params(),
            );
        }
        push("Linear", width(&self.output), self.output.num_params());
        if let Some(activation) = &self.output_activation {
            push(
                activation.type_name(),
                width(&self.output),
                activation.num_params(),
            );
        }
        ModelSummary {
            params: self.num_params(),
            layers,
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
