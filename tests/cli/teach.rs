//! The teaching layer on the bundled captures: narration (English and Chinese), the
//! polling-versus-WebSocket figures against the peers' own logs, and the diagram exports.

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;
use wslens::event::*;
use wslens::ladder::{self, LadderOpts};
use wslens::teach::catalog::{self, Msg};
use wslens::teach::stats::compare;
use wslens::teach::{Lang, Narrator};

/// Every event with its narration in `lang`.
fn narrated(name: &str, lang: Lang) -> Vec<(Event, Vec<String>)> {
    let mut n = Narrator::new(lang);
    common::decode(&common::capture(name))
        .into_iter()
        .map(|e| {
            let lines = n.next(&e);
            (e, lines)
        })
        .collect()
}

fn handshake_seg(evs: &[(Event, Vec<String>)], h: Handshake) -> (&TcpSegment, &Vec<String>) {
    evs.iter()
        .find_map(|(e, l)| match e {
            Event::Tcp(s) if s.handshake == Some(h) => Some((s, l)),
            _ => None,
        })
        .expect("handshake segment in the capture")
}

#[test]
fn classroom_handshake_is_explained_with_its_real_numbers() {
    let evs = narrated("classroom.pcap", Lang::En);
    let (syn, syn_text) = handshake_seg(&evs, Handshake::Syn);
    let all = syn_text.join(" ");
    assert!(all.contains(&format!("j = {}", syn.seq)), "{all}");
    assert!(
        all.contains(&format!("j+1 = {}", syn.seq.wrapping_add(1))),
        "{all}"
    );
    // Nothing claims a listener before the server's answer shows one.
    assert!(all.contains("SYN_SENT") && !all.contains("LISTEN"), "{all}");
    assert!(all.contains("shows only in the server's answer"), "{all}");

    let (sa, sa_text) = handshake_seg(&evs, Handshake::SynAck);
    let all = sa_text.join(" ");
    assert_eq!(sa.ack, syn.seq.wrapping_add(1), "capture sanity");
    assert!(
        all.contains(&format!("ack = {} = j+1 = {}+1", sa.ack, syn.seq)),
        "{all}"
    );
    assert!(all.contains(&format!("k = {}", sa.seq)), "{all}");
    assert!(
        all.contains("SYN_RECEIVED") && all.contains("listening (LISTEN)"),
        "{all}"
    );
    assert_eq!(
        (sa.client_state, sa.server_state),
        (TcpState::Established, TcpState::SynReceived),
        "the client takes the SYN+ACK as it arrives"
    );

    let (ack, ack_text) = handshake_seg(&evs, Handshake::Ack);
    let all = ack_text.join(" ");
    assert!(
        all.contains(&format!("ack = {} = k+1 = {}+1", ack.ack, sa.seq)),
        "{all}"
    );
    assert!(
        all.contains("Both ends are now ESTABLISHED") && all.contains("full duplex"),
        "{all}"
    );
    assert_eq!(
        (ack.client_state, ack.server_state),
        (TcpState::Established, TcpState::Established),
        "after the third handshake segment both ends are ESTABLISHED"
    );
}

#[test]
fn classroom_in_chinese_uses_the_textbook_terms() {
    let evs = narrated("classroom.pcap", Lang::Zh);
    let (syn, syn_text) = handshake_seg(&evs, Handshake::Syn);
    let s = syn_text.join("");
    assert!(s.contains("三次握手") && s.contains("SYN_SEND"), "{s}");
    assert!(s.contains(&format!("syn=j={}", syn.seq)), "{s}");
    let (sa, sa_text) = handshake_seg(&evs, Handshake::SynAck);
    let s = sa_text.join("");
    assert!(s.contains("三次握手") && s.contains("SYN_RECV"), "{s}");
    assert!(
        s.contains(&format!("ack=j+1={}+1={}", syn.seq, sa.ack)),
        "{s}"
    );
    let everything: String = evs.iter().flat_map(|(_, l)| l.iter().cloned()).collect();
    for term in [
        "套接字",
        "服务器监听",
        "客户端请求",
        "连接确认",
        "全双工",
        "ESTABLISHED",
        "客户端和服务器都进入了 ESTABLISHED 状态",
        "CLOSE_WAIT",
        "掩码",
    ] {
        assert!(everything.contains(term), "missing {term}");
    }
}

#[test]
fn conn_open_lists_the_five_facts_of_a_socket() {
    for lang in Lang::ALL {
        let evs = narrated("classroom.pcap", lang);
        let (o, lines) = evs
            .iter()
            .find_map(|(e, l)| match e {
                Event::ConnOpen(o) => Some((o, l)),
                _ => None,
            })
            .unwrap();
        let s = lines.join(" ");
        let facts = match lang {
            Lang::En => [
                "protocol TCP".to_string(),
                format!("local IP {}", o.client.ip()),
                format!("local port {}", o.client.port()),
                format!("remote IP {}", o.server.ip()),
                format!("remote port {}", o.server.port()),
            ],
            Lang::Zh => [
                "协议 TCP".to_string(),
                format!("本地 IP {}", o.client.ip()),
                format!("本地端口 {}", o.client.port()),
                format!("远地 IP {}", o.server.ip()),
                format!("远地端口 {}", o.server.port()),
            ],
        };
        for f in &facts {
            assert!(s.contains(f.as_str()), "{lang}: missing {f} in {s}");
        }
    }
}

#[test]
fn upgrade_and_frames_are_explained() {
    let evs = narrated("classroom.pcap", Lang::En);
    let hs = evs
        .iter()
        .find_map(|(e, l)| match e {
            Event::WsHandshake(h) => Some((h, l.join(" "))),
            _ => None,
        })
        .expect("classroom has an upgrade");
    let expected = hs.0.expected_accept.clone().unwrap();
    assert!(
        hs.1.contains(&format!("base64 {expected}")) && hs.1.contains("correct"),
        "{}",
        hs.1
    );
    let req = evs
        .iter()
        .find_map(|(e, l)| matches!(e, Event::Http(h) if h.dir == Dir::C2S).then(|| l.join(" ")))
        .unwrap();
    assert!(
        req.contains("Upgrade: websocket") && req.contains("Sec-WebSocket-Key"),
        "{req}"
    );
    let masked = evs
        .iter()
        .find_map(|(e, l)| match e {
            Event::WsFrame(f) if f.header.masked => Some((f, l.join(" "))),
            _ => None,
        })
        .unwrap();
    let k = masked.0.header.mask_key.unwrap();
    let key = format!("{:02x} {:02x} {:02x} {:02x}", k[0], k[1], k[2], k[3]);
    assert!(
        masked.1.contains(&key) && masked.1.contains("XOR"),
        "{}",
        masked.1
    );

    let bad = narrated("bad-accept.pcap", Lang::En);
    let text: String = bad
        .iter()
        .filter(|(e, _)| matches!(e, Event::WsHandshake(_)))
        .flat_map(|(_, l)| l.iter().cloned())
        .collect();
    assert!(text.contains("WRONG"), "{text}");
}

#[test]
fn deflate_narration_gives_wire_and_inflated_sizes() {
    let evs = narrated("deflate.pcap", Lang::En);
    let mut seen = 0;
    for (e, l) in &evs {
        if let Event::WsMessage(m) = e
            && m.compressed
            && m.inflate_error.is_none()
            && m.len > 0
        {
            let s = l.join(" ");
            assert!(
                s.contains(&m.wire_len.to_string()) && s.contains(&m.len.to_string()),
                "{s}"
            );
            assert!(s.contains("permessage-deflate"), "{s}");
            seen += 1;
        }
    }
    assert!(
        seen > 10,
        "deflate.pcap has many compressed messages, saw {seen}"
    );
}

#[test]
fn narration_is_complete_and_terminal_safe_on_every_small_capture() {
    let names: BTreeSet<&str> = Msg::ALL
        .iter()
        .flat_map(|&id| catalog::placeholders(catalog::text(Lang::En, id)))
        .collect();
    for path in common::all_captures() {
        if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) > 1 << 20 {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        for lang in Lang::ALL {
            for (e, lines) in narrated(&name, lang) {
                assert!(
                    !lines.is_empty() || matches!(e, Event::Tcp(_)),
                    "{name}: {e:?} has no narration"
                );
                for l in &lines {
                    assert!(
                        !l.chars().any(wslens::text::is_unsafe_char),
                        "{name}: unsafe {l:?}"
                    );
                    for n in &names {
                        assert!(
                            !l.contains(&format!("{{{n}}}")),
                            "{name}: unfilled {{{n}}} in {l}"
                        );
                    }
                }
            }
        }
    }
}

/// (polls, WebSocket data messages, Content-Length response body bytes, WebSocket payload bytes, polling
/// connections, WebSocket connections) as the peers logged them.
fn peer_figures(name: &str) -> (u32, u32, u64, u64, usize, usize) {
    let log = std::fs::read_to_string(common::capture(name)).unwrap();
    let (mut polls, mut msgs, mut body, mut payload) = (0, 0, 0, 0);
    let (mut pconns, mut wconns) = (BTreeSet::new(), BTreeSet::new());
    // Polling asks for the same path again and again: count requests whose path (query cut
    // off) was requested more than once.
    let path = |v: &serde_json::Value| {
        let p = v["path"].as_str().unwrap_or_default();
        p.split('?').next().unwrap_or_default().to_string()
    };
    let mut per_path = std::collections::HashMap::new();
    for line in log.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["action"] == "sent" && v["http"] == "request" {
            *per_path.entry(path(&v)).or_insert(0) += 1;
        }
    }
    for line in log.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["action"] != "sent" {
            continue;
        }
        let pair = (v["client"].to_string(), v["server"].to_string());
        if v["http"] == "request" {
            if per_path[&path(&v)] > 1 {
                polls += 1;
                pconns.insert(pair);
            }
        } else if v["http"] == "response" && v["chunked"] != true {
            // A chunked body's total is not carried by any event (the head is reported before
            // the body), so only Content-Length bodies can be compared.
            body += v["len"].as_u64().unwrap();
        } else if v["opcode"] == "text" || v["opcode"] == "binary" {
            msgs += 1;
            payload += v["len"].as_u64().unwrap();
            wconns.insert(pair);
        }
    }
    (polls, msgs, body, payload, pconns.len(), wconns.len())
}

#[test]
fn polling_vs_websocket_figures_match_the_peers() {
    let evs = common::decode(&common::capture("polling-vs-ws.pcap"));
    let c = compare(&evs);
    let (polls, msgs, body, payload, pconns, wconns) = peer_figures("polling-vs-ws.peers.ndjson");
    let p = &c.polling;
    assert_eq!(p.connections as usize, pconns);
    assert_eq!(
        p.handshakes, p.connections,
        "one handshake per poll connection"
    );
    assert_eq!(p.requests, polls);
    assert_eq!(p.messages, polls, "each poll brought one answer");
    assert_eq!(p.payload_bytes, body);
    let w = &c.websocket;
    assert_eq!(w.connections as usize, wconns);
    assert_eq!((w.connections, w.handshakes, w.requests), (1, 1, 1));
    assert_eq!(w.messages, msgs);
    // No permessage-deflate here, so the wire payload is the peers' payload.
    assert_eq!(w.payload_bytes, payload);
    // Each frame header is 2..14 bytes; each HTTP poll pays hundreds.
    let hdr = w.header_per_message().unwrap();
    assert!((2.0..=14.0).contains(&hdr), "{hdr}");
    assert!(p.header_per_message().unwrap() > 20.0 * hdr);
    // News waits for the next poll's answer (the polls here are about 200 ms apart); every
    // server message is a push that answers nothing, and arrives with its segment.
    assert!(p.news_wait_ms().unwrap() > 50.0, "{:?}", p.news_wait_ms());
    assert_eq!(w.news, msgs);
    assert!(w.news_wait_ms().unwrap() < p.news_wait_ms().unwrap() / 100.0);
    assert!(p.stream_per_payload_byte().unwrap() > w.stream_per_payload_byte().unwrap());

    let polling_only = compare(&common::decode(&common::capture("polling.pcap")));
    let (polls, _, body, _, pconns, _) = peer_figures("polling.peers.ndjson");
    assert_eq!(polling_only.polling.requests, polls);
    assert_eq!(polling_only.polling.connections as usize, pconns);
    assert_eq!(polling_only.polling.payload_bytes, body);
    assert!(polling_only.websocket.is_empty());
}

fn wslens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run wslens")
}

#[test]
fn stats_command_prints_both_parts_in_both_languages() {
    let out = wslens(&["stats", "captures/polling-vs-ws.pcap", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = compare(&common::decode(&common::capture("polling-vs-ws.pcap")));
    assert_eq!(v["polling"]["connections"], c.polling.connections);
    assert_eq!(v["websocket"]["messages"], c.websocket.messages);
    let zh = wslens(&["stats", "captures/polling-vs-ws.pcap", "--lang", "zh"]);
    let s = String::from_utf8(zh.stdout).unwrap();
    assert!(s.contains("HTTP 轮询") && s.contains("TCP 三次握手"), "{s}");
}

#[test]
fn decode_narrates_by_default_and_brief_does_not() {
    let full =
        String::from_utf8(wslens(&["decode", "captures/classroom.pcap", "--lang", "zh"]).stdout)
            .unwrap();
    let brief = String::from_utf8(
        wslens(&[
            "decode",
            "captures/classroom.pcap",
            "--brief",
            "--lang",
            "zh",
        ])
        .stdout,
    )
    .unwrap();
    assert!(full.contains("三次握手"));
    assert!(!brief.contains("Handshake 1/3") && !brief.contains("三次握手"));
    // The summary lines (in Chinese both times) are the same; narration only adds indented
    // lines.
    let summaries: Vec<&str> = full
        .lines()
        .filter(|l| !l.starts_with("          "))
        .collect();
    assert_eq!(summaries, brief.lines().collect::<Vec<_>>());
}

fn classroom_rows() -> (Vec<Event>, Vec<ladder::LadderRow>) {
    let evs = common::decode(&common::capture("classroom.pcap"));
    let rows = ladder::build(&evs, 1, LadderOpts::default());
    (evs, rows)
}

#[test]
fn diagram_txt_is_the_ladder_renderer_output() {
    let (_, rows) = classroom_rows();
    let out = wslens(&[
        "diagram",
        "captures/classroom.pcap",
        "--format",
        "txt",
        "--width",
        "90",
    ]);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let body: String = s.lines().skip(2).map(|l| format!("{l}\n")).collect();
    assert_eq!(body, ladder::render_text(&rows, "client", "server", 90));
    assert!(rows.len() > 30);
}

#[test]
fn diagram_mermaid_has_one_arrow_per_row() {
    let (_, rows) = classroom_rows();
    let out = wslens(&[
        "diagram",
        "captures/classroom.pcap",
        "--conn",
        "1",
        "--format",
        "mermaid",
    ]);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with("sequenceDiagram\n"));
    let arrows = s.lines().filter(|l| l.contains("->>")).count();
    assert_eq!(arrows, rows.iter().filter(|r| r.dir.is_some()).count());
    let remarks = s.lines().filter(|l| l.contains("Note over")).count();
    assert_eq!(arrows + remarks, rows.len());
}

#[test]
fn diagram_svg_renders_in_headless_chromium() {
    let dir = std::env::temp_dir().join(format!("wslens-teach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("classroom.svg");
    let out = wslens(&[
        "diagram",
        "captures/classroom.pcap",
        "--format",
        "svg",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg ") && text.contains("SYN_SENT") && !text.contains("<script"));
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        println!("skipped: chromium is not installed (apt-get install -y chromium)");
        return;
    };
    // A page with only the background is the baseline: the diagram must add a lot to it.
    let blank = dir.join("blank.svg");
    std::fs::write(
        &blank,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="1300"><rect width="1100" height="1300" fill="#fcfcf8"/></svg>"##,
    )
    .unwrap();
    let shot = |src: &std::path::Path, png: &std::path::Path| {
        let st = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--screenshot={}", png.display()))
            .arg("--window-size=1100,1300")
            .arg(format!("file://{}", src.display()))
            .output()
            .unwrap();
        assert!(
            png.exists(),
            "no screenshot: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        std::fs::read(png).unwrap()
    };
    let full = shot(&svg, &dir.join("full.png"));
    let base = shot(&blank, &dir.join("blank.png"));
    assert_eq!(&full[1..4], b"PNG");
    assert!(
        full.len() > base.len() * 4 && full.len() > 20_000,
        "{} vs {}",
        full.len(),
        base.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn udp_beside_tcp_compares_datagrams_with_segments() {
    let evs = common::decode(&common::capture("udp.pcap"));
    let c = compare(&evs);
    let (udg, useg) = evs.iter().fold((0u64, 0u64), |(u, t), e| match e {
        Event::Udp(_) => (u + 1, t),
        Event::Tcp(_) => (u, t + 1),
        _ => (u, t),
    });
    assert_eq!((c.udp.flows, c.udp.packets), (1, udg));
    assert_eq!((c.tcp.flows, c.tcp.packets), (1, useg));
    assert_eq!(c.udp.empty_packets, 0, "every datagram carries payload");
    // Handshake, pure ACKs and teardown: segments without payload.
    assert!(c.tcp.empty_packets >= 3 + 2, "{}", c.tcp.empty_packets);
    assert!(c.udp.first_payload_ms().unwrap() < c.tcp.first_payload_ms().unwrap());
    assert!(c.udp.header_per_payload_byte(true) < c.tcp.header_per_payload_byte(false));
    for lang in Lang::ALL {
        let t = wslens::teach::stats::render_text(&c, "udp.pcap", lang);
        assert!(
            t.contains(&format!("{udg}")) && t.contains(&format!("{useg}")),
            "{t}"
        );
        let words = match lang {
            Lang::En => "connectionless, unreliable, fast",
            Lang::Zh => "无连接、不可靠、速度快",
        };
        assert!(t.contains(words), "{t}");
    }
}

#[test]
fn morals_only_where_they_hold() {
    // browser.pcap: a page, an icon (404), three polls, then a WebSocket whose server pushes.
    let evs = narrated("browser.pcap", Lang::En);
    let mut poll_morals = Vec::new();
    for (e, l) in &evs {
        if l.iter().any(|s| s.contains("like this is polling")) {
            poll_morals.push(e.conn().unwrap());
        }
    }
    let path_of = |conn: u32| {
        evs.iter().find_map(|(e, _)| match e {
            Event::Http(h) if h.conn == conn => match &h.kind {
                HttpKind::Request { path, .. } => Some(path.clone()),
                _ => None,
            },
            _ => None,
        })
    };
    assert!(!poll_morals.is_empty());
    for c in &poll_morals {
        let p = path_of(*c).unwrap();
        assert!(p.starts_with("/poll"), "polling moral on {p}");
    }
    // An echo answers the client: no "replaces polling" there.
    let echo = narrated("echo-python.pcap", Lang::En);
    assert!(
        !echo
            .iter()
            .any(|(_, l)| l.iter().any(|s| s.contains("replaces polling"))),
        "an echo is not a push"
    );
    let push = narrated("polling-vs-ws.pcap", Lang::En);
    assert!(
        push.iter()
            .any(|(_, l)| l.iter().any(|s| s.contains("replaces polling")))
    );
}
