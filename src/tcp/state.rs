//! Both ends' RFC 9293 state machines, advanced as an observer on the wire sees them.
//!
//! A segment changes its sender's state when it is sent. The receiver's state changes when the
//! observer has evidence that it arrived: the SYN or FIN part of a segment when the receiver
//! acknowledges it, the pure acknowledgement part at the next segment of the connection (on a
//! wire that is how soon it has surely arrived). This reproduces the textbook sequence: after the
//! third handshake segment the client is ESTABLISHED while the server is still SYN_RECEIVED until
//! the next segment, and simultaneous open and close reach SYN_RECEIVED / CLOSING as they should.

use crate::event::{TcpFlags, TcpState};

/// What one side has sent that matters to the state machines.
#[derive(Clone, Copy, Debug, Default)]
pub struct Side {
    pub state: TcpState,
    /// Sequence number just after our SYN, once sent.
    pub syn_end: Option<u32>,
    /// Sequence number just after our FIN, once sent.
    pub fin_end: Option<u32>,
    /// The peer's SYN has reached us.
    pub peer_syn: bool,
}

/// A segment's effects on its receiver that the receiver has not been seen to take yet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pending {
    /// Acknowledgement number to deliver (the ACK part).
    pub ack: Option<u32>,
    /// Our SYN, to deliver when acknowledged: seq just after it, and the ACK it carried.
    pub syn: Option<(u32, Option<u32>)>,
    /// Our FIN, to deliver when acknowledged.
    pub fin: Option<u32>,
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
                // Answering a SYN: we must have received it.
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

    /// Our peer's FIN arrived.
    pub fn recv_fin(&mut self) {
        use TcpState::*;
        self.state = match self.state {
            Established | SynReceived => CloseWait,
            FinWait1 => Closing,
            FinWait2 => TimeWait,
            s => s,
        };
    }

    pub fn recv_rst(&mut self) {
        if self.state != TcpState::Listen {
            self.state = TcpState::Closed;
        }
    }
}

/// Deliver to `rx` what the other side sent, as far as the evidence goes.
/// `rx_ack`: the acknowledgement number `rx` is sending now, if any (its proof of receipt);
/// `all`: deliver everything (end of input, or the connection is being closed).
pub fn deliver(rx: &mut Side, pending: &mut Pending, rx_ack: Option<u32>, all: bool) {
    let acked = |end: u32| all || rx_ack.is_some_and(|a| seq_ge(a, end));
    // RFC 9293 §3.10.7.3 processes a SYN before the acknowledgement that came with it.
    if let Some((end, syn_ack)) = pending.syn
        && acked(end)
    {
        pending.syn = None;
        rx.recv_syn(syn_ack);
    }
    if let Some(ack) = pending.ack.take() {
        rx.recv_ack(ack);
    }
    if let Some(end) = pending.fin
        && acked(end)
    {
        pending.fin = None;
        rx.recv_fin();
    }
}

impl Pending {
    /// Add what a newly sent segment carries; a SYN or FIN still undelivered stays.
    pub fn add(&mut self, flags: TcpFlags, seq: u32, ack: u32, seq_len: u32) {
        let ack = flags.ack().then_some(ack);
        if ack.is_some() {
            self.ack = ack;
        }
        if flags.syn() {
            self.syn = Some((seq.wrapping_add(1), ack));
        }
        if flags.fin() {
            self.fin = Some(seq.wrapping_add(seq_len));
        }
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
        let to = 1 - from;
        let [c, s] = &mut self.side;
        let (me, other) = if from == 0 { (c, s) } else { (s, c) };
        if flags.rst() {
            me.on_send(flags, seq, seq_len);
            other.recv_rst();
            self.pending = [Pending::default(); 2];
            return;
        }
        let rx_ack = flags.ack().then_some(ack);
        deliver(me, &mut self.pending[to], rx_ack, false);
        // Our own earlier pure acknowledgements have surely arrived by the time we send again.
        if let Some(a) = self.pending[from].ack.take() {
            other.recv_ack(a);
        }
        me.on_send(flags, seq, seq_len);
        self.pending[from].add(flags, seq, ack, seq_len);
    }

    /// Everything sent has arrived (the connection is over, or the input ended).
    pub fn settle(&mut self) {
        let [c, s] = &mut self.side;
        deliver(s, &mut self.pending[0], None, true);
        deliver(c, &mut self.pending[1], None, true);
    }

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

    struct Conn(Machines);
    impl Conn {
        fn new() -> Self {
            let mut m = Machines::default();
            m.side[1].state = Listen;
            Conn(m)
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
    fn three_way_handshake_and_fin_teardown() {
        let mut c = Conn::new();
        assert_eq!(c.seg(0, SYN, 100, 0, 0), (SynSent, Listen));
        assert_eq!(c.seg(1, SYN | ACK, 500, 101, 0), (SynSent, SynReceived));
        assert_eq!(c.seg(0, ACK, 101, 501, 0), (Established, SynReceived));
        assert_eq!(c.seg(0, ACK, 101, 501, 10), (Established, Established));
        assert_eq!(c.seg(0, FIN | ACK, 111, 501, 0), (FinWait1, Established));
        assert_eq!(c.seg(1, FIN | ACK, 501, 112, 0), (FinWait1, LastAck));
        assert_eq!(c.seg(0, ACK, 112, 502, 0), (TimeWait, LastAck));
        c.0.settle();
        assert_eq!(c.0.states(), (TimeWait, Closed));
    }

    #[test]
    fn four_segment_close_passes_fin_wait_2_and_close_wait() {
        let mut c = Conn::new();
        c.seg(0, SYN, 1, 0, 0);
        c.seg(1, SYN | ACK, 9, 2, 0);
        c.seg(0, ACK, 2, 10, 0);
        // The server closes first this time.
        assert_eq!(c.seg(1, FIN | ACK, 10, 2, 0), (Established, FinWait1));
        assert_eq!(c.seg(0, ACK, 2, 11, 0), (CloseWait, FinWait1));
        assert_eq!(c.seg(0, FIN | ACK, 2, 11, 0), (LastAck, FinWait2));
        assert_eq!(c.seg(1, ACK, 11, 3, 0), (LastAck, TimeWait));
        c.0.settle();
        assert_eq!(c.0.states(), (Closed, TimeWait));
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        let mut c = Conn::new();
        c.seg(0, SYN, 1, 0, 0);
        c.seg(1, SYN | ACK, 9, 2, 0);
        c.seg(0, ACK, 2, 10, 0);
        c.seg(1, ACK, 10, 2, 0);
        // both send FIN before seeing the other's
        assert_eq!(c.seg(0, FIN | ACK, 2, 10, 0), (FinWait1, Established));
        assert_eq!(c.seg(1, FIN | ACK, 10, 2, 0).1, FinWait1);
        assert_eq!(c.seg(0, ACK, 3, 11, 0).0, Closing);
        // The server's ACK of our FIN and its acknowledgement of our FIN: TIME_WAIT either way.
        assert_eq!(c.seg(1, ACK, 11, 3, 0), (Closing, TimeWait));
        c.0.settle();
        assert_eq!(c.0.states(), (TimeWait, TimeWait));
    }

    #[test]
    fn simultaneous_open() {
        let mut c = Conn::new();
        c.0.side[1].state = Closed;
        assert_eq!(c.seg(0, SYN, 1, 0, 0), (SynSent, Closed));
        assert_eq!(c.seg(1, SYN, 9, 0, 0), (SynSent, SynSent));
        assert_eq!(c.seg(0, SYN | ACK, 1, 10, 0).0, SynReceived);
        c.seg(1, SYN | ACK, 9, 2, 0);
        assert_eq!(c.seg(0, ACK, 2, 10, 0), (Established, Established));
    }
}
