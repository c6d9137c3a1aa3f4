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
        }
    }

    /// Follow every summary line with the event's narration in `lang`.
    pub fn narrated(mut self, lang: Lang) -> Self {
        self.narrator = Some(Narrator::new(lang));
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
        let sentences = self.narrator.as_mut().map(|n| n.next(ev));
        push_lines(&mut line, ev, sentences.as_deref());
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

/// Append an event's summary line and, when given, the sentences of its narration (indented).
pub(crate) fn push_lines(out: &mut String, ev: &Event, sentences: Option<&[String]>) {
    push_summary(out, ev);
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

fn arrow(dir: Dir) -> &'static str {
    match dir {
        Dir::C2S => "client → server",
        Dir::S2C => "server → client",
    }
}

/// One line describing an event.
pub fn summary(ev: &Event) -> String {
    let mut s = String::new();
    push_summary(&mut s, ev);
    s
}

/// [`summary`], appended to `s`.
fn push_summary(s: &mut String, ev: &Event) {
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
                "conn {} {}: client {} ↔ server {}{}",
                e.conn,
                e.proto.as_str().to_uppercase(),
                e.client,
                e.server,
                if e.guessed {
                    " (roles guessed: the SYN was not captured)"
                } else {
                    ""
                }
            );
        }
        Event::Tcp(e) => {
            let _ = write!(s, "conn {} {} TCP ", e.conn, arrow(e.dir));
            // Written in place: every flag bit has a name, so no bit set is the empty list.
            if e.flags.0 == 0 {
                s.push_str("[none]");
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
                let _ = write!(s, "  handshake {step}");
            }
            for a in e.analysis.names() {
                let _ = write!(s, "  !{a}");
            }
            let _ = write!(
                s,
                "  | client {} · server {}",
                e.client_state, e.server_state
            );
            if e.truncated {
                s.push_str("  (truncated)");
            }
        }
        Event::ConnClose(e) => {
            let _ = write!(
                s,
                "conn {} closed ({}): client {} · server {}",
                e.conn,
                match e.how {
                    CloseHow::Fin => "FIN both ways",
                    CloseHow::Rst => "reset",
                    CloseHow::Refused => "refused: nobody listening",
                    CloseHow::Incomplete => "still open at the end of the capture",
                },
                e.client_state,
                e.server_state
            );
        }
        Event::Udp(e) => {
            let _ = write!(
                s,
                "conn {} {} UDP datagram len={}",
                e.conn,
                arrow(e.dir),
                e.len
            );
        }
        Event::Http(e) => {
            let _ = write!(s, "conn {} {} HTTP ", e.conn, arrow(e.dir));
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
            let _ = write!(s, "conn {} WebSocket upgrade ", e.conn);
            if e.upgraded {
                s.push_str("succeeded");
            } else {
                let _ = write!(
                    s,
                    "FAILED ({})",
                    escape_for_terminal(&e.problems.join("; "))
                );
            }
            if let (Some(k), Some(x)) = (&e.key, &e.expected_accept) {
                let _ = write!(
                    s,
                    "  key {} → expected accept {} · got {} {}",
                    escape_for_terminal(k),
                    x,
                    escape_for_terminal(e.accept.as_deref().unwrap_or("(none)")),
                    if e.accept_ok { "✓" } else { "✗" }
                );
            }
            if let Some(p) = &e.protocol {
                let _ = write!(s, "  protocol {}", escape_for_terminal(p));
            }
            if let Some(x) = &e.extensions {
                let _ = write!(s, "  extensions {}", escape_for_terminal(x));
            }
        }
        Event::WsFrame(e) => {
            let h = &e.header;
            let _ = write!(
                s,
                "conn {} {} WS frame FIN={} RSV={}{}{} opcode={:#x} ({}) MASK={} len={}",
                e.conn,
                arrow(e.dir),
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
                let _ = write!(s, " (in {} packets)", e.pkts.len());
            }
            if e.heuristic {
                s.push_str(" (heuristic)");
            }
        }
        Event::WsMessage(e) => {
            let _ = write!(
                s,
                "conn {} {} WS {} message",
                e.conn,
                arrow(e.dir),
                e.opcode.as_str()
            );
            if e.frames > 1 {
                let _ = write!(s, " in {} frames", e.frames);
            }
            let _ = write!(s, ", {} bytes", e.len);
            if e.compressed {
                let _ = write!(s, " (compressed {} → inflated {})", e.wire_len, e.len);
            }
            if let Some(err) = &e.inflate_error {
                let _ = write!(s, " — could not inflate: {}", escape_for_terminal(err));
            } else if let Some(c) = e.close_code {
                let _ = write!(s, ": code {c}");
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
                let _ = write!(s, ": \"{}{cut}\"", escape_for_terminal(preview));
            } else if !e.data.is_empty() {
                let n = e.data.len().min(32);
                let _ = write!(s, ": {}", bytes_for_terminal(&e.data[..n]));
            }
        }
        Event::Note(e) => {
            let _ = write!(
                s,
                "{}: {} [{}]",
                e.level.as_str(),
                escape_for_terminal(&e.text),
                e.code
            );
            if let Some(c) = e.conn {
                let _ = write!(s, " (conn {c})");
            }
        }
        Event::App(e) => {
            let _ = write!(
                s,
                "conn {} {} {}",
                e.conn,
                arrow(e.dir),
                super::app::summary(e)
            );
        }
        Event::Tls(e) => {
            let _ = write!(s, "conn {} {} TLS {}", e.conn, arrow(e.dir), tls_summary(e));
        }
        Event::TlsSession(e) => {
            let _ = write!(
                s,
                "conn {} TLS session {} {}: {}",
                e.conn,
                e.version,
                escape_for_terminal(&e.cipher),
                if e.decrypted {
                    "decrypted with the key log"
                } else {
                    "encrypted (no keys)"
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
