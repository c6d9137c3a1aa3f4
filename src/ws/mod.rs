//! WebSocket (RFC 6455) passive decoder: frames, messages, permessage-deflate (RFC 7692).
//!
//! One [`WsDirection`] per direction of a connection, fed the in-order bytes of that direction
//! starting at the first byte after the handshake (or, heuristically, wherever the capture began).

use crate::event::{DeflateParams, Dir, Sink};
use crate::limits::Limits;
use crate::tcp::StreamCtx;

#[derive(Clone, Debug, Default)]
pub struct WsConfig {
    /// permessage-deflate as negotiated by the handshake; None when not negotiated.
    pub deflate: Option<DeflateParams>,
    /// The handshake was not captured: frames are recognised heuristically.
    pub heuristic: bool,
    pub limits: Limits,
}

/// Decodes one direction of a WebSocket connection, as a stream.
pub struct WsDirection {
    _dir: Dir,
}

impl WsDirection {
    pub fn new(dir: Dir, _cfg: &WsConfig) -> Self {
        WsDirection { _dir: dir }
    }
    /// The next in-order bytes of this direction.
    pub fn feed(&mut self, _cx: StreamCtx, _data: &[u8], _sink: &mut dyn Sink) {}
    /// The capture missed `len` bytes here: resynchronise.
    pub fn gap(&mut self, _cx: StreamCtx, _len: u64, _sink: &mut dyn Sink) {}
    /// No more bytes will come: report what is left unfinished.
    pub fn end(&mut self, _cx: StreamCtx, _sink: &mut dyn Sink) {}
}

/// Do these bytes, the first seen of a direction that is not HTTP, look like WebSocket frames?
pub fn looks_like_ws(_data: &[u8], _dir: Dir) -> bool {
    false
}
