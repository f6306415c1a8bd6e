//! Parsing, serialising and validating activation configs.

use serde::{Deserialize, Serialize};

use actlab_format::activation::{ActivationConfig, activation_kinds};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Holder {
    activation: ActivationConfig,
}

fn parse(toml_text: &str) -> Result<ActivationConfig, toml::de::Error> {
    toml::from_str::<Holder>(toml_text).map(|h| h.activation)
}

#[test]
fn bare_names_and_tables_parse_with_defaults() {
    assert_eq!(
        parse(r#"activation = "relu""#).ok(),
        Some(ActivationConfig::Relu)
    );
    assert_eq!(
        parse(r#"activation = "leaky_relu""#).ok(),
        Some(ActivationConfig::LeakyRelu { slope: 0.01 })
    );
    assert_eq!(
        parse(r#"activation = { kind = "leaky_relu", slope = 0.2 }"#).ok(),
        Some(ActivationConfig::LeakyRelu { slope: 0.2 })
    );
    assert_eq!(
        parse(r#"activation = { kind = "swish", trainable = true }"#).ok(),
        Some(ActivationConfig::Swish {
            beta: 1.0,
            trainable: true
        })
    );
    assert_eq!(
        parse(r#"activation = "prelu""#).ok(),
        Some(ActivationConfig::Prelu {
            slope: 0.25,
            per_unit: false
        })
    );
}

#[test]
fn every_kind_parses_by_name_and_round_trips() {
    for kind in activation_kinds() {
        let config =
            parse(&format!("activation = \"{kind}\"")).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(config.kind(), kind);
        let text = toml::to_string(&Holder {
            activation: config.clone(),
        })
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(parse(&text).ok(), Some(config), "{text}");
    }
}

#[test]
fn kinds_without_fields_are_the_bare_names() {
    let bare: Vec<&str> = ActivationConfig::defaults()
        .iter()
        .filter(|c| !c.has_parameters())
        .map(ActivationConfig::kind)
        .collect();
    assert_eq!(
        bare,
        [
            "identity", "sigmoid", "tanh", "relu", "silu", "selu", "mish"
        ]
    );
    let mut kinds = activation_kinds();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        ActivationConfig::defaults().len(),
        "one entry per kind"
    );
}

#[test]
fn unknown_kind_and_field_are_errors_that_name_them() {
    let err = parse(r#"activation = "rellu""#)
        .err()
        .map(|e| e.to_string());
    let err = err.unwrap_or_default();
    assert!(err.contains("rellu") && err.contains("leaky_relu"), "{err}");

    let err = parse(r#"activation = { kind = "leaky_relu", slop = 0.1 }"#)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("slop") && err.contains("slope"), "{err}");

    let err = parse(r#"activation = { kind = "relu", slope = 0.1 }"#)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("slope"), "{err}");

    let err = parse(r#"activation = 3"#).err().map(|e| e.to_string());
    assert!(err.unwrap_or_default().contains("activation name"));
}

#[test]
fn validation_rejects_bad_parameters_by_field() {
    let err = ActivationConfig::Elu { alpha: -1.0 }
        .validate("model.activation")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("model.activation.alpha"), "{err}");
    assert!(
        ActivationConfig::Softplus { beta: 0.0 }
            .validate("x")
            .is_err()
    );
    assert!(ActivationConfig::swish(f64::NAN).validate("x").is_err());
    assert!(ActivationConfig::prelu().validate("x").is_ok());
}
