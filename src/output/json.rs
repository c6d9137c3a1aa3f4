//! NDJSON: one JSON object per event and line (the contract is in docs/json-events.md).
//!
//! Written by hand into one reused buffer: this is the hot path of `wslens decode --json`.
//! Strings escape every control character, DEL, C1 controls and bidirectional overrides as
//! `\uXXXX`, so the output is safe to print on a terminal too.

use crate::event::*;
use std::io::{self, Write};

pub struct JsonWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Flush after every line (live capture).
    pub line_buffered: bool,
    error: Option<io::Error>,
}

impl<W: Write> JsonWriter<W> {
    pub fn new(out: W) -> Self {
        JsonWriter {
            out,
            buf: Vec::with_capacity(1024),
            line_buffered: false,
            error: None,
        }
    }

    /// The first write error, if any (a closed pipe ends output quietly).
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn write_event(&mut self, ev: &Event) {
        if self.error.is_some() {
            return;
        }
        self.buf.clear();
        encode(&mut self.buf, ev);
        self.buf.push(b'\n');
        super::write_out(
            &mut self.out,
            &self.buf,
            self.line_buffered,
            &mut self.error,
        );
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn emit(&mut self, ev: Event) {
        self.write_event(&ev);
    }
}

/// Append one event as a JSON object (no newline).
pub fn encode(b: &mut Vec<u8>, ev: &Event) {
    let mut o = Obj::start(b, ev.name());
    match ev {
        Event::ConnOpen(e) => {
            o.num("conn", e.conn as u64);
            o.str("proto", e.proto.as_str());
            o.addr("client", &e.client);
            o.addr("server", &e.server);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            if e.guessed {
                o.bool("guessed", true);
            }
        }
        Event::Tcp(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.str("dir", e.dir.as_str());
            o.flags(e.flags);
            o.num("seq", e.seq as u64);
            o.num("ack", e.ack as u64);
            o.num("rel_seq", e.rel_seq as u64);
            o.num("rel_ack", e.rel_ack as u64);
            o.num("len", e.len as u64);
            o.num("win", e.win as u64);
            o.str("client_state", e.client_state.as_str());
            o.str("server_state", e.server_state.as_str());
            if let Some(h) = e.handshake {
                o.str("handshake", h.as_str());
            }
            if !e.analysis.is_empty() {
                o.str_list("analysis", e.analysis.names());
            }
            if let Some(m) = e.opts.mss {
                o.num("mss", m as u64);
            }
            if let Some(w) = e.opts.wscale {
                o.num("wscale", w as u64);
            }
            if e.truncated {
                o.bool("truncated", true);
            }
        }
        Event::ConnClose(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.str("how", e.how.as_str());
            o.str("client_state", e.client_state.as_str());
            o.str("server_state", e.server_state.as_str());
        }
        Event::Udp(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.str("dir", e.dir.as_str());
            o.num("len", e.len as u64);
        }
        Event::Http(e) => {
            o.num("conn", e.conn as u64);
            o.str("dir", e.dir.as_str());
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            match &e.kind {
                HttpKind::Request { method, path } => {
                    o.str("kind", "request");
                    o.str("method", method);
                    o.str("path", path);
                }
                HttpKind::Response { status, reason } => {
                    o.str("kind", "response");
                    o.num("status", *status as u64);
                    o.str("reason", reason);
                }
            }
            o.str("version", &e.version);
            o.key("headers");
            o.b.push(b'[');
            for (i, (n, v)) in e.headers.iter().enumerate() {
                if i > 0 {
                    o.b.push(b',');
                }
                o.b.push(b'[');
                string(o.b, n);
                o.b.push(b',');
                string(o.b, v);
                o.b.push(b']');
            }
            o.b.push(b']');
            o.num("head_len", e.head_len as u64);
            if let Some(n) = e.body_len {
                o.num("body_len", n);
            }
        }
        Event::WsHandshake(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.num("status", e.status as u64);
            o.opt_str("key", e.key.as_deref());
            o.opt_str("accept", e.accept.as_deref());
            o.opt_str("expected_accept", e.expected_accept.as_deref());
            o.bool("accept_ok", e.accept_ok);
            o.opt_str("version", e.version.as_deref());
            o.opt_str("protocol", e.protocol.as_deref());
            o.opt_str("extensions", e.extensions.as_deref());
            o.bool("upgraded", e.upgraded);
            if !e.problems.is_empty() {
                o.str_list("problems", e.problems.iter().map(String::as_str));
            }
        }
        Event::WsFrame(e) => {
            o.num("conn", e.conn as u64);
            o.str("dir", e.dir.as_str());
            o.key("pkts");
            o.b.push(b'[');
            for (i, p) in e.pkts.iter().enumerate() {
                if i > 0 {
                    o.b.push(b',');
                }
                o.b.extend_from_slice(itoa::Buffer::new().format(*p).as_bytes());
            }
            o.b.push(b']');
            o.ts(e.ts);
            let h = &e.header;
            o.bool("fin", h.fin);
            o.bool("rsv1", h.rsv1);
            o.bool("rsv2", h.rsv2);
            o.bool("rsv3", h.rsv3);
            o.str("opcode", h.opcode.as_str());
            o.num("opcode_value", h.opcode.code() as u64);
            o.bool("masked", h.masked);
            if let Some(k) = h.mask_key {
                o.hex("mask_key", &k);
            }
            o.num("payload_len", h.payload_len);
            o.num("stream_offset", e.stream_offset);
            if e.heuristic {
                o.bool("heuristic", true);
            }
        }
        Event::WsMessage(e) => {
            o.num("conn", e.conn as u64);
            o.str("dir", e.dir.as_str());
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.str("opcode", e.opcode.as_str());
            o.num("frames", e.frames as u64);
            o.bool("compressed", e.compressed);
            o.num("wire_len", e.wire_len);
            o.num("len", e.len);
            o.hex("sha256", &e.sha256);
            if let Some(t) = &e.text {
                o.str("text", t);
                if e.text_truncated {
                    o.bool("text_truncated", true);
                }
            }
            if matches!(e.opcode, Opcode::Ping | Opcode::Pong) {
                o.hex("data_hex", &e.data);
            }
            if let Some(c) = e.close_code {
                o.num("close_code", c as u64);
            }
            if let Some(r) = &e.close_reason {
                o.str("close_reason", r);
            }
            if e.utf8_error {
                o.bool("utf8_error", true);
            }
            if let Some(err) = &e.inflate_error {
                o.str("inflate_error", err);
            }
            if e.heuristic {
                o.bool("heuristic", true);
            }
        }
        Event::Note(e) => {
            o.str("level", e.level.as_str());
            o.str("code", e.code);
            o.str("text", &e.text);
            if let Some(c) = e.conn {
                o.num("conn", c as u64);
            }
            if let Some(p) = e.pkt {
                o.num("pkt", p);
            }
        }
    }
    o.end();
}

struct Obj<'a> {
    b: &'a mut Vec<u8>,
}

impl<'a> Obj<'a> {
    #[inline(always)]
    fn start(b: &'a mut Vec<u8>, name: &str) -> Self {
        b.extend_from_slice(b"{\"event\":");
        string(b, name);
        Obj { b }
    }
    #[inline(always)]
    fn key(&mut self, k: &str) {
        self.b.extend_from_slice(b",\"");
        self.b.extend_from_slice(k.as_bytes());
        self.b.extend_from_slice(b"\":");
    }
    #[inline(always)]
    fn num(&mut self, k: &str, v: u64) {
        self.key(k);
        self.b
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    #[inline(always)]
    fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.b.extend_from_slice(if v { b"true" } else { b"false" });
    }
    #[inline(always)]
    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        string(self.b, v);
    }
    fn str_list<'s>(&mut self, k: &str, items: impl Iterator<Item = &'s str>) {
        self.key(k);
        self.b.push(b'[');
        for (i, v) in items.enumerate() {
            if i > 0 {
                self.b.push(b',');
            }
            string(self.b, v);
        }
        self.b.push(b']');
    }
    /// `SYN,ACK` style, written directly: this runs once per TCP segment.
    fn flags(&mut self, f: TcpFlags) {
        self.key("flags");
        self.b.push(b'"');
        let mut first = true;
        for (bit, name) in TcpFlags::ORDER {
            if f.has(bit) {
                if !first {
                    self.b.push(b',');
                }
                self.b.extend_from_slice(name.as_bytes());
                first = false;
            }
        }
        self.b.push(b'"');
    }
    #[inline(always)]
    fn opt_str(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(k, v);
        }
    }
    fn display(&mut self, k: &str, v: &dyn std::fmt::Display) {
        self.key(k);
        self.b.push(b'"');
        let _ = write!(self.b, "{v}");
        self.b.push(b'"');
    }
    fn addr(&mut self, k: &str, a: &std::net::SocketAddr) {
        self.display(k, a);
    }
    fn ts(&mut self, t: Ts) {
        self.key("ts");
        // Seconds with nanosecond precision, trailing zeros kept short.
        let neg = t.0 < 0;
        let abs = t.0.unsigned_abs();
        if neg {
            self.b.push(b'-');
        }
        self.b
            .extend_from_slice(itoa::Buffer::new().format(abs / 1_000_000_000).as_bytes());
        let frac = abs % 1_000_000_000;
        self.b.push(b'.');
        if frac == 0 {
            self.b.push(b'0');
        } else {
            let mut digits = [b'0'; 9];
            let mut f = frac;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (f % 10) as u8;
                f /= 10;
            }
            let end = 9 - digits.iter().rev().take_while(|&&c| c == b'0').count();
            self.b.extend_from_slice(&digits[..end]);
        }
    }
    #[inline(always)]
    fn hex(&mut self, k: &str, v: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.key(k);
        self.b.push(b'"');
        for x in v {
            self.b.push(HEX[(x >> 4) as usize]);
            self.b.push(HEX[(x & 15) as usize]);
        }
        self.b.push(b'"');
    }
    #[inline(always)]
    fn end(self) {
        self.b.push(b'}');
    }
}

/// Bytes that never need a look: printable ASCII other than `"` and `\\`.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0x20;
    while i < 0x7f {
        t[i] = i != b'"' as usize && i != b'\\' as usize;
        i += 1;
    }
    t
};

/// A JSON string, terminal-safe.
pub fn string(b: &mut Vec<u8>, s: &str) {
    b.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if PLAIN[c as usize] {
            i += 1;
            continue;
        }
        if c >= 0x80 {
            // Only a few multi-byte characters are unsafe (C1 controls, bidi controls,
            // separators); decode just this one.
            let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
            let n = ch.len_utf8();
            if !crate::text::is_unsafe_char(ch) {
                i += n;
                continue;
            }
            b.extend_from_slice(&bytes[start..i]);
            let mut units = [0u16; 2];
            for u in ch.encode_utf16(&mut units) {
                let _ = write!(b, "\\u{:04x}", u);
            }
            i += n;
            start = i;
            continue;
        }
        b.extend_from_slice(&bytes[start..i]);
        match c {
            b'"' => b.extend_from_slice(b"\\\""),
            b'\\' => b.extend_from_slice(b"\\\\"),
            b'\n' => b.extend_from_slice(b"\\n"),
            b'\r' => b.extend_from_slice(b"\\r"),
            b'\t' => b.extend_from_slice(b"\\t"),
            _ => {
                let _ = write!(b, "\\u{:04x}", c);
            }
        }
        i += 1;
        start = i;
    }
    b.extend_from_slice(&bytes[start..]);
    b.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_valid_json_and_terminal_safe() {
        let mut b = Vec::new();
        string(&mut b, "a\"b\\c\n\u{1b}[2J\u{9b}\u{202e}é中");
        let s = String::from_utf8(b).unwrap();
        assert_eq!(s, r#""a\"b\\c\n\u001b[2J\u009b\u202eé中""#);
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1b}[2J\u{9b}\u{202e}é中");
    }

    #[test]
    fn timestamps_keep_nanoseconds() {
        let mut b = Vec::new();
        let mut o = Obj { b: &mut b };
        o.ts(Ts(1_000_123_000));
        o.ts(Ts(0));
        assert_eq!(String::from_utf8(b).unwrap(), r#","ts":1.000123,"ts":0.0"#);
    }
}
