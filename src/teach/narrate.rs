//! Narration: one to a few sentences per event telling a student what the packet is, why its
//! numbers are what they are and what state each end is in now. Every sentence comes from the
//! catalogue; every captured string is escaped before it is inserted.

use super::catalog::{self, Arg, Lang, Msg};
use super::tls_narration;
use crate::event::*;
use crate::text::escape_for_terminal;
use rustc_hash::FxHashMap as HashMap;
use std::fmt::Display;
use std::net::SocketAddr;

/// `say!(lang, Id, name = value, ...)`: a catalogue sentence with its placeholders filled.
macro_rules! say {
    ($lang:expr, $id:ident $(, $k:ident = $v:expr)* $(,)?) => {{
        // Text and numbers are written without `fmt` (see `catalog::Arg`).
        #[allow(unused_imports)]
        use catalog::{DisplayArg as _, PlainArg as _};
        catalog::say_args($lang, Msg::$id, &[$((const { catalog::Name::of(stringify!($k)) }, (&catalog::ArgOf(&$v)).arg())),*])
    }};
}

/// `tell!(out, lang, Id, name = value, ...)`: [`say!`] written straight to `out` ([`Lines`]).
macro_rules! tell {
    ($out:expr, $lang:expr, $id:ident $(, $k:ident = $v:expr)* $(,)?) => {{
        #[allow(unused_imports)]
        use catalog::{DisplayArg as _, PlainArg as _};
        $out.say($lang, Msg::$id, &[$((const { catalog::Name::of(stringify!($k)) }, (&catalog::ArgOf(&$v)).arg())),*])
    }};
}

/// Where narration writes its sentences: straight into the narrated text log (each as a line
/// indented by [`catalog::LINE_INDENT`]: no `String` per sentence), or collected, each to be
/// handed out as its own `String` ([`narrate`]).
pub struct Lines<'a> {
    buf: &'a mut String,
    /// Where each sentence lies in `buf`, when collecting.
    spans: Option<&'a mut Vec<std::ops::Range<usize>>>,
}

impl<'a> Lines<'a> {
    /// Sentences appended to `buf` as lines of the text log (indented, each with its newline).
    pub fn log(buf: &'a mut String) -> Self {
        Lines { buf, spans: None }
    }

    fn collecting(buf: &'a mut String, spans: &'a mut Vec<std::ops::Range<usize>>) -> Self {
        Lines {
            buf,
            spans: Some(spans),
        }
    }

    /// A catalogue sentence with values given as [`Arg`]s (`tell!`).
    #[inline]
    pub fn say(&mut self, lang: Lang, id: Msg, args: &[(catalog::Name, Arg)]) {
        match self.spans.as_deref_mut() {
            None => catalog::say_line_into(self.buf, lang, id, args),
            Some(spans) => {
                let start = self.buf.len();
                catalog::say_args_into(self.buf, lang, id, args);
                spans.push(start..self.buf.len());
            }
        }
    }

    /// A sentence written by `write` (appending to the text it is given).
    fn with(&mut self, write: impl FnOnce(&mut String)) {
        if self.spans.is_none() {
            self.buf.push_str(catalog::LINE_INDENT);
        }
        let start = self.buf.len();
        write(self.buf);
        match self.spans.as_deref_mut() {
            None => self.buf.push('\n'),
            Some(spans) => spans.push(start..self.buf.len()),
        }
    }

    /// A catalogue sentence with values written through their `Display`.
    pub fn say_display(&mut self, lang: Lang, id: Msg, args: &[(&str, &dyn Display)]) {
        self.with(|buf| catalog::say_into(buf, lang, id, args));
    }

    /// A sentence made elsewhere.
    pub fn push(&mut self, sentence: &str) {
        self.with(|buf| buf.push_str(sentence));
    }

    /// Sentences made elsewhere (their buffers serve later sentences on this thread).
    pub fn extend(&mut self, sentences: Vec<String>) {
        for s in &sentences {
            self.push(s);
        }
        catalog::recycle(sentences);
    }
}

/// Narrate into a [`Lines`] that collects, and hand each sentence out as its own `String`.
fn collect(narrate: impl FnOnce(&mut Lines)) -> Vec<String> {
    let mut buf = String::new();
    let mut spans = Vec::new();
    narrate(&mut Lines::collecting(&mut buf, &mut spans));
    spans.into_iter().map(|r| buf[r].to_string()).collect()
}

/// Captured strings longer than this are cut in narration (the detail views show all).
const MAX_SHOWN: usize = 120;

/// Connections remembered at once; beyond it the context forgets everything and starts over
/// (narration then only loses the "why" of a few numbers, never correctness of the events).
const MAX_CONNS: usize = 1 << 16;

/// What the narration remembers about one connection (a plain copy: the text log's writer
/// thread copies it for every event, see [`EventFacts`]).
#[derive(Clone, Copy, Debug)]
struct ConnFacts {
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    /// Initial sequence number per direction (index = `Dir::idx`).
    isn: [Option<u32>; 2],
    /// Both ends' states after the last segment.
    states: Option<(TcpState, TcpState)>,
    upgraded: bool,
    deflate: bool,
    http_requests: u32,
    /// The "server pushes over the open connection" remark was made.
    push_told: bool,
    /// The piggy-backed acknowledgement was explained, per direction (once is enough).
    data_ack_told: [bool; 2],
    /// Sequence number just after each direction's FIN, once seen.
    fin_end: [Option<u32>; 2],
    /// Each direction's FIN has been acknowledged by the other side.
    fin_acked: [bool; 2],
    /// Answered requests on this connection for a path that was asked before: polls.
    polls: u32,
    /// Client data messages not answered yet: a server message then is an echo or a reply.
    unanswered: u32,
    /// An acknowledgement that did not cover a delivered FIN was explained (once is enough).
    ack_before_fin_told: bool,
}

impl ConnFacts {
    fn new() -> Self {
        ConnFacts {
            client: None,
            server: None,
            isn: [None; 2],
            states: None,
            upgraded: false,
            deflate: false,
            http_requests: 0,
            push_told: false,
            data_ack_told: [false; 2],
            fin_end: [None; 2],
            fin_acked: [false; 2],
            polls: 0,
            unanswered: 0,
            ack_before_fin_told: false,
        }
    }
}

/// Per-connection facts the narration needs from earlier events. Call [`narrate`] with an event
/// first, then [`NarrationContext::observe`] with the same event.
#[derive(Clone, Debug, Default)]
pub struct NarrationContext {
    conns: HashMap<ConnId, ConnFacts>,
    /// Per connection in `conns`: the last request's path (query cut off) and whether it asked
    /// to upgrade, until its answer.
    asked: HashMap<ConnId, (String, bool)>,
    /// Successful answers per path over the whole capture: asking for the same path again and
    /// again is polling; one page, icon or failed upgrade is not.
    answered_paths: HashMap<String, u32>,
}

/// Paths remembered for the polling remark; beyond it new paths are not counted.
const MAX_PATHS: usize = 4096;

impl NarrationContext {
    pub fn new() -> Self {
        Self::default()
    }

    /// The initial sequence number seen for a connection's direction.
    pub fn isn(&self, conn: ConnId, dir: Dir) -> Option<u32> {
        self.conns.get(&conn).and_then(|f| f.isn[dir.idx()])
    }

    /// Whether the connection switched to WebSocket.
    pub fn upgraded(&self, conn: ConnId) -> bool {
        self.conns.get(&conn).is_some_and(|f| f.upgraded)
    }

    /// The (client, server) addresses of a connection, once its `conn_open` was seen.
    pub fn ends(&self, conn: ConnId) -> Option<(SocketAddr, SocketAddr)> {
        let f = self.conns.get(&conn)?;
        Some((f.client?, f.server?))
    }

    fn facts(&mut self, conn: ConnId) -> &mut ConnFacts {
        if self.conns.len() >= MAX_CONNS && !self.conns.contains_key(&conn) {
            self.conns.clear();
            self.asked.clear();
        }
        self.conns.entry(conn).or_insert_with(ConnFacts::new)
    }

    pub fn observe(&mut self, ev: &Event) {
        match ev {
            Event::ConnOpen(o) => {
                let f = self.facts(o.conn);
                f.client = Some(o.client);
                f.server = Some(o.server);
            }
            Event::Tcp(s) => {
                let f = self.facts(s.conn);
                let i = s.dir.idx();
                if s.flags.syn() {
                    f.isn[i] = Some(s.seq);
                } else if f.isn[i].is_none() {
                    // Without the SYN the relative numbers still reveal the base in use.
                    f.isn[i] = Some(s.seq.wrapping_sub(s.rel_seq));
                }
                f.states = Some((s.client_state, s.server_state));
                if s.len > 0 && s.flags.ack() && !s.flags.fin() && s.rel_ack > 1 {
                    f.data_ack_told[i] = true;
                }
                if !s.flags.fin() && s.flags.ack() && ack_misses_fin(f, s) {
                    f.ack_before_fin_told = true;
                }
                if s.flags.fin() && !s.flags.rst() && f.fin_end[i].is_none() {
                    f.fin_end[i] = Some(s.seq.wrapping_add(s.len).wrapping_add(1));
                }
                if s.flags.ack()
                    && f.fin_end[1 - i].is_some_and(|e| (s.ack.wrapping_sub(e) as i32) >= 0)
                {
                    f.fin_acked[1 - i] = true;
                }
            }
            Event::Http(h) => match &h.kind {
                HttpKind::Request { path, .. } => {
                    let upgrade = h.header("upgrade").is_some();
                    let f = self.facts(h.conn);
                    f.http_requests = f.http_requests.saturating_add(1);
                    let path = path.split(['?', '#']).next().unwrap_or_default();
                    self.asked
                        .insert(h.conn, (path.chars().take(256).collect(), upgrade));
                }
                HttpKind::Response { status, .. } => {
                    let ok = (200..300).contains(status) || *status == 304;
                    self.facts(h.conn);
                    let asked = self.asked.remove(&h.conn);
                    if let Some((path, false)) = asked
                        && ok
                        && (self.answered_paths.len() < MAX_PATHS
                            || self.answered_paths.contains_key(&path))
                    {
                        let n = self.answered_paths.entry(path).or_insert(0);
                        *n += 1;
                        if *n >= 2 {
                            self.facts(h.conn).polls += 1;
                        }
                    }
                }
            },
            Event::WsHandshake(h) => {
                let f = self.facts(h.conn);
                f.upgraded |= h.upgraded;
                f.deflate = h.upgraded && h.deflate.is_some();
            }
            Event::WsMessage(m) => {
                if !m.opcode.is_control() {
                    let f = self.facts(m.conn);
                    match m.dir {
                        Dir::C2S => f.unanswered = f.unanswered.saturating_add(1),
                        Dir::S2C if f.unanswered > 0 => f.unanswered -= 1,
                        Dir::S2C => f.push_told |= f.upgraded,
                    }
                }
            }
            Event::ConnClose(c) => {
                self.conns.remove(&c.conn);
                self.asked.remove(&c.conn);
            }
            Event::Udp(_)
            | Event::WsFrame(_)
            | Event::Note(_)
            | Event::App(_)
            | Event::Tls(_)
            | Event::TlsSession(_) => {}
        }
    }
}

/// What narrating one event reads from the context: its connection's facts, taken before
/// [`NarrationContext::observe`] sees the event, so that the sentences can be made later or on
/// another thread ([`narrate_from`]) and read exactly as [`narrate`] would have made them.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventFacts(Option<ConnFacts>);

impl NarrationContext {
    /// The facts `ev`'s narration reads now (call before `observe(ev)`): only segments,
    /// closes, frames and messages read any (see `narrate_with`).
    pub fn facts_for(&self, ev: &Event) -> EventFacts {
        let conn = match ev {
            Event::Tcp(s) => s.conn,
            Event::ConnClose(c) => c.conn,
            Event::WsFrame(f) => f.conn,
            Event::WsMessage(m) => m.conn,
            _ => return EventFacts(None),
        };
        EventFacts(self.conns.get(&conn).copied())
    }
}

/// The sentences that explain `ev` to a student, in `lang`.
pub fn narrate(ev: &Event, cx: &NarrationContext, lang: Lang) -> Vec<String> {
    let facts = ev.conn().and_then(|c| cx.conns.get(&c));
    collect(|out| narrate_with(ev, facts, lang, out))
}

/// [`narrate`], written to `out`.
pub fn narrate_into(ev: &Event, cx: &NarrationContext, lang: Lang, out: &mut Lines) {
    let facts = ev.conn().and_then(|c| cx.conns.get(&c));
    narrate_with(ev, facts, lang, out)
}

/// [`narrate`] from facts taken earlier with [`NarrationContext::facts_for`].
pub fn narrate_from(ev: &Event, facts: &EventFacts, lang: Lang) -> Vec<String> {
    collect(|out| narrate_with(ev, facts.0.as_ref(), lang, out))
}

/// [`narrate_from`], written to `out`.
pub fn narrate_from_into(ev: &Event, facts: &EventFacts, lang: Lang, out: &mut Lines) {
    narrate_with(ev, facts.0.as_ref(), lang, out)
}

fn narrate_with(ev: &Event, facts: Option<&ConnFacts>, lang: Lang, out: &mut Lines) {
    match ev {
        Event::ConnOpen(o) => conn_open(o, lang, out),
        Event::Tcp(s) => tcp(s, facts, lang, out),
        Event::ConnClose(c) => conn_close(c, facts, lang, out),
        Event::Udp(u) => tell!(out, lang, Udp, len = u.len, who = side(lang, u.dir)),
        Event::Http(h) => http(h, lang, out),
        Event::WsHandshake(h) => ws_handshake(h, lang, out),
        Event::WsFrame(f) => ws_frame(f, facts, lang, out),
        Event::WsMessage(m) => ws_message(m, facts, lang, out),
        Event::Note(n) => tell!(
            out,
            lang,
            NoteLine,
            text = shown(&super::decoder_words::sentence(lang, &n.text))
        ),
        Event::App(a) => out.extend(super::above_ws::app(a, lang)),
        Event::Tls(t) => out.extend(tls_narration::tls_msg(t, lang)),
        Event::TlsSession(t) => out.extend(tls_narration::tls_session(t, lang)),
    }
}

fn side(lang: Lang, dir: Dir) -> &'static str {
    catalog::text(
        lang,
        match dir {
            Dir::C2S => Msg::WClient,
            Dir::S2C => Msg::WServer,
        },
    )
}

/// A captured string made safe for the terminal and cut to a readable length (borrowed when
/// it is both already).
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    let e = escape_for_terminal(s);
    if e.len() <= MAX_SHOWN || e.chars().count() <= MAX_SHOWN {
        return e;
    }
    let mut cut: String = e.chars().take(MAX_SHOWN).collect();
    cut.push('…');
    cut.into()
}

/// A state's name as the student should read it (in Chinese with the textbook's spelling too).
pub fn state_name(lang: Lang, st: TcpState) -> String {
    match st {
        TcpState::SynSent => catalog::text(lang, Msg::AliasSynSent).to_string(),
        TcpState::SynReceived => catalog::text(lang, Msg::AliasSynReceived).to_string(),
        _ => st.as_str().to_string(),
    }
}

// TCP segments: numbers, flags and both ends' states as each segment arrives.
#[path = "narrate_tcp.rs"]
mod tcp_seg;
pub(crate) use tcp_seg::meaning;
use tcp_seg::{ack_misses_fin, tcp};

fn conn_open(o: &ConnOpen, lang: Lang, out: &mut Lines) {
    let proto = o.proto.as_str().to_uppercase();
    let (lip, lport, rip, rport) = (
        o.client.ip(),
        o.client.port(),
        o.server.ip(),
        o.server.port(),
    );
    let opening = match o.proto {
        Proto::Tcp => Msg::ConnOpenTcp,
        Proto::Udp => Msg::ConnOpenUdp,
    };
    let args: [(&str, &dyn Display); 6] = [
        ("conn", &o.conn),
        ("proto", &proto),
        ("lip", &lip),
        ("lport", &lport),
        ("rip", &rip),
        ("rport", &rport),
    ];
    out.say_display(lang, opening, &args);
    if o.proto == Proto::Tcp {
        tell!(out, lang, ConnOpenSteps, lport = lport, rport = rport);
        if o.guessed {
            tell!(out, lang, ConnOpenGuessed);
        }
    }
}

fn conn_close(c: &ConnClose, facts: Option<&ConnFacts>, lang: Lang, out: &mut Lines) {
    match c.how {
        CloseHow::Fin => tell!(out, lang, CloseFin, conn = c.conn),
        CloseHow::Rst => tell!(out, lang, CloseRst, conn = c.conn),
        CloseHow::Refused => tell!(out, lang, CloseRefused, conn = c.conn),
        CloseHow::Incomplete => tell!(out, lang, CloseIncomplete, conn = c.conn),
    }
    tell!(
        out,
        lang,
        CloseStates,
        cstate = state_name(lang, c.client_state),
        sstate = state_name(lang, c.server_state)
    );
    // The polling moral only for real polls: a path asked again and answered, not a page, an
    // icon, a refused upgrade or a failed Accept.
    if let Some(f) = facts
        && !f.upgraded
        && f.polls > 0
        && c.how != CloseHow::Incomplete
    {
        // One request per connection is the textbook's short connection; a kept-alive one that
        // polled several times still paid a full head per question.
        if f.http_requests > 1 {
            tell!(out, lang, ClosePolledKeepAlive, requests = f.http_requests);
        } else {
            tell!(out, lang, CloseShort);
        }
    }
}

fn http(h: &HttpHead, lang: Lang, out: &mut Lines) {
    let hv = |name: &str| h.header(name).map(shown);
    let closes = h
        .header("connection")
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    match &h.kind {
        HttpKind::Request { method, path } => {
            tell!(
                out,
                lang,
                HttpRequest,
                method = shown(method),
                path = shown(path),
                head_len = h.head_len
            );
            if let Some(up) = hv("upgrade") {
                if up.to_ascii_lowercase().contains("websocket") {
                    tell!(out, lang, WsStep2);
                }
                let connection = hv("connection").unwrap_or_default();
                tell!(
                    out,
                    lang,
                    HttpUpgradeReq,
                    upgrade = up,
                    connection = connection
                );
            }
            if let Some(key) = hv("sec-websocket-key") {
                let version = hv("sec-websocket-version").unwrap_or_else(|| "?".into());
                tell!(out, lang, HttpKey, key = key, version = version);
            }
            if let Some(ext) = hv("sec-websocket-extensions") {
                tell!(out, lang, HttpExtOffer, ext = ext);
            }
            if let Some(p) = hv("sec-websocket-protocol") {
                tell!(out, lang, HttpProtoOffer, proto = p);
            }
            if let Some(b) = h.body_len.filter(|&b| b > 0) {
                tell!(out, lang, HttpBody, body_len = b, head_len = h.head_len);
            }
        }
        HttpKind::Response { status, reason } => {
            if *status == 101 {
                tell!(out, lang, WsStep3);
                tell!(out, lang, Http101);
                if let Some(a) = hv("sec-websocket-accept") {
                    tell!(out, lang, HttpAccept, accept = a);
                }
                if let Some(ext) = hv("sec-websocket-extensions") {
                    tell!(out, lang, HttpExtAccept, ext = ext);
                }
                if let Some(p) = hv("sec-websocket-protocol") {
                    tell!(out, lang, HttpProtoAccept, proto = p);
                }
            } else {
                tell!(
                    out,
                    lang,
                    HttpResponse,
                    status = status,
                    reason = shown(reason),
                    head_len = h.head_len
                );
                if let Some(b) = h.body_len {
                    tell!(out, lang, HttpBody, body_len = b, head_len = h.head_len);
                }
            }
        }
    }
    if closes {
        tell!(out, lang, HttpConnClose);
    }
}

fn ws_handshake(h: &WsHandshake, lang: Lang, out: &mut Lines) {
    if h.upgraded {
        tell!(out, lang, WsOpen, conn = h.conn);
        tell!(out, lang, WsStep4);
    } else {
        let problems: Vec<String> = h
            .problems
            .iter()
            .map(|p| shown(&super::decoder_words::sentence(lang, p)).into_owned())
            .collect();
        tell!(
            out,
            lang,
            WsFailed,
            status = h.status,
            problems = problems.join("; "),
            conn = h.conn
        );
    }
    if let (Some(key), Some(accept)) = (&h.key, &h.accept) {
        let steps = super::accept::steps(key);
        let verdict = if h.accept_ok && accept.trim() == steps.base64 {
            catalog::text(lang, Msg::VerdictOk)
        } else {
            catalog::text(lang, Msg::VerdictBad)
        };
        tell!(
            out,
            lang,
            WsAcceptSteps,
            key = shown(key),
            guid = crate::http::WS_GUID,
            sha1 = steps.sha1_hex,
            expected = steps.base64,
            accept = shown(accept),
            verdict = verdict
        );
    }
    if let Some(d) = h.deflate.filter(|_| h.upgraded) {
        let yn =
            |no_takeover: bool| catalog::text(lang, if no_takeover { Msg::WNo } else { Msg::WYes });
        tell!(
            out,
            lang,
            WsDeflate,
            sbits = d.server_max_window_bits,
            cbits = d.client_max_window_bits,
            stake = yn(d.server_no_context_takeover),
            ctake = yn(d.client_no_context_takeover)
        );
    }
}

fn opcode_msg(op: Opcode) -> Msg {
    match op {
        Opcode::Continuation => Msg::OpContinuation,
        Opcode::Text => Msg::OpText,
        Opcode::Binary => Msg::OpBinary,
        Opcode::Close => Msg::OpClose,
        Opcode::Ping => Msg::OpPing,
        Opcode::Pong => Msg::OpPong,
        Opcode::ReservedData(_) | Opcode::ReservedControl(_) => Msg::OpReserved,
    }
}

fn ws_frame(fr: &WsFrame, facts: Option<&ConnFacts>, lang: Lang, out: &mut Lines) {
    let h = &fr.header;
    let lenform = catalog::text(
        lang,
        match h.len_code {
            126 => Msg::LenForm16,
            127 => Msg::LenForm64,
            _ => Msg::LenForm7,
        },
    );
    // Digits on the stack rather than a `format!` each (narrated text output).
    let rsv_bytes = [
        b'0' + h.rsv1 as u8,
        b'0' + h.rsv2 as u8,
        b'0' + h.rsv3 as u8,
    ];
    let rsv = std::str::from_utf8(&rsv_bytes).unwrap_or_default();
    let op = format_args!("{:#x}", h.opcode.code());
    let op = OPCODE_HEX
        .get(usize::from(h.opcode.code()))
        .map_or(Arg::Shown(&op), |s| Arg::Str(s));
    tell!(
        out,
        lang,
        Frame,
        hlen = h.header_len,
        fin = h.fin as u8,
        rsv = rsv,
        op = op,
        opname = catalog::text(lang, opcode_msg(h.opcode)),
        mask = h.masked as u8,
        len = h.payload_len,
        lenform = lenform
    );
    match (fr.dir, h.masked, h.mask_key) {
        (Dir::C2S, true, Some(k)) => {
            let hex = hex_bytes(&k);
            let key = std::str::from_utf8(&hex).unwrap_or_default();
            tell!(out, lang, FrameMasked, key = key);
        }
        (Dir::C2S, _, _) => tell!(out, lang, FrameUnmaskedClient),
        (Dir::S2C, false, _) => tell!(out, lang, FrameUnmasked),
        (Dir::S2C, true, _) => tell!(out, lang, FrameMaskedServer),
    }
    if !h.fin {
        tell!(out, lang, FrameFragment);
    }
    if h.rsv1 && facts.is_some_and(|f| f.deflate) {
        tell!(out, lang, FrameRsv1);
    }
    if fr.heuristic {
        tell!(out, lang, FrameHeuristic);
    }
}

/// Opcodes (four bits) as `{:#x}` writes them.
const OPCODE_HEX: [&str; 16] = [
    "0x0", "0x1", "0x2", "0x3", "0x4", "0x5", "0x6", "0x7", "0x8", "0x9", "0xa", "0xb", "0xc",
    "0xd", "0xe", "0xf",
];

/// A masking key as `{:02x} {:02x} {:02x} {:02x}` writes it, on the stack.
fn hex_bytes(k: &[u8; 4]) -> [u8; 11] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b' '; 11];
    for (i, b) in k.iter().enumerate() {
        out[3 * i] = DIGITS[usize::from(b >> 4)];
        out[3 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

/// What a close status code means (RFC 6455 §7.4.1), as a catalogue sentence.
pub(crate) fn close_meaning(code: u16) -> Msg {
    match code {
        1000 => Msg::Cc1000,
        1001 => Msg::Cc1001,
        1002 => Msg::Cc1002,
        1003 => Msg::Cc1003,
        1007 => Msg::Cc1007,
        1008 => Msg::Cc1008,
        1009 => Msg::Cc1009,
        1010 => Msg::Cc1010,
        1011 => Msg::Cc1011,
        _ => Msg::CcOther,
    }
}

fn ws_message(m: &WsMessage, facts: Option<&ConnFacts>, lang: Lang, out: &mut Lines) {
    let who = side(lang, m.dir);
    match m.opcode {
        Opcode::Text => {
            let text = m.text.as_deref().map(shown).unwrap_or_default();
            tell!(out, lang, MsgText, who = who, len = m.len, text = text);
        }
        Opcode::Ping => tell!(out, lang, MsgPing, who = who, len = m.len),
        Opcode::Pong => tell!(out, lang, MsgPong, who = who, len = m.len),
        Opcode::Close => {
            match m.close_code {
                Some(code) => {
                    let meaning = catalog::text(lang, close_meaning(code));
                    tell!(
                        out,
                        lang,
                        MsgClose,
                        who = who,
                        code = code,
                        meaning = meaning
                    );
                }
                None => tell!(out, lang, MsgCloseNoCode, who = who),
            }
            if let Some(r) = m.close_reason.as_deref().filter(|r| !r.is_empty()) {
                tell!(out, lang, MsgCloseReason, reason = shown(r));
            }
        }
        _ => tell!(out, lang, MsgBinary, who = who, len = m.len),
    }
    if m.frames > 1 {
        tell!(out, lang, MsgFragments, frames = m.frames);
    }
    if let Some(err) = &m.inflate_error {
        tell!(out, lang, MsgInflateErr, err = shown(err));
    } else if m.compressed && m.len > 0 {
        let pct = m.wire_len.saturating_mul(100) / m.len;
        if m.wire_len < m.len {
            tell!(
                out,
                lang,
                MsgDeflateSmaller,
                wire_len = m.wire_len,
                len = m.len,
                pct = pct
            );
        } else {
            tell!(
                out,
                lang,
                MsgDeflateBigger,
                wire_len = m.wire_len,
                len = m.len,
                pct = pct
            );
        }
    }
    if m.utf8_error {
        tell!(out, lang, MsgUtf8);
    }
    // "Instead of polling" only at a real push: a server message that answers no client one.
    if m.dir == Dir::S2C
        && !m.opcode.is_control()
        && facts.is_some_and(|f| f.upgraded && !f.push_told && f.unanswered == 0)
    {
        tell!(out, lang, MsgPush, who = who);
    }
}

/// Narration with its own context: feed events in order, get their sentences.
#[derive(Clone, Debug, Default)]
pub struct Narrator {
    pub lang: Lang,
    pub cx: NarrationContext,
}

impl Narrator {
    pub fn new(lang: Lang) -> Self {
        Narrator {
            lang,
            cx: NarrationContext::new(),
        }
    }

    pub fn next(&mut self, ev: &Event) -> Vec<String> {
        let lines = narrate(ev, &self.cx, self.lang);
        self.cx.observe(ev);
        lines
    }

    /// [`Narrator::next`], written to `out`.
    pub fn next_into(&mut self, ev: &Event, out: &mut Lines) {
        narrate_into(ev, &self.cx, self.lang, out);
        self.cx.observe(ev);
    }
}

#[cfg(test)]
#[path = "narrate_tests.rs"]
mod tests;
