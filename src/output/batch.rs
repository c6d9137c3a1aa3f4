//! Writing events on another thread: the decoder fills batches, a writer thread encodes and
//! writes them, so formatting output uses the second core instead of slowing the decoder.
//!
//! The writer thread also hashes message payloads the decoder hands over (see
//! [`Sink::emit_unhashed`]): small ones from the event's own content, large ones from pieces
//! the batch holds, in place in the mapped capture file ([`Sink::backing`]) when they lie in
//! it, masked or not, else copied. Large payloads begun while the writer is behind are hashed by
//! the decoding thread as it sends each batch, so that neither thread waits for the other more
//! than it must.

use super::WriteEvent;
use crate::capture::Backing;
use crate::event::{Event, Sink, TcpSegment, Unhashed, WsMessage};
use crate::sha::{self, Job, Stream, sha256};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

const BATCH: usize = 4096;
/// Payload bytes (texts, previews, pieces to hash) a batch may carry before it is sent, so that
/// memory stays bounded whatever the messages' sizes.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight: bounds memory when the output is slower than the decoder.
const QUEUE: usize = 4;
/// Piece bytes handed over to the writer and not yet hashed, beyond which the decoder hashes
/// new payloads itself: the writer is behind.
const BACKLOG: u64 = 2 << 20;
/// Payloads hashed by the writer at once (bounds its hashing state however many messages are
/// left unfinished).
const TICKETS: usize = 1024;

/// What the decoder sends: events in order, and the hashing work that goes with them.
#[derive(Default)]
struct Batch {
    /// TCP segments, a third of all events and the smallest, are kept apart at their own size
    /// (an `Event` is as large as its largest kind), which cuts the bytes the decoder writes
    /// and the writer reads.
    tcp: Vec<TcpSegment>,
    /// For each of `events`, how many of `tcp` come before it.
    tcp_before: Vec<u32>,
    events: Vec<Event>,
    /// Hashing the writer does.
    remote: Work,
    /// Hashing the decoder does just before it sends the batch, while the writer is behind.
    local: Work,
    /// Pieces copied into the batch.
    bytes: Vec<u8>,
    /// Windows of the mapped capture file that pieces lie in, held until they are hashed.
    windows: Vec<Backing>,
    /// The messages' text and data buffers, taken out by the writer once written, for the
    /// decoder to reuse (the events themselves are dropped on the writer thread).
    buffers: Vec<Vec<u8>>,
    /// The writer flushes its output after this batch (the input caught up with a pipe).
    flush: bool,
}

/// Digests to compute for a batch's messages.
#[derive(Default)]
struct Work {
    /// Events (by index) whose digest is to be computed.
    unhashed: Vec<(usize, Unhashed)>,
    /// Pieces of ticketed payloads, in order.
    pieces: Vec<(u64, Held)>,
    /// Tickets whose payload will not be finished.
    abandoned: Vec<u64>,
}

impl Work {
    fn clear(&mut self) {
        self.unhashed.clear();
        self.pieces.clear();
        self.abandoned.clear();
    }

    fn is_empty(&self) -> bool {
        self.unhashed.is_empty() && self.pieces.is_empty() && self.abandoned.is_empty()
    }
}

/// Tickets of payloads the decoder hashes itself have this bit set.
const LOCAL: u64 = 1 << 63;

/// Where a piece's bytes are: copied into the batch (`src` 0) or in place in one of its
/// windows (`src` = index + 1), and the masking key they are still masked with, aligned to
/// their first byte (zeros when they are not).
#[derive(Clone)]
struct Held {
    src: u32,
    range: Range<usize>,
    mask: [u8; 4],
}

/// The memory a batch's pieces lie in.
#[derive(Clone, Copy)]
struct Sources<'a> {
    bytes: &'a [u8],
    windows: &'a [Backing],
}

impl<'a> Sources<'a> {
    fn piece(self, p: &Held) -> sha::Piece<'a> {
        let bytes = match p.src {
            0 => &self.bytes[p.range.clone()],
            i => &self.windows[i as usize - 1][p.range.clone()],
        };
        sha::Piece {
            bytes,
            mask: p.mask,
        }
    }
}

impl Batch {
    /// Hash the pieces of `work` (the remote or the local part) and fill in its digests.
    fn complete(&mut self, hashes: &mut Hashes, local: bool) -> u64 {
        let work = if local { &self.local } else { &self.remote };
        let src = Sources {
            bytes: &self.bytes,
            windows: &self.windows,
        };
        hashes.complete(work, src, &mut self.events)
    }

    fn new() -> Self {
        Batch {
            tcp: Vec::with_capacity(BATCH),
            tcp_before: Vec::with_capacity(BATCH),
            events: Vec::with_capacity(BATCH),
            ..Batch::default()
        }
    }

    fn clear(&mut self) {
        self.tcp.clear();
        self.tcp_before.clear();
        self.events.clear();
        self.remote.clear();
        self.local.clear();
        self.bytes.clear();
        self.windows.clear();
        self.buffers.clear();
        self.flush = false;
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.tcp.is_empty()
            && self.remote.is_empty()
            && self.local.is_empty()
    }
}

pub struct BatchSender {
    batch: Batch,
    /// Payload bytes the current batch carries.
    held: usize,
    tx: Option<SyncSender<Batch>>,
    /// Written batches coming back, so their memory is reused instead of faulted in anew,
    /// with their messages' buffers: freeing those on the writer thread would leave every
    /// allocation here on the allocator's slow path.
    spare: Receiver<Batch>,
    next_ticket: u64,
    /// Tickets handed out and not yet finished or abandoned.
    open_tickets: usize,
    /// Piece bytes handed over to the writer, and those it has hashed.
    pieces_sent: u64,
    pieces_done: Arc<AtomicU64>,
    /// Text buffers of written messages, emptied, for `spare_buffer`.
    buffers: Vec<Vec<u8>>,
    /// The mapped window the packets being decoded lie in.
    window: Option<Backing>,
    /// The streams of the payloads this thread hashes.
    local: Hashes,
}

/// Spare buffers kept, and the largest kept: enough for a batch of short texts. A buffer is
/// reused for any message, so one kept from a large message would carry its capacity through
/// every short text after it: with 4 KiB kept, 2,000 deflate connections one after another
/// (texts of 80 bytes, two of 4,000 per connection) ended with thousands of 4 KiB buffers
/// holding 80 bytes each, 11 MiB in all (issue 17). Larger texts get a buffer of their own,
/// freed here when their batch comes back.
const BUFFERS: usize = 4096;
const BUFFER_MAX: usize = 512;

impl BatchSender {
    fn send(&mut self) {
        if self.batch.is_empty() && !self.batch.flush {
            return;
        }
        self.held = 0;
        if !self.batch.local.is_empty() {
            self.batch.complete(&mut self.local, true);
        }
        let next = match self.spare.try_recv() {
            Ok(mut b) => {
                self.recycle(&mut b);
                b.clear();
                b
            }
            Err(_) => Batch::new(),
        };
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.tx
            && tx.send(full).is_err()
        {
            // The writer stopped (its output closed): drop further events.
            self.tx = None;
        }
    }

    fn added(&mut self, bytes: usize) {
        self.held += bytes;
        let count = self.batch.events.len() + self.batch.tcp.len();
        if count >= BATCH || self.held >= BATCH_BYTES {
            self.send();
        }
    }

    /// Keep the buffers of a written batch's messages as spare buffers; the rest are freed
    /// here, on the thread that allocated them.
    fn recycle(&mut self, b: &mut Batch) {
        for mut v in b.buffers.drain(..) {
            if self.buffers.len() >= BUFFERS {
                break;
            }
            if v.capacity() <= BUFFER_MAX {
                v.clear();
                self.buffers.push(v);
            }
        }
    }

    /// Send what is left and stop the writer.
    pub fn close(mut self) {
        self.send();
    }
}

impl Drop for BatchSender {
    fn drop(&mut self) {
        self.send();
    }
}

impl Sink for BatchSender {
    fn emit(&mut self, ev: Event) {
        if let Event::Tcp(seg) = ev {
            self.batch.tcp.push(seg);
            self.added(0);
            return;
        }
        let n = ev.heap_bytes();
        self.batch.tcp_before.push(self.batch.tcp.len() as u32);
        self.batch.events.push(ev);
        self.added(n);
    }

    fn emit_unhashed(&mut self, m: WsMessage, how: Unhashed) {
        let i = self.batch.events.len();
        let work = match how {
            Unhashed::Pieces(t) => {
                self.open_tickets = self.open_tickets.saturating_sub(1);
                self.work(t)
            }
            Unhashed::Content => &mut self.batch.remote,
        };
        work.unhashed.push((i, how));
        self.emit(Event::WsMessage(m));
    }

    fn hash_begin(&mut self) -> Option<u64> {
        let backlog = self
            .pieces_sent
            .saturating_sub(self.pieces_done.load(Ordering::Relaxed));
        if self.open_tickets >= TICKETS {
            return None;
        }
        self.open_tickets += 1;
        self.next_ticket += 1;
        // While the writer is behind, this thread hashes, two payloads at a time like the
        // writer, as it sends each batch.
        Some(self.next_ticket | if backlog > BACKLOG { LOCAL } else { 0 })
    }

    fn hash_piece(&mut self, ticket: u64, bytes: &[u8]) {
        let held = match self.in_window(bytes) {
            Some(h) => h,
            None => self.copy(bytes),
        };
        self.hand_over(ticket, held);
    }

    fn hash_masked(&mut self, ticket: u64, masked: &[u8], key: [u8; 4], offset: u64) -> bool {
        // In place or copied, the piece stays masked: the compression function unmasks it as it
        // loads each block (copied pieces are most of a wss:// upload's, decrypted records).
        let held = match self.in_window(masked) {
            Some(h) => h,
            None => self.copy(masked),
        };
        let held = Held {
            mask: aligned(key, offset),
            ..held
        };
        self.hand_over(ticket, held);
        true
    }

    fn hash_abandon(&mut self, ticket: u64) {
        self.open_tickets = self.open_tickets.saturating_sub(1);
        self.work(ticket).abandoned.push(ticket);
    }

    fn spare_buffer(&mut self) -> Vec<u8> {
        self.buffers.pop().unwrap_or_default()
    }

    fn caught_up(&mut self) {
        self.batch.flush = true;
        self.send();
    }

    fn backing(&mut self, bytes: &Backing) {
        if !self.window.as_ref().is_some_and(|w| Arc::ptr_eq(w, bytes)) {
            self.window = Some(bytes.clone());
        }
    }
}

/// `key` rotated so that its first byte applies to payload byte `offset`.
fn aligned(mut key: [u8; 4], offset: u64) -> [u8; 4] {
    key.rotate_left((offset % 4) as usize);
    key
}

impl BatchSender {
    fn copy(&mut self, bytes: &[u8]) -> Held {
        let start = self.batch.bytes.len();
        self.batch.bytes.extend_from_slice(bytes);
        Held {
            src: 0,
            range: start..start + bytes.len(),
            mask: [0; 4],
        }
    }

    fn hand_over(&mut self, ticket: u64, held: Held) {
        let n = held.range.len();
        self.work(ticket).pieces.push((ticket, held));
        if ticket & LOCAL == 0 {
            self.pieces_sent += n as u64;
        }
        self.added(n);
    }

    /// The part of the batch's hashing that `ticket` belongs to.
    fn work(&mut self, ticket: u64) -> &mut Work {
        if ticket & LOCAL != 0 {
            &mut self.batch.local
        } else {
            &mut self.batch.remote
        }
    }

    /// `bytes` as a piece of the current window, when they lie in it (not in a buffer of the
    /// decoder's), with the window added to the batch.
    fn in_window(&mut self, bytes: &[u8]) -> Option<Held> {
        let w = self.window.as_ref()?;
        let base = w.as_ptr() as usize;
        let start = (bytes.as_ptr() as usize).checked_sub(base)?;
        if start + bytes.len() > w.len() {
            return None;
        }
        if !self
            .batch
            .windows
            .last()
            .is_some_and(|last| Arc::ptr_eq(last, w))
        {
            // One window per batch, let go of once its pieces are hashed: the windows kept
            // mapped are those of the queued batches and of this one, however far apart their
            // pieces lie in the file.
            if !self.batch.windows.is_empty() {
                self.send();
            }
            let w = self.window.clone()?;
            self.batch.windows.push(w);
        }
        Some(Held {
            src: self.batch.windows.len() as u32,
            range: start..start + bytes.len(),
            mask: [0; 4],
        })
    }
}

/// One side's hashing (the writer's, or the decoder's own): a state per open ticket, fed two
/// payloads at a time.
#[derive(Default)]
struct Hashes {
    open: Vec<(u64, Stream)>,
    /// The current batch's pieces by ticket, kept for their memory.
    by_ticket: Vec<(u64, Vec<Held>)>,
}

impl Hashes {
    fn take(&mut self, ticket: u64) -> Stream {
        match self.open.iter().position(|(t, _)| *t == ticket) {
            Some(i) => self.open.swap_remove(i).1,
            // No piece came before: a new payload (or an empty one, when finishing).
            None => Stream::default(),
        }
    }

    /// Do `work` for `events`: pieces first (a ticket's pieces always precede its message, in
    /// this batch or an earlier one), then the digests. Returns the piece bytes hashed.
    fn complete(&mut self, work: &Work, src: Sources<'_>, events: &mut [Event]) -> u64 {
        let mut used = 0;
        let mut hashed = 0;
        for (t, r) in &work.pieces {
            hashed += r.range.len() as u64;
            if let Some(g) = self.by_ticket[..used].iter_mut().find(|g| g.0 == *t) {
                g.1.push(r.clone());
                continue;
            }
            if used == self.by_ticket.len() {
                self.by_ticket.push((0, Vec::new()));
            }
            let g = &mut self.by_ticket[used];
            g.0 = *t;
            g.1.clear();
            g.1.push(r.clone());
            used += 1;
        }
        let streams: Vec<Stream> = (0..used).map(|i| self.take(self.by_ticket[i].0)).collect();
        let mut jobs: Vec<Job> = streams
            .into_iter()
            .zip(&self.by_ticket)
            .map(|(s, (_, pieces))| Job::new(s, pieces.iter().map(|p| src.piece(p)).collect()))
            .collect();
        sha::update_lanes(&mut jobs);
        for (job, (t, _)) in jobs.into_iter().zip(&self.by_ticket) {
            self.open.push((*t, job.stream));
        }
        for &(i, how) in &work.unhashed {
            if let Some(Event::WsMessage(m)) = events.get_mut(i) {
                m.sha256 = match how {
                    Unhashed::Content => sha256(m.content()),
                    Unhashed::Pieces(t) => self.take(t).finish(),
                };
            }
        }
        for t in &work.abandoned {
            self.open.retain(|(o, _)| o != t);
        }
        hashed
    }
}

/// How the writer waits for the next batch. With a core to spare it polls for a while before
/// it sleeps, unless the last batch brought payload pieces to hash: on chatty traffic the next
/// batch is usually a fraction of a millisecond away, and the decoder then need not wake the
/// writer (a system call on the thread that sets the pace). On bulk traffic, where both threads
/// hash, polling made decoding slower, not faster (docs/performance.md).
struct Waiter {
    spare_core: bool,
    poll: bool,
}

/// How long the writer polls before it sleeps.
const POLL: std::time::Duration = std::time::Duration::from_micros(200);

impl Waiter {
    fn new() -> Self {
        Waiter {
            spare_core: std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
            poll: true,
        }
    }

    /// The next batch, or None once the sender is gone.
    fn next(&mut self, rx: &Receiver<Batch>) -> Option<Batch> {
        let b = self.poll_for(rx).or_else(|| rx.recv().ok());
        self.poll = self.spare_core && b.as_ref().is_some_and(|b| b.remote.pieces.is_empty());
        b
    }

    fn poll_for(&self, rx: &Receiver<Batch>) -> Option<Batch> {
        use std::sync::mpsc::TryRecvError;
        if !self.poll {
            return None;
        }
        let start = std::time::Instant::now();
        while start.elapsed() < POLL {
            match rx.try_recv() {
                Ok(b) => return Some(b),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {}
            }
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
        None
    }
}

/// Run `sink` on its own thread; events sent to the returned sender reach it in order. Joining
/// the handle (after dropping or closing the sender) gives the sink back.
pub fn spawn<S: WriteEvent + Send + 'static>(mut sink: S) -> (BatchSender, JoinHandle<S>) {
    let (tx, rx) = sync_channel::<Batch>(QUEUE);
    let (back_tx, back_rx) = sync_channel::<Batch>(QUEUE + 1);
    let done = Arc::new(AtomicU64::new(0));
    let writer_done = done.clone();
    let mut hashes = Hashes::default();
    let handle = std::thread::Builder::new()
        .name("wslens-writer".into())
        .spawn(move || {
            let mut waiter = Waiter::new();
            while let Some(mut batch) = waiter.next(&rx) {
                let hashed = batch.complete(&mut hashes, false);
                writer_done.fetch_add(hashed, Ordering::Relaxed);
                // Unmapped here, not by the decoder when it reuses the batch.
                batch.windows.clear();
                let mut segs = batch.tcp.drain(..);
                let mut written = 0;
                for (ev, &before) in batch.events.iter().zip(&batch.tcp_before) {
                    for seg in segs.by_ref().take((before - written) as usize) {
                        sink.write_event(&Event::Tcp(seg));
                    }
                    written = before;
                    sink.write_event(ev);
                }
                for seg in segs {
                    sink.write_event(&Event::Tcp(seg));
                }
                if batch.flush {
                    sink.flush_out();
                }
                // Message buffers go back to be reused; what is left of the events holds no
                // memory the decoder allocates often, so it is dropped here.
                for ev in batch.events.drain(..) {
                    if let Event::WsMessage(m) = ev {
                        if let Some(t) = m.text {
                            batch.buffers.push(t.into_bytes());
                        }
                        if m.data.capacity() > 0 {
                            batch.buffers.push(m.data);
                        }
                    }
                }
                let _ = back_tx.try_send(batch);
            }
            sink
        })
        .expect("spawn writer thread");
    let sender = BatchSender {
        batch: Batch::new(),
        held: 0,
        tx: Some(tx),
        spare: back_rx,
        next_ticket: 0,
        open_tickets: 0,
        pieces_sent: 0,
        pieces_done: done,
        buffers: Vec::new(),
        window: None,
        local: Hashes::default(),
    };
    (sender, handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Dir, Level, Note, Ts};

    struct Collect(Vec<Event>);
    impl WriteEvent for Collect {
        fn write_event(&mut self, ev: &Event) {
            self.0.push(ev.clone());
        }
    }

    fn note(text: String) -> Event {
        Event::Note(Note {
            level: Level::Info,
            code: "t",
            text,
            conn: None,
            pkt: None,
        })
    }

    /// A mapped window holding `bytes`, as the capture reader would hand one over.
    fn window_of(bytes: &[u8]) -> Backing {
        let mut map = memmap2::MmapMut::map_anon(bytes.len()).unwrap();
        map.copy_from_slice(bytes);
        Arc::new(map.make_read_only().unwrap())
    }

    /// The digests of the messages the writer received, in order.
    fn digests(got: &[Event]) -> Vec<[u8; 32]> {
        got.iter()
            .filter_map(|e| match e {
                Event::WsMessage(m) => Some(m.sha256),
                _ => None,
            })
            .collect()
    }

    fn message(text: Option<&str>, data: &[u8]) -> WsMessage {
        WsMessage {
            len: 0,
            ..WsMessage::for_test(Dir::C2S, text, data)
        }
    }

    #[test]
    fn batches_are_bounded_by_count_and_bytes_and_keep_order() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let big = "x".repeat(100_000);
        for i in 0..50 {
            let text = if i % 10 == 0 {
                big.clone()
            } else {
                i.to_string()
            };
            tx.emit(note(text));
            assert!(
                tx.held < BATCH_BYTES,
                "the byte count restarts with each batch"
            );
        }
        tx.close();
        let got = h.join().unwrap().0;
        assert_eq!(got.len(), 50);
        assert_eq!(got[1], note("1".into()));
        assert_eq!(got[49], note("49".into()));
    }

    fn tcp(pkt: u64) -> Event {
        use crate::event::{Analysis, TcpFlags, TcpOpts, TcpSegment, TcpState};
        Event::Tcp(TcpSegment {
            conn: 1,
            pkt,
            ts: Ts(0),
            dir: Dir::C2S,
            flags: TcpFlags(0x10),
            seq: 0,
            ack: 0,
            rel_seq: 0,
            rel_ack: 0,
            len: 0,
            win: 0,
            win_scaled: None,
            client_state: TcpState::Established,
            server_state: TcpState::Established,
            handshake: None,
            analysis: Analysis::default(),
            opts: TcpOpts::default(),
            truncated: false,
        })
    }

    #[test]
    fn tcp_segments_kept_apart_are_written_in_their_place() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let mut sent = Vec::new();
        // Runs of segments of every length between other events, across many batches.
        for i in 0..20_000u64 {
            let ev = if i % 7 < (i / 7) % 5 {
                note(i.to_string())
            } else {
                tcp(i)
            };
            sent.push(ev.clone());
            tx.emit(ev);
        }
        tx.emit(tcp(99_999));
        sent.push(tcp(99_999));
        drop(tx);
        assert_eq!(h.join().unwrap().0, sent);
    }

    #[test]
    fn the_writer_fills_in_digests_from_content_and_from_pieces() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        // Two interleaved ticketed payloads, cut into pieces across several batches, one
        // abandoned payload, and content digests in between.
        let a = tx.hash_begin().expect("a ticket");
        let b = tx.hash_begin().expect("a ticket");
        let c = tx.hash_begin().expect("a ticket");
        for piece in payload.chunks(70_000) {
            tx.hash_piece(a, piece);
            tx.hash_piece(b, &piece[..10]);
            tx.hash_piece(c, piece);
        }
        tx.hash_abandon(c);
        tx.emit_unhashed(message(Some("héllo"), &[]), Unhashed::Content);
        tx.emit_unhashed(message(None, &payload[..300]), Unhashed::Pieces(a));
        tx.emit(note("between".into()));
        tx.emit_unhashed(message(None, b"ping"), Unhashed::Content);
        tx.emit_unhashed(message(None, &[]), Unhashed::Pieces(b));
        assert_eq!(tx.open_tickets, 0);
        tx.close();
        let got = h.join().unwrap().0;
        let digests = digests(&got);
        let b_payload: Vec<u8> = payload
            .chunks(70_000)
            .flat_map(|p| &p[..10])
            .copied()
            .collect();
        assert_eq!(
            digests,
            vec![
                sha256("héllo".as_bytes()),
                sha256(&payload),
                sha256(b"ping"),
                sha256(&b_payload),
            ]
        );
        assert_eq!(got[2], note("between".into()));
    }

    #[test]
    fn written_texts_come_back_as_empty_spare_buffers() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let spare = loop {
            // Batches come back once written; sending more makes the sender look for them.
            for _ in 0..BATCH {
                tx.emit(Event::WsMessage(message(
                    Some("a text of some length"),
                    &[],
                )));
            }
            let b = tx.spare_buffer();
            if b.capacity() > 0 || std::time::Instant::now() > deadline {
                break b;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert!(spare.capacity() >= "a text of some length".len());
        assert!(spare.is_empty());
        drop(tx);
        let got = h.join().unwrap().0;
        assert!(got.iter().all(|e| matches!(e, Event::WsMessage(m)
            if m.text.as_deref() == Some("a text of some length"))));
    }

    /// A buffer that held a large text is not kept for reuse: it would carry its capacity
    /// through every short text after it (issue 17: 11 MiB of 4 KiB buffers holding 80 bytes
    /// each on 2,000 deflate connections one after another).
    #[test]
    fn only_small_buffers_are_kept_for_reuse() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let mut b = Batch::new();
        for cap in [80, 4000, BUFFER_MAX, BUFFER_MAX + 1, 100_000] {
            b.buffers.push(Vec::with_capacity(cap));
        }
        tx.recycle(&mut b);
        let mut kept: Vec<usize> = tx.buffers.iter().map(|v| v.capacity()).collect();
        kept.sort();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(
            kept[0] >= 80 && kept[1] >= BUFFER_MAX && kept[1] < 4000,
            "{kept:?}"
        );
        drop(tx);
        h.join().unwrap();
    }

    #[test]
    fn the_decoder_hashes_while_the_writer_is_far_behind() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let payload: Vec<u8> = (0..2_500_000u32).map(|i| (i % 253) as u8).collect();
        // Pieces of `a` are kept in place in a mapped window; those of `b` and `c`, handed out
        // while the writer is behind, are hashed on this thread, `b` from copies.
        let window = window_of(&payload);
        tx.backing(&window);
        let a = tx.hash_begin().expect("a ticket");
        tx.pieces_sent = BACKLOG + 1;
        let b = tx.hash_begin().expect("a ticket");
        let c = tx.hash_begin().expect("a ticket");
        tx.pieces_sent = 0;
        assert_eq!((a & LOCAL, b & LOCAL, c & LOCAL), (0, LOCAL, LOCAL));
        for piece in window.chunks(90_001) {
            let copied = tx.batch.bytes.len();
            tx.hash_piece(a, piece);
            assert_eq!(
                tx.batch.bytes.len(),
                copied,
                "a piece in the window is not copied"
            );
            tx.hash_piece(b, &piece.to_vec()[..77]);
            tx.hash_piece(c, piece);
        }
        tx.hash_abandon(c);
        tx.emit_unhashed(message(None, &[]), Unhashed::Pieces(b));
        tx.emit_unhashed(message(None, &payload[..300]), Unhashed::Pieces(a));
        assert_eq!(tx.open_tickets, 0);
        drop(window);
        tx.close();
        let got = h.join().unwrap().0;
        let digests = digests(&got);
        let b_payload: Vec<u8> = payload
            .chunks(90_001)
            .flat_map(|p| &p[..77])
            .copied()
            .collect();
        assert_eq!(digests, vec![sha256(&b_payload), sha256(&payload)]);
    }

    #[test]
    fn masked_pieces_are_hashed_unmasked_in_place_or_copied() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
        let key = [0x8e, 0x17, 0x5a, 0xc3];
        let mut masked = payload.clone();
        crate::ws::unmask(&mut masked, key, 0);
        let window = window_of(&masked);
        tx.backing(&window);
        // `a` from the window, `b` from copies (not in the window), `c` hashed on this thread;
        // pieces of odd lengths, so that the key's phase moves.
        let a = tx.hash_begin().unwrap();
        let b = tx.hash_begin().unwrap();
        tx.pieces_sent = BACKLOG + 1;
        let c = tx.hash_begin().unwrap();
        tx.pieces_sent = 0;
        let mut at = 0;
        for n in [1, 2, 3, 5, 64, 127, 4099, 70_001].iter().cycle() {
            let n = (*n).min(window.len() - at);
            let piece = &window[at..at + n];
            let copied = tx.batch.bytes.len();
            assert!(tx.hash_masked(a, piece, key, at as u64));
            assert_eq!(tx.batch.bytes.len(), copied, "kept in the window");
            let copy = piece.to_vec();
            assert!(tx.hash_masked(b, &copy, key, at as u64));
            assert!(tx.hash_masked(c, piece, key, at as u64));
            at += n;
            if at == window.len() {
                break;
            }
        }
        for t in [a, b, c] {
            tx.emit_unhashed(message(None, &[]), Unhashed::Pieces(t));
        }
        drop(window);
        tx.close();
        let got = h.join().unwrap().0;
        let want = sha256(&payload);
        let digests = digests(&got);
        assert_eq!(digests, vec![want; 3]);
    }

    #[test]
    fn a_batch_keeps_one_window_mapped() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let (w1, w2) = (window_of(&[1; 4096]), window_of(&[2; 4096]));
        let t = tx.hash_begin().unwrap();
        tx.backing(&w1);
        tx.hash_piece(t, &w1[..100]);
        tx.hash_piece(t, &w1[100..200]);
        assert_eq!(tx.batch.windows.len(), 1);
        tx.backing(&w2);
        tx.hash_piece(t, &w2[..100]);
        // The batch holding the first window was sent before a piece of the second was added.
        assert_eq!(tx.batch.windows.len(), 1);
        assert!(Arc::ptr_eq(&tx.batch.windows[0], &w2));
        assert_eq!(tx.batch.remote.pieces.len(), 1);
        tx.emit_unhashed(message(None, &[]), Unhashed::Pieces(t));
        tx.close();
        let got = h.join().unwrap().0;
        let mut payload = vec![1u8; 200];
        payload.extend([2u8; 100]);
        assert!(matches!(&got[..], [Event::WsMessage(m)] if m.sha256 == sha256(&payload)));
    }

    #[test]
    fn no_tickets_once_too_many_are_open() {
        let (mut tx, h) = spawn(Collect(Vec::new()));
        for _ in 0..TICKETS {
            assert!(tx.hash_begin().is_some());
        }
        assert_eq!(tx.hash_begin(), None);
        drop(tx);
        h.join().unwrap();
    }
}
