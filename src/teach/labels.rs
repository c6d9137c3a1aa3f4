//! Field labels of the protocol trees (the detail pane) in the reader's language. The trees are
//! built once, in English, by the decoders that know the layouts; the views ask here for the
//! label to show. In Chinese the protocol's English name follows in parentheses, as textbooks
//! print it, so a student can match it with Wireshark and the RFCs.
//!
//! Names that are protocol tokens (flag bits, header names, FIN, MASK, RSV1) are the same in
//! every language and are shown as they are.

use super::catalog::Lang;
use std::borrow::Cow;

/// Chinese for each English label that is not a protocol token.
const ZH: &[(&str, &str)] = &[
    ("Acknowledgment number (raw)", "确认号（原始值）"),
    ("Address length", "地址长度"),
    ("Certificate", "证书"),
    ("Checksum", "校验和"),
    ("Cipher suite chosen", "选定的密码套件"),
    ("Cipher suite offered", "提供的密码套件"),
    ("Content type", "内容类型"),
    ("Destination MAC", "目的 MAC 地址"),
    ("Destination address", "目的地址"),
    ("Destination port", "目的端口"),
    ("Differentiated services", "区分服务"),
    ("End of head", "头部结束"),
    ("EtherType", "以太网类型"),
    ("Ethernet II", "以太网 II"),
    ("Extended payload length", "扩展载荷长度"),
    ("Extension header", "扩展首部"),
    ("Flags", "标志位"),
    ("Flags / fragment offset", "标志 / 片偏移"),
    ("Flow label", "流标签"),
    ("Handshake message", "握手消息"),
    (
        "Handshake message (decrypted from the record)",
        "握手消息（从记录中解密）",
    ),
    ("Handshake type", "握手类型"),
    ("Header", "首部行"),
    ("Header checksum", "首部校验和"),
    ("Header length", "首部长度"),
    ("Hop limit", "跳数限制"),
    ("Identification", "标识"),
    ("Interface index", "接口编号"),
    ("Internet Protocol version 4", "网际协议第 4 版"),
    ("Internet Protocol version 6", "网际协议第 6 版"),
    ("Key share groups", "密钥交换组"),
    ("Legacy version", "旧版本号"),
    ("Length", "长度"),
    ("Link-layer address type", "链路层地址类型"),
    ("Linux cooked capture (SLL)", "Linux 抓包伪首部"),
    ("Linux cooked capture v2 (SLL2)", "Linux 抓包伪首部第 2 版"),
    ("Loopback: address family", "环回：地址族"),
    ("Masking key", "掩码密钥"),
    ("Meaning", "含义"),
    ("Method", "方法"),
    ("Name", "名称"),
    ("Next header", "下一个首部"),
    ("Opcode", "操作码"),
    ("Options", "选项"),
    ("Packet type", "数据包类型"),
    ("Payload length", "载荷长度"),
    ("Protocol", "协议"),
    ("Random", "随机数"),
    ("Reason phrase", "原因短语"),
    ("Request line", "请求行"),
    ("Request target", "请求目标"),
    ("Resumption", "会话恢复"),
    ("Sequence number (raw)", "序号（原始值）"),
    ("Server name (SNI)", "服务器名（SNI）"),
    ("Source MAC", "源 MAC 地址"),
    ("Source address", "源地址"),
    ("Source port", "源端口"),
    ("Status code", "状态码"),
    ("Status line", "状态行"),
    ("Supported versions", "支持的版本"),
    ("TCP (truncated)", "TCP（被截断）"),
    ("TCP payload", "TCP 载荷"),
    ("TLS record", "TLS 记录"),
    ("Time to live", "生存时间"),
    ("Total length", "总长度"),
    ("Traffic class", "流量类别"),
    ("Transmission Control Protocol", "传输控制协议"),
    ("Urgent pointer", "紧急指针"),
    ("User Datagram Protocol", "用户数据报协议"),
    ("VLAN ID", "VLAN 标识"),
    ("Value", "值"),
    ("Version", "版本"),
    ("Version chosen", "选定的版本"),
    ("Window", "窗口"),
];

/// TCP analysis findings (Wireshark's `tcp.analysis.*` names) in the reader's language, the
/// Wireshark name kept in parentheses so it can be looked up.
pub fn analysis(lang: Lang, name: &'static str) -> Cow<'static, str> {
    let zh = match name {
        "retransmission" => "重传",
        "spurious-retransmission" => "虚假重传",
        "out-of-order" => "乱序",
        "duplicate-ack" => "重复确认",
        "zero-window" => "零窗口",
        "zero-window-probe" => "零窗口探测",
        "window-full" => "窗口已满",
        "window-update" => "窗口更新",
        "keep-alive" => "保活",
        "keep-alive-ack" => "保活确认",
        "previous-segment-not-captured" => "前一报文段未抓到",
        "acked-unseen-segment" => "确认了未抓到的报文段",
        _ => return Cow::Borrowed(name),
    };
    match lang {
        Lang::En => Cow::Borrowed(name),
        Lang::Zh => Cow::Owned(format!("{zh}（{name}）")),
    }
}

/// How a connection ended (`conn_close`'s `how`) in the reader's language.
pub fn close_how(lang: Lang, how: crate::event::CloseHow) -> &'static str {
    use crate::event::CloseHow::*;
    match (lang, how) {
        (Lang::En, h) => h.as_str(),
        (Lang::Zh, Fin) => "双方都发送了 FIN",
        (Lang::Zh, Rst) => "被 RST 复位",
        (Lang::Zh, Refused) => "连接被拒绝",
        (Lang::Zh, Incomplete) => "抓包结束时尚未关闭",
    }
}

/// Is `label` a protocol token, the same in every language (flag bits, header names, …)?
fn is_token(label: &str) -> bool {
    // Upper-case words (SYN, FIN, RSV1, MASK) and header names (Sec-WebSocket-Key, Host).
    label
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        || (!label.contains(' ') && label.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
}

/// The label to show for a field labelled `en` in the decoders' English.
pub fn label(lang: Lang, en: &'static str) -> Cow<'static, str> {
    match lang {
        Lang::En => Cow::Borrowed(en),
        Lang::Zh => match ZH.binary_search_by(|(k, _)| k.cmp(&en)) {
            Ok(i) => Cow::Owned(format!("{}（{en}）", ZH[i].1)),
            Err(_) => Cow::Borrowed(en),
        },
    }
}

/// Whether `label(Zh, en)` says something in Chinese (or needs not: a protocol token).
pub fn translated(en: &str) -> bool {
    is_token(en) || ZH.binary_search_by(|(k, _)| k.cmp(&en)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        assert!(ZH.windows(2).all(|w| w[0].0 < w[1].0), "keep ZH sorted");
    }

    #[test]
    fn chinese_labels_keep_the_english_name() {
        assert_eq!(label(Lang::Zh, "Source port"), "源端口（Source port）");
        assert_eq!(label(Lang::En, "Source port"), "Source port");
        assert_eq!(label(Lang::Zh, "SYN"), "SYN");
        assert!(translated("Sec-WebSocket-Key") && translated("RSV1") && !translated("Foo bar"));
    }
}
