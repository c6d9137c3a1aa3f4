//! From the capture thread to the decoder and a sink: the same pipeline a file goes through.

use super::thread::{CaptureHandle, CaptureStats};
use crate::decoder::Decoder;
use crate::event::Sink;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// Decode everything the capture delivers until it ends (count, duration, stop flag), then
/// report open connections as incomplete and the capture's own figures as notes.
pub fn decode_live(handle: CaptureHandle, dec: &mut Decoder, sink: &mut dyn Sink) -> CaptureStats {
    loop {
        match handle.recv_timeout(Duration::from_millis(100)) {
            Ok(p) => dec.packet(&p.as_packet(), sink),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let stats = handle.finish();
    dec.finish(sink);
    for n in stats.notes() {
        sink.emit(n);
    }
    stats
}

/// Ctrl-C and SIGTERM set `stop` (a clean stop); a second one ends the process at once, in
/// case the output itself is what hangs.
pub fn stop_on_signals(stop: &Arc<AtomicBool>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone())?;
        signal_hook::flag::register(sig, stop.clone())?;
    }
    Ok(())
}
