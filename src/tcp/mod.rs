//! TCP: the flow table, both ends' state machines, analysis, and passive reassembly.

use crate::event::{ConnId, Dir, PktNum, Sink, Ts};

/// Where one direction's in-order bytes are delivered, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamCtx {
    pub conn: ConnId,
    pub dir: Dir,
    /// The packet that carried (or completed) these bytes.
    pub pkt: PktNum,
    pub ts: Ts,
}

/// The application layer on top of reassembled TCP streams (HTTP, then WebSocket).
///
/// The tracker keeps one `Self::Conn` per connection inside its flow table, so the application
/// layer needs no second lookup per segment. Events a segment causes are emitted after that
/// segment's own `tcp` event.
pub trait StreamHandler {
    type Conn: Default;
    /// The next in-order bytes of one direction.
    fn data(&mut self, st: &mut Self::Conn, cx: StreamCtx, data: &[u8], sink: &mut dyn Sink);
    /// The capture missed `len` bytes of this direction just before the next `data`.
    fn gap(&mut self, st: &mut Self::Conn, cx: StreamCtx, len: u64, sink: &mut dyn Sink);
    /// This direction has ended (FIN, RST, eviction, or end of input); no more bytes follow.
    fn end(&mut self, st: &mut Self::Conn, cx: StreamCtx, sink: &mut dyn Sink);
    /// Bytes of decoding state a connection holds now (buffers, inflate windows, previews),
    /// counted against `Limits::memory_budget`. Read after every segment: keep it cheap.
    fn mem(&self, _st: &Self::Conn) -> usize {
        0
    }
}

/// A handler that ignores the payload: the transport layer alone.
#[derive(Default)]
pub struct NoApp;

impl StreamHandler for NoApp {
    type Conn = ();
    fn data(&mut self, _: &mut (), _: StreamCtx, _: &[u8], _: &mut dyn Sink) {}
    fn gap(&mut self, _: &mut (), _: StreamCtx, _: u64, _: &mut dyn Sink) {}
    fn end(&mut self, _: &mut (), _: StreamCtx, _: &mut dyn Sink) {}
}

pub mod analysis;
pub mod reasm;
pub mod state;
pub mod tracker;
