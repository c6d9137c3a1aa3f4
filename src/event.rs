//! The events the decoders emit and the views consume.
//!
//! This is the one typed interface between the layers: decoders (TCP, HTTP, WebSocket) push
//! [`Event`]s into a sink; the views (NDJSON, narrated text, the terminal UI, diagrams) read them
//! and never look at packet bytes themselves. Every event is small and owned, so a sink can keep
//! it (the UI) or write it out and drop it (NDJSON) without the decoder caring which.

use std::fmt;
use std::net::SocketAddr;

/// Connection number, 1-based, in order of first appearance.
pub type ConnId = u32;
/// Packet number, 1-based, in capture order (the same number Wireshark shows).
pub type PktNum = u64;

/// Packet numbers of a frame: most frames need one or two, held without an allocation.
pub type Pkts = smallvec::SmallVec<[PktNum; 2]>;

/// Time since the first packet of the capture, in nanoseconds (negative if the clock went back).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Ts(pub i64);

impl Ts {
    pub fn secs(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

/// Direction of travel relative to the connection's roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Dir {
    /// Client to server.
    C2S,
    /// Server to client.
    S2C,
}

impl Dir {
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::C2S => "c2s",
            Dir::S2C => "s2c",
        }
    }
    pub fn flip(self) -> Dir {
        match self {
            Dir::C2S => Dir::S2C,
            Dir::S2C => Dir::C2S,
        }
    }
    /// 0 for client-to-server, 1 for server-to-client: an index into per-direction arrays.
    pub fn idx(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// TCP connection states with the names of RFC 9293 §3.3.2.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum TcpState {
    #[default]
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl TcpState {
    /// Every state with its name, in declaration order (`STATES[s as usize].0 == s`).
    const STATES: [(TcpState, &'static str); 11] = {
        use TcpState::*;
        [
            (Closed, "CLOSED"),
            (Listen, "LISTEN"),
            (SynSent, "SYN_SENT"),
            (SynReceived, "SYN_RECEIVED"),
            (Established, "ESTABLISHED"),
            (FinWait1, "FIN_WAIT_1"),
            (FinWait2, "FIN_WAIT_2"),
            (CloseWait, "CLOSE_WAIT"),
            (Closing, "CLOSING"),
            (LastAck, "LAST_ACK"),
            (TimeWait, "TIME_WAIT"),
        ]
    };

    /// The state numbered `i` (`s as usize`): a state packed into a few bits reads back here.
    pub fn from_index(i: usize) -> Option<TcpState> {
        Self::STATES.get(i).map(|s| s.0)
    }

    pub fn as_str(self) -> &'static str {
        Self::STATES[self as usize].1
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The TCP header flag bits, as they sit in the header's 13th byte.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
    /// Order used whenever flags are written out (the NDJSON contract fixes it).
    pub const ORDER: [(u8, &'static str); 8] = [
        (Self::SYN, "SYN"),
        (Self::ACK, "ACK"),
        (Self::FIN, "FIN"),
        (Self::RST, "RST"),
        (Self::PSH, "PSH"),
        (Self::URG, "URG"),
        (Self::ECE, "ECE"),
        (Self::CWR, "CWR"),
    ];

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
}

impl fmt::Display for TcpFlags {
    /// `SYN,ACK` style; empty when no flag is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (bit, name) in Self::ORDER {
            if self.has(bit) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// TCP analysis findings, with Wireshark's meanings (`tcp.analysis.*`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Analysis(pub u16);

impl Analysis {
    pub const RETRANSMISSION: u16 = 1 << 0;
    pub const OUT_OF_ORDER: u16 = 1 << 1;
    pub const DUP_ACK: u16 = 1 << 2;
    pub const ZERO_WINDOW: u16 = 1 << 3;
    pub const WINDOW_FULL: u16 = 1 << 4;
    pub const KEEP_ALIVE: u16 = 1 << 5;
    pub const PREV_NOT_CAPTURED: u16 = 1 << 6;
    pub const ACKED_UNSEEN: u16 = 1 << 7;
    pub const SPURIOUS_RETRANSMISSION: u16 = 1 << 8;
    pub const KEEP_ALIVE_ACK: u16 = 1 << 9;
    pub const ZERO_WINDOW_PROBE: u16 = 1 << 10;
    pub const WINDOW_UPDATE: u16 = 1 << 11;
    pub const NAMES: [(u16, &'static str); 12] = [
        (Self::RETRANSMISSION, "retransmission"),
        (Self::SPURIOUS_RETRANSMISSION, "spurious-retransmission"),
        (Self::OUT_OF_ORDER, "out-of-order"),
        (Self::DUP_ACK, "duplicate-ack"),
        (Self::ZERO_WINDOW, "zero-window"),
        (Self::ZERO_WINDOW_PROBE, "zero-window-probe"),
        (Self::WINDOW_FULL, "window-full"),
        (Self::WINDOW_UPDATE, "window-update"),
        (Self::KEEP_ALIVE, "keep-alive"),
        (Self::KEEP_ALIVE_ACK, "keep-alive-ack"),
        (Self::PREV_NOT_CAPTURED, "previous-segment-not-captured"),
        (Self::ACKED_UNSEEN, "acked-unseen-segment"),
    ];

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub fn set(&mut self, bit: u16) {
        self.0 |= bit;
    }
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(b, _)| self.has(*b))
            .map(|(_, n)| n)
    }
}

/// Which of the three handshake steps a segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Handshake {
    Syn,
    SynAck,
    Ack,
}

impl Handshake {
    pub fn as_str(self) -> &'static str {
        match self {
            Handshake::Syn => "syn",
            Handshake::SynAck => "syn-ack",
            Handshake::Ack => "ack",
        }
    }
}

/// TCP options worth showing: the ones a handshake negotiates, so they are read from SYN
/// segments only (the detail pane dissects every option of any segment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TcpOpts {
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_permitted: bool,
    /// TSval, TSecr (offered on the SYN).
    pub timestamps: Option<(u32, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CloseHow {
    /// Both sides sent FIN.
    Fin,
    /// A reset ended an established (or half-open) connection.
    Rst,
    /// The SYN was answered by RST: nobody listened on that port.
    Refused,
    /// Still open when the input ended (or evicted to bound memory).
    Incomplete,
}

impl CloseHow {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseHow::Fin => "fin",
            CloseHow::Rst => "rst",
            CloseHow::Refused => "refused",
            CloseHow::Incomplete => "incomplete",
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// A new flow in the flow table (TCP connection or UDP conversation).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConnOpen {
    pub conn: ConnId,
    pub proto: Proto,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub pkt: PktNum,
    pub ts: Ts,
    /// True when the roles were guessed because the SYN was not captured.
    pub guessed: bool,
}

/// One TCP segment, with both ends' states after it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TcpSegment {
    pub conn: ConnId,
    pub pkt: PktNum,
    pub ts: Ts,
    pub dir: Dir,
    pub flags: TcpFlags,
    /// Raw 32-bit sequence number from the header.
    pub seq: u32,
    /// Raw 32-bit acknowledgement number from the header.
    pub ack: u32,
    /// Sequence number relative to this direction's ISN (0 for the SYN), as Wireshark shows it.
    pub rel_seq: u32,
    /// Acknowledgement number relative to the other direction's ISN (0 when ACK is not set).
    pub rel_ack: u32,
    /// TCP payload length as the header claims it (even if the capture cut it short).
    pub len: u32,
    /// Window field as sent (not scaled).
    pub win: u16,
    /// Window in bytes after scaling, when the scale is known.
    pub win_scaled: Option<u32>,
    pub client_state: TcpState,
    pub server_state: TcpState,
    pub handshake: Option<Handshake>,
    pub analysis: Analysis,
    pub opts: TcpOpts,
    /// The packet was cut short by the snap length.
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConnClose {
    pub conn: ConnId,
    /// Last packet seen on the connection.
    pub pkt: PktNum,
    pub ts: Ts,
    pub how: CloseHow,
    pub client_state: TcpState,
    pub server_state: TcpState,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UdpDatagram {
    pub conn: ConnId,
    pub pkt: PktNum,
    pub ts: Ts,
    pub dir: Dir,
    pub len: u32,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum HttpKind {
    Request { method: String, path: String },
    Response { status: u16, reason: String },
}

/// An HTTP/1.x request or response head.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HttpHead {
    pub conn: ConnId,
    pub dir: Dir,
    /// The packet that completed the head.
    pub pkt: PktNum,
    pub ts: Ts,
    pub kind: HttpKind,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    pub headers: Vec<(String, String)>,
    /// Bytes of the head, request/status line to the blank line included.
    pub head_len: u32,
    /// Body length when known from Content-Length, or the total once a chunked body ended.
    pub body_len: Option<u64>,
    /// Where the start line's parts and each header sit within the head's bytes (for field
    /// trees and byte highlights). Empty when the head was not parsed from the wire.
    pub layout: HeadLayout,
}

/// Byte ranges `[start, end)` within an HTTP head, counted from its first byte.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeadLayout {
    /// Request: method, target, version. Response: version, status code, reason phrase.
    pub line: [(u32, u32); 3],
    /// End of the start line, its line ending included.
    pub line_end: u32,
    /// One per entry of `HttpHead::headers`, in the same order.
    pub headers: Vec<HeaderSpan>,
}

/// Where one header line sits within an HTTP head.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeaderSpan {
    pub name: (u32, u32),
    pub value: (u32, u32),
    /// End of the line, its line ending included.
    pub line_end: u32,
}

impl HttpHead {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// permessage-deflate parameters as the server accepted them (RFC 7692 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeflateParams {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    /// 8..=15; 15 when not given.
    pub server_max_window_bits: u8,
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// The outcome of an upgrade attempt: emitted for successful and failed upgrades alike.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WsHandshake {
    pub conn: ConnId,
    /// Packet of the response head.
    pub pkt: PktNum,
    pub ts: Ts,
    pub status: u16,
    pub key: Option<String>,
    pub accept: Option<String>,
    /// base64(SHA-1(key + GUID)); None when there was no key.
    pub expected_accept: Option<String>,
    pub accept_ok: bool,
    pub version: Option<String>,
    pub protocol: Option<String>,
    pub extensions: Option<String>,
    pub deflate: Option<DeflateParams>,
    /// The connection switched to WebSocket.
    pub upgraded: bool,
    /// Why the upgrade failed, one short English phrase each (empty when it succeeded).
    pub problems: Vec<String>,
    /// The handshake was read from inside a decrypted TLS connection (wss://).
    pub tls: bool,
}

/// RFC 6455 opcodes, reserved values named as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
    /// 0x3..=0x7
    ReservedData(u8),
    /// 0xB..=0xF
    ReservedControl(u8),
}

impl Opcode {
    pub fn from_u8(v: u8) -> Opcode {
        match v & 0x0f {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            v @ 0x3..=0x7 => Opcode::ReservedData(v),
            v => Opcode::ReservedControl(v),
        }
    }
    pub fn code(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
            Opcode::ReservedData(v) | Opcode::ReservedControl(v) => v,
        }
    }
    pub fn is_control(self) -> bool {
        self.code() & 0x8 != 0
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Opcode::Continuation => "continuation",
            Opcode::Text => "text",
            Opcode::Binary => "binary",
            Opcode::Close => "close",
            Opcode::Ping => "ping",
            Opcode::Pong => "pong",
            Opcode::ReservedData(_) => "reserved-data",
            Opcode::ReservedControl(_) => "reserved-control",
        }
    }
}

/// A WebSocket frame header as decoded from the wire, with its raw bytes for bit layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrameHeader {
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    pub opcode: Opcode,
    pub masked: bool,
    pub mask_key: Option<[u8; 4]>,
    /// The 7-bit length code (126 and 127 mean "see the extended length").
    pub len_code: u8,
    /// The payload length (after extended lengths are applied).
    pub payload_len: u64,
    /// 2, 4, 6, 8, 10 or 14.
    pub header_len: u8,
    /// The header bytes as on the wire; only the first `header_len` are meaningful.
    #[serde(with = "serde_bytes")]
    pub raw: [u8; 14],
}

impl FrameHeader {
    pub fn raw(&self) -> &[u8] {
        &self.raw[..self.header_len as usize]
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WsFrame {
    pub conn: ConnId,
    pub dir: Dir,
    /// Packets that carried any byte of the frame, in order.
    pub pkts: Pkts,
    /// Time of the packet that completed the frame.
    pub ts: Ts,
    pub header: FrameHeader,
    /// Offset of the frame's first byte in this direction's WebSocket byte stream.
    pub stream_offset: u64,
    /// Recognised without a captured handshake (the capture began mid-stream).
    pub heuristic: bool,
    /// The first payload bytes as on the wire (still masked), when previews were asked for.
    #[serde(with = "serde_bytes")]
    pub preview: Vec<u8>,
}

/// A complete message (text/binary, joined from its fragments) or a control frame.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WsMessage {
    pub conn: ConnId,
    pub dir: Dir,
    /// Packet that completed the message.
    pub pkt: PktNum,
    pub ts: Ts,
    pub opcode: Opcode,
    pub frames: u32,
    /// RSV1 set on the first frame with permessage-deflate negotiated.
    pub compressed: bool,
    /// Payload bytes on the wire (after unmasking, before inflating), all frames together.
    pub wire_len: u64,
    /// Length of the unmasked, joined, inflated payload.
    pub len: u64,
    /// SHA-256 of the unmasked, joined, inflated payload (all zero if it could not be inflated).
    #[serde(with = "serde_bytes")]
    pub sha256: [u8; 32],
    /// For text messages: the text (possibly cut to a preview).
    pub text: Option<String>,
    pub text_truncated: bool,
    /// For binary messages and ping/pong: the first payload bytes.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
    /// Whether `data` is only a prefix of the payload.
    pub data_truncated: bool,
    pub close_code: Option<u16>,
    pub close_reason: Option<Box<str>>,
    /// The payload was not valid UTF-8 where it must be (text, close reason).
    pub utf8_error: bool,
    /// Inflating failed; the message content is unknown.
    pub inflate_error: Option<Box<str>>,
    pub heuristic: bool,
}

/// Anything the reader should know that is not a packet: damage, limits hit, violations.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    pub level: Level,
    /// Stable kebab-case code, e.g. `truncated-packet`, `ws-unmasked-client-frame`.
    #[serde(with = "crate::interned::one")]
    pub code: crate::interned::Name,
    pub text: String,
    pub conn: Option<ConnId>,
    pub pkt: Option<PktNum>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Event {
    ConnOpen(ConnOpen),
    Tcp(TcpSegment),
    ConnClose(ConnClose),
    Udp(UdpDatagram),
    /// Boxed, as the rare large events: every event is as large as its largest kind.
    Http(Box<HttpHead>),
    WsHandshake(Box<WsHandshake>),
    WsFrame(WsFrame),
    WsMessage(WsMessage),
    Note(Note),
    /// An application-protocol message (Socket.IO, Engine.IO, ...) decoded from a WebSocket
    /// message or an HTTP long-polling body.
    App(Box<AppMessage>),
    /// One TLS handshake message, ChangeCipherSpec or alert (boxed: large and rare).
    Tls(Box<TlsMsg>),
    /// What a TLS connection negotiated and whether it could be decrypted.
    TlsSession(Box<TlsSession>),
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::ConnOpen(_) => "conn_open",
            Event::Tcp(_) => "tcp",
            Event::ConnClose(_) => "conn_close",
            Event::Udp(_) => "udp",
            Event::Http(_) => "http",
            Event::WsHandshake(_) => "ws_handshake",
            Event::WsFrame(_) => "ws_frame",
            Event::WsMessage(_) => "ws_message",
            Event::Note(_) => "note",
            Event::App(_) => "app",
            Event::Tls(_) => "tls",
            Event::TlsSession(_) => "tls_session",
        }
    }

    pub fn conn(&self) -> Option<ConnId> {
        match self {
            Event::ConnOpen(e) => Some(e.conn),
            Event::Tcp(e) => Some(e.conn),
            Event::ConnClose(e) => Some(e.conn),
            Event::Udp(e) => Some(e.conn),
            Event::Http(e) => Some(e.conn),
            Event::WsHandshake(e) => Some(e.conn),
            Event::WsFrame(e) => Some(e.conn),
            Event::WsMessage(e) => Some(e.conn),
            Event::Note(e) => e.conn,
            Event::App(e) => Some(e.conn),
            Event::Tls(e) => Some(e.conn),
            Event::TlsSession(e) => Some(e.conn),
        }
    }

    /// Roughly the bytes this event holds outside itself (texts, previews, headers).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Event::WsMessage(m) => {
                m.text.as_ref().map_or(0, |t| t.len())
                    + m.data.len()
                    + m.close_reason.as_ref().map_or(0, |r| r.len())
            }
            Event::WsFrame(f) => f.preview.len() + f.pkts.len() * 8,
            Event::Http(h) => h.headers.iter().map(|(n, v)| n.len() + v.len() + 48).sum(),
            Event::Note(n) => n.text.len(),
            Event::App(a) => a.heap_bytes(),
            _ => 0,
        }
    }

    /// When the event happened (a note has no time of its own).
    pub fn ts(&self) -> Option<Ts> {
        Some(match self {
            Event::ConnOpen(e) => e.ts,
            Event::Tcp(e) => e.ts,
            Event::ConnClose(e) => e.ts,
            Event::Udp(e) => e.ts,
            Event::Http(e) => e.ts,
            Event::WsHandshake(e) => e.ts,
            Event::WsFrame(e) => e.ts,
            Event::WsMessage(e) => e.ts,
            Event::App(e) => e.ts,
            Event::Tls(e) => e.ts,
            Event::TlsSession(e) => e.ts,
            Event::Note(_) => return None,
        })
    }

    /// The packet this event belongs to (for frames, the last one that carried it).
    pub fn pkt(&self) -> Option<PktNum> {
        match self {
            Event::ConnOpen(e) => Some(e.pkt),
            Event::Tcp(e) => Some(e.pkt),
            Event::ConnClose(e) => Some(e.pkt),
            Event::Udp(e) => Some(e.pkt),
            Event::Http(e) => Some(e.pkt),
            Event::WsHandshake(e) => Some(e.pkt),
            Event::WsFrame(e) => e.pkts.last().copied(),
            Event::WsMessage(e) => Some(e.pkt),
            Event::Note(e) => e.pkt,
            Event::App(e) => Some(e.pkt),
            Event::Tls(e) => Some(e.pkt),
            Event::TlsSession(e) => Some(e.pkt),
        }
    }
}

/// How the SHA-256 of a `ws_message` emitted by [`Sink::emit_unhashed`] is to be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unhashed {
    /// From the event itself, which holds the whole payload ([`WsMessage::content`]).
    Content,
    /// From the pieces given to [`Sink::hash_piece`] under this ticket.
    Pieces(u64),
}

/// Where decoders put their events. A closure `|ev| ...` is a sink.
///
/// Hashing message payloads is the one costly step a sink may take over, so that it can run on
/// another thread: the decoder emits the message with [`Sink::emit_unhashed`], and for large
/// payloads asks for a ticket ([`Sink::hash_begin`]) and hands over the bytes as they come. Views
/// always receive events with `sha256` filled in. The defaults hash at once, on the caller's
/// thread.
pub trait Sink {
    fn emit(&mut self, ev: Event);

    /// A message whose `sha256` is still to be computed as `how` says.
    fn emit_unhashed(&mut self, mut m: WsMessage, how: Unhashed) {
        debug_assert_eq!(how, Unhashed::Content, "no tickets were handed out");
        m.sha256 = sha256(m.content());
        self.emit(Event::WsMessage(m));
    }

    /// A ticket under which a payload's bytes may be handed over for hashing, or None when this
    /// sink hashes nothing itself (the caller hashes).
    fn hash_begin(&mut self) -> Option<u64> {
        None
    }

    /// The next bytes of the payload hashed under `ticket`.
    fn hash_piece(&mut self, _ticket: u64, _bytes: &[u8]) {}

    /// The next bytes of the payload hashed under `ticket`, still masked with `key` (RFC 6455
    /// §5.3), `offset` being their position in the frame's payload. Returns false when the sink
    /// does not take masked bytes: the caller then unmasks them and calls `hash_piece`.
    fn hash_masked(&mut self, _ticket: u64, _masked: &[u8], _key: [u8; 4], _offset: u64) -> bool {
        false
    }

    /// The payload under `ticket` will never be finished.
    fn hash_abandon(&mut self, _ticket: u64) {}

    /// The packets that follow are slices of `bytes` (a mapped window of the capture file): a
    /// sink that keeps pieces for later may hold on to them rather than copy them.
    fn backing(&mut self, _bytes: &crate::capture::Backing) {}

    /// An empty buffer for the decoder to fill, possibly one whose event this sink is done
    /// with (so its memory is reused rather than freed and allocated again).
    fn spare_buffer(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// The input has caught up with its source (a pipe or a live capture is waiting for more
    /// packets): a sink that holds output back writes it out now.
    fn caught_up(&mut self) {}
}

pub use crate::sha::sha256;

impl WsMessage {
    /// The whole payload as held by the event, when the decoder emitted it as
    /// [`Unhashed::Content`]: the text of a text message, else `data`.
    pub fn content(&self) -> &[u8] {
        match &self.text {
            Some(t) => t.as_bytes(),
            None => &self.data,
        }
    }
}

impl<F: FnMut(Event)> Sink for F {
    fn emit(&mut self, ev: Event) {
        self(ev)
    }
}

/// The application protocols decoded above WebSocket (the NDJSON `proto` of an `app` event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AppProto {
    EngineIo,
    SocketIo,
    Mqtt,
    Stomp,
    GraphqlWs,
    JsonRpc,
}

impl AppProto {
    pub fn as_str(self) -> &'static str {
        match self {
            AppProto::EngineIo => "engine.io",
            AppProto::SocketIo => "socket.io",
            AppProto::Mqtt => "mqtt",
            AppProto::Stomp => "stomp",
            AppProto::GraphqlWs => "graphql-ws",
            AppProto::JsonRpc => "json-rpc",
        }
    }
}

/// How an Engine.IO packet travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AppTransport {
    /// In the body of an HTTP long-polling request or response.
    Polling,
    WebSocket,
}

impl AppTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            AppTransport::Polling => "polling",
            AppTransport::WebSocket => "websocket",
        }
    }
}

/// The request an answer was paired with (an ack with its event, a response with its request).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppReply {
    /// Packet of the request.
    pub pkt: PktNum,
    /// Time from the request to this answer, in nanoseconds.
    pub rtt_ns: i64,
    /// The request's name (event name, method), when it had one.
    pub name: Option<Box<str>>,
}

/// One decoded application-protocol message.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppMessage {
    pub conn: ConnId,
    /// Packet that completed it (for a binary event, the one with its last attachment).
    pub pkt: PktNum,
    pub ts: Ts,
    pub dir: Dir,
    pub proto: AppProto,
    /// The protocol's own packet kind in lower case (`event`, `ack`, `ping`, `publish`, ...).
    #[serde(with = "crate::interned::one")]
    pub kind: crate::interned::Name,
    /// Engine.IO and Socket.IO only.
    pub transport: Option<AppTransport>,
    /// Ack id, packet id, operation id, request id.
    pub id: Option<Box<str>>,
    /// Event name, topic, destination or method.
    pub name: Option<Box<str>>,
    /// Socket.IO namespace.
    pub nsp: Option<Box<str>>,
    /// Arguments or payload, when the protocol carries JSON (binary attachments appear as
    /// `{"_binary":len}` in place of their placeholders).
    #[serde(with = "crate::interned::json_text")]
    pub args: Option<serde_json::Value>,
    /// For answers: what they answer.
    pub reply: Option<AppReply>,
    /// Other fields worth showing, in the order the protocol defines them.
    #[serde(with = "crate::interned::keyed")]
    pub fields: Vec<(&'static str, String)>,
    /// Binary attachments joined into this message.
    pub attachments: Vec<u64>,
}

impl AppMessage {
    /// A field of `fields` by name.
    pub fn field(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
    }

    /// Roughly the bytes held outside the event.
    pub fn heap_bytes(&self) -> usize {
        let s = |o: &Option<Box<str>>| o.as_ref().map_or(0, |v| v.len());
        std::mem::size_of::<Self>()
            + s(&self.id)
            + s(&self.name)
            + s(&self.nsp)
            + self.args.as_ref().map_or(0, json_heap)
            + self.fields.iter().map(|(_, v)| v.len() + 24).sum::<usize>()
            + self.attachments.len() * 8
    }
}

/// Rough heap bytes of a JSON value (no serialisation: called for memory accounting).
fn json_heap(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(s) => s.len() + 24,
        Value::Array(a) => a.iter().map(json_heap).sum::<usize>() + 32 * a.len(),
        Value::Object(o) => o.iter().map(|(k, v)| k.len() + 48 + json_heap(v)).sum(),
        _ => 0,
    }
}

/// The 5-byte header of a TLS record (RFC 8446 §5.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TlsRecordHeader {
    /// 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data.
    pub content_type: u8,
    /// The legacy record version (0x0303 for TLS 1.2 and 1.3).
    pub version: u16,
    /// Length of the record's body.
    pub len: u16,
    /// Where the header starts in its direction's TCP stream.
    pub stream_offset: u64,
}

/// A certificate of a chain, as far as an observer reads it (TLS 1.2 sends it in clear).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TlsCert {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// DER bytes.
    pub len: u32,
}

/// One TLS handshake message (event `tls`): what a ClientHello offers, what a ServerHello
/// chose, the certificates; also ChangeCipherSpec and alerts, named as such.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TlsMsg {
    pub conn: ConnId,
    /// Packet that completed the message.
    pub pkt: PktNum,
    pub ts: Ts,
    pub dir: Dir,
    /// The message's name in snake case: `client_hello`, `server_hello`, `certificate`,
    /// `finished`, `new_session_ticket`, `key_update`, `change_cipher_spec`, `alert`, …
    #[serde(with = "crate::interned::one")]
    pub kind: crate::interned::Name,
    /// Handshake message type number (None for ChangeCipherSpec and alerts).
    pub msg_type: Option<u8>,
    /// Read from a decrypted record (TLS 1.3's handshake after ServerHello, post-handshake
    /// messages, TLS 1.2's Finished).
    pub encrypted: bool,
    /// Length of the message body (after its 4-byte handshake header).
    pub len: u32,
    /// The record that carried the message's first byte (for an encrypted message: the outer
    /// application_data record).
    pub record: TlsRecordHeader,
    /// Hello messages: the legacy version field.
    pub legacy_version: Option<u16>,
    /// ClientHello: versions offered (supported_versions, else the legacy field).
    #[serde(with = "crate::interned::many")]
    pub versions: Vec<&'static str>,
    /// ServerHello: the version negotiated.
    #[serde(with = "crate::interned::maybe")]
    pub version: Option<crate::interned::Name>,
    /// ClientHello: cipher suites offered (IANA names).
    pub ciphers: Vec<String>,
    /// ServerHello: the cipher suite chosen.
    pub cipher: Option<String>,
    pub sni: Option<String>,
    /// ClientHello: protocols offered; ServerHello/EncryptedExtensions: the one chosen.
    pub alpn: Vec<String>,
    /// key_share groups (ClientHello: offered; ServerHello: chosen).
    pub groups: Vec<String>,
    /// ClientHello: a session ticket or pre-shared key is offered (a resumption attempt).
    pub resumption: bool,
    /// Certificate: the chain, leaf first.
    pub certs: Vec<TlsCert>,
    /// One short English phrase with what else this message says (alert name, KeyUpdate
    /// request, ticket lifetime, hello retry).
    pub detail: Option<String>,
}

/// Once per TLS connection, when it is known whether it can be decrypted (event `tls_session`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TlsSession {
    pub conn: ConnId,
    pub pkt: PktNum,
    pub ts: Ts,
    /// `TLS1.3`, `TLS1.2`, …
    #[serde(with = "crate::interned::one")]
    pub version: crate::interned::Name,
    /// IANA name of the cipher suite.
    pub cipher: String,
    /// Keys were found and the first protected record opened with them.
    pub decrypted: bool,
}

/// A whole one-frame message for unit tests: text when `text` is given, else binary `data`.
#[cfg(test)]
impl WsMessage {
    pub(crate) fn for_test(dir: Dir, text: Option<&str>, data: &[u8]) -> Self {
        WsMessage {
            conn: 1,
            dir,
            pkt: 1,
            ts: Ts(0),
            opcode: if text.is_some() {
                Opcode::Text
            } else {
                Opcode::Binary
            },
            frames: 1,
            compressed: false,
            wire_len: 0,
            len: text.map_or(data.len(), str::len) as u64,
            sha256: [0; 32],
            text: text.map(str::to_string),
            text_truncated: false,
            data: data.to_vec(),
            data_truncated: false,
            close_code: None,
            close_reason: None,
            utf8_error: false,
            inflate_error: None,
            heuristic: false,
        }
    }
}
