//! An HTTP/1.x connection: both directions' decoders, requests waiting for their responses
//! (FIFO, for pipelining), and the c2s bytes held while an upgrade request awaits its answer.

use std::collections::VecDeque;

use super::{AppLayer, WsConn};
use crate::appproto::{MAX_POLL_BODY, Origin, Poll};
use crate::event::AppTransport;
use crate::event::{Dir, Event, HttpHead, HttpKind, Level, Note, Sink, WsHandshake};
use crate::http::{
    self, Body, HttpStream, ParsedHead, Step, asks_upgrade, check_upgrade, has_token,
    is_ws_attempt, request_body, response_body,
};
use crate::tcp::StreamCtx;

/// Requests waiting for a response, at most. A peer sending requests that are never answered
/// must not grow memory; beyond this, responses are paired without knowing their request.
const MAX_PENDING: usize = 1024;

/// What the connection turns into.
pub(crate) enum Switch {
    Ws(Box<WsConn>),
    Opaque,
}

struct Pending {
    to_head: bool,
    to_connect: bool,
    /// The request, kept only when it asked to switch protocols (its headers are checked).
    upgrade: Option<Box<HttpHead>>,
    /// An Engine.IO long-polling request: its response's body holds the server's packets.
    poll: Option<Poll>,
}

/// c2s bytes that followed an upgrade (or CONNECT) request: frames or HTTP, the response decides.
#[derive(Default)]
struct Hold {
    chunks: Vec<(StreamCtx, Vec<u8>)>,
    bytes: usize,
    /// Bytes dropped beyond the bound: a gap for whichever decoder gets the rest.
    dropped: u64,
}

pub(crate) struct HttpConn {
    dirs: [HttpStream; 2],
    pending: VecDeque<Pending>,
    hold: Option<Hold>,
    pending_overflow: bool,
    /// The last client head that could not be decoded (a limit or a malformed head): a 101
    /// without a request then answers that head, which was captured but not understood.
    lost_request: Option<crate::http::Problem>,
    /// Per direction: the Engine.IO poll whose body is being kept, and its Content-Encoding.
    body_poll: [Option<(Poll, Option<String>)>; 2],
}

fn note(sink: &mut dyn Sink, level: Level, code: &'static str, text: String, cx: StreamCtx) {
    sink.emit(Event::Note(Note {
        level,
        code,
        text,
        conn: Some(cx.conn),
        pkt: Some(cx.pkt),
    }));
}

impl HttpConn {
    pub(crate) fn new() -> Self {
        HttpConn {
            dirs: [HttpStream::new(Dir::C2S), HttpStream::new(Dir::S2C)],
            pending: VecDeque::new(),
            hold: None,
            pending_overflow: false,
            lost_request: None,
            body_poll: [None, None],
        }
    }

    /// Bytes held: heads being read, c2s bytes held after an upgrade request.
    pub(crate) fn mem(&self) -> usize {
        let hold = self.hold.as_ref().map_or(0, |h| h.bytes);
        self.dirs[0].mem() + self.dirs[1].mem() + hold
    }

    pub(crate) fn data(
        &mut self,
        app: &mut AppLayer,
        cx: StreamCtx,
        data: &[u8],
        sink: &mut dyn Sink,
    ) -> Option<Switch> {
        if cx.dir == Dir::C2S && self.hold.is_some() {
            self.hold_bytes(app, cx, data, sink);
            return None;
        }
        let d = cx.dir.idx();
        let mut rest = data;
        loop {
            match self.dirs[d].advance(rest, &app.limits) {
                Step::NeedMore => return None,
                Step::Lost(p) => {
                    let level = if p.is_limit() {
                        Level::Warn
                    } else {
                        Level::Info
                    };
                    note(sink, level, p.code(), p.text(&app.limits), cx);
                    if cx.dir == Dir::C2S {
                        self.lost_request = Some(p);
                    }
                    return None;
                }
                Step::ChunkedEnd { used, .. } => rest = rest.get(used..).unwrap_or(&[]),
                Step::Body { used, bytes, cut } => {
                    rest = rest.get(used..).unwrap_or(&[]);
                    self.poll_body(app, cx, &bytes, cut, sink);
                }
                Step::Head { head, used } => {
                    rest = rest.get(used..).unwrap_or(&[]);
                    let sw = match cx.dir {
                        Dir::C2S => {
                            if self.request(cx, head, sink) {
                                // Everything after the request head waits for the response.
                                self.hold_bytes(app, cx, rest, sink);
                                return None;
                            }
                            None
                        }
                        Dir::S2C => self.response(app, cx, head, rest, sink),
                    };
                    if sw.is_some() {
                        return sw;
                    }
                }
            }
        }
    }

    /// Handle a request head. True when the bytes after it must be held for the response.
    fn request(&mut self, cx: StreamCtx, head: ParsedHead, sink: &mut dyn Sink) -> bool {
        self.lost_request = None;
        let body = request_body(&head);
        let ev = event(cx, head, &body);
        let method = match &ev.kind {
            HttpKind::Request { method, .. } => method.as_str(),
            HttpKind::Response { .. } => "",
        };
        let to_head = method == "HEAD";
        let to_connect = method == "CONNECT";
        let switching = asks_upgrade(&ev) || to_connect;
        let poll = Poll::of_request(&ev);
        let post_poll = poll.clone().filter(|p| p.post);
        let p = Pending {
            to_head,
            to_connect,
            upgrade: switching.then(|| Box::new(ev.clone())),
            poll,
        };
        if self.pending.len() < MAX_PENDING {
            self.pending.push_back(p);
        } else if !self.pending_overflow {
            self.pending_overflow = true;
            note(
                sink,
                Level::Warn,
                "http-pending-overflow",
                format!(
                    "more than {MAX_PENDING} requests unanswered: later responses may be paired with the wrong request"
                ),
                cx,
            );
        }
        let encoding = ev.header("content-encoding").map(str::to_string);
        sink.emit(Event::Http(Box::new(ev)));
        self.frame_body(Dir::C2S, body, cx, sink);
        self.keep_poll_body(Dir::C2S, post_poll, encoding);
        if switching {
            self.hold = Some(Hold::default());
        }
        switching
    }

    fn frame_body(
        &mut self,
        dir: Dir,
        body: Result<Body, &'static str>,
        cx: StreamCtx,
        sink: &mut dyn Sink,
    ) {
        match body {
            Ok(b) => self.dirs[dir.idx()].set_body(b),
            Err(why) => {
                note(
                    sink,
                    Level::Warn,
                    "http-bad-length",
                    format!(
                        "{why}: the body's end is unknown, HTTP decoding of {} stops",
                        dir.as_str()
                    ),
                    cx,
                );
                self.dirs[dir.idx()].stop();
            }
        }
    }

    /// Handle a response head; `rest` = the bytes after it in this data call.
    fn response(
        &mut self,
        app: &mut AppLayer,
        cx: StreamCtx,
        head: ParsedHead,
        rest: &[u8],
        sink: &mut dyn Sink,
    ) -> Option<Switch> {
        let status = match head.kind {
            HttpKind::Response { status, .. } => status,
            HttpKind::Request { .. } => 0,
        };
        // 1xx answers other than 101 are interim: the final response to the request follows.
        let interim = (100..200).contains(&status) && status != 101;
        let req = if interim {
            None
        } else {
            self.pending.pop_front()
        };
        let (to_head, to_connect) = match (&req, self.pending.front()) {
            (Some(p), _) => (p.to_head, p.to_connect),
            (None, Some(p)) if interim => (p.to_head, p.to_connect),
            _ => (false, false),
        };
        let body = response_body(&head, to_head, to_connect);
        let ev = event(cx, head, &body);
        let (upgrade_req, poll) = match req {
            Some(p) => (p.upgrade, p.poll.filter(|p| !p.post && status == 200)),
            None => (None, None),
        };
        let encoding = ev.header("content-encoding").map(str::to_string);
        let ws_answer = status == 101 && has_token(&ev, "upgrade", "websocket");
        let hs = match &upgrade_req {
            Some(r) if is_ws_attempt(r) || ws_answer => Some(check_upgrade(r, &ev)),
            _ => None,
        };
        let resp_ev = ev.clone();
        sink.emit(Event::Http(Box::new(ev)));
        if interim {
            self.frame_body(Dir::S2C, body, cx, sink);
            return None;
        }
        if let Some(hs) = hs {
            if let Some(key) = &hs.key
                && !http::key_is_valid(key)
            {
                note(
                    sink,
                    Level::Warn,
                    "ws-bad-key",
                    format!(
                        "Sec-WebSocket-Key {key:?} is not the base64 encoding of 16 bytes (RFC 6455 §4.1: a randomly selected 16-byte value, base64-encoded; a server must refuse others, §4.2.1){}",
                        if hs.status == 101 {
                            ": this server accepted it anyway"
                        } else {
                            ""
                        }
                    ),
                    cx,
                );
            }
            let upgraded = hs.upgraded;
            let deflate = hs.deflate;
            let wsapp = app
                .proto
                .ws_app(upgrade_req.as_deref(), hs.protocol.as_deref());
            sink.emit(Event::WsHandshake(Box::new(hs)));
            if upgraded {
                return Some(self.switch_to_ws(app, cx, deflate, wsapp, rest, sink));
            }
            if ws_answer {
                // The server switched protocols on its side whatever the client concludes:
                // what it sends next are frames, not HTTP (Zeek's test capture: a ping).
                note(
                    sink,
                    Level::Warn,
                    "ws-after-failed-upgrade",
                    "the server answered 101 to an upgrade that failed: the bytes that follow are decoded as WebSocket frames, though a conforming client must fail the connection without reading them (RFC 6455 §4.1)".into(),
                    cx,
                );
                return Some(self.switch_to_ws(app, cx, deflate, wsapp, rest, sink));
            }
        } else if ws_answer && upgrade_req.is_none() {
            // The request was not captured (capture began late, or lost): trust the 101.
            let deflate = http::joined(&resp_ev, "sec-websocket-extensions")
                .and_then(|e| http::parse_deflate(&e).ok().flatten());
            match self.lost_request.take() {
                // The request was captured but not decoded: say so, not that it is missing.
                Some(p) => note(
                    sink,
                    Level::Warn,
                    "ws-request-not-decoded",
                    format!(
                        "101 Switching Protocols to websocket answers a request that was captured but could not be decoded ({}: {}): the Accept cannot be checked",
                        p.code(),
                        p.text(&app.limits)
                    ),
                    cx,
                ),
                None => note(
                    sink,
                    Level::Warn,
                    "ws-request-not-captured",
                    "101 Switching Protocols to websocket without a captured upgrade request: the Accept cannot be checked".into(),
                    cx,
                ),
            }
            let hs = unchecked_handshake(&resp_ev, deflate);
            let wsapp = app.proto.ws_app(None, hs.protocol.as_deref());
            sink.emit(Event::WsHandshake(Box::new(hs)));
            return Some(self.switch_to_ws(app, cx, deflate, wsapp, rest, sink));
        } else if status == 101 || (to_connect && (200..300).contains(&status)) {
            let what = http::joined(&resp_ev, "upgrade").unwrap_or_else(|| "a tunnel".into());
            note(
                sink,
                Level::Info,
                "http-switched",
                format!("the connection switched to {what}: not decoded further"),
                cx,
            );
            return Some(Switch::Opaque);
        }
        self.frame_body(Dir::S2C, body, cx, sink);
        self.keep_poll_body(Dir::S2C, poll, encoding);
        // Requests pipelined before the one asking to switch are answered first: the bytes
        // held after that one wait for its own answer.
        if self.pending.iter().any(|p| p.upgrade.is_some()) {
            return None;
        }
        // Not switched: what the client sent after its request is HTTP after all.
        if let Some(hold) = self.hold.take() {
            for (hcx, bytes) in hold.chunks {
                if let Some(sw) = self.data(app, hcx, &bytes, sink) {
                    return Some(sw);
                }
            }
            if hold.dropped > 0 {
                self.gap(app, cx.with_dir(Dir::C2S), hold.dropped, sink);
            }
        }
        None
    }

    /// Switch to WebSocket: the client's held bytes and the server's bytes after the 101 head
    /// are the first frames.
    fn switch_to_ws(
        &mut self,
        app: &mut AppLayer,
        cx: StreamCtx,
        deflate: Option<crate::event::DeflateParams>,
        wsapp: Box<crate::appproto::WsApp>,
        rest: &[u8],
        sink: &mut dyn Sink,
    ) -> Switch {
        let mut ws = app.new_ws(deflate, false, wsapp);
        if let Some(hold) = self.hold.take() {
            for (hcx, bytes) in &hold.chunks {
                ws.feed(&mut app.proto, *hcx, bytes, sink);
            }
            if hold.dropped > 0 {
                let gcx = cx.with_dir(Dir::C2S);
                ws.dirs[Dir::C2S.idx()].gap(gcx, hold.dropped, sink);
            }
        }
        if !rest.is_empty() {
            ws.feed(&mut app.proto, cx, rest, sink);
        }
        Switch::Ws(ws)
    }

    /// Keep the body just framed in `dir` when it is an Engine.IO poll's.
    fn keep_poll_body(&mut self, dir: Dir, poll: Option<Poll>, encoding: Option<String>) {
        self.body_poll[dir.idx()] = None;
        if let Some(p) = poll {
            self.dirs[dir.idx()].keep_body(MAX_POLL_BODY);
            self.body_poll[dir.idx()] = Some((p, encoding));
        }
    }

    /// A kept body ended: hand it to the Engine.IO decoder.
    fn poll_body(
        &mut self,
        app: &mut AppLayer,
        cx: StreamCtx,
        bytes: &[u8],
        cut: bool,
        sink: &mut dyn Sink,
    ) {
        let Some((poll, encoding)) = self.body_poll[cx.dir.idx()].take() else {
            return;
        };
        if cut {
            note(
                sink,
                Level::Info,
                "app-undecodable",
                format!("Engine.IO polling body longer than {MAX_POLL_BODY} bytes: not decoded"),
                cx,
            );
            return;
        }
        let o = Origin {
            conn: cx.conn,
            pkt: cx.pkt,
            ts: cx.ts,
            dir: cx.dir,
            transport: AppTransport::Polling,
        };
        app.proto
            .polling_body(&poll, o, bytes, encoding.as_deref(), sink);
    }

    fn hold_bytes(&mut self, app: &AppLayer, cx: StreamCtx, data: &[u8], sink: &mut dyn Sink) {
        let Some(hold) = &mut self.hold else { return };
        if data.is_empty() {
            return;
        }
        let room = app.limits.stream_buffer.saturating_sub(hold.bytes);
        let keep = data.len().min(room);
        if keep > 0 {
            hold.chunks.push((cx, data[..keep].to_vec()));
            hold.bytes += keep;
        }
        if keep < data.len() {
            if hold.dropped == 0 {
                note(
                    sink,
                    Level::Warn,
                    "http-hold-overflow",
                    format!(
                        "client sent more than {} bytes before the upgrade was answered (limit stream_buffer): the rest is treated as lost",
                        app.limits.stream_buffer
                    ),
                    cx,
                );
            }
            hold.dropped = hold.dropped.saturating_add((data.len() - keep) as u64);
        }
    }

    pub(crate) fn gap(
        &mut self,
        _app: &mut AppLayer,
        cx: StreamCtx,
        len: u64,
        sink: &mut dyn Sink,
    ) {
        if cx.dir == Dir::C2S
            && let Some(hold) = &mut self.hold
        {
            hold.dropped = hold.dropped.saturating_add(len);
            return;
        }
        if !self.dirs[cx.dir.idx()].gap(len) {
            note(
                sink,
                Level::Info,
                "http-gap",
                format!(
                    "{len} bytes of {} were not captured: HTTP decoding resumes at the next head",
                    cx.dir.as_str()
                ),
                cx,
            );
        }
    }

    pub(crate) fn end(&mut self, _app: &mut AppLayer, cx: StreamCtx, sink: &mut dyn Sink) {
        if cx.dir == Dir::C2S
            && let Some(hold) = &self.hold
            && hold.bytes > 0
        {
            note(
                sink,
                Level::Info,
                "http-upgrade-unanswered",
                format!(
                    "{} bytes sent after an upgrade request were never answered: not decoded",
                    hold.bytes
                ),
                cx,
            );
        }
        if let Some(what) = self.dirs[cx.dir.idx()].unfinished() {
            note(
                sink,
                Level::Info,
                "http-incomplete",
                format!("{} ended with an {what}", cx.dir.as_str()),
                cx,
            );
        }
    }
}

fn event(cx: StreamCtx, h: ParsedHead, body: &Result<Body, &'static str>) -> HttpHead {
    HttpHead {
        conn: cx.conn,
        dir: cx.dir,
        pkt: cx.pkt,
        ts: cx.ts,
        kind: h.kind,
        version: h.version,
        headers: h.headers,
        head_len: h.head_len as u32,
        body_len: body.ok().and_then(Body::known_len),
        layout: h.layout,
    }
}

/// The handshake event for a 101 whose request was not seen: nothing can be checked.
fn unchecked_handshake(
    resp: &HttpHead,
    deflate: Option<crate::event::DeflateParams>,
) -> WsHandshake {
    WsHandshake {
        conn: resp.conn,
        pkt: resp.pkt,
        ts: resp.ts,
        status: 101,
        key: None,
        accept: resp
            .header("sec-websocket-accept")
            .map(|a| a.trim().to_string()),
        expected_accept: None,
        accept_ok: false,
        version: None,
        protocol: http::joined(resp, "sec-websocket-protocol"),
        extensions: http::joined(resp, "sec-websocket-extensions"),
        deflate,
        upgraded: true,
        problems: Vec::new(),
        tls: false,
    }
}

trait WithDir {
    fn with_dir(self, d: Dir) -> Self;
}

impl WithDir for StreamCtx {
    fn with_dir(self, dir: Dir) -> Self {
        StreamCtx { dir, ..self }
    }
}
