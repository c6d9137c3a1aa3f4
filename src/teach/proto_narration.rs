//! Narration of GraphQL over WebSocket and MQTT `app` events: what each message asks or
//! answers, the operation or QoS flow it belongs to, and the time since its request.

use super::catalog::{self, Lang, Msg};
use crate::event::{AppMessage, Dir};
use crate::output::app::{args_text, millis};
use crate::text::escape_for_terminal as esc;
use std::fmt::Display;

macro_rules! say {
    ($lang:expr, $id:ident $(, $k:ident = $v:expr)* $(,)?) => {
        catalog::say($lang, Msg::$id, &[$((stringify!($k), &$v as &dyn Display)),*])
    };
}

fn who(lang: Lang, d: Dir) -> &'static str {
    catalog::text(
        lang,
        match d {
            Dir::C2S => Msg::WClient,
            Dir::S2C => Msg::WServer,
        },
    )
}

fn rtt(a: &AppMessage) -> String {
    a.reply.as_ref().map_or("?".into(), |r| millis(r.rtt_ns))
}

/// GraphQL over WebSocket (both subprotocols).
pub fn graphql(a: &AppMessage, lang: Lang) -> Vec<String> {
    let id = esc(a.id.as_deref().unwrap_or("-")).into_owned();
    let name = esc(a.name.as_deref().unwrap_or("?")).into_owned();
    let name = match lang {
        Lang::En => name,
        Lang::Zh => super::app_words::graphql_operation(&name),
    };
    let args = args_text(a, 100).unwrap_or_default();
    let sub = a.field("subprotocol").unwrap_or("?");
    let s = match (a.kind, a.dir) {
        ("connection_init", _) => say!(lang, AppGqlInit, sub = sub),
        ("connection_ack", _) => say!(lang, AppGqlAck, rtt = rtt(a)),
        ("connection_error", _) => say!(lang, AppGqlError, id = "-", name = "-", args = args),
        ("subscribe" | "start", _) => say!(lang, AppGqlStart, id = id, name = name),
        ("next" | "data", _) => say!(
            lang,
            AppGqlNext,
            id = id,
            name = name,
            rtt = rtt(a),
            args = args
        ),
        ("error", _) => say!(lang, AppGqlError, id = id, name = name, args = args),
        ("complete" | "stop", Dir::C2S) => say!(lang, AppGqlCancel, id = id, name = name),
        ("complete", _) => say!(lang, AppGqlComplete, id = id, name = name, rtt = rtt(a)),
        ("ping" | "pong" | "ka", d) => {
            say!(lang, AppGqlKeepAlive, kind = a.kind, who = who(lang, d))
        }
        ("connection_terminate", _) => say!(lang, AppGqlTerminate),
        _ => return Vec::new(),
    };
    vec![s]
}

/// MQTT 3.1, 3.1.1 and 5.
pub fn mqtt(a: &AppMessage, lang: Lang) -> Vec<String> {
    let id = esc(a.id.as_deref().unwrap_or("-")).into_owned();
    let topic = esc(a.name.as_deref().unwrap_or("?")).into_owned();
    let args = args_text(a, 100).unwrap_or_default();
    let f = |k: &str| esc(a.field(k).unwrap_or("-")).into_owned();
    let mut out = Vec::new();
    match a.kind {
        "connect" => out.push(say!(
            lang,
            AppMqttConnect,
            client = topic,
            protocol = f("protocol"),
            keepalive = f("keep_alive")
        )),
        "connack" => out.push(say!(
            lang,
            AppMqttConnack,
            code = f("reason_code"),
            rtt = rtt(a)
        )),
        "publish" => {
            out.push(say!(
                lang,
                AppMqttPublish,
                who = who(lang, a.dir),
                topic = topic,
                qos = f("qos"),
                args = args
            ));
            match a.field("qos") {
                Some("1") => out.push(say!(lang, AppMqttQos1, id = id)),
                Some("2") => out.push(say!(lang, AppMqttQos2, id = id)),
                _ => {}
            }
            if a.field("retain") == Some("true") {
                out.push(say!(lang, AppMqttRetain));
            }
        }
        "puback" | "pubrec" | "pubrel" | "pubcomp" => out.push(say!(
            lang,
            AppMqttFlow,
            kind = a.kind.to_ascii_uppercase(),
            id = id,
            who = who(lang, a.dir),
            topic = topic,
            pkt = a.reply.as_ref().map_or("?".into(), |r| r.pkt.to_string()),
            rtt = rtt(a)
        )),
        "subscribe" | "unsubscribe" => out.push(say!(
            lang,
            AppMqttSubscribe,
            kind = a.kind.to_ascii_uppercase(),
            id = id,
            args = args
        )),
        "suback" | "unsuback" => out.push(say!(
            lang,
            AppMqttSuback,
            kind = a.kind.to_ascii_uppercase(),
            id = id,
            args = args,
            rtt = rtt(a)
        )),
        "pingreq" | "pingresp" => out.push(say!(
            lang,
            AppMqttPing,
            kind = a.kind.to_ascii_uppercase(),
            who = who(lang, a.dir)
        )),
        "disconnect" => out.push(say!(lang, AppMqttDisconnect, who = who(lang, a.dir))),
        _ => {}
    }
    if let Some(p) = a.field("properties") {
        out.push(say!(lang, AppMqttProps, props = esc(p)));
    }
    out
}
