//! The text log for people: one summary line per event (the packet, its numbers, both ends'
//! states), with every captured string escaped for the terminal, optionally followed by the
//! event's narration (indented) from the teaching layer.

use crate::event::*;
use crate::teach::{Lang, Narrator};
use crate::text::{bytes_for_terminal, escape_for_terminal};
use std::fmt::Write as _;
use std::io::{self, Write};

pub struct TextWriter<W: Write> {
    out: W,
    pub line_buffered: bool,
    error: Option<io::Error>,
    /// When set, each summary line is followed by the event's narration.
    narrator: Option<Narrator>,
    /// The language of the summary lines.
    summary_lang: Lang,
}

/// Indentation of narration lines: past the packet-number column of the summary line.
const NARRATION_INDENT: &str = "          ";

impl<W: Write> TextWriter<W> {
    pub fn new(out: W) -> Self {
        TextWriter {
            out,
            line_buffered: false,
            error: None,
            narrator: None,
            summary_lang: Lang::En,
        }
    }

    /// Follow every summary line with the event's narration in `lang` (and write the summary
    /// lines in `lang`).
    pub fn narrated(mut self, lang: Lang) -> Self {
        self.narrator = Some(Narrator::new(lang));
        self.summary_lang = lang;
        self
    }

    /// Write the summary lines in `lang` (without narration: `--brief`).
    pub fn summaries_in(mut self, lang: Lang) -> Self {
        self.summary_lang = lang;
        self
    }

    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// The output written to so far.
    pub fn out_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flush what is held, keeping a write error for `take_error` (the input has caught up).
    pub fn flush_held(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.out.flush()
        {
            self.error = Some(e);
        }
    }

    pub fn write_event(&mut self, ev: &Event) {
        if self.error.is_some() {
            return;
        }
        let mut line = String::new();
        let lang = self.summary_lang;
        let sentences = self.narrator.as_mut().map(|n| n.next(ev));
        push_lines(&mut line, ev, lang, sentences.as_deref());
        super::write_out(
            &mut self.out,
            line.as_bytes(),
            self.line_buffered,
            &mut self.error,
        );
    }
}

impl<W: Write> Sink for TextWriter<W> {
    fn emit(&mut self, ev: Event) {
        self.write_event(&ev);
    }
    fn caught_up(&mut self) {
        self.flush_held();
    }
}

impl<W: Write> super::WriteEvent for TextWriter<W> {
    fn write_event(&mut self, ev: &Event) {
        TextWriter::write_event(self, ev);
    }
    fn flush_out(&mut self) {
        self.flush_held();
    }

    fn take_error(&mut self) -> Option<io::Error> {
        TextWriter::take_error(self)
    }
}

/// Append an event's summary line in `lang` and, when given, the sentences of its narration
/// (indented).
pub(crate) fn push_lines(out: &mut String, ev: &Event, lang: Lang, sentences: Option<&[String]>) {
    push_summary(out, ev, lang);
    out.push('\n');
    // A note's summary line is the note itself: its narration would only repeat it (cut
    // short), so the log says it once.
    if matches!(ev, Event::Note(_)) {
        return;
    }
    for sentence in sentences.into_iter().flatten() {
        out.push_str(NARRATION_INDENT);
        out.push_str(sentence);
        out.push('\n');
    }
}

/// The words of a summary line in one language; the protocol's own tokens (flags, field
/// names, states, opcodes) are the same in every language and are not here.
struct Words {
    conn: &'static str,
    c2s: &'static str,
    s2c: &'static str,
    client: &'static str,
    server: &'static str,
    /// Between a connection's name and what follows (`conn 1 TCP: …`).
    colon: &'static str,
    roles_guessed: &'static str,
    no_flags: &'static str,
    handshake: &'static str,
    truncated: &'static str,
    closed: (&'static str, &'static str),
    udp: &'static str,
    upgrade: &'static str,
    succeeded: &'static str,
    failed: (&'static str, &'static str),
    key: &'static str,
    expected: &'static str,
    got: &'static str,
    none: &'static str,
    protocol: &'static str,
    extensions: &'static str,
    frame: &'static str,
    in_packets: (&'static str, &'static str),
    heuristic: &'static str,
    message: &'static str,
    in_frames: (&'static str, &'static str),
    bytes: (&'static str, &'static str),
    compressed: (&'static str, &'static str, &'static str),
    not_inflated: &'static str,
    close_code: &'static str,
    tls_session: &'static str,
    decrypted: &'static str,
    encrypted: &'static str,
}

const EN: Words = Words {
    conn: "conn",
    c2s: "client → server",
    s2c: "server → client",
    client: "client",
    server: "server",
    colon: ": ",
    roles_guessed: " (roles guessed: the SYN was not captured)",
    no_flags: "none",
    handshake: "handshake",
    truncated: "  (truncated)",
    closed: (" closed (", "): "),
    udp: "UDP datagram",
    upgrade: "WebSocket upgrade ",
    succeeded: "succeeded",
    failed: ("FAILED (", ")"),
    key: "key",
    expected: "expected accept",
    got: "got",
    none: "(none)",
    protocol: "protocol",
    extensions: "extensions",
    frame: "WS frame",
    in_packets: (" (in ", " packets)"),
    heuristic: " (heuristic)",
    message: " message",
    in_frames: (" in ", " frames"),
    bytes: (", ", " bytes"),
    compressed: (" (compressed ", " → inflated ", ")"),
    not_inflated: " — could not inflate: ",
    close_code: ": code ",
    tls_session: "TLS session",
    decrypted: "decrypted with the key log",
    encrypted: "encrypted (no keys)",
};

const ZH: Words = Words {
    conn: "连接",
    c2s: "客户端 → 服务器",
    s2c: "服务器 → 客户端",
    client: "客户端",
    server: "服务器",
    colon: "：",
    roles_guessed: "（角色是推测的：没有抓到 SYN）",
    no_flags: "无",
    handshake: "握手",
    truncated: "  （截断）",
    closed: (" 关闭（", "）："),
    udp: "UDP 数据报",
    upgrade: "WebSocket 升级",
    succeeded: "成功",
    failed: ("失败（", "）"),
    key: "密钥",
    expected: "应得 Accept",
    got: "收到",
    none: "（无）",
    protocol: "子协议",
    extensions: "扩展",
    frame: "WS 帧",
    in_packets: ("（分在 ", " 个包里）"),
    heuristic: "（推测）",
    message: " 消息",
    in_frames: ("，共 ", " 帧"),
    bytes: ("，", " 字节"),
    compressed: ("（压缩 ", " → 解压 ", "）"),
    not_inflated: " — 无法解压：",
    close_code: "：关闭码 ",
    tls_session: "TLS 会话",
    decrypted: "已用密钥日志解密",
    encrypted: "仍是加密的（没有密钥）",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

fn arrow(w: &Words, dir: Dir) -> &'static str {
    match dir {
        Dir::C2S => w.c2s,
        Dir::S2C => w.s2c,
    }
}

fn level(lang: Lang, l: Level) -> &'static str {
    match (lang, l) {
        (Lang::En, l) => l.as_str(),
        (Lang::Zh, Level::Info) => "提示",
        (Lang::Zh, Level::Warn) => "警告",
        (Lang::Zh, Level::Error) => "错误",
    }
}

/// One line describing an event.
pub fn summary(ev: &Event) -> String {
    let mut s = String::new();
    push_summary(&mut s, ev, Lang::En);
    s
}

/// [`summary`] in `lang`, appended to `s`.
fn push_summary(s: &mut String, ev: &Event, lang: Lang) {
    let w = words(lang);
    match ev.pkt() {
        // `#N` right-aligned in 7 columns, as `{:>7}` of a formatted string would be, without
        // a `format!` per line (narrated text output).
        Some(p) => {
            let digits = p.checked_ilog10().unwrap_or(0) as usize + 1;
            for _ in digits + 1..7 {
                s.push(' ');
            }
            let _ = write!(s, "#{p} ");
        }
        None => s.push_str("        "),
    }
    match ev {
        Event::ConnOpen(e) => {
            let _ = write!(
                s,
                "{} {} {}{}{} {} ↔ {} {}{}",
                w.conn,
                e.conn,
                e.proto.as_str().to_uppercase(),
                w.colon,
                w.client,
                e.client,
                w.server,
                e.server,
                if e.guessed { w.roles_guessed } else { "" }
            );
        }
        Event::Tcp(e) => {
            let _ = write!(s, "{} {} {} TCP ", w.conn, e.conn, arrow(w, e.dir));
            // Written in place: every flag bit has a name, so no bit set is the empty list.
            if e.flags.0 == 0 {
                let _ = write!(s, "[{}]", w.no_flags);
            } else {
                let _ = write!(s, "[{}]", e.flags);
            }
            let _ = write!(s, " seq={}", e.rel_seq);
            if e.flags.ack() {
                let _ = write!(s, " ack={}", e.rel_ack);
            }
            let _ = write!(s, " len={} win={}", e.len, e.win);
            if let Some(h) = e.handshake {
                let step = match h {
                    Handshake::Syn => "1/3",
                    Handshake::SynAck => "2/3",
                    Handshake::Ack => "3/3",
                };
                let _ = write!(s, "  {} {step}", w.handshake);
            }
            for a in e.analysis.names() {
                let _ = write!(s, "  !{}", crate::teach::labels::analysis(lang, a));
            }
            let _ = write!(
                s,
                "  | {} {} · {} {}",
                w.client, e.client_state, w.server, e.server_state
            );
            if e.truncated {
                s.push_str(w.truncated);
            }
        }
        Event::ConnClose(e) => {
            let how = match (lang, e.how) {
                (Lang::En, CloseHow::Fin) => "FIN both ways",
                (Lang::En, CloseHow::Rst) => "reset",
                (Lang::En, CloseHow::Refused) => "refused: nobody listening",
                (Lang::En, CloseHow::Incomplete) => "still open at the end of the capture",
                (Lang::Zh, how) => crate::teach::labels::close_how(lang, how),
            };
            let _ = write!(
                s,
                "{} {}{}{how}{}{} {} · {} {}",
                w.conn,
                e.conn,
                w.closed.0,
                w.closed.1,
                w.client,
                e.client_state,
                w.server,
                e.server_state
            );
        }
        Event::Udp(e) => {
            let _ = write!(
                s,
                "{} {} {} {} len={}",
                w.conn,
                e.conn,
                arrow(w, e.dir),
                w.udp,
                e.len
            );
        }
        Event::Http(e) => {
            let _ = write!(s, "{} {} {} HTTP ", w.conn, e.conn, arrow(w, e.dir));
            match &e.kind {
                HttpKind::Request { method, path } => {
                    let _ = write!(
                        s,
                        "{} {} {}",
                        escape_for_terminal(method),
                        escape_for_terminal(path),
                        escape_for_terminal(&e.version)
                    );
                }
                HttpKind::Response { status, reason } => {
                    let _ = write!(
                        s,
                        "{} {} {}",
                        escape_for_terminal(&e.version),
                        status,
                        escape_for_terminal(reason)
                    );
                }
            }
            for key in [
                "Upgrade",
                "Connection",
                "Sec-WebSocket-Key",
                "Sec-WebSocket-Accept",
                "Content-Length",
            ] {
                if let Some(v) = e.header(key) {
                    let _ = write!(s, "  {key}: {}", escape_for_terminal(v));
                }
            }
        }
        Event::WsHandshake(e) => {
            let _ = write!(s, "{} {} {}", w.conn, e.conn, w.upgrade);
            if e.upgraded {
                s.push_str(w.succeeded);
            } else {
                let problems: Vec<_> = e
                    .problems
                    .iter()
                    .map(|p| crate::teach::decoder_words::sentence(lang, p))
                    .collect();
                let _ = write!(
                    s,
                    "{}{}{}",
                    w.failed.0,
                    escape_for_terminal(&problems.join("; ")),
                    w.failed.1
                );
            }
            if let (Some(k), Some(x)) = (&e.key, &e.expected_accept) {
                let _ = write!(
                    s,
                    "  {} {} → {} {} · {} {} {}",
                    w.key,
                    escape_for_terminal(k),
                    w.expected,
                    x,
                    w.got,
                    escape_for_terminal(e.accept.as_deref().unwrap_or(w.none)),
                    if e.accept_ok { "✓" } else { "✗" }
                );
            }
            if let Some(p) = &e.protocol {
                let _ = write!(s, "  {} {}", w.protocol, escape_for_terminal(p));
            }
            if let Some(x) = &e.extensions {
                let _ = write!(s, "  {} {}", w.extensions, escape_for_terminal(x));
            }
        }
        Event::WsFrame(e) => {
            let h = &e.header;
            let _ = write!(
                s,
                "{} {} {} {} FIN={} RSV={}{}{} opcode={:#x} ({}) MASK={} len={}",
                w.conn,
                e.conn,
                arrow(w, e.dir),
                w.frame,
                h.fin as u8,
                h.rsv1 as u8,
                h.rsv2 as u8,
                h.rsv3 as u8,
                h.opcode.code(),
                h.opcode.as_str(),
                h.masked as u8,
                h.payload_len
            );
            if let Some(k) = h.mask_key {
                let _ = write!(s, " key={:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]);
            }
            if e.pkts.len() > 1 {
                let _ = write!(s, "{}{}{}", w.in_packets.0, e.pkts.len(), w.in_packets.1);
            }
            if e.heuristic {
                s.push_str(w.heuristic);
            }
        }
        Event::WsMessage(e) => {
            let _ = write!(
                s,
                "{} {} {} WS {}{}",
                w.conn,
                e.conn,
                arrow(w, e.dir),
                e.opcode.as_str(),
                w.message
            );
            if e.frames > 1 {
                let _ = write!(s, "{}{}{}", w.in_frames.0, e.frames, w.in_frames.1);
            }
            let _ = write!(s, "{}{}{}", w.bytes.0, e.len, w.bytes.1);
            if e.compressed {
                let (a, b, c) = w.compressed;
                let _ = write!(s, "{a}{}{b}{}{c}", e.wire_len, e.len);
            }
            if let Some(err) = &e.inflate_error {
                let _ = write!(s, "{}{}", w.not_inflated, escape_for_terminal(err));
            } else if let Some(c) = e.close_code {
                let _ = write!(s, "{}{c}", w.close_code);
                if let Some(r) = &e.close_reason {
                    let _ = write!(s, " \"{}\"", escape_for_terminal(r));
                }
            } else if let Some(t) = &e.text {
                // The first 80 characters.
                let preview = match t.char_indices().nth(80) {
                    Some((i, _)) => &t[..i],
                    _ => &t[..],
                };
                let cut = if preview.len() < t.len() || e.text_truncated {
                    "…"
                } else {
                    ""
                };
                let _ = write!(s, "{}\"{}{cut}\"", w.colon, escape_for_terminal(preview));
            } else if !e.data.is_empty() {
                let n = e.data.len().min(32);
                let bytes = bytes_for_terminal(&e.data[..n]);
                // In Chinese captured bytes stand in quotes, apart from the words around them.
                let _ = match lang {
                    Lang::En => write!(s, "{}{bytes}", w.colon),
                    Lang::Zh => write!(s, "{}“{bytes}”", w.colon),
                };
            }
        }
        Event::Note(e) => {
            let text = crate::teach::decoder_words::sentence(lang, &e.text);
            let _ = write!(
                s,
                "{}{}{} [{}]",
                level(lang, e.level),
                w.colon,
                escape_for_terminal(&text),
                e.code
            );
            if let Some(c) = e.conn {
                match lang {
                    Lang::En => {
                        let _ = write!(s, " (conn {c})");
                    }
                    Lang::Zh => {
                        let _ = write!(s, "（连接 {c}）");
                    }
                }
            }
        }
        Event::App(e) => {
            let _ = write!(s, "{} {} {} ", w.conn, e.conn, arrow(w, e.dir));
            super::app::push_summary(s, e, lang);
        }
        Event::Tls(e) => {
            let _ = write!(
                s,
                "{} {} {} TLS {}",
                w.conn,
                e.conn,
                arrow(w, e.dir),
                crate::teach::tls_words::summary(lang, e)
            );
        }
        Event::TlsSession(e) => {
            let _ = write!(
                s,
                "{} {} {} {} {}{}{}",
                w.conn,
                e.conn,
                w.tls_session,
                e.version,
                escape_for_terminal(&e.cipher),
                w.colon,
                if e.decrypted {
                    w.decrypted
                } else {
                    w.encrypted
                }
            );
        }
    }
}

/// A TLS message in a few words: its name and what it offers or chose (terminal-safe).
pub fn tls_summary(e: &crate::event::TlsMsg) -> String {
    let mut s = String::from(e.kind);
    if e.encrypted {
        s.push_str(" (decrypted)");
    }
    if !e.versions.is_empty() {
        let _ = write!(s, " versions={}", e.versions.join(","));
    }
    if let Some(v) = e.version {
        let _ = write!(s, " {v}");
    }
    if let Some(c) = &e.cipher {
        let _ = write!(s, " {}", escape_for_terminal(c));
    }
    if let Some(n) = &e.sni {
        let _ = write!(s, " sni={}", escape_for_terminal(n));
    }
    if !e.alpn.is_empty() {
        let _ = write!(s, " alpn={}", escape_for_terminal(&e.alpn.join(",")));
    }
    if !e.ciphers.is_empty() {
        let _ = write!(s, " ({} cipher suites)", e.ciphers.len());
    }
    if let Some(c) = e.certs.first() {
        let _ = write!(s, " subject={}", escape_for_terminal(&c.subject));
    }
    if let Some(d) = &e.detail {
        let _ = write!(s, ": {}", escape_for_terminal(d));
    }
    s
}
