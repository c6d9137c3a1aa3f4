use super::*;
use crate::event::*;

fn msg(dir: Dir, op: Opcode, text: Option<&str>, len: u64) -> Event {
    let mut m = WsMessage::for_test(dir, text, &[]);
    m.conn = 2;
    m.pkt = 9;
    m.ts = Ts(1_500_000_000);
    m.opcode = op;
    m.wire_len = len;
    m.len = len;
    Event::WsMessage(m)
}

fn open() -> Event {
    Event::ConnOpen(ConnOpen {
        conn: 2,
        proto: Proto::Tcp,
        client: "127.0.0.1:50000".parse().unwrap(),
        server: "127.0.0.1:8080".parse().unwrap(),
        pkt: 1,
        ts: Ts(0),
        guessed: false,
    })
}

fn check(expr: &str, ev: &Event) -> bool {
    let mut f = Filter::new(expr).unwrap_or_else(|e| panic!("{}", e.pointed(expr)));
    f.matches(&open());
    f.matches(ev)
}

#[test]
fn comparisons_and_logic() {
    let bin = msg(Dir::S2C, Opcode::Binary, None, 300);
    let txt = msg(Dir::C2S, Opcode::Text, Some("Hello World"), 11);
    assert!(check("ws.opcode == binary && dir == s2c", &bin));
    assert!(!check("ws.opcode == binary && dir == s2c", &txt));
    assert!(check("ws.len > 100 and ws.len <= 300", &bin));
    assert!(check("ws.len >= 0x12c", &bin));
    assert!(check("ws.text contains \"World\"", &txt));
    assert!(!check("ws.text contains \"world\"", &txt));
    assert!(check("ws.text matches \"^hello\\\\s\"", &txt));
    assert!(check("!(dir == s2c) || ws.len < 2", &txt));
    assert!(check("port == 8080 && port == 50000", &txt));
    assert!(check("conn == 2 && pkt == 9 && ts > 1.4 && ts < 1.6", &txt));
    assert!(check("event == ws_message", &txt));
    assert!(check(
        "(ws.opcode == text || ws.opcode == close) && not ws.compressed == true",
        &txt
    ));
}

#[test]
fn missing_fields_never_match_but_can_be_negated() {
    let bin = msg(Dir::S2C, Opcode::Binary, None, 3);
    assert!(!check("ws.text == \"x\"", &bin));
    assert!(!check("ws.text != \"x\"", &bin));
    assert!(check("!ws.text", &bin));
    assert!(!check("http.status >= 0", &bin));
    assert!(check("ws.len", &bin));
    assert!(!check("tcp.analysis", &bin));
}

#[test]
fn errors_name_their_position() {
    for (expr, pos) in [
        ("ws.opcode = text", 10),
        ("ws.opcod == text", 0),
        ("ws.len > big", 9),
        ("(dir == c2s", 11),
        ("dir == c2s &&", 13),
        ("dir == \"c2s", 7),
        ("ws.text matches \"(\"", 16),
        ("dir c2s", 4),
        ("dir == c2s)", 10),
        ("", 0),
    ] {
        let e = Filter::new(expr)
            .err()
            .unwrap_or_else(|| panic!("{expr:?} compiled"));
        assert_eq!(e.pos, pos, "{expr:?}: {e}");
        assert!(e.pointed(expr).contains('^'));
    }
}

#[test]
fn plain_words_are_not_expressions() {
    assert!(!Filter::looks_like_expression("hello"));
    assert!(!Filter::looks_like_expression("hello world"));
    assert!(!Filter::looks_like_expression("GET /chat"));
    assert!(Filter::looks_like_expression("tcp.analysis"));
    assert!(Filter::looks_like_expression("conn"));
    assert!(Filter::looks_like_expression("dir == c2s"));
}

#[test]
fn every_field_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/filters.md"))
        .expect("docs/filters.md");
    for (_, name, _) in Field::ALL {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/filters.md lacks {name}"
        );
    }
}
