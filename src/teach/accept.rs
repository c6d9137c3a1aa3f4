//! The Sec-WebSocket-Accept computation as the narration shows it: SHA-1 in hex, then base64.

pub(crate) struct Steps {
    pub sha1_hex: String,
    pub base64: String,
}

pub(crate) fn steps(key: &str) -> Steps {
    let s = crate::http::accept_steps(key);
    let mut sha1_hex = String::with_capacity(40);
    for b in s.sha1 {
        use std::fmt::Write;
        let _ = write!(sha1_hex, "{b:02x}");
    }
    Steps {
        sha1_hex,
        base64: s.base64,
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
