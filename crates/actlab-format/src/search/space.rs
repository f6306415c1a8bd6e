//! The space of formulas: unary templates over `x`, binary templates over `a` and `b`, and the
//! candidates generated from them — each a `kind = "expr"` formula, so every check of a formula
//! activation applies to it and any candidate can be pasted into a config.
//!
//! A core unit is `b(u1(y), u2(x))`; at depth 1, `y = x`, at depth k, `y` is a depth-(k−1)
//! formula. Templates are substituted as text, identifier by identifier (so `x` inside `exp`
//! or `max` is never touched), with parentheses where the operand is not a name or a call.
//! A unary template's other names (`b` in `b*x`) are constants: each use gets its own
//! parameter `c1`, `c2`, … of initial value 1.

use std::collections::BTreeMap;

use crate::activation::ActivationConfig;
use crate::expr::{Func, parse};

/// Where each identifier of a formula's text is: `(start, end)` byte ranges, numbers skipped
/// (the `e` of `1e-3` is not a name).
fn identifiers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() || c == b'.' {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                i += 1;
                if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                    i += 1;
                }
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// `text` with each identifier that `replace` maps replaced; `replace` is told whether the
/// identifier is a whole function argument (between `(` or `,` and `)` or `,`), where an
/// operand needs no parentheses.
fn substitute(text: &str, mut replace: impl FnMut(&str, bool) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut last = 0;
    for (start, end) in identifiers(text) {
        let before = text[..start].trim_end().chars().last();
        let after = text[end..].trim_start().chars().next();
        let argument = matches!(before, Some('(' | ',')) && matches!(after, Some(')' | ','));
        if let Some(with) = replace(&text[start..end], argument) {
            out.push_str(&text[last..start]);
            out.push_str(&with);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Whether `text` can stand as an operand without parentheses: a name, a number, or a call
/// whose parentheses close at the end.
fn is_atom(text: &str) -> bool {
    let t = text.trim();
    let name_end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(t.len());
    if name_end == t.len() {
        return !t.is_empty();
    }
    if name_end == 0 || !t[name_end..].starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    for (i, c) in t[name_end..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return name_end + i + 1 == t.len();
                }
            }
            _ => {}
        }
    }
    false
}

fn operand(text: &str, argument: bool) -> String {
    if argument || is_atom(text) {
        text.trim().to_string()
    } else {
        format!("({})", text.trim())
    }
}

fn reserved(name: &str) -> bool {
    matches!(name, "x" | "pi" | "e") || Func::lookup(name).is_some()
}

/// A unary template, checked: a formula over `x` whose other names are constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Unary {
    text: String,
}

impl Unary {
    /// Checks a template: it parses, uses `x`, and its constants are plain names.
    pub fn parse(text: &str) -> Result<Unary, String> {
        let mut constants: Vec<String> = Vec::new();
        let mut uses_x = false;
        for (start, end) in identifiers(text) {
            let name = &text[start..end];
            if name == "x" {
                uses_x = true;
            } else if !reserved(name) && !constants.iter().any(|c| c == name) {
                constants.push(name.to_string());
            }
        }
        parse(text, &constants)
            .map_err(|e| format!("a formula over x (column {}: {})", e.column, e.message))?;
        if !uses_x {
            return Err("a formula that uses x".into());
        }
        Ok(Unary {
            text: text.to_string(),
        })
    }

    /// The template applied to `arg`, its constants numbered on from `*next`.
    fn apply(&self, arg: &str, next: &mut usize, constants: &mut Vec<String>) -> String {
        let mut mine: Vec<(String, String)> = Vec::new();
        substitute(&self.text, |name, argument| {
            if name == "x" {
                return Some(operand(arg, argument));
            }
            if reserved(name) {
                return None;
            }
            // Each use of a constant in one application is the same parameter.
            if let Some((_, p)) = mine.iter().find(|(n, _)| n == name) {
                return Some(p.clone());
            }
            *next += 1;
            let p = format!("c{next}");
            constants.push(p.clone());
            mine.push((name.to_string(), p.clone()));
            Some(p)
        })
    }
}

/// A binary template, checked: a formula over `a` and `b` using both.
#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    text: String,
}

impl Binary {
    /// Checks a template: it parses over `a` and `b`, uses both, and names nothing else.
    pub fn parse(text: &str) -> Result<Binary, String> {
        let mut used = [false, false];
        for (start, end) in identifiers(text) {
            match &text[start..end] {
                "a" => used[0] = true,
                "b" => used[1] = true,
                name if reserved(name) && name != "x" => {}
                name => return Err(format!("a formula over a and b only (it names `{name}`)")),
            }
        }
        parse(text, &["a".to_string(), "b".to_string()]).map_err(|e| {
            format!(
                "a formula over a and b (column {}: {})",
                e.column, e.message
            )
        })?;
        if used != [true, true] {
            return Err("a formula that uses both a and b".into());
        }
        Ok(Binary {
            text: text.to_string(),
        })
    }

    fn apply(&self, a: &str, b: &str) -> String {
        substitute(&self.text, |name, argument| match name {
            "a" => Some(operand(a, argument)),
            "b" => Some(operand(b, argument)),
            _ => None,
        })
    }
}

/// A generated candidate: a formula and its constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The formula over `x`.
    pub f: String,
    /// Its constants (`c1`, `c2`, …), each starting at 1.
    pub constants: Vec<String>,
    /// Whether the constants are learned.
    pub learnable: bool,
}

impl Candidate {
    /// The candidate as an activation (`kind = "expr"`).
    pub fn activation(&self) -> ActivationConfig {
        let params: BTreeMap<String, f64> =
            self.constants.iter().map(|c| (c.clone(), 1.0)).collect();
        ActivationConfig::Expr {
            f: self.f.clone(),
            params,
            learnable: if self.learnable {
                self.constants.clone()
            } else {
                Vec::new()
            },
            per_unit: false,
            name: None,
        }
    }
}

/// A small, fixed generator (SplitMix64): the same seed gives the same candidates on every
/// machine and with every version of actlab's dependencies.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The templates of a `[space]`, checked.
#[derive(Debug, Clone)]
pub struct Space {
    unary: Vec<Unary>,
    binary: Vec<Binary>,
    depth: usize,
    learnable: bool,
}

impl Space {
    /// Checks every template of `[space]`.
    pub fn new(section: &super::SpaceSection) -> Result<Space, String> {
        Ok(Space {
            unary: section
                .unary
                .iter()
                .map(|t| Unary::parse(t))
                .collect::<Result<_, _>>()?,
            binary: section
                .binary
                .iter()
                .map(|t| Binary::parse(t))
                .collect::<Result<_, _>>()?,
            depth: section.depth.max(1),
            learnable: section.learnable_constants,
        })
    }

    fn unit(
        &self,
        depth: usize,
        rng: &mut SplitMix,
        next: &mut usize,
        c: &mut Vec<String>,
    ) -> String {
        let inner = if depth > 1 {
            self.unit(depth - 1, rng, next, c)
        } else {
            "x".to_string()
        };
        let b = &self.binary[rng.below(self.binary.len())];
        let u1 = &self.unary[rng.below(self.unary.len())];
        let u2 = &self.unary[rng.below(self.unary.len())];
        let left = u1.apply(&inner, next, c);
        let right = u2.apply("x", next, c);
        b.apply(&left, &right)
    }

    /// `count` candidates from `seed`: each of a depth drawn from 1 to `depth`, its templates
    /// drawn uniformly. Duplicates (same text or same function) are left to the screen.
    pub fn generate(&self, count: usize, seed: u64) -> Vec<Candidate> {
        let mut rng = SplitMix(seed);
        (0..count)
            .map(|_| {
                let depth = 1 + rng.below(self.depth);
                let (mut next, mut constants) = (0, Vec::new());
                let f = self.unit(depth, &mut rng, &mut next, &mut constants);
                Candidate {
                    f,
                    constants,
                    learnable: self.learnable,
                }
            })
            .collect()
    }
}
