//! Unit tests of the STOMP decoder: the specification's frame layouts cut at every byte,
//! pairing, broken input (the real recording is checked in tests/decode/stomp.rs).

use super::*;
use crate::event::AppTransport;

fn o(dir: Dir, pkt: PktNum) -> Origin {
    Origin {
        conn: 1,
        pkt,
        ts: Ts(pkt as i64 * 1_000_000),
        dir,
        transport: AppTransport::WebSocket,
    }
}

fn apps(evs: &[Event]) -> Vec<&AppMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::App(a) => Some(&**a),
            _ => None,
        })
        .collect()
}

/// Frames as the 1.2 specification lays them out, the stream cut at every byte: a frame
/// with a NUL inside its body (content-length), CR LF line ends, escaped headers, and
/// heart-beats between and after frames.
#[test]
fn frames_split_anywhere_with_content_length_escapes_and_heartbeats() {
    let stream: &[u8] = b"SEND\r\ndestination:/queue/a\\cb\r\nreceipt:7\r\ncontent-length:5\r\n\r\nh\0\xc3\xa9!\0\n\nSUBSCRIBE\nid:0\ndestination:/topic/t\nx-key:a\\nb\n\n\0\r\n";
    for cut in 0..stream.len() {
        let mut s = Stomp::new(2);
        let mut out = Vec::new();
        s.bytes(o(Dir::C2S, 1), &stream[..cut], &mut out);
        s.bytes(o(Dir::C2S, 2), &stream[cut..], &mut out);
        let a = apps(&out);
        let kinds: Vec<&str> = a.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            ["send", "heartbeat", "heartbeat", "subscribe", "heartbeat"],
            "cut at {cut}: {out:?}"
        );
        assert_eq!(a[0].name.as_deref(), Some("/queue/a:b"));
        assert_eq!(a[0].field("body_bytes"), Some("5"));
        assert_eq!(a[0].args, Some(json!("h\0é!")));
        assert_eq!(a[3].id.as_deref(), Some("0"));
        assert_eq!(a[3].field("headers"), Some(r#"{"x-key":"a\nb"}"#));
    }
}

#[test]
fn receipts_errors_connect_and_acks_are_paired() {
    let mut s = Stomp::new(2);
    let mut out = Vec::new();
    let frames: [(Dir, &[u8]); 7] = [
        (Dir::C2S, b"CONNECT\naccept-version:1.2\nhost:/\n\n\0"),
        (Dir::S2C, b"CONNECTED\nversion:1.2\n\n\0"),
        (
            Dir::C2S,
            b"SUBSCRIBE\nid:s1\ndestination:/q\nreceipt:r1\n\n\0",
        ),
        (Dir::S2C, b"RECEIPT\nreceipt-id:r1\n\n\0"),
        (
            Dir::S2C,
            b"MESSAGE\nsubscription:s1\nmessage-id:m1\nack:a1\ndestination:/q\n\nhi\0",
        ),
        (Dir::C2S, b"ACK\nid:a1\n\n\0"),
        (Dir::C2S, b"SEND\ndestination:/nowhere\nreceipt:r2\n\n\0"),
    ];
    for (i, (d, f)) in frames.iter().enumerate() {
        s.bytes(o(*d, i as u64 + 1), f, &mut out);
    }
    s.bytes(
        o(Dir::S2C, 8),
        b"ERROR\nreceipt-id:r2\nmessage:no such queue\ncontent-type:text/plain\ncontent-length:4\n\noops\0",
        &mut out,
    );
    let a = apps(&out);
    assert_eq!(a.len(), 8);
    let reply = |i: usize| a[i].reply.as_ref().map(|r| (r.pkt, r.name.as_deref()));
    assert_eq!(reply(1), Some((1, Some("CONNECT"))));
    assert_eq!(reply(3), Some((3, Some("SUBSCRIBE /q"))));
    assert_eq!(reply(5), Some((5, Some("MESSAGE /q"))));
    assert_eq!(reply(7), Some((7, Some("SEND /nowhere"))));
    assert_eq!(a[7].field("message"), Some("no such queue"));
    assert_eq!(a[7].args, Some(json!("oops")));
    assert_eq!(a[4].args, Some(json!("hi")));
}

#[test]
fn broken_frames_are_notes_and_the_stream_goes_on() {
    let mut s = Stomp::new(2);
    let mut out = Vec::new();
    s.bytes(o(Dir::C2S, 1), b"HELLO\n\n\0", &mut out);
    s.bytes(o(Dir::C2S, 2), b"SEND\nx:\\t\n\n\0", &mut out);
    s.bytes(o(Dir::C2S, 3), b"SEND\ncontent-length:zz\n\n\0", &mut out);
    s.bytes(o(Dir::C2S, 4), b"SEND\ncontent-length:1\n\nab\0", &mut out);
    s.bytes(o(Dir::C2S, 5), b"DISCONNECT\n\n\0", &mut out);
    let notes = out.iter().filter(|e| matches!(e, Event::Note(_))).count();
    assert_eq!(notes, 4, "{out:?}");
    assert_eq!(apps(&out).last().map(|a| a.kind), Some("disconnect"));
    // An endless frame is dropped at MAX_FRAME and the next one is read again.
    let mut s = Stomp::new(2);
    let mut out = Vec::new();
    s.bytes(o(Dir::C2S, 1), b"SEND\n\n", &mut out);
    let big = vec![b'x'; MAX_FRAME + 1];
    s.bytes(o(Dir::C2S, 2), &big, &mut out);
    assert!(s.buf[0].is_empty());
    s.bytes(o(Dir::C2S, 3), b"xx\0SEND\n\n\0", &mut out);
    assert_eq!(apps(&out).len(), 1);
}

#[test]
fn connect_headers_are_not_unescaped_and_version_1_0_has_no_escapes() {
    let mut s = Stomp::new(2);
    let mut out = Vec::new();
    s.bytes(o(Dir::C2S, 1), b"CONNECT\nlogin:a\\cb\n\n\0", &mut out);
    assert_eq!(apps(&out)[0].field("login"), Some("a\\cb"));
    let mut s = Stomp::new(0);
    let mut out = Vec::new();
    s.bytes(o(Dir::C2S, 1), b"SEND\ndestination:a\\tb\n\n\0", &mut out);
    assert_eq!(apps(&out)[0].name.as_deref(), Some("a\\tb"));
    assert!(looks_like_connect(b"CONNECT\r\n"));
    assert!(looks_like_connect(b"STOMP\naccept-version:1.2\n"));
    assert!(!looks_like_connect(b"CONNECTED\n"));
}

proptest::proptest! {
    /// Any bytes, in any messages, in either direction: events or notes, never a panic,
    /// and the unfinished frame stays bounded.
    #[test]
    fn hostile_bytes_never_panic(
        msgs in proptest::collection::vec(
            (proptest::bool::ANY, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)),
            0..20,
        ),
        minor in 0u8..3,
    ) {
        let mut s = Stomp::new(minor);
        let mut out = Vec::new();
        for (i, (c2s, b)) in msgs.iter().enumerate() {
            let d = if *c2s { Dir::C2S } else { Dir::S2C };
            s.bytes(o(d, i as u64 + 1), b, &mut out);
        }
        proptest::prop_assert!(s.buf.iter().all(|b| b.len() <= MAX_FRAME));
    }
}
