//! The application protocols above WebSocket: what the messages mean.
//!
//! Fed by the payloads of `ws_message` events (through [`Tap`], a sink wrapped around the
//! WebSocket decoder of connections that carry a recognised protocol) and by the bodies of
//! Engine.IO long-polling requests and responses (from the HTTP layer); emits `app` events.
//! Engine.IO sessions span several TCP connections (polls, then the WebSocket after the
//! upgrade), so their state is kept here by session id, not per connection.
//!
//! A message that does not parse becomes an `app-undecodable` note, never an error.

pub mod engineio;
mod graphql;
mod jsonrpc;
mod mqtt;
mod session;
pub mod socketio;
mod stomp;

use crate::event::{
    AppTransport, ConnId, Dir, Event, HttpHead, HttpKind, Level, Note, PktNum, Sink, Ts, Unhashed,
    WsMessage,
};
use session::Sessions;
use std::io::Read;

/// Polling bodies kept for decoding, at most (Engine.IO's own default limit is 1 MB).
pub const MAX_POLL_BODY: usize = 1 << 20;

/// Where a packet came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    pub conn: ConnId,
    pub pkt: PktNum,
    pub ts: Ts,
    pub dir: Dir,
    pub transport: AppTransport,
}

/// State of the application layer for the whole capture.
#[derive(Default)]
pub struct AppProtoLayer {
    sessions: Sessions,
}

/// How one WebSocket connection's messages are read above WebSocket.
pub struct WsApp {
    which: Which,
}

enum Which {
    /// Not known yet: the first data messages are looked at (this many more).
    Sniff(u8),
    /// Engine.IO (with Socket.IO inside when its messages parse as such). `key` is the session
    /// id, learnt from the URL or from the open packet.
    EngineIo { key: Option<Box<str>>, version: u8 },
    /// GraphQL over WebSocket (both protocols).
    Graphql(Box<graphql::GraphqlWs>),
    /// MQTT (3.1, 3.1.1, 5).
    Mqtt(Box<mqtt::Mqtt>),
    /// JSON-RPC 2.0 or the Chrome DevTools Protocol.
    JsonRpc(Box<jsonrpc::JsonRpc>),
    /// STOMP 1.0–1.2.
    Stomp(Box<stomp::Stomp>),
    /// Nothing recognised: messages pass untouched.
    Off,
}

/// Data messages looked at before giving up on recognising a protocol from content.
const SNIFF_MESSAGES: u8 = 4;

/// The Engine.IO side of an HTTP request: which session and version it belongs to.
#[derive(Clone, Debug)]
pub struct Poll {
    pub version: u8,
    pub sid: Option<String>,
    /// The request was a POST (its body holds the client's packets).
    pub post: bool,
}

impl Poll {
    /// An Engine.IO long-polling request, from its head.
    pub fn of_request(h: &HttpHead) -> Option<Poll> {
        let HttpKind::Request { method, path } = &h.kind else {
            return None;
        };
        let q = engineio::query(path)?;
        if q.transport.as_deref() != Some("polling") {
            return None;
        }
        Some(Poll {
            version: q.version,
            sid: q.sid,
            post: method == "POST",
        })
    }
}

impl WsApp {
    /// Whether whole binary payloads (not just a preview) are needed: Engine.IO attachments.
    pub fn wants_binary(&self) -> bool {
        matches!(
            self.which,
            Which::EngineIo { .. } | Which::Mqtt(_) | Which::Stomp(_)
        )
    }
}

impl AppProtoLayer {
    /// The decoder for a WebSocket connection that was just upgraded (`req` = its upgrade
    /// request, when captured). Every connection gets one: protocols are also recognised from
    /// content.
    pub fn ws_app(&mut self, req: Option<&HttpHead>, protocol: Option<&str>) -> Box<WsApp> {
        let proto = protocol.map(|p| p.trim().to_ascii_lowercase());
        if matches!(proto.as_deref(), Some("mqtt" | "mqttv3.1")) {
            return Box::new(WsApp {
                which: Which::Mqtt(Box::new(mqtt::Mqtt::new())),
            });
        }
        if let Some(s) = proto.as_deref().and_then(stomp::for_protocol) {
            return Box::new(WsApp {
                which: Which::Stomp(Box::new(s)),
            });
        }
        if let Some(g) = proto.as_deref().and_then(graphql::for_protocol) {
            return Box::new(WsApp {
                which: Which::Graphql(Box::new(g)),
            });
        }
        let which = match req.map(|r| &r.kind) {
            Some(HttpKind::Request { path, .. }) => match engineio::query(path) {
                Some(q) => Which::EngineIo {
                    key: q.sid.map(Into::into),
                    version: q.version,
                },
                None => Which::Sniff(SNIFF_MESSAGES),
            },
            _ => Which::Sniff(SNIFF_MESSAGES),
        };
        Box::new(WsApp { which })
    }

    /// A polling body ended: decode the packets in it.
    pub fn polling_body(
        &mut self,
        poll: &Poll,
        o: Origin,
        body: &[u8],
        encoding: Option<&str>,
        sink: &mut dyn Sink,
    ) {
        let mut out = Vec::new();
        let inflated;
        let body = match encoding.map(str::trim) {
            None | Some("") | Some("identity") => body,
            Some(enc) => match inflate_body(body, enc) {
                Ok(b) => {
                    inflated = b;
                    &inflated
                }
                Err(e) => {
                    note(&mut out, o, format!("polling body not decoded: {e}"));
                    flush(out, sink);
                    return;
                }
            },
        };
        match engineio::parse_payload(body, poll.version) {
            Ok(packets) => {
                // The handshake's response names the session in its open packet.
                let sid = poll.sid.clone().or_else(|| {
                    packets.iter().find_map(|p| match (&p.kind, &p.data) {
                        (engineio::Kind::Open, engineio::Data::Text(t)) => open_sid(t),
                        _ => None,
                    })
                });
                let key = sid.unwrap_or_else(|| format!("conn{}", o.conn));
                for p in packets {
                    self.sessions.packet(&key, poll.version, o, p, &mut out);
                }
            }
            Err(e) => note(
                &mut out,
                o,
                format!("Engine.IO polling body not decoded: {e}"),
            ),
        }
        flush(out, sink);
    }

    /// A WebSocket message of a connection: the `app` events it completes go to `out`.
    fn ws_message(&mut self, app: &mut WsApp, m: &WsMessage, out: &mut Vec<Event>) {
        use crate::event::Opcode;
        if !matches!(m.opcode, Opcode::Text | Opcode::Binary) || m.inflate_error.is_some() {
            return;
        }
        let o = Origin {
            conn: m.conn,
            pkt: m.pkt,
            ts: m.ts,
            dir: m.dir,
            transport: AppTransport::WebSocket,
        };
        if let Which::Sniff(left) = &mut app.which {
            *left -= 1;
            match &m.text {
                Some(t) if t.starts_with("0{") && open_sid(&t[1..]).is_some() => {
                    app.which = Which::EngineIo {
                        key: None,
                        version: 4,
                    }
                }
                Some(t)
                    if !m.text_truncated
                        && let Some(j) = jsonrpc::recognise(t) =>
                {
                    app.which = Which::JsonRpc(Box::new(j))
                }
                None if m.dir == Dir::C2S && mqtt::looks_like_connect(&m.data) => {
                    app.which = Which::Mqtt(Box::new(mqtt::Mqtt::new()))
                }
                // Without a subprotocol the version is learnt from CONNECTED; until then
                // headers are read as 1.2 escapes them (CONNECT's never are).
                Some(t) if m.dir == Dir::C2S && stomp::looks_like_connect(t.as_bytes()) => {
                    app.which = Which::Stomp(Box::new(stomp::Stomp::new(2)))
                }
                None if m.dir == Dir::C2S && stomp::looks_like_connect(&m.data) => {
                    app.which = Which::Stomp(Box::new(stomp::Stomp::new(2)))
                }
                _ if *left == 0 => app.which = Which::Off,
                _ => return,
            }
        }
        if let Which::Mqtt(q) = &mut app.which {
            match &m.text {
                None if m.data_truncated => note(
                    out,
                    o,
                    format!(
                        "MQTT bytes of a {}-byte message beyond the kept {}: the stream cannot be followed",
                        m.len,
                        m.data.len()
                    ),
                ),
                None => q.bytes(o, &m.data, out),
                Some(_) => note(
                    out,
                    o,
                    "a text message on an MQTT connection (MQTT uses binary messages only)".into(),
                ),
            }
            return;
        }
        if let Which::Stomp(s) = &mut app.which {
            if m.utf8_error {
                // The text was made valid with replacement characters: byte counts are lost.
                note(
                    out,
                    o,
                    "STOMP in a text message that is not UTF-8: its frames cannot be measured; reading again from the next message".into(),
                );
                s.lose(m.dir);
                return;
            }
            if m.text_truncated || m.data_truncated {
                // The rest of the stream cannot be found again without the cut bytes.
                note(
                    out,
                    o,
                    format!(
                        "STOMP message of {} bytes is longer than the kept preview: not decoded; reading again from the next message",
                        m.len
                    ),
                );
                s.lose(m.dir);
                return;
            }
            match &m.text {
                Some(t) => s.bytes(o, t.as_bytes(), out),
                None => s.bytes(o, &m.data, out),
            }
            return;
        }
        if let Which::Graphql(g) = &mut app.which {
            match &m.text {
                Some(t) if !m.text_truncated => g.message(o, t, out),
                _ => note(
                    out,
                    o,
                    "GraphQL over WebSocket message not decoded (binary, or longer than the text preview)".into(),
                ),
            }
            return;
        }
        if let Which::JsonRpc(j) = &mut app.which {
            match &m.text {
                Some(t) if !m.text_truncated => j.message(o, t, out),
                Some(_) => note(
                    out,
                    o,
                    format!(
                        "JSON-RPC message of {} bytes is longer than the text preview: not decoded",
                        m.len
                    ),
                ),
                None => {}
            }
            return;
        }
        let Which::EngineIo { key, version } = &mut app.which else {
            return;
        };
        if m.text_truncated || (m.text.is_none() && m.data_truncated && m.len > m.data.len() as u64)
        {
            // Only the length of a cut binary is known: enough for an attachment.
            if m.text.is_none() {
                let k = key.get_or_insert_with(|| format!("conn{}", m.conn).into());
                self.sessions.binary_len(k, *version, o, m.len, out);
            } else {
                note(
                    out,
                    o,
                    format!(
                        "Engine.IO message of {} bytes is longer than the text preview: not decoded",
                        m.len
                    ),
                );
            }
            return;
        }
        let parsed = match &m.text {
            Some(t) => engineio::parse_text(t),
            None => engineio::parse_binary(&m.data, *version),
        };
        match parsed {
            Ok(p) => {
                if key.is_none()
                    && let (engineio::Kind::Open, engineio::Data::Text(t)) = (&p.kind, &p.data)
                {
                    *key = open_sid(t).map(Into::into);
                }
                let k = key.get_or_insert_with(|| format!("conn{}", m.conn).into());
                self.sessions.packet(k, *version, o, p, out);
            }
            Err(e) => note(out, o, format!("not an Engine.IO packet: {e}")),
        }
    }
}

/// The `sid` of an open packet's JSON.
fn open_sid(json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get("sid")?.as_str().map(str::to_string)
}

fn inflate_body(body: &[u8], enc: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limit = MAX_POLL_BODY as u64;
    let r = match enc.to_ascii_lowercase().as_str() {
        "gzip" | "x-gzip" => flate2::read::GzDecoder::new(body)
            .take(limit)
            .read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body)
            .take(limit)
            .read_to_end(&mut out),
        other => return Err(format!("content encoding {other:?} is not supported")),
    };
    r.map_err(|e| format!("{enc} body does not inflate ({e})"))?;
    Ok(out)
}

fn note(out: &mut Vec<Event>, o: Origin, text: String) {
    out.push(Event::Note(Note {
        level: Level::Info,
        code: "app-undecodable",
        text,
        conn: Some(o.conn),
        pkt: Some(o.pkt),
    }));
}

fn flush(out: Vec<Event>, sink: &mut dyn Sink) {
    for ev in out {
        sink.emit(ev);
    }
}

/// A sink around the WebSocket decoder of one connection: passes everything on, and after each
/// data message the `app` events it completes.
pub struct Tap<'a> {
    pub inner: &'a mut dyn Sink,
    pub layer: &'a mut AppProtoLayer,
    pub app: &'a mut WsApp,
}

impl Tap<'_> {
    /// Whether this connection's messages still need looking at.
    pub fn wanted(app: &WsApp) -> bool {
        !matches!(app.which, Which::Off)
    }

    fn after(&mut self, m: &WsMessage) -> Vec<Event> {
        let mut out = Vec::new();
        self.layer.ws_message(self.app, m, &mut out);
        out
    }
}

impl Sink for Tap<'_> {
    fn emit(&mut self, ev: Event) {
        let extra = match &ev {
            Event::WsMessage(m) => self.after(m),
            _ => Vec::new(),
        };
        self.inner.emit(ev);
        flush(extra, self.inner);
    }
    fn emit_unhashed(&mut self, m: WsMessage, how: Unhashed) {
        let extra = self.after(&m);
        self.inner.emit_unhashed(m, how);
        flush(extra, self.inner);
    }
    fn hash_begin(&mut self) -> Option<u64> {
        self.inner.hash_begin()
    }
    fn hash_piece(&mut self, ticket: u64, bytes: &[u8]) {
        self.inner.hash_piece(ticket, bytes)
    }
    fn hash_masked(&mut self, ticket: u64, masked: &[u8], key: [u8; 4], offset: u64) -> bool {
        self.inner.hash_masked(ticket, masked, key, offset)
    }
    fn hash_abandon(&mut self, ticket: u64) {
        self.inner.hash_abandon(ticket)
    }
    fn backing(&mut self, bytes: &crate::capture::Backing) {
        self.inner.backing(bytes)
    }
    fn spare_buffer(&mut self) -> Vec<u8> {
        self.inner.spare_buffer()
    }
}

#[cfg(test)]
mod tests;
