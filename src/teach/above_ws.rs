//! Narration of the layer above WebSocket (`app` events): Engine.IO's transports and upgrade
//! dance, Socket.IO's namespaces, events and acknowledgements.

use super::catalog::{self, Lang, Msg};
use crate::event::{AppMessage, AppProto, AppTransport, Dir};
use crate::output::app::{args_text, millis};
use std::fmt::Display;

macro_rules! say {
    ($lang:expr, $id:ident $(, $k:ident = $v:expr)* $(,)?) => {
        catalog::say($lang, Msg::$id, &[$((stringify!($k), &$v as &dyn Display)),*])
    };
}

fn side(lang: Lang, dir: Dir) -> &'static str {
    catalog::text(
        lang,
        match dir {
            Dir::C2S => Msg::WClient,
            Dir::S2C => Msg::WServer,
        },
    )
}

/// The sentences for one `app` event.
pub fn app(a: &AppMessage, lang: Lang) -> Vec<String> {
    let who = side(lang, a.dir);
    let other = side(lang, a.dir.flip());
    let args = args_text(a, 100).unwrap_or_else(|| "[]".into());
    let nsp = crate::text::escape_for_terminal(a.nsp.as_deref().unwrap_or("/")).into_owned();
    let probe = a.field("probe").is_some();
    let mut out = Vec::new();
    match (a.proto, a.kind) {
        (AppProto::Stomp | AppProto::GraphqlWs | AppProto::Mqtt, _) => {
            let said = match a.proto {
                AppProto::Stomp => super::stomp_narration::stomp(a, lang),
                AppProto::GraphqlWs => super::proto_narration::graphql(a, lang),
                _ => super::proto_narration::mqtt(a, lang),
            };
            if said.is_empty() {
                out.push(say!(
                    lang,
                    AppOther,
                    proto = super::app_words::proto_name(lang, a.proto),
                    label = super::app_words::label(lang, a)
                ));
            }
            out.extend(said);
        }
        (AppProto::EngineIo, "open") => {
            let v = a.args.as_ref();
            let get = |k: &str| {
                v.and_then(|v| v.get(k))
                    .map(|x| match x {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| "?".into())
            };
            out.push(say!(
                lang,
                AppEioOpen,
                sid = crate::text::escape_for_terminal(&get("sid")),
                upgrades = crate::text::escape_for_terminal(&get("upgrades")),
                interval = get("pingInterval"),
                timeout = get("pingTimeout"),
            ));
        }
        (AppProto::EngineIo, "ping") if probe => out.push(say!(lang, AppEioProbePing)),
        (AppProto::EngineIo, "pong") if probe => out.push(say!(lang, AppEioProbePong)),
        (AppProto::EngineIo, "upgrade") => out.push(say!(lang, AppEioUpgrade)),
        (AppProto::EngineIo, "noop") => out.push(say!(lang, AppEioNoop)),
        (AppProto::EngineIo, "ping") => out.push(say!(lang, AppEioPing, who = who)),
        (AppProto::EngineIo, "pong") => out.push(say!(lang, AppEioPong, who = who)),
        (AppProto::EngineIo, "close") => out.push(say!(lang, AppEioClose, who = who)),
        (AppProto::EngineIo, _) => out.push(say!(lang, AppEioMessage, who = who, args = args)),
        (AppProto::SocketIo, "connect") if a.dir == Dir::S2C => {
            let sid = a
                .args
                .as_ref()
                .and_then(|v| v.get("sid"))
                .and_then(|s| s.as_str())
                .unwrap_or("?");
            out.push(say!(
                lang,
                AppSioConnectOk,
                nsp = nsp,
                sid = crate::text::escape_for_terminal(sid)
            ));
        }
        (AppProto::SocketIo, "connect") => out.push(say!(lang, AppSioConnect, nsp = nsp)),
        (AppProto::SocketIo, "disconnect") => {
            out.push(say!(lang, AppSioDisconnect, who = who, nsp = nsp))
        }
        (AppProto::SocketIo, "connect_error") => {
            out.push(say!(lang, AppSioConnectError, nsp = nsp, args = args))
        }
        (AppProto::SocketIo, "event") => {
            let name =
                crate::text::escape_for_terminal(a.name.as_deref().unwrap_or("?")).into_owned();
            out.push(say!(
                lang,
                AppSioEvent,
                name = name,
                who = who,
                nsp = nsp,
                args = args
            ));
            if let Some(id) = &a.id {
                out.push(say!(
                    lang,
                    AppSioWantsAck,
                    id = crate::text::escape_for_terminal(id),
                    other = other
                ));
            }
        }
        (AppProto::SocketIo, "ack") => {
            let id = crate::text::escape_for_terminal(a.id.as_deref().unwrap_or("?")).into_owned();
            match &a.reply {
                Some(r) => out.push(say!(
                    lang,
                    AppSioAck,
                    id = id,
                    who = who,
                    name = crate::text::escape_for_terminal(r.name.as_deref().unwrap_or("?")),
                    pkt = r.pkt,
                    rtt = millis(r.rtt_ns)
                )),
                None => out.push(say!(lang, AppSioAckUnpaired, id = id, who = who)),
            }
        }
        (AppProto::JsonRpc, kind) => {
            let id = crate::text::escape_for_terminal(a.id.as_deref().unwrap_or("-")).into_owned();
            let method =
                crate::text::escape_for_terminal(a.name.as_deref().unwrap_or("?")).into_owned();
            match (kind, &a.reply) {
                ("request", _) => out.push(say!(
                    lang,
                    AppRpcRequest,
                    id = id,
                    who = who,
                    method = method,
                    args = args,
                    other = other
                )),
                ("notification", _) => out.push(say!(
                    lang,
                    AppRpcNotification,
                    who = who,
                    method = method,
                    args = args
                )),
                ("response", Some(r)) => out.push(say!(
                    lang,
                    AppRpcResponse,
                    id = id,
                    who = who,
                    method = method,
                    pkt = r.pkt,
                    rtt = millis(r.rtt_ns),
                    args = args
                )),
                ("error", Some(r)) => out.push(say!(
                    lang,
                    AppRpcError,
                    id = id,
                    who = who,
                    method = method,
                    pkt = r.pkt,
                    rtt = millis(r.rtt_ns),
                    args = args
                )),
                (kind, _) => out.push(say!(
                    lang,
                    AppRpcUnpaired,
                    kind = kind,
                    id = id,
                    who = who,
                    args = args
                )),
            }
            if a.field("dialect") == Some("cdp")
                && a.kind == "request"
                && a.id.as_deref() == Some("1")
            {
                out.push(say!(lang, AppRpcCdp));
            }
        }
        _ => out.push(say!(
            lang,
            AppOther,
            proto = super::app_words::proto_name(lang, a.proto),
            label = super::app_words::label(lang, a)
        )),
    }
    if !a.attachments.is_empty() {
        let sizes: Vec<String> = a.attachments.iter().map(u64::to_string).collect();
        out.push(say!(
            lang,
            AppSioBinary,
            n = a.attachments.len(),
            sizes = sizes.join(", ")
        ));
    }
    if a.transport == Some(AppTransport::Polling) {
        let what = match (lang, a.dir) {
            (Lang::En, Dir::C2S) => "POST request",
            (Lang::En, Dir::S2C) => "GET response",
            (Lang::Zh, Dir::C2S) => "POST 请求",
            (Lang::Zh, Dir::S2C) => "GET 响应",
        };
        out.push(say!(lang, AppPolling, what = what));
    }
    out
}
