//! Narration of the TLS layer (wss://), English and Chinese side by side: the handshake in
//! clear, what an eavesdropper learns without keys, what a key log reveals, the default ports
//! of the seed tutorial (ws:// 80, wss:// 443) and why masking is not encryption.
//!
//! Kept apart from the main catalogue so the TLS sentences stay together; captured strings are
//! escaped and cut like everywhere else in narration.

use super::catalog::Lang;
use crate::event::{Dir, TlsMsg, TlsSession};
use crate::text::escape_for_terminal;

fn pick(lang: Lang, en: String, zh: String) -> String {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

fn who(lang: Lang, d: Dir) -> &'static str {
    match (lang, d) {
        (Lang::En, Dir::C2S) => "The client",
        (Lang::En, Dir::S2C) => "The server",
        (Lang::Zh, Dir::C2S) => "客户端",
        (Lang::Zh, Dir::S2C) => "服务器",
    }
}

fn shown(s: &str) -> String {
    let e = escape_for_terminal(s);
    if e.chars().count() <= 80 {
        return e.into_owned();
    }
    let mut cut: String = e.chars().take(80).collect();
    cut.push('…');
    cut
}

/// Sentences for one `tls` event.
pub fn tls_msg(t: &TlsMsg, lang: Lang) -> Vec<String> {
    let w = who(lang, t.dir);
    let mut out = Vec::new();
    match t.kind {
        "client_hello" => {
            let sni_en = t
                .sni
                .as_deref()
                .map(|s| format!(", for the server name (SNI) \"{}\"", shown(s)))
                .unwrap_or_else(|| ", with no server name (SNI): the URL names an IP address".into());
            let sni_zh = t
                .sni
                .as_deref()
                .map(|s| format!("，服务器名（SNI）为 \"{}\"", shown(s)))
                .unwrap_or_else(|| "，没有服务器名（SNI）：URL 里写的是 IP 地址".into());
            let alpn = shown(&t.alpn.join(", "));
            out.push(pick(
                lang,
                format!(
                    "The client starts TLS: its ClientHello offers {} and {} cipher suites{sni_en}{}. This is wss:// — the same WebSocket, inside TLS.",
                    t.versions.join(" / "),
                    t.ciphers.len(),
                    if alpn.is_empty() { String::new() } else { format!(", application protocols {alpn}") }
                ),
                format!(
                    "客户端开始 TLS 握手：ClientHello 提供 {} 和 {} 个密码套件{sni_zh}{}。这就是 wss://——同样的 WebSocket，套在 TLS 里。",
                    t.versions.join(" / "),
                    t.ciphers.len(),
                    if alpn.is_empty() { String::new() } else { format!("，应用协议 {alpn}") }
                ),
            ));
            out.push(pick(
                lang,
                "The ClientHello travels in clear: anyone on the path reads the server name, the offered versions and ciphers.".into(),
                "ClientHello 是明文传输的：路径上的任何人都能读到服务器名、所提供的版本和密码套件。".into(),
            ));
        }
        "server_hello" => {
            let v = t.version.unwrap_or("?");
            let c = shown(t.cipher.as_deref().unwrap_or("?"));
            out.push(pick(
                lang,
                format!("The server chooses {v} with {c}."),
                format!("服务器选定 {v} 和密码套件 {c}。"),
            ));
            if v == "TLS1.3" {
                out.push(pick(
                    lang,
                    "In TLS 1.3 everything after this message is encrypted, even the server's certificate.".into(),
                    "在 TLS 1.3 中，这条消息之后的一切都是加密的，连服务器证书也是。".into(),
                ));
            }
        }
        "hello_retry_request" => out.push(pick(
            lang,
            "The server asks the client to start over with a key share it supports (HelloRetryRequest).".into(),
            "服务器要求客户端换一个它支持的密钥交换组重来（HelloRetryRequest）。".into(),
        )),
        "certificate" => {
            let c = t.certs.first();
            let subj = c.map(|c| shown(&c.subject)).unwrap_or_default();
            let iss = c.map(|c| shown(&c.issuer)).unwrap_or_default();
            let until = c.map(|c| shown(&c.not_after)).unwrap_or_default();
            let (how_en, how_zh) = if t.encrypted {
                ("encrypted on the wire, read here with the key log", "线路上是加密的，这里用密钥日志解开")
            } else {
                ("in clear (TLS 1.2): any observer reads it", "明文（TLS 1.2）：任何观察者都能读到")
            };
            out.push(pick(
                lang,
                format!("{w} sends its certificate chain ({} certificates, {how_en}): subject {subj}, issued by {iss}, valid until {until}.", t.certs.len()),
                format!("{w}发送证书链（{} 张证书，{how_zh}）：主体“{subj}”，签发者“{iss}”，有效期至 {until}。", t.certs.len()),
            ));
        }
        "encrypted_extensions" => out.push(pick(
            lang,
            format!(
                "The server's EncryptedExtensions (decrypted){}.",
                if t.alpn.is_empty() { String::new() } else { format!(": the application protocol is {}", shown(&t.alpn.join(","))) }
            ),
            format!(
                "服务器的 EncryptedExtensions（已解密）{}。",
                if t.alpn.is_empty() { String::new() } else { format!("：应用协议为 {}", shown(&t.alpn.join(","))) }
            ),
        )),
        "finished" => out.push(pick(
            lang,
            format!("{w}'s Finished proves it saw the same handshake; its application data is protected by the traffic keys from here."),
            format!("{w}的 Finished 证明双方看到的是同一次握手；此后它的应用数据由流量密钥保护。"),
        )),
        "new_session_ticket" => out.push(pick(
            lang,
            "The server hands out a session ticket, so a later connection can resume without a full handshake.".into(),
            "服务器发放会话票据（session ticket），以后的连接可以不做完整握手而恢复会话。".into(),
        )),
        "key_update" => out.push(pick(
            lang,
            format!("{w} switches to fresh keys (KeyUpdate); the key log's secret is advanced the same way."),
            format!("{w}换用新的密钥（KeyUpdate）；密钥日志中的秘密也按同样方式推进。"),
        )),
        "change_cipher_spec" => out.push(if t.detail.is_some() {
            pick(
                lang,
                format!("{w} sends a ChangeCipherSpec that means nothing in TLS 1.3 (kept for old middleboxes)."),
                format!("{w}发送的 ChangeCipherSpec 在 TLS 1.3 中没有意义（只为兼容旧的中间设备）。"),
            )
        } else {
            pick(
                lang,
                format!("{w} says ChangeCipherSpec: its records are encrypted from here."),
                format!("{w}发送 ChangeCipherSpec：此后它的记录都是加密的。"),
            )
        }),
        "alert" => {
            let d = shown(&super::decoder_words::sentence(lang, t.detail.as_deref().unwrap_or("?")));
            out.push(pick(
                lang,
                format!("{w} sends a TLS alert: {d}."),
                format!("{w}发出 TLS 告警：{d}。"),
            ));
        }
        other => out.push(pick(
            lang,
            format!("{w} sends the TLS handshake message {other}."),
            format!("{w}发送 TLS 握手消息{}。", super::tls_words::kind_name(lang, other)),
        )),
    }
    out
}

/// Sentences for a `tls_session` event: the lesson of wss://.
pub fn tls_session(t: &TlsSession, lang: Lang) -> Vec<String> {
    let ports = pick(
        lang,
        "ws:// uses port 80 by default, wss:// port 443: the same WebSocket protocol, wrapped in TLS.".into(),
        "WebSocket 默认请求协议为 ws://，默认端口 80；对 TLS 加密的请求协议为 wss://，默认端口 443：同一个 WebSocket 协议，外面包了一层 TLS。".into(),
    );
    let masking = pick(
        lang,
        "The client still masks its frames inside TLS: masking protects proxies from crafted bytes, it is not encryption — the key travels in each frame's header. TLS is what hides the content.".into(),
        "在 TLS 里客户端仍然给帧加掩码：掩码是为了保护代理不被构造的字节欺骗，并不是加密——掩码密钥就写在每个帧头里。真正隐藏内容的是 TLS。".into(),
    );
    if t.decrypted {
        vec![
            pick(
                lang,
                format!(
                    "Decrypted with the key log ({} {}): what follows is the same HTTP Upgrade and WebSocket frames as ws://.",
                    t.version,
                    shown(&t.cipher)
                ),
                format!(
                    "已用密钥日志解密（{} {}）：接下来是与 ws:// 完全相同的 HTTP Upgrade 和 WebSocket 帧。",
                    t.version,
                    shown(&t.cipher)
                ),
            ),
            ports,
            masking,
        ]
    } else {
        vec![
            pick(
                lang,
                format!(
                    "Encrypted ({} {}) and no keys: a passive observer learns only the server name (SNI), the sizes and the timing of the records — not the URL, the headers or the messages. Give a key log (--tls-keylog FILE or SSLKEYLOGFILE) to see inside.",
                    t.version,
                    shown(&t.cipher)
                ),
                format!(
                    "已加密（{} {}）且没有密钥：被动观察者只能知道服务器名（SNI）、记录的大小和时间——看不到 URL、头部和消息。提供密钥日志（--tls-keylog FILE 或 SSLKEYLOGFILE）才能看到里面。",
                    t.version,
                    shown(&t.cipher)
                ),
            ),
            ports,
            masking,
        ]
    }
}
