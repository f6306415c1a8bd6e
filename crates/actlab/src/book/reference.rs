//! The config reference (`docs/book/src/config-reference.md`) against the parser: each table,
//! introduced by `<!-- keys: KIND SECTION [key=value …] -->`, lists exactly the keys the parser
//! accepts in SECTION of a KIND file (the `key=value`s are set there first: an optimizer's
//! `kind`); a default written as a TOML value in backticks parses to what leaving the key out
//! gives; a bound written in backticks (`≥ a`, `> a`, `≤ b`, `< b`, `[a, b)`, …) accepts its
//! closed edges and a value inside and refuses the values just outside.

use super::configs::{check, minimal, parse_only, same, table_at};

/// One table of the reference.
struct Table {
    kind: String,
    section: String,
    /// `key=value`s set in the section first.
    given: Vec<(String, toml::Value)>,
    /// (key, default cell, allowed cell).
    rows: Vec<(String, String, String)>,
}

/// The text inside the first pair of backticks of `cell`.
fn code(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

/// One TOML value (`1e-3`, `"adam"`, `[1, 2]`).
fn value(text: &str) -> toml::Value {
    let table: toml::Table = format!("v = {text}")
        .parse()
        .unwrap_or_else(|e| panic!("{text} is not a TOML value: {e}"));
    table["v"].clone()
}

/// Every table of the reference, with the marker before it.
fn tables(markdown: &str) -> Vec<Table> {
    let mut found: Vec<Table> = Vec::new();
    let mut in_table = false;
    for line in markdown.lines() {
        if let Some(marker) = line
            .strip_prefix("<!-- keys:")
            .and_then(|m| m.strip_suffix("-->"))
        {
            let mut words = marker.split_whitespace();
            let (kind, section) = (words.next().unwrap(), words.next().unwrap());
            let given = words
                .map(|w| {
                    let (k, v) = w.split_once('=').expect("key=value");
                    (k.to_string(), value(v))
                })
                .collect();
            found.push(Table {
                kind: kind.into(),
                section: section.into(),
                given,
                rows: Vec::new(),
            });
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = in_table
                && line.trim().is_empty()
                && found.last().is_some_and(|t| t.rows.is_empty());
            continue;
        }
        if !in_table {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(key) = code(cells[0]) else { continue }; // the header and the rule
        let table = found.last_mut().unwrap();
        table
            .rows
            .push((key.into(), cells[1].into(), cells[2].into()));
    }
    found
}

impl Table {
    /// The smallest file of the kind with the given keys set, and `key = value` when given.
    fn file(&self, set: Option<(&str, toml::Value)>) -> String {
        let mut file: toml::Table = minimal(&self.kind).parse().unwrap();
        let section = table_at(&mut file, &self.section);
        for (k, v) in &self.given {
            section.insert(k.clone(), v.clone());
        }
        if let Some((k, v)) = set {
            section.insert(k.to_string(), v);
        }
        toml::to_string(&file).unwrap()
    }

    fn name(&self) -> String {
        let given: Vec<String> = self
            .given
            .iter()
            .map(|(k, v)| format!(" {k} = {v}"))
            .collect();
        format!("{} [{}]{}", self.kind, self.section, given.concat())
    }

    /// The keys the parser accepts here, from its own message about an unknown key.
    fn parser_keys(&self) -> Vec<String> {
        let probe = self.file(Some(("zz_not_a_key", toml::Value::Integer(0))));
        let error = parse_only(&self.kind, &probe).expect_err("an unknown key must be refused");
        assert!(
            error.contains("unknown field `zz_not_a_key`"),
            "{}: {error}",
            self.name()
        );
        let expected = &error[error.find("expected").expect("a list of keys")..];
        let mut keys: Vec<String> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect();
        keys.sort();
        keys
    }
}

/// A bound in the reference's notation: (lower, lower closed, upper, upper closed).
fn bound(text: &str) -> Option<(Option<f64>, bool, Option<f64>, bool)> {
    let num = |s: &str| s.trim().replace('_', "").parse::<f64>().ok();
    for (op, lower, closed) in [
        ("≥", true, true),
        (">", true, false),
        ("≤", false, true),
        ("<", false, false),
    ] {
        if let Some(rest) = text.strip_prefix(op) {
            let n = num(rest)?;
            return Some(if lower {
                (Some(n), closed, None, false)
            } else {
                (None, false, Some(n), closed)
            });
        }
    }
    let open = text.chars().next()?;
    let close = text.chars().last()?;
    let (a, b) = text.get(1..text.len() - 1)?.split_once(',')?;
    Some((num(a), open == '[', num(b), close == ']'))
}

/// `x` as a value of the key: an integer unless the key is a float.
fn number(x: f64, float: bool) -> Option<toml::Value> {
    if float {
        return Some(toml::Value::Float(x));
    }
    (x.fract() == 0.0 && x.abs() < 9.2e18).then_some(toml::Value::Integer(x as i64))
}

/// Checks one row's bound: edges accepted, just outside refused.
fn check_bound(table: &Table, key: &str, default: &str, allowed: &str) {
    let Some(text) = code(allowed) else { return };
    let Some((lo, lo_closed, hi, hi_closed)) = bound(text) else {
        return;
    };
    let literal = code(default).filter(|_| default.starts_with('`') && default.ends_with('`'));
    let float = literal.is_some_and(|l| value(l).is_float()) || text.contains('.');
    let step = if float { 1e-6 } else { 1.0 };
    let valid = |x: f64| number(x, float).map(|v| check(&table.kind, &table.file(Some((key, v)))));
    let place = |x: f64| format!("{}: {key} = {x} ({text})", table.name());
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    if let Some(a) = lo {
        if lo_closed {
            inside.push(a);
            outside.push(a - step)
        } else {
            outside.push(a);
            inside.push(a + step)
        }
    }
    if let Some(b) = hi {
        if hi_closed {
            inside.push(b);
            outside.push(b + step)
        } else {
            outside.push(b);
            inside.push(b - step)
        }
    }
    for x in inside {
        if let Some(Err(e)) = valid(x) {
            panic!("{} is allowed, but: {e}", place(x));
        }
    }
    for x in outside {
        match valid(x) {
            Some(Ok(())) => panic!("{} is outside, but accepted", place(x)),
            Some(Err(e)) => assert!(
                e.contains(key),
                "{}: the error does not name it: {e}",
                place(x)
            ),
            None => {}
        }
    }
}

#[test]
fn config_reference_matches_the_code() {
    let path = super::root().join("docs/book/src/config-reference.md");
    let markdown = std::fs::read_to_string(&path).unwrap();
    let tables = tables(&markdown);
    assert!(
        tables.len() >= 20,
        "only {} tables in {}",
        tables.len(),
        path.display()
    );
    for table in &tables {
        let mut documented: Vec<String> = table.rows.iter().map(|r| r.0.clone()).collect();
        documented.sort();
        assert_eq!(
            documented,
            table.parser_keys(),
            "{}: the documented keys",
            table.name()
        );
        let base = table.file(None);
        for (key, default, allowed) in &table.rows {
            let given = table.given.iter().any(|(k, _)| k == key);
            if let (Some(literal), false) = (
                code(default).filter(|_| default.starts_with('`') && default.ends_with('`')),
                given,
            ) {
                let with = table.file(Some((key, value(literal))));
                assert_eq!(
                    same(&table.kind, &base, &with),
                    Ok(true),
                    "{}: {key}'s default {literal}",
                    table.name()
                );
            }
            check_bound(table, key, default, allowed);
        }
    }
}

/// The bound notation, read by hand.
#[test]
fn bounds_are_read_as_written() {
    assert_eq!(bound("≥ 1"), Some((Some(1.0), true, None, false)));
    assert_eq!(bound("> 0"), Some((Some(0.0), false, None, false)));
    assert_eq!(
        bound("[0.0, 1.0)"),
        Some((Some(0.0), true, Some(1.0), false))
    );
    assert_eq!(
        bound("(0, 100]"),
        Some((Some(0.0), false, Some(100.0), true))
    );
    assert_eq!(bound("flex"), None);
}
