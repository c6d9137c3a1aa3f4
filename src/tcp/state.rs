//! Both ends' RFC 9293 state machines, advanced as the segments are captured.
//!
//! The capture point is taken as the moment of delivery (on loopback it is exact): a segment
//! changes its sender's state when it is sent and its receiver's state when it is captured. So
//! after the third handshake segment both ends are ESTABLISHED, and the first FIN puts its
//! sender in FIN_WAIT_1 and its receiver in CLOSE_WAIT at once (RFC 9293 Figures 7 and 12).
//!
//! Two things cannot be known at the moment of capture and wait for evidence:
//! - whether a socket listens for a SYN. The server's side of the connection stays CLOSED (no
//!   connection exists there yet) until its answer shows it: a SYN-ACK means something listened
//!   and it is now SYN_RECEIVED; a RST means nothing did and it stays CLOSED.
//! - whether two segments crossed in flight. A FIN whose acknowledgement does not cover the
//!   peer's FIN was sent before that FIN arrived: both sides closed at once (simultaneous
//!   close), and the sender passes through FIN_WAIT_1 into CLOSING. A bare SYN answering
//!   nothing is a simultaneous open (both ends in SYN_RECEIVED).
//!
//! A later retransmission may show that the first copy of a segment was lost; the state change
//! shown with the first copy then really happened with the copy that arrived (the narration
//! says so; the states are not rewritten).

use crate::event::{TcpFlags, TcpState};

/// What one side has sent and received that matters to the state machines.
#[derive(Clone, Copy, Debug, Default)]
pub struct Side {
    pub state: TcpState,
    /// Sequence number just after our SYN, once sent.
    pub syn_end: Option<u32>,
    /// Sequence number just after our FIN, once sent.
    pub fin_end: Option<u32>,
    /// The peer's SYN has reached us.
    pub peer_syn: bool,
    /// Sequence number after the peer's FIN, once it reached us, with our state before it.
    pub peer_fin: Option<(u32, TcpState)>,
}

/// What a side sent that its peer has not been seen to take yet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    /// A bare SYN (seq just after it) waiting for the answer that shows whether anyone listened.
    pub syn: Option<u32>,
}

fn seq_ge(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

impl Side {
    /// The effects of sending a segment with these flags.
    pub fn on_send(&mut self, flags: TcpFlags, seq: u32, seq_len: u32) {
        use TcpState::*;
        if flags.rst() {
            self.state = Closed;
            return;
        }
        if flags.syn() {
            self.syn_end = Some(seq.wrapping_add(1));
            self.state = match (self.state, flags.ack()) {
                (Closed, false) => SynSent,
                // Answering a SYN: it must have arrived.
                (Closed | Listen | SynSent, true) => SynReceived,
                (s, _) => s,
            };
        }
        if flags.fin() {
            self.fin_end = Some(seq.wrapping_add(seq_len));
            self.state = match self.state {
                Established | SynReceived => FinWait1,
                CloseWait => LastAck,
                s => s,
            };
        }
    }

    /// Our peer's SYN arrived, with the acknowledgement it carried (a SYN-ACK).
    pub fn recv_syn(&mut self, ack: Option<u32>) {
        use TcpState::*;
        self.peer_syn = true;
        let acks_syn = matches!((ack, self.syn_end), (Some(a), Some(e)) if seq_ge(a, e));
        self.state = match self.state {
            Closed | Listen => SynReceived,
            SynSent if acks_syn => Established,
            // Simultaneous open: both sent SYN before seeing the other's.
            SynSent => SynReceived,
            s => s,
        };
    }

    /// An acknowledgement from our peer arrived.
    pub fn recv_ack(&mut self, ack: u32) {
        use TcpState::*;
        let acks_syn = self.syn_end.is_some_and(|e| seq_ge(ack, e));
        let acks_fin = self.fin_end.is_some_and(|e| seq_ge(ack, e));
        self.state = match self.state {
            SynSent if acks_syn && self.peer_syn => Established,
            SynReceived if acks_syn => Established,
            FinWait1 if acks_fin => FinWait2,
            Closing if acks_fin => TimeWait,
            LastAck if acks_fin => Closed,
            s => s,
        };
    }

    /// Our peer's FIN arrived; `end` is the sequence number just after it.
    pub fn recv_fin(&mut self, end: u32) {
        use TcpState::*;
        if self.peer_fin.is_none() {
            self.peer_fin = Some((end, self.state));
        }
        self.state = match self.state {
            Established | SynReceived => CloseWait,
            FinWait1 => Closing,
            FinWait2 => TimeWait,
            s => s,
        };
    }

    pub fn recv_rst(&mut self) {
        self.state = TcpState::Closed;
    }
}

/// Both ends of one connection: index 0 is the client, 1 the server.
#[derive(Clone, Copy, Debug, Default)]
pub struct Machines {
    pub side: [Side; 2],
    pub pending: [Pending; 2],
}

impl Machines {
    /// Advance both machines for a segment sent by side `from`.
    pub fn segment(&mut self, from: usize, flags: TcpFlags, seq: u32, ack: u32, seq_len: u32) {
        use TcpState::*;
        let to = 1 - from;
        let ack = flags.ack().then_some(ack);
        let covers = |end: u32| ack.is_some_and(|a| seq_ge(a, end));
        let [c, s] = &mut self.side;
        let (me, other) = if from == 0 { (c, s) } else { (s, c) };
        if flags.rst() {
            me.on_send(flags, seq, seq_len);
            other.recv_rst();
            self.pending = [Pending::default(); 2];
            return;
        }
        // What this segment shows its sender had received: an answer to the peer's SYN.
        if let Some(end) = self.pending[to].syn
            && covers(end)
        {
            self.pending[to].syn = None;
            me.recv_syn(None);
        }
        // A FIN that does not acknowledge the peer's FIN was sent before that FIN arrived: the
        // two crossed. Undo its arrival, send, then let it arrive (FIN_WAIT_1 → CLOSING).
        let crossed = match me.peer_fin {
            Some((end, before)) if flags.fin() && me.state == CloseWait && !covers(end) => {
                me.state = before;
                me.peer_fin = None;
                Some(end)
            }
            _ => None,
        };
        me.on_send(flags, seq, seq_len);
        if let Some(end) = crossed {
            me.recv_fin(end);
        }
        // The receiver takes the segment as it is captured (RFC 9293 §3.10.7: SYN, ACK, FIN).
        if flags.syn() {
            if ack.is_some() || other.state == SynSent {
                other.recv_syn(ack);
            }
            if ack.is_none() {
                // Whether anything listens shows only in the answer.
                self.pending[from].syn = Some(seq.wrapping_add(1));
            }
        }
        if let Some(a) = ack {
            other.recv_ack(a);
        }
        if flags.fin() {
            other.recv_fin(seq.wrapping_add(seq_len));
        }
    }

    /// The states as they stand (nothing is held back for evidence except an unanswered SYN,
    /// whose server side stays CLOSED: nothing showed a listener).
    pub fn states(&self) -> (TcpState, TcpState) {
        (self.side[0].state, self.side[1].state)
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use TcpState::*;

    fn f(bits: u8) -> TcpFlags {
        TcpFlags(bits)
    }
    const SYN: u8 = TcpFlags::SYN;
    const ACK: u8 = TcpFlags::ACK;
    const FIN: u8 = TcpFlags::FIN;
    const RST: u8 = TcpFlags::RST;

    struct Conn(Machines);
    impl Conn {
        fn new() -> Self {
            Conn(Machines::default())
        }
        fn seg(
            &mut self,
            from: usize,
            flags: u8,
            seq: u32,
            ack: u32,
            len: u32,
        ) -> (TcpState, TcpState) {
            let fl = f(flags);
            self.0
                .segment(from, fl, seq, ack, len + fl.syn() as u32 + fl.fin() as u32);
            self.0.states()
        }
    }

    #[test]
    fn three_way_handshake_and_three_segment_close() {
        let mut c = Conn::new();
        // Nothing has shown a listener yet: the server's side stays CLOSED until it answers.
        assert_eq!(c.seg(0, SYN, 100, 0, 0), (SynSent, Closed));
        // The SYN-ACK shows it listened; the client takes it as it arrives (RFC 9293 Figure 7).
        assert_eq!(c.seg(1, SYN | ACK, 500, 101, 0), (Established, SynReceived));
        assert_eq!(c.seg(0, ACK, 101, 501, 0), (Established, Established));
        assert_eq!(c.seg(0, ACK, 101, 501, 10), (Established, Established));
        // The first FIN: its sender FIN_WAIT_1, its receiver CLOSE_WAIT at once.
        assert_eq!(c.seg(0, FIN | ACK, 111, 501, 0), (FinWait1, CloseWait));
        // The passive side's ACK and FIN in one segment.
        assert_eq!(c.seg(1, FIN | ACK, 501, 112, 0), (TimeWait, LastAck));
        assert_eq!(c.seg(0, ACK, 112, 502, 0), (TimeWait, Closed));
    }

    #[test]
    fn four_segment_close_passes_fin_wait_2_and_close_wait() {
        let mut c = Conn::new();
        c.seg(0, SYN, 1, 0, 0);
        c.seg(1, SYN | ACK, 9, 2, 0);
        c.seg(0, ACK, 2, 10, 0);
        // The server closes first this time.
        assert_eq!(c.seg(1, FIN | ACK, 10, 2, 0), (CloseWait, FinWait1));
        assert_eq!(c.seg(0, ACK, 2, 11, 0), (CloseWait, FinWait2));
        assert_eq!(c.seg(0, FIN | ACK, 2, 11, 0), (LastAck, TimeWait));
        assert_eq!(c.seg(1, ACK, 11, 3, 0), (Closed, TimeWait));
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        let mut c = Conn::new();
        c.seg(0, SYN, 1, 0, 0);
        c.seg(1, SYN | ACK, 9, 2, 0);
        c.seg(0, ACK, 2, 10, 0);
        c.seg(1, ACK, 10, 2, 0);
        assert_eq!(c.seg(0, FIN | ACK, 2, 10, 0), (FinWait1, CloseWait));
        // The server's FIN does not acknowledge the client's: it was sent before that arrived.
        assert_eq!(c.seg(1, FIN | ACK, 10, 2, 0), (Closing, Closing));
        assert_eq!(c.seg(0, ACK, 3, 11, 0), (Closing, TimeWait));
        assert_eq!(c.seg(1, ACK, 11, 3, 0), (TimeWait, TimeWait));
    }

    #[test]
    fn simultaneous_open() {
        let mut c = Conn::new();
        assert_eq!(c.seg(0, SYN, 1, 0, 0), (SynSent, Closed));
        assert_eq!(c.seg(1, SYN, 9, 0, 0), (SynReceived, SynSent));
        assert_eq!(c.seg(0, SYN | ACK, 1, 10, 0), (SynReceived, Established));
        assert_eq!(c.seg(1, SYN | ACK, 9, 2, 0), (Established, Established));
        assert_eq!(c.seg(0, ACK, 2, 10, 0), (Established, Established));
    }

    #[test]
    fn refused_syn_leaves_the_server_closed() {
        let mut c = Conn::new();
        assert_eq!(c.seg(0, SYN, 1, 0, 0), (SynSent, Closed));
        assert_eq!(c.seg(1, RST | ACK, 0, 2, 0), (Closed, Closed));
    }

    #[test]
    fn retransmitted_syn_and_fin_change_nothing_twice() {
        let mut c = Conn::new();
        c.seg(0, SYN, 1, 0, 0);
        assert_eq!(c.seg(0, SYN, 1, 0, 0), (SynSent, Closed));
        c.seg(1, SYN | ACK, 9, 2, 0);
        assert_eq!(c.seg(1, SYN | ACK, 9, 2, 0), (Established, SynReceived));
        c.seg(0, ACK, 2, 10, 0);
        c.seg(0, FIN | ACK, 2, 10, 0);
        assert_eq!(c.seg(0, FIN | ACK, 2, 10, 0), (FinWait1, CloseWait));
        assert_eq!(c.seg(1, ACK, 10, 3, 0), (FinWait2, CloseWait));
    }
}
