//! Field trees of the TLS layer for the detail pane: the record header and the handshake
//! message header with their bit spans (from the record's first byte), and what the message
//! says as child lines.

use super::handshake::version_name;
use crate::event::{TlsMsg, TlsRecordHeader};
use crate::fields::Field;

pub fn content_type_name(t: u8) -> &'static str {
    match t {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        24 => "heartbeat",
        _ => "unknown",
    }
}

/// The 5 bytes of a record header, as they were on the wire.
pub fn record_bytes(h: &TlsRecordHeader) -> [u8; 5] {
    let v = h.version.to_be_bytes();
    let l = h.len.to_be_bytes();
    [h.content_type, v[0], v[1], l[0], l[1]]
}

/// The record header; for a message read in clear at the record's start, its handshake header
/// too (bytes 5..9). Bits count from the record's first byte.
pub fn msg_fields(m: &TlsMsg) -> Vec<Field> {
    let h = &m.record;
    let mut rec = Field::bytes(
        "tls.record",
        "TLS record",
        format!("{} bytes of {}", h.len, content_type_name(h.content_type)),
        0..5 + h.len as usize,
    )
    .with_children(vec![
        Field::bytes(
            "tls.record.type",
            "Content type",
            format!("{} ({})", h.content_type, content_type_name(h.content_type)),
            0..1,
        ),
        Field::bytes(
            "tls.record.version",
            "Legacy version",
            format!("0x{:04x} ({})", h.version, version_name(h.version)),
            1..3,
        ),
        Field::bytes("tls.record.length", "Length", h.len.to_string(), 3..5),
    ]);
    let mut out = Vec::new();
    let Some(t) = m.msg_type else {
        out.push(rec);
        return out;
    };
    let mut body = Vec::new();
    let plain_at_start = !m.encrypted;
    let span = |r: std::ops::Range<usize>| if plain_at_start { r } else { 0..0 };
    body.push(Field::bytes(
        "tls.handshake.type",
        "Handshake type",
        format!("{t} ({})", m.kind),
        span(5..6),
    ));
    body.push(Field::bytes(
        "tls.handshake.length",
        "Length",
        m.len.to_string(),
        span(6..9),
    ));
    if let Some(v) = m.legacy_version {
        body.push(Field::bytes(
            "tls.handshake.version",
            "Legacy version",
            format!("0x{v:04x} ({})", version_name(v)),
            span(9..11),
        ));
        body.push(Field::bytes(
            "tls.handshake.random",
            "Random",
            "32 bytes".into(),
            span(11..43),
        ));
    }
    let mut info = |name: &'static str, label: &'static str, v: String| {
        body.push(Field::new(name, label, v, 0..0));
    };
    if !m.versions.is_empty() {
        info("tls.versions", "Supported versions", m.versions.join(", "));
    }
    if let Some(v) = m.version {
        info("tls.version", "Version chosen", v.to_string());
    }
    if let Some(c) = &m.cipher {
        info("tls.cipher", "Cipher suite chosen", c.clone());
    }
    if let Some(s) = &m.sni {
        info("tls.sni", "Server name (SNI)", s.clone());
    }
    if !m.alpn.is_empty() {
        info("tls.alpn", "ALPN", m.alpn.join(", "));
    }
    if !m.groups.is_empty() {
        info("tls.groups", "Key share groups", m.groups.join(", "));
    }
    if m.resumption {
        info(
            "tls.resumption",
            "Resumption",
            "a ticket or pre-shared key is offered".into(),
        );
    }
    for c in &m.ciphers {
        info("tls.ciphers", "Cipher suite offered", c.clone());
    }
    for c in &m.certs {
        info(
            "tls.cert",
            "Certificate",
            format!(
                "{}; issuer {}; valid {} to {}; {} bytes",
                c.subject, c.issuer, c.not_before, c.not_after, c.len
            ),
        );
    }
    if let Some(d) = &m.detail {
        info("tls.detail", "Meaning", d.clone());
    }
    let hs = Field::bytes(
        "tls.handshake",
        if m.encrypted {
            "Handshake message (decrypted from the record)"
        } else {
            "Handshake message"
        },
        m.kind.to_string(),
        span(5..9 + m.len as usize),
    )
    .with_children(body);
    if plain_at_start {
        rec.children.push(hs);
        out.push(rec);
    } else {
        out.push(rec);
        out.push(hs);
    }
    out
}
