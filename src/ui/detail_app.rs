//! The detail pane's lines for an `app` event: the application message's fields, what it
//! answers, its attachments, and its arguments as an indented JSON tree.

use super::detail::{Line, LineKind};
use super::payload_rows::{PayloadBody, PayloadRows};
use crate::event::AppMessage;
use crate::output::app::millis;
use crate::teach::Lang;
use crate::teach::catalog::{Msg, say, text as tr};
use crate::text::escape_for_terminal;
use serde_json::Value;
use std::sync::Arc;

/// Lines of a JSON tree shown at most (the NDJSON output has everything); long trees open
/// folded below their top level (see `Detail::default_folds`), and the pane scrolls.
const MAX_TREE: usize = 100_000;

pub fn app_lines(a: &AppMessage, out: &mut Vec<Line>, lang: Lang) {
    out.push(Line::new(
        0,
        LineKind::Heading,
        format!(
            "{} {}",
            crate::teach::app_words::proto_name(lang, a.proto),
            crate::teach::app_words::label(lang, a)
        ),
    ));
    let mut text = |s: String| out.push(Line::new(1, LineKind::Text, s));
    let colon = if lang == Lang::Zh { "：" } else { ": " };
    let field = |id: Msg, v: &dyn std::fmt::Display| format!("{}{colon}{v}", tr(lang, id));
    text(field(
        Msg::DAppType,
        &crate::teach::app_words::kind(lang, a.kind),
    ));
    if let Some(t) = a.transport {
        text(field(
            Msg::DAppTransport,
            &crate::teach::app_words::transport(lang, t),
        ));
    }
    if let Some(n) = &a.nsp {
        text(field(Msg::DAppNamespace, &escape_for_terminal(n)));
    }
    if let Some(n) = &a.name {
        let n = escape_for_terminal(n);
        // In Chinese a captured name stands in quotes, apart from the words around it.
        let n = match lang {
            Lang::En => n.into_owned(),
            Lang::Zh => format!("“{n}”"),
        };
        text(field(Msg::DAppName, &n));
    }
    if let Some(id) = &a.id {
        let id = escape_for_terminal(id);
        let id = match lang {
            Lang::En => id.into_owned(),
            Lang::Zh => format!("“{id}”"),
        };
        text(field(Msg::DAppId, &id));
    }
    // The protocol's own field names (topic, qos, …), as its specification writes them.
    for (k, v) in &a.fields {
        out.push(Line::captured(
            1,
            format!("{k}: {}", escape_for_terminal(v)),
        ));
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
            say(
                lang,
                Msg::DAppAnswers,
                &[("pkt", &r.pkt), ("name", &name), ("rtt", &millis(r.rtt_ns))],
            ),
        ));
    }
    if !a.attachments.is_empty() {
        let sizes: Vec<String> = a.attachments.iter().map(|n| format!("{n} B")).collect();
        out.push(Line::new(
            1,
            LineKind::Text,
            say(lang, Msg::DAppAttach, &[("sizes", &sizes.join(", "))]),
        ));
    }
    if let Some(v) = &a.args {
        out.push(Line::new(1, LineKind::Text, tr(lang, Msg::DAppArgs)));
        let mut n = 0;
        tree(v, None, 2, out, &mut n);
        if n > MAX_TREE {
            out.push(Line::new(
                2,
                LineKind::Text,
                say(lang, Msg::DMoreLines, &[("n", &(n - MAX_TREE))]),
            ));
        }
    }
}

/// An array or object line of a tree: foldable when it has children.
fn node(depth: u8, text: String, children: bool) -> Line {
    Line {
        foldable: children,
        ..Line::captured(depth, text)
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
                out.push(node(d, format!("{k}[{}]", items.len()), !items.is_empty()));
            }
            for (i, x) in items.iter().enumerate() {
                tree(x, Some(&i.to_string()), depth.saturating_add(1), out, n);
            }
        }
        Value::Object(o) => {
            if push {
                out.push(node(d, format!("{k}{{{}}}", o.len()), !o.is_empty()));
            }
            for (kk, x) in o {
                tree(x, Some(kk), depth.saturating_add(1), out, n);
            }
        }
        other => {
            if push {
                let s = other.to_string();
                out.push(Line::captured(d, format!("{k}{}", escape_for_terminal(&s))));
            }
        }
    }
}

/// A tree view of a payload: which format it was read as, and the tree.
pub type PayloadTree = (Msg, Value);

/// The payload as a tree, when it is one: JSON text that is an object or array, or a whole
/// binary payload that is one MessagePack or CBOR map or array. (A cut payload is not parsed.)
pub fn payload_tree(m: &crate::event::WsMessage, bytes: &[u8]) -> Option<PayloadTree> {
    let whole = (bytes.len() as u64) == m.len && m.inflate_error.is_none();
    if !whole || bytes.is_empty() || m.opcode.is_control() {
        return None;
    }
    let container = |v: &Value| v.is_object() || v.is_array();
    if m.text.is_some() {
        let v = serde_json::from_slice::<Value>(bytes)
            .ok()
            .filter(container)?;
        return Some((Msg::DAsJson, v));
    }
    // Either format reads almost any short input as some scalar: only a whole payload that is
    // one map or array counts.
    if let Some(v) = crate::payload::msgpack(bytes).ok().filter(container) {
        Some((Msg::DAsMsgpack, v))
    } else {
        crate::payload::cbor(bytes)
            .ok()
            .filter(container)
            .map(|v| (Msg::DAsCbor, v))
    }
}

/// The message's payload bytes as the event holds them (the preview, or all of a message
/// loaded whole).
pub fn payload_bytes(m: &crate::event::WsMessage) -> &[u8] {
    match &m.text {
        Some(t) => t.as_bytes(),
        None => &m.data,
    }
}

/// Views of a message's payload: the tree (JSON, MessagePack or CBOR) as lines in `out`, and
/// the hex + ASCII and text or base64 views as rows made when drawn. `body` is the payload
/// (`bytes.len() < m.len` when it is cut); `tree` its tree when already parsed.
pub fn payload_lines(
    m: &crate::event::WsMessage,
    body: Option<(Arc<PayloadBody>, Option<&PayloadTree>)>,
    out: &mut Vec<Line>,
    lang: Lang,
    width: usize,
) -> Option<PayloadRows> {
    if m.inflate_error.is_some() || m.opcode.is_control() {
        return None;
    }
    // A loaded payload's tree is borrowed (it can be large); a preview's is parsed here.
    let (body, tree) = match body {
        Some((b, t)) => (b, t.map(std::borrow::Cow::Borrowed)),
        None => {
            let bytes = payload_bytes(m);
            if bytes.is_empty() {
                return None;
            }
            let tree = payload_tree(m, bytes).map(std::borrow::Cow::Owned);
            (
                Arc::new(PayloadBody::new(bytes.into(), m.text.is_some())),
                tree,
            )
        }
    };
    let n = body.bytes.len();
    if n == 0 {
        return None;
    }
    if let Some(t) = &tree {
        titled_tree(&t.1, t.0, out, lang);
    }
    let kept = if (n as u64) < m.len {
        say(lang, Msg::DFirstOf, &[("n", &n), ("len", &m.len)])
    } else {
        String::new()
    };
    let other = if m.text.is_some() {
        Msg::DAsText
    } else {
        Msg::DAsBase64
    };
    Some(PayloadRows::new(
        body,
        format!("{}{kept}", tr(lang, Msg::DAsHex)),
        format!("{}{kept}", tr(lang, other)),
        width,
    ))
}

fn titled_tree(v: &Value, title: Msg, out: &mut Vec<Line>, lang: Lang) {
    out.push(Line::new(0, LineKind::Heading, tr(lang, title)));
    let mut n = 0;
    tree(v, None, 1, out, &mut n);
    if n > MAX_TREE {
        out.push(Line::new(
            1,
            LineKind::Text,
            say(lang, Msg::DMoreLines, &[("n", &(n - MAX_TREE))]),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Dir, WsMessage};

    fn msg(text: Option<&str>, data: &[u8]) -> WsMessage {
        WsMessage::for_test(Dir::S2C, text, data)
    }

    fn texts(m: &WsMessage) -> Vec<String> {
        let mut out = Vec::new();
        let rows = payload_lines(m, None, &mut out, Lang::En, 100);
        let mut t: Vec<String> = out.into_iter().map(|l| l.text).collect();
        if let Some(r) = rows {
            t.extend((0..r.len()).map(|i| r.row(i).unwrap().text));
        }
        t
    }

    #[test]
    fn json_text_gets_a_tree_and_a_hex_dump() {
        let t = texts(&msg(Some(r#"{"id":2,"result":{"value":42}}"#), &[]));
        assert!(t.contains(&"Payload as JSON".to_string()), "{t:?}");
        assert!(t.iter().any(|l| l == "value: 42"), "{t:?}");
        assert!(
            t.iter().any(|l| l.starts_with("0000  7b 22 69 64")),
            "{t:?}"
        );
        assert!(!t.iter().any(|l| l.starts_with("Payload as base64")));
        assert!(t.iter().any(|l| l == "Payload as text"), "{t:?}");
    }

    #[test]
    fn msgpack_and_cbor_payloads_get_trees_and_plain_binary_does_not() {
        // {"a":[1,"x"]} in MessagePack, then in CBOR.
        let t = texts(&msg(None, &[0x81, 0xa1, b'a', 0x92, 0x01, 0xa1, b'x']));
        assert!(t.iter().any(|l| l == "Payload as MessagePack"), "{t:?}");
        assert!(t.iter().any(|l| l == "a: [2]") && t.iter().any(|l| l == "1: \"x\""));
        let t = texts(&msg(None, &[0xa1, 0x61, b'a', 0x82, 0x01, 0x61, b'x']));
        assert!(t.iter().any(|l| l == "Payload as CBOR"), "{t:?}");
        assert!(t.iter().any(|l| l == "a: [2]"));
        // Random bytes, and a lone scalar, are neither.
        for b in [&[0x01u8][..], &[0x1b, b'[', b'2', b'J', 0xff]] {
            let t = texts(&msg(None, b));
            assert!(
                !t.iter()
                    .any(|l| l.contains("MessagePack") || l.contains("CBOR"))
            );
        }
    }

    #[test]
    fn tree_nodes_fold_and_long_trees_open_folded() {
        use crate::ui::detail::Detail;
        let mut lines = Vec::new();
        let json = r#"{"a":{"b":[1,2,3]},"c":4}"#;
        payload_lines(&msg(Some(json), &[]), None, &mut lines, Lang::En, 100);
        let mut d = Detail::from_lines(lines);
        let folds = d.default_folds();
        assert!(folds.is_empty(), "a short tree opens unfolded");
        d.set_folds(&folds);
        let shown = |d: &Detail| d.lines.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert!(
            shown(&d).contains(&"▾ a: {1}".to_string()),
            "{:?}",
            shown(&d)
        );
        // Fold "a": its two levels below disappear, "c" stays.
        let a = d.lines.iter().position(|l| l.text == "▾ a: {1}").unwrap();
        let full = d.full_index(a).unwrap();
        let n = d.lines.len();
        d.set_folds(&[full].into_iter().collect());
        assert_eq!(d.lines.len(), n - 4);
        assert!(shown(&d).contains(&"▸ a: {1}".to_string()));
        assert!(shown(&d).contains(&"c: 4".to_string()));
        assert_eq!(d.shown_index(full), Some(a));
        // A long array opens with its items folded.
        let long = format!(
            "[{}]",
            (0..200)
                .map(|i| format!("{{\"i\":{i}}}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut lines = Vec::new();
        payload_lines(&msg(Some(&long), &[]), None, &mut lines, Lang::En, 100);
        let mut d = Detail::from_lines(lines);
        let folds = d.default_folds();
        assert_eq!(folds.len(), 200);
        d.set_folds(&folds);
        assert!(d.lines.iter().filter(|l| l.text.starts_with("▸ ")).count() == 200);
    }

    #[test]
    fn binary_gets_hex_and_base64_and_escapes_nothing_raw() {
        let t = texts(&msg(None, &[0x1b, b'[', b'2', b'J', 0xff]));
        assert!(
            t.iter()
                .any(|l| l.starts_with("0000  1b 5b 32 4a ff") && l.ends_with(".[2J."))
        );
        // base64 of 1b 5b 32 4a ff, as `base64` prints it.
        assert!(t.iter().any(|l| l == "G1sySv8="), "{t:?}");
        assert!(t.iter().all(|l| !l.contains('\u{1b}')));
    }
}
