//! The Sec-WebSocket-Accept computation, spelled out for the narration: the key, the SHA-1 of
//! key + GUID in hex, and its base64 (RFC 6455 §4.2.2).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

pub(crate) struct Steps {
    pub sha1_hex: String,
    pub base64: String,
}

pub(crate) fn steps(key: &str) -> Steps {
    let digest: [u8; 20] = Sha1::digest(format!("{}{}", key.trim(), crate::http::WS_GUID)).into();
    let mut sha1_hex = String::with_capacity(40);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(sha1_hex, "{b:02x}");
    }
    Steps {
        sha1_hex,
        base64: STANDARD.encode(digest),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc6455_example() {
        let s = super::steps("dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(s.base64, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(s.sha1_hex, "b37a4f2cc0624f1690f64606cf385945b2bec4ea");
    }
}
