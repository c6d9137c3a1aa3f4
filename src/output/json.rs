//! NDJSON: one JSON object per event and line (the contract is in docs/json-events.md).
//!
//! Written by hand into one reused buffer: this is the hot path of `wslens decode --json`.
//! Strings escape every control character, DEL, C1 controls and bidirectional overrides as
//! `\uXXXX`, so the output is safe to print on a terminal too.

use crate::event::*;
use std::io::{self, Write};

pub struct JsonWriter<W: Write> {
    out: W,
    /// Encoded lines not yet written: events are appended here and written in large chunks,
    /// so `out` needs no buffer of its own (one copy of the output less).
    buf: Vec<u8>,
    /// Flush after every line (live capture).
    pub line_buffered: bool,
    error: Option<io::Error>,
}

/// Pending output written once it reaches this size.
const CHUNK: usize = 1 << 16;

impl<W: Write> JsonWriter<W> {
    pub fn new(out: W) -> Self {
        JsonWriter {
            out,
            buf: Vec::with_capacity(2 * CHUNK),
            line_buffered: false,
            error: None,
        }
    }

    /// The first write error, if any (a closed pipe ends output quietly).
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.write_pending();
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }

    /// Write out and flush what is held, keeping a write error for `take_error` (the input has
    /// caught up: a pipe or a live capture waits for more packets).
    pub fn flush_held(&mut self) {
        self.write_pending();
        if self.error.is_none()
            && let Err(e) = self.out.flush()
        {
            self.error = Some(e);
        }
    }

    pub fn into_inner(mut self) -> W {
        self.write_pending();
        self.out
    }

    fn write_pending(&mut self) {
        super::write_out(&mut self.out, &self.buf, false, &mut self.error);
        self.buf.clear();
    }

    pub fn write_event(&mut self, ev: &Event) {
        if self.error.is_some() {
            return;
        }
        encode(&mut self.buf, ev);
        self.buf.push(b'\n');
        if self.line_buffered || self.buf.len() >= CHUNK {
            super::write_out(
                &mut self.out,
                &self.buf,
                self.line_buffered,
                &mut self.error,
            );
            self.buf.clear();
        }
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn emit(&mut self, ev: Event) {
        self.write_event(&ev);
    }
    fn caught_up(&mut self) {
        self.flush_held();
    }
}

impl<W: Write> super::WriteEvent for JsonWriter<W> {
    fn write_event(&mut self, ev: &Event) {
        JsonWriter::write_event(self, ev);
    }
    fn flush_out(&mut self) {
        self.flush_held();
    }

    fn take_error(&mut self) -> Option<io::Error> {
        JsonWriter::take_error(self)
    }
}

/// Append one event as a JSON object (no newline).
pub fn encode(b: &mut Vec<u8>, ev: &Event) {
    let mut o = Obj::start(b, ev.name());
    match ev {
        Event::ConnOpen(e) => {
            o.num("conn", e.conn as u64);
            o.word("proto", e.proto.as_str());
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
            o.word("dir", e.dir.as_str());
            o.flags(e.flags);
            o.num("seq", e.seq as u64);
            o.num("ack", e.ack as u64);
            o.num("rel_seq", e.rel_seq as u64);
            o.num("rel_ack", e.rel_ack as u64);
            o.num("len", e.len as u64);
            o.num("win", e.win as u64);
            o.word("client_state", e.client_state.as_str());
            o.word("server_state", e.server_state.as_str());
            if let Some(h) = e.handshake {
                o.word("handshake", h.as_str());
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
            o.word("how", e.how.as_str());
            o.word("client_state", e.client_state.as_str());
            o.word("server_state", e.server_state.as_str());
        }
        Event::Udp(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.word("dir", e.dir.as_str());
            o.num("len", e.len as u64);
        }
        Event::Http(e) => {
            o.num("conn", e.conn as u64);
            o.word("dir", e.dir.as_str());
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
            if e.tls {
                o.bool("tls", true);
            }
        }
        Event::WsFrame(e) => {
            o.num("conn", e.conn as u64);
            o.word("dir", e.dir.as_str());
            o.num_list("pkts", &e.pkts);
            o.ts(e.ts);
            let h = &e.header;
            o.bool("fin", h.fin);
            o.bool("rsv1", h.rsv1);
            o.bool("rsv2", h.rsv2);
            o.bool("rsv3", h.rsv3);
            o.word("opcode", h.opcode.as_str());
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
            o.word("dir", e.dir.as_str());
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.word("opcode", e.opcode.as_str());
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
            o.word("level", e.level.as_str());
            o.str("code", e.code);
            o.str("text", &e.text);
            if let Some(c) = e.conn {
                o.num("conn", c as u64);
            }
            if let Some(p) = e.pkt {
                o.num("pkt", p);
            }
        }
        Event::App(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.word("dir", e.dir.as_str());
            o.word("proto", e.proto.as_str());
            o.word("type", e.kind);
            if let Some(t) = e.transport {
                o.word("transport", t.as_str());
            }
            o.opt_str("nsp", e.nsp.as_deref());
            o.opt_str("id", e.id.as_deref());
            let name_key = match e.proto {
                AppProto::Mqtt => "topic",
                AppProto::Stomp => "destination",
                AppProto::JsonRpc => "method",
                _ => "name",
            };
            o.opt_str(name_key, e.name.as_deref());
            if let Some(v) = &e.args {
                o.key("args");
                json_value(o.b, v);
            }
            if let Some(r) = &e.reply {
                o.num("reply_to", r.pkt);
                o.key("rtt_ms");
                let _ = write!(o.b, "{}", r.rtt_ns as f64 / 1e6);
            }
            if !e.attachments.is_empty() {
                o.num_list("attachments", &e.attachments);
            }
            for (k, v) in &e.fields {
                o.str(k, v);
            }
        }
        Event::Tls(e) => tls_msg(&mut o, e),
        Event::TlsSession(e) => {
            o.num("conn", e.conn as u64);
            o.num("pkt", e.pkt);
            o.ts(e.ts);
            o.word("version", e.version);
            o.str("cipher", &e.cipher);
            o.bool("decrypted", e.decrypted);
        }
    }
    o.end();
}

/// A JSON value written with this module's escaping (terminal-safe strings).
fn json_value(b: &mut Vec<u8>, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => b.extend_from_slice(b"null"),
        Value::Bool(x) => b.extend_from_slice(if *x { b"true" } else { b"false" }),
        Value::Number(n) => {
            let _ = write!(b, "{n}");
        }
        Value::String(s) => string(b, s),
        Value::Array(a) => {
            b.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                json_value(b, x);
            }
            b.push(b']');
        }
        Value::Object(o) => {
            b.push(b'{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                string(b, k);
                b.push(b':');
                json_value(b, x);
            }
            b.push(b'}');
        }
    }
}

fn tls_msg(o: &mut Obj<'_>, e: &TlsMsg) {
    o.num("conn", e.conn as u64);
    o.num("pkt", e.pkt);
    o.ts(e.ts);
    o.word("dir", e.dir.as_str());
    o.word("type", e.kind);
    if let Some(t) = e.msg_type {
        o.num("msg_type", t as u64);
    }
    o.num("len", e.len as u64);
    if e.encrypted {
        o.bool("encrypted", true);
    }
    o.num("record_type", e.record.content_type as u64);
    o.num("record_version", e.record.version as u64);
    o.num("record_len", e.record.len as u64);
    o.num("stream_offset", e.record.stream_offset);
    if let Some(v) = e.legacy_version {
        o.num("legacy_version", v as u64);
    }
    if !e.versions.is_empty() {
        o.str_list("versions", e.versions.iter().copied());
    }
    if let Some(v) = e.version {
        o.word("version", v);
    }
    o.opt_str("sni", e.sni.as_deref());
    if !e.alpn.is_empty() {
        o.str_list("alpn", e.alpn.iter().map(String::as_str));
    }
    if !e.ciphers.is_empty() {
        o.str_list("ciphers", e.ciphers.iter().map(String::as_str));
    }
    o.opt_str("cipher", e.cipher.as_deref());
    if !e.groups.is_empty() {
        o.str_list("groups", e.groups.iter().map(String::as_str));
    }
    if e.resumption {
        o.bool("resumption", true);
    }
    if !e.certs.is_empty() {
        o.key("certs");
        o.b.push(b'[');
        for (i, c) in e.certs.iter().enumerate() {
            if i > 0 {
                o.b.push(b',');
            }
            o.b.push(b'{');
            o.b.extend_from_slice(b"\"subject\":");
            string(o.b, &c.subject);
            o.b.extend_from_slice(b",\"issuer\":");
            string(o.b, &c.issuer);
            o.b.extend_from_slice(b",\"not_before\":");
            string(o.b, &c.not_before);
            o.b.extend_from_slice(b",\"not_after\":");
            string(o.b, &c.not_after);
            let _ = write!(o.b, ",\"len\":{}}}", c.len);
        }
        o.b.push(b']');
    }
    o.opt_str("detail", e.detail.as_deref());
}

struct Obj<'a> {
    b: &'a mut Vec<u8>,
}

/// Room reserved once for one field, then written without further capacity checks or
/// copies through temporary buffers: field writing is the hot path of `decode --json`.
struct Room<'v> {
    v: &'v mut Vec<u8>,
    at: usize,
    end: usize,
}

impl<'v> Room<'v> {
    #[inline(always)]
    fn new(v: &'v mut Vec<u8>, n: usize) -> Self {
        v.reserve(n);
        let at = v.len();
        Room { v, at, end: at + n }
    }
    #[inline(always)]
    fn put(&mut self, s: &[u8]) {
        assert!(s.len() <= self.end - self.at);
        // SAFETY: `new` reserved capacity up to `end`, and `at + s.len() <= end`.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), self.v.as_mut_ptr().add(self.at), s.len())
        };
        self.at += s.len();
    }
    #[inline(always)]
    fn byte(&mut self, c: u8) {
        assert!(self.at < self.end);
        // SAFETY: as in `put`.
        unsafe { *self.v.as_mut_ptr().add(self.at) = c };
        self.at += 1;
    }
    /// `,"k":`
    #[inline(always)]
    fn key(&mut self, k: &str) {
        self.put(b",\"");
        self.put(k.as_bytes());
        self.put(b"\":");
    }
    /// The decimal digits of `v`, written in place two at a time.
    #[inline(always)]
    fn digits(&mut self, v: u64) {
        let n = digit_count(v);
        assert!(n <= self.end - self.at);
        // SAFETY: as in `put`; every one of the `n` bytes is written below.
        let out = unsafe { std::slice::from_raw_parts_mut(self.v.as_mut_ptr().add(self.at), n) };
        write_digits(out, v);
        self.at += n;
    }
    /// `\uXXXX`
    #[inline(always)]
    fn unicode_escape(&mut self, u: u16) {
        let d = |shift: u16| HEX[((u >> shift) & 15) as usize];
        self.put(&[b'\\', b'u', d(12), d(8), d(4), d(0)]);
    }
    #[inline(always)]
    fn hex(&mut self, v: &[u8]) {
        assert!(2 * v.len() <= self.end - self.at);
        for (i, x) in v.iter().enumerate() {
            // SAFETY: as in `put`, within the 2 * len bytes checked above.
            unsafe {
                let p = self.v.as_mut_ptr().add(self.at + 2 * i);
                *p = HEX[(x >> 4) as usize];
                *p.add(1) = HEX[(x & 15) as usize];
            }
        }
        self.at += 2 * v.len();
    }
}

impl Drop for Room<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: every byte below `at` was written, and `at <= end <= capacity`.
        unsafe { self.v.set_len(self.at) }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Pairs of decimal digits, "00" to "99".
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Decimal digits of `v` (1 for 0): the bit length gives the digit count or one more, and one
/// comparison decides (`ilog10` costs a chain of comparisons).
#[inline(always)]
fn digit_count(v: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let v = v | 1;
    let bits = 64 - v.leading_zeros();
    let t = ((bits * 1233) >> 12) as usize;
    t + 1 - (v < POW10[t]) as usize
}

/// Fill `out` with the last `out.len()` decimal digits of `v`, zero-padded.
#[inline(always)]
fn write_digits(out: &mut [u8], mut v: u64) {
    let mut i = out.len();
    while i >= 2 {
        let d = (v % 100) as usize;
        v /= 100;
        out[i - 2..i].copy_from_slice(&PAIRS[2 * d..2 * d + 2]);
        i -= 2;
    }
    if i == 1 {
        out[0] = b'0' + (v % 10) as u8;
    }
}

impl<'a> Obj<'a> {
    #[inline(always)]
    fn start(b: &'a mut Vec<u8>, name: &str) -> Self {
        let mut r = Room::new(b, name.len() + 12);
        r.put(b"{\"event\":\"");
        r.put(name.as_bytes());
        r.byte(b'"');
        drop(r);
        Obj { b }
    }
    #[inline(always)]
    fn key(&mut self, k: &str) {
        Room::new(self.b, k.len() + 4).key(k);
    }
    #[inline(always)]
    fn num(&mut self, k: &str, v: u64) {
        let mut r = Room::new(self.b, k.len() + 24);
        r.key(k);
        r.digits(v);
    }
    #[inline(always)]
    fn bool(&mut self, k: &str, v: bool) {
        let mut r = Room::new(self.b, k.len() + 9);
        r.key(k);
        if v {
            r.put(b"true");
        } else {
            r.put(b"false");
        }
    }
    #[inline(always)]
    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        string(self.b, v);
    }
    /// A value from the program's own fixed vocabulary (states, directions, opcodes): plain
    /// ASCII that needs no escaping.
    #[inline(always)]
    fn word(&mut self, k: &str, v: &'static str) {
        debug_assert!(v.bytes().all(|c| PLAIN[c as usize]));
        let mut r = Room::new(self.b, k.len() + v.len() + 6);
        r.key(k);
        r.byte(b'"');
        r.put(v.as_bytes());
        r.byte(b'"');
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
    fn num_list(&mut self, k: &str, items: &[u64]) {
        self.key(k);
        self.b.push(b'[');
        for (i, &v) in items.iter().enumerate() {
            let mut r = Room::new(self.b, 21);
            if i > 0 {
                r.byte(b',');
            }
            r.digits(v);
        }
        self.b.push(b']');
    }
    /// `SYN,ACK` style, written directly: this runs once per TCP segment.
    #[inline(always)]
    fn flags(&mut self, f: TcpFlags) {
        // Every name, with commas and quotes, fits in 64 bytes.
        let mut r = Room::new(self.b, 80);
        r.key("flags");
        r.byte(b'"');
        let mut first = true;
        for (bit, name) in TcpFlags::ORDER {
            if f.has(bit) {
                if !first {
                    r.byte(b',');
                }
                r.put(name.as_bytes());
                first = false;
            }
        }
        r.byte(b'"');
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
    /// Seconds with nanosecond precision, trailing zeros of the fraction dropped.
    #[inline(always)]
    fn ts(&mut self, t: Ts) {
        let mut r = Room::new(self.b, 40);
        r.key("ts");
        if t.0 < 0 {
            r.byte(b'-');
        }
        let abs = t.0.unsigned_abs();
        r.digits(abs / 1_000_000_000);
        r.byte(b'.');
        let frac = abs % 1_000_000_000;
        if frac == 0 {
            r.byte(b'0');
        } else {
            let start = r.at;
            // SAFETY: as in `Room::put`; the 9 bytes are written just below.
            assert!(9 <= r.end - r.at);
            let out = unsafe { std::slice::from_raw_parts_mut(r.v.as_mut_ptr().add(r.at), 9) };
            write_digits(out, frac);
            let zeros = out.iter().rev().take_while(|&&c| c == b'0').count();
            r.at = start + 9 - zeros;
        }
    }
    #[inline(always)]
    fn hex(&mut self, k: &str, v: &[u8]) {
        let mut r = Room::new(self.b, k.len() + 6 + 2 * v.len());
        r.key(k);
        r.byte(b'"');
        r.hex(v);
        r.byte(b'"');
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

/// Whether all eight bytes of `w` are `PLAIN` (SWAR: no control byte, DEL, non-ASCII, `"` or
/// `\\`).
#[inline(always)]
fn all_plain(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero exactly when its high bit is set here (after masking high bytes out).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let special =
        zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64)) | zero(w ^ (ONES * 0x7f));
    (w & HIGH) | below_space | special == 0
}

/// A JSON string, terminal-safe.
pub fn string(b: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // The worst case is six bytes out for each byte in (`\u001b`), plus the quotes: room for
    // it is made once, then the loop writes without checks or calls.
    let mut r = Room::new(b, bytes.len() * 6 + 2);
    r.byte(b'"');
    let mut i = 0;
    while i < bytes.len() {
        // Eight plain bytes at a time: the common case of ASCII text between escapes.
        if let Some(w) = bytes.get(i..i + 8) {
            let w: [u8; 8] = w.try_into().expect("eight bytes");
            if all_plain(u64::from_le_bytes(w)) {
                r.put(&w);
                i += 8;
                continue;
            }
            // Something in these eight needs a look: take them one by one.
            let end = i + 8;
            while i < end {
                i = string_step(&mut r, s, i);
            }
            continue;
        }
        i = string_step(&mut r, s, i);
    }
    r.byte(b'"');
}

/// Write the character at byte `i` of `s`, escaped as needed; the index of the next one.
#[inline(always)]
fn string_step(r: &mut Room<'_>, s: &str, i: usize) -> usize {
    let bytes = s.as_bytes();
    let c = bytes[i];
    if PLAIN[c as usize] {
        r.byte(c);
        return i + 1;
    }
    if c >= 0x80 {
        // Only a few multi-byte characters are unsafe (C1 controls, bidi controls,
        // separators); decode just this one.
        let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
        let n = ch.len_utf8();
        if crate::text::is_unsafe_char(ch) {
            let mut units = [0u16; 2];
            for &u in ch.encode_utf16(&mut units).iter() {
                r.unicode_escape(u);
            }
        } else {
            r.put(&bytes[i..i + n]);
        }
        return i + n;
    }
    match c {
        b'"' => r.put(b"\\\""),
        b'\\' => r.put(b"\\\\"),
        b'\n' => r.put(b"\\n"),
        b'\r' => r.put(b"\\r"),
        b'\t' => r.put(b"\\t"),
        _ => r.unicode_escape(c as u16),
    }
    i + 1
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

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        #[test]
        fn any_string_round_trips_and_stays_terminal_safe(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-z \"\\\\]{0,12}").unwrap(),
                    proptest::char::any().prop_map(|c| c.to_string()),
                    proptest::sample::select(vec![
                        "\u{1b}[2J", "\u{202e}", "\u{9b}", "\u{2028}", "中文", "😀", "\u{7f}", "\t\r\n",
                    ]).prop_map(str::to_string),
                ],
                0..24,
            )
        ) {
            let s: String = parts.concat();
            let mut b = b"prefix".to_vec();
            string(&mut b, &s);
            let out = std::str::from_utf8(&b[6..]).unwrap();
            let back: String = serde_json::from_str(out).unwrap();
            proptest::prop_assert_eq!(&back, &s);
            proptest::prop_assert!(!out.chars().any(crate::text::is_unsafe_char), "{:?}", out);
        }
    }

    #[test]
    fn eight_bytes_at_a_time_agree_with_the_byte_table() {
        // Every byte value in every lane, among plain neighbours and among other specials.
        for lane in 0..8 {
            for c in 0..=255u8 {
                for fill in [b'a', 0x1f, 0x80, b'~'] {
                    let mut w = [fill; 8];
                    w[lane] = c;
                    let want = w.iter().all(|&x| PLAIN[x as usize]);
                    assert_eq!(all_plain(u64::from_le_bytes(w)), want, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn digit_counts_are_exact_at_every_power_of_ten() {
        let mut p = 1u64;
        for n in 1..=20 {
            assert_eq!(digit_count(p), n, "{p}");
            if n > 1 {
                assert_eq!(digit_count(p - 1), n - 1, "{}", p - 1);
            }
            p = p.saturating_mul(10);
        }
        assert_eq!(digit_count(0), 1);
        assert_eq!(digit_count(u64::MAX), 20);
    }

    #[test]
    fn numbers_and_lists_are_written_in_place() {
        let mut b = Vec::new();
        let mut o = Obj { b: &mut b };
        for v in [0, 7, 10, 99, 100, 12345, u32::MAX as u64, u64::MAX] {
            o.num("n", v);
        }
        o.num_list("p", &[1, 22, 333]);
        o.num_list("e", &[]);
        o.bool("t", true);
        o.bool("f", false);
        o.hex("h", &[0x00, 0xab, 0xff]);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#","n":0,"n":7,"n":10,"n":99,"n":100,"n":12345,"n":4294967295,"n":18446744073709551615,"p":[1,22,333],"e":[],"t":true,"f":false,"h":"00abff""#
        );
    }

    #[test]
    fn timestamps_keep_nanoseconds() {
        let mut b = Vec::new();
        let mut o = Obj { b: &mut b };
        o.ts(Ts(1_000_123_000));
        o.ts(Ts(0));
        o.ts(Ts(-1_500_000_000));
        o.ts(Ts(1_700_000_000_000_000_001));
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#","ts":1.000123,"ts":0.0,"ts":-1.5,"ts":1700000000.000000001"#
        );
    }
}
