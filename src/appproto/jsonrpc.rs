//! JSON-RPC 2.0 over WebSocket, and the Chrome DevTools Protocol, which has the same shape
//! without the `"jsonrpc":"2.0"` member: requests `{id, method, params}`, notifications (and
//! CDP events) `{method, params}`, responses `{id, result}` and errors `{id, error}`; a batch is
//! an array of them. Responses are paired with their request by id (the other direction), with
//! the round-trip time.

use super::{Origin, note};
use crate::event::{AppMessage, AppProto, AppReply, Dir, Event, PktNum, Ts};
use rustc_hash::FxHashMap;
use serde_json::Value;

/// Requests waiting for their response, per connection, at most.
const MAX_PENDING: usize = 4096;

#[derive(Default)]
pub struct JsonRpc {
    /// Requests by (the direction they went, id as JSON text).
    pending: FxHashMap<(Dir, String), (PktNum, Ts, Box<str>)>,
    /// No `"jsonrpc":"2.0"` seen: the Chrome DevTools Protocol's dialect.
    pub cdp: bool,
}

/// Whether a text message starts a JSON-RPC (or CDP) conversation.
pub fn recognise(text: &str) -> Option<JsonRpc> {
    let t = text.trim_start();
    if !t.starts_with('{') && !t.starts_with('[') {
        return None;
    }
    let v: Value = serde_json::from_str(text).ok()?;
    let first = match &v {
        Value::Array(a) => a.first()?,
        o => o,
    };
    let o = first.as_object()?;
    if o.get("jsonrpc").and_then(Value::as_str) == Some("2.0") {
        return Some(JsonRpc::default());
    }
    // CDP: a command has a numeric id and a method name.
    let cdp =
        o.get("id").is_some_and(Value::is_u64) && o.get("method").is_some_and(Value::is_string);
    cdp.then(|| JsonRpc {
        cdp: true,
        ..Default::default()
    })
}

impl JsonRpc {
    pub fn message(&mut self, o: Origin, text: &str, out: &mut Vec<Event>) {
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return note(out, o, format!("JSON-RPC message is not JSON ({e})")),
        };
        match v {
            Value::Array(items) => {
                let n = items.len();
                for item in items {
                    self.one(o, item, Some(n), out);
                }
            }
            v => self.one(o, v, None, out),
        }
    }

    fn one(&mut self, o: Origin, v: Value, batch: Option<usize>, out: &mut Vec<Event>) {
        let Value::Object(mut obj) = v else {
            return note(out, o, "JSON-RPC message is not an object".into());
        };
        let id = obj.remove("id").filter(|i| !i.is_null());
        let method = obj
            .remove("method")
            .and_then(|m| m.as_str().map(str::to_string));
        let (kind, args) = match (&method, &id) {
            (Some(_), Some(_)) => ("request", obj.remove("params")),
            (Some(_), None) => ("notification", obj.remove("params")),
            (None, Some(_)) if obj.contains_key("error") => ("error", obj.remove("error")),
            (None, Some(_)) if obj.contains_key("result") => ("response", obj.remove("result")),
            _ => {
                return note(
                    out,
                    o,
                    "JSON-RPC message with neither a method nor a result or error".into(),
                );
            }
        };
        let id_text = id.as_ref().map(|i| match i {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let mut m = AppMessage {
            conn: o.conn,
            pkt: o.pkt,
            ts: o.ts,
            dir: o.dir,
            proto: AppProto::JsonRpc,
            kind,
            transport: None,
            id: id_text.as_deref().map(Into::into),
            name: method.as_deref().map(Into::into),
            nsp: None,
            args,
            reply: None,
            fields: Vec::new(),
            attachments: Vec::new(),
        };
        if self.cdp {
            m.fields.push(("dialect", "cdp".into()));
        }
        if let Some(n) = batch {
            m.fields.push(("batch", n.to_string()));
        }
        if let Some(key) = id.as_ref().map(|i| i.to_string()) {
            match kind {
                "request" => {
                    if self.pending.len() < MAX_PENDING {
                        let name: Box<str> = method.as_deref().unwrap_or("").into();
                        self.pending.insert((o.dir, key), (o.pkt, o.ts, name));
                    }
                }
                _ => {
                    if let Some((pkt, ts, name)) = self.pending.remove(&(o.dir.flip(), key)) {
                        m.reply = Some(AppReply {
                            pkt,
                            rtt_ns: o.ts.0 - ts.0,
                            name: Some(name.clone()),
                        });
                        // The method answered, for filters and labels.
                        m.name = Some(name);
                    }
                }
            }
        }
        out.push(Event::App(Box::new(m)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::AppTransport;

    fn o(dir: Dir, pkt: PktNum) -> Origin {
        Origin {
            conn: 1,
            pkt,
            ts: Ts(pkt as i64 * 1000),
            dir,
            transport: AppTransport::WebSocket,
        }
    }

    #[test]
    fn batches_pair_by_id_and_bad_input_is_a_note() {
        let mut j =
            recognise(r#"{"jsonrpc":"2.0","id":"a","method":"sum","params":[1,2]}"#).unwrap();
        assert!(!j.cdp);
        let mut out = Vec::new();
        j.message(o(Dir::C2S, 1), r#"[{"jsonrpc":"2.0","id":"a","method":"sum","params":[1,2]},{"jsonrpc":"2.0","method":"log"}]"#, &mut out);
        j.message(
            o(Dir::S2C, 3),
            r#"[{"jsonrpc":"2.0","id":"a","result":3}]"#,
            &mut out,
        );
        j.message(
            o(Dir::S2C, 4),
            r#"{"jsonrpc":"2.0","id":9,"error":{"code":-32601}}"#,
            &mut out,
        );
        j.message(o(Dir::S2C, 5), "{nope", &mut out);
        j.message(o(Dir::S2C, 6), "{}", &mut out);
        let kinds: Vec<&str> = out
            .iter()
            .map(|e| match e {
                Event::App(a) => a.kind,
                Event::Note(_) => "note",
                _ => "?",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "request",
                "notification",
                "response",
                "error",
                "note",
                "note"
            ]
        );
        let Event::App(r) = &out[2] else { panic!() };
        assert_eq!(r.reply.as_ref().map(|r| (r.pkt, r.rtt_ns)), Some((1, 2000)));
        assert_eq!(r.name.as_deref(), Some("sum"));
        let Event::App(e) = &out[3] else { panic!() };
        assert!(e.reply.is_none(), "id 9 was never asked");
    }

    #[test]
    fn recognition() {
        assert!(recognise(r#"{"id":1,"method":"Page.enable"}"#).unwrap().cdp);
        assert!(recognise(r#"{"id":"x","method":"a"}"#).is_none());
        assert!(recognise("hello").is_none());
        assert!(recognise(r#"{"a":1}"#).is_none());
        assert!(recognise("[]").is_none());
    }
}
