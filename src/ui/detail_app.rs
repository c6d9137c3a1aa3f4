//! The detail pane's lines for an `app` event: the application message's fields, what it
//! answers, its attachments, and its arguments as an indented JSON tree.

use super::detail::{Line, LineKind};
use crate::event::AppMessage;
use crate::output::app::millis;
use crate::text::escape_for_terminal;
use serde_json::Value;

/// Lines of the JSON tree shown at most (the NDJSON output has everything).
const MAX_TREE: usize = 2000;

pub fn app_lines(a: &AppMessage, out: &mut Vec<Line>) {
    out.push(Line::new(
        0,
        LineKind::Heading,
        format!("{} {}", a.proto.as_str(), crate::output::app::label(a)),
    ));
    let mut text = |s: String| out.push(Line::new(1, LineKind::Text, s));
    text(format!("type: {}", a.kind));
    if let Some(t) = a.transport {
        text(format!("transport: {}", t.as_str()));
    }
    if let Some(n) = &a.nsp {
        text(format!("namespace: {}", escape_for_terminal(n)));
    }
    if let Some(n) = &a.name {
        text(format!("name: {}", escape_for_terminal(n)));
    }
    if let Some(id) = &a.id {
        text(format!("id: {}", escape_for_terminal(id)));
    }
    for (k, v) in &a.fields {
        text(format!("{k}: {}", escape_for_terminal(v)));
    }
    if let Some(r) = &a.reply {
        let name = r
            .name
            .as_deref()
            .map(|n| format!(" \"{}\"", escape_for_terminal(n)))
            .unwrap_or_default();
        out.push(Line::new(
            1,
            LineKind::Good,
            format!(
                "answers packet #{}{name}, round trip {}",
                r.pkt,
                millis(r.rtt_ns)
            ),
        ));
    }
    if !a.attachments.is_empty() {
        let sizes: Vec<String> = a.attachments.iter().map(|n| format!("{n} B")).collect();
        out.push(Line::new(
            1,
            LineKind::Text,
            format!("binary attachments joined: {}", sizes.join(", ")),
        ));
    }
    if let Some(v) = &a.args {
        out.push(Line::new(1, LineKind::Text, "arguments:"));
        let mut n = 0;
        tree(v, None, 2, out, &mut n);
        if n > MAX_TREE {
            out.push(Line::new(
                2,
                LineKind::Text,
                format!("… {} more lines (see decode --json)", n - MAX_TREE),
            ));
        }
    }
}

fn tree(v: &Value, key: Option<&str>, depth: u8, out: &mut Vec<Line>, n: &mut usize) {
    *n += 1;
    let push = *n <= MAX_TREE;
    let k = key
        .map(|k| format!("{}: ", escape_for_terminal(k)))
        .unwrap_or_default();
    let d = depth.min(24);
    match v {
        Value::Array(items) => {
            if push {
                out.push(Line::new(
                    d,
                    LineKind::Field,
                    format!("{k}[{} items]", items.len()),
                ));
            }
            for (i, x) in items.iter().enumerate() {
                tree(x, Some(&i.to_string()), depth.saturating_add(1), out, n);
            }
        }
        Value::Object(o) => {
            if push {
                out.push(Line::new(
                    d,
                    LineKind::Field,
                    format!("{k}{{{} keys}}", o.len()),
                ));
            }
            for (kk, x) in o {
                tree(x, Some(kk), depth.saturating_add(1), out, n);
            }
        }
        other => {
            if push {
                let s = other.to_string();
                out.push(Line::new(
                    d,
                    LineKind::Text,
                    format!("{k}{}", escape_for_terminal(&s)),
                ));
            }
        }
    }
}
