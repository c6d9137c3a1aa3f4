//! Tests of the HTTP layer as a whole: streams split anywhere, bodies, limits, the upgrade check.

use super::*;
use crate::event::{Dir, HttpHead, HttpKind, Ts};
use crate::limits::Limits;

/// Drive one direction over `chunks`, framing bodies the way the app layer does (responses as
/// answers to GET). Returns (head, stream offset just after the head) and the problems seen.
fn drive(dir: Dir, chunks: &[&[u8]], limits: &Limits) -> (Vec<(ParsedHead, usize)>, Vec<Problem>) {
    let mut s = HttpStream::new(dir);
    let mut heads = Vec::new();
    let mut problems = Vec::new();
    let mut base = 0;
    for c in chunks {
        let mut off = 0;
        loop {
            match s.advance(&c[off..], limits) {
                Step::NeedMore => break,
                Step::Lost(p) => {
                    problems.push(p);
                    break;
                }
                Step::ChunkedEnd { used, .. } | Step::Body { used, .. } => off += used,
                Step::Head { head, used } => {
                    off += used;
                    let body = match dir {
                        Dir::C2S => request_body(&head),
                        Dir::S2C => response_body(&head, false, false),
                    };
                    s.set_body(body.unwrap());
                    heads.push((head, base + off));
                }
            }
        }
        base += c.len();
    }
    (heads, problems)
}

fn split_all(dir: Dir, raw: &[u8], limits: &Limits) -> Vec<(ParsedHead, usize)> {
    let (whole, p) = drive(dir, &[raw], limits);
    assert!(p.is_empty(), "{p:?}");
    for a in 0..=raw.len() {
        let (h, p) = drive(dir, &[&raw[..a], &raw[a..]], limits);
        assert!(p.is_empty(), "split at {a}: {p:?}");
        assert_eq!(h, whole, "split at {a}");
    }
    // A few bytes at a time, as tiny-segment captures deliver them.
    for step in 1..4 {
        let chunks: Vec<&[u8]> = raw.chunks(step).collect();
        assert_eq!(
            drive(dir, &chunks, limits).0,
            whole,
            "{step} bytes at a time"
        );
    }
    whole
}

const UPGRADE_REQ: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn method(h: &ParsedHead) -> &str {
    match &h.kind {
        HttpKind::Request { method, .. } => method,
        HttpKind::Response { .. } => "",
    }
}

fn status(h: &ParsedHead) -> u16 {
    match &h.kind {
        HttpKind::Response { status, .. } => *status,
        HttpKind::Request { .. } => 0,
    }
}

#[test]
fn head_split_at_every_byte() {
    let l = Limits::default();
    let h = split_all(Dir::C2S, UPGRADE_REQ, &l);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].1, UPGRADE_REQ.len());
    assert_eq!(h[0].0.headers.len(), 7);
    assert_eq!(method(&h[0].0), "GET");
}

#[test]
fn pipelined_requests_with_bodies_split_anywhere() {
    let l = Limits::default();
    let raw: &[u8] = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\nPUT /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nGET \r\n0\r\nT: x\r\n\r\nHEAD /d HTTP/1.0\r\n\r\n";
    let h = split_all(Dir::C2S, raw, &l);
    let names: Vec<&str> = h.iter().map(|(h, _)| method(h)).collect();
    assert_eq!(names, ["POST", "GET", "PUT", "HEAD"]);
    // The byte after each head: the body starts there.
    assert_eq!(&raw[h[0].1..h[0].1 + 5], b"hello");
    assert_eq!(&raw[h[2].1..h[2].1 + 3], b"4\r\n");
    assert_eq!(h[3].1, raw.len());
}

#[test]
fn content_length_body_across_segments() {
    let l = Limits::default();
    let (h, p) = drive(
        Dir::S2C,
        &[
            b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nHTTP/1.1",
            b" 200 ",
            b"OKHTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n",
        ],
        &l,
    );
    assert!(p.is_empty());
    assert_eq!(
        h.iter().map(|(h, _)| status(h)).collect::<Vec<_>>(),
        [200, 404]
    );
}

#[test]
fn chunked_response_split_anywhere() {
    let l = Limits::default();
    let raw: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n6;x=y\r\nHTTP/1\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    let h = split_all(Dir::S2C, raw, &l);
    assert_eq!(
        h.iter().map(|(h, _)| status(h)).collect::<Vec<_>>(),
        [200, 204]
    );
}

#[test]
fn bodiless_responses() {
    let head = |raw: &[u8]| parse_head(raw, Dir::S2C, 16).unwrap().unwrap();
    let r200 = head(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    assert_eq!(response_body(&r200, false, false), Ok(Body::Length(10)));
    assert_eq!(response_body(&r200, true, false), Ok(Body::None), "HEAD");
    for s in [
        b"204 No Content" as &[u8],
        b"304 Not Modified",
        b"100 Continue",
        b"101 Switching",
    ] {
        let raw = [b"HTTP/1.1 " as &[u8], s, b"\r\nContent-Length: 10\r\n\r\n"].concat();
        assert_eq!(response_body(&head(&raw), false, false), Ok(Body::None));
    }
    let bare = head(b"HTTP/1.0 200 OK\r\n\r\n");
    assert_eq!(response_body(&bare, false, false), Ok(Body::ToEnd));
    assert_eq!(
        request_body(&head(b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n")),
        Err("conflicting Content-Length values")
    );
    assert_eq!(
        request_body(&head(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")),
        Err("invalid Content-Length")
    );
    assert_eq!(
        request_body(&head(b"HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n")),
        Ok(Body::Length(7))
    );
}

#[test]
fn a_head_response_is_followed_by_the_next_head() {
    // After a response to HEAD, the bytes that follow are the next response, not a body.
    let l = Limits::default();
    let mut s = HttpStream::new(Dir::S2C);
    let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n";
    let Step::Head { head, used } = s.advance(raw, &l) else {
        panic!()
    };
    s.set_body(response_body(&head, true, false).unwrap());
    let Step::Head { head, .. } = s.advance(&raw[used..], &l) else {
        panic!()
    };
    assert_eq!(status(&head), 304);
}

#[test]
fn head_too_long() {
    let l = Limits {
        http_head: 100,
        ..Limits::default()
    };
    let long = [b"GET / HTTP/1.1\r\nX: " as &[u8], &[b'a'; 200], b"\r\n\r\n"].concat();
    // In one segment, and a few bytes at a time: the buffer never grows past the limit.
    let (h, p) = drive(Dir::C2S, &[&long], &l);
    assert!(h.is_empty());
    assert_eq!(p, [Problem::HeadTooLong]);
    let chunks: Vec<&[u8]> = long.chunks(7).collect();
    let (h, p) = drive(Dir::C2S, &chunks, &l);
    assert!(h.is_empty());
    assert_eq!(p, [Problem::HeadTooLong]);
    // A head exactly at the limit passes.
    let fit = [b"GET / HTTP/1.1\r\nX: " as &[u8], &[b'a'; 77], b"\r\n\r\n"].concat();
    assert_eq!(fit.len(), 100);
    assert_eq!(drive(Dir::C2S, &[&fit], &l).0.len(), 1);
    assert_eq!(
        drive(Dir::C2S, &fit.chunks(3).collect::<Vec<_>>(), &l)
            .0
            .len(),
        1
    );
}

#[test]
fn too_many_headers_then_resync() {
    let l = Limits {
        http_headers: 3,
        ..Limits::default()
    };
    let raw: &[u8] = b"GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n";
    let (h, p) = drive(Dir::C2S, &[raw, b"GET /next HTTP/1.1\r\n\r\n"], &l);
    assert_eq!(p, [Problem::TooManyHeaders]);
    // The next data call that starts like a request is decoded again.
    assert_eq!(h.len(), 1);
    assert!(matches!(&h[0].0.kind, HttpKind::Request { path, .. } if path == "/next"));
}

#[test]
fn gap_inside_a_known_length_body_keeps_step() {
    let l = Limits::default();
    let mut s = HttpStream::new(Dir::C2S);
    let Step::Head { head, .. } = s.advance(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", &l)
    else {
        panic!()
    };
    s.set_body(request_body(&head).unwrap());
    assert_eq!(s.advance(b"ab", &l), Step::NeedMore);
    assert!(s.gap(3));
    assert!(
        matches!(s.advance(b"abcGET / HTTP/1.1\r\n\r\n", &l), Step::Head { used, .. } if used == 21)
    );
    // A gap inside a head loses step; garbage is ignored silently until a head starts a call.
    let Step::NeedMore = s.advance(b"GET / HT", &l) else {
        panic!()
    };
    assert!(!s.gap(5));
    assert_eq!(s.advance(b"\x00junk\r\n\r\n", &l), Step::NeedMore);
    assert!(matches!(
        s.advance(b"GET /x HTTP/1.1\r\n\r\n", &l),
        Step::Head { .. }
    ));
}

#[test]
fn not_http_is_reported_once() {
    let l = Limits::default();
    let (h, p) = drive(
        Dir::S2C,
        &[b"HTTP/1.1 2x0 OK\r\n\r\n", b"HTTP/9 nonsense\r\n", b"more"],
        &l,
    );
    assert!(h.is_empty());
    assert_eq!(p.len(), 1);
    assert!(matches!(p[0], Problem::BadHead(_)));
}

// ---- the upgrade check ----

fn head_ev(dir: Dir, raw: &[u8]) -> HttpHead {
    let h = parse_head(raw, dir, 64).unwrap().unwrap();
    HttpHead {
        conn: 1,
        dir,
        pkt: 4,
        ts: Ts(0),
        kind: h.kind,
        version: h.version,
        headers: h.headers,
        head_len: h.head_len as u32,
        body_len: None,
        layout: h.layout,
    }
}

const GOOD_RESP: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

fn replace(raw: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(raw.to_vec())
        .unwrap()
        .replace(from, to)
        .into_bytes()
}

#[test]
fn rfc_handshake_passes() {
    let hs = check_upgrade(
        &head_ev(Dir::C2S, UPGRADE_REQ),
        &head_ev(Dir::S2C, GOOD_RESP),
    );
    assert!(hs.upgraded, "{:?}", hs.problems);
    assert!(hs.accept_ok);
    assert!(hs.problems.is_empty());
    assert_eq!(
        hs.expected_accept.as_deref(),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(hs.protocol.as_deref(), Some("chat"));
    assert_eq!(hs.version.as_deref(), Some("13"));
    assert_eq!(hs.status, 101);
    assert_eq!(hs.deflate, None);
}

fn fails(req: &[u8], resp: &[u8], phrase: &str) {
    let hs = check_upgrade(&head_ev(Dir::C2S, req), &head_ev(Dir::S2C, resp));
    assert!(!hs.upgraded);
    assert!(
        hs.problems.iter().any(|p| p.contains(phrase)),
        "{phrase:?} not in {:?}",
        hs.problems
    );
}

#[test]
fn failed_upgrades_say_why() {
    let wrong = replace(
        GOOD_RESP,
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOp=",
    );
    fails(UPGRADE_REQ, &wrong, "does not match");
    let hs = check_upgrade(&head_ev(Dir::C2S, UPGRADE_REQ), &head_ev(Dir::S2C, &wrong));
    assert!(!hs.accept_ok);
    fails(
        UPGRADE_REQ,
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        "403 Forbidden, not 101",
    );
    fails(
        &replace(UPGRADE_REQ, "Version: 13", "Version: 12"),
        b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "426",
    );
    fails(
        &replace(UPGRADE_REQ, "Version: 13", "Version: 12"),
        GOOD_RESP,
        "Version is 12",
    );
    fails(
        &replace(UPGRADE_REQ, "Sec-WebSocket-Key", "X-Key"),
        GOOD_RESP,
        "no Sec-WebSocket-Key",
    );
    fails(
        &replace(UPGRADE_REQ, "Connection: Upgrade", "Connection: keep-alive"),
        GOOD_RESP,
        "request's Connection",
    );
    fails(
        UPGRADE_REQ,
        &replace(GOOD_RESP, "Upgrade: websocket\r\n", ""),
        "response has no Upgrade",
    );
    fails(
        UPGRADE_REQ,
        &replace(GOOD_RESP, "Connection: Upgrade", "Connection: close"),
        "response's Connection",
    );
    fails(
        UPGRADE_REQ,
        &replace(GOOD_RESP, "Sec-WebSocket-Accept", "X-Accept"),
        "no Sec-WebSocket-Accept",
    );
    fails(
        &replace(UPGRADE_REQ, "GET", "POST"),
        GOOD_RESP,
        "POST, not GET",
    );
}

#[test]
fn tokens_are_case_insensitive_lists() {
    let req = replace(
        UPGRADE_REQ,
        "Connection: Upgrade",
        "Connection: keep-alive, UPGRADE",
    );
    let req = replace(
        std::str::from_utf8(&req).unwrap().as_bytes(),
        "Upgrade: websocket",
        "Upgrade: WebSocket",
    );
    let resp = replace(GOOD_RESP, "Connection: Upgrade", "connection: upgrade");
    let hs = check_upgrade(&head_ev(Dir::C2S, &req), &head_ev(Dir::S2C, &resp));
    assert!(hs.upgraded, "{:?}", hs.problems);
}

#[test]
fn deflate_parameters() {
    let d = |s: &str| parse_deflate(s);
    let def = crate::event::DeflateParams::default();
    assert_eq!(d("permessage-deflate"), Ok(Some(def)));
    assert_eq!(d("x-webkit-deflate-frame"), Ok(None));
    assert_eq!(
        d(
            "foo; a=\"1,2\", permessage-deflate; server_no_context_takeover; client_max_window_bits=\"10\"; server_max_window_bits=9, permessage-deflate"
        ),
        Ok(Some(crate::event::DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: 9,
            client_max_window_bits: 10,
        }))
    );
    assert_eq!(
        d("PerMessage-Deflate ;Client_No_Context_Takeover ; client_max_window_bits")
            .map(|p| p.map(|p| (p.client_no_context_takeover, p.client_max_window_bits))),
        Ok(Some((true, 15)))
    );
    assert!(d("permessage-deflate; server_max_window_bits=16").is_err());
    assert!(d("permessage-deflate; server_max_window_bits=7").is_err());
    assert!(d("permessage-deflate; server_max_window_bits=010").is_err());
    assert!(d("permessage-deflate; bogus").is_err());
    assert!(
        d("permessage-deflate; server_no_context_takeover; server_no_context_takeover").is_err()
    );

    let resp = replace(
        GOOD_RESP,
        "Sec-WebSocket-Protocol: chat\r\n",
        "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n",
    );
    let hs = check_upgrade(&head_ev(Dir::C2S, UPGRADE_REQ), &head_ev(Dir::S2C, &resp));
    assert!(hs.upgraded);
    assert_eq!(
        hs.extensions.as_deref(),
        Some("permessage-deflate; client_no_context_takeover")
    );
    assert!(
        hs.deflate
            .is_some_and(|p| p.client_no_context_takeover && !p.server_no_context_takeover)
    );
    let bad = replace(
        &resp,
        "client_no_context_takeover",
        "server_max_window_bits=99",
    );
    fails(UPGRADE_REQ, &bad, "permessage-deflate");
}

#[test]
fn field_tree_points_at_wire_bytes() {
    let h = head_ev(Dir::C2S, UPGRADE_REQ);
    let f = head_fields(&h);
    assert_eq!(f.len(), 1 + 7 + 1);
    let bytes = |r: std::ops::Range<usize>| &UPGRADE_REQ[r];
    assert_eq!(bytes(f[0].byte_range()), b"GET /chat HTTP/1.1\r\n");
    assert_eq!(bytes(f[0].children[1].byte_range()), b"/chat");
    let key = f
        .iter()
        .find(|x| x.name == "http.sec_websocket_key")
        .unwrap();
    assert_eq!(
        bytes(key.byte_range()),
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    assert_eq!(
        bytes(key.children[1].byte_range()),
        b"dGhlIHNhbXBsZSBub25jZQ=="
    );
    assert_eq!(bytes(f[8].byte_range()), b"\r\n");
    let r = head_ev(Dir::S2C, GOOD_RESP);
    let f = head_fields(&r);
    assert_eq!(bytes_of(GOOD_RESP, f[0].children[1].byte_range()), b"101");
    assert_eq!(
        bytes_of(GOOD_RESP, f[0].children[2].byte_range()),
        b"Switching Protocols"
    );

    // A head built by hand (no wire layout) still gets consistent canonical positions.
    let mut built = r.clone();
    built.layout = Default::default();
    let f = head_fields(&built);
    assert_eq!(
        bytes_of(GOOD_RESP, f[3].byte_range()),
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    );
}

fn bytes_of(raw: &[u8], r: std::ops::Range<usize>) -> &[u8] {
    &raw[r]
}
