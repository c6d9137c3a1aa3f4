//! Exports of a connection's ladder diagram for slides and handouts: the plain text the UI
//! draws, Mermaid `sequenceDiagram` source, and a self-contained SVG. All three are drawn from
//! the same [`LadderRow`]s, so they always agree.

use crate::event::{Dir, TcpState};
use crate::ladder::{self, LadderRow};
use std::fmt::Write;

/// What the diagram is of: its rows and the names of its two ends.
pub struct Diagram<'a> {
    pub rows: &'a [LadderRow],
    pub client: &'a str,
    pub server: &'a str,
    pub title: &'a str,
    /// The language of the lifeline heads (the rows carry their own words).
    pub lang: crate::teach::Lang,
}

/// The plain-text ladder: a heading with the title and both ends, then exactly what the UI's
/// renderer draws (its lifeline heads are just "client" and "server": addresses do not fit in
/// the state columns).
pub fn txt(d: &Diagram<'_>, width: usize) -> String {
    let mut s = format!("{}\n{}  ⇄  {}\n", d.title, d.client, d.server);
    let (c, sv) = (
        crate::teach::catalog::text(d.lang, crate::teach::Msg::WClient),
        crate::teach::catalog::text(d.lang, crate::teach::Msg::WServer),
    );
    s.push_str(&ladder::render_text(d.rows, c, sv, width));
    s
}

/// Mermaid keeps `;`, `#` and angle brackets for itself; its entity codes show them literally.
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Mermaid `sequenceDiagram` source: one message per arrow row, notes for state changes and
/// remarks.
pub fn mermaid(d: &Diagram<'_>) -> String {
    let mut s = String::from("sequenceDiagram\n");
    let _ = writeln!(s, "    title {}", mermaid_text(d.title));
    let _ = writeln!(s, "    participant C as {}", mermaid_text(d.client));
    let _ = writeln!(s, "    participant S as {}", mermaid_text(d.server));
    for r in d.rows {
        let label = mermaid_text(&r.label);
        match r.dir {
            Some(Dir::C2S) => {
                let _ = writeln!(s, "    C->>S: {label}");
            }
            Some(Dir::S2C) => {
                let _ = writeln!(s, "    S->>C: {label}");
            }
            None => {
                let _ = writeln!(s, "    Note over C,S: {label}");
            }
        }
        if let Some(st) = r.client_state {
            let _ = writeln!(s, "    Note left of C: {}", st.as_str());
        }
        if let Some(st) = r.server_state {
            let _ = writeln!(s, "    Note right of S: {}", st.as_str());
        }
    }
    s
}

/// One line of text for XML (SVG, HTML): markup escaped, characters XML forbids replaced.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 (§2.2 Char) forbids the C0 controls but tab, LF and CR, even as
            // references, and U+FFFE/U+FFFF; it discourages DEL and the C1 controls. A label is
            // one line: LF and CR go too.
            c if (c as u32) < 0x20 || ('\u{7f}'..='\u{9f}').contains(&c) => out.push('\u{fffd}'),
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const SVG_W: u32 = 1100;
const CLIENT_X: u32 = 230;
const SERVER_X: u32 = 870;
const TOP: u32 = 110;
const ROW_H: u32 = 34;
/// Labels longer than this are cut so they stay between the lifelines.
const LABEL_CHARS: usize = 78;

fn state_colour(st: TcpState) -> &'static str {
    match st {
        TcpState::Established => "#1b7f3b",
        TcpState::Closed | TcpState::TimeWait => "#6b6b6b",
        TcpState::Listen => "#1f5fa8",
        _ => "#b25e00",
    }
}

/// A self-contained SVG (no scripts, no external fonts or images) of the ladder.
pub fn svg(d: &Diagram<'_>) -> String {
    let n = d.rows.len() as u32;
    let height = TOP + n.saturating_mul(ROW_H) + 40;
    let mid = (CLIENT_X + SERVER_X) / 2;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{height}" viewBox="0 0 {SVG_W} {height}" font-family="DejaVu Sans, Noto Sans CJK SC, Helvetica, Arial, sans-serif" font-size="14">"##
    );
    let _ = writeln!(s, "<title>{}</title>", xml(d.title));
    s.push_str(
        r##"<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>
"##,
    );
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{SVG_W}" height="{height}" fill="#fcfcf8"/>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="{mid}" y="28" text-anchor="middle" font-size="17" font-weight="bold" fill="#222">{}</text>"##,
        xml(d.title)
    );
    for (x, name) in [(CLIENT_X, d.client), (SERVER_X, d.server)] {
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="46" width="220" height="34" rx="6" fill="#e8eef7" stroke="#3a5a8c"/><text x="{x}" y="68" text-anchor="middle" fill="#14213d">{}</text>"##,
            x - 110,
            xml(name)
        );
        let _ = writeln!(
            s,
            r##"<line x1="{x}" y1="80" x2="{x}" y2="{}" stroke="#7a869a" stroke-width="1.5" stroke-dasharray="6 4"/>"##,
            height - 20
        );
    }
    for (i, r) in d.rows.iter().enumerate() {
        let y = TOP + (i as u32) * ROW_H;
        let label = xml(&ladder::fit_label(&r.label, LABEL_CHARS));
        match r.dir {
            Some(dir) => {
                let (x1, x2) = match dir {
                    Dir::C2S => (CLIENT_X, SERVER_X),
                    Dir::S2C => (SERVER_X, CLIENT_X),
                };
                let colour = match dir {
                    Dir::C2S => "#222",
                    Dir::S2C => "#333",
                };
                let _ = writeln!(
                    s,
                    r##"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="1.6" marker-end="url(#head)"/><text x="{mid}" y="{}" text-anchor="middle" fill="#111">{label}</text>"##,
                    y - 6
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    r##"<rect x="{}" y="{}" width="{}" height="24" rx="5" fill="#fff4cc" stroke="#c9a227"/><text x="{mid}" y="{}" text-anchor="middle" font-style="italic" fill="#4a3b00">{label}</text>"##,
                    CLIENT_X + 10,
                    y - 17,
                    SERVER_X - CLIENT_X - 20,
                    y
                );
            }
        }
        if let Some(st) = r.client_state {
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" text-anchor="end" font-size="13" font-weight="bold" fill="{}">{}</text>"##,
                CLIENT_X - 10,
                y + 5,
                state_colour(st),
                st.as_str()
            );
        }
        if let Some(st) = r.server_state {
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" font-size="13" font-weight="bold" fill="{}">{}</text>"##,
                SERVER_X + 10,
                y + 5,
                state_colour(st),
                st.as_str()
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dir: Option<Dir>, label: &str, c: Option<TcpState>, s: Option<TcpState>) -> LadderRow {
        LadderRow {
            event: 0,
            dir,
            label: label.into(),
            client_state: c,
            server_state: s,
        }
    }

    fn sample() -> Vec<LadderRow> {
        vec![
            row(Some(Dir::C2S), "SYN seq=0", Some(TcpState::SynSent), None),
            row(
                Some(Dir::S2C),
                "SYN,ACK seq=0 ack=1",
                Some(TcpState::Established),
                Some(TcpState::SynReceived),
            ),
            row(None, "WebSocket open, Accept ✓", None, None),
            row(Some(Dir::C2S), "Text \"a<b & c;#\" (masked)", None, None),
        ]
    }

    #[test]
    fn mermaid_has_one_arrow_per_arrow_row_and_escapes() {
        let rows = sample();
        let d = Diagram {
            rows: &rows,
            client: "client 1.2.3.4:5",
            server: "server 6.7.8.9:80",
            title: "t",
            lang: crate::teach::Lang::En,
        };
        let m = mermaid(&d);
        let arrows = m.lines().filter(|l| l.contains("->>")).count();
        assert_eq!(arrows, rows.iter().filter(|r| r.dir.is_some()).count());
        assert!(m.contains("Note over C,S: WebSocket open"));
        assert!(
            m.contains("Note left of C: SYN_SENT") && m.contains("Note right of S: SYN_RECEIVED")
        );
        assert!(m.contains("a#lt;b & c#59;#35;"), "{m}");
    }

    /// A character XML 1.0 allows in a document (§2.2), less the discouraged C1 controls.
    fn xml_char(c: char) -> bool {
        matches!(c, '\t' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c as u32 >= 0x10000
    }

    proptest::proptest! {
        /// Whatever a capture holds, escaped text is character data of well-formed XML: only
        /// XML characters, no markup, every `&` an entity.
        #[test]
        fn xml_text_is_always_well_formed(s in proptest::prelude::any::<String>()) {
            let x = xml(&s);
            proptest::prop_assert!(x.chars().all(xml_char), "{x:?}");
            proptest::prop_assert!(!x.contains(['<', '>', '"', '\'']));
            for (i, _) in x.match_indices('&') {
                let rest = &x[i..];
                proptest::prop_assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| rest.starts_with(e))
                );
            }
        }
    }

    #[test]
    fn non_xml_characters_are_replaced() {
        assert_eq!(
            xml("a\u{fffe}b\u{ffff}\u{1}\u{9b}\n"),
            "a\u{fffd}b\u{fffd}\u{fffd}\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn svg_is_escaped_and_has_every_row() {
        let rows = sample();
        let d = Diagram {
            rows: &rows,
            client: "c",
            server: "s",
            title: "<conn 1>",
            lang: crate::teach::Lang::En,
        };
        let v = svg(&d);
        assert!(v.starts_with("<svg ") && v.trim_end().ends_with("</svg>"));
        assert_eq!(v.matches("marker-end=").count(), 3);
        assert!(v.contains("&lt;conn 1&gt;") && v.contains("a&lt;b &amp; c;#"));
        assert!(!v.contains("<b &"));
        assert!(v.contains(">ESTABLISHED<") && v.contains(">SYN_RECEIVED<"));
        assert!(
            !v.contains("LISTEN"),
            "no listener is claimed before the answer"
        );
    }
}
