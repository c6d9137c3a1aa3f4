//! Narration of the states as each segment arrives: crossed FINs, FIN and ACK together, an
//! acknowledgement that falls short of a FIN (events made by the real state machines).

use super::*;
use crate::tcp::state::Machines;

/// Segments of one connection, their states from the real state machines.
struct Conn {
    m: Machines,
    n: Narrator,
    isn: [u32; 2],
}

impl Conn {
    fn new() -> Self {
        let mut n = Narrator::new(Lang::En);
        n.next(&Event::ConnOpen(ConnOpen {
            conn: 1,
            proto: Proto::Tcp,
            client: "127.0.0.1:40000".parse().unwrap(),
            server: "127.0.0.1:8765".parse().unwrap(),
            pkt: 1,
            ts: Ts(0),
            guessed: false,
        }));
        Conn {
            m: Machines::default(),
            n,
            isn: [1000, 5000],
        }
    }
    fn seg(&mut self, dir: Dir, flags: u8, seq: u32, ack: u32) -> String {
        let fl = TcpFlags(flags);
        let d = dir.idx();
        self.m
            .segment(d, fl, seq, ack, fl.syn() as u32 + fl.fin() as u32);
        let (c, s) = self.m.states();
        let ev = Event::Tcp(TcpSegment {
            conn: 1,
            pkt: 1,
            ts: Ts(0),
            dir,
            flags: fl,
            seq,
            ack,
            rel_seq: seq.wrapping_sub(self.isn[d]),
            rel_ack: ack.wrapping_sub(self.isn[1 - d]),
            len: 0,
            win: 100,
            win_scaled: None,
            client_state: c,
            server_state: s,
            handshake: None,
            analysis: Analysis::default(),
            opts: TcpOpts::default(),
            truncated: false,
        });
        self.n.next(&ev).join(" ")
    }
    fn open(&mut self) {
        self.seg(Dir::C2S, TcpFlags::SYN, 1000, 0);
        self.seg(Dir::S2C, TcpFlags::SYN | TcpFlags::ACK, 5000, 1001);
        self.seg(Dir::C2S, TcpFlags::ACK, 1001, 5001);
    }
}

const ACK: u8 = TcpFlags::ACK;
const FIN: u8 = TcpFlags::FIN;

#[test]
fn crossed_fins_are_told_as_a_simultaneous_close() {
    let mut c = Conn::new();
    c.open();
    let t = c.seg(Dir::C2S, FIN | ACK, 1001, 5001);
    assert!(t.contains("The server is now CLOSE_WAIT"), "{t}");
    // The server's FIN does not acknowledge the client's: the two crossed.
    let t = c.seg(Dir::S2C, FIN | ACK, 5001, 1001);
    assert!(t.contains("the two FINs crossed"), "{t}");
    assert!(t.contains("CLOSING"), "{t}");
    assert!(!t.contains("three segments"), "{t}");
}

#[test]
fn fin_and_ack_together_explain_three_segments() {
    let mut c = Conn::new();
    c.open();
    c.seg(Dir::S2C, FIN | ACK, 5001, 1001);
    let t = c.seg(Dir::C2S, FIN | ACK, 1001, 5002);
    assert!(t.contains("shows three segments here"), "{t}");
    assert!(t.contains("LAST_ACK") && t.contains("TIME_WAIT"), "{t}");
}

#[test]
fn an_ack_short_of_a_fin_is_told_honestly_once() {
    let mut c = Conn::new();
    c.open();
    c.seg(Dir::C2S, FIN | ACK, 1001, 5001);
    // The server acknowledges only what came before the FIN.
    let t = c.seg(Dir::S2C, ACK, 5001, 1001);
    assert!(t.contains("does not cover the client's FIN"), "{t}");
    let t = c.seg(Dir::S2C, ACK, 5001, 1001);
    assert!(!t.contains("does not cover"), "told once: {t}");
    let t = c.seg(Dir::S2C, ACK, 5001, 1002);
    assert!(t.contains("FIN_WAIT_2"), "{t}");
}
