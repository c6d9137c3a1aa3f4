//! The TLS layer's ladder labels and detail headings in the reader's language: a handshake
//! message's name in Chinese with the protocol's own token after it in parentheses
//! (`客户端问候（client_hello）`), numbers and IANA names as they are.

use super::Lang;
use crate::event::{TlsMsg, TlsSession};
use crate::text::escape_for_terminal;
use std::borrow::Cow;
use std::fmt::Write;

/// Chinese names of TLS messages, by the decoder's snake-case kind.
const NAMES_ZH: &[(&str, &str)] = &[
    ("alert", "警报"),
    ("certificate", "证书"),
    ("certificate_request", "证书请求"),
    ("certificate_verify", "证书校验"),
    ("change_cipher_spec", "更换密码规范"),
    ("client_hello", "客户端问候"),
    ("client_key_exchange", "客户端密钥交换"),
    ("encrypted_extensions", "加密扩展"),
    ("end_of_early_data", "早期数据结束"),
    ("finished", "握手完成"),
    ("hello_retry_request", "重试请求"),
    ("key_update", "密钥更新"),
    ("new_session_ticket", "新会话票据"),
    ("server_hello", "服务器问候"),
    ("server_hello_done", "服务器问候结束"),
    ("server_key_exchange", "服务器密钥交换"),
];

/// A TLS message's name: the token in English, `中文（token）` in Chinese.
pub fn kind_name(lang: Lang, kind: &str) -> Cow<'_, str> {
    match (lang, NAMES_ZH.iter().find(|(k, _)| *k == kind)) {
        (Lang::Zh, Some((_, zh))) => Cow::Owned(format!("{zh}（{kind}）")),
        (Lang::Zh, None) => Cow::Owned(format!("握手消息（{kind}）")),
        (Lang::En, _) => Cow::Borrowed(kind),
    }
}

/// The ladder label of a `tls` event, after `TLS `.
pub fn summary(lang: Lang, t: &TlsMsg) -> String {
    if lang == Lang::En {
        return crate::output::text::tls_summary(t);
    }
    let mut s = kind_name(lang, t.kind).into_owned();
    if t.encrypted {
        s.push_str("（已解密）");
    }
    if !t.versions.is_empty() {
        let _ = write!(s, " 版本={}", t.versions.join(","));
    }
    if let Some(v) = t.version {
        let _ = write!(s, " {v}");
    }
    if let Some(c) = &t.cipher {
        let _ = write!(s, " {}", escape_for_terminal(c));
    }
    if let Some(n) = &t.sni {
        let _ = write!(s, " SNI={}", escape_for_terminal(n));
    }
    if !t.alpn.is_empty() {
        let _ = write!(s, " ALPN={}", escape_for_terminal(&t.alpn.join(",")));
    }
    if !t.ciphers.is_empty() {
        let _ = write!(s, "（{} 个密码套件）", t.ciphers.len());
    }
    if let Some(c) = t.certs.first() {
        let _ = write!(s, " 主体“{}”", escape_for_terminal(&c.subject));
    }
    if let Some(d) = &t.detail {
        let d = super::decoder_words::sentence(lang, d);
        let _ = write!(s, "：{}", escape_for_terminal(&d));
    }
    s
}

/// The ladder label of a `tls_session` event.
pub fn session_label(lang: Lang, t: &TlsSession) -> String {
    let how = match (lang, t.decrypted) {
        (Lang::En, true) => "decrypted",
        (Lang::En, false) => "encrypted, no keys",
        (Lang::Zh, true) => "已解密",
        (Lang::Zh, false) => "已加密，没有密钥",
    };
    let colon = if lang == Lang::Zh { "：" } else { ": " };
    format!(
        "TLS {} {}{colon}{how}",
        t.version,
        escape_for_terminal(&t.cipher)
    )
}

/// The detail pane's lines for a `tls_session` event: heading, what was negotiated, whether
/// the payload could be read.
pub fn session_lines(lang: Lang, t: &TlsSession) -> [String; 3] {
    let cipher = escape_for_terminal(&t.cipher);
    match lang {
        Lang::En => [
            "TLS session".into(),
            format!("{} with {cipher}", t.version),
            if t.decrypted {
                "decrypted with the key log: HTTP and WebSocket below are read from the plaintext"
                    .into()
            } else {
                "no keys: the payload stays encrypted (give --tls-keylog FILE or SSLKEYLOGFILE)"
                    .into()
            },
        ],
        Lang::Zh => [
            "TLS 会话".into(),
            format!("{}，密码套件 {cipher}", t.version),
            if t.decrypted {
                "已用密钥日志解密：下面的 HTTP 和 WebSocket 都是从明文读出的".into()
            } else {
                "没有密钥：载荷保持加密（用 --tls-keylog FILE 或 SSLKEYLOGFILE 提供密钥日志）"
                    .into()
            },
        ],
    }
}

/// The detail pane's heading of a `tls` event.
pub fn heading(lang: Lang, t: &TlsMsg) -> String {
    let dec = match (lang, t.encrypted) {
        (_, false) => "",
        (Lang::En, true) => " (decrypted)",
        (Lang::Zh, true) => "（已解密）",
    };
    format!("TLS {}{dec}", kind_name(lang, t.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_token_in_parentheses() {
        assert_eq!(
            kind_name(Lang::Zh, "client_hello"),
            "客户端问候（client_hello）"
        );
        assert_eq!(kind_name(Lang::En, "client_hello"), "client_hello");
        assert_eq!(
            kind_name(Lang::Zh, "something_new"),
            "握手消息（something_new）"
        );
        assert!(NAMES_ZH.windows(2).all(|w| w[0].0 < w[1].0), "keep sorted");
    }
}
