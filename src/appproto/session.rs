//! Engine.IO sessions: what is remembered between packets, by session id (a session's packets
//! come over several TCP connections). Acks wait here for their answers, binary events for
//! their attachments. Everything is bounded: a capture full of sessions or unanswered events
//! cannot grow memory without limit.

use super::engineio::{self, Data};
use super::socketio;
use super::{Origin, note};
use crate::event::{AppMessage, AppProto, AppReply, Dir, Event, PktNum, Ts};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Sessions remembered at once; beyond it the least recently used is forgotten.
const MAX_SESSIONS: usize = 4096;
/// Events waiting for their ack, per session.
const MAX_ASKED: usize = 4096;

#[derive(Default)]
pub struct Sessions {
    map: HashMap<Box<str>, Session>,
    clock: u64,
}

struct Session {
    used: u64,
    /// Per direction: a binary event or ack waiting for its attachments.
    waiting: [Option<Waiting>; 2],
    /// Events sent with an ack id: (namespace, direction, id) → the event.
    asked: HashMap<(Box<str>, Dir, u64), Asked>,
}

struct Waiting {
    msg: AppMessage,
    payload: Value,
    need: usize,
    got: Vec<Value>,
}

struct Asked {
    pkt: PktNum,
    ts: Ts,
    name: Option<Box<str>>,
}

fn base(o: Origin, proto: AppProto, kind: &'static str) -> AppMessage {
    AppMessage {
        conn: o.conn,
        pkt: o.pkt,
        ts: o.ts,
        dir: o.dir,
        proto,
        kind,
        transport: Some(o.transport),
        id: None,
        name: None,
        nsp: None,
        args: None,
        reply: None,
        fields: Vec::new(),
        attachments: Vec::new(),
    }
}

fn attachment(bytes: Option<&[u8]>, len: u64) -> Value {
    match bytes {
        Some(b) => json!({"_binary": len, "sha256": hex(&crate::event::sha256(b))}),
        None => json!({ "_binary": len }),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Sessions {
    fn get(&mut self, key: &str) -> &mut Session {
        self.clock += 1;
        if !self.map.contains_key(key) {
            if self.map.len() >= MAX_SESSIONS
                && let Some(old) = self
                    .map
                    .iter()
                    .min_by_key(|(_, s)| s.used)
                    .map(|(k, _)| k.clone())
            {
                self.map.remove(&old);
            }
            self.map.insert(
                key.into(),
                Session {
                    used: 0,
                    waiting: [None, None],
                    asked: HashMap::new(),
                },
            );
        }
        let s = self.map.get_mut(key).expect("inserted above");
        s.used = self.clock;
        s
    }

    /// One Engine.IO packet of session `key`.
    pub fn packet(
        &mut self,
        key: &str,
        version: u8,
        o: Origin,
        p: engineio::Packet,
        out: &mut Vec<Event>,
    ) {
        let s = self.get(key);
        match (p.kind, p.data) {
            (engineio::Kind::Message, Data::Text(t)) => match socketio::parse(&t) {
                Ok(sp) => s.socketio(o, sp, out),
                Err(_) => {
                    // Plain Engine.IO (no Socket.IO on top): the message as it is.
                    let mut m = base(o, AppProto::EngineIo, "message");
                    m.args = Some(Value::String(t));
                    out.push(Event::App(Box::new(m)));
                }
            },
            // socket.io-msgpack-parser: a whole Socket.IO packet in one binary message. Not
            // while the default parser's binary event waits for its attachments (those are
            // raw bytes that could happen to read as MessagePack).
            (engineio::Kind::Message, Data::Binary(b))
                if s.waiting[o.dir.idx()].is_none()
                    && let Ok(sp) = socketio::parse_msgpack(&b) =>
            {
                s.socketio(o, sp, out)
            }
            (engineio::Kind::Message, Data::Binary(b)) => {
                s.binary(o, Some(&b), b.len() as u64, out)
            }
            (kind, data) => {
                let mut m = base(o, AppProto::EngineIo, kind.as_str());
                if kind == engineio::Kind::Open {
                    m.fields.push(("version", version.to_string()));
                }
                let text = match data {
                    Data::Text(t) => t,
                    Data::Binary(b) => format!("{} bytes", b.len()),
                };
                if matches!(kind, engineio::Kind::Ping | engineio::Kind::Pong) && text == "probe" {
                    m.fields.push(("probe", "true".into()));
                }
                if kind == engineio::Kind::Open {
                    match serde_json::from_str::<Value>(&text) {
                        Ok(v) => {
                            m.id = v.get("sid").and_then(Value::as_str).map(Into::into);
                            m.args = Some(v);
                        }
                        Err(_) => note(out, o, "Engine.IO open packet is not JSON".into()),
                    }
                } else if !text.is_empty() {
                    m.args = Some(Value::String(text));
                }
                out.push(Event::App(Box::new(m)));
            }
        }
    }

    /// A binary message of which only the length is known (cut to its preview).
    pub fn binary_len(
        &mut self,
        key: &str,
        _version: u8,
        o: Origin,
        len: u64,
        out: &mut Vec<Event>,
    ) {
        self.get(key).binary(o, None, len, out);
    }
}

impl Session {
    fn socketio(&mut self, o: Origin, p: socketio::Packet, out: &mut Vec<Event>) {
        let mut m = base(o, AppProto::SocketIo, p.kind.as_str());
        m.nsp = Some(p.nsp.as_str().into());
        m.id = p.id.map(|i| i.to_string().into());
        if p.msgpack {
            m.fields.push(("parser", "msgpack".into()));
        }
        let payload = p.payload.unwrap_or(Value::Null);
        if let Some(prev) = self.waiting[o.dir.idx()].take() {
            note(
                out,
                o,
                format!(
                    "a binary Socket.IO packet got {} of its {} attachments before the next packet",
                    prev.got.len(),
                    prev.need
                ),
            );
        }
        if p.attachments > 0 {
            self.waiting[o.dir.idx()] = Some(Waiting {
                msg: m,
                payload,
                need: p.attachments,
                got: Vec::new(),
            });
            return;
        }
        self.finish(m, payload, out);
    }

    fn binary(&mut self, o: Origin, bytes: Option<&[u8]>, len: u64, out: &mut Vec<Event>) {
        let Some(w) = &mut self.waiting[o.dir.idx()] else {
            let mut m = base(o, AppProto::EngineIo, "message");
            m.args = Some(attachment(bytes, len));
            m.fields.push(("binary", "true".into()));
            out.push(Event::App(Box::new(m)));
            return;
        };
        w.got.push(attachment(bytes, len));
        w.msg.attachments.push(len);
        if w.got.len() < w.need {
            return;
        }
        let w = self.waiting[o.dir.idx()].take().expect("checked above");
        let mut m = w.msg;
        // The joined event is complete with its last attachment: that is its packet and time.
        m.pkt = o.pkt;
        m.ts = o.ts;
        if m.transport != Some(o.transport) {
            m.transport = Some(o.transport);
        }
        let mut payload = w.payload;
        let got = w.got;
        socketio::fill_placeholders(&mut payload, &|n| got.get(n).cloned());
        self.finish(m, payload, out);
    }

    /// Name, arguments and ack pairing, then out.
    fn finish(&mut self, mut m: AppMessage, payload: Value, out: &mut Vec<Event>) {
        let nsp: Box<str> = m.nsp.clone().unwrap_or_else(|| "/".into());
        match m.kind {
            "event" => {
                let mut items = match payload {
                    Value::Array(a) => a,
                    other => vec![other],
                };
                let name = match items.first() {
                    Some(Value::String(_)) => match items.remove(0) {
                        Value::String(s) => Some(s),
                        _ => None,
                    },
                    _ => None,
                };
                m.name = name.map(Into::into);
                m.args = Some(Value::Array(items));
                if let Some(id) = m.id.as_deref().and_then(|i| i.parse::<u64>().ok())
                    && self.asked.len() < MAX_ASKED
                {
                    self.asked.insert(
                        (nsp, m.dir, id),
                        Asked {
                            pkt: m.pkt,
                            ts: m.ts,
                            name: m.name.clone(),
                        },
                    );
                }
            }
            "ack" => {
                if let Some(id) = m.id.as_deref().and_then(|i| i.parse::<u64>().ok())
                    && let Some(a) = self.asked.remove(&(nsp, m.dir.flip(), id))
                {
                    m.reply = Some(AppReply {
                        pkt: a.pkt,
                        rtt_ns: m.ts.0 - a.ts.0,
                        name: a.name,
                    });
                }
                m.args = Some(payload);
            }
            _ => {
                if !payload.is_null() {
                    m.args = Some(payload);
                }
            }
        }
        out.push(Event::App(Box::new(m)));
    }
}
