//! Producer threads for files and the embedded capture: read, decode, send batches.

use super::feed::{self, Feed, FeedSender};
use crate::capture::{self, CaptureError, Packet, ReadSummary};
use crate::decoder::{DecodeOptions, Decoder};
use crate::event::PktNum;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

pub static EMBEDDED: &[u8] = include_bytes!("../../captures/classroom.pcap");

/// Masked payload bytes kept per frame for the unmasking view.
const FRAME_PREVIEW: usize = 64;

fn decoder() -> Decoder {
    decoder_with(crate::tls::KeyStore::default())
}

fn decoder_with(tls_keys: crate::tls::KeyStore) -> Decoder {
    let mut opts = DecodeOptions {
        tls_keys,
        ..DecodeOptions::default()
    };
    opts.limits.frame_preview = FRAME_PREVIEW;
    Decoder::new(opts)
}

/// Send a packet's place in the file (`at`), or a copy of its bytes when it has none.
fn keep(tx: &mut FeedSender, p: &Packet<'_>, at: Option<u64>) {
    match at {
        Some(at) => tx.packet_at(
            p.num,
            p.ts_ns,
            p.linktype,
            p.orig_len,
            (at, p.data.len() as u32),
        ),
        None => tx.packet(p.num, p.ts_ns, p.linktype, p.orig_len, p.data),
    }
}

/// Decode packets as the reader delivers them, keeping their bytes for the bytes pane: where
/// they are in the file when the reader says (regular files), else a copy.
fn pump(
    tx: &mut FeedSender,
    mut dec: Decoder,
    read: impl FnOnce(&mut dyn FnMut(Packet<'_>, Option<u64>)) -> Result<ReadSummary, CaptureError>,
) {
    let res = read(&mut |p: Packet<'_>, at: Option<u64>| {
        if !tx.is_open() {
            // The UI has gone; the rest of the file is not needed. Reading continues to the
            // end, but nothing is decoded or copied.
            return;
        }
        keep(tx, &p, at);
        dec.packet(&p, tx);
    });
    dec.finish(tx);
    match res {
        Ok(s) => match s.error {
            Some(e) => tx.error(e.to_string()),
            None => tx.done(),
        },
        Err(e) => tx.error(e.to_string()),
    }
}

pub fn spawn_file(p: PathBuf, tls_keys: crate::tls::KeyStore) -> Receiver<Feed> {
    let (mut tx, rx) = feed::channel();
    std::thread::spawn(move || {
        let keys = tls_keys.clone();
        let dec = decoder_with(tls_keys);
        capture::with_secrets(
            move |ty, text| {
                if ty == crate::tls::DSB_TLS_KEY_LOG {
                    keys.add_text(text)
                }
            },
            || pump(&mut tx, dec, |f| capture::read_file_offsets(&p, f)),
        );
    });
    rx
}

/// What the decode of a file's end ahead of the rest covers (sent before its batches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AheadInfo {
    /// Packets in the file.
    pub total: PktNum,
    /// The first packet decoded.
    pub from: PktNum,
    /// Connections decoded.
    pub conns: usize,
    /// Of those, begun too long before the end to be decoded from their start.
    pub mid_stream: usize,
}

/// The last `window` packets' connections: how far back their decode may go (packets).
pub const AHEAD_WINDOW: PktNum = 10_000;
pub const AHEAD_REACH: PktNum = 600_000;

/// Decode the end of file `p` ahead of the rest ([`crate::tail`]) on a background thread:
/// first what it covers, then its packets and events as a file's are sent.
pub fn spawn_ahead(
    p: PathBuf,
    tls_keys: crate::tls::KeyStore,
) -> (Arc<AtomicBool>, Receiver<AheadInfo>, Receiver<Feed>) {
    let (mut tx, rx) = feed::channel();
    let (info_tx, info_rx) = std::sync::mpsc::sync_channel(1);
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        let plan = match crate::tail::plan(&p, AHEAD_WINDOW, AHEAD_REACH, &stopped) {
            Ok(plan) => plan,
            Err(e) => return tx.error(e.to_string()),
        };
        let _ = info_tx.send(AheadInfo {
            total: plan.total,
            from: plan.feed_from,
            conns: plan.conns(),
            mid_stream: plan.mid_stream,
        });
        let mut opts = DecodeOptions {
            tls_keys,
            ..DecodeOptions::default()
        };
        opts.limits.frame_preview = FRAME_PREVIEW;
        let mut dec = plan.decoder(opts);
        let keys = dec.tls_keys();
        let res = crate::tail::feed(&p, &plan, keys, &stopped, |pk, at| {
            if !tx.is_open() || stopped.load(Ordering::Relaxed) {
                return;
            }
            keep(&mut tx, pk, at);
            dec.packet(pk, &mut tx);
        });
        dec.finish(&mut tx);
        // Damage further on (a file cut short) is reported by the whole file's decode, which
        // gets there too: the end shown is what could be read.
        match res {
            Ok(_) => tx.done(),
            Err(e) => tx.error(e.to_string()),
        }
    });
    (stop, info_rx, rx)
}

pub fn spawn_bytes(b: &'static [u8]) -> Receiver<Feed> {
    let (mut tx, rx) = feed::channel();
    std::thread::spawn(move || {
        pump(&mut tx, decoder(), |f| {
            capture::read_bytes(b, |p| f(p, None))
        });
    });
    rx
}

/// Decode a whole capture in this thread into one batch (tests, exports).
pub fn decode_all(bytes: &[u8]) -> Result<feed::Batch, CaptureError> {
    let mut dec = decoder();
    let mut b = feed::Batch::default();
    let mut events = Vec::new();
    // Keys embedded in a pcapng (Decryption Secrets Blocks) are used, as when a file is opened.
    let keys = dec.tls_keys();
    capture::with_secrets(
        move |ty, text| {
            if ty == crate::tls::DSB_TLS_KEY_LOG {
                keys.add_text(text)
            }
        },
        || {
            capture::read_bytes(bytes, |p| {
                b.push_packet(p.num, p.ts_ns, p.linktype, p.orig_len, p.data);
                dec.packet(&p, &mut |ev| events.push(ev));
            })
        },
    )?;
    dec.finish(&mut |ev| events.push(ev));
    b.events = events;
    Ok(b)
}
