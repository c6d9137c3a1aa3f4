//! The fields a filter can name, and their values in an event. A field an event does not have
//! gives no value (and so matches nothing but `!`).

use crate::event::{ConnId, Event, HttpKind};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    Num(f64),
    Str(Cow<'a, str>),
    Bool(bool),
}

macro_rules! fields {
    ($($v:ident = $name:literal : $doc:literal),* $(,)?) => {
        /// A named field of the filter language.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Field { $($v),* }
        impl Field {
            /// Every field: name and what it is (docs/filters.md lists the same).
            pub const ALL: &'static [(Field, &'static str, &'static str)] =
                &[$((Field::$v, $name, $doc)),*];
        }
    };
}

fields! {
    Event = "event": "event kind: tcp, http, ws_frame, ws_message, app, note, …",
    Conn = "conn": "connection number",
    Pkt = "pkt": "packet number",
    Ts = "ts": "seconds since the first packet",
    Dir = "dir": "c2s or s2c",
    Port = "port": "either port of the connection",
    TcpFlags = "tcp.flags": "flags as SYN,ACK",
    TcpAnalysis = "tcp.analysis": "analysis findings (retransmission, duplicate-ack, …)",
    TcpLen = "tcp.len": "TCP payload length",
    TcpSeq = "tcp.seq": "relative sequence number",
    TcpAck = "tcp.ack": "relative acknowledgement number",
    TcpWin = "tcp.win": "window (scaled when known)",
    TcpState = "tcp.state": "either end's state after the segment (ESTABLISHED, …)",
    UdpLen = "udp.len": "UDP payload length",
    HttpMethod = "http.method": "request method",
    HttpPath = "http.path": "request target",
    HttpStatus = "http.status": "response status code",
    HttpHost = "http.host": "Host header",
    WsOpcode = "ws.opcode": "text, binary, close, ping, pong, continuation",
    WsLen = "ws.len": "payload length (frame or whole message)",
    WsText = "ws.text": "a text message's text",
    WsFin = "ws.fin": "frame's FIN bit",
    WsMasked = "ws.masked": "frame is masked",
    WsCompressed = "ws.compressed": "message was compressed (permessage-deflate)",
    WsCloseCode = "ws.close_code": "close code",
    WsProtocol = "ws.protocol": "negotiated subprotocol (handshake)",
    AppProto = "app.proto": "engine.io, socket.io, …",
    AppType = "app.type": "event, ack, ping, open, …",
    AppName = "app.name": "event name (topic, destination, method)",
    AppId = "app.id": "ack or request id",
    AppNsp = "app.nsp": "Socket.IO namespace",
    AppTransport = "app.transport": "polling or websocket",
    AppArgs = "app.args": "arguments as JSON text",
    AppRtt = "app.rtt": "an answer's round trip in ms",
    AppDestination = "app.destination": "STOMP destination (app.name of STOMP frames)",
    AppTopic = "app.topic": "MQTT topic (app.name of MQTT packets)",
    AppMethod = "app.method": "JSON-RPC / CDP method (app.name of JSON-RPC messages)",
    NoteCode = "note.code": "a note's code",
    NoteLevel = "note.level": "info, warn, error",
    NoteText = "note.text": "a note's text",
}

impl Field {
    pub fn by_name(n: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(n))
            .map(|(f, _, _)| *f)
    }
}

/// What filters remember between events: the ports of each connection.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub ports: FxHashMap<ConnId, [u16; 2]>,
}

fn s(v: &str) -> Val<'_> {
    Val::Str(Cow::Borrowed(v))
}

/// The values of `f` in `ev` (several for `port` and `tcp.state`), pushed to `out`.
pub fn values<'a>(f: Field, ev: &'a Event, ports: Option<[u16; 2]>, out: &mut Vec<Val<'a>>) {
    use Event as E;
    let n = |x: f64| Val::Num(x);
    match f {
        Field::Event => out.push(s(ev.name())),
        Field::Conn => {
            if let Some(c) = ev.conn() {
                out.push(n(c as f64))
            }
        }
        Field::Pkt => {
            if let Some(p) = ev.pkt() {
                out.push(n(p as f64))
            }
        }
        Field::Ts => {
            let ts = ev.ts();
            if let Some(t) = ts {
                out.push(n(t.secs()))
            }
        }
        Field::Dir => {
            let d = match ev {
                E::Tcp(e) => Some(e.dir),
                E::Udp(e) => Some(e.dir),
                E::Http(e) => Some(e.dir),
                E::WsFrame(e) => Some(e.dir),
                E::WsMessage(e) => Some(e.dir),
                E::App(e) => Some(e.dir),
                _ => None,
            };
            if let Some(d) = d {
                out.push(s(d.as_str()))
            }
        }
        Field::Port => {
            if let Some(p) = ports {
                out.push(n(p[0] as f64));
                out.push(n(p[1] as f64));
            }
        }
        Field::TcpFlags => {
            if let E::Tcp(t) = ev {
                out.push(Val::Str(Cow::Owned(t.flags.to_string())))
            }
        }
        Field::TcpAnalysis => {
            if let E::Tcp(t) = ev
                && !t.analysis.is_empty()
            {
                out.push(Val::Str(Cow::Owned(
                    t.analysis.names().collect::<Vec<_>>().join(","),
                )))
            }
        }
        Field::TcpLen => {
            if let E::Tcp(t) = ev {
                out.push(n(t.len as f64))
            }
        }
        Field::TcpSeq => {
            if let E::Tcp(t) = ev {
                out.push(n(t.rel_seq as f64))
            }
        }
        Field::TcpAck => {
            if let E::Tcp(t) = ev {
                out.push(n(t.rel_ack as f64))
            }
        }
        Field::TcpWin => {
            if let E::Tcp(t) = ev {
                out.push(n(t.win_scaled.unwrap_or(t.win as u32) as f64))
            }
        }
        Field::TcpState => match ev {
            E::Tcp(t) => {
                out.push(s(t.client_state.as_str()));
                out.push(s(t.server_state.as_str()));
            }
            E::ConnClose(c) => {
                out.push(s(c.client_state.as_str()));
                out.push(s(c.server_state.as_str()));
            }
            _ => {}
        },
        Field::UdpLen => {
            if let E::Udp(u) = ev {
                out.push(n(u.len as f64))
            }
        }
        Field::HttpMethod | Field::HttpPath | Field::HttpStatus | Field::HttpHost => {
            let E::Http(h) = ev else { return };
            match (&h.kind, f) {
                (HttpKind::Request { method, .. }, Field::HttpMethod) => out.push(s(method)),
                (HttpKind::Request { path, .. }, Field::HttpPath) => out.push(s(path)),
                (HttpKind::Response { status, .. }, Field::HttpStatus) => {
                    out.push(n(*status as f64))
                }
                (_, Field::HttpHost) => {
                    if let Some(v) = h.header("host") {
                        out.push(s(v))
                    }
                }
                _ => {}
            }
        }
        Field::WsOpcode => match ev {
            E::WsFrame(fr) => out.push(s(fr.header.opcode.as_str())),
            E::WsMessage(m) => out.push(s(m.opcode.as_str())),
            _ => {}
        },
        Field::WsLen => match ev {
            E::WsFrame(fr) => out.push(n(fr.header.payload_len as f64)),
            E::WsMessage(m) => out.push(n(m.len as f64)),
            _ => {}
        },
        Field::WsText => {
            if let E::WsMessage(m) = ev
                && let Some(t) = &m.text
            {
                out.push(s(t))
            }
        }
        Field::WsFin => {
            if let E::WsFrame(fr) = ev {
                out.push(Val::Bool(fr.header.fin))
            }
        }
        Field::WsMasked => {
            if let E::WsFrame(fr) = ev {
                out.push(Val::Bool(fr.header.masked))
            }
        }
        Field::WsCompressed => {
            if let E::WsMessage(m) = ev {
                out.push(Val::Bool(m.compressed))
            }
        }
        Field::WsCloseCode => {
            if let E::WsMessage(m) = ev
                && let Some(c) = m.close_code
            {
                out.push(n(c as f64))
            }
        }
        Field::WsProtocol => {
            if let E::WsHandshake(h) = ev
                && let Some(p) = &h.protocol
            {
                out.push(s(p))
            }
        }
        Field::AppProto
        | Field::AppType
        | Field::AppName
        | Field::AppId
        | Field::AppNsp
        | Field::AppTransport
        | Field::AppArgs
        | Field::AppRtt
        | Field::AppDestination
        | Field::AppTopic
        | Field::AppMethod => {
            let E::App(a) = ev else { return };
            match f {
                // The NDJSON's name for app.name in that protocol: only its events have it.
                Field::AppDestination | Field::AppTopic | Field::AppMethod => {
                    let proto = match f {
                        Field::AppDestination => crate::event::AppProto::Stomp,
                        Field::AppTopic => crate::event::AppProto::Mqtt,
                        _ => crate::event::AppProto::JsonRpc,
                    };
                    if a.proto == proto
                        && let Some(v) = &a.name
                    {
                        out.push(s(v))
                    }
                }
                Field::AppProto => out.push(s(a.proto.as_str())),
                Field::AppType => out.push(s(a.kind)),
                Field::AppName => {
                    if let Some(v) = &a.name {
                        out.push(s(v))
                    }
                }
                Field::AppId => {
                    if let Some(v) = &a.id {
                        out.push(s(v))
                    }
                }
                Field::AppNsp => {
                    if let Some(v) = &a.nsp {
                        out.push(s(v))
                    }
                }
                Field::AppTransport => {
                    if let Some(t) = a.transport {
                        out.push(s(t.as_str()))
                    }
                }
                Field::AppArgs => {
                    if let Some(v) = &a.args {
                        out.push(Val::Str(Cow::Owned(v.to_string())))
                    }
                }
                _ => {
                    if let Some(r) = &a.reply {
                        out.push(n(r.rtt_ns as f64 / 1e6))
                    }
                }
            }
        }
        Field::NoteCode | Field::NoteLevel | Field::NoteText => {
            let E::Note(no) = ev else { return };
            out.push(match f {
                Field::NoteCode => s(no.code),
                Field::NoteLevel => s(no.level.as_str()),
                _ => s(&no.text),
            })
        }
    }
}
