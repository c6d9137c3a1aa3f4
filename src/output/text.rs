//! The text log for people: one summary line per event (the packet, its numbers, both ends'
//! states), with every captured string escaped for the terminal, optionally followed by the
//! event's narration (indented) from the teaching layer.

use crate::event::*;
use crate::teach::narrate::Lines;
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
    /// The text of the event being written (kept for the next).
    line: String,
}

impl<W: Write> TextWriter<W> {
    pub fn new(out: W) -> Self {
        TextWriter {
            out,
            line_buffered: false,
            error: None,
            narrator: None,
            summary_lang: Lang::En,
            line: String::new(),
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
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        push_summary_line(&mut line, ev, self.summary_lang);
        if let Some(n) = self.narrator.as_mut() {
            if is_narrated(ev) {
                n.next_into(ev, &mut Lines::log(&mut line));
            } else {
                n.cx.observe(ev);
            }
        }
        super::write_out(
            &mut self.out,
            line.as_bytes(),
            self.line_buffered,
            &mut self.error,
        );
        self.line = line;
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

/// Append an event's summary line in `lang`; its narration, if any, follows (indented: see
/// `Lines::log`).
pub(crate) fn push_summary_line(out: &mut String, ev: &Event, lang: Lang) {
    push_summary(out, ev, lang);
    out.push('\n');
}

/// Whether the narration follows an event's summary line. A note's summary line is the note
/// itself: its narration would only repeat it (cut short), so the log says it once.
pub(crate) fn is_narrated(ev: &Event) -> bool {
    !matches!(ev, Event::Note(_))
}

/// The words of a summary line in one language; the protocol's own tokens (flags, field
/// names, states, opcodes) are the same in every language and are not here.
struct Words {
    conn: &'static str,
    c2s: &'static str,
    s2c: &'static str,
    client: &'static str,
    server: &'static str,
    /// The same words with the spaces around them, to be written at once (the log writes
    /// millions of lines): `conn `, ` client → server `, ` server → client `, `client `,
    /// ` · server `.
    conn_: &'static str,
    c2s_: &'static str,
    s2c_: &'static str,
    client_: &'static str,
    _server_: &'static str,
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
    conn_: "conn ",
    c2s_: " client → server ",
    s2c_: " server → client ",
    client_: "client ",
    _server_: " · server ",
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
    conn_: "连接 ",
    c2s_: " 客户端 → 服务器 ",
    s2c_: " 服务器 → 客户端 ",
    client_: "客户端 ",
    _server_: " · 服务器 ",
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

/// A whole number written without `fmt` (the narrated log writes a dozen per line).
#[inline]
fn num(s: &mut String, n: impl itoa::Integer) {
    s.push_str(itoa::Buffer::new().format(n));
}

/// `conn N → ` (the connection and the direction), as every per-direction line begins.
#[inline]
fn conn_dir(s: &mut String, w: &Words, conn: ConnId, dir: Dir) {
    s.push_str(w.conn_);
    num(s, conn);
    s.push_str(match dir {
        Dir::C2S => w.c2s_,
        Dir::S2C => w.s2c_,
    });
}

/// [`summary`] in `lang`, appended to `s`. The frequent lines are written piece by piece,
/// numbers through `itoa`: `fmt` was a third of the narrated log's cost.
fn push_summary(s: &mut String, ev: &Event, lang: Lang) {
    let w = words(lang);
    match ev.pkt() {
        // `#N` right-aligned in 7 columns, as `{:>7}` of a formatted string would be.
        Some(p) => {
            let digits = p.checked_ilog10().unwrap_or(0) as usize + 1;
            s.push_str(&"      #"[(digits + 1).min(7) - 1..]);
            num(s, p);
            s.push(' ');
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
            conn_dir(s, w, e.conn, e.dir);
            s.push_str("TCP [");
            // Every flag bit has a name, so no bit set is the empty list.
            if e.flags.0 == 0 {
                s.push_str(w.no_flags);
            } else {
                let mut first = true;
                for (bit, name) in TcpFlags::ORDER {
                    if e.flags.has(bit) {
                        if !first {
                            s.push(',');
                        }
                        s.push_str(name);
                        first = false;
                    }
                }
            }
            s.push_str("] seq=");
            num(s, e.rel_seq);
            if e.flags.ack() {
                s.push_str(" ack=");
                num(s, e.rel_ack);
            }
            s.push_str(" len=");
            num(s, e.len);
            s.push_str(" win=");
            num(s, e.win);
            if let Some(h) = e.handshake {
                let step = match h {
                    Handshake::Syn => "1/3",
                    Handshake::SynAck => "2/3",
                    Handshake::Ack => "3/3",
                };
                s.push_str("  ");
                s.push_str(w.handshake);
                s.push(' ');
                s.push_str(step);
            }
            if !e.analysis.is_empty() {
                for a in e.analysis.names() {
                    s.push_str("  !");
                    s.push_str(&crate::teach::labels::analysis(lang, a));
                }
            }
            push_states(s, w, "  | ", e.client_state, e.server_state);
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
            s.push_str(w.conn);
            s.push(' ');
            num(s, e.conn);
            s.push_str(w.closed.0);
            s.push_str(how);
            s.push_str(w.closed.1);
            push_states(s, w, "", e.client_state, e.server_state);
        }
        Event::Udp(e) => {
            conn_dir(s, w, e.conn, e.dir);
            s.push_str(w.udp);
            s.push_str(" len=");
            num(s, e.len);
        }
        Event::Http(e) => {
            conn_dir(s, w, e.conn, e.dir);
            s.push_str("HTTP ");
            match &e.kind {
                HttpKind::Request { method, path } => {
                    s.push_str(&escape_for_terminal(method));
                    s.push(' ');
                    s.push_str(&escape_for_terminal(path));
                    s.push(' ');
                    s.push_str(&escape_for_terminal(&e.version));
                }
                HttpKind::Response { status, reason } => {
                    s.push_str(&escape_for_terminal(&e.version));
                    s.push(' ');
                    num(s, *status);
                    s.push(' ');
                    s.push_str(&escape_for_terminal(reason));
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
                    s.push_str("  ");
                    s.push_str(key);
                    s.push_str(": ");
                    s.push_str(&escape_for_terminal(v));
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
            conn_dir(s, w, e.conn, e.dir);
            s.push_str(w.frame);
            // ` FIN=1 RSV=100 opcode=0x1 (`, written at once.
            let mut bits = *b" FIN=0 RSV=000 opcode=0x0 (";
            bits[5] += h.fin as u8;
            bits[11] += h.rsv1 as u8;
            bits[12] += h.rsv2 as u8;
            bits[13] += h.rsv3 as u8;
            let code = h.opcode.code();
            match HEX.get(usize::from(code)) {
                Some(&digit) => {
                    bits[24] = digit;
                    s.push_str(std::str::from_utf8(&bits).unwrap_or_default());
                }
                None => {
                    s.push_str(std::str::from_utf8(&bits[..22]).unwrap_or_default());
                    let _ = write!(s, "{code:#x} (");
                }
            }
            s.push_str(h.opcode.as_str());
            s.push_str(if h.masked {
                ") MASK=1 len="
            } else {
                ") MASK=0 len="
            });
            num(s, h.payload_len);
            if let Some(k) = h.mask_key {
                s.push_str(" key=");
                for b in k {
                    s.push(HEX[usize::from(b >> 4)] as char);
                    s.push(HEX[usize::from(b & 0xf)] as char);
                }
            }
            if e.pkts.len() > 1 {
                s.push_str(w.in_packets.0);
                num(s, e.pkts.len());
                s.push_str(w.in_packets.1);
            }
            if e.heuristic {
                s.push_str(w.heuristic);
            }
        }
        Event::WsMessage(e) => {
            conn_dir(s, w, e.conn, e.dir);
            s.push_str("WS ");
            s.push_str(e.opcode.as_str());
            s.push_str(w.message);
            if e.frames > 1 {
                s.push_str(w.in_frames.0);
                num(s, e.frames);
                s.push_str(w.in_frames.1);
            }
            s.push_str(w.bytes.0);
            num(s, e.len);
            s.push_str(w.bytes.1);
            if e.compressed {
                let (a, b, c) = w.compressed;
                s.push_str(a);
                num(s, e.wire_len);
                s.push_str(b);
                num(s, e.len);
                s.push_str(c);
            }
            if let Some(err) = &e.inflate_error {
                s.push_str(w.not_inflated);
                s.push_str(&escape_for_terminal(err));
            } else if let Some(c) = e.close_code {
                s.push_str(w.close_code);
                num(s, c);
                if let Some(r) = &e.close_reason {
                    s.push_str(" \"");
                    s.push_str(&escape_for_terminal(r));
                    s.push('"');
                }
            } else if let Some(t) = &e.text {
                // The first 80 characters (no more than 80 bytes hold no more than 80).
                let preview = match t.len() > 80 {
                    true => match t.char_indices().nth(80) {
                        Some((i, _)) => &t[..i],
                        _ => &t[..],
                    },
                    false => &t[..],
                };
                s.push_str(w.colon);
                s.push('"');
                s.push_str(&escape_for_terminal(preview));
                if preview.len() < t.len() || e.text_truncated {
                    s.push('…');
                }
                s.push('"');
            } else if !e.data.is_empty() {
                let n = e.data.len().min(32);
                let bytes = bytes_for_terminal(&e.data[..n]);
                s.push_str(w.colon);
                // In Chinese captured bytes stand in quotes, apart from the words around them.
                match lang {
                    Lang::En => s.push_str(&bytes),
                    Lang::Zh => {
                        s.push('“');
                        s.push_str(&bytes);
                        s.push('”');
                    }
                }
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
            conn_dir(s, w, e.conn, e.dir);
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

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `client STATE · server STATE` after `lead`.
fn push_states(s: &mut String, w: &Words, lead: &str, client: TcpState, server: TcpState) {
    s.push_str(lead);
    s.push_str(w.client_);
    s.push_str(client.as_str());
    s.push_str(w._server_);
    s.push_str(server.as_str());
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
