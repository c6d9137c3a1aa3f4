//! Worksheets on the bundled real captures: every answer in the key is what the capture shows
//! (the arithmetic of seq/ack, both ends' states, the Accept computation, the unmasked bytes),
//! every blank is printed once and answered once, in English and Chinese, Markdown and HTML.

use crate::common;

use std::process::Command;
use wslens::decoder::DecodeOptions;
use wslens::event::*;
use wslens::limits::Limits;
use wslens::teach::Lang;
use wslens::teach::worksheet::{self, Cell, Item, Sheet, render};

fn events(name: &str) -> Vec<Event> {
    let limits = Limits {
        frame_preview: worksheet::UNMASK_BYTES,
        ..Limits::default()
    };
    common::decode_with(
        &common::capture(name),
        DecodeOptions {
            limits,
            ..Default::default()
        },
    )
}

fn sheet(name: &str, lang: Lang) -> (Vec<Event>, Sheet) {
    let evs = events(name);
    let conn = worksheet::pick_conn(&evs).expect("a connection");
    let s = worksheet::build(&evs, conn, name, lang).expect("a worksheet");
    (evs, s)
}

/// Blanks in order of appearance, across every line and table.
fn blanks(s: &Sheet) -> Vec<usize> {
    let mut v = Vec::new();
    for sec in &s.sections {
        for it in &sec.items {
            let cells: Vec<&Cell> = match it {
                Item::Line(c) => c.iter().collect(),
                Item::Table { rows, .. } => rows.iter().flatten().collect(),
                Item::Code(_) => Vec::new(),
            };
            v.extend(cells.into_iter().filter_map(|c| match c {
                Cell::Blank(n) => Some(*n),
                Cell::Text(_) => None,
            }));
        }
    }
    v
}

fn answer(s: &Sheet, n: usize) -> &str {
    &s.answers[n - 1].answer
}

/// The table whose first row's flags are `flags`, as rows of cells.
fn table_starting_with<'a>(s: &'a Sheet, flags: &str) -> &'a [Vec<Cell>] {
    s.sections
        .iter()
        .flat_map(|sec| sec.items.iter())
        .find_map(|it| match it {
            Item::Table { rows, .. } if matches!(rows[0].get(1), Some(Cell::Text(f)) if f == flags) => {
                Some(rows.as_slice())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no table starting with {flags}"))
}

fn blank_no(c: &Cell) -> usize {
    match c {
        Cell::Blank(n) => *n,
        Cell::Text(t) => panic!("expected a blank, found {t:?}"),
    }
}

#[test]
fn every_blank_is_answered_once_in_order() {
    for name in [
        "classroom.pcap",
        "echo-node.pcap",
        "deflate.pcap",
        "browser.pcap",
        "lossy.pcap",
    ] {
        for lang in Lang::ALL {
            let (_, s) = sheet(name, lang);
            let b = blanks(&s);
            assert_eq!(
                b,
                (1..=s.answers.len()).collect::<Vec<_>>(),
                "{name} {lang}"
            );
            assert!(
                s.answers.len() >= 15,
                "{name}: only {} blanks",
                s.answers.len()
            );
            for a in &s.answers {
                assert!(
                    !a.answer.is_empty() && !a.why.is_empty(),
                    "{name} {lang}: {a:?}"
                );
            }
        }
    }
}

#[test]
fn handshake_answers_are_the_captures_numbers_and_states() {
    for name in [
        "classroom.pcap",
        "echo-python.pcap",
        "browser.pcap",
        "ipv6.pcap",
    ] {
        let (evs, s) = sheet(name, Lang::En);
        let conn = worksheet::pick_conn(&evs).unwrap();
        let seg = |h: Handshake| {
            evs.iter()
                .find_map(|e| match e {
                    Event::Tcp(t) if t.conn == conn && t.handshake == Some(h) => Some(t.clone()),
                    _ => None,
                })
                .unwrap()
        };
        let (syn, synack, ack) = (
            seg(Handshake::Syn),
            seg(Handshake::SynAck),
            seg(Handshake::Ack),
        );
        let rows = table_starting_with(&s, "SYN");
        // SYN-ACK's ack is j+1, the third segment's seq j+1 and ack k+1.
        assert_eq!(
            answer(&s, blank_no(&rows[1][3])),
            syn.seq.wrapping_add(1).to_string()
        );
        assert_eq!(
            answer(&s, blank_no(&rows[2][2])),
            syn.seq.wrapping_add(1).to_string()
        );
        assert_eq!(
            answer(&s, blank_no(&rows[2][3])),
            synack.seq.wrapping_add(1).to_string()
        );
        // States: whatever the decoder says both ends are after each segment.
        for (i, (row, t)) in rows.iter().zip([&syn, &synack, &ack]).enumerate() {
            assert_eq!(
                answer(&s, blank_no(&row[4])),
                t.client_state.as_str(),
                "{name}"
            );
            if i == 0 {
                // Whether anything listened shows only in the answer: asked below the table.
                assert_eq!(row[5], Cell::Text("—".into()));
            } else {
                assert_eq!(
                    answer(&s, blank_no(&row[5])),
                    t.server_state.as_str(),
                    "{name}"
                );
            }
        }
        // The tutorial: after the third segment both ends are ESTABLISHED.
        assert_eq!(answer(&s, blank_no(&rows[2][4])), "ESTABLISHED", "{name}");
        assert_eq!(answer(&s, blank_no(&rows[2][5])), "ESTABLISHED", "{name}");
        assert!(
            s.answers
                .iter()
                .any(|a| a.answer == "LISTEN" && a.why.contains("SYN+ACK"))
        );
    }
}

#[test]
fn accept_and_unmasking_answers_check_out() {
    for name in ["classroom.pcap", "echo-node.pcap", "chat.pcap"] {
        let (evs, s) = sheet(name, Lang::En);
        let hs = evs
            .iter()
            .find_map(|e| match e {
                Event::WsHandshake(h) if h.upgraded => Some(h.clone()),
                _ => None,
            })
            .unwrap();
        let want = hs.expected_accept.clone().unwrap();
        assert!(
            s.answers.iter().any(|a| a.answer == want),
            "{name}: no {want}"
        );
        // The first masked client frame: each unmasked byte is masked XOR key.
        let f = evs
            .iter()
            .find_map(|e| match e {
                Event::WsFrame(f)
                    if f.dir == Dir::C2S && f.header.masked && !f.preview.is_empty() =>
                {
                    Some(f.clone())
                }
                _ => None,
            })
            .unwrap();
        let key = f.header.mask_key.unwrap();
        let key_hex = key
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(s.answers.iter().any(|a| a.answer == key_hex), "{name}");
        let rows = s
            .sections
            .iter()
            .flat_map(|x| x.items.iter())
            .find_map(|it| match it {
                Item::Table { head, rows } if head[0] == "i" => Some(rows),
                _ => None,
            })
            .unwrap();
        assert_eq!(rows.len(), f.preview.len().min(worksheet::UNMASK_BYTES));
        for (i, row) in rows.iter().enumerate() {
            let plain = f.preview[i] ^ key[i % 4];
            assert_eq!(
                answer(&s, blank_no(&row[3])),
                format!("{plain:02x}"),
                "{name} byte {i}"
            );
        }
    }
    // classroom's first client message is "Hello": the student reads it from the bytes.
    let (_, s) = sheet("classroom.pcap", Lang::En);
    assert!(s.answers.iter().any(|a| a.answer == "Hello"));
}

#[test]
fn the_teardown_asks_for_fin_acks() {
    let (evs, s) = sheet("classroom.pcap", Lang::En);
    let fins: Vec<&TcpSegment> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Tcp(t) if t.flags.fin() => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(fins.len(), 2, "capture sanity");
    for f in fins {
        let ack = f.seq.wrapping_add(1).to_string();
        assert!(
            s.answers
                .iter()
                .any(|a| a.answer == ack && a.why.contains("FIN")),
            "no FIN ack {ack}"
        );
    }
    assert!(s.answers.iter().any(|a| a.answer == "1000"), "close code");
}

#[test]
fn markdown_and_html_print_every_blank_and_the_key() {
    for lang in Lang::ALL {
        let (_, s) = sheet("classroom.pcap", lang);
        let md = render::markdown(&s);
        let html = render::html(&s);
        for a in &s.answers {
            assert_eq!(
                md.matches(&format!("({}) \\_", a.n)).count(),
                1,
                "md blank {}",
                a.n
            );
            assert_eq!(
                html.matches(&format!("<sup>{}</sup>", a.n)).count(),
                1,
                "html {}",
                a.n
            );
            assert!(html.contains(&format!("<li value=\"{}\">", a.n)));
        }
        assert!(md.contains(&s.answers_title) && html.contains("class=\"key\""));
        assert_eq!(
            html.matches("<table>").count(),
            html.matches("</table>").count()
        );
    }
    let (_, zh) = sheet("classroom.pcap", Lang::Zh);
    let md = render::markdown(&zh);
    assert!(md.contains("三次握手") && md.contains("参考答案") && md.contains("第 1 步，共 4 步"));
}

#[test]
fn captured_text_cannot_break_the_html() {
    // A crafted key with markup: it must arrive as text, never as tags.
    let mut evs = events("classroom.pcap");
    for e in &mut evs {
        if let Event::Http(h) = e {
            for (n, v) in &mut h.headers {
                if n.eq_ignore_ascii_case("Sec-WebSocket-Key") {
                    *v = "<script>alert(1)</script>\u{1b}[2J".into();
                }
            }
        }
    }
    let s = worksheet::build(&evs, 1, "x<y>.pcap", Lang::En).unwrap();
    let html = render::html(&s);
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(!html.contains('\u{1b}'));
    let md = render::markdown(&s);
    assert!(
        !md.contains('\u{1b}') && !md.contains("printf"),
        "no command for an unsafe key"
    );
}

#[test]
fn cli_writes_worksheets_and_refuses_missing_connections() {
    let exe = env!("CARGO_BIN_EXE_wslens");
    let dir = std::env::temp_dir().join(format!("wslens-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("sheet.html");
    let st = Command::new(exe)
        .args(["--lang", "zh", "worksheet", "--format", "html", "-o"])
        .arg(&out)
        .arg(common::capture("classroom.pcap"))
        .status()
        .unwrap();
    assert!(st.success());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("lang=\"zh-Hans\""));
    assert!(html.contains("参考答案"));
    let o = Command::new(exe)
        .args(["worksheet", "--conn", "99"])
        .arg(common::capture("classroom.pcap"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no TCP connection 99"));
    let _ = std::fs::remove_dir_all(&dir);
}
