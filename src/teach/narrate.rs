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
        catalog::say_args($lang, Msg::$id, &[$((stringify!($k), (&catalog::ArgOf(&$v)).arg())),*])
    }};
}

/// Captured strings longer than this are cut in narration (the detail views show all).
const MAX_SHOWN: usize = 120;

/// Connections remembered at once; beyond it the context forgets everything and starts over
/// (narration then only loses the "why" of a few numbers, never correctness of the events).
const MAX_CONNS: usize = 1 << 16;

/// What the narration remembers about one connection.
#[derive(Clone, Debug)]
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
    /// The last request's path (query cut off) and whether it asked to upgrade.
    asked: Option<(String, bool)>,
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
            asked: None,
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
                    f.asked = Some((path.chars().take(256).collect(), upgrade));
                }
                HttpKind::Response { status, .. } => {
                    let ok = (200..300).contains(status) || *status == 304;
                    let asked = self.facts(h.conn).asked.take();
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
#[derive(Clone, Debug, Default)]
pub struct EventFacts(Option<ConnFacts>);

impl NarrationContext {
    /// The facts `ev`'s narration reads now (call before `observe(ev)`).
    pub fn facts_for(&self, ev: &Event) -> EventFacts {
        EventFacts(ev.conn().and_then(|c| self.conns.get(&c)).cloned())
    }
}

/// The sentences that explain `ev` to a student, in `lang`.
pub fn narrate(ev: &Event, cx: &NarrationContext, lang: Lang) -> Vec<String> {
    let facts = ev.conn().and_then(|c| cx.conns.get(&c));
    narrate_with(ev, facts, lang)
}

/// [`narrate`] from facts taken earlier with [`NarrationContext::facts_for`].
pub fn narrate_from(ev: &Event, facts: &EventFacts, lang: Lang) -> Vec<String> {
    narrate_with(ev, facts.0.as_ref(), lang)
}

fn narrate_with(ev: &Event, facts: Option<&ConnFacts>, lang: Lang) -> Vec<String> {
    match ev {
        Event::ConnOpen(o) => conn_open(o, lang),
        Event::Tcp(s) => tcp(s, facts, lang),
        Event::ConnClose(c) => conn_close(c, facts, lang),
        Event::Udp(u) => vec![say!(lang, Udp, len = u.len, who = side(lang, u.dir))],
        Event::Http(h) => http(h, lang),
        Event::WsHandshake(h) => ws_handshake(h, lang),
        Event::WsFrame(f) => ws_frame(f, facts, lang),
        Event::WsMessage(m) => ws_message(m, facts, lang),
        Event::Note(n) => vec![say!(
            lang,
            NoteLine,
            text = shown(&super::decoder_words::sentence(lang, &n.text))
        )],
        Event::App(a) => super::above_ws::app(a, lang),
        Event::Tls(t) => tls_narration::tls_msg(t, lang),
        Event::TlsSession(t) => tls_narration::tls_session(t, lang),
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

fn conn_open(o: &ConnOpen, lang: Lang) -> Vec<String> {
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
    let mut out = vec![catalog::say(lang, opening, &args)];
    if o.proto == Proto::Tcp {
        out.push(say!(lang, ConnOpenSteps, lport = lport, rport = rport));
        if o.guessed {
            out.push(say!(lang, ConnOpenGuessed));
        }
    }
    out
}

fn conn_close(c: &ConnClose, facts: Option<&ConnFacts>, lang: Lang) -> Vec<String> {
    let mut out = vec![match c.how {
        CloseHow::Fin => say!(lang, CloseFin, conn = c.conn),
        CloseHow::Rst => say!(lang, CloseRst, conn = c.conn),
        CloseHow::Refused => say!(lang, CloseRefused, conn = c.conn),
        CloseHow::Incomplete => say!(lang, CloseIncomplete, conn = c.conn),
    }];
    out.push(say!(
        lang,
        CloseStates,
        cstate = state_name(lang, c.client_state),
        sstate = state_name(lang, c.server_state)
    ));
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
            out.push(say!(lang, ClosePolledKeepAlive, requests = f.http_requests));
        } else {
            out.push(say!(lang, CloseShort));
        }
    }
    out
}

fn http(h: &HttpHead, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let hv = |name: &str| h.header(name).map(shown);
    let closes = h
        .header("connection")
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    match &h.kind {
        HttpKind::Request { method, path } => {
            out.push(say!(
                lang,
                HttpRequest,
                method = shown(method),
                path = shown(path),
                head_len = h.head_len
            ));
            if let Some(up) = hv("upgrade") {
                if up.to_ascii_lowercase().contains("websocket") {
                    out.push(say!(lang, WsStep2));
                }
                let connection = hv("connection").unwrap_or_default();
                out.push(say!(
                    lang,
                    HttpUpgradeReq,
                    upgrade = up,
                    connection = connection
                ));
            }
            if let Some(key) = hv("sec-websocket-key") {
                let version = hv("sec-websocket-version").unwrap_or_else(|| "?".into());
                out.push(say!(lang, HttpKey, key = key, version = version));
            }
            if let Some(ext) = hv("sec-websocket-extensions") {
                out.push(say!(lang, HttpExtOffer, ext = ext));
            }
            if let Some(p) = hv("sec-websocket-protocol") {
                out.push(say!(lang, HttpProtoOffer, proto = p));
            }
            if let Some(b) = h.body_len.filter(|&b| b > 0) {
                out.push(say!(lang, HttpBody, body_len = b, head_len = h.head_len));
            }
        }
        HttpKind::Response { status, reason } => {
            if *status == 101 {
                out.push(say!(lang, WsStep3));
                out.push(say!(lang, Http101));
                if let Some(a) = hv("sec-websocket-accept") {
                    out.push(say!(lang, HttpAccept, accept = a));
                }
                if let Some(ext) = hv("sec-websocket-extensions") {
                    out.push(say!(lang, HttpExtAccept, ext = ext));
                }
                if let Some(p) = hv("sec-websocket-protocol") {
                    out.push(say!(lang, HttpProtoAccept, proto = p));
                }
            } else {
                out.push(say!(
                    lang,
                    HttpResponse,
                    status = status,
                    reason = shown(reason),
                    head_len = h.head_len
                ));
                if let Some(b) = h.body_len {
                    out.push(say!(lang, HttpBody, body_len = b, head_len = h.head_len));
                }
            }
        }
    }
    if closes {
        out.push(say!(lang, HttpConnClose));
    }
    out
}

fn ws_handshake(h: &WsHandshake, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    if h.upgraded {
        out.push(say!(lang, WsOpen, conn = h.conn));
        out.push(say!(lang, WsStep4));
    } else {
        let problems: Vec<String> = h
            .problems
            .iter()
            .map(|p| shown(&super::decoder_words::sentence(lang, p)).into_owned())
            .collect();
        out.push(say!(
            lang,
            WsFailed,
            status = h.status,
            problems = problems.join("; "),
            conn = h.conn
        ));
    }
    if let (Some(key), Some(accept)) = (&h.key, &h.accept) {
        let steps = super::accept::steps(key);
        let verdict = if h.accept_ok && accept.trim() == steps.base64 {
            catalog::text(lang, Msg::VerdictOk)
        } else {
            catalog::text(lang, Msg::VerdictBad)
        };
        out.push(say!(
            lang,
            WsAcceptSteps,
            key = shown(key),
            guid = crate::http::WS_GUID,
            sha1 = steps.sha1_hex,
            expected = steps.base64,
            accept = shown(accept),
            verdict = verdict
        ));
    }
    if let Some(d) = h.deflate.filter(|_| h.upgraded) {
        let yn =
            |no_takeover: bool| catalog::text(lang, if no_takeover { Msg::WNo } else { Msg::WYes });
        out.push(say!(
            lang,
            WsDeflate,
            sbits = d.server_max_window_bits,
            cbits = d.client_max_window_bits,
            stake = yn(d.server_no_context_takeover),
            ctake = yn(d.client_no_context_takeover)
        ));
    }
    out
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

fn ws_frame(fr: &WsFrame, facts: Option<&ConnFacts>, lang: Lang) -> Vec<String> {
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
    let mut out = vec![say!(
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
    )];
    match (fr.dir, h.masked, h.mask_key) {
        (Dir::C2S, true, Some(k)) => {
            let hex = hex_bytes(&k);
            let key = std::str::from_utf8(&hex).unwrap_or_default();
            out.push(say!(lang, FrameMasked, key = key));
        }
        (Dir::C2S, _, _) => out.push(say!(lang, FrameUnmaskedClient)),
        (Dir::S2C, false, _) => out.push(say!(lang, FrameUnmasked)),
        (Dir::S2C, true, _) => out.push(say!(lang, FrameMaskedServer)),
    }
    if !h.fin {
        out.push(say!(lang, FrameFragment));
    }
    if h.rsv1 && facts.is_some_and(|f| f.deflate) {
        out.push(say!(lang, FrameRsv1));
    }
    if fr.heuristic {
        out.push(say!(lang, FrameHeuristic));
    }
    out
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

fn ws_message(m: &WsMessage, facts: Option<&ConnFacts>, lang: Lang) -> Vec<String> {
    let who = side(lang, m.dir);
    let mut out = Vec::new();
    match m.opcode {
        Opcode::Text => {
            let text = m.text.as_deref().map(shown).unwrap_or_default();
            out.push(say!(lang, MsgText, who = who, len = m.len, text = text));
        }
        Opcode::Ping => out.push(say!(lang, MsgPing, who = who, len = m.len)),
        Opcode::Pong => out.push(say!(lang, MsgPong, who = who, len = m.len)),
        Opcode::Close => {
            match m.close_code {
                Some(code) => {
                    let meaning = catalog::text(lang, close_meaning(code));
                    out.push(say!(
                        lang,
                        MsgClose,
                        who = who,
                        code = code,
                        meaning = meaning
                    ));
                }
                None => out.push(say!(lang, MsgCloseNoCode, who = who)),
            }
            if let Some(r) = m.close_reason.as_deref().filter(|r| !r.is_empty()) {
                out.push(say!(lang, MsgCloseReason, reason = shown(r)));
            }
        }
        _ => out.push(say!(lang, MsgBinary, who = who, len = m.len)),
    }
    if m.frames > 1 {
        out.push(say!(lang, MsgFragments, frames = m.frames));
    }
    if let Some(err) = &m.inflate_error {
        out.push(say!(lang, MsgInflateErr, err = shown(err)));
    } else if m.compressed && m.len > 0 {
        let pct = m.wire_len.saturating_mul(100) / m.len;
        if m.wire_len < m.len {
            out.push(say!(
                lang,
                MsgDeflateSmaller,
                wire_len = m.wire_len,
                len = m.len,
                pct = pct
            ));
        } else {
            out.push(say!(
                lang,
                MsgDeflateBigger,
                wire_len = m.wire_len,
                len = m.len,
                pct = pct
            ));
        }
    }
    if m.utf8_error {
        out.push(say!(lang, MsgUtf8));
    }
    // "Instead of polling" only at a real push: a server message that answers no client one.
    if m.dir == Dir::S2C
        && !m.opcode.is_control()
        && facts.is_some_and(|f| f.upgraded && !f.push_told && f.unanswered == 0)
    {
        out.push(say!(lang, MsgPush, who = who));
    }
    out
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
}

#[cfg(test)]
#[path = "narrate_tests.rs"]
mod tests;
