//! Handshake messages: reassembled from records (a message may span records, a record may
//! hold several) and read with tls-parser into the fields of a `tls` event.

use super::crypto::suite_name;
use crate::event::{TlsCert, TlsMsg};
use tls_parser::{
    TlsExtension, parse_tls_client_hello_extensions, parse_tls_extensions,
    parse_tls_handshake_client_hello, parse_tls_handshake_server_hello,
    parse_tls_server_hello_extensions,
};

/// A handshake message larger than this is skipped (certificate chains are a few KiB; the
/// format allows 16 MiB, which a hostile stream must not make us hold).
pub const MAX_MESSAGE: usize = 256 << 10;

pub const CLIENT_HELLO: u8 = 1;
pub const SERVER_HELLO: u8 = 2;
pub const FINISHED: u8 = 20;
pub const KEY_UPDATE: u8 = 24;

/// SHA-256("HelloRetryRequest"): the random of a ServerHello that is a HelloRetryRequest.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

pub fn msg_name(t: u8) -> &'static str {
    match t {
        0 => "hello_request",
        1 => "client_hello",
        2 => "server_hello",
        4 => "new_session_ticket",
        5 => "end_of_early_data",
        8 => "encrypted_extensions",
        11 => "certificate",
        12 => "server_key_exchange",
        13 => "certificate_request",
        14 => "server_hello_done",
        15 => "certificate_verify",
        16 => "client_key_exchange",
        20 => "finished",
        22 => "certificate_status",
        24 => "key_update",
        254 => "message_hash",
        _ => "unknown",
    }
}

pub fn version_name(v: u16) -> &'static str {
    match v {
        0x0304 => "TLS1.3",
        0x0303 => "TLS1.2",
        0x0302 => "TLS1.1",
        0x0301 => "TLS1.0",
        0x0300 => "SSL3.0",
        v if v & 0x0f0f == 0x0a0a => "GREASE",
        0x7f00..=0x7fff => "TLS1.3-draft",
        _ => "unknown",
    }
}

pub fn group_name(g: u16) -> String {
    match g {
        0x0017 => "secp256r1".into(),
        0x0018 => "secp384r1".into(),
        0x0019 => "secp521r1".into(),
        0x001d => "x25519".into(),
        0x001e => "x448".into(),
        0x0100 => "ffdhe2048".into(),
        0x0101 => "ffdhe3072".into(),
        0x11ec => "X25519MLKEM768".into(),
        0x6399 => "X25519Kyber768Draft00".into(),
        g if g & 0x0f0f == 0x0a0a => "GREASE".into(),
        g => format!("0x{g:04x}"),
    }
}

pub fn alert_name(d: u8) -> &'static str {
    match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

/// What the connection's state machine needs from a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Facts {
    ClientHello {
        random: [u8; 32],
    },
    ServerHello {
        random: [u8; 32],
        version: u16,
        suite: u16,
        retry: bool,
    },
    Finished,
    KeyUpdate,
    Other,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Fill `m` from a handshake message of type `t` with body `body`; `tls13` says the
/// negotiated version is 1.3 (the Certificate message differs).
pub fn read(t: u8, body: &[u8], tls13: bool, m: &mut TlsMsg) -> Facts {
    match t {
        CLIENT_HELLO => client_hello(body, m),
        SERVER_HELLO => server_hello(body, m),
        8 => {
            // EncryptedExtensions: extensions<0..2^16-1>.
            if let Some(ext) = body.get(2..)
                && let Ok((_, exts)) = parse_tls_extensions(ext)
            {
                for e in &exts {
                    if let TlsExtension::ALPN(p) = e {
                        m.alpn = p.iter().map(|s| text(s)).collect();
                    }
                    if let TlsExtension::SNI(_) = e {
                        m.detail = Some("the server acknowledged the SNI".into());
                    }
                }
            }
            Facts::Other
        }
        11 => {
            m.certs = certificates(body, tls13);
            Facts::Other
        }
        4 => {
            if let Some(l) = body.get(..4) {
                let secs = u32::from_be_bytes(l.try_into().expect("4 bytes"));
                m.detail = Some(format!(
                    "a session ticket valid for {secs} s (for resumption)"
                ));
            }
            Facts::Other
        }
        12 => {
            // ECDHE: curve_type 3 (named_curve), then the group.
            if body.first() == Some(&3)
                && let Some(g) = body.get(1..3)
            {
                m.groups = vec![group_name(u16::from_be_bytes([g[0], g[1]]))];
                m.detail = Some("the server's ECDHE key share, signed".into());
            }
            Facts::Other
        }
        FINISHED => Facts::Finished,
        KEY_UPDATE => {
            m.detail = Some(match body.first() {
                Some(1) => "new keys from here; the peer is asked to update too".into(),
                _ => "new keys from here".into(),
            });
            Facts::KeyUpdate
        }
        _ => Facts::Other,
    }
}

fn client_hello(body: &[u8], m: &mut TlsMsg) -> Facts {
    let Ok((_, ch)) = parse_tls_handshake_client_hello(body) else {
        m.detail = Some("a ClientHello that could not be parsed".into());
        return Facts::Other;
    };
    let Ok(random) = <[u8; 32]>::try_from(ch.random) else {
        return Facts::Other;
    };
    m.legacy_version = Some(ch.version.0);
    m.ciphers = ch.ciphers.iter().map(|c| suite_name(c.0)).collect();
    let mut versions = Vec::new();
    if let Some(ext) = ch.ext
        && let Ok((_, exts)) = parse_tls_client_hello_extensions(ext)
    {
        for e in &exts {
            match e {
                TlsExtension::SNI(names) => {
                    m.sni = names.first().map(|(_, n)| text(n));
                }
                TlsExtension::ALPN(p) => m.alpn = p.iter().map(|s| text(s)).collect(),
                TlsExtension::SupportedVersions(v) => {
                    versions = v
                        .iter()
                        .map(|v| version_name(v.0))
                        .filter(|n| *n != "GREASE")
                        .collect()
                }
                TlsExtension::KeyShare(ks) => m.groups = key_share_groups(ks),
                TlsExtension::SessionTicket(t) if !t.is_empty() => m.resumption = true,
                TlsExtension::PreSharedKey(_) => m.resumption = true,
                _ => {}
            }
        }
    }
    if versions.is_empty() {
        versions.push(version_name(ch.version.0));
    }
    m.versions = versions;
    Facts::ClientHello { random }
}

/// The groups of a ClientHello key_share: client_shares<0..2^16-1> of {group, key<1..2^16-1>}.
fn key_share_groups(ks: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = ks.get(2..).unwrap_or(&[]);
    while let Some(h) = rest.get(..4) {
        out.push(group_name(u16::from_be_bytes([h[0], h[1]])));
        let n = u16::from_be_bytes([h[2], h[3]]) as usize;
        rest = rest.get(4 + n..).unwrap_or(&[]);
    }
    out
}

fn server_hello(body: &[u8], m: &mut TlsMsg) -> Facts {
    let Ok((_, sh)) = parse_tls_handshake_server_hello(body) else {
        m.detail = Some("a ServerHello that could not be parsed".into());
        return Facts::Other;
    };
    let Ok(random) = <[u8; 32]>::try_from(sh.random) else {
        return Facts::Other;
    };
    m.legacy_version = Some(sh.version.0);
    let mut version = sh.version.0;
    if let Some(ext) = sh.ext
        && let Ok((_, exts)) = parse_tls_server_hello_extensions(ext)
    {
        for e in &exts {
            match e {
                TlsExtension::SupportedVersions(v) => {
                    if let Some(v) = v.first() {
                        version = v.0;
                    }
                }
                TlsExtension::ALPN(p) => m.alpn = p.iter().map(|s| text(s)).collect(),
                TlsExtension::KeyShare(ks) if ks.len() >= 2 => {
                    m.groups = vec![group_name(u16::from_be_bytes([ks[0], ks[1]]))]
                }
                _ => {}
            }
        }
    }
    let retry = random == HRR_RANDOM;
    if retry {
        m.kind = "hello_retry_request";
        m.detail = Some("the server asks the client to try again with another key share".into());
    }
    m.version = Some(version_name(version));
    m.cipher = Some(suite_name(sh.cipher.0));
    Facts::ServerHello {
        random,
        version,
        suite: sh.cipher.0,
        retry,
    }
}

fn u24(b: &[u8]) -> Option<usize> {
    let b = b.get(..3)?;
    Some(((b[0] as usize) << 16) | ((b[1] as usize) << 8) | b[2] as usize)
}

/// The DER certificates of a Certificate message (TLS 1.2: certificate_list of
/// cert<1..2^24-1>; TLS 1.3: a request context first and extensions after each).
fn certificates(body: &[u8], tls13: bool) -> Vec<TlsCert> {
    let mut rest = body;
    if tls13 {
        let ctx = *rest.first().unwrap_or(&0) as usize;
        rest = rest.get(1 + ctx..).unwrap_or(&[]);
    }
    let Some(total) = u24(rest) else {
        return Vec::new();
    };
    let mut list = rest.get(3..3 + total).unwrap_or(&[]);
    let mut out = Vec::new();
    while let Some(n) = u24(list) {
        let Some(der) = list.get(3..3 + n) else { break };
        out.push(cert_summary(der));
        list = &list[3 + n..];
        if tls13 {
            let Some(e) = list.get(..2) else { break };
            let en = u16::from_be_bytes([e[0], e[1]]) as usize;
            list = list.get(2 + en..).unwrap_or(&[]);
        }
        if out.len() >= 16 {
            break;
        }
    }
    out
}

fn cert_summary(der: &[u8]) -> TlsCert {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let mut c = TlsCert {
        len: der.len() as u32,
        ..TlsCert::default()
    };
    match X509Certificate::from_der(der) {
        Ok((_, x)) => {
            c.subject = x.subject().to_string();
            c.issuer = x.issuer().to_string();
            c.not_before = x.validity().not_before.to_string();
            c.not_after = x.validity().not_after.to_string();
        }
        Err(_) => c.subject = "(a certificate that could not be parsed)".into(),
    }
    c
}
