//! From the capture thread to the decoder and a sink: the same pipeline a file goes through.

use super::thread::{CaptureHandle, CaptureStats};
use crate::decoder::Decoder;
use crate::event::Sink;
use crate::ui::FeedSender;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// While packets keep coming, output is written out at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Decode everything the capture delivers until it ends (count, duration, stop flag), then
/// report open connections as incomplete and the capture's own figures as notes. The sink is
/// told to write out ([`Sink::caught_up`]) each time the queue of captured packets runs dry,
/// and every 50 ms while it does not: one write per batch of packets, not one per event.
pub fn decode_live(
    mut handle: CaptureHandle,
    dec: &mut Decoder,
    sink: &mut dyn Sink,
) -> CaptureStats {
    let mut held = false;
    let mut last = Instant::now();
    loop {
        let wait = if held {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        match handle.recv_timeout(wait) {
            Ok(p) => {
                dec.packet(&p.as_packet(), sink);
                held = true;
                if last.elapsed() < FLUSH_EVERY {
                    continue;
                }
            }
            Err(RecvTimeoutError::Timeout) if !held => continue,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        sink.caught_up();
        held = false;
        last = Instant::now();
    }
    let stats = handle.finish();
    dec.finish(sink);
    for n in stats.notes() {
        sink.emit(n);
    }
    sink.caught_up();
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

/// Masked payload bytes kept per frame for the UI's unmasking view (as for files).
pub const UI_FRAME_PREVIEW: usize = 64;

/// Feed the terminal UI from a live capture: packet bytes and their events in batches, the
/// drop count as it grows, the closing notes at the end. Runs on its own thread (not the
/// capture thread); stops the capture when the UI goes away.
pub fn feed_ui(mut handle: CaptureHandle, dec: &mut Decoder, tx: &mut FeedSender) -> CaptureStats {
    let mut reported = 0;
    loop {
        if !tx.is_open() {
            handle.request_stop();
        }
        match handle.recv_timeout(Duration::from_millis(50)) {
            Ok(p) => {
                tx.packet(p.num, p.ts_ns, p.linktype, p.orig_len, &p.data);
                dec.packet(&p.as_packet(), tx);
            }
            Err(RecvTimeoutError::Timeout) => tx.flush(),
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let lost = handle.counters.dropped_by_us.load(Ordering::Relaxed)
            + handle.counters.kernel_drops.load(Ordering::Relaxed);
        if lost != reported {
            reported = lost;
            tx.dropped(lost);
        }
    }
    let stats = handle.finish();
    dec.finish(tx);
    for n in stats.notes() {
        tx.emit(n);
    }
    let lost = stats.dropped_by_us + stats.kernel_drops.unwrap_or(0);
    if lost != reported {
        tx.dropped(lost);
    }
    tx.done();
    stats
}
