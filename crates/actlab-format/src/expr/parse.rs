//! The formula tokenizer and recursive-descent parser (precedence in the module docs above).

use super::{Expr, FormulaError, Func, MAX_DEPTH, MAX_FORMULA_CHARS, Op};

/// What the tokenizer produces.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Sym(char),
    End,
}

fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent: e or E, an optional sign, digits.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value: f64 = text.parse().map_err(|_| FormulaError {
                column,
                message: format!("`{text}` is not a number"),
            })?;
            out.push((Tok::Num(value), column));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), column));
        } else if "+-*/^(),".contains(c) {
            out.push((Tok::Sym(c), column));
            i += 1;
        } else {
            return Err(FormulaError {
                column,
                message: format!("unexpected character `{c}`"),
            });
        }
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    params: &'a [String],
    depth: usize,
}

fn allowed_names(params: &[String]) -> String {
    let mut names: Vec<String> = vec!["x".into()];
    names.extend(params.iter().cloned());
    names.extend(["pi".to_string(), "e".to_string()]);
    names.extend(Func::ALL.iter().map(|(n, _, _)| format!("{n}()")));
    names.join(", ")
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn column(&self) -> usize {
        self.toks[self.pos].1
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, FormulaError> {
        Err(FormulaError {
            column: self.column(),
            message: message.into(),
        })
    }

    fn eat(&mut self, c: char) -> bool {
        if *self.peek() == Tok::Sym(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> Result<(), FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, FormulaError> {
        self.enter()?;
        let mut left = self.term()?;
        loop {
            let op = if self.eat('+') {
                Op::Add
            } else if self.eat('-') {
                Op::Sub
            } else {
                break;
            };
            let right = self.term()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat('*') {
                Op::Mul
            } else if self.eat('/') {
                Op::Div
            } else {
                break;
            };
            let right = self.unary()?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        self.enter()?;
        let out = if self.eat('-') {
            Expr::Neg(Box::new(self.unary()?))
        } else if self.eat('+') {
            self.unary()?
        } else {
            let base = self.atom()?;
            if self.eat('^') {
                Expr::Bin(Op::Pow, Box::new(base), Box::new(self.unary()?))
            } else {
                base
            }
        };
        self.depth -= 1;
        Ok(out)
    }

    fn atom(&mut self) -> Result<Expr, FormulaError> {
        let column = self.column();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.pos += 1;
                Ok(Expr::Num(v))
            }
            Tok::Sym('(') => {
                self.pos += 1;
                let inner = self.expr()?;
                if !self.eat(')') {
                    return self.fail("expected `)`");
                }
                Ok(inner)
            }
            Tok::Ident(name) => {
                self.pos += 1;
                if *self.peek() == Tok::Sym('(') {
                    let Some((func, arity)) = Func::lookup(&name) else {
                        return Err(FormulaError {
                            column,
                            message: format!(
                                "unknown function `{name}` (allowed: {})",
                                allowed_names(self.params)
                            ),
                        });
                    };
                    self.pos += 1;
                    let mut args = Vec::new();
                    if *self.peek() != Tok::Sym(')') {
                        loop {
                            args.push(self.expr()?);
                            if !self.eat(',') {
                                break;
                            }
                        }
                    }
                    if !self.eat(')') {
                        return self.fail("expected `,` or `)`");
                    }
                    if args.len() != arity {
                        return Err(FormulaError {
                            column,
                            message: format!(
                                "`{name}` takes {arity} argument(s), not {}",
                                args.len()
                            ),
                        });
                    }
                    return Ok(Expr::Call(func, args));
                }
                if name == "x" {
                    Ok(Expr::X)
                } else if let Some(k) = self.params.iter().position(|p| *p == name) {
                    Ok(Expr::Param(k))
                } else if name == "pi" {
                    Ok(Expr::Num(std::f64::consts::PI))
                } else if name == "e" {
                    Ok(Expr::Num(std::f64::consts::E))
                } else {
                    Err(FormulaError {
                        column,
                        message: format!(
                            "unknown name `{name}` (allowed: {}; declare parameters in `params`)",
                            allowed_names(self.params)
                        ),
                    })
                }
            }
            Tok::End => self.fail("the formula ends too early"),
            Tok::Sym(c) => self.fail(format!("unexpected `{c}`")),
        }
    }
}

/// Parses `src` with the declared parameter names (each becomes [`Expr::Param`] by index).
pub fn parse(src: &str, params: &[String]) -> Result<Expr, FormulaError> {
    let length = src.chars().count();
    if length > MAX_FORMULA_CHARS {
        return Err(FormulaError {
            column: MAX_FORMULA_CHARS + 1,
            message: format!("longer than {MAX_FORMULA_CHARS} characters"),
        });
    }
    if src.trim().is_empty() {
        return Err(FormulaError {
            column: 1,
            message: "the formula is empty".into(),
        });
    }
    let mut parser = Parser {
        toks: tokenize(src)?,
        pos: 0,
        params,
        depth: 0,
    };
    let expr = parser.expr()?;
    if *parser.peek() != Tok::End {
        return parser.fail("unexpected text after the formula");
    }
    Ok(expr)
}
