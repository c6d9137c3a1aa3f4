//! The decoders' own sentences in the reader's language: note texts, a failed upgrade's
//! problems, a TLS message's extra phrase.
//!
//! Decoders say what they found in one English sentence (they never print, and NDJSON keeps
//! that text as it is). The views show it in Chinese with `--lang zh`: each sentence the
//! decoders write has its English shape here, `{}` where a value goes, and its Chinese form,
//! `{0}`, `{1}`… taking the values in order. A sentence without a Chinese form here (a new
//! note, an error passed up from a library) is shown in English, after a Chinese heading.

use super::Lang;
use std::borrow::Cow;

/// English shape → Chinese form. Order matters only where one shape is a prefix of another
/// (the longer one first).
const ZH: &[(&str, &str)] = &[
    // WebSocket (src/ws)
    (
        "frames were recognised again at stream offset {}, {} byte(s) further; events are marked heuristic until a clean message boundary",
        "在流偏移 {0} 处重新识别出帧（跳过了 {1} 字节）；直到下一个干净的消息边界，事件都标为推测",
    ),
    (
        "the stream ended before frames could be recognised again",
        "流在重新识别出帧之前就结束了",
    ),
    (
        "{} bytes of this direction were not captured at stream offset {}; {}",
        "这个方向在流偏移 {1} 处有 {0} 字节没有被抓到；{2}",
    ),
    (
        "stream ended inside a {} frame: {} of {} payload bytes seen",
        "流在一个 {0} 帧的中间结束：载荷 {2} 字节只看到 {1} 字节",
    ),
    (
        "stream ended inside a frame header ({} byte(s) seen)",
        "流在帧头中间结束（只看到 {0} 字节）",
    ),
    (
        "stream ended inside a fragmented {} message ({} frame(s) seen, no final frame; RFC 6455 §5.4)",
        "流在一条分片的 {0} 消息中间结束（看到 {1} 帧，没有最后一帧；RFC 6455 §5.4）",
    ),
    (
        "frames recognised again at stream offset {} after skipping {} byte(s); events are marked heuristic until a clean message boundary",
        "跳过 {1} 字节后，在流偏移 {0} 处重新识别出帧；直到下一个干净的消息边界，事件都标为推测",
    ),
    (
        "a new {} message starts before the {} message in progress ({} frame(s)) is dropped",
        "上一条 {1} 消息还没结束（已有 {2} 帧），新的 {0} 消息就开始了：上一条被丢弃",
    ),
    (
        "continuation frame with no message in progress (RFC 6455 §5.4); its content is reported as an orphan continuation message",
        "没有正在进行的消息却来了延续帧（RFC 6455 §5.4）；其内容作为一条孤立的延续消息报告",
    ),
    (
        "{} frame sent after this endpoint's Close frame (RFC 6455 §5.5.1: no more data frames after Close)",
        "这一端发出 Close 帧之后又发送了 {0} 帧（RFC 6455 §5.5.1：Close 之后不能再发数据帧）",
    ),
    (
        "client-to-server frame is not masked (RFC 6455 §5.1: a client MUST mask every frame it sends)",
        "客户端发往服务器的帧没有掩码（RFC 6455 §5.1：客户端发送的每一帧都必须加掩码）",
    ),
    (
        "server-to-client frame is masked (RFC 6455 §5.1: a server MUST NOT mask the frames it sends)",
        "服务器发往客户端的帧加了掩码（RFC 6455 §5.1：服务器发送的帧绝不能加掩码）",
    ),
    (
        "the 64-bit payload length {} has its most significant bit set (RFC 6455 §5.2: it MUST be 0); the length is doubtful and the frame is followed as claimed",
        "64 位载荷长度 {0} 的最高位是 1（RFC 6455 §5.2：必须为 0）；长度可疑，仍按声明的长度跟踪这一帧",
    ),
    (
        "payload length {} written in {} extended bytes (RFC 6455 §5.2: the minimal number of bytes MUST be used to encode the length)",
        "载荷长度 {0} 用了 {1} 个扩展字节来写（RFC 6455 §5.2：必须用最少的字节数表示长度）",
    ),
    (
        "opcode 0x{} is reserved (RFC 6455 §5.2); the frame is reported as a message of its own",
        "操作码 0x{0} 是保留值（RFC 6455 §5.2）；这一帧单独作为一条消息报告",
    ),
    (
        "RSV2/RSV3 set, but no negotiated extension defines them (RFC 6455 §5.2)",
        "RSV2/RSV3 被置位，但协商好的扩展都没有定义它们（RFC 6455 §5.2）",
    ),
    (
        "RSV1 set, but no extension (permessage-deflate) was negotiated (RFC 6455 §5.2)",
        "RSV1 被置位，但没有协商任何扩展（permessage-deflate）（RFC 6455 §5.2）",
    ),
    (
        "RSV1 set on a {} frame: permessage-deflate allows it only on the first frame of a data message (RFC 7692 §6.1, RFC 6455 §5.2)",
        "{0} 帧上置了 RSV1：permessage-deflate 只允许在数据消息的第一帧上置位（RFC 7692 §6.1，RFC 6455 §5.2）",
    ),
    (
        "{} frame has FIN=0 (RFC 6455 §5.5: control frames MUST NOT be fragmented)",
        "{0} 帧的 FIN=0（RFC 6455 §5.5：控制帧绝不能分片）",
    ),
    (
        "{} frame carries {} payload bytes (RFC 6455 §5.5: control frames carry at most 125)",
        "{0} 帧带了 {1} 字节载荷（RFC 6455 §5.5：控制帧最多 125 字节）",
    ),
    (
        "cannot inflate a compressed {} message: {} (RFC 7692 §7.2.2)",
        "无法解压一条压缩的 {0} 消息：{1}（RFC 7692 §7.2.2）",
    ),
    (
        "a compressed message refers back {} bytes, beyond the {}-byte window its sender agreed to ({}={}): a peer keeping only that window cannot inflate it (RFC 7692 §{})",
        "一条压缩消息向前引用了 {0} 字节，超出了发送方同意的 {1} 字节窗口（{2}={3}）：只保留这么大窗口的对端无法解压它（RFC 7692 §{4}）",
    ),
    (
        "a compressed message inflates to more than {} bytes (limit inflate_per_message); inflating stopped for this message",
        "一条压缩消息解压后超过 {0} 字节（上限 inflate_per_message）；这条消息停止解压",
    ),
    (
        "message previews are cut (text at {} bytes, binary at {}); len and sha256 always cover the whole payload",
        "消息预览被截短（文本到 {0} 字节，二进制到 {1} 字节）；len 和 sha256 始终覆盖整个载荷",
    ),
    (
        "text message is not valid UTF-8 (RFC 6455 §8.1: fail the connection)",
        "文本消息不是合法的 UTF-8（RFC 6455 §8.1：应当断开连接）",
    ),
    (
        "close reason is not valid UTF-8 (RFC 6455 §5.5.1, §8.1)",
        "关闭原因不是合法的 UTF-8（RFC 6455 §5.5.1，§8.1）",
    ),
    (
        "close frame payload is 1 byte (RFC 6455 §5.5.1: a body, if any, starts with a 2-byte status code)",
        "Close 帧的载荷只有 1 字节（RFC 6455 §5.5.1：如果有内容，必须以 2 字节的状态码开头）",
    ),
    (
        "close code {} may not be sent on the wire (RFC 6455 §7.4.1, §7.4.2: valid are 1000-1003, 1007-1014 and 3000-4999)",
        "关闭码 {0} 不允许出现在网络上（RFC 6455 §7.4.1、§7.4.2：合法的是 1000-1003、1007-1014 和 3000-4999）",
    ),
    // HTTP and the upgrade (src/app/http_conn.rs)
    (
        "the server answered 101 to an upgrade that failed: the bytes that follow are decoded as WebSocket frames, though a conforming client must fail the connection without reading them (RFC 6455 §4.1)",
        "升级已经失败，服务器却回答了 101：后面的字节仍按 WebSocket 帧解码，但合规的客户端必须直接断开连接、不读取它们（RFC 6455 §4.1）",
    ),
    (
        "101 Switching Protocols to websocket answers a request that was captured but could not be decoded ({}: {}): the Accept cannot be checked",
        "101 Switching Protocols 回应的请求被抓到了却无法解码（{0}：{1}）：无法核对 Accept",
    ),
    (
        "101 Switching Protocols to websocket without a captured upgrade request: the Accept cannot be checked",
        "有 101 Switching Protocols，却没有抓到升级请求：无法核对 Accept",
    ),
    (
        "the connection switched to {}: not decoded further",
        "连接切换到了 {0}：不再继续解码",
    ),
    (
        "{} bytes of {} were not captured: HTTP decoding resumes at the next head",
        "{1}方向有 {0} 字节没有被抓到：HTTP 解码从下一个报文头继续",
    ),
    (
        "{} bytes sent after an upgrade request were never answered: not decoded",
        "升级请求之后发送的 {0} 字节始终没有得到回应：不解码",
    ),
    ("{} ended with an {}", "{0}方向在一个{1}中结束"),
    (
        "incomplete HTTP head ({} bytes)",
        "不完整的 HTTP 报文头（{0} 字节）",
    ),
    (
        "HTTP body incomplete: {} bytes missing",
        "不完整的 HTTP 报文体：缺少 {0} 字节",
    ),
    (
        "chunked HTTP body incomplete",
        "不完整的分块（chunked）HTTP 报文体",
    ),
    (
        "{}: the body's end is unknown, HTTP decoding of {} stops",
        "{0}：报文体在哪里结束无法得知，{1}方向的 HTTP 解码停止",
    ),
    (
        "client sent more than {} bytes before the upgrade was answered (limit stream_buffer): the rest is treated as lost",
        "升级得到回应之前，客户端发送了超过 {0} 字节（上限 stream_buffer）：其余的按丢失处理",
    ),
    (
        "Sec-WebSocket-Key {} is not the base64 encoding of 16 bytes (RFC 6455 §4.1: a randomly selected 16-byte value, base64-encoded; a server must refuse others, §4.2.1): this server accepted it anyway",
        "Sec-WebSocket-Key {0} 不是 16 字节的 base64 编码（RFC 6455 §4.1：随机选取的 16 字节值再做 base64；服务器必须拒绝其他值，§4.2.1）：这个服务器却接受了",
    ),
    (
        "Sec-WebSocket-Key {} is not the base64 encoding of 16 bytes (RFC 6455 §4.1: a randomly selected 16-byte value, base64-encoded; a server must refuse others, §4.2.1)",
        "Sec-WebSocket-Key {0} 不是 16 字节的 base64 编码（RFC 6455 §4.1：随机选取的 16 字节值再做 base64；服务器必须拒绝其他值，§4.2.1）",
    ),
    (
        "more than {} requests unanswered: later responses may be paired with the wrong request",
        "超过 {0} 个请求没有得到回应：后面的响应可能配错请求",
    ),
    (
        "WebSocket frames recognised without a captured handshake (the capture began mid-connection): no permessage-deflate parameters known",
        "没有抓到握手就识别出了 WebSocket 帧（抓包从连接中途开始）：permessage-deflate 参数未知",
    ),
    (
        "{} bytes are neither HTTP/1.x nor WebSocket: this connection is not decoded further",
        "{0}方向的字节既不是 HTTP/1.x 也不是 WebSocket：这个连接不再继续解码",
    ),
    // TLS (src/tls)
    (
        "{}: {} encrypted records, {} bytes (not decrypted)",
        "{0}方向：{1} 个加密记录，共 {2} 字节（未解密）",
    ),
    (
        "{}: {} encrypted records, {} bytes (decrypted)",
        "{0}方向：{1} 个加密记录，共 {2} 字节（已解密）",
    ),
    (
        "{} ({}): everything after the handshake's clear part is encrypted. No key log line matches this connection's ClientHello random: give a key log with --tls-keylog FILE or the SSLKEYLOGFILE variable (browsers, curl, Python and Node write one) to see inside",
        "{0}（{1}）：握手的明文部分之后全部加密。密钥日志里没有一行与这个连接 ClientHello 的随机数对应：用 --tls-keylog FILE 或 SSLKEYLOGFILE 环境变量给出密钥日志（浏览器、curl、Python 和 Node 都能写），才能看到里面的内容",
    ),
    (
        "TLS: encrypted records whose handshake was not captured: they cannot be decrypted",
        "TLS：这些加密记录的握手没有被抓到，无法解密",
    ),
    (
        "{} with {}, {}: wslens decrypts only AES-GCM and ChaCha20-Poly1305 suites; the payload stays encrypted",
        "{0}，密码套件 {1}，{2}：wslens 只能解密 AES-GCM 和 ChaCha20-Poly1305 套件；载荷保持加密",
    ),
    (
        "{}: the key log has lines for this connection but not the ones needed (TLS 1.3: CLIENT_/SERVER_TRAFFIC_SECRET_0; TLS 1.2: CLIENT_RANDOM)",
        "{0}：密钥日志里有这个连接的行，但缺少需要的那几行（TLS 1.3：CLIENT_/SERVER_TRAFFIC_SECRET_0；TLS 1.2：CLIENT_RANDOM）",
    ),
    (
        "{} bytes of {} were not captured: the TLS records in them are lost; looking for the next record boundary",
        "{1}方向有 {0} 字节没有被抓到：其中的 TLS 记录丢失；正在寻找下一个记录边界",
    ),
    (
        "{} ended inside a TLS record ({} bytes of it captured)",
        "{0}方向在一个 TLS 记录中间结束（只抓到其中 {1} 字节）",
    ),
    (
        "{}: a handshake message of {} bytes, more than {}: the rest of this direction's handshake is not read",
        "{0}方向：一条握手消息长 {1} 字节，超过 {2}：这个方向其余的握手不再读取",
    ),
    (
        "a {} TLS record of {} bytes failed authentication (its tag does not verify): the key log does not belong to this connection, or the capture is damaged. Nothing from it is passed on; decryption of {} stops",
        "一个 {1} 字节的 {0} TLS 记录认证失败（标签校验不通过）：密钥日志不属于这个连接，或者抓包已损坏。它的内容不向上传递；{2}方向的解密停止",
    ),
    (
        "{}: {}; TLS decoding of this direction stops",
        "{0}方向：{1}；这个方向的 TLS 解码停止",
    ),
    // TCP and the capture (src/tcp, src/decoder.rs)
    (
        "packet cut short by the capture's snap length: {} of {} payload bytes captured",
        "数据包被抓包的截断长度（snap length）截短：载荷 {1} 字节只抓到 {0} 字节",
    ),
    (
        "more than {} bytes or {} segments waiting for missing data: gave up on the hole",
        "等待缺失数据的字节超过 {0} 或报文段超过 {1} 个：放弃这个空洞",
    ),
    (
        "more than {} connections at once: stopped tracking connection {}, idle the longest",
        "同时存在超过 {0} 个连接：停止跟踪空闲最久的连接 {1}",
    ),
    (
        "a new SYN (initial sequence number {}) on the addresses of connection {}, which never ended (its was {}): connection {} is closed as incomplete and a new connection starts (port reuse)",
        "连接 {1} 还没结束，它的地址上又来了新的 SYN（初始序号 {0}，原来的是 {2}）：连接 {3} 作为不完整连接关闭，新连接开始（端口重用）",
    ),
    (
        "{}: bytes from stream offset {} were seen twice with different contents (a retransmission or overlap that disagrees: corruption, or an attempt to make a monitor see other bytes than the receiver); the copy delivered first is the one decoded (docs/tcp.md)",
        "{0}方向：从流偏移 {1} 起的字节出现了两次且内容不同（重传或重叠的数据不一致：数据损坏，或者有人想让监视者看到与接收方不同的字节）；解码的是先到的那一份（docs/tcp.md）",
    ),
    (
        "the open connections' decoding state reached the memory budget of {}: stopped decoding connection {}, idle the longest (its packets are still listed); raise the budget with `wslens decode --memory-budget SIZE` (e.g. 1G)",
        "打开的连接的解码状态达到了内存预算 {0}：停止解码空闲最久的连接 {1}（它的数据包仍然列出）；可用 `wslens decode --memory-budget SIZE`（例如 1G）提高预算",
    ),
    (
        "timestamps go backwards here (packets are decoded in file order)",
        "时间戳在这里倒退了（数据包按文件中的顺序解码）",
    ),
    (
        "IP protocol {} is not TCP or UDP",
        "IP 协议 {0} 不是 TCP 也不是 UDP",
    ),
    ("packet skipped: {}", "跳过数据包：{0}"),
    ("{} packets skipped in all: {}", "共跳过 {0} 个数据包：{1}"),
    // Above WebSocket (src/appproto)
    ("polling body not decoded: {}", "轮询报文体没有解码：{0}"),
    (
        "Engine.IO polling body not decoded: {}",
        "Engine.IO 轮询报文体没有解码：{0}",
    ),
    ("not an Engine.IO packet: {}", "不是 Engine.IO 数据包：{0}"),
    // A failed upgrade's problems (src/http/upgrade.rs)
    ("request method is {}, not GET", "请求方法是 {0}，不是 GET"),
    (
        "request is HTTP/1.0, the upgrade needs HTTP/1.1",
        "请求是 HTTP/1.0，升级需要 HTTP/1.1",
    ),
    (
        "request has no Upgrade: websocket",
        "请求里没有 Upgrade: websocket",
    ),
    (
        "request's Connection header lacks Upgrade",
        "请求的 Connection 头里没有 Upgrade",
    ),
    (
        "request has no Sec-WebSocket-Key",
        "请求里没有 Sec-WebSocket-Key",
    ),
    (
        "Sec-WebSocket-Version is {}, not 13",
        "Sec-WebSocket-Version 是 {0}，不是 13",
    ),
    (
        "request has no Sec-WebSocket-Version",
        "请求里没有 Sec-WebSocket-Version",
    ),
    (
        "bad permessage-deflate response: {}",
        "permessage-deflate 的回应有误：{0}",
    ),
    (
        "server answered {}, not 101",
        "服务器回答的是 {0}，不是 101",
    ),
    (
        "response has no Upgrade: websocket",
        "响应里没有 Upgrade: websocket",
    ),
    (
        "response's Connection header lacks Upgrade",
        "响应的 Connection 头里没有 Upgrade",
    ),
    (
        "response has no Sec-WebSocket-Accept",
        "响应里没有 Sec-WebSocket-Accept",
    ),
    (
        "Sec-WebSocket-Accept does not match the key",
        "Sec-WebSocket-Accept 与密钥（key）对不上",
    ),
    // TLS messages' extra phrase (TlsMsg::detail, src/tls)
    ("the server acknowledged the SNI", "服务器确认了 SNI"),
    (
        "a session ticket valid for {} s (for resumption)",
        "会话票据，有效期 {0} 秒（用于会话恢复）",
    ),
    (
        "the server's ECDHE key share, signed",
        "服务器的 ECDHE 密钥份额，带签名",
    ),
    (
        "new keys from here; the peer is asked to update too",
        "从这里起换用新密钥；并要求对方也更新",
    ),
    ("new keys from here", "从这里起换用新密钥"),
    (
        "a ClientHello that could not be parsed",
        "无法解析的 ClientHello",
    ),
    (
        "a ServerHello that could not be parsed",
        "无法解析的 ServerHello",
    ),
    (
        "the server asks the client to try again with another key share",
        "服务器要求客户端换一个密钥份额重试",
    ),
    (
        "a compatibility no-op in TLS 1.3 (RFC 8446 D.4)",
        "TLS 1.3 里只为兼容而发、没有作用（RFC 8446 D.4）",
    ),
    ("{} (fatal)", "致命（{0}）"),
    // TLS field values (src/tls/fields.rs)
    ("{} bytes of {}", "{0} 字节，内容类型（{1}）"),
    ("32 bytes", "32 字节"),
    (
        "a ticket or pre-shared key is offered",
        "提供了会话票据或预共享密钥",
    ),
    (
        "{}; issuer {}; valid {} to {}; {} bytes",
        "主体“{0}”；签发者“{1}”；有效期 {2} 至 {3}；{4} 字节",
    ),
    ("{} (warning)", "警告（{0}）"),
];

/// What a header field's value says in parentheses after its number (`1 (final frame of the
/// message)`), in Chinese.
const VALUE_NOTES_ZH: &[(&str, &str)] = &[
    ("set", "已置位"),
    ("unverified", "未校验"),
    ("final frame of the message", "消息的最后一帧"),
    ("more frames follow", "后面还有帧"),
    ("masked", "已加掩码"),
    ("not masked", "未加掩码"),
    ("16-bit extended length follows", "后跟 16 位扩展长度"),
    ("64-bit extended length follows", "后跟 64 位扩展长度"),
];

/// A protocol field's value as the detail pane shows it: the number stays, what the decoder
/// says about it is in the reader's language. `name` is the field's stable name
/// (`ws.fin`, `tls.cert`).
pub fn field_value<'a>(lang: Lang, name: &str, v: &'a str) -> Cow<'a, str> {
    if lang == Lang::En {
        return Cow::Borrowed(v);
    }
    if let Some(open) = v.rfind(" (")
        && let Some(inner) = v[open + 2..].strip_suffix(')')
        && let Some((_, zh)) = VALUE_NOTES_ZH.iter().find(|(e, _)| *e == inner)
    {
        return Cow::Owned(format!("{}（{zh}）", &v[..open]));
    }
    if name == "tls.handshake" {
        return Cow::Owned(super::tls_words::kind_name(lang, v).into_owned());
    }
    if name.starts_with("tls.") {
        return sentence(lang, v);
    }
    Cow::Borrowed(v)
}

/// Captured values that are the decoders' own English words, in Chinese.
const VALUES_ZH: &[(&str, &str)] = &[
    ("c2s", "客户端→服务器"),
    ("s2c", "服务器→客户端"),
    ("text", "文本"),
    ("binary", "二进制"),
    ("continuation", "延续"),
    ("close", "Close"),
    ("ping", "Ping"),
    ("pong", "Pong"),
    ("a tunnel", "隧道"),
];

/// Appended by the WebSocket decoder to the last note of a kind it shows.
const FURTHER_EN: &str = " (further notes of this kind in this direction are not shown)";
const FURTHER_ZH: &str = "（这个方向同类的提示不再显示）";

/// A decoder's sentence (a note's text, an upgrade problem, a TLS message's phrase) in `lang`.
/// The text is returned as the decoder wrote it (not yet escaped for the terminal).
pub fn sentence(lang: Lang, en: &str) -> Cow<'_, str> {
    if lang == Lang::En {
        return Cow::Borrowed(en);
    }
    let (body, further) = match en.strip_suffix(FURTHER_EN) {
        Some(b) => (b, FURTHER_ZH),
        None => (en, ""),
    };
    for (shape, zh) in ZH {
        if let Some(values) = matches(shape, body) {
            let values: Vec<String> = values.iter().map(|v| value_zh(v)).collect();
            return Cow::Owned(format!("{}{further}", fill(zh, &values)));
        }
    }
    Cow::Borrowed(en)
}

fn value_zh(v: &str) -> String {
    if let Some((_, z)) = VALUES_ZH.iter().find(|(e, _)| *e == v) {
        return (*z).to_string();
    }
    // A value may be a sentence of its own (what follows a gap, what a stream ended in).
    sentence(Lang::Zh, v).into_owned()
}

/// The values in `s` where `shape` has `{}`, when `s` has that shape.
fn matches<'a>(shape: &str, s: &'a str) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = shape.split("{}").collect();
    let mut rest = s.strip_prefix(parts[0])?;
    let mut values = Vec::new();
    for (i, lit) in parts.iter().enumerate().skip(1) {
        let last = i == parts.len() - 1;
        let at = if last {
            // The final literal closes the sentence.
            rest.len()
                .checked_sub(lit.len())
                .filter(|&a| rest[a..] == **lit && rest.is_char_boundary(a))?
        } else if lit.is_empty() {
            return None;
        } else {
            rest.find(lit)?
        };
        values.push(&rest[..at]);
        rest = &rest[at + lit.len()..];
    }
    (rest.is_empty()).then_some(values)
}

fn fill(tpl: &str, values: &[String]) -> String {
    let mut out = tpl.to_string();
    for (i, v) in values.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_take_their_values_in_order() {
        assert_eq!(
            sentence(
                Lang::Zh,
                "c2s: 8 encrypted records, 2710 bytes (not decrypted)"
            ),
            "客户端→服务器方向：8 个加密记录，共 2710 字节（未解密）"
        );
        assert_eq!(
            sentence(Lang::Zh, "server answered 403 Forbidden, not 101"),
            "服务器回答的是 403 Forbidden，不是 101"
        );
        assert_eq!(
            sentence(
                Lang::Zh,
                "a session ticket valid for 7200 s (for resumption)"
            ),
            "会话票据，有效期 7200 秒（用于会话恢复）"
        );
        assert_eq!(
            sentence(
                Lang::Zh,
                "a compressed message refers back 1000 bytes, beyond the 512-byte window its \
                 sender agreed to (server_max_window_bits=9): a peer keeping only that window \
                 cannot inflate it (RFC 7692 §7.1.2.1)"
            ),
            "一条压缩消息向前引用了 1000 字节，超出了发送方同意的 512 字节窗口\
             （server_max_window_bits=9）：只保留这么大窗口的对端无法解压它（RFC 7692 §7.1.2.1）"
        );
        let capped = format!(
            "text message is not valid UTF-8 (RFC 6455 §8.1: fail the connection){FURTHER_EN}"
        );
        assert!(sentence(Lang::Zh, &capped).ends_with(FURTHER_ZH));
        // English stays English; an unknown sentence is shown as written.
        assert_eq!(
            sentence(Lang::En, "new keys from here"),
            "new keys from here"
        );
        assert_eq!(sentence(Lang::Zh, "something new"), "something new");
    }

    #[test]
    fn every_shape_is_unique_and_every_chinese_form_uses_its_values() {
        for (i, (shape, zh)) in ZH.iter().enumerate() {
            let n = shape.matches("{}").count();
            for k in 0..n {
                assert!(zh.contains(&format!("{{{k}}}")), "{shape}: {{{k}}} unused");
            }
            assert!(
                !zh.contains(&format!("{{{n}}}")),
                "{shape}: too many values"
            );
            assert!(ZH[..i].iter().all(|(s, _)| s != shape), "{shape} twice");
        }
    }
}
