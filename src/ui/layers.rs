//! The field trees and computations the UI shows, as the decoder modules provide them.
//!
//! One place that calls into the decoders, so the views never look at packet bytes themselves.

use crate::event::{FrameHeader, HttpHead, HttpKind};
use crate::fields::Field;

/// Link / IP / TCP (or UDP) fields of one packet, with bit spans in its bytes.
pub fn packet_fields(linktype: u32, data: &[u8]) -> Vec<Field> {
    crate::wire::dissect(linktype, data)
}

/// RFC 6455 §5.2 header fields with this frame's values; bits from the frame's first byte.
pub fn frame_fields(h: &FrameHeader) -> Vec<Field> {
    let b = |v: bool| u8::from(v).to_string();
    let mut f = vec![
        Field::new("ws.fin", "FIN", b(h.fin), 0..1),
        Field::new("ws.rsv1", "RSV1", b(h.rsv1), 1..2),
        Field::new("ws.rsv2", "RSV2", b(h.rsv2), 2..3),
        Field::new("ws.rsv3", "RSV3", b(h.rsv3), 3..4),
        Field::new(
            "ws.opcode",
            "opcode",
            format!("{:#x} {}", h.opcode.code(), h.opcode.as_str()),
            4..8,
        ),
        Field::new("ws.mask", "MASK", b(h.masked), 8..9),
        Field::new("ws.len", "Payload len", h.len_code.to_string(), 9..16),
    ];
    let mut at = 16u64;
    let ext = match h.len_code {
        126 => 16,
        127 => 64,
        _ => 0,
    };
    if ext > 0 {
        f.push(Field::new(
            "ws.len_ext",
            "Extended payload length",
            h.payload_len.to_string(),
            at..at + ext,
        ));
        at += ext;
    }
    if let Some(k) = h.mask_key {
        f.push(Field::new(
            "ws.masking_key",
            "Masking key",
            format!("{:02x} {:02x} {:02x} {:02x}", k[0], k[1], k[2], k[3]),
            at..at + 32,
        ));
    }
    f
}

/// Unmask `buf` in place; `offset` is the position of `buf[0]` in the payload.
pub fn unmask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[((offset + i as u64) % 4) as usize];
    }
}

/// The Sec-WebSocket-Accept computation, each step kept for display.
pub struct AcceptSteps {
    pub key: String,
    pub concatenated: String,
    pub sha1: [u8; 20],
    pub base64: String,
}

pub fn accept_steps(key: &str) -> AcceptSteps {
    use base64::Engine;
    use sha1::Digest;
    let concatenated = format!("{key}{}", crate::http::WS_GUID);
    let sha1: [u8; 20] = sha1::Sha1::digest(concatenated.as_bytes()).into();
    let base64 = base64::engine::general_purpose::STANDARD.encode(sha1);
    AcceptSteps {
        key: key.to_string(),
        concatenated,
        sha1,
        base64,
    }
}

/// The head's start line and headers as fields (no byte spans: a head may cross packets).
pub fn http_fields(h: &HttpHead) -> Vec<Field> {
    let line = match &h.kind {
        HttpKind::Request { method, path } => format!("{method} {path} {}", h.version),
        HttpKind::Response { status, reason } => format!("{} {status} {reason}", h.version),
    };
    let mut v = vec![Field::new("http.line", "Start line", line, 0..0)];
    v.extend(
        h.headers
            .iter()
            .map(|(n, val)| Field::new("http.header", "", format!("{n}: {val}"), 0..0)),
    );
    v
}
