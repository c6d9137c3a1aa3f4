//! Printable fill-in worksheets: one connection of a real capture turned into exercises — the
//! socket's five facts, the three-way handshake's numbers and both ends' states, the
//! Sec-WebSocket-Accept computation, unmasking a client frame, and the closing — with blanks
//! (`____`) for what a student can work out and an answer key, with the reasoning, at the end.
//!
//! Built from events only (like every view); [`render`] turns the sheet into Markdown or HTML.

pub mod render;

use super::catalog::{self, Lang, Msg};
use super::narrate::{close_meaning, meaning, state_name};
use crate::event::{ConnId, Dir, Event, Handshake, Opcode, TcpSegment, TcpState, WsFrame};
use crate::http::WS_GUID;
use std::fmt::Display;

/// Masked payload bytes a student unmasks by hand: enough to read a word, few enough to do.
pub const UNMASK_BYTES: usize = 8;

/// One cell of a table or one piece of a line: given text, or a numbered blank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// The blank of question `n` (1-based), answered in the key.
    Blank(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A line of text with blanks in it.
    Line(Vec<Cell>),
    /// A line shown as code (bytes, commands).
    Code(String),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Cell>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

/// The answer to blank `n`, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub n: usize,
    pub answer: String,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub lang: Lang,
    pub title: String,
    /// Name, class, date: lines for the student.
    pub header: Vec<String>,
    pub intro: String,
    pub sections: Vec<Section>,
    pub answers: Vec<Answer>,
    pub answers_title: String,
}

fn say(lang: Lang, id: Msg, args: &[(&str, &dyn Display)]) -> String {
    catalog::say(lang, id, args)
}

fn t(lang: Lang, id: Msg) -> String {
    catalog::text(lang, id).to_string()
}

/// Numbers the blanks and keeps their answers.
struct Key {
    answers: Vec<Answer>,
}

impl Key {
    fn blank(&mut self, answer: impl Into<String>, why: impl Into<String>) -> Cell {
        let n = self.answers.len() + 1;
        self.answers.push(Answer {
            n,
            answer: answer.into(),
            why: why.into(),
        });
        Cell::Blank(n)
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn dir_label(lang: Lang, d: Dir) -> String {
    let (a, b) = match d {
        Dir::C2S => (Msg::WClient, Msg::WServer),
        Dir::S2C => (Msg::WServer, Msg::WClient),
    };
    format!("{} → {}", t(lang, a), t(lang, b))
}

/// The connection a class most likely wants (worksheets, diagrams): the first that upgraded to
/// WebSocket, else the first TCP connection.
pub fn pick_conn(events: &[Event]) -> Option<ConnId> {
    events
        .iter()
        .find_map(|e| match e {
            Event::WsHandshake(h) if h.upgraded => Some(h.conn),
            _ => None,
        })
        .or_else(|| {
            events.iter().find_map(|e| match e {
                Event::ConnOpen(o) if o.proto == crate::event::Proto::Tcp => Some(o.conn),
                _ => None,
            })
        })
}

/// Why a state is what it is, for the answer key.
fn state_why(lang: Lang, who: Msg, st: TcpState) -> String {
    say(
        lang,
        Msg::WkStateWhy,
        &[
            ("who", &t(lang, who)),
            ("state", &state_name(lang, st)),
            ("meaning", &t(lang, meaning(st))),
        ],
    )
}

/// A segment's row: direction, flags, seq, ack (each given or blank) and both states as blanks.
fn segment_row(
    lang: Lang,
    key: &mut Key,
    s: &TcpSegment,
    seq: Option<(String, String)>,
    ack: Option<(String, String)>,
    server_known: bool,
) -> Vec<Cell> {
    let seq_cell = match seq {
        Some((a, why)) => key.blank(a, why),
        None => text(s.seq.to_string()),
    };
    let ack_cell = match ack {
        Some((a, why)) => key.blank(a, why),
        None if s.flags.ack() => text(s.ack.to_string()),
        None => text("—"),
    };
    vec![
        text(dir_label(lang, s.dir)),
        text(s.flags.to_string()),
        seq_cell,
        ack_cell,
        key.blank(
            state_name(lang, s.client_state),
            state_why(lang, Msg::WClient, s.client_state),
        ),
        if server_known {
            key.blank(
                state_name(lang, s.server_state),
                state_why(lang, Msg::WServer, s.server_state),
            )
        } else {
            // Only the server's answer will show whether anything listened (see below).
            text("—")
        },
    ]
}

fn segment_head(lang: Lang) -> Vec<String> {
    [
        Msg::WkColDir,
        Msg::WkColFlags,
        Msg::WkColSeq,
        Msg::WkColAck,
        Msg::WkColClientState,
        Msg::WkColServerState,
    ]
    .iter()
    .map(|&m| t(lang, m))
    .collect()
}

/// Build the worksheet for connection `conn` from the capture's events (all of them, or at least
/// this connection's). `None` when the connection is not a TCP connection of the capture.
pub fn build(events: &[Event], conn: ConnId, file: &str, lang: Lang) -> Option<Sheet> {
    let mine: Vec<&Event> = events.iter().filter(|e| e.conn() == Some(conn)).collect();
    let open = mine.iter().find_map(|e| match e {
        Event::ConnOpen(o) if o.proto == crate::event::Proto::Tcp => Some(o),
        _ => None,
    })?;
    let mut key = Key {
        answers: Vec::new(),
    };
    let mut sections = Vec::new();

    // 1. The socket's five facts: given, and one question about the temporary port.
    let mut items = vec![Item::Table {
        head: vec![t(lang, Msg::WkColFact), t(lang, Msg::WkColValue)],
        rows: vec![
            vec![text(t(lang, Msg::WkFactProto)), text("TCP")],
            vec![
                text(t(lang, Msg::WkFactLip)),
                text(open.client.ip().to_string()),
            ],
            vec![
                text(t(lang, Msg::WkFactLport)),
                text(open.client.port().to_string()),
            ],
            vec![
                text(t(lang, Msg::WkFactRip)),
                text(open.server.ip().to_string()),
            ],
            vec![
                text(t(lang, Msg::WkFactRport)),
                text(open.server.port().to_string()),
            ],
        ],
    }];
    items.push(Item::Line(vec![
        text(t(lang, Msg::WkQTempPort)),
        key.blank(
            open.client.port().to_string(),
            say(
                lang,
                Msg::WkATempPort,
                &[
                    ("lport", &open.client.port()),
                    ("rport", &open.server.port()),
                ],
            ),
        ),
    ]));
    sections.push(Section {
        title: t(lang, Msg::WkSecSocket),
        items,
    });

    // 2. The three-way handshake.
    let segs: Vec<&TcpSegment> = mine
        .iter()
        .filter_map(|e| match e {
            Event::Tcp(s) => Some(s),
            _ => None,
        })
        .collect();
    let syn = segs.iter().find(|s| s.handshake == Some(Handshake::Syn));
    let synack = segs.iter().find(|s| s.handshake == Some(Handshake::SynAck));
    let hsack = segs.iter().find(|s| s.handshake == Some(Handshake::Ack));
    if let (Some(syn), Some(synack)) = (syn, synack) {
        let (j, k) = (syn.seq, synack.seq);
        let mut rows = vec![segment_row(lang, &mut key, syn, None, None, false)];
        let ack_j = (
            j.wrapping_add(1).to_string(),
            say(
                lang,
                Msg::WkASynAckAck,
                &[("j", &j), ("ack", &j.wrapping_add(1))],
            ),
        );
        rows.push(segment_row(lang, &mut key, synack, None, Some(ack_j), true));
        if let Some(a) = hsack {
            let seq = (
                a.seq.to_string(),
                say(lang, Msg::WkAHsAckSeq, &[("j", &j), ("seq", &a.seq)]),
            );
            let ack = (
                a.ack.to_string(),
                say(lang, Msg::WkAHsAckAck, &[("k", &k), ("ack", &a.ack)]),
            );
            rows.push(segment_row(lang, &mut key, a, Some(seq), Some(ack), true));
        }
        // The server's state when the SYN came: its SYN+ACK shows that something listened.
        let listened = Item::Line(vec![
            text(t(lang, Msg::WkQListen)),
            key.blank(
                state_name(lang, TcpState::Listen),
                say(lang, Msg::WkAListen, &[("port", &open.server.port())]),
            ),
        ]);
        sections.push(Section {
            title: t(lang, Msg::WkSecHandshake),
            items: vec![
                Item::Line(vec![text(say(
                    lang,
                    Msg::WkHandshakeIntro,
                    &[("j", &j), ("k", &k)],
                ))]),
                Item::Table {
                    head: segment_head(lang),
                    rows,
                },
                listened,
            ],
        });
    }

    // 3. The HTTP upgrade and the Accept computation.
    let hs = mine.iter().find_map(|e| match e {
        Event::WsHandshake(h) => Some(h),
        _ => None,
    });
    let req = mine.iter().find_map(|e| match e {
        Event::Http(h) if h.dir == Dir::C2S && h.header("Sec-WebSocket-Key").is_some() => Some(h),
        _ => None,
    });
    if let (Some(hs), Some(req)) = (hs, req)
        && let Some(k) = req.header("Sec-WebSocket-Key")
    {
        let steps = crate::http::accept_steps(k);
        let mut sha1_hex = String::new();
        for b in steps.sha1 {
            sha1_hex.push_str(&format!("{b:02x}"));
        }
        let mut items = vec![Item::Line(vec![text(t(lang, Msg::WkUpgradeIntro))])];
        let mut head = String::new();
        if let crate::event::HttpKind::Request { method, path } = &req.kind {
            head.push_str(&format!("{method} {path} {}\n", req.version));
        }
        for (n, v) in &req.headers {
            let interesting = [
                "upgrade",
                "connection",
                "sec-websocket-key",
                "sec-websocket-version",
            ];
            if interesting.iter().any(|i| n.eq_ignore_ascii_case(i)) {
                head.push_str(&format!("{n}: {v}\n"));
            }
        }
        // Captured text, escaped line by line (the line breaks are ours).
        let shown: Vec<String> = head
            .trim_end()
            .lines()
            .map(|l| crate::text::escape_for_terminal(l).into_owned())
            .collect();
        items.push(Item::Code(shown.join("\n")));
        items.push(Item::Line(vec![
            text(t(lang, Msg::WkQStatus)),
            key.blank(
                hs.status.to_string(),
                t(
                    lang,
                    if hs.status == 101 {
                        Msg::WkAStatus101
                    } else {
                        Msg::WkAStatusOther
                    },
                ),
            ),
        ]));
        items.push(Item::Line(vec![text(say(
            lang,
            Msg::WkAcceptIntro,
            &[("guid", &WS_GUID)],
        ))]));
        items.push(Item::Line(vec![
            text(t(lang, Msg::WkQConcat)),
            key.blank(
                crate::text::escape_for_terminal(&steps.concatenated).into_owned(),
                t(lang, Msg::WkAConcat),
            ),
        ]));
        items.push(Item::Line(vec![
            text(t(lang, Msg::WkQSha1)),
            key.blank(sha1_hex, t(lang, Msg::WkASha1)),
        ]));
        items.push(Item::Line(vec![
            text(t(lang, Msg::WkQBase64)),
            key.blank(steps.base64.clone(), t(lang, Msg::WkABase64)),
        ]));
        // A command to check by machine, offered only for keys that are safe inside quotes
        // (a captured key can hold anything).
        let safe = |c: char| c.is_ascii_alphanumeric() || "+/=-".contains(c);
        if steps.concatenated.chars().all(safe) {
            items.push(Item::Line(vec![text(t(lang, Msg::WkAcceptTool))]));
            items.push(Item::Code(format!(
                "printf '%s' '{c}' | sha1sum\nprintf '%s' '{c}' | openssl sha1 -binary | base64",
                c = steps.concatenated
            )));
        }
        let got = hs.accept.as_deref().map_or_else(
            || "—".into(),
            |a| crate::text::escape_for_terminal(a).into_owned(),
        );
        let verdict = if hs.accept_ok {
            Msg::WkAMatchYes
        } else {
            Msg::WkAMatchNo
        };
        items.push(Item::Line(vec![
            text(t(lang, Msg::WkQMatch)),
            key.blank(
                t(lang, if hs.accept_ok { Msg::WYes } else { Msg::WNo }),
                say(lang, verdict, &[("got", &got), ("want", &steps.base64)]),
            ),
        ]));
        sections.push(Section {
            title: t(lang, Msg::WkSecUpgrade),
            items,
        });
    }

    // 4. Unmask the first masked client data frame.
    let frame = mine.iter().find_map(|e| match e {
        Event::WsFrame(f)
            if f.dir == Dir::C2S
                && f.header.mask_key.is_some()
                && matches!(f.header.opcode, Opcode::Text | Opcode::Binary)
                && !f.preview.is_empty() =>
        {
            Some(f)
        }
        _ => None,
    });
    if let Some(f) = frame {
        sections.push(frame_section(lang, &mut key, f, &mine));
    }

    // 5. Closing: who closes, the code, and the TCP teardown.
    let mut items = Vec::new();
    let close = mine.iter().find_map(|e| match e {
        Event::WsMessage(m) if m.opcode == Opcode::Close => Some(m),
        _ => None,
    });
    if let Some(c) = close {
        items.push(Item::Line(vec![text(say(
            lang,
            Msg::WkCloseFrame,
            &[("dir", &dir_label(lang, c.dir))],
        ))]));
        if let Some(code) = c.close_code {
            items.push(Item::Line(vec![
                text(t(lang, Msg::WkQCloseCode)),
                key.blank(
                    code.to_string(),
                    say(
                        lang,
                        Msg::WkACloseCode,
                        &[("code", &code), ("meaning", &t(lang, close_meaning(code)))],
                    ),
                ),
            ]));
        }
    }
    if let Some(first_fin) = segs.iter().position(|s| s.flags.fin() || s.flags.rst()) {
        let mut rows = Vec::new();
        // The teardown: from the first FIN to the end, a handful of segments at most.
        let mut fin_end: [Option<u32>; 2] = [None, None];
        for s in segs[first_fin..].iter().take(6) {
            let ack = s.flags.ack().then_some(()).and_then(|_| {
                let other = s.dir.flip().idx();
                fin_end[other]
                    .filter(|&e| e == s.ack)
                    .map(|e| (e.to_string(), say(lang, Msg::WkAFinAck, &[("ack", &e)])))
            });
            if s.flags.fin() {
                fin_end[s.dir.idx()] = Some(s.seq.wrapping_add(s.len).wrapping_add(1));
            }
            rows.push(segment_row(lang, &mut key, s, None, ack, true));
        }
        items.push(Item::Line(vec![text(t(lang, Msg::WkTeardownIntro))]));
        items.push(Item::Table {
            head: segment_head(lang),
            rows,
        });
    }
    if !items.is_empty() {
        sections.push(Section {
            title: t(lang, Msg::WkSecClose),
            items,
        });
    }

    let file = crate::text::escape_for_terminal(file).into_owned();
    Some(Sheet {
        lang,
        title: say(lang, Msg::WkTitle, &[("file", &file), ("conn", &conn)]),
        header: vec![t(lang, Msg::WkName), t(lang, Msg::WkDate)],
        intro: t(lang, Msg::WkIntro),
        sections,
        answers: key.answers,
        answers_title: t(lang, Msg::WkAnswers),
    })
}

/// The frame-unmasking exercise: the header's fields, then byte by byte XOR with the key.
fn frame_section(lang: Lang, key: &mut Key, f: &WsFrame, mine: &[&Event]) -> Section {
    let h = &f.header;
    let mask = h.mask_key.unwrap_or_default();
    let mut items = vec![
        Item::Line(vec![text(t(lang, Msg::WkFrameIntro))]),
        Item::Code(hex(h.raw())),
        Item::Line(vec![
            text("FIN = "),
            key.blank(
                u8::from(h.fin).to_string(),
                say(lang, Msg::WkAFin, &[("byte", &format!("{:02x}", h.raw[0]))]),
            ),
            text("   opcode = "),
            key.blank(
                format!("0x{:x} ({})", h.opcode.code(), h.opcode.as_str()),
                say(
                    lang,
                    Msg::WkAOpcode,
                    &[("byte", &format!("{:02x}", h.raw[0]))],
                ),
            ),
        ]),
        Item::Line(vec![
            text("MASK = "),
            key.blank(
                u8::from(h.masked).to_string(),
                say(
                    lang,
                    Msg::WkAMask,
                    &[("byte", &format!("{:02x}", h.raw[1]))],
                ),
            ),
            text(format!("   {} = ", t(lang, Msg::WkPayloadLen))),
            key.blank(
                h.payload_len.to_string(),
                say(
                    lang,
                    Msg::WkALen,
                    &[("code", &h.len_code), ("len", &h.payload_len)],
                ),
            ),
        ]),
        Item::Line(vec![
            text(format!("{} = ", t(lang, Msg::WkMaskKey))),
            key.blank(hex(&mask), t(lang, Msg::WkAMaskKey)),
        ]),
    ];
    let n = f.preview.len().min(UNMASK_BYTES);
    let mut rows = Vec::new();
    let mut plain = Vec::with_capacity(n);
    for (i, &m) in f.preview[..n].iter().enumerate() {
        let kb = mask[i % 4];
        let p = m ^ kb;
        plain.push(p);
        rows.push(vec![
            text(i.to_string()),
            text(format!("{m:02x}")),
            text(format!("{kb:02x}")),
            key.blank(
                format!("{p:02x}"),
                say(
                    lang,
                    Msg::WkAXor,
                    &[
                        ("m", &format!("{m:02x}")),
                        ("k", &format!("{kb:02x}")),
                        ("i", &(i % 4)),
                        ("p", &format!("{p:02x}")),
                    ],
                ),
            ),
        ]);
    }
    items.push(Item::Line(vec![text(say(
        lang,
        Msg::WkUnmaskIntro,
        &[("n", &n)],
    ))]));
    items.push(Item::Table {
        head: vec![
            "i".into(),
            t(lang, Msg::WkColMasked),
            t(lang, Msg::WkColKeyByte),
            t(lang, Msg::WkColPlain),
        ],
        rows,
    });
    // Reading the bytes: the text of a whole, uncompressed text frame.
    let msg = mine.iter().find_map(|e| match e {
        Event::WsMessage(m)
            if m.dir == Dir::C2S && m.pkt == f.pkts.last().copied().unwrap_or(0) =>
        {
            Some(m)
        }
        _ => None,
    });
    let whole = h.fin && h.opcode == Opcode::Text && !h.rsv1 && (h.payload_len as usize) <= n;
    if whole && let Ok(s) = std::str::from_utf8(&plain) {
        items.push(Item::Line(vec![
            text(t(lang, Msg::WkQText)),
            key.blank(
                crate::text::escape_for_terminal(s).into_owned(),
                t(lang, Msg::WkAText),
            ),
        ]));
    } else if h.rsv1 {
        items.push(Item::Line(vec![text(t(lang, Msg::WkCompressed))]));
    } else if let Some(m) = msg
        && let Some(txt) = &m.text
    {
        let shown = crate::text::escape_for_terminal(txt).into_owned();
        items.push(Item::Line(vec![text(say(
            lang,
            Msg::WkWholeText,
            &[("text", &shown)],
        ))]));
    }
    Section {
        title: t(lang, Msg::WkSecFrame),
        items,
    }
}
