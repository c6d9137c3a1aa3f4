//! HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>) with Chrome's extension for
//! WebSocket traffic: one entry per upgraded connection, its upgrade request and 101 response,
//! `_resourceType: "websocket"` and `_webSocketMessages` (`type` send/receive, `time` in
//! seconds since the Unix epoch, `opcode` 1 or 2, `data` — base64 for binary), the shape
//! Chrome DevTools writes and imports.

use crate::event::{ConnId, Dir, Event, HttpHead, HttpKind, Opcode, WsMessage};
use base64::Engine as _;
use rustc_hash::FxHashMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;

#[derive(Default)]
pub struct Har {
    /// Nanoseconds since the Unix epoch of the capture's first packet (events' `ts` are
    /// relative to it); set before [`Har::finish`].
    pub base_ns: i64,
    servers: FxHashMap<ConnId, SocketAddr>,
    last_req: FxHashMap<ConnId, Box<HttpHead>>,
    last_resp: FxHashMap<ConnId, Box<HttpHead>>,
    entries: BTreeMap<ConnId, Entry>,
}

struct Entry {
    req: Option<Box<HttpHead>>,
    resp: Option<Box<HttpHead>>,
    server: Option<SocketAddr>,
    /// Each message's time (relative, ns) and its object without `time` yet.
    msgs: Vec<(i64, Value)>,
}

impl Har {
    /// Every event, in order (they set up the entries).
    pub fn event(&mut self, ev: &Event) {
        match ev {
            Event::ConnOpen(o) => {
                self.servers.insert(o.conn, o.server);
            }
            Event::Http(h) => {
                let map = match h.dir {
                    Dir::C2S => &mut self.last_req,
                    Dir::S2C => &mut self.last_resp,
                };
                map.insert(h.conn, h.clone());
            }
            Event::WsHandshake(h) if h.upgraded => {
                self.entries.insert(
                    h.conn,
                    Entry {
                        req: self.last_req.remove(&h.conn),
                        resp: self.last_resp.remove(&h.conn),
                        server: self.servers.get(&h.conn).copied(),
                        msgs: Vec::new(),
                    },
                );
            }
            Event::ConnClose(c) => {
                self.last_req.remove(&c.conn);
                self.last_resp.remove(&c.conn);
                self.servers.remove(&c.conn);
            }
            _ => {}
        }
    }

    /// A data message to list in its connection's entry.
    pub fn message(&mut self, m: &WsMessage) {
        let opcode = match m.opcode {
            Opcode::Text => 1,
            Opcode::Binary => 2,
            _ => return,
        };
        let Some(e) = self.entries.get_mut(&m.conn) else {
            return;
        };
        let data = match &m.text {
            Some(t) => t.clone(),
            None => base64::engine::general_purpose::STANDARD.encode(&m.data),
        };
        e.msgs.push((
            m.ts.0,
            json!({
                "type": if m.dir == Dir::C2S { "send" } else { "receive" },
                "opcode": opcode,
                "data": data,
            }),
        ));
    }

    /// The HAR document.
    pub fn finish(self) -> Value {
        let base = self.base_ns;
        let entries: Vec<Value> = self.entries.into_values().map(|e| entry(e, base)).collect();
        json!({"log": {
            "version": "1.2",
            "creator": {"name": "wslens", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
        }})
    }
}

fn headers(h: Option<&HttpHead>) -> Value {
    Value::Array(
        h.map(|h| {
            h.headers
                .iter()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect()
        })
        .unwrap_or_default(),
    )
}

fn entry(e: Entry, base: i64) -> Value {
    let req = e.req.as_deref();
    let resp = e.resp.as_deref();
    let (method, path) = match req.map(|r| &r.kind) {
        Some(HttpKind::Request { method, path }) => (method.clone(), path.clone()),
        _ => ("GET".to_string(), "/".to_string()),
    };
    let host = req
        .and_then(|r| r.header("host"))
        .map(str::to_string)
        .or_else(|| e.server.map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown".into());
    let query: Vec<Value> = path
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (n, v) = p.split_once('=').unwrap_or((p, ""));
                    json!({"name": n, "value": v})
                })
                .collect()
        })
        .unwrap_or_default();
    let (status, reason) = match resp.map(|r| &r.kind) {
        Some(HttpKind::Response { status, reason }) => (*status, reason.clone()),
        _ => (101, "Switching Protocols".to_string()),
    };
    let t_req = req.map_or(0, |r| r.ts.0);
    let t_resp = resp.map_or(t_req, |r| r.ts.0);
    let wait = (t_resp - t_req).max(0) as f64 / 1e6;
    json!({
        "startedDateTime": iso8601(base + t_req),
        "time": wait,
        "request": {
            "method": method,
            "url": format!("ws://{host}{path}"),
            "httpVersion": req.map_or("HTTP/1.1".to_string(), |r| r.version.clone()),
            "cookies": [],
            "headers": headers(req),
            "queryString": query,
            "headersSize": req.map_or(-1, |r| r.head_len as i64),
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": reason,
            "httpVersion": resp.map_or("HTTP/1.1".to_string(), |r| r.version.clone()),
            "cookies": [],
            "headers": headers(resp),
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": resp.map_or(-1, |r| r.head_len as i64),
            "bodySize": 0,
        },
        "cache": {},
        "timings": {"send": 0, "wait": wait, "receive": 0},
        "_resourceType": "websocket",
        "_webSocketMessages": e.msgs.into_iter().map(|(t, mut v)| {
            v["time"] = json!((base + t) as f64 / 1e9);
            v
        }).collect::<Vec<_>>(),
    })
}

/// `2026-11-29T18:33:54.123Z` from nanoseconds since the Unix epoch.
pub fn iso8601(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}
