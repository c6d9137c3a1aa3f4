//! Views that write events out: NDJSON for scripts, narrated text for people.

pub mod app;
pub mod batch;
pub mod json;
pub mod text;
pub mod text_threads;

use crate::event::Event;
use std::io::{self, Write};

/// A view that writes events it is lent: the batch writer thread lends them, so the events
/// (and their strings) go back to the decoding thread to be freed where they were allocated.
pub trait WriteEvent {
    fn write_event(&mut self, ev: &Event);

    /// Write out what is held back (the input has caught up with a pipe or live capture).
    fn flush_out(&mut self) {}
    /// The first error writing the output, if one happened (later events were not written).
    fn take_error(&mut self) -> Option<io::Error> {
        None
    }
}

/// Write one finished line (or lines); the first error is kept and later writes are skipped, so
/// a closed pipe ends the output quietly instead of failing every event.
pub(crate) fn write_out<W: Write>(
    out: &mut W,
    bytes: &[u8],
    line_buffered: bool,
    error: &mut Option<io::Error>,
) {
    if error.is_some() {
        return;
    }
    let r = out
        .write_all(bytes)
        .and_then(|_| if line_buffered { out.flush() } else { Ok(()) });
    if let Err(e) = r {
        *error = Some(e);
    }
}

/// A view that is shown only the events a filter lets through (the filter sees every event,
/// so it learns the connections' ports from their `conn_open`).
pub struct Filtered<W> {
    pub filter: crate::filter::Filter,
    pub inner: W,
}

impl<W: WriteEvent> WriteEvent for Filtered<W> {
    fn write_event(&mut self, ev: &Event) {
        if self.filter.matches(ev) {
            self.inner.write_event(ev);
        }
    }
    fn flush_out(&mut self) {
        self.inner.flush_out();
    }
    fn take_error(&mut self) -> Option<io::Error> {
        self.inner.take_error()
    }
}
