//! The application layer over TCP streams: HTTP until an upgrade succeeds, then WebSocket.
//!
//! Each connection starts `Unknown`; its first bytes decide: an HTTP/1.x start line makes it
//! `Http`, frames that look like WebSocket make it `WebSocket` (heuristic: the handshake was not
//! captured), anything else `Opaque` (ignored). An `Http` connection becomes `WebSocket` at the
//! exact byte after a `101` that passes the RFC 6455 checks. A client whose first bytes are a
//! TLS ClientHello makes the connection `Tls`: the TLS layer decrypts what it can and feeds the
//! plaintext to an inner `AppConn`, decoded exactly like a ws:// connection.

mod http_conn;
mod tls_conn;

use crate::appproto::{AppProtoLayer, Tap, WsApp};
use crate::event::{Dir, Event, Level, Note, Sink};
use crate::http::{Sniff, sniff};
use crate::limits::Limits;
use crate::tcp::{StreamCtx, StreamHandler};
use crate::ws::{WsConfig, WsDirection, looks_like_ws};
use http_conn::{HttpConn, Switch};
use tls_conn::TlsState;

/// HTTP and WebSocket decoding for every connection.
pub struct AppLayer {
    pub limits: Limits,
    /// Masked payload bytes copied into each `ws_frame` event (overrides `limits.frame_preview`).
    pub frame_preview: usize,
    /// The protocols above WebSocket (Engine.IO sessions span connections, so they live here).
    pub proto: AppProtoLayer,
    /// TLS secrets (key log, pcapng Decryption Secrets Blocks); empty when none were given.
    pub tls_keys: crate::tls::KeyStore,
}

impl Default for AppLayer {
    fn default() -> Self {
        AppLayer::new(Limits::default())
    }
}

impl AppLayer {
    pub fn new(limits: Limits) -> Self {
        AppLayer {
            frame_preview: limits.frame_preview,
            limits,
            proto: AppProtoLayer::default(),
            tls_keys: crate::tls::KeyStore::default(),
        }
    }

    fn ws_config(&self, deflate: Option<crate::event::DeflateParams>, heuristic: bool) -> WsConfig {
        WsConfig {
            deflate,
            heuristic,
            limits: Limits {
                frame_preview: self.frame_preview,
                ..self.limits.clone()
            },
        }
    }

    fn new_ws(
        &self,
        deflate: Option<crate::event::DeflateParams>,
        heuristic: bool,
        app: Box<WsApp>,
    ) -> Box<WsConn> {
        let mut cfg = self.ws_config(deflate, heuristic);
        if app.wants_binary() {
            // Binary attachments are described by their digest: keep them whole, up to the
            // text preview's bound.
            cfg.limits.binary_preview = cfg.limits.binary_preview.max(cfg.limits.message_preview);
        }
        Box::new(WsConn {
            dirs: [
                WsDirection::new(Dir::C2S, &cfg),
                WsDirection::new(Dir::S2C, &cfg),
            ],
            app: Some(app),
            #[cfg(test)]
            fed: Default::default(),
        })
    }
}

/// Per-connection application state, kept in the TCP flow table.
#[derive(Default)]
pub struct AppConn {
    state: State,
}

/// What the connection is known to carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Unknown,
    Http,
    WebSocket,
    Opaque,
    /// TLS (the decrypted stream's protocol is not looked at here).
    Tls,
}

impl AppConn {
    pub fn proto(&self) -> Proto {
        match self.state {
            State::Unknown(_) => Proto::Unknown,
            State::Http(_) => Proto::Http,
            State::Ws(_) => Proto::WebSocket,
            State::Opaque => Proto::Opaque,
            State::Tls(_) => Proto::Tls,
        }
    }

    /// Test hook: the bytes each direction's WebSocket decoder was fed, in order.
    #[cfg(test)]
    pub(crate) fn ws_fed(&self, d: Dir) -> Option<&[u8]> {
        match &self.state {
            State::Ws(w) => Some(&w.fed[d.idx()]),
            _ => None,
        }
    }
}

enum State {
    /// Nothing decided yet: the first bytes of each direction, too few to tell (a few bytes).
    /// Boxed, and only once bytes are held: most connections never hold any (a lone SYN
    /// never carries data), and each costs the flow table's entry its size.
    Unknown(Option<Box<[Vec<u8>; 2]>>),
    Http(Box<HttpConn>),
    Ws(Box<WsConn>),
    Opaque,
    Tls(Box<TlsState>),
}

impl Default for State {
    fn default() -> Self {
        State::Unknown(None)
    }
}

pub(crate) struct WsConn {
    dirs: [WsDirection; 2],
    /// The protocol above WebSocket, until it is known there is none.
    app: Option<Box<WsApp>>,
    #[cfg(test)]
    fed: [Vec<u8>; 2],
}

impl WsConn {
    fn feed(&mut self, proto: &mut AppProtoLayer, cx: StreamCtx, data: &[u8], sink: &mut dyn Sink) {
        #[cfg(test)]
        self.fed[cx.dir.idx()].extend_from_slice(data);
        let dir = &mut self.dirs[cx.dir.idx()];
        match &mut self.app {
            Some(app) => {
                let mut tap = Tap {
                    inner: sink,
                    layer: proto,
                    app,
                };
                dir.feed(cx, data, &mut tap);
                if !Tap::wanted(app) {
                    self.app = None;
                }
            }
            None => dir.feed(cx, data, sink),
        }
    }
}

/// Bytes looked at to recognise a protocol from a direction's start.
const PROBE: usize = 64;

impl StreamHandler for AppLayer {
    type Conn = AppConn;

    fn data(&mut self, st: &mut AppConn, cx: StreamCtx, data: &[u8], sink: &mut dyn Sink) {
        if data.is_empty() {
            return;
        }
        match &mut st.state {
            State::Ws(ws) => ws.feed(&mut self.proto, cx, data, sink),
            State::Opaque => {}
            State::Tls(t) => t.data(self, cx, data, sink),
            State::Http(h) => {
                if let Some(sw) = h.data(self, cx, data, sink) {
                    st.state = match sw {
                        Switch::Ws(ws) => State::Ws(ws),
                        Switch::Opaque => State::Opaque,
                    };
                }
            }
            State::Unknown(held) => {
                let held = held.take().map_or_else(Default::default, |h| *h);
                self.sniff_start(held, st, cx, data, sink)
            }
        }
    }

    fn gap(&mut self, st: &mut AppConn, cx: StreamCtx, len: u64, sink: &mut dyn Sink) {
        match &mut st.state {
            State::Ws(ws) => ws.dirs[cx.dir.idx()].gap(cx, len, sink),
            State::Opaque => {}
            State::Tls(t) => t.gap(self, cx, len, sink),
            State::Http(h) => h.gap(self, cx, len, sink),
            // The next bytes are a fresh start for recognising the protocol.
            State::Unknown(held) => {
                if let Some(h) = held {
                    h[cx.dir.idx()].clear()
                }
            }
        }
    }

    fn end(&mut self, st: &mut AppConn, cx: StreamCtx, sink: &mut dyn Sink) {
        match &mut st.state {
            State::Ws(ws) => ws.dirs[cx.dir.idx()].end(cx, sink),
            State::Http(h) => h.end(self, cx, sink),
            State::Tls(t) => t.end(self, cx, sink),
            State::Opaque | State::Unknown(_) => {}
        }
    }

    fn mem(&self, st: &AppConn) -> usize {
        match &st.state {
            State::Unknown(held) => held
                .as_ref()
                .map_or(0, |h| h[0].capacity() + h[1].capacity()),
            State::Http(h) => h.mem(),
            State::Ws(ws) => ws.dirs[0].mem() + ws.dirs[1].mem(),
            State::Tls(t) => {
                let (tls, inner) = t.parts();
                tls.mem() + self.mem(inner)
            }
            State::Opaque => 0,
        }
    }
}

impl AppLayer {
    /// Recognise the protocol from the first bytes of a direction (plus any held before).
    fn sniff_start(
        &mut self,
        mut held: [Vec<u8>; 2],
        st: &mut AppConn,
        cx: StreamCtx,
        data: &[u8],
        sink: &mut dyn Sink,
    ) {
        let d = cx.dir.idx();
        let probe_buf;
        let probe: &[u8] = if held[d].is_empty() {
            data
        } else {
            let mut p = held[d].clone();
            p.extend_from_slice(&data[..data.len().min(PROBE)]);
            probe_buf = p;
            &probe_buf
        };
        match sniff(probe) {
            Sniff::Maybe => {
                // Maybe means fewer than a method's length of bytes: cheap to keep.
                held[d].extend_from_slice(data);
                st.state = State::Unknown(Some(Box::new(held)));
            }
            Sniff::Yes => {
                st.state = State::Http(Box::new(HttpConn::new()));
                self.replay(held, st, cx, data, sink);
            }
            Sniff::No
                if cx.dir == Dir::C2S
                    && crate::tls::looks_like_client_hello(probe) != Some(false) =>
            {
                match crate::tls::looks_like_client_hello(probe) {
                    // A few bytes of a record header: wait for the rest.
                    None => {
                        held[d].extend_from_slice(data);
                        st.state = State::Unknown(Some(Box::new(held)));
                    }
                    _ => {
                        st.state = State::Tls(Box::new(TlsState::new(self.tls_keys.clone())));
                        self.replay(held, st, cx, data, sink);
                    }
                }
            }
            Sniff::No => {
                if looks_like_ws(probe, cx.dir) {
                    sink.emit(Event::Note(Note {
                        level: Level::Info,
                        code: "ws-heuristic",
                        text: "WebSocket frames recognised without a captured handshake (the capture began mid-connection): no permessage-deflate parameters known".into(),
                        conn: Some(cx.conn),
                        pkt: Some(cx.pkt),
                    }));
                    let app = self.proto.ws_app(None, None);
                    st.state = State::Ws(self.new_ws(None, true, app));
                    self.replay(held, st, cx, data, sink);
                } else {
                    sink.emit(Event::Note(Note {
                        level: Level::Info,
                        code: "opaque-stream",
                        text: format!(
                            "{} bytes are neither HTTP/1.x nor WebSocket: this connection is not decoded further",
                            cx.dir.as_str()
                        ),
                        conn: Some(cx.conn),
                        pkt: Some(cx.pkt),
                    }));
                    st.state = State::Opaque;
                }
            }
        }
    }

    /// Feed bytes held while undecided (the other direction's first, they came earlier), then
    /// this direction's held bytes and the new data, to the decoder just chosen.
    fn replay(
        &mut self,
        held: [Vec<u8>; 2],
        st: &mut AppConn,
        cx: StreamCtx,
        data: &[u8],
        sink: &mut dyn Sink,
    ) {
        let [c2s, s2c] = held;
        let (other, mine) = match cx.dir {
            Dir::C2S => (s2c, c2s),
            Dir::S2C => (c2s, s2c),
        };
        let ocx = StreamCtx {
            dir: cx.dir.flip(),
            ..cx
        };
        self.data(st, ocx, &other, sink);
        self.data(st, cx, &mine, sink);
        self.data(st, cx, data, sink);
    }
}

#[cfg(test)]
mod tests;
