//! The WebSocket opening handshake check (RFC 6455 §4.1, §4.2.2) and the permessage-deflate
//! parameters the server agreed to (RFC 7692 §7.1).

use super::accept::expected_accept;
use crate::event::{DeflateParams, HttpHead, HttpKind, WsHandshake};

/// All values of a header, joined the way a list-valued header may be split across lines.
pub fn joined(h: &HttpHead, name: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for (n, v) in &h.headers {
        if n.eq_ignore_ascii_case(name) {
            match &mut out {
                Some(s) => {
                    s.push_str(", ");
                    s.push_str(v);
                }
                None => out = Some(v.clone()),
            }
        }
    }
    out
}

/// Does a comma-separated header (every instance of it) hold this token, case-insensitively?
pub fn has_token(h: &HttpHead, name: &str, token: &str) -> bool {
    h.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// A request that asks for a WebSocket: the response to it gets a `ws_handshake` event.
pub fn is_ws_attempt(req: &HttpHead) -> bool {
    has_token(req, "upgrade", "websocket") || req.header("sec-websocket-key").is_some()
}

/// A request asking to switch protocols at all: bytes after it may not be HTTP.
pub fn asks_upgrade(req: &HttpHead) -> bool {
    req.header("upgrade").is_some() || is_ws_attempt(req)
}

/// Check a request/response pair against RFC 6455 and say whether the connection switched.
pub fn check_upgrade(req: &HttpHead, resp: &HttpHead) -> WsHandshake {
    let mut problems = Vec::new();
    if let HttpKind::Request { method, .. } = &req.kind
        && method != "GET"
    {
        problems.push(format!("request method is {method}, not GET"));
    }
    if req.version == "HTTP/1.0" {
        problems.push("request is HTTP/1.0, the upgrade needs HTTP/1.1".to_string());
    }
    if !has_token(req, "upgrade", "websocket") {
        problems.push("request has no Upgrade: websocket".to_string());
    }
    if !has_token(req, "connection", "upgrade") {
        problems.push("request's Connection header lacks Upgrade".to_string());
    }
    let key = req
        .header("sec-websocket-key")
        .map(|k| k.trim().to_string());
    if key.is_none() {
        problems.push("request has no Sec-WebSocket-Key".to_string());
    }
    let version = req
        .header("sec-websocket-version")
        .map(|v| v.trim().to_string());
    match version.as_deref() {
        Some("13") => {}
        Some(v) => problems.push(format!("Sec-WebSocket-Version is {v}, not 13")),
        None => problems.push("request has no Sec-WebSocket-Version".to_string()),
    }

    let status = match &resp.kind {
        HttpKind::Response { status, .. } => *status,
        HttpKind::Request { .. } => 0,
    };
    let accept = resp
        .header("sec-websocket-accept")
        .map(|a| a.trim().to_string());
    let expected = key.as_deref().map(expected_accept);
    let accept_ok = matches!((&accept, &expected), (Some(a), Some(e)) if a == e);
    let extensions = joined(resp, "sec-websocket-extensions");
    let mut deflate = None;
    if let Some(ext) = &extensions {
        match parse_deflate(ext) {
            Ok(d) => deflate = d,
            Err(e) => {
                if status == 101 {
                    problems.push(format!("bad permessage-deflate response: {e}"));
                }
            }
        }
    }

    if status != 101 {
        let reason = match &resp.kind {
            HttpKind::Response { reason, .. } if !reason.is_empty() => format!(" {reason}"),
            _ => String::new(),
        };
        problems.push(format!("server answered {status}{reason}, not 101"));
    } else {
        // Only a 101 has to carry the handshake's response headers.
        if !has_token(resp, "upgrade", "websocket") {
            problems.push("response has no Upgrade: websocket".to_string());
        }
        if !has_token(resp, "connection", "upgrade") {
            problems.push("response's Connection header lacks Upgrade".to_string());
        }
        match &accept {
            None => problems.push("response has no Sec-WebSocket-Accept".to_string()),
            Some(_) if expected.is_some() && !accept_ok => {
                problems.push("Sec-WebSocket-Accept does not match the key".to_string())
            }
            Some(_) => {}
        }
    }

    WsHandshake {
        conn: resp.conn,
        pkt: resp.pkt,
        ts: resp.ts,
        status,
        key,
        accept,
        expected_accept: expected,
        accept_ok,
        version,
        protocol: joined(resp, "sec-websocket-protocol"),
        extensions,
        deflate,
        upgraded: problems.is_empty(),
        problems,
        tls: false,
    }
}

/// The permessage-deflate parameters in a Sec-WebSocket-Extensions value (the first
/// permessage-deflate offer or agreement in it). `Ok(None)` if it names no permessage-deflate.
pub fn parse_deflate(value: &str) -> Result<Option<DeflateParams>, String> {
    for ext in split_outside_quotes(value, ',') {
        let mut parts = split_outside_quotes(ext, ';').into_iter();
        let name = parts.next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("permessage-deflate") {
            continue;
        }
        let mut p = DeflateParams::default();
        let mut seen: Vec<String> = Vec::new();
        for param in parts {
            let (k, v) = match param.split_once('=') {
                Some((k, v)) => (k.trim(), Some(unquote(v.trim()))),
                None => (param.trim(), None),
            };
            if k.is_empty() {
                continue;
            }
            let k = k.to_ascii_lowercase();
            if seen.contains(&k) {
                return Err(format!("{k} given twice"));
            }
            seen.push(k.clone());
            match k.as_str() {
                "server_no_context_takeover" => p.server_no_context_takeover = true,
                "client_no_context_takeover" => p.client_no_context_takeover = true,
                "server_max_window_bits" => p.server_max_window_bits = window_bits(&k, v)?,
                "client_max_window_bits" => p.client_max_window_bits = window_bits(&k, v)?,
                _ => return Err(format!("unknown parameter {k}")),
            }
        }
        return Ok(Some(p));
    }
    Ok(None)
}

fn window_bits(k: &str, v: Option<&str>) -> Result<u8, String> {
    match v {
        // A client may offer client_max_window_bits without a value: it accepts any.
        None => Ok(15),
        Some(v) => match v.parse::<u8>() {
            Ok(b @ 8..=15) if !v.starts_with('0') => Ok(b),
            _ => Err(format!("{k}={v} is not 8..15")),
        },
    }
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

/// Split on `sep` except inside double quotes (quoted-string values may contain , and ;).
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}
