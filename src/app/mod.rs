//! The application layer over TCP streams: HTTP until an upgrade succeeds, then WebSocket.

use crate::event::Sink;
use crate::limits::Limits;
use crate::tcp::{StreamCtx, StreamHandler};

/// HTTP and WebSocket decoding for every connection.
#[derive(Default)]
pub struct AppLayer {
    pub limits: Limits,
}

/// Per-connection application state, kept in the TCP flow table.
#[derive(Default)]
pub struct AppConn {}

impl StreamHandler for AppLayer {
    type Conn = AppConn;
    fn data(&mut self, _st: &mut AppConn, _cx: StreamCtx, _data: &[u8], _sink: &mut dyn Sink) {}
    fn gap(&mut self, _st: &mut AppConn, _cx: StreamCtx, _len: u64, _sink: &mut dyn Sink) {}
    fn end(&mut self, _st: &mut AppConn, _cx: StreamCtx, _sink: &mut dyn Sink) {}
}
