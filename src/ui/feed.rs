//! What a producer thread (file reader, live capture) sends the UI: packet bytes and the events
//! decoded from them, in batches so the channel is not crossed once per packet.

use crate::event::{Event, PktNum, Sink};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

/// Where one packet's captured bytes sit in a batch's `bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRec {
    pub num: PktNum,
    /// Absolute capture time.
    pub ts_ns: i64,
    pub linktype: u32,
    pub orig_len: u32,
    /// Start in the batch's `bytes` (in the UI's arena once stored), or in the capture file
    /// when `in_file`.
    pub off: u64,
    pub len: u32,
    /// The bytes were not copied: they are read from the capture file when shown.
    pub in_file: bool,
}

/// Packets and events, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub bytes: Vec<u8>,
    pub packets: Vec<PacketRec>,
    pub events: Vec<Event>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty() && self.events.is_empty()
    }
    /// Keep a copy of one packet's captured bytes.
    pub fn push_packet(
        &mut self,
        num: PktNum,
        ts_ns: i64,
        linktype: u32,
        orig_len: u32,
        data: &[u8],
    ) {
        let off = self.bytes.len() as u64;
        self.bytes.extend_from_slice(data);
        self.packets.push(PacketRec {
            num,
            ts_ns,
            linktype,
            orig_len,
            off,
            len: data.len() as u32,
            in_file: false,
        });
    }

    /// Note where one packet's captured bytes are in the capture file, without copying them.
    pub fn push_packet_at(
        &mut self,
        num: PktNum,
        ts_ns: i64,
        linktype: u32,
        orig_len: u32,
        at: (u64, u32),
    ) {
        self.packets.push(PacketRec {
            num,
            ts_ns,
            linktype,
            orig_len,
            off: at.0,
            len: at.1,
            in_file: true,
        });
    }
}

#[derive(Debug)]
pub enum Feed {
    Batch(Batch),
    /// Packets the capture lost so far (kernel or ring drops), as a running total.
    Dropped(u64),
    /// The source is exhausted (end of file); live sources may never send it.
    Done,
    /// The source failed; what was received so far stays on screen.
    Error(String),
}

/// Batches packets and events and sends them when big or old enough. Its `Sink` impl takes
/// the decoder's events.
pub struct FeedSender {
    tx: SyncSender<Feed>,
    batch: Batch,
    started: Instant,
    sent_any: bool,
    closed: bool,
}

/// Bounded so a fast reader cannot run far ahead of the UI in memory: a batch of decoded
/// events is several MiB until the UI has filed it, so only a few may wait.
const CHANNEL_DEPTH: usize = 4;
const BATCH_PACKETS: usize = 8192;
const BATCH_BYTES: usize = 4 << 20;
const BATCH_EVENTS: usize = 8 << 10;
/// The first batch goes out fast so the first screen appears at once.
const FIRST_BATCH_PACKETS: usize = 256;

pub fn channel() -> (FeedSender, Receiver<Feed>) {
    let (tx, rx) = sync_channel(CHANNEL_DEPTH);
    (
        FeedSender {
            tx,
            batch: Batch::default(),
            started: Instant::now(),
            sent_any: false,
            closed: false,
        },
        rx,
    )
}

impl FeedSender {
    pub fn packet(&mut self, num: PktNum, ts_ns: i64, linktype: u32, orig_len: u32, data: &[u8]) {
        self.batch.push_packet(num, ts_ns, linktype, orig_len, data);
        self.maybe_flush();
    }
    /// A packet whose bytes stay in the capture file, at file offset `at.0`, `at.1` long.
    pub fn packet_at(
        &mut self,
        num: PktNum,
        ts_ns: i64,
        linktype: u32,
        orig_len: u32,
        at: (u64, u32),
    ) {
        self.batch
            .push_packet_at(num, ts_ns, linktype, orig_len, at);
        self.maybe_flush();
    }
    pub fn event(&mut self, ev: Event) {
        self.batch.events.push(ev);
        if self.batch.events.len() >= BATCH_EVENTS {
            // A burst without packets (the end of input closing a million connections) goes
            // in several batches, not one the size of the burst.
            self.flush();
        }
    }
    fn maybe_flush(&mut self) {
        let n = self.batch.packets.len();
        let due = if self.sent_any {
            n >= BATCH_PACKETS
                || self.batch.bytes.len() >= BATCH_BYTES
                || self.started.elapsed() > Duration::from_millis(50)
        } else {
            n >= FIRST_BATCH_PACKETS || self.started.elapsed() > Duration::from_millis(20)
        };
        if due {
            self.flush();
        }
    }
    /// Send what is batched now (a live source calls this on its idle timeouts).
    pub fn flush(&mut self) {
        self.started = Instant::now();
        if self.batch.is_empty() || self.closed {
            return;
        }
        let b = std::mem::take(&mut self.batch);
        self.sent_any = true;
        self.send(Feed::Batch(b));
    }
    pub fn dropped(&mut self, total: u64) {
        self.send(Feed::Dropped(total));
    }
    pub fn error(&mut self, msg: String) {
        self.flush();
        self.send(Feed::Error(msg));
    }
    pub fn done(&mut self) {
        self.flush();
        self.send(Feed::Done);
    }
    /// False once the UI has gone away: the producer should stop.
    pub fn is_open(&self) -> bool {
        !self.closed
    }
    fn send(&mut self, f: Feed) {
        if self.closed {
            return;
        }
        if self.tx.send(f).is_err() {
            self.closed = true;
        }
    }
    /// Non-blocking send used by live sources that must not stall the capture.
    pub fn try_flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let b = std::mem::take(&mut self.batch);
        match self.tx.try_send(Feed::Batch(b)) {
            Ok(()) => true,
            Err(TrySendError::Full(Feed::Batch(b))) => {
                self.batch = b;
                false
            }
            Err(_) => {
                self.closed = true;
                false
            }
        }
    }
}

impl Sink for FeedSender {
    fn emit(&mut self, ev: Event) {
        self.event(ev);
    }
}
