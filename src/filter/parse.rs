//! The filter language's grammar: tokens with their positions, then a recursive-descent parser.
//!
//! ```text
//! expr    = or
//! or      = and { ("||" | "or") and }
//! and     = unary { ("&&" | "and") unary }
//! unary   = ("!" | "not") unary | primary
//! primary = "(" expr ")" | field [ op value ]
//! op      = "==" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "matches"
//! value   = number | "quoted string" | bare-word
//! ```

use super::fields::Field;
use super::{Cmp, Expr, FilterError, Value};

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
}

fn lex(s: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let two = s.get(i..i + 2).unwrap_or("");
        let op = ["==", "!=", "<=", ">=", "&&", "||"]
            .into_iter()
            .find(|o| *o == two);
        if let Some(o) = op {
            out.push((start, Tok::Op(o)));
            i += 2;
            continue;
        }
        match c {
            b'(' => out.push((start, Tok::LParen)),
            b')' => out.push((start, Tok::RParen)),
            b'<' => out.push((start, Tok::Op("<"))),
            b'>' => out.push((start, Tok::Op(">"))),
            b'!' => out.push((start, Tok::Op("!"))),
            b'=' => {
                return Err(FilterError::at(start, "a single '=': compare with '=='"));
            }
            b'"' | b'\'' => {
                let q = c;
                let mut v = String::new();
                i += 1;
                loop {
                    match s[i..].chars().next() {
                        None => return Err(FilterError::at(start, "string not closed")),
                        Some(ch) if ch as u32 == q as u32 => break,
                        Some('\\') => {
                            let next = s[i + 1..].chars().next().ok_or_else(|| {
                                FilterError::at(i, "backslash at the end of the filter")
                            })?;
                            v.push(match next {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                            i += 1 + next.len_utf8();
                            continue;
                        }
                        Some(ch) => {
                            v.push(ch);
                            i += ch.len_utf8();
                            continue;
                        }
                    }
                }
                out.push((start, Tok::Str(v)));
            }
            _ => {
                let end = s[i..]
                    .find(|ch: char| ch.is_whitespace() || "()!=<>&|\"'".contains(ch))
                    .map_or(s.len(), |e| i + e);
                if end == i {
                    return Err(FilterError::at(
                        start,
                        format!("unexpected {:?}", s[i..].chars().next().unwrap_or(' ')),
                    ));
                }
                out.push((start, Tok::Word(s[i..end].to_string())));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(p, _)| *p)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.and()?;
        while matches!(self.peek(), Some(Tok::Op("||"))) || self.is_word("or") {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.unary()?;
        while matches!(self.peek(), Some(Tok::Op("&&"))) || self.is_word("and") {
            self.at += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if matches!(self.peek(), Some(Tok::Op("!"))) || self.is_word("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.at += 1;
                let e = self.or()?;
                if !matches!(self.peek(), Some(Tok::RParen)) {
                    return Err(FilterError::at(self.pos(), "expected ')'"));
                }
                self.at += 1;
                Ok(e)
            }
            Some(Tok::Word(w)) => {
                let field = Field::by_name(&w).ok_or_else(|| {
                    FilterError::at(pos, format!("unknown field {w:?} (see docs/filters.md)"))
                })?;
                self.at += 1;
                let op_pos = self.pos();
                let cmp = match self.peek() {
                    Some(Tok::Op(o)) if *o != "!" && *o != "&&" && *o != "||" => match *o {
                        "==" => Cmp::Eq,
                        "!=" => Cmp::Ne,
                        "<" => Cmp::Lt,
                        "<=" => Cmp::Le,
                        ">" => Cmp::Gt,
                        _ => Cmp::Ge,
                    },
                    Some(Tok::Word(x)) if x.eq_ignore_ascii_case("contains") => Cmp::Contains,
                    Some(Tok::Word(x)) if x.eq_ignore_ascii_case("matches") => Cmp::Matches,
                    Some(Tok::Word(x)) if x.eq_ignore_ascii_case("eq") => Cmp::Eq,
                    Some(Tok::Word(x)) if x.eq_ignore_ascii_case("ne") => Cmp::Ne,
                    Some(Tok::Word(x))
                        if !x.eq_ignore_ascii_case("and") && !x.eq_ignore_ascii_case("or") =>
                    {
                        return Err(FilterError::at(
                            op_pos,
                            format!("expected an operator after {w}, found {x:?}"),
                        ));
                    }
                    _ => return Ok(Expr::Exists(field)),
                };
                self.at += 1;
                let vpos = self.pos();
                let raw = match self.peek().cloned() {
                    Some(Tok::Word(v)) => (v, false),
                    Some(Tok::Str(v)) => (v, true),
                    _ => return Err(FilterError::at(vpos, "expected a value")),
                };
                self.at += 1;
                let value = Value::new(&raw.0, raw.1, cmp).map_err(|e| FilterError::at(vpos, e))?;
                Ok(Expr::Cmp(field, cmp, value))
            }
            Some(Tok::RParen) => Err(FilterError::at(pos, "unexpected ')'")),
            Some(Tok::Str(_)) => Err(FilterError::at(
                pos,
                "expected a field name, found a string",
            )),
            Some(Tok::Op(o)) => Err(FilterError::at(pos, format!("unexpected {o:?}"))),
            None => Err(FilterError::at(pos, "the filter ends too early")),
        }
    }
}

pub fn parse(s: &str) -> Result<Expr, FilterError> {
    let toks = lex(s)?;
    let mut p = Parser {
        toks,
        at: 0,
        end: s.len(),
    };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return Err(FilterError::at(p.pos(), "expected '&&', '||' or the end"));
    }
    Ok(e)
}
