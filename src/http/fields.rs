//! The field tree of an HTTP head for the detail pane: start line and each header, with byte
//! positions within the head as it was on the wire.

use crate::event::{HeadLayout, HeaderSpan, HttpHead, HttpKind};
use crate::fields::Field;

/// Headers that get their own stable field name (tshark's, where it has one).
const KNOWN: &[(&str, &str, &str)] = &[
    ("host", "http.host", "Host"),
    ("upgrade", "http.upgrade", "Upgrade"),
    ("connection", "http.connection", "Connection"),
    (
        "sec-websocket-key",
        "http.sec_websocket_key",
        "Sec-WebSocket-Key",
    ),
    (
        "sec-websocket-accept",
        "http.sec_websocket_accept",
        "Sec-WebSocket-Accept",
    ),
    (
        "sec-websocket-version",
        "http.sec_websocket_version",
        "Sec-WebSocket-Version",
    ),
    (
        "sec-websocket-protocol",
        "http.sec_websocket_protocol",
        "Sec-WebSocket-Protocol",
    ),
    (
        "sec-websocket-extensions",
        "http.sec_websocket_extensions",
        "Sec-WebSocket-Extensions",
    ),
    ("origin", "http.origin", "Origin"),
    ("content-length", "http.content_length", "Content-Length"),
    (
        "transfer-encoding",
        "http.transfer_encoding",
        "Transfer-Encoding",
    ),
    ("content-type", "http.content_type", "Content-Type"),
    ("user-agent", "http.user_agent", "User-Agent"),
    ("server", "http.server", "Server"),
    ("cookie", "http.cookie", "Cookie"),
    ("set-cookie", "http.set_cookie", "Set-Cookie"),
];

pub fn head_fields(h: &HttpHead) -> Vec<Field> {
    let layout = if h.layout.headers.len() == h.headers.len() && h.layout.line_end > 0 {
        h.layout.clone()
    } else {
        canonical_layout(h)
    };
    let r = |s: (u32, u32)| s.0 as usize..s.1 as usize;
    let l = &layout.line;
    let mut out = Vec::with_capacity(h.headers.len() + 2);
    let line = match &h.kind {
        HttpKind::Request { method, path } => Field::bytes(
            "http.request_line",
            "Request line",
            format!("{method} {path} {}", h.version),
            0..layout.line_end as usize,
        )
        .with_children(vec![
            Field::bytes("http.request.method", "Method", method.clone(), r(l[0])),
            Field::bytes("http.request.uri", "Request target", path.clone(), r(l[1])),
            Field::bytes(
                "http.request.version",
                "Version",
                h.version.clone(),
                r(l[2]),
            ),
        ]),
        HttpKind::Response { status, reason } => Field::bytes(
            "http.status_line",
            "Status line",
            format!("{} {status} {reason}", h.version),
            0..layout.line_end as usize,
        )
        .with_children(vec![
            Field::bytes(
                "http.response.version",
                "Version",
                h.version.clone(),
                r(l[0]),
            ),
            Field::bytes(
                "http.response.code",
                "Status code",
                status.to_string(),
                r(l[1]),
            ),
            Field::bytes(
                "http.response.phrase",
                "Reason phrase",
                reason.clone(),
                r(l[2]),
            ),
        ]),
    };
    out.push(line);
    for ((name, value), s) in h.headers.iter().zip(&layout.headers) {
        let (fname, label) = KNOWN
            .iter()
            .find(|(k, _, _)| name.eq_ignore_ascii_case(k))
            .map_or(("http.header", "Header"), |(_, f, l)| (*f, *l));
        out.push(
            Field::bytes(
                fname,
                label,
                format!("{name}: {value}"),
                s.name.0 as usize..s.line_end as usize,
            )
            .with_children(vec![
                Field::bytes("http.header.name", "Name", name.clone(), r(s.name)),
                Field::bytes("http.header.value", "Value", value.clone(), r(s.value)),
            ]),
        );
    }
    let end = layout
        .headers
        .last()
        .map_or(layout.line_end, |s| s.line_end);
    out.push(Field::bytes(
        "http.end_of_head",
        "End of head",
        "blank line".to_string(),
        end as usize..(h.head_len as usize).max(end as usize),
    ));
    out
}

/// Positions as if the head had been written canonically (single spaces, `: `, CRLF), for heads
/// that were built rather than parsed.
fn canonical_layout(h: &HttpHead) -> HeadLayout {
    let (a, b, c) = match &h.kind {
        HttpKind::Request { method, path } => (method.len(), path.len(), h.version.len()),
        HttpKind::Response { reason, .. } => (h.version.len(), 3, reason.len()),
    };
    let p0 = (0, a as u32);
    let p1 = (a as u32 + 1, (a + 1 + b) as u32);
    let p2 = (p1.1 + 1, p1.1 + 1 + c as u32);
    let mut pos = p2.1 + 2;
    let line_end = pos;
    let mut headers = Vec::with_capacity(h.headers.len());
    for (n, v) in &h.headers {
        let name = (pos, pos + n.len() as u32);
        let value = (name.1 + 2, name.1 + 2 + v.len() as u32);
        pos = value.1 + 2;
        headers.push(HeaderSpan {
            name,
            value,
            line_end: pos,
        });
    }
    HeadLayout {
        line: [p0, p1, p2],
        line_end,
        headers,
    }
}
