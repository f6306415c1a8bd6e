//! `actlab summary`: the model a config describes, as a Keras-style table or JSON.

use std::path::Path;

use actlab_format::activation::ActivationConfig;
use actlab_format::config::ExperimentConfig;
use actlab_format::model::NetworkConfig;
use actlab_model::NetworkInit;
use anyhow::Context;

pub fn run(path: &Path, json: bool) -> anyhow::Result<()> {
    let config = ExperimentConfig::load(path)?;
    let network = config.network();
    let activation = network.activation();
    // Building the model only to count and describe it: the host CPU backend is enough.
    let model = network.init(&burn::tensor::Device::flex())?;
    let summary = model.summary();
    if json {
        let text = serde_json::to_string_pretty(&summary).context("serialising the summary")?;
        println!("{text}");
    } else {
        let name = config.name.as_deref().unwrap_or("model");
        let shape = match network {
            NetworkConfig::Mlp(mlp) => {
                let sizes: Vec<String> =
                    mlp.layer_sizes().iter().map(ToString::to_string).collect();
                sizes.join(" → ")
            }
            NetworkConfig::Cnn(cnn) => {
                let [c, h, w] = cnn.input;
                format!(
                    "CNN on {c}×{h}×{w}: {} blocks, dense {:?}",
                    cnn.blocks.len(),
                    cnn.dense
                )
            }
        };
        println!(
            "Model: \"{name}\" ({shape}, activation {}, init {})",
            activation.label(),
            network.weight_init(),
        );
        print!("{summary}");
        if let ActivationConfig::Expr {
            f,
            learnable,
            per_unit,
            ..
        } = activation
        {
            let learned = if learnable.is_empty() {
                "no learnable parameters".to_string()
            } else {
                let each = if *per_unit { "per unit" } else { "per layer" };
                format!("learnable: {} ({each})", learnable.join(", "))
            };
            println!("Formula: f(x) = {f}; {learned}");
        }
        if let ActivationConfig::Rational {
            degrees: [m, n],
            init,
            per_unit,
            ..
        } = activation
        {
            let fit = activation.rational_fit("model.activation")?;
            let each = if *per_unit { "per unit" } else { "per layer" };
            println!(
                "Rational: R(x) = P{m}(x) / (1 + |Q{n}(x)|), {} learnable coefficients {each}; \
                 initialised to {} by least squares on [-3, 3]: max error {:.3e} (at x = {:.4})",
                m + n + 1,
                init.label(),
                fit.max_error,
                fit.worst_x,
            );
        }
    }
    Ok(())
}
