//! The application layer's one-line labels (ladder rows, detail headings, the narration of
//! kinds without a sentence of their own) in the reader's language. English is
//! `output::app::label`; Chinese says what happens in Chinese and keeps the protocol's own
//! packet kind in parentheses (`发布（publish） wslens/q1 QoS 1 #3`).

use super::Lang;
use crate::event::{AppMessage, AppProto, AppTransport};
use crate::output::app::millis;
use crate::text::escape_for_terminal;
use std::borrow::Cow;
use std::fmt::Write;

/// Chinese words for the protocols' packet kinds (Engine.IO, Socket.IO, MQTT, STOMP,
/// GraphQL over WebSocket, JSON-RPC), by the decoders' lower-case kind.
const KINDS_ZH: &[(&str, &str)] = &[
    ("abort", "中止事务"),
    ("ack", "确认"),
    ("auth", "认证"),
    ("begin", "开始事务"),
    ("binary_ack", "二进制确认"),
    ("binary_event", "二进制事件"),
    ("close", "关闭"),
    ("commit", "提交事务"),
    ("complete", "完成"),
    ("connack", "连接确认"),
    ("connect", "连接"),
    ("connect_error", "连接被拒"),
    ("connected", "已连接"),
    ("connection_ack", "连接确认"),
    ("connection_error", "连接错误"),
    ("connection_init", "连接初始化"),
    ("connection_terminate", "终止连接"),
    ("data", "数据"),
    ("disconnect", "断开"),
    ("error", "错误"),
    ("event", "事件"),
    ("ka", "保活"),
    ("message", "消息"),
    ("nack", "否认"),
    ("next", "数据"),
    ("noop", "空包"),
    ("notification", "通知"),
    ("open", "打开会话"),
    ("ping", "心跳"),
    ("pingreq", "心跳请求"),
    ("pingresp", "心跳回应"),
    ("pong", "心跳回应"),
    ("puback", "发布确认"),
    ("pubcomp", "发布完成"),
    ("publish", "发布"),
    ("pubrec", "发布已收到"),
    ("pubrel", "发布释放"),
    ("receipt", "回执"),
    ("request", "请求"),
    ("response", "响应"),
    ("send", "发送"),
    ("start", "开始"),
    ("stomp", "连接"),
    ("stop", "停止"),
    ("suback", "订阅确认"),
    ("subscribe", "订阅"),
    ("unsuback", "取消订阅确认"),
    ("unsubscribe", "取消订阅"),
    ("upgrade", "升级"),
];

/// A packet kind as the detail pane's "type" line shows it.
pub fn kind(lang: Lang, kind: &str) -> Cow<'_, str> {
    match lang {
        Lang::En => Cow::Borrowed(kind),
        Lang::Zh => match KINDS_ZH.binary_search_by(|(k, _)| k.cmp(&kind)) {
            Ok(i) => Cow::Owned(format!("{}（{kind}）", KINDS_ZH[i].1)),
            Err(_) => Cow::Owned(format!("（{kind}）")),
        },
    }
}

/// A protocol's name as a reader writes it: the NDJSON's lower-case name in English, the
/// specifications' spelling in Chinese (`Socket.IO`, `MQTT`).
pub fn proto_name(lang: Lang, p: AppProto) -> &'static str {
    match (lang, p) {
        (Lang::En, p) => p.as_str(),
        (Lang::Zh, AppProto::EngineIo) => "Engine.IO",
        (Lang::Zh, AppProto::SocketIo) => "Socket.IO",
        (Lang::Zh, AppProto::Mqtt) => "MQTT",
        (Lang::Zh, AppProto::Stomp) => "STOMP",
        (Lang::Zh, AppProto::GraphqlWs) => "GraphQL",
        (Lang::Zh, AppProto::JsonRpc) => "JSON-RPC",
    }
}

/// How an Engine.IO packet travelled.
pub fn transport(lang: Lang, t: AppTransport) -> &'static str {
    match (lang, t) {
        (Lang::En, t) => t.as_str(),
        (Lang::Zh, AppTransport::Polling) => "长轮询（polling）",
        (Lang::Zh, AppTransport::WebSocket) => "WebSocket",
    }
}

/// The one-line label of an `app` event.
/// A GraphQL operation as the Chinese screen names it: its type (`query Greet` → `查询 Greet`),
/// the operation's own name as the peers wrote it.
pub(crate) fn graphql_operation(name: &str) -> String {
    for (en, zh) in [
        ("query", "查询"),
        ("mutation", "变更"),
        ("subscription", "订阅"),
    ] {
        if let Some(rest) = name.strip_prefix(en)
            && (rest.is_empty() || rest.starts_with(' '))
        {
            return format!("{zh}{rest}");
        }
    }
    name.to_string()
}

pub fn label(lang: Lang, a: &AppMessage) -> String {
    if lang == Lang::En {
        return crate::output::app::label(a);
    }
    let mut s = String::new();
    let rtt = |s: &mut String| {
        if let Some(r) = &a.reply {
            let _ = write!(s, "（{}）", millis(r.rtt_ns));
        }
    };
    match (a.proto, a.kind) {
        (AppProto::SocketIo, "event") => {
            s.push_str("发送事件");
            if let Some(n) = &a.name {
                let _ = write!(s, " \"{}\"", escape_for_terminal(n));
            }
            if let Some(id) = &a.id {
                let _ = write!(s, " #{}", escape_for_terminal(id));
            }
            if !a.attachments.is_empty() {
                let _ = write!(s, " +{} 个二进制附件", a.attachments.len());
            }
        }
        (AppProto::JsonRpc, k) => {
            s.push_str(match k {
                "request" => "调用",
                "notification" => "通知",
                "response" => "结果",
                "error" => "错误",
                _ => "",
            });
            if s.is_empty() {
                s.push_str(&kind(lang, k));
            }
            // The method is the peers' own name: in quotes, apart from the Chinese words.
            if let Some(n) = &a.name {
                let _ = write!(s, " “{}”", escape_for_terminal(n));
            }
            if let Some(id) = &a.id {
                let _ = write!(s, " #{}", escape_for_terminal(id));
            }
            rtt(&mut s);
        }
        (_, k) => {
            if a.field("probe").is_some() {
                s.push_str("探测");
            }
            s.push_str(&kind(lang, k));
            if let Some(n) = &a.name {
                let n = escape_for_terminal(n);
                let _ = match a.proto {
                    AppProto::GraphqlWs => write!(s, " {}", graphql_operation(&n)),
                    _ => write!(s, " {n}"),
                };
            }
            if let Some(q) = a.field("qos").filter(|q| *q != "0") {
                let _ = write!(s, " QoS {q}");
            }
            if matches!(a.proto, AppProto::Mqtt | AppProto::SocketIo)
                && let Some(id) = &a.id
            {
                let _ = write!(s, " #{}", escape_for_terminal(id));
            }
            rtt(&mut s);
        }
    }
    if let Some(n) = a.nsp.as_deref().filter(|n| *n != "/") {
        let _ = write!(s, " {}", escape_for_terminal(n));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_sorted_and_keep_their_token() {
        assert!(KINDS_ZH.windows(2).all(|w| w[0].0 < w[1].0), "keep sorted");
        assert_eq!(kind(Lang::Zh, "publish"), "发布（publish）");
        assert_eq!(kind(Lang::Zh, "brand_new"), "（brand_new）");
        assert_eq!(kind(Lang::En, "publish"), "publish");
    }
}
