use std::collections::BTreeMap;

use super::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn value(src: &str, x: f64) -> f64 {
    parse(src, &[]).unwrap().eval(x, &[])
}

#[test]
fn precedence_associativity_and_constants() {
    assert_eq!(value("-x^2", 3.0), -9.0);
    assert_eq!(value("2^3^2", 0.0), 512.0);
    assert_eq!(value("x^-1", 2.0), 0.5);
    assert_eq!(value("(-x)^3", 2.0), -8.0);
    assert_eq!(value("1 - 2 - 3", 0.0), -4.0);
    assert_eq!(value("8 / 4 / 2", 0.0), 1.0);
    assert_eq!(value("2 + 3 * 4", 0.0), 14.0);
    assert_eq!(value("(2 + 3) * 4", 0.0), 20.0);
    assert_eq!(value("1e-3 * x + .5", 1000.0), 1.5);
    assert_eq!(value("2.5E+1", 0.0), 25.0);
    assert_eq!(value("pi", 0.0), std::f64::consts::PI);
    assert_eq!(value("e", 0.0), std::f64::consts::E);
    // An integer power of a negative base is a product, not NaN; a real one is powf.
    assert_eq!(value("x^2", -3.0), 9.0);
    assert!(value("x^0.5", -4.0).is_nan());
    assert_eq!(value("x^0.5", 4.0), 2.0);
    assert_eq!(value("where(x, x, 0.1 * x)", -2.0), -0.2);
    assert_eq!(value("where(x, x, 0.1 * x)", 3.0), 3.0);
    assert_eq!(value("min(x, 1) + max(x, 1)", 5.0), 6.0);
    let p = parse("x * sigmoid(beta * x)", &names(&["beta"])).unwrap();
    let expected = 2.0 / (1.0 + (-3.0f64).exp());
    assert!((p.eval(2.0, &[1.5]) - expected).abs() < 1e-15);
}

#[test]
fn functions_are_the_numerically_safe_forms() {
    // softplus: ln(1 + e^x), the identity above 20 (no overflow at 1e4).
    assert!((value("softplus(x)", 0.0) - 2f64.ln()).abs() < 1e-15);
    assert_eq!(value("softplus(x)", 1e4), 1e4);
    assert_eq!(value("softplus(x)", -1e4), 0.0);
    // sigmoid never forms e^{1e4}.
    assert_eq!(value("sigmoid(x)", -1e4), 0.0);
    assert_eq!(value("sigmoid(x)", 1e4), 1.0);
    // erf against published values (Abramowitz & Stegun table 7.1).
    for (x, erf_x) in [
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (2.9, 0.999_958_902_121_900_5),
        (3.0, 0.999_977_909_503_001_4),
        (4.0, 0.999_999_984_582_742_1),
    ] {
        assert!((erf(x) - erf_x).abs() < 1e-13, "erf({x}) = {}", erf(x));
        assert!((erf(-x) + erf_x).abs() < 1e-13);
    }
    assert_eq!(erf(0.0), 0.0);
    assert_eq!(erf(1e4), 1.0);
}

fn error(src: &str, params: &[&str]) -> FormulaError {
    parse(src, &names(params)).unwrap_err()
}

#[test]
fn parse_errors_point_at_the_column() {
    let e = error("x * sigmod(x)", &[]);
    assert_eq!(e.column, 5);
    assert!(
        e.message.contains("unknown function `sigmod`") && e.message.contains("sigmoid()"),
        "{}",
        e.message
    );
    let e = error("x * y", &["beta"]);
    assert_eq!(e.column, 5);
    assert!(
        e.message.contains("unknown name `y`") && e.message.contains("beta"),
        "{}",
        e.message
    );
    assert_eq!(error("x +", &[]).column, 4);
    assert_eq!(error("x $ 2", &[]).column, 3);
    assert_eq!(error("(x", &[]).column, 3);
    assert_eq!(error("x x", &[]).column, 3);
    assert!(
        error("min(x)", &[])
            .message
            .contains("takes 2 argument(s), not 1")
    );
    assert!(error("", &[]).message.contains("empty"));
    // Unicode before the error: columns count characters, not bytes.
    assert_eq!(error("x*β", &[]).column, 3);
    let deep = format!("{}x{}", "(".repeat(100), ")".repeat(100));
    assert!(error(&deep, &[]).message.contains("nested more than 64"));
    let long = "x+".repeat(600) + "x";
    assert!(error(&long, &[]).message.contains("longer than 1000"));
}

fn formula(f: &str, params: &[(&str, f64)], learnable: &[&str]) -> Result<Formula, String> {
    let params: BTreeMap<String, f64> = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    Formula::check(f, &params, &names(learnable), None, "model.activation")
        .map_err(|e| e.to_string())
}

#[test]
fn formula_checks_name_the_problem() {
    let ok = formula("x * sigmoid(beta * x)", &[("beta", 1.0)], &["beta"]).unwrap();
    assert_eq!(
        (ok.names.clone(), ok.learnable.clone()),
        (names(&["beta"]), vec![0])
    );
    let m = formula("x * sigmod(x)", &[], &[]).unwrap_err();
    assert!(
        m.starts_with("model.activation.f = \"x * sigmod(x)\": column 5: unknown function")
            && m.ends_with("\n    x * sigmod(x)\n        ^"),
        "{m}"
    );
    let m = formula("x", &[("beta", 1.0)], &[]).unwrap_err();
    assert!(
        m.contains("`beta` is declared in `params` but the formula does not use it"),
        "{m}"
    );
    let m = formula("x * a", &[("a", 1.0)], &["b"]).unwrap_err();
    assert!(m.contains("`learnable` names `b`"), "{m}");
    // Not finite somewhere in [-1e4, 1e4]: refused, naming the first such x.
    let m = formula("exp(x)", &[], &[]).unwrap_err();
    assert!(
        m.contains("not a finite number at x = 100 (it gives"),
        "{m}"
    );
    let m = formula("log(x)", &[], &[]).unwrap_err();
    assert!(m.contains("at x = -10000 (it gives NaN)"), "{m}");
    let m = formula("1 / x", &[], &[]).unwrap_err();
    assert!(m.contains("at x = 0 (it gives inf)"), "{m}");
    // Finite in f64 but not in f32 is refused too.
    let m = formula("exp(x / 100)", &[], &[]).unwrap_err();
    assert!(m.contains("at x = 10000"), "{m}");
    let m = formula("x * p", &[("p", f64::INFINITY)], &[]).unwrap_err();
    assert!(m.contains("model.activation.params.p = inf"), "{m}");
    let m = formula("x * exp", &[("exp", 1.0)], &[]).unwrap_err();
    assert!(m.contains("model.activation.params = exp"), "{m}");
    // Safe forms pass: ELU written with where() never evaluates the exp branch where it would
    // overflow in f64 either.
    formula("where(x, x, alpha * (exp(x) - 1))", &[("alpha", 1.0)], &[]).unwrap();
    formula("x * tanh(softplus(x))", &[], &[]).unwrap();
}
