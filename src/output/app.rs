//! How an `app` event reads in one line: ladder labels (`emit "chat"`), text summaries and the
//! UI's rows share these, so a message is called the same everywhere. Strings from the wire
//! are escaped for the terminal here.

use crate::event::{AppMessage, AppProto};
use crate::text::escape_for_terminal;

/// Milliseconds, with a precision that suits the size.
pub fn millis(ns: i64) -> String {
    let ms = ns as f64 / 1e6;
    if ms.abs() >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms.abs() >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// A short label: `emit "chat"`, `ack 3 (1.2 ms)`, `ping probe`, `connect /admin`.
pub fn label(a: &AppMessage) -> String {
    let mut s = String::new();
    let nsp = a.nsp.as_deref().filter(|n| *n != "/");
    match (a.proto, a.kind) {
        (AppProto::SocketIo, "event") => {
            s.push_str("emit");
            if let Some(n) = &a.name {
                s.push_str(&format!(" \"{}\"", escape_for_terminal(n)));
            }
            if let Some(id) = &a.id {
                s.push_str(&format!(" #{}", escape_for_terminal(id)));
            }
            if !a.attachments.is_empty() {
                s.push_str(&format!(" +{} bin", a.attachments.len()));
            }
        }
        (AppProto::SocketIo, "ack") => {
            s.push_str("ack");
            if let Some(id) = &a.id {
                s.push_str(&format!(" #{}", escape_for_terminal(id)));
            }
            if let Some(r) = &a.reply {
                s.push_str(&format!(" ({})", millis(r.rtt_ns)));
            }
        }
        (AppProto::JsonRpc, kind) => {
            s.push_str(match kind {
                "request" => "call",
                "notification" => "notify",
                "response" => "result",
                other => other,
            });
            if let Some(n) = &a.name {
                s.push_str(&format!(" {}", escape_for_terminal(n)));
            }
            if let Some(id) = &a.id {
                s.push_str(&format!(" #{}", escape_for_terminal(id)));
            }
            if let Some(r) = &a.reply {
                s.push_str(&format!(" ({})", millis(r.rtt_ns)));
            }
        }
        (AppProto::Stomp, "heartbeat") => s.push_str("heart-beat"),
        (AppProto::Stomp, kind) => {
            // STOMP's own spelling of its commands.
            s.push_str(&kind.to_ascii_uppercase());
            if let Some(n) = &a.name {
                s.push_str(&format!(" {}", escape_for_terminal(n)));
            }
            if let Some(id) = &a.id {
                s.push_str(&format!(" #{}", escape_for_terminal(id)));
            }
            if let Some(r) = &a.reply {
                s.push_str(&format!(" ({})", millis(r.rtt_ns)));
            }
        }
        (_, kind) => {
            s.push_str(kind);
            if a.field("probe").is_some() {
                s.push_str(" probe");
            }
            if let Some(n) = &a.name {
                s.push_str(&format!(" {}", escape_for_terminal(n)));
            }
            if let Some(q) = a.field("qos").filter(|q| *q != "0") {
                s.push_str(&format!(" QoS {q}"));
            }
            if a.proto == AppProto::Mqtt
                && let Some(id) = &a.id
            {
                s.push_str(&format!(" #{}", escape_for_terminal(id)));
            }
            if let Some(r) = &a.reply {
                s.push_str(&format!(" ({})", millis(r.rtt_ns)));
            }
        }
    }
    if let Some(n) = nsp {
        s.push_str(&format!(" {}", escape_for_terminal(n)));
    }
    s
}

/// The arguments as compact JSON, cut to `max` characters (escaped for the terminal).
pub fn args_text(a: &AppMessage, max: usize) -> Option<String> {
    let v = a.args.as_ref()?;
    let full = v.to_string();
    let cut: String = full.chars().take(max).collect();
    let more = if full.chars().count() > max {
        "…"
    } else {
        ""
    };
    Some(format!("{}{more}", escape_for_terminal(&cut)))
}

/// One line: `socket.io emit "chat" ["hi"] (polling)`.
pub fn summary(a: &AppMessage) -> String {
    let mut s = String::new();
    push_summary(&mut s, a, crate::teach::Lang::En);
    s
}

/// [`summary`] in `lang`, appended to `s` (the protocol's name, then its own words).
pub(crate) fn push_summary(s: &mut String, a: &AppMessage, lang: crate::teach::Lang) {
    use crate::teach::{Lang, app_words};
    s.push_str(app_words::proto_name(lang, a.proto));
    s.push(' ');
    s.push_str(&app_words::label(lang, a));
    if let Some(t) = args_text(a, 100) {
        s.push(' ');
        s.push_str(&t);
    }
    if let Some(t) = a.transport {
        match lang {
            Lang::En => s.push_str(&format!(" ({})", t.as_str())),
            Lang::Zh => s.push_str(&format!("（{}）", app_words::transport(lang, t))),
        }
    }
    if let Some(r) = &a.reply {
        match lang {
            Lang::En => s.push_str(&format!(" answers #{}", r.pkt)),
            Lang::Zh => s.push_str(&format!(" 回应 #{}", r.pkt)),
        }
        if let Some(n) = &r.name {
            s.push_str(&format!(" \"{}\"", escape_for_terminal(n)));
        }
    }
}
