//! A TLS connection in the application layer: the TLS layer below, and the decrypted stream
//! decoded by an inner [`AppConn`] exactly as a ws:// connection would be.

use super::{AppConn, AppLayer};
use crate::event::{Event, Sink, Unhashed, WsMessage};
use crate::tcp::{StreamCtx, StreamHandler};
use crate::tls::{KeyStore, TlsConn, Upper};

pub(crate) struct TlsState {
    tls: TlsConn,
    inner: AppConn,
}

/// The app layer and the inner connection, as the layer above TLS.
struct Above<'a> {
    app: &'a mut AppLayer,
    conn: &'a mut AppConn,
}

impl Upper for Above<'_> {
    fn data(&mut self, cx: StreamCtx, plain: &[u8], sink: &mut dyn Sink) {
        self.app.data(self.conn, cx, plain, &mut Marked(sink));
    }
    fn gap(&mut self, cx: StreamCtx, len: u64, sink: &mut dyn Sink) {
        self.app.gap(self.conn, cx, len, &mut Marked(sink));
    }
    fn end(&mut self, cx: StreamCtx, sink: &mut dyn Sink) {
        self.app.end(self.conn, cx, &mut Marked(sink));
    }
}

impl TlsState {
    /// The TLS layer's own bytes and the connection above it.
    pub(crate) fn parts(&self) -> (&TlsConn, &AppConn) {
        (&self.tls, &self.inner)
    }

    pub(crate) fn new(keys: KeyStore) -> Self {
        TlsState {
            tls: TlsConn::new(keys),
            inner: AppConn::default(),
        }
    }

    pub(crate) fn data(
        &mut self,
        app: &mut AppLayer,
        cx: StreamCtx,
        data: &[u8],
        sink: &mut dyn Sink,
    ) {
        let mut up = Above {
            app,
            conn: &mut self.inner,
        };
        self.tls.data(cx, data, sink, &mut up);
    }

    pub(crate) fn gap(&mut self, app: &mut AppLayer, cx: StreamCtx, len: u64, sink: &mut dyn Sink) {
        let mut up = Above {
            app,
            conn: &mut self.inner,
        };
        self.tls.gap(cx, len, sink, &mut up);
    }

    pub(crate) fn end(&mut self, app: &mut AppLayer, cx: StreamCtx, sink: &mut dyn Sink) {
        let mut up = Above {
            app,
            conn: &mut self.inner,
        };
        self.tls.end(cx, sink, &mut up);
    }
}

/// Passes events through, marking the WebSocket handshake as made inside TLS.
struct Marked<'a>(&'a mut dyn Sink);

impl Sink for Marked<'_> {
    fn emit(&mut self, mut ev: Event) {
        if let Event::WsHandshake(h) = &mut ev {
            h.tls = true;
        }
        self.0.emit(ev)
    }
    fn emit_unhashed(&mut self, m: WsMessage, how: Unhashed) {
        self.0.emit_unhashed(m, how)
    }
    fn hash_begin(&mut self) -> Option<u64> {
        self.0.hash_begin()
    }
    fn hash_piece(&mut self, ticket: u64, bytes: &[u8]) {
        self.0.hash_piece(ticket, bytes)
    }
    fn hash_masked(&mut self, ticket: u64, masked: &[u8], key: [u8; 4], offset: u64) -> bool {
        self.0.hash_masked(ticket, masked, key, offset)
    }
    fn hash_abandon(&mut self, ticket: u64) {
        self.0.hash_abandon(ticket)
    }
    fn backing(&mut self, bytes: &crate::capture::Backing) {
        self.0.backing(bytes)
    }
    fn spare_buffer(&mut self) -> Vec<u8> {
        self.0.spare_buffer()
    }
}
