//! The polling-versus-WebSocket comparison written out: a table for people (aligned also in
//! Chinese, where characters take two columns) and one JSON object for scripts.

use super::catalog::{self, Lang, Msg};
use super::stats::{Comparison, PartStats, TlsPart, TransportPart};

/// Columns a string takes in a terminal: CJK and full-width characters take two.
pub(crate) fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if (0x1100..=0x115f).contains(&u)
                || (0x2e80..=0xa4cf).contains(&u)
                || (0xac00..=0xd7a3).contains(&u)
                || (0xf900..=0xfaff).contains(&u)
                || (0xfe30..=0xfe4f).contains(&u)
                || (0xff00..=0xff60).contains(&u)
                || (0xffe0..=0xffe6).contains(&u)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out
}

/// One decimal everywhere; a positive figure too small for it is shown as "<0.1", never 0.0.
fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x > 0.0 && x < 0.05 => "<0.1".into(),
        Some(x) if x.is_finite() => format!("{x:.1}"),
        _ => "-".into(),
    }
}

/// A wait in milliseconds. A push that travels in one segment reaches the capture point (the
/// moment of delivery) with the segment that carries it: its one-way time is below what the
/// capture can resolve, which reads "<0.1", not a misleading 0.0.
fn wait(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x < 0.05 => "<0.1".into(),
        other => num(other),
    }
}

/// Rows as a table: a label column and two right-aligned value columns.
fn table(out: &mut String, lang: Lang, heads: [Msg; 2], rows: &[(Msg, String, String)]) {
    let t = |id| catalog::text(lang, id);
    let lw = rows.iter().map(|r| width(t(r.0))).max().unwrap_or(0) + 2;
    let cw = heads
        .iter()
        .map(|&h| width(t(h)))
        .chain(rows.iter().flat_map(|r| [r.1.len(), r.2.len()]))
        .max()
        .unwrap_or(0)
        + 2;
    let right = |s: &str| format!("{}{s}", " ".repeat(cw.saturating_sub(width(s))));
    out.push_str(&pad("", lw));
    out.push_str(&right(t(heads[0])));
    out.push_str(&right(t(heads[1])));
    out.push('\n');
    for (id, a, b) in rows {
        out.push_str(&pad(t(*id), lw));
        out.push_str(&right(a));
        out.push_str(&right(b));
        out.push('\n');
    }
    out.push('\n');
}

/// The comparison as a table for people, polling and WebSocket side by side, then UDP and
/// TCP side by side when the capture has both.
pub fn render_text(c: &Comparison, file: &str, lang: Lang) -> String {
    let t = |id| catalog::text(lang, id);
    let (p, w) = (&c.polling, &c.websocket);
    let mut out = catalog::say(lang, Msg::StatTitle, &[("file", &file)]);
    out.push('\n');
    if !p.is_empty() || !w.is_empty() {
        let rows: Vec<(Msg, String, String)> = vec![
            (
                Msg::StatConnections,
                p.connections.to_string(),
                w.connections.to_string(),
            ),
            (
                Msg::StatHandshakes,
                p.handshakes.to_string(),
                w.handshakes.to_string(),
            ),
            (
                Msg::StatRequests,
                p.requests.to_string(),
                w.requests.to_string(),
            ),
            (
                Msg::StatMessages,
                p.messages.to_string(),
                w.messages.to_string(),
            ),
            (
                Msg::StatSegments,
                p.segments.to_string(),
                w.segments.to_string(),
            ),
            (Msg::StatSetup, "-".into(), w.setup_bytes.to_string()),
            (
                Msg::StatHeaderBytes,
                p.header_bytes.to_string(),
                w.header_bytes.to_string(),
            ),
            (
                Msg::StatPayloadBytes,
                p.payload_bytes.to_string(),
                w.payload_bytes.to_string(),
            ),
            (
                Msg::StatHeaderPerMsg,
                num(p.header_per_message()),
                num(w.header_per_message()),
            ),
            (
                Msg::StatPayloadPerMsg,
                num(p.payload_per_message()),
                num(w.payload_per_message()),
            ),
            (
                Msg::StatStreamPerByte,
                num(p.stream_per_payload_byte()),
                num(w.stream_per_payload_byte()),
            ),
            (
                Msg::StatNewsWait,
                wait(p.news_wait_ms()),
                wait(w.news_wait_ms()),
            ),
        ];
        table(&mut out, lang, [Msg::StatPolling, Msg::StatWs], &rows);
    }
    if p.is_empty() {
        out.push_str(t(Msg::StatNoPolling));
        out.push('\n');
    }
    if w.is_empty() {
        out.push_str(t(Msg::StatNoWs));
        out.push('\n');
    }
    if !p.is_empty() && !w.is_empty() {
        let (phdr, whdr) = (num(p.header_per_message()), num(w.header_per_message()));
        let pwait = wait(p.news_wait_ms());
        out.push_str(&catalog::say(
            lang,
            Msg::StatVerdict,
            &[
                ("pconn", &p.connections),
                ("phs", &p.handshakes),
                ("pmsg", &p.messages),
                ("phdr", &phdr),
                ("pwait", &pwait),
                ("wconn", &w.connections),
                ("wmsg", &w.messages),
                ("whdr", &whdr),
            ],
        ));
        out.push('\n');
        if w.news > 0 {
            let wwait = wait(w.news_wait_ms());
            out.push_str(&catalog::say(
                lang,
                Msg::StatVerdictPush,
                &[("pushes", &w.news), ("wwait", &wwait)],
            ));
            out.push('\n');
        }
    }
    let (u, tc) = (&c.udp, &c.tcp);
    if u.flows > 0 && tc.flows > 0 {
        out.push('\n');
        out.push_str(t(Msg::StatUdpTitle));
        out.push('\n');
        let rows: Vec<(Msg, String, String)> = vec![
            (Msg::StatFlows, u.flows.to_string(), tc.flows.to_string()),
            (
                Msg::StatPackets,
                u.packets.to_string(),
                tc.packets.to_string(),
            ),
            (
                Msg::StatEmptyPackets,
                u.empty_packets.to_string(),
                tc.empty_packets.to_string(),
            ),
            (
                Msg::StatPayloadBytes,
                u.payload_bytes.to_string(),
                tc.payload_bytes.to_string(),
            ),
            (
                Msg::StatHeaderPerByte,
                num(u.header_per_payload_byte(true)),
                num(tc.header_per_payload_byte(false)),
            ),
            (
                Msg::StatFirstByte,
                num(u.first_payload_ms()),
                num(tc.first_payload_ms()),
            ),
        ];
        table(&mut out, lang, [Msg::StatUdp, Msg::StatTcp], &rows);
        let (ufirst, tfirst) = (num(u.first_payload_ms()), num(tc.first_payload_ms()));
        out.push_str(&catalog::say(
            lang,
            Msg::StatUdpVerdict,
            &[
                ("udg", &u.packets),
                ("ubytes", &u.payload_bytes),
                ("ufirst", &ufirst),
                ("tseg", &tc.packets),
                ("tempty", &tc.empty_packets),
                ("tbytes", &tc.payload_bytes),
                ("tfirst", &tfirst),
            ],
        ));
        out.push('\n');
    }
    if !c.tls.is_empty() {
        tls_text(&mut out, &c.tls, lang);
    }
    out
}

/// The TLS connections: how many, what they negotiated, whether keys opened them, and the
/// encrypted records each way.
fn tls_text(out: &mut String, s: &TlsPart, lang: Lang) {
    let t = |id| catalog::text(lang, id);
    out.push('\n');
    out.push_str(t(Msg::StatTlsTitle));
    out.push('\n');
    out.push_str(&catalog::say(
        lang,
        Msg::StatTlsConns,
        &[("n", &s.connections), ("wss", &s.wss)],
    ));
    out.push('\n');
    let no = s.connections - s.decrypted;
    out.push_str(&catalog::say(
        lang,
        Msg::StatTlsKeys,
        &[("yes", &s.decrypted), ("no", &no)],
    ));
    out.push('\n');
    for (version, cipher, n) in &s.suites {
        out.push_str(&catalog::say(
            lang,
            Msg::StatTlsSuite,
            &[("version", version), ("cipher", cipher), ("n", n)],
        ));
        out.push('\n');
    }
    out.push('\n');
    let rows = [
        (
            Msg::StatTlsRecords,
            s.records[0].to_string(),
            s.records[1].to_string(),
        ),
        (
            Msg::StatTlsBytes,
            s.bytes[0].to_string(),
            s.bytes[1].to_string(),
        ),
    ];
    table(out, lang, [Msg::StatC2s, Msg::StatS2c], &rows);
    if no == 0 {
        out.push_str(t(Msg::StatTlsAllOpen));
    } else {
        out.push_str(&catalog::say(lang, Msg::StatTlsClosed, &[("no", &no)]));
    }
    out.push('\n');
}

/// The comparison as one JSON object (keys are stable; ratios and times are null when there
/// was nothing to divide by).
pub fn render_json(c: &Comparison, file: &str) -> String {
    use std::fmt::Write;
    fn opt(v: Option<f64>) -> String {
        match v {
            Some(x) if x.is_finite() => format!("{x:.3}"),
            _ => "null".into(),
        }
    }
    fn part(s: &mut String, p: &PartStats) {
        let _ = write!(
            s,
            "{{\"connections\":{},\"handshakes\":{},\"requests\":{},\"messages\":{},\"segments\":{},\"header_bytes\":{},\"payload_bytes\":{},\"setup_bytes\":{},\"stream_bytes\":{},\"header_bytes_per_message\":{},\"payload_bytes_per_message\":{},\"stream_bytes_per_payload_byte\":{},\"news\":{},\"news_wait_ms\":{}}}",
            p.connections,
            p.handshakes,
            p.requests,
            p.messages,
            p.segments,
            p.header_bytes,
            p.payload_bytes,
            p.setup_bytes,
            p.stream_bytes,
            opt(p.header_per_message()),
            opt(p.payload_per_message()),
            opt(p.stream_per_payload_byte()),
            p.news,
            opt(p.news_wait_ms()),
        );
    }
    fn transport(s: &mut String, p: &TransportPart, udp: bool) {
        let _ = write!(
            s,
            "{{\"flows\":{},\"packets\":{},\"packets_without_payload\":{},\"payload_bytes\":{},\"header_bytes\":{},\"header_bytes_per_payload_byte\":{},\"first_payload_ms\":{}}}",
            p.flows,
            p.packets,
            p.empty_packets,
            p.payload_bytes,
            p.header_bytes(udp),
            opt(p.header_per_payload_byte(udp)),
            opt(p.first_payload_ms()),
        );
    }
    let mut name = Vec::new();
    crate::output::json::string(&mut name, file);
    let mut s = String::from("{\"file\":");
    s.push_str(&String::from_utf8_lossy(&name));
    s.push_str(",\"polling\":");
    part(&mut s, &c.polling);
    s.push_str(",\"websocket\":");
    part(&mut s, &c.websocket);
    s.push_str(",\"udp\":");
    transport(&mut s, &c.udp, true);
    s.push_str(",\"tcp\":");
    transport(&mut s, &c.tcp, false);
    let t = &c.tls;
    let _ = write!(
        s,
        ",\"tls\":{{\"connections\":{},\"wss\":{},\"decrypted\":{},\"suites\":[",
        t.connections, t.wss, t.decrypted
    );
    for (i, (version, cipher, n)) in t.suites.iter().enumerate() {
        let mut v = Vec::new();
        crate::output::json::string(&mut v, version);
        let mut c = Vec::new();
        crate::output::json::string(&mut c, cipher);
        let _ = write!(
            s,
            "{}{{\"version\":{},\"cipher\":{},\"connections\":{n}}}",
            if i == 0 { "" } else { "," },
            String::from_utf8_lossy(&v),
            String::from_utf8_lossy(&c),
        );
    }
    let _ = write!(
        s,
        "],\"records\":{{\"c2s\":{},\"s2c\":{}}},\"bytes\":{{\"c2s\":{},\"s2c\":{}}}}}",
        t.records[0], t.records[1], t.bytes[0], t.bytes[1]
    );
    s.push('}');
    s
}
