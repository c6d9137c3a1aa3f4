//! GraphQL over WebSocket, both protocols: `graphql-transport-ws` (the npm `graphql-ws`
//! library) and the legacy `graphql-ws` (subscriptions-transport-ws). Every message is a JSON
//! object with a `type`; operations are identified by `id`. Results (`next`, legacy `data`),
//! `error` and `complete` are paired with the `subscribe` (legacy `start`) of the same id, with
//! the time since it; `connection_ack` with `connection_init`, `pong` with `ping`.
//!
//! Recorded from real peers: `captures/graphql-ws.pcap` (npm graphql-ws) and
//! `captures/graphql-legacy.pcap` (subscriptions-transport-ws), checked in tests/decode/graphql.rs
//! against both ends' logs.

use super::{Origin, note};
use crate::event::{AppMessage, AppProto, AppReply, Dir, Event, PktNum, Ts};
use rustc_hash::FxHashMap;
use serde_json::Value;

const MAX_PENDING: usize = 4096;
/// Cancelled operations still known (for results that were already on their way).
const MAX_CANCELLED: usize = 64;

pub struct GraphqlWs {
    /// The legacy subscriptions-transport-ws protocol (`graphql-ws`).
    legacy: bool,
    /// Operations and handshakes waiting: (id, or "" for init/ping) → the request.
    pending: FxHashMap<(Dir, String), Asked>,
    /// Operations the client cancelled, oldest first: forgotten beyond MAX_CANCELLED.
    cancelled: std::collections::VecDeque<(Dir, String)>,
}

/// A request's packet, time and operation name, kept until its answer.
type Asked = (PktNum, Ts, Option<Box<str>>);

/// The decoder for a negotiated subprotocol, if it is one of the two.
pub fn for_protocol(p: &str) -> Option<GraphqlWs> {
    let legacy = match p {
        "graphql-transport-ws" => false,
        "graphql-ws" => true,
        _ => return None,
    };
    Some(GraphqlWs {
        legacy,
        pending: FxHashMap::default(),
        cancelled: Default::default(),
    })
}

impl GraphqlWs {
    pub fn message(&mut self, o: Origin, text: &str, out: &mut Vec<Event>) {
        let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(text) else {
            return note(
                out,
                o,
                "GraphQL over WebSocket message is not a JSON object".into(),
            );
        };
        let Some(ty) = obj
            .remove("type")
            .and_then(|t| t.as_str().map(str::to_string))
        else {
            return note(
                out,
                o,
                "GraphQL over WebSocket message without a type".into(),
            );
        };
        let kind: &'static str = match ty.as_str() {
            "connection_init" => "connection_init",
            "connection_ack" => "connection_ack",
            "connection_error" => "connection_error",
            "connection_terminate" => "connection_terminate",
            "ka" => "ka",
            "ping" => "ping",
            "pong" => "pong",
            "subscribe" => "subscribe",
            "start" => "start",
            "next" => "next",
            "data" => "data",
            "error" => "error",
            "complete" => "complete",
            "stop" => "stop",
            other => {
                return note(
                    out,
                    o,
                    format!("unknown GraphQL over WebSocket message type {other:?}"),
                );
            }
        };
        let id = obj
            .remove("id")
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string));
        let payload = obj.remove("payload");
        // The operation's name, or the first word of its query.
        let name = payload.as_ref().and_then(|p| {
            p.get("operationName")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    p.get("query")
                        .and_then(Value::as_str)
                        .map(|q| q.split(['{', '(']).next().unwrap_or("").trim().to_string())
                })
                .filter(|s| !s.is_empty())
        });
        let mut m = AppMessage {
            conn: o.conn,
            pkt: o.pkt,
            ts: o.ts,
            dir: o.dir,
            proto: AppProto::GraphqlWs,
            kind,
            transport: None,
            id: id.as_deref().map(Into::into),
            name: name.as_deref().map(Into::into),
            nsp: None,
            args: payload,
            reply: None,
            fields: vec![(
                "subprotocol",
                if self.legacy {
                    "graphql-ws"
                } else {
                    "graphql-transport-ws"
                }
                .into(),
            )],
            attachments: Vec::new(),
        };
        let key = |d: Dir| (d, id.clone().unwrap_or_default());
        match kind {
            "connection_init" | "ping" | "subscribe" | "start"
                if self.pending.len() < MAX_PENDING =>
            {
                self.pending
                    .insert(key(o.dir), (o.pkt, o.ts, m.name.clone()));
            }
            // A client's `complete` (graphql-transport-ws) or `stop` (legacy) cancels its own
            // operation: it is named after it, and the operation stays known for a while, as
            // results already on their way still arrive after it (real servers send them).
            "complete" | "stop" if o.dir == Dir::C2S => {
                let k = key(o.dir);
                if let Some((pkt, _, name)) = self.pending.get(&k).cloned() {
                    // Not an answer: the client's own request, so no reply_to.
                    m.fields.push(("cancels", pkt.to_string()));
                    if m.name.is_none() {
                        m.name = name;
                    }
                    self.cancelled.push_back(k);
                    if self.cancelled.len() > MAX_CANCELLED
                        && let Some(old) = self.cancelled.pop_front()
                    {
                        self.pending.remove(&old);
                    }
                }
            }
            "connection_ack" | "connection_error" | "pong" | "next" | "data" | "error"
            | "complete" => {
                // A result keeps its operation open; its end (complete, error) closes it.
                let k = key(o.dir.flip());
                let hit = if matches!(kind, "next" | "data") {
                    self.pending.get(&k).cloned()
                } else {
                    self.pending.remove(&k)
                };
                if let Some((pkt, ts, name)) = hit {
                    m.reply = Some(AppReply {
                        pkt,
                        rtt_ns: o.ts.0 - ts.0,
                        name: name.clone(),
                    });
                    if m.name.is_none() {
                        m.name = name;
                    }
                }
            }
            _ => {}
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

    fn run(g: &mut GraphqlWs, msgs: &[(Dir, &str)]) -> Vec<Event> {
        let mut out = Vec::new();
        for (i, (d, t)) in msgs.iter().enumerate() {
            g.message(o(*d, i as u64 + 1), t, &mut out);
        }
        out
    }

    #[test]
    fn transport_ws_subscription_flow() {
        let mut g = for_protocol("graphql-transport-ws").unwrap();
        let out = run(
            &mut g,
            &[
                (Dir::C2S, r#"{"type":"connection_init","payload":{}}"#),
                (Dir::S2C, r#"{"type":"connection_ack"}"#),
                (
                    Dir::C2S,
                    r#"{"id":"1","type":"subscribe","payload":{"query":"subscription Greetings { greetings }"}}"#,
                ),
                (
                    Dir::S2C,
                    r#"{"id":"1","type":"next","payload":{"data":{"greetings":"Hi"}}}"#,
                ),
                (
                    Dir::S2C,
                    r#"{"id":"1","type":"next","payload":{"data":{"greetings":"Bonjour"}}}"#,
                ),
                (Dir::S2C, r#"{"id":"1","type":"complete"}"#),
                (Dir::C2S, r#"{"type":"ping"}"#),
                (Dir::S2C, r#"{"type":"pong"}"#),
                (Dir::S2C, r#"{"type":"nonsense"}"#),
                (Dir::S2C, "[1]"),
            ],
        );
        let apps: Vec<&AppMessage> = out
            .iter()
            .filter_map(|e| match e {
                Event::App(a) => Some(&**a),
                _ => None,
            })
            .collect();
        assert_eq!(apps.len(), 8);
        assert_eq!(apps[1].reply.as_ref().unwrap().pkt, 1);
        assert_eq!(apps[2].name.as_deref(), Some("subscription Greetings"));
        for a in &apps[3..6] {
            assert_eq!(a.reply.as_ref().unwrap().pkt, 3, "{a:?}");
        }
        assert_eq!(apps[7].reply.as_ref().unwrap().pkt, 7);
        assert_eq!(out.len() - apps.len(), 2, "two notes");
    }

    #[test]
    fn legacy_protocol_start_data_stop() {
        let mut g = for_protocol("graphql-ws").unwrap();
        let out = run(
            &mut g,
            &[
                (Dir::C2S, r#"{"type":"connection_init","payload":{}}"#),
                (Dir::S2C, r#"{"type":"connection_ack"}"#),
                (Dir::S2C, r#"{"type":"ka"}"#),
                (
                    Dir::C2S,
                    r#"{"id":"7","type":"start","payload":{"query":"{ now }","operationName":null}}"#,
                ),
                (
                    Dir::S2C,
                    r#"{"id":"7","type":"data","payload":{"data":{"now":1}}}"#,
                ),
                (Dir::C2S, r#"{"id":"7","type":"stop"}"#),
            ],
        );
        let Event::App(d) = &out[4] else { panic!() };
        assert_eq!((d.kind, d.reply.as_ref().map(|r| r.pkt)), ("data", Some(4)));
        assert_eq!(d.field("subprotocol"), Some("graphql-ws"));
        assert!(for_protocol("mqtt").is_none());
    }
}
