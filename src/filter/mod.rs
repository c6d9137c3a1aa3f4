//! One filter language for every view (`decode`, `stats`, `diagram`, `export --filter` and the
//! UI's `/`), modelled on Wireshark's display filters:
//!
//! ```text
//! ws.opcode == binary && dir == s2c
//! app.proto == "socket.io" && app.name matches "^ch"
//! tcp.analysis || (http.status >= 400 && !(port == 8080))
//! ```
//!
//! A bare field tests that the event has it. A field an event does not have never compares
//! true (so `!=` needs the field too; `!` negates the whole test). Strings compare exactly;
//! `contains` is case-sensitive; `matches` is a case-insensitive regular expression (the
//! `regex` crate: linear time, so a hostile pattern cannot stall the program).

mod fields;
mod parse;

pub use fields::Field;
use fields::{Context, Val};

use crate::event::Event;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Matches,
}

/// A literal on the right of a comparison, prepared once.
#[derive(Clone, Debug)]
pub struct Value {
    text: String,
    num: Option<f64>,
    re: Option<regex::Regex>,
}

impl Value {
    fn new(text: &str, quoted: bool, cmp: Cmp) -> Result<Value, String> {
        let num = if quoted { None } else { parse_num(text) };
        if matches!(cmp, Cmp::Lt | Cmp::Le | Cmp::Gt | Cmp::Ge) && parse_num(text).is_none() {
            return Err(format!(
                "{text:?} is not a number: <, <=, >, >= compare numbers"
            ));
        }
        let re = if cmp == Cmp::Matches {
            Some(
                regex::RegexBuilder::new(text)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("bad regular expression: {e}"))?,
            )
        } else {
            None
        };
        Ok(Value {
            text: text.to_string(),
            num,
            re,
        })
    }
}

fn parse_num(t: &str) -> Option<f64> {
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok().map(|v| v as f64);
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[derive(Clone, Debug)]
pub enum Expr {
    Exists(Field),
    Cmp(Field, Cmp, Value),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A malformed filter: what is wrong and where (byte offset into the expression).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub pos: usize,
    pub msg: String,
}

impl FilterError {
    fn at(pos: usize, msg: impl Into<String>) -> Self {
        FilterError {
            pos,
            msg: msg.into(),
        }
    }

    /// The expression with a caret under the error, for a terminal (two lines).
    pub fn pointed(&self, expr: &str) -> String {
        let col = expr
            .get(..self.pos.min(expr.len()))
            .map_or(0, |p| p.chars().count());
        format!(
            "{}\n{}^ {}",
            crate::text::escape_for_terminal(expr),
            " ".repeat(col),
            self
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter error at column {}: {}", self.pos + 1, self.msg)
    }
}

impl std::error::Error for FilterError {}

/// A compiled filter with what it remembers between events (connections' ports): feed it
/// every event in order, also those it rejects.
#[derive(Clone, Debug)]
pub struct Filter {
    expr: Expr,
    cx: Context,
    source: String,
}

impl Filter {
    pub fn new(expr: &str) -> Result<Filter, FilterError> {
        Ok(Filter {
            expr: parse::parse(expr)?,
            cx: Context::default(),
            source: expr.to_string(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `ev` passes; call for every event in order.
    pub fn matches(&mut self, ev: &Event) -> bool {
        if let Event::ConnOpen(o) = ev {
            self.cx
                .ports
                .insert(o.conn, [o.client.port(), o.server.port()]);
        }
        let ports = ev.conn().and_then(|c| self.cx.ports.get(&c)).copied();
        eval(&self.expr, ev, ports)
    }

    /// Whether `ev` passes, given its connection's ports (for views that know them already).
    pub fn test(&self, ev: &Event, ports: Option<[u16; 2]>) -> bool {
        eval(&self.expr, ev, ports)
    }

    /// Whether the text reads as a filter expression rather than words to search for: it
    /// parses, and names a field or uses an operator.
    pub fn looks_like_expression(text: &str) -> bool {
        let Ok(e) = parse::parse(text) else {
            return false;
        };
        // A single bare field name is an expression too ("tcp.analysis").
        !matches!(e, Expr::Exists(_)) || text.contains('.') || Field::by_name(text.trim()).is_some()
    }
}

fn eval(e: &Expr, ev: &Event, ports: Option<[u16; 2]>) -> bool {
    match e {
        Expr::Not(x) => !eval(x, ev, ports),
        Expr::And(a, b) => eval(a, ev, ports) && eval(b, ev, ports),
        Expr::Or(a, b) => eval(a, ev, ports) || eval(b, ev, ports),
        Expr::Exists(f) => {
            let mut v = Vec::new();
            fields::values(*f, ev, ports, &mut v);
            !v.is_empty()
        }
        Expr::Cmp(f, cmp, lit) => {
            let mut v = Vec::new();
            fields::values(*f, ev, ports, &mut v);
            v.iter().any(|x| compare(x, *cmp, lit))
        }
    }
}

fn compare(v: &Val<'_>, cmp: Cmp, lit: &Value) -> bool {
    match cmp {
        Cmp::Contains => match v {
            Val::Str(s) => s.contains(lit.text.as_str()),
            Val::Num(n) => fmt_num(*n).contains(lit.text.as_str()),
            Val::Bool(_) => false,
        },
        Cmp::Matches => {
            let re = lit.re.as_ref().expect("compiled with the filter");
            match v {
                Val::Str(s) => re.is_match(s),
                Val::Num(n) => re.is_match(&fmt_num(*n)),
                Val::Bool(b) => re.is_match(if *b { "true" } else { "false" }),
            }
        }
        _ => {
            let ord = match v {
                Val::Num(n) => match lit.num {
                    Some(l) => n.partial_cmp(&l),
                    None => return false,
                },
                Val::Str(s) => Some(s.as_ref().cmp(lit.text.as_str())),
                Val::Bool(b) => {
                    let l = match lit.text.to_ascii_lowercase().as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => return false,
                    };
                    Some(b.cmp(&l))
                }
            };
            let Some(o) = ord else { return false };
            use std::cmp::Ordering::*;
            match cmp {
                Cmp::Eq => o == Equal,
                Cmp::Ne => o != Equal,
                // Ordering comparisons are numeric only.
                _ if !matches!(v, Val::Num(_)) => false,
                Cmp::Lt => o == Less,
                Cmp::Le => o != Greater,
                Cmp::Gt => o == Greater,
                _ => o != Less,
            }
        }
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests;
