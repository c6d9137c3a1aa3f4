//! Both ends' states follow the textbook and RFC 9293 on every bundled capture, checked against
//! facts read from the segments' own flags and seq/ack numbers (not from the state machines):
//! the capture point is the moment of delivery, so a segment changes its receiver's state at
//! once.

use crate::common;
use common::*;
use std::collections::HashMap;
use wslens::event::{Analysis, CloseHow, ConnId, Dir, Event, Proto, TcpState};

fn ge(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// What the segments of one connection have shown so far.
#[derive(Default)]
struct Seen {
    /// seq of the client's SYN and of the server's SYN-ACK.
    syn: Option<u32>,
    synack: Option<u32>,
    /// The server answered the SYN (SYN-ACK).
    answered: bool,
    established_checked: bool,
    /// Sequence number after each direction's first FIN.
    fin_end: [Option<u32>; 2],
    /// The direction that sent the first FIN, and whether the other side's FIN crossed it.
    first_fin: Option<Dir>,
    crossed: bool,
    reset: bool,
    last: Option<(TcpState, TcpState)>,
    checks: usize,
}

fn of(states: (TcpState, TcpState), dir: Dir) -> TcpState {
    match dir {
        Dir::C2S => states.0,
        Dir::S2C => states.1,
    }
}

#[test]
fn states_follow_the_segments_on_every_capture() {
    use TcpState::*;
    let mut total_checks = 0;
    let mut captures_with_handshake = 0;
    for path in all_captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let events = decode(&path);
        let mut seen: HashMap<ConnId, Seen> = HashMap::new();
        let mut udp: Vec<ConnId> = Vec::new();
        let mut handshakes = 0;
        for e in &events {
            match e {
                Event::ConnOpen(o) if o.proto == Proto::Udp => udp.push(o.conn),
                Event::Tcp(t) => {
                    let st = (t.client_state, t.server_state);
                    let at = format!("{name}: packet {} (conn {})", t.pkt, t.conn);
                    assert!(
                        st.0 != Listen && st.1 != Listen,
                        "{at}: nothing may claim LISTEN, a listener is only shown by its answer"
                    );
                    let s = seen.entry(t.conn).or_default();
                    let (d, p) = (t.dir, t.dir.flip());
                    let f = t.flags;
                    if f.rst() {
                        s.reset = true;
                        if !s.answered && s.syn.is_some() && d == Dir::S2C {
                            assert_eq!(
                                st,
                                (Closed, Closed),
                                "{at}: a refused SYN: nobody listened"
                            );
                        }
                    }
                    if s.reset {
                        s.last = Some(st);
                        continue;
                    }
                    if f.syn() && !f.ack() && d == Dir::C2S {
                        s.syn.get_or_insert(t.seq);
                        if !s.answered {
                            assert_eq!(st.0, SynSent, "{at}: the SYN's sender");
                            assert_eq!(st.1, Closed, "{at}: no listener shown before the answer");
                        }
                    }
                    if f.syn() && f.ack() && d == Dir::S2C {
                        s.answered = true;
                        s.synack.get_or_insert(t.seq);
                        if s.syn.is_some_and(|j| t.ack == j.wrapping_add(1)) {
                            // The client takes the SYN-ACK as it is captured (RFC 9293 Fig. 7).
                            assert_eq!(st, (Established, SynReceived), "{at}: SYN-ACK");
                        }
                    }
                    // The third handshake segment: both ends ESTABLISHED (the tutorial's words).
                    if !s.established_checked
                        && d == Dir::C2S
                        && f.ack()
                        && !f.syn()
                        && !f.fin()
                        && s.synack.is_some_and(|k| t.ack == k.wrapping_add(1))
                    {
                        s.established_checked = true;
                        handshakes += 1;
                        assert_eq!(
                            st,
                            (Established, Established),
                            "{at}: after the third segment"
                        );
                        s.checks += 1;
                    }
                    if f.fin() {
                        let end = t.seq.wrapping_add(t.len).wrapping_add(1);
                        let first_of_dir = s.fin_end[d.idx()].is_none();
                        s.fin_end[d.idx()].get_or_insert(end);
                        if first_of_dir
                            && s.first_fin.is_none()
                            && !t.analysis.has(Analysis::RETRANSMISSION)
                        {
                            s.first_fin = Some(d);
                            // The first FIN: sender FIN_WAIT_1, receiver CLOSE_WAIT at once.
                            assert_eq!(of(st, d), FinWait1, "{at}: the first FIN's sender");
                            assert_eq!(of(st, p), CloseWait, "{at}: the first FIN's receiver");
                            s.checks += 1;
                        } else if first_of_dir && s.first_fin == Some(p) {
                            let first = s.fin_end[p.idx()].unwrap();
                            if f.ack() && ge(t.ack, first) {
                                // The passive closer's FIN, acknowledging the first one.
                                assert_eq!(of(st, d), LastAck, "{at}: the passive closer's FIN");
                                assert_eq!(of(st, p), TimeWait, "{at}: the active closer");
                            } else {
                                s.crossed = true;
                                assert_eq!(of(st, d), Closing, "{at}: FINs crossed");
                            }
                            s.checks += 1;
                        }
                    }
                    // An acknowledgement of a FIN, as it arrives.
                    if f.ack() && !f.fin() && !s.crossed {
                        if let Some(first) = s.first_fin
                            && first == p
                            && s.fin_end[d.idx()].is_none()
                            && ge(t.ack, s.fin_end[p.idx()].unwrap())
                        {
                            assert_eq!(of(st, p), FinWait2, "{at}: the first FIN acknowledged");
                            assert_eq!(of(st, d), CloseWait, "{at}");
                            s.checks += 1;
                        }
                        if let Some(first) = s.first_fin
                            && first == d
                            && s.fin_end[p.idx()].is_some_and(|e| ge(t.ack, e))
                        {
                            assert_eq!(of(st, p), Closed, "{at}: the passive closer's last ACK");
                            assert_eq!(of(st, d), TimeWait, "{at}");
                            s.checks += 1;
                        }
                    }
                    s.last = Some(st);
                }
                Event::ConnClose(c) => {
                    let s = seen.entry(c.conn).or_default();
                    if c.how == CloseHow::Refused {
                        assert_eq!(c.server_state, Closed, "{name}: conn {} refused", c.conn);
                        assert_eq!(c.client_state, Closed, "{name}: conn {} refused", c.conn);
                    }
                    if let Some(last) = s.last {
                        assert_eq!(
                            (c.client_state, c.server_state),
                            last,
                            "{name}: conn {}: conn_close reports the states of its last segment",
                            c.conn
                        );
                    }
                    total_checks += s.checks;
                }
                _ => {}
            }
        }
        assert!(
            udp.iter().all(|c| !seen.contains_key(c)),
            "{name}: UDP has no TCP states"
        );
        if handshakes > 0 {
            captures_with_handshake += 1;
        }
    }
    assert!(captures_with_handshake >= 15, "{captures_with_handshake}");
    assert!(total_checks >= 100, "only {total_checks} checks ran");
}

#[test]
fn refused_connection_never_claims_a_listener() {
    let events = decode(&capture("refused.pcap"));
    let close = events
        .iter()
        .find_map(|e| match e {
            Event::ConnClose(c) => Some(c),
            _ => None,
        })
        .expect("a conn_close");
    assert_eq!(close.how, CloseHow::Refused);
    assert_eq!(close.server_state, TcpState::Closed);
    let mut n = wslens::teach::narrate::Narrator::new(wslens::teach::catalog::Lang::En);
    let text: Vec<String> = events.iter().flat_map(|e| n.next(e)).collect();
    let text = text.join("\n");
    assert!(!text.contains("LISTEN"), "{text}");
    assert!(text.contains("nothing listens on port"), "{text}");
}
