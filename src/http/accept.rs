//! The Sec-WebSocket-Accept computation of RFC 6455 §4.2.2, step by step so it can be shown.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

use super::WS_GUID;

/// Each intermediate value of the Accept computation, for narration and the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptSteps {
    /// The client's Sec-WebSocket-Key as sent (surrounding whitespace removed).
    pub key: String,
    /// key + GUID.
    pub concatenated: String,
    pub sha1: [u8; 20],
    /// base64 of the SHA-1: what the server must answer.
    pub base64: String,
}

pub fn accept_steps(key: &str) -> AcceptSteps {
    // Header values reach us with optional whitespace already trimmed by httparse, but keys
    // given by hand (or folded oddly) may still carry some; the RFC hashes the bare key.
    let key = key.trim().to_string();
    let concatenated = format!("{key}{WS_GUID}");
    let sha1: [u8; 20] = Sha1::digest(concatenated.as_bytes()).into();
    let base64 = STANDARD.encode(sha1);
    AcceptSteps {
        key,
        concatenated,
        sha1,
        base64,
    }
}

/// base64(SHA-1(key + GUID)).
pub fn expected_accept(key: &str) -> String {
    accept_steps(key).base64
}

/// Is `key` what RFC 6455 §4.1 (item 7) asks for: the base64 encoding of 16 bytes (24
/// characters, ending in `==`)? A server is to refuse any other key; one that accepts it anyway
/// still computes a matching Accept, so this is checked apart from the Accept.
pub fn key_is_valid(key: &str) -> bool {
    let key = key.trim();
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|b| b.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_example() {
        let s = accept_steps("dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(s.base64, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            s.concatenated,
            "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        );
        // The RFC prints the hash in hex too (§1.3).
        assert_eq!(
            s.sha1,
            [
                0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6, 0x46, 0x06, 0xcf, 0x38,
                0x59, 0x45, 0xb2, 0xbe, 0xc4, 0xea
            ]
        );
        assert_eq!(expected_accept(" dGhlIHNhbXBsZSBub25jZQ== "), s.base64);
    }

    #[test]
    fn different_keys_differ() {
        assert_ne!(
            expected_accept("dGhlIHNhbXBsZSBub25jZQ=="),
            expected_accept("x3JJHMbDL1EzLkh9GBhXDw==")
        );
        assert_eq!(
            expected_accept("x3JJHMbDL1EzLkh9GBhXDw=="),
            "HSmrc0sMlYUkAGmm5OPpG2HaGWk="
        );
    }

    #[test]
    fn a_key_must_be_base64_of_16_bytes() {
        assert!(key_is_valid("dGhlIHNhbXBsZSBub25jZQ=="));
        for bad in [
            "not-a-key",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZQ==x",
            "AAAAAAAAAAAAAAAAAAAAAAA=",
            "",
        ] {
            assert!(!key_is_valid(bad), "{bad}");
        }
    }
}
