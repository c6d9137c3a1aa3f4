//! A worksheet written out: Markdown (for notes, wikis, pandoc) or a self-contained HTML page
//! that prints on A4 with the answer key on a page of its own.

use super::{Cell, Item, Sheet};
use crate::teach::Lang;
use std::fmt::Write;

/// A blank as printed: its number, then room to write.
fn blank_md(n: usize) -> String {
    format!("({n}) \\_\\_\\_\\_\\_\\_\\_\\_")
}

/// Markdown keeps `|` for tables and `\`, `*`, `_`, `` ` ``, `<`, `[` for markup.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn md_cells(cells: &[Cell]) -> String {
    cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => md_text(s),
            Cell::Blank(n) => blank_md(*n),
        })
        .collect()
}

pub fn markdown(s: &Sheet) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", md_text(&s.title));
    for h in &s.header {
        let _ = writeln!(o, "{} \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_  ", md_text(h));
    }
    let _ = writeln!(o, "\n{}\n", md_text(&s.intro));
    for sec in &s.sections {
        let _ = writeln!(o, "## {}\n", md_text(&sec.title));
        for it in &sec.items {
            match it {
                Item::Line(cells) => {
                    let _ = writeln!(o, "{}\n", md_cells(cells));
                }
                Item::Code(c) => {
                    // A fence longer than any run of backticks inside keeps the code whole.
                    let fence = "`".repeat(longest_run(c, '`').max(2) + 1);
                    let _ = writeln!(o, "{fence}\n{c}\n{fence}\n");
                }
                Item::Table { head, rows } => {
                    let h: Vec<String> = head.iter().map(|x| md_text(x)).collect();
                    let _ = writeln!(o, "| {} |", h.join(" | "));
                    let _ = writeln!(o, "|{}", "---|".repeat(head.len()));
                    for r in rows {
                        let cells: Vec<String> = r
                            .iter()
                            .map(|c| md_cells(std::slice::from_ref(c)))
                            .collect();
                        let _ = writeln!(o, "| {} |", cells.join(" | "));
                    }
                    o.push('\n');
                }
            }
        }
    }
    let _ = writeln!(o, "---\n\n## {}\n", md_text(&s.answers_title));
    for a in &s.answers {
        let _ = writeln!(
            o,
            "{}. **{}** — {}",
            a.n,
            md_text(&a.answer),
            md_text(&a.why)
        );
    }
    o
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for x in s.chars() {
        cur = if x == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// Text as HTML, line by line (code blocks keep their line breaks): markup escaped and every
/// character XML forbids replaced, so the page is always well-formed.
fn html_text(s: &str) -> String {
    s.split('\n')
        .map(crate::teach::diagram::xml)
        .collect::<Vec<_>>()
        .join("\n")
}

fn html_cells(cells: &[Cell]) -> String {
    cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => html_text(s),
            Cell::Blank(n) => format!("<span class=\"blank\"><sup>{n}</sup></span>"),
        })
        .collect()
}

const CSS: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Noto Sans',sans-serif;max-width:46em;margin:2em auto;line-height:1.5;color:#000}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #888;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #666;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee}pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap;word-break:break-all}
.blank{display:inline-block;min-width:7em;border-bottom:1px solid #000;height:1.2em}
.blank sup{font-size:.7em;color:#555}.who{margin:.2em 0}
.key{page-break-before:always;break-before:page}.key li{margin:.3em 0}
@media print{body{margin:0}}";

pub fn html(s: &Sheet) -> String {
    let lang = match s.lang {
        Lang::En => "en",
        Lang::Zh => "zh-Hans",
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>",
        html_text(&s.title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", html_text(&s.title));
    for h in &s.header {
        let _ = writeln!(
            o,
            "<p class=\"who\">{} <span class=\"blank\" style=\"min-width:14em\"></span></p>",
            html_text(h)
        );
    }
    let _ = writeln!(o, "<p>{}</p>", html_text(&s.intro));
    for sec in &s.sections {
        let _ = writeln!(o, "<h2>{}</h2>", html_text(&sec.title));
        for it in &sec.items {
            match it {
                Item::Line(cells) => {
                    let _ = writeln!(o, "<p>{}</p>", html_cells(cells));
                }
                Item::Code(c) => {
                    let _ = writeln!(o, "<pre>{}</pre>", html_text(c));
                }
                Item::Table { head, rows } => {
                    o.push_str("<table>\n<tr>");
                    for h in head {
                        let _ = write!(o, "<th>{}</th>", html_text(h));
                    }
                    o.push_str("</tr>\n");
                    for r in rows {
                        o.push_str("<tr>");
                        for c in r {
                            let _ = write!(o, "<td>{}</td>", html_cells(std::slice::from_ref(c)));
                        }
                        o.push_str("</tr>\n");
                    }
                    o.push_str("</table>\n");
                }
            }
        }
    }
    let _ = writeln!(
        o,
        "<section class=\"key\">\n<h2>{}</h2>\n<ol>",
        html_text(&s.answers_title)
    );
    for a in &s.answers {
        let _ = writeln!(
            o,
            "<li value=\"{}\"><b>{}</b> — {}</li>",
            a.n,
            html_text(&a.answer),
            html_text(&a.why)
        );
    }
    o.push_str("</ol>\n</section>\n</body>\n</html>\n");
    o
}
