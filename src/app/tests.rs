//! The application layer driven directly with byte streams, as the TCP layer would.

use super::*;
use crate::event::{Event, Ts};

struct Rig {
    app: AppLayer,
    conn: AppConn,
    events: Vec<Event>,
    pkt: u64,
}

impl Rig {
    fn new() -> Self {
        Self::with(Limits::default())
    }
    fn with(limits: Limits) -> Self {
        Rig {
            app: AppLayer::new(limits),
            conn: AppConn::default(),
            events: Vec::new(),
            pkt: 0,
        }
    }
    fn cx(&mut self, dir: Dir) -> StreamCtx {
        self.pkt += 1;
        StreamCtx {
            conn: 7,
            dir,
            pkt: self.pkt,
            ts: Ts(self.pkt as i64 * 1000),
        }
    }
    fn send(&mut self, dir: Dir, data: &[u8]) {
        let cx = self.cx(dir);
        let ev = &mut self.events;
        self.app.data(&mut self.conn, cx, data, &mut |e| ev.push(e));
    }
    fn gap(&mut self, dir: Dir, len: u64) {
        let cx = self.cx(dir);
        let ev = &mut self.events;
        self.app.gap(&mut self.conn, cx, len, &mut |e| ev.push(e));
    }
    fn end(&mut self, dir: Dir) {
        let cx = self.cx(dir);
        let ev = &mut self.events;
        self.app.end(&mut self.conn, cx, &mut |e| ev.push(e));
    }
    fn names(&self) -> Vec<&'static str> {
        self.events
            .iter()
            .filter(|e| !matches!(e, Event::WsFrame(_) | Event::WsMessage(_)))
            .map(|e| match e {
                Event::Note(n) => n.code,
                e => e.name(),
            })
            .collect()
    }
    fn handshake(&self) -> &crate::event::WsHandshake {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::WsHandshake(h) => Some(h),
                _ => None,
            })
            .expect("a ws_handshake event")
    }
    fn heads(&self) -> Vec<&HttpHead> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Http(h) => Some(&**h),
                _ => None,
            })
            .collect()
    }
}

use crate::event::HttpHead;

const REQ: &[u8] = b"GET /chat HTTP/1.1\r\nHost: localhost:9001\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
const RESP: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n";
/// An unmasked server text frame "Hello" (RFC 6455 §5.7) and a close frame.
const S_FRAMES: &[u8] = b"\x81\x05Hello\x88\x02\x03\xe8";
/// A masked client text frame "Hello" (RFC 6455 §5.7).
const C_FRAME: &[u8] = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";

#[test]
fn frames_in_the_same_segment_as_the_101_reach_the_ws_decoder() {
    let mut r = Rig::new();
    r.send(Dir::C2S, REQ);
    assert_eq!(r.conn.proto(), Proto::Http);
    r.send(Dir::S2C, &[RESP, S_FRAMES].concat());
    assert_eq!(r.conn.proto(), Proto::WebSocket);
    assert_eq!(r.conn.ws_fed(Dir::S2C), Some(S_FRAMES));
    assert_eq!(r.names(), ["http", "http", "ws_handshake"]);
    let hs = r.handshake();
    assert!(hs.upgraded && hs.accept_ok, "{:?}", hs.problems);
    assert_eq!(hs.pkt, 2);
    assert!(hs.deflate.is_some_and(|d| d.server_no_context_takeover));
    // After the switch data goes straight to the decoder.
    r.send(Dir::C2S, C_FRAME);
    assert_eq!(r.conn.ws_fed(Dir::C2S), Some(C_FRAME));
    let h = r.heads();
    assert_eq!(h[0].head_len as usize, REQ.len());
    assert_eq!(h[1].head_len as usize, RESP.len());
    assert_eq!(h[1].body_len, Some(0));
}

#[test]
fn upgrade_split_at_every_byte_in_both_directions() {
    let s2c = [RESP, S_FRAMES].concat();
    let c2s = [REQ, C_FRAME].concat();
    for a in 0..=s2c.len() {
        let b = a.min(c2s.len());
        let mut r = Rig::new();
        // The client's frame follows its request in the same stream, before the 101 comes.
        r.send(Dir::C2S, &c2s[..b]);
        r.send(Dir::C2S, &c2s[b..]);
        r.send(Dir::S2C, &s2c[..a]);
        r.send(Dir::S2C, &s2c[a..]);
        assert_eq!(r.conn.proto(), Proto::WebSocket, "split {a}");
        assert_eq!(r.conn.ws_fed(Dir::S2C), Some(S_FRAMES), "split {a}");
        assert_eq!(r.conn.ws_fed(Dir::C2S), Some(C_FRAME), "split {a}");
        assert_eq!(r.names(), ["http", "http", "ws_handshake"], "split {a}");
    }
}

#[test]
fn tiny_segments() {
    let mut r = Rig::new();
    for c in REQ.chunks(1) {
        r.send(Dir::C2S, c);
    }
    for c in [RESP, S_FRAMES].concat().chunks(3) {
        r.send(Dir::S2C, c);
    }
    assert_eq!(r.conn.ws_fed(Dir::S2C), Some(S_FRAMES));
    assert_eq!(
        r.heads()[0].pkt,
        REQ.len() as u64,
        "the packet that completed the head"
    );
    assert!(r.handshake().upgraded);
}

#[test]
fn rejected_upgrade_stays_http_and_replays_held_bytes() {
    let mut r = Rig::new();
    // The client pipelines a plain request behind the upgrade request.
    r.send(Dir::C2S, &[REQ, b"GET /after HTTP/1.1\r\n\r\n"].concat());
    assert_eq!(
        r.names(),
        ["http"],
        "the bytes after an upgrade request wait"
    );
    r.send(
        Dir::S2C,
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden",
    );
    r.send(Dir::S2C, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(r.conn.proto(), Proto::Http);
    assert_eq!(r.names(), ["http", "http", "ws_handshake", "http", "http"]);
    let hs = r.handshake();
    assert!(!hs.upgraded);
    assert_eq!(hs.status, 403);
    assert!(hs.problems.iter().any(|p| p.contains("403")));
    let h = r.heads();
    assert!(matches!(&h[2].kind, crate::event::HttpKind::Request { path, .. } if path == "/after"));
}

#[test]
fn wrong_accept_fails_and_what_follows_is_read_as_frames_with_a_warning() {
    let mut r = Rig::new();
    r.send(Dir::C2S, REQ);
    let bad = String::from_utf8(RESP.to_vec())
        .unwrap()
        .replace("xOo=", "xOA=");
    r.send(Dir::S2C, &[bad.as_bytes(), S_FRAMES].concat());
    // The server switched protocols on its side: its frames are decoded (issue #19, as in
    // Zeek's capture where the server goes on with a ping), not taken for HTTP.
    assert_eq!(r.conn.proto(), Proto::WebSocket);
    let hs = r.handshake();
    assert!(!hs.upgraded && !hs.accept_ok);
    assert_eq!(hs.accept.as_deref(), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOA="));
    assert_eq!(
        hs.expected_accept.as_deref(),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(
        r.names(),
        ["http", "http", "ws_handshake", "ws-after-failed-upgrade"]
    );
    assert!(
        r.events.iter().any(|e| matches!(e, Event::WsMessage(_))),
        "the frames after the 101 are decoded"
    );
}

#[test]
fn pipelined_requests_pair_fifo_with_head_and_interim_responses() {
    let mut r = Rig::new();
    r.send(
        Dir::C2S,
        &[
            b"GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n" as &[u8],
            REQ,
        ]
        .concat(),
    );
    r.send(
        Dir::S2C,
        &[
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc" as &[u8],
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n",
            RESP,
            S_FRAMES,
        ]
        .concat(),
    );
    assert_eq!(
        r.names(),
        [
            "http",
            "http",
            "http",
            "http",
            "http",
            "http",
            "http",
            "ws_handshake"
        ]
    );
    let h = r.heads();
    assert_eq!(h[4].body_len, Some(0), "a response to HEAD has no body");
    assert!(r.handshake().upgraded);
    assert_eq!(r.conn.ws_fed(Dir::S2C), Some(S_FRAMES));
}

#[test]
fn opaque_streams_are_ignored() {
    let mut r = Rig::new();
    r.send(
        Dir::C2S,
        b"\x00\x00\x00\x0c\x01\x02\x03 not a protocol we read",
    );
    assert_eq!(r.conn.proto(), Proto::Opaque);
    r.send(Dir::S2C, b"HTTP/1.1 200 OK\r\n\r\n");
    r.end(Dir::C2S);
    assert_eq!(r.names(), ["opaque-stream"]);
}

#[test]
fn a_start_split_before_the_method_ends() {
    let mut r = Rig::new();
    r.send(Dir::C2S, b"G");
    r.send(Dir::C2S, b"ET / HT");
    assert_eq!(r.conn.proto(), Proto::Http);
    r.send(Dir::C2S, b"TP/1.1\r\n\r\n");
    // The server's first bytes come split too, before it is decided.
    r.send(Dir::S2C, b"HTTP/1");
    r.send(Dir::S2C, b".1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.names(), ["http", "http"]);
}

#[test]
fn the_server_speaking_first_decides_too() {
    let mut r = Rig::new();
    r.send(Dir::S2C, b"HTT");
    assert_eq!(r.conn.proto(), Proto::Unknown);
    r.send(Dir::C2S, b"GET / HTTP/1.1\r\n\r\n");
    r.send(Dir::S2C, b"P/1.1 204 No Content\r\n\r\n");
    assert_eq!(r.names(), ["http", "http"]);
}

#[test]
fn gaps_and_ends() {
    let mut r = Rig::new();
    r.send(
        Dir::C2S,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n01234",
    );
    r.gap(Dir::C2S, 100);
    r.send(Dir::C2S, b"xyz\r\n0\r\n\r\n");
    r.send(Dir::C2S, b"GET /again HTTP/1.1\r\n\r\n");
    r.send(Dir::C2S, b"GET /cut HTTP/1.1\r\nHost: x\r\n");
    r.end(Dir::C2S);
    assert_eq!(r.names(), ["http", "http-gap", "http", "http-incomplete"]);
}

#[test]
fn other_protocol_upgrades_go_opaque() {
    let mut r = Rig::new();
    r.send(Dir::C2S, b"GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
    r.send(Dir::S2C, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x12\x04");
    assert_eq!(r.conn.proto(), Proto::Opaque);
    assert_eq!(r.names(), ["http", "http", "http-switched"]);
}

#[test]
fn held_bytes_are_bounded() {
    let mut r = Rig::with(Limits {
        stream_buffer: 8,
        ..Limits::default()
    });
    r.send(Dir::C2S, &[REQ, C_FRAME].concat());
    r.send(Dir::C2S, C_FRAME);
    r.send(Dir::S2C, RESP);
    assert_eq!(r.conn.ws_fed(Dir::C2S), Some(&C_FRAME[..8]));
    // The dropped tail reaches the WebSocket decoder as a gap, reported (once) when frames are
    // found again or, as here, when the stream ends first.
    r.end(Dir::C2S);
    assert_eq!(
        r.names(),
        [
            "http",
            "http-hold-overflow",
            "http",
            "ws_handshake",
            "ws-gap"
        ]
    );
}

#[test]
fn a_101_without_its_request_still_switches() {
    let mut r = Rig::new();
    r.send(Dir::S2C, &[RESP, S_FRAMES].concat());
    assert_eq!(r.conn.proto(), Proto::WebSocket);
    assert_eq!(r.conn.ws_fed(Dir::S2C), Some(S_FRAMES));
    assert_eq!(
        r.names(),
        ["http", "ws-request-not-captured", "ws_handshake"]
    );
    assert!(r.handshake().deflate.is_some());
}

fn messages(r: &Rig) -> Vec<(Dir, crate::event::Opcode, Option<String>, u64)> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::WsMessage(m) => Some((m.dir, m.opcode, m.text.clone(), m.pkt)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_ws_decoder_sees_frames_from_the_exact_byte_after_the_101() {
    use crate::event::Opcode;
    let mut r = Rig::new();
    r.send(Dir::C2S, &[REQ, C_FRAME].concat());
    r.send(Dir::S2C, &[RESP, S_FRAMES].concat());
    let frames: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::WsFrame(f) => Some((f.dir, f.stream_offset, f.header.opcode, f.heuristic)),
            _ => None,
        })
        .collect();
    assert_eq!(
        frames,
        [
            (Dir::C2S, 0, Opcode::Text, false),
            (Dir::S2C, 0, Opcode::Text, false),
            (Dir::S2C, 7, Opcode::Close, false),
        ]
    );
    let m = messages(&r);
    // The client's frame was held until the 101 (packet 2) decided it was WebSocket.
    assert_eq!(m[0], (Dir::C2S, Opcode::Text, Some("Hello".into()), 1));
    assert_eq!(m[1], (Dir::S2C, Opcode::Text, Some("Hello".into()), 2));
    assert_eq!(m[2].1, Opcode::Close);
}

#[test]
fn mid_stream_websocket_is_recognised_heuristically() {
    use crate::event::Opcode;
    let mut r = Rig::new();
    r.send(Dir::C2S, &[C_FRAME, C_FRAME].concat());
    r.send(Dir::S2C, S_FRAMES);
    assert_eq!(r.conn.proto(), Proto::WebSocket);
    assert_eq!(r.names()[0], "ws-heuristic");
    let m = messages(&r);
    assert_eq!(m.len(), 4, "{m:?}");
    assert_eq!(m[0].2.as_deref(), Some("Hello"));
    assert_eq!(m[3].1, Opcode::Close);
    assert!(r.events.iter().all(|e| match e {
        Event::WsFrame(f) => f.heuristic,
        _ => true,
    }));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn starts() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(REQ.to_vec()),
            Just(RESP.to_vec()),
            Just(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()),
            Just(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".to_vec()),
            Just(Vec::new()),
        ]
    }

    proptest! {
        /// Arbitrary bytes after plausible starts, cut anywhere, with gaps and ends: never a
        /// panic, and never more events than bytes could justify.
        #[test]
        fn no_panic_on_any_input(
            c_start in starts(), s_start in starts(),
            c_tail in proptest::collection::vec(any::<u8>(), 0..300),
            s_tail in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(1usize..40, 1..20),
            gap_at in 0usize..20,
        ) {
            let mut r = Rig::with(Limits { http_head: 200, http_headers: 8, stream_buffer: 64, ..Limits::default() });
            let c = [c_start, c_tail].concat();
            let s = [s_start, s_tail].concat();
            let (mut ci, mut si) = (0, 0);
            for (k, n) in cuts.iter().cycle().take(40).enumerate() {
                if k == gap_at { r.gap(Dir::C2S, 10); r.gap(Dir::S2C, 3); }
                let ce = (ci + n).min(c.len());
                r.send(Dir::C2S, &c[ci..ce]);
                ci = ce;
                let se = (si + n).min(s.len());
                r.send(Dir::S2C, &s[si..se]);
                si = se;
            }
            r.send(Dir::C2S, &c[ci..]);
            r.send(Dir::S2C, &s[si..]);
            r.end(Dir::C2S);
            r.end(Dir::S2C);
            let heads = r.heads().len();
            prop_assert!(heads <= (c.len() + s.len()) / 12 + 2);
        }
    }
}

#[test]
fn a_client_hello_makes_the_connection_tls_on_any_port() {
    let mut r = Rig::new();
    // A TLS record header (handshake, 3.1, 512 bytes) and the ClientHello type, split early.
    r.send(Dir::C2S, b"\x16\x03");
    assert_eq!(r.conn.proto(), Proto::Unknown);
    r.send(Dir::C2S, b"\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    assert_eq!(r.conn.proto(), Proto::Tls);
}
