//! Narration of STOMP frames (`app` events with proto `stomp`): what each command asks or
//! answers, receipts and errors with what caused them, heart-beats.

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

/// The sentences for one STOMP frame.
pub fn stomp(a: &AppMessage, lang: Lang) -> Vec<String> {
    let f = |k: &str| esc(a.field(k).unwrap_or("-")).into_owned();
    let dest = esc(a.name.as_deref().unwrap_or("-")).into_owned();
    let id = esc(a.id.as_deref().unwrap_or("-")).into_owned();
    let cmd = a.kind.to_ascii_uppercase();
    let who = catalog::text(
        lang,
        match a.dir {
            Dir::C2S => Msg::WClient,
            Dir::S2C => Msg::WServer,
        },
    );
    let (rpkt, rtt, rname) = match &a.reply {
        Some(r) => (
            r.pkt.to_string(),
            millis(r.rtt_ns),
            esc(r.name.as_deref().unwrap_or("?")).into_owned(),
        ),
        None => ("?".into(), "?".into(), "?".into()),
    };
    let mut out = Vec::new();
    match a.kind {
        "heartbeat" => out.push(say!(lang, AppStompHeartbeat, who = who)),
        "connect" | "stomp" => out.push(say!(
            lang,
            AppStompConnect,
            cmd = cmd,
            versions = f("accept-version"),
            hb = f("heart-beat")
        )),
        "connected" => {
            let asked = a
                .reply
                .as_ref()
                .and_then(|r| r.name.as_deref())
                .unwrap_or("CONNECT");
            out.push(say!(
                lang,
                AppStompConnected,
                rtt = rtt,
                cmd = esc(asked),
                version = f("version"),
                hb = f("heart-beat"),
                server = f("server")
            ))
        }
        "send" => out.push(say!(lang, AppStompSend, dest = dest)),
        "subscribe" => out.push(say!(
            lang,
            AppStompSubscribe,
            dest = dest,
            id = id,
            ack = a.field("ack").map_or("auto".into(), esc)
        )),
        "unsubscribe" => out.push(say!(lang, AppStompUnsubscribe, id = id)),
        "message" => out.push(say!(
            lang,
            AppStompMessage,
            id = id,
            dest = dest,
            sub = f("subscription")
        )),
        "ack" => out.push(say!(lang, AppStompAck, pkt = rpkt, rtt = rtt)),
        "nack" => out.push(say!(lang, AppStompNack, pkt = rpkt, rtt = rtt)),
        "begin" | "commit" | "abort" => out.push(say!(lang, AppStompTx, cmd = cmd, id = id)),
        "disconnect" => out.push(say!(lang, AppStompDisconnect)),
        "receipt" => out.push(say!(
            lang,
            AppStompReceipt,
            id = id,
            name = rname,
            pkt = rpkt,
            rtt = rtt
        )),
        "error" => {
            out.push(say!(lang, AppStompError, message = f("message")));
            if a.reply.is_some() {
                out.push(say!(
                    lang,
                    AppStompErrorAnswers,
                    id = id,
                    name = rname,
                    pkt = rpkt,
                    rtt = rtt
                ));
            } else if let Some(c) = a.field("likely_cause") {
                out.push(say!(lang, AppStompErrorCause, cause = esc(c)));
            }
        }
        _ => {}
    }
    if a.kind != "disconnect"
        && let Some(r) = a.field("receipt")
    {
        out.push(say!(lang, AppStompReceiptWanted, id = esc(r)));
    }
    if let (Some(n), Some(args)) = (a.field("body_bytes"), args_text(a, 100)) {
        out.push(say!(
            lang,
            AppStompBody,
            n = n,
            how = match a.field("content-length") {
                Some(_) => "content-length",
                None => "NUL",
            },
            args = args
        ));
    }
    out
}
