//! Generator of hostile and broken capture files, run by `tests/cli/hostile.rs` (and usable alone:
//! `write_all(dir)`). Every file is built here from first principles, so any of them can be
//! regenerated, changed and understood; nothing is a binary blob.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const LINKTYPE_RAW: u32 = 101;

/// A classic pcap file (little-endian, microsecond timestamps) built in memory.
pub struct Pcap {
    pub buf: Vec<u8>,
    ts_us: u64,
}

impl Pcap {
    pub fn new(linktype: u32) -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&[0; 8]);
        buf.extend_from_slice(&262_144u32.to_le_bytes());
        buf.extend_from_slice(&linktype.to_le_bytes());
        Pcap {
            buf,
            ts_us: 1_700_000_000_000_000,
        }
    }

    /// A record whose header may lie about its lengths.
    pub fn record(&mut self, ts_us: u64, caplen: u32, origlen: u32, data: &[u8]) {
        self.buf
            .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        self.buf.extend_from_slice(&caplen.to_le_bytes());
        self.buf.extend_from_slice(&origlen.to_le_bytes());
        self.buf.extend_from_slice(data);
    }

    /// An honest record, 100 µs after the previous one.
    pub fn packet(&mut self, data: &[u8]) {
        self.ts_us += 100;
        let n = data.len() as u32;
        self.record(self.ts_us, n, n, data);
    }
}

/// pcapng blocks, little-endian.
pub fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0u8, pad));
    b.extend_from_slice(&total.to_le_bytes());
    b
}

pub fn ng_shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    ng_block(0x0a0d_0d0a, &body)
}

pub fn ng_idb(linktype: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&linktype.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&262_144u32.to_le_bytes());
    ng_block(1, &body)
}

pub fn ng_epb(iface: u32, ts_us: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&iface.to_le_bytes());
    body.extend_from_slice(&((ts_us >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts_us as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    ng_block(6, &body)
}

fn csum_fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// An IPv4 header around `payload` (protocol `proto`).
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0];
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let sum: u32 = h
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
        .sum();
    h[10..12].copy_from_slice(&csum_fold(sum).to_be_bytes());
    h.extend_from_slice(payload);
    h
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// A TCP header (no options, checksum left zero as on loopback) and payload.
pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    tcp_with_offset(sport, dport, seq, ack, flags, 5, payload)
}

/// A TCP header whose data offset (in 32-bit words) may lie.
pub fn tcp_with_offset(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    words: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(words << 4);
    t.push(flags);
    t.extend_from_slice(&65_535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// One TCP connection between a client and a server, writing raw-IP packets into a pcap and
/// keeping both sequence numbers right.
pub struct Conv {
    pub c: ([u8; 4], u16),
    pub s: ([u8; 4], u16),
    pub cseq: u32,
    pub sseq: u32,
}

impl Conv {
    pub fn new(cport: u16, sport: u16) -> Self {
        Conv {
            c: ([10, 0, 0, 1], cport),
            s: ([10, 0, 0, 2], sport),
            cseq: 1000,
            sseq: 5000,
        }
    }

    pub fn handshake(&mut self, p: &mut Pcap) {
        p.packet(&self.pkt(true, self.cseq, 0, SYN, b""));
        self.cseq = self.cseq.wrapping_add(1);
        p.packet(&self.pkt(false, self.sseq, self.cseq, SYN | ACK, b""));
        self.sseq = self.sseq.wrapping_add(1);
        p.packet(&self.pkt(true, self.cseq, self.sseq, ACK, b""));
    }

    pub fn pkt(&self, from_client: bool, seq: u32, ack: u32, flags: u8, data: &[u8]) -> Vec<u8> {
        let (a, b) = if from_client {
            (self.c, self.s)
        } else {
            (self.s, self.c)
        };
        ipv4(a.0, b.0, 6, &tcp(a.1, b.1, seq, ack, flags, data))
    }

    /// `data` from one side, cut into segments of at most `mss` bytes, each acknowledged.
    pub fn send(&mut self, p: &mut Pcap, from_client: bool, data: &[u8], mss: usize) {
        for chunk in data.chunks(mss.max(1)) {
            let (seq, ack) = if from_client {
                (self.cseq, self.sseq)
            } else {
                (self.sseq, self.cseq)
            };
            p.packet(&self.pkt(from_client, seq, ack, PSH | ACK, chunk));
            let n = chunk.len() as u32;
            if from_client {
                self.cseq = self.cseq.wrapping_add(n);
            } else {
                self.sseq = self.sseq.wrapping_add(n);
            }
            let (seq, ack) = if from_client {
                (self.sseq, self.cseq)
            } else {
                (self.cseq, self.sseq)
            };
            p.packet(&self.pkt(!from_client, seq, ack, ACK, b""));
        }
    }

    pub fn close(&mut self, p: &mut Pcap) {
        p.packet(&self.pkt(true, self.cseq, self.sseq, FIN | ACK, b""));
        self.cseq = self.cseq.wrapping_add(1);
        p.packet(&self.pkt(false, self.sseq, self.cseq, FIN | ACK, b""));
        self.sseq = self.sseq.wrapping_add(1);
        p.packet(&self.pkt(true, self.cseq, self.sseq, ACK, b""));
    }
}

/// RFC 6455 §1.3's example key and its accept value.
pub const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const WS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

pub fn upgrade_request(path: &str, extra: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
    .into_bytes()
}

pub fn upgrade_response(extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {WS_ACCEPT}\r\n{extra}\r\n"
    )
    .into_bytes()
}

/// A frame header claiming `len` payload bytes (any 64-bit value, even an illegal one).
pub fn ws_header(fin: bool, rsv1: bool, opcode: u8, mask: Option<[u8; 4]>, len: u64) -> Vec<u8> {
    let mut h = vec![(fin as u8) << 7 | (rsv1 as u8) << 6 | (opcode & 0x0f)];
    let m = (mask.is_some() as u8) << 7;
    if len < 126 {
        h.push(m | len as u8);
    } else if len <= 0xffff {
        h.push(m | 126);
        h.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        h.push(m | 127);
        h.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(k) = mask {
        h.extend_from_slice(&k);
    }
    h
}

pub fn ws_frame(
    fin: bool,
    rsv1: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = ws_header(fin, rsv1, opcode, mask, payload.len() as u64);
    match mask {
        Some(k) => f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4])),
        None => f.extend_from_slice(payload),
    }
    f
}

/// Text meant to take over a terminal: clear screen, move the cursor, set the window title
/// (OSC, BEL- and ST-terminated), 8-bit CSI (U+009B), a right-to-left override, DEL.
pub const ATTACK: &str = "pwned\u{1b}[2J\u{1b}[10;10H\u{1b}]0;pwned\u{7}\u{1b}]2;x\u{1b}\\\u{9b}31m\u{202e}gnp.exe\u{7f}\r";

/// What an HTTP parser lets through (it refuses C0 controls, so no ESC or CR): 8-bit CSI
/// sequences (U+009B, UTF-8 encoded, is obs-text to HTTP), overrides and isolates.
pub const HTTP_ATTACK: &str = "\u{9b}2J\u{9b}10;10Hpwned\u{202e}gnp.exe\u{2066}\u{85}";

/// A whole WebSocket conversation after a handshake with `ext` headers (none, or deflate).
fn ws_session(p: &mut Pcap, conv: &mut Conv, path: &str, ext_req: &str, ext_resp: &str) {
    conv.handshake(p);
    conv.send(p, true, &upgrade_request(path, ext_req), 1400);
    conv.send(p, false, &upgrade_response(ext_resp), 1400);
}

/// One generated file and how it should be run and judged.
pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    /// Extra `wslens decode` flags (lower limits so the suite stays fast).
    pub args: Vec<&'static str>,
    /// Note codes that must appear in the NDJSON output.
    pub notes: Vec<&'static str>,
    /// Must the exit status be zero (something could be read)?
    pub readable: bool,
    /// Text that must appear on standard error (the damage, named by offset or packet).
    pub stderr_has: Vec<&'static str>,
    /// Note codes that must not appear (a false claim the file once provoked).
    pub absent: Vec<&'static str>,
}

fn case(name: &'static str, bytes: Vec<u8>) -> Case {
    Case {
        name,
        bytes,
        args: vec![],
        notes: vec![],
        readable: true,
        stderr_has: vec![],
        absent: vec![],
    }
}

impl Case {
    fn args(mut self, a: &[&'static str]) -> Self {
        self.args = a.to_vec();
        self
    }
    fn notes(mut self, n: &[&'static str]) -> Self {
        self.notes = n.to_vec();
        self
    }
    fn unreadable(mut self) -> Self {
        self.readable = false;
        self
    }
    fn stderr(mut self, s: &[&'static str]) -> Self {
        self.stderr_has = s.to_vec();
        self
    }
    fn absent(mut self, n: &[&'static str]) -> Self {
        self.absent = n.to_vec();
        self
    }
}

/// Three honest packets of one connection: what must still be decoded before any damage.
fn three_good(p: &mut Pcap) {
    Conv::new(40000, 80).handshake(p);
}

pub fn corrupt_files() -> Vec<Case> {
    let mut v = Vec::new();

    let full = Pcap::new(LINKTYPE_RAW).buf;
    v.push(
        case("truncated-file-header.pcap", full[..10].to_vec())
            .unreadable()
            .stderr(&["truncated"]),
    );
    v.push(case("empty.pcap", vec![]).unreadable().stderr(&["empty"]));
    v.push(
        case(
            "wrong-magic.pcap",
            b"GIF89a this is not a capture at all".repeat(4),
        )
        .unreadable()
        .stderr(&["magic"]),
    );

    let mut p = Pcap::new(LINKTYPE_RAW);
    three_good(&mut p);
    let good_len = p.buf.len();
    let mut q = Pcap::new(LINKTYPE_RAW);
    Conv::new(40001, 80).handshake(&mut q);
    let next = q.buf[24..24 + 16 + 40].to_vec();
    let mut mid_pkt = p.buf.clone();
    mid_pkt.extend_from_slice(&next[..16 + 10]);
    v.push(case("truncated-mid-packet.pcap", mid_pkt).stderr(&["offset", "after packet 3"]));
    let mut mid_rec = p.buf.clone();
    mid_rec.extend_from_slice(&next[..7]);
    v.push(case("truncated-mid-record-header.pcap", mid_rec).stderr(&["after packet 3"]));

    let mut huge = Pcap::new(LINKTYPE_RAW);
    three_good(&mut huge);
    huge.record(1_700_000_001_000_000, 0xffff_fff0, 0xffff_fff0, &[0x45; 64]);
    v.push(case("caplen-4g.pcap", huge.buf).stderr(&["offset", "after packet 3"]));

    let mut zero = Pcap::new(LINKTYPE_RAW);
    for _ in 0..3 {
        zero.packet(&[]);
    }
    v.push(case("zero-length.pcap", zero.buf).notes(&["truncated-header"]));

    let mut unk = Pcap::new(147);
    three_good(&mut unk);
    v.push(case("unknown-linktype.pcap", unk.buf).notes(&["unknown-linktype"]));

    let mut back = Pcap::new(LINKTYPE_RAW);
    let c = Conv::new(40002, 80);
    back.record(2_000_000_000_000_000, 40, 40, &c.pkt(true, 1, 0, SYN, b""));
    back.record(
        1_000_000_000_000_000,
        40,
        40,
        &c.pkt(false, 9, 2, SYN | ACK, b""),
    );
    back.record(0, 40, 40, &c.pkt(true, 2, 10, ACK, b""));
    v.push(case("time-backwards.pcap", back.buf).notes(&["time-backwards"]));

    // pcapng
    let c = Conv::new(40003, 80);
    let syn = c.pkt(true, 1, 0, SYN, b"");
    let mut ng = ng_shb();
    ng.extend(ng_idb(LINKTYPE_RAW as u16));
    ng.extend(ng_epb(0, 1, &syn));
    ng.extend(ng_epb(5, 2, &syn));
    ng.extend(ng_epb(0, 3, &c.pkt(false, 9, 2, SYN | ACK, b"")));
    v.push(case("undeclared-interface.pcapng", ng).stderr(&["packet 2", "interface 5"]));

    let mut ng = ng_shb();
    ng.extend(ng_idb(LINKTYPE_RAW as u16));
    ng.extend(ng_epb(0, 1, &syn));
    let cut = ng.len() + 20;
    ng.extend(ng_epb(0, 2, &syn));
    ng.truncate(cut);
    v.push(case("truncated-mid-block.pcapng", ng).stderr(&["offset", "after packet 1"]));

    let mut ng = ng_shb();
    ng.extend(ng_idb(LINKTYPE_RAW as u16));
    ng.extend(ng_epb(0, 1, &syn));
    let mut bogus = ng_epb(0, 2, &syn);
    bogus[4..8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    ng.extend(bogus);
    v.push(case("huge-block.pcapng", ng).stderr(&["offset", "after packet 1"]));

    let mut ng = ng_shb();
    ng.truncate(20);
    v.push(case("truncated-section-header.pcapng", ng).unreadable());

    let _ = good_len;
    v
}

pub fn hostile_packets() -> Vec<Case> {
    let mut v = Vec::new();
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);

    // TCP data offsets that lie: 60 bytes claimed in a 20-byte segment, and less than 20.
    let mut p = Pcap::new(LINKTYPE_RAW);
    p.packet(&ipv4(a, b, 6, &tcp_with_offset(1, 80, 1, 0, SYN, 15, b"")));
    p.packet(&ipv4(
        a,
        b,
        6,
        &tcp_with_offset(1, 80, 1, 0, SYN, 2, b"xxxxxxxx"),
    ));
    p.packet(&ipv4(a, b, 6, &tcp_with_offset(1, 80, 1, 0, SYN, 0, b"")));
    p.packet(&ipv4(a, b, 6, &[0x00, 0x01]));
    v.push(case("tcp-bad-offset.pcap", p.buf).notes(&["truncated-header"]));

    // An IPv4 header claiming a longer header than the packet, and a total length of 0.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut bad = ipv4(a, b, 6, &tcp(1, 80, 1, 0, SYN, b""));
    bad[0] = 0x4f;
    p.packet(&bad);
    let mut bad = ipv4(a, b, 6, &tcp(1, 80, 1, 0, SYN, b""));
    bad[2] = 0;
    bad[3] = 0;
    p.packet(&bad);
    v.push(case("ip-bad-lengths.pcap", p.buf).notes(&["truncated-header"]));

    // IPv6 with 4000 destination-options headers chained before TCP (next header 60 each).
    let mut ext = Vec::new();
    for i in 0..4000 {
        let next = if i == 3999 { 6 } else { 60 };
        ext.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    ext.extend(tcp(1, 80, 1, 0, SYN, b""));
    let mut v6 = vec![0x60, 0, 0, 0];
    v6.extend_from_slice(&(ext.len().min(0xffff) as u16).to_be_bytes());
    v6.extend_from_slice(&[60, 64]);
    v6.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v6.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    v6.extend(ext);
    let mut p = Pcap::new(LINKTYPE_RAW);
    p.packet(&v6);
    v.push(case("ipv6-extension-chain.pcap", p.buf));

    // A SYN flood over 6000 ports with room for 100 connections.
    let mut p = Pcap::new(LINKTYPE_RAW);
    for port in 0..6000u16 {
        p.packet(&ipv4(
            a,
            b,
            6,
            &tcp(10_000 + port, 80, port as u32, 0, SYN, b""),
        ));
    }
    v.push(
        case("syn-flood.pcap", p.buf)
            .args(&["--max-connections", "100"])
            .notes(&["conn-evicted"]),
    );

    // Retransmissions that overlap earlier bytes with different data.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40010, 80);
    c.handshake(&mut p);
    let s = c.cseq;
    p.packet(&c.pkt(true, s, c.sseq, PSH | ACK, b"GET /aaaa HTTP/1.1\r\n"));
    p.packet(&c.pkt(
        true,
        s,
        c.sseq,
        PSH | ACK,
        b"GET /bbbbbbbbbb HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    p.packet(&c.pkt(
        true,
        s.wrapping_add(5),
        c.sseq,
        PSH | ACK,
        b"cccccccccccccccccccccc",
    ));
    p.packet(&c.pkt(true, s.wrapping_sub(100), c.sseq, PSH | ACK, &[b'd'; 300]));
    v.push(case("conflicting-retransmissions.pcap", p.buf).notes(&["tcp-overlap-conflict"]));

    // Segments from the future, far more than may be held.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40011, 80);
    c.handshake(&mut p);
    for i in 0..2000u32 {
        let seq = c.cseq.wrapping_add(1000 + i * 2000);
        p.packet(&c.pkt(true, seq, c.sseq, PSH | ACK, &[b'x'; 1000]));
    }
    v.push(
        case("out-of-order-flood.pcap", p.buf)
            .args(&["--max-ooo-segments", "16", "--stream-buffer", "100000"])
            .notes(&["reassembly-overflow"]),
    );

    // 10,000 headers, and a head of 200 KB.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40012, 80);
    c.handshake(&mut p);
    let mut req = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..10_000 {
        req.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    c.send(&mut p, true, &req, 1400);
    v.push(
        case("ten-thousand-headers.pcap", p.buf)
            .args(&["--max-http-head", "1000000"])
            .notes(&["http-too-many-headers"]),
    );

    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40013, 80);
    c.handshake(&mut p);
    let mut req = b"GET /".to_vec();
    req.extend(std::iter::repeat_n(b'a', 200_000));
    req.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    c.send(&mut p, true, &req, 1400);
    v.push(case("long-head.pcap", p.buf).notes(&["http-head-too-long"]));

    // A chunked body that never ends: 20,000 chunks and no terminating zero chunk.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40014, 80);
    c.handshake(&mut p);
    c.send(
        &mut p,
        true,
        b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
        1400,
    );
    let mut body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20_000 {
        body.extend_from_slice(b"5\r\nhello\r\n");
    }
    // and a chunk size that overflows 64 bits
    body.extend_from_slice(b"ffffffffffffffffffffffff\r\n");
    c.send(&mut p, false, &body, 1400);
    v.push(case("endless-chunked.pcap", p.buf));

    // A frame claiming 2^63 - 1 bytes, and one with the (illegal) top bit set.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40015, 80);
    ws_session(&mut p, &mut c, "/", "", "");
    c.send(
        &mut p,
        false,
        &ws_header(true, false, 2, None, u64::MAX >> 1),
        1400,
    );
    c.send(&mut p, false, b"some bytes of that payload", 1400);
    let mut c = Conv::new(40016, 80);
    ws_session(&mut p, &mut c, "/", "", "");
    c.send(
        &mut p,
        false,
        &ws_header(true, false, 1, None, u64::MAX),
        1400,
    );
    c.send(&mut p, false, &[0u8; 3000], 1400);
    v.push(case("ws-huge-length.pcap", p.buf).notes(&["ws-incomplete-frame", "ws-length-top-bit"]));

    // A deflate bomb: 64 MiB of zeros in one compressed message of about 64 KB.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40017, 80);
    let ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
    ws_session(&mut p, &mut c, "/", ext, ext);
    let bomb = deflate_zeros(64 << 20);
    c.send(&mut p, false, &ws_frame(true, true, 2, None, &bomb), 1400);
    v.push(
        case("deflate-bomb.pcap", p.buf)
            .args(&["--max-inflate", "1000000"])
            .notes(&["ws-inflate-limit"]),
    );

    v
}

/// pcapng interface description with an `if_tsresol` option (code 9).
pub fn ng_idb_tsresol(linktype: u16, tsresol: u8) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&linktype.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&262_144u32.to_le_bytes());
    body.extend_from_slice(&9u16.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&[tsresol, 0, 0, 0]);
    body.extend_from_slice(&[0, 0, 0, 0]);
    ng_block(1, &body)
}

/// Text of `n` bytes, valid UTF-8 with two- and three-byte characters.
pub fn long_text(n: usize) -> Vec<u8> {
    let unit = "ok é 中文 ".as_bytes();
    let mut t: Vec<u8> = unit.iter().copied().cycle().take(n).collect();
    while std::str::from_utf8(&t).is_err() {
        t.pop();
    }
    t
}

/// Round two (issue 18): crafted captures, each made to make wslens show something false or
/// fail; every one here is CRAFTED, built from first principles, not recorded from real peers.
pub fn round_two() -> Vec<Case> {
    let mut v = Vec::new();
    let k = Some([0x11, 0x22, 0x33, 0x44]);

    // A masked text message longer than the 64 KiB preview (a debug assertion fired on it).
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41000, 80);
    ws_session(&mut p, &mut c, "/", "", "");
    c.send(
        &mut p,
        true,
        &ws_frame(true, false, 1, k, &long_text(100_000)),
        1400,
    );
    c.send(
        &mut p,
        false,
        &ws_frame(true, false, 1, None, &long_text(70_000)),
        1400,
    );
    c.close(&mut p);
    v.push(case("masked-long-text.pcap", p.buf).absent(&["ws-invalid-utf8"]));

    // Port reuse without FIN or RST: a new SYN with another ISN on the same 4-tuple, a second
    // upgrade and message.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41001, 80);
    ws_session(&mut p, &mut c, "/first", "", "");
    c.send(&mut p, true, &ws_frame(true, false, 1, k, b"first"), 1400);
    let mut c = Conv::new(41001, 80);
    c.cseq = 3_000_000_000;
    c.sseq = 123_456;
    ws_session(&mut p, &mut c, "/second", "", "");
    c.send(&mut p, true, &ws_frame(true, false, 1, k, b"second"), 1400);
    c.close(&mut p);
    v.push(case("port-reuse-open.pcap", p.buf).notes(&["tcp-port-reused"]));

    // Requests pipelined before the upgrade request, and a frame sent eagerly after it, all in
    // one segment; the server answers the plain request, then 101.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41002, 80);
    c.handshake(&mut p);
    let mut req = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    req.extend(upgrade_request("/ws", ""));
    req.extend(ws_frame(true, false, 1, k, b"eager"));
    c.send(&mut p, true, &req, 1400);
    let mut resp =
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\n".to_vec();
    resp.extend(upgrade_response(""));
    resp.extend(ws_frame(true, false, 1, None, b"welcome"));
    c.send(&mut p, false, &resp, 1400);
    c.close(&mut p);
    v.push(case("pipelined-then-upgrade.pcap", p.buf).absent(&["http-bad-head"]));

    // Lengths written in more bytes than needed (16-bit for 5, 64-bit for 300).
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41003, 80);
    ws_session(&mut p, &mut c, "/", "", "");
    let mut f = vec![0x81, 126, 0, 5];
    f.extend_from_slice(b"hello");
    let mut g = vec![0x82, 127];
    g.extend_from_slice(&300u64.to_be_bytes());
    g.extend_from_slice(&[7u8; 300]);
    f.extend(g);
    c.send(&mut p, false, &f, 1400);
    c.close(&mut p);
    v.push(case("ws-length-not-minimal.pcap", p.buf).notes(&["ws-length-not-minimal"]));

    // A Sec-WebSocket-Key that is not base64 of 16 bytes, accepted by the server anyway (the
    // Accept computed from it matches).
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41004, 80);
    c.handshake(&mut p);
    let key = "not-a-key";
    let req = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    c.send(&mut p, true, req.as_bytes(), 1400);
    let resp = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        wslens::http::expected_accept(key)
    );
    c.send(&mut p, false, resp.as_bytes(), 1400);
    c.close(&mut p);
    v.push(case("ws-bad-key.pcap", p.buf).notes(&["ws-bad-key"]));

    // An upgrade request with 10,000 headers, answered by a 101.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41005, 80);
    c.handshake(&mut p);
    let mut req = upgrade_request("/", "");
    req.truncate(req.len() - 2);
    for i in 0..10_000 {
        req.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    c.send(&mut p, true, &req, 1400);
    c.send(&mut p, false, &upgrade_response(""), 1400);
    c.close(&mut p);
    v.push(
        case("upgrade-ten-thousand-headers.pcap", p.buf)
            .args(&["--max-http-head", "1000000"])
            .notes(&["http-too-many-headers", "ws-request-not-decoded"])
            .absent(&["ws-request-not-captured"]),
    );

    // A server that agreed to a 512-byte window (server_max_window_bits=9) and then refers
    // back 1,000 bytes in its second message; its first stays within the window.
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41007, 80);
    let ext = "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9\r\n";
    ws_session(&mut p, &mut c, "/", ext, ext);
    let (near, far) = window_messages();
    let mut z = flate2::Compress::new(flate2::Compression::default(), false);
    for msg in [&near, &far] {
        let payload = deflate_message(&mut z, msg.as_bytes());
        c.send(
            &mut p,
            false,
            &ws_frame(true, true, 1, None, &payload),
            1400,
        );
    }
    c.close(&mut p);
    v.push(case("deflate-beyond-window.pcap", p.buf).notes(&["ws-deflate-window"]));

    // pcapng with a power-of-two timestamp resolution (2^-20 s): two packets 0.25 s apart.
    let c = Conv::new(41006, 80);
    let mut ng = ng_shb();
    ng.extend(ng_idb_tsresol(LINKTYPE_RAW as u16, 0x80 | 20));
    let t0 = 1_700_000_000u64 << 20;
    ng.extend(ng_epb(0, t0, &c.pkt(true, 1, 0, SYN, b"")));
    ng.extend(ng_epb(
        0,
        t0 + (1 << 18),
        &c.pkt(false, 9, 2, SYN | ACK, b""),
    ));
    v.push(case("tsresol-power-of-two.pcapng", ng).absent(&["time-backwards"]));

    v
}

/// `n` short server text messages packed into full segments: megabytes of output from a small
/// file (for the closed-pipe test). CRAFTED.
pub fn chatty(n: usize) -> Vec<u8> {
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41011, 80);
    ws_session(&mut p, &mut c, "/", "", "");
    let mut all = Vec::new();
    for i in 0..n {
        all.extend(ws_frame(true, false, 1, None, format!("m{i}").as_bytes()));
    }
    c.send(&mut p, false, &all, 1400);
    c.close(&mut p);
    p.buf
}

/// A conversation whose strings hide invisible characters (`pay<ZWJ>pal`), XML-forbidden
/// ones (U+FFFE, U+FFFF) and bytes that are not UTF-8, in a header value, a text message and a
/// close reason. CRAFTED.
pub fn invisible_and_invalid() -> Vec<u8> {
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(41010, 80);
    c.handshake(&mut p);
    let mut req = upgrade_request("/pay\u{200d}pal", "");
    req.truncate(req.len() - 2);
    req.extend_from_slice(b"X-Bytes: ab\xff\xfecd\r\nX-Hidden: pay\xe2\x80\x8dpal\r\n\r\n");
    c.send(&mut p, true, &req, 1400);
    c.send(&mut p, false, &upgrade_response(""), 1400);
    let k = Some([1, 2, 3, 4]);
    let text = "pay\u{200d}pal \u{200b}\u{2060}\u{feff}\u{e0041}\u{3164}\u{180e} \u{fffe}\u{ffff}";
    c.send(
        &mut p,
        true,
        &ws_frame(true, false, 1, k, text.as_bytes()),
        1400,
    );
    c.send(
        &mut p,
        false,
        &ws_frame(true, false, 1, None, b"bad \xff\xfe bytes"),
        1400,
    );
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice("bye\u{fffe}\u{200d}".as_bytes());
    c.send(&mut p, true, &ws_frame(true, false, 8, k, &close), 1400);
    c.send(&mut p, false, &ws_frame(true, false, 8, None, &close), 1400);
    c.close(&mut p);
    p.buf
}

/// The two texts of `deflate-beyond-window.pcap`: the first is 400 bytes, so no repeat in it
/// lies further back than 400 bytes; the second is a run of `x` (each a reference 1 byte
/// back) and then the first's opening again, 1,000 bytes back.
pub fn window_messages() -> (String, String) {
    let mut near = String::new();
    let mut x = 12345u32;
    while near.len() < 400 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        near.push(char::from(b'a' + (x >> 16) as u8 % 23));
    }
    let mut far = "x".repeat(600);
    far.push_str(&near[..100]);
    (near, far)
}

/// One permessage-deflate message (RFC 7692: sync-flushed, the final 00 00 ff ff removed),
/// continuing the compressor's context.
pub fn deflate_message(z: &mut flate2::Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    z.compress_vec(data, &mut out, flate2::FlushCompress::Sync)
        .expect("deflate");
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]), "sync flush");
    out.truncate(out.len() - 4);
    out
}

/// permessage-deflate payload (RFC 7692: sync-flushed, without the final 00 00 ff ff) of `n`
/// zero bytes.
pub fn deflate_zeros(n: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut z = Compress::new(Compression::best(), false);
    let zeros = vec![0u8; 1 << 20];
    let mut out = Vec::with_capacity(n / 1000 + 1024);
    let mut left = n;
    while left > 0 {
        let k = left.min(zeros.len());
        let before = z.total_in();
        out.reserve(64 << 10);
        z.compress_vec(&zeros[..k], &mut out, FlushCompress::None)
            .expect("deflate");
        left -= (z.total_in() - before) as usize;
    }
    loop {
        out.reserve(64 << 10);
        let before = out.len();
        z.compress_vec(&[], &mut out, FlushCompress::Sync)
            .expect("deflate");
        if out.len() == before {
            break;
        }
    }
    if out.ends_with(&[0, 0, 0xff, 0xff]) {
        out.truncate(out.len() - 4);
    }
    out
}

/// A conversation whose every captured string tries to take over the terminal: the request
/// path and headers, the response's reason phrase and headers, WebSocket text in both
/// directions (whole and fragmented), and a close reason.
pub fn terminal_attack() -> Vec<u8> {
    let mut p = Pcap::new(LINKTYPE_RAW);
    let mut c = Conv::new(40020, 80);
    c.handshake(&mut p);
    let req = format!(
        "GET /{HTTP_ATTACK} HTTP/1.1\r\nHost: {HTTP_ATTACK}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: {HTTP_ATTACK}\r\n\
         X-Evil: {HTTP_ATTACK}\r\nSec-WebSocket-Protocol: {HTTP_ATTACK}\r\n\r\n"
    );
    c.send(&mut p, true, req.as_bytes(), 1400);
    let resp = format!(
        "HTTP/1.1 101 {HTTP_ATTACK}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {WS_ACCEPT}\r\nServer: {HTTP_ATTACK}\r\n\r\n"
    );
    c.send(&mut p, false, resp.as_bytes(), 1400);
    let k = Some([0x37, 0xfa, 0x21, 0x3d]);
    c.send(
        &mut p,
        true,
        &ws_frame(true, false, 1, k, ATTACK.as_bytes()),
        1400,
    );
    c.send(
        &mut p,
        false,
        &ws_frame(true, false, 1, None, ATTACK.as_bytes()),
        1400,
    );
    let (x, y) = ATTACK.as_bytes().split_at(5);
    c.send(&mut p, false, &ws_frame(false, false, 1, None, x), 1400);
    c.send(&mut p, false, &ws_frame(true, false, 0, None, y), 1400);
    // invalid UTF-8 around a raw 8-bit CSI byte
    c.send(
        &mut p,
        false,
        &ws_frame(true, false, 1, None, b"\x9b2J\xff\x1b[H"),
        1400,
    );
    c.send(
        &mut p,
        false,
        &ws_frame(true, false, 2, None, ATTACK.as_bytes()),
        1400,
    );
    let mut close = 1000u16.to_be_bytes().to_vec();
    close.extend_from_slice(ATTACK.as_bytes());
    c.send(&mut p, true, &ws_frame(true, false, 8, k, &close), 1400);
    c.send(&mut p, false, &ws_frame(true, false, 8, None, &close), 1400);
    c.close(&mut p);
    // an HTTP connection that is not upgraded
    let mut c = Conv::new(40021, 8080);
    c.handshake(&mut p);
    let req = format!("POST /{HTTP_ATTACK} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    c.send(&mut p, true, req.as_bytes(), 1400);
    let resp = format!("HTTP/1.1 404 {HTTP_ATTACK}\r\nContent-Length: 0\r\n\r\n");
    c.send(&mut p, false, resp.as_bytes(), 1400);
    c.close(&mut p);
    p.buf
}

/// Write every generated file into `dir`; returns the cases with their paths.
pub fn write_all(dir: &Path) -> Vec<(PathBuf, Case)> {
    std::fs::create_dir_all(dir).expect("create output dir");
    let mut cases = corrupt_files();
    cases.extend(hostile_packets());
    cases.push(case("terminal-attack.pcap", terminal_attack()));
    cases.extend(round_two());
    cases.push(case("invisible-and-invalid.pcap", invisible_and_invalid()));
    cases
        .into_iter()
        .map(|c| {
            let path = dir.join(c.name);
            std::fs::write(&path, &c.bytes).expect("write generated file");
            (path, c)
        })
        .collect()
}
