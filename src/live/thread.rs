//! The capture thread and what it hands to the consumer.
//!
//! The thread reads, filters, records (-w) and passes packets on through a bounded channel with
//! `try_send`: it never waits for the decoder, the UI or the output. When the channel is full
//! (by packets or by bytes) the packet is counted as dropped by us, and the count is reported.

use super::backend::{self, Backend, BackendKind};
use super::error::CaptureError;
use super::filter::PortFilter;
use crate::capture::Packet;
use crate::capture::pcapng::PcapngWriter;
use crate::capture::write::PcapWriter;
use crate::event::{Event, Level, Note, PktNum};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Packets waiting between the capture thread and the consumer, at most.
pub const QUEUE_PACKETS: usize = 65_536;
/// Packets handed over at once: the consumer is woken once per batch, not once per packet.
const BATCH: usize = 256;
/// Bytes waiting between the capture thread and the consumer, at most.
pub const QUEUE_BYTES: u64 = 64 << 20;
/// Snap length recorded in -w files: above any packet our backends deliver.
const SNAPLEN: u32 = 262_144;
const POLL: Duration = Duration::from_millis(100);
const FLUSH_EVERY: Duration = Duration::from_millis(250);
const STATS_EVERY: Duration = Duration::from_secs(1);

pub struct CaptureOptions {
    pub iface: String,
    pub backend: BackendKind,
    pub ports: Vec<u16>,
    pub bpf: Option<String>,
    /// Where to record the raw packets (.pcap as they arrive; created once the socket is open).
    pub record: Option<PathBuf>,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    /// Set from outside (Ctrl-C, the UI, the demo) to stop the capture.
    pub stop: Arc<AtomicBool>,
    /// Record as pcapng, with the TLS key log lines handed over here written as Decryption
    /// Secrets Blocks as they come, each before the next packet (`demo --tls --record`: the
    /// peers log their keys before the records they protect reach the wire).
    pub record_secrets: Option<SecretsFeed>,
}

/// Key log text waiting to be embedded in a recording (see `CaptureOptions::record_secrets`).
#[derive(Clone, Debug, Default)]
pub struct SecretsFeed(Arc<std::sync::Mutex<Vec<u8>>>);

impl SecretsFeed {
    /// Lines waiting beyond this are dropped: a peer logs a few lines per connection.
    const MAX: usize = 1 << 20;

    pub fn push(&self, text: &[u8]) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if g.len() + text.len() <= Self::MAX {
            g.extend_from_slice(text);
        }
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

type Out = Box<dyn Write + Send>;

/// The recording: classic pcap, or pcapng with key log lines embedded as they come.
enum Recorder {
    Pcap(PcapWriter<Out>),
    Pcapng(PcapngWriter<Out>, SecretsFeed),
}

impl Recorder {
    fn write(&mut self, p: &Packet<'_>) -> std::io::Result<()> {
        match self {
            Recorder::Pcap(w) => w.write(p),
            Recorder::Pcapng(w, feed) => {
                write_secrets(w, feed)?;
                w.write(p)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Recorder::Pcap(w) => w.flush(),
            Recorder::Pcapng(w, feed) => {
                write_secrets(w, feed)?;
                w.flush()
            }
        }
    }
}

/// The key log lines logged since the last call, as one Decryption Secrets Block.
fn write_secrets(w: &mut PcapngWriter<Out>, feed: &SecretsFeed) -> std::io::Result<()> {
    let text = feed.take();
    if text.is_empty() {
        return Ok(());
    }
    w.tls_secrets(&text)
}

/// One captured packet, owned, numbered in capture order (the numbers of the -w file).
#[derive(Clone, Debug)]
pub struct CapturedPacket {
    pub num: PktNum,
    /// Absolute, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub linktype: u32,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl CapturedPacket {
    /// The decoder's view of it: the same type a capture file yields.
    pub fn as_packet(&self) -> Packet<'_> {
        Packet {
            num: self.num,
            ts_ns: self.ts_ns,
            linktype: self.linktype,
            data: &self.data,
            orig_len: self.orig_len,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    Count,
    Duration,
    Stopped,
    ConsumerGone,
    Error(String),
}

/// Counters readable while the capture runs (the UI's status line).
#[derive(Default, Debug)]
pub struct LiveCounters {
    pub captured: AtomicU64,
    pub dropped_by_us: AtomicU64,
    pub kernel_drops: AtomicU64,
    queued_bytes: AtomicU64,
}

#[derive(Clone, Debug)]
pub struct CaptureStats {
    pub backend: BackendKind,
    pub iface: String,
    pub captured: u64,
    pub dropped_by_us: u64,
    pub kernel_drops: Option<u64>,
    pub reason: StopReason,
}

impl CaptureStats {
    /// The end-of-capture report as `note` events: nothing is lost silently.
    pub fn notes(&self) -> Vec<Event> {
        let mut out = Vec::new();
        let kd = self.kernel_drops.unwrap_or(0);
        let lossy = self.dropped_by_us > 0 || kd > 0;
        let kernel = match self.kernel_drops {
            Some(k) => format!("{k} dropped by the kernel"),
            None => "kernel drops unknown".to_string(),
        };
        out.push(Event::Note(Note {
            level: if lossy { Level::Warn } else { Level::Info },
            code: if lossy {
                "capture-dropped"
            } else {
                "capture-summary"
            },
            text: format!(
                "live capture on {} ({}): {} packets captured, {} dropped by wslens (decoder too \
                 slow), {}; stopped: {}",
                self.iface,
                self.backend.as_str(),
                self.captured,
                self.dropped_by_us,
                kernel,
                match &self.reason {
                    StopReason::Count => "packet count reached".to_string(),
                    StopReason::Duration => "duration reached".to_string(),
                    StopReason::Stopped => "stop requested (Ctrl-C, or the demo ended)".to_string(),
                    StopReason::ConsumerGone => "output closed".to_string(),
                    StopReason::Error(e) => format!("error: {e}"),
                }
            ),
            conn: None,
            pkt: None,
        }));
        out
    }
}

pub struct CaptureHandle {
    rx: Receiver<Vec<CapturedPacket>>,
    /// The rest of the batch received last.
    batch: std::collections::VecDeque<CapturedPacket>,
    pub linktype: u32,
    pub stop: Arc<AtomicBool>,
    pub counters: Arc<LiveCounters>,
    join: JoinHandle<CaptureStats>,
}

impl CaptureHandle {
    /// The next packet; `Disconnected` once the capture has ended and everything was taken.
    pub fn recv_timeout(&mut self, d: Duration) -> Result<CapturedPacket, RecvTimeoutError> {
        if self.batch.is_empty() {
            self.batch = self.rx.recv_timeout(d)?.into();
        }
        let Some(p) = self.batch.pop_front() else {
            return Err(RecvTimeoutError::Timeout);
        };
        self.counters
            .queued_bytes
            .fetch_sub(p.data.len() as u64, Ordering::Relaxed);
        Ok(p)
    }

    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Wait for the capture thread (after the channel reported `Disconnected`, or after a stop).
    pub fn finish(self) -> CaptureStats {
        self.stop.store(true, Ordering::SeqCst);
        let CaptureHandle {
            rx, join, batch, ..
        } = self;
        drop(batch);
        drop(rx);
        join.join().unwrap_or_else(|_| CaptureStats {
            backend: BackendKind::Pnet,
            iface: String::new(),
            captured: 0,
            dropped_by_us: 0,
            kernel_drops: None,
            reason: StopReason::Error("capture thread panicked".into()),
        })
    }
}

/// Open the capture (in the calling thread, so permission errors surface here), drop
/// capabilities, and start the capture thread.
pub fn start(opts: CaptureOptions) -> Result<CaptureHandle, CaptureError> {
    let filter = PortFilter::new(&opts.ports);
    let bpf = match opts.backend {
        BackendKind::Pcap => filter.bpf(opts.bpf.as_deref()),
        BackendKind::Pnet => opts.bpf.clone(),
    };
    let be = backend::open(opts.backend, &opts.iface, bpf.as_deref())?;
    let linktype = be.linktype();
    // Created before capabilities are dropped, so a root-owned target directory still works.
    let record = match &opts.record {
        Some(path) => {
            let f = super::privs::create_record(path).map_err(|e| {
                CaptureError::Other(format!("cannot create {}: {e}", path.display()))
            })?;
            let w: Out = Box::new(BufWriter::with_capacity(1 << 20, f));
            let cannot = |e: std::io::Error| {
                CaptureError::Other(format!("cannot write {}: {e}", path.display()))
            };
            Some(match &opts.record_secrets {
                Some(feed) => Recorder::Pcapng(PcapngWriter::new(w).map_err(cannot)?, feed.clone()),
                None => Recorder::Pcap(PcapWriter::new(w, linktype, SNAPLEN).map_err(cannot)?),
            })
        }
        None => None,
    };
    super::privs::drop_privileges()
        .map_err(|e| CaptureError::Other(format!("cannot drop privileges: {e}")))?;
    let (tx, rx) = mpsc::sync_channel(QUEUE_PACKETS / BATCH);
    let counters = Arc::new(LiveCounters::default());
    let worker = Worker {
        be,
        filter,
        record,
        tx,
        counters: counters.clone(),
        stop: opts.stop.clone(),
        count: opts.count,
        deadline: opts.duration.map(|d| Instant::now() + d),
        linktype,
    };
    let kind = opts.backend;
    let iface = opts.iface.clone();
    let join = std::thread::Builder::new()
        .name("wslens-capture".into())
        .spawn(move || worker.run(kind, iface))
        .map_err(|e| CaptureError::Other(format!("cannot start the capture thread: {e}")))?;
    Ok(CaptureHandle {
        rx,
        batch: Default::default(),
        linktype,
        stop: opts.stop,
        counters,
        join,
    })
}

struct Worker {
    be: Box<dyn Backend>,
    filter: PortFilter,
    record: Option<Recorder>,
    tx: SyncSender<Vec<CapturedPacket>>,
    counters: Arc<LiveCounters>,
    stop: Arc<AtomicBool>,
    count: Option<u64>,
    deadline: Option<Instant>,
    linktype: u32,
}

impl Worker {
    /// Send the held packets to the consumer as one batch; a full queue drops them all.
    fn hand_over(
        &mut self,
        pending: &mut Vec<CapturedPacket>,
        dropped: &mut u64,
    ) -> Result<(), StopReason> {
        if pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(pending, Vec::with_capacity(BATCH));
        match self.tx.try_send(batch) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(b)) => {
                let bytes: u64 = b.iter().map(|p| p.data.len() as u64).sum();
                self.counters
                    .queued_bytes
                    .fetch_sub(bytes, Ordering::Relaxed);
                *dropped += b.len() as u64;
                self.counters
                    .dropped_by_us
                    .store(*dropped, Ordering::Relaxed);
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(StopReason::ConsumerGone),
        }
    }

    fn run(mut self, backend: BackendKind, iface: String) -> CaptureStats {
        let user_filter = !self.be.filters_ports() && !self.filter.is_empty();
        let mut captured: u64 = 0;
        let mut dropped: u64 = 0;
        let mut last_flush = Instant::now();
        let mut last_stats = Instant::now();
        let mut pending: Vec<CapturedPacket> = Vec::with_capacity(BATCH);
        let reason = loop {
            // Kernel drops as they happen, for the UI's status line.
            if last_stats.elapsed() >= STATS_EVERY {
                last_stats = Instant::now();
                if let Some(k) = self.be.kernel_drops() {
                    self.counters.kernel_drops.store(k, Ordering::Relaxed);
                }
            }
            let stop = if self.stop.load(Ordering::Relaxed) {
                Some(StopReason::Stopped)
            } else if self.count.is_some_and(|c| captured >= c) {
                Some(StopReason::Count)
            } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
                Some(StopReason::Duration)
            } else {
                None
            };
            if let Some(reason) = stop {
                if let Err(r) = self.hand_over(&mut pending, &mut dropped) {
                    break r;
                }
                break reason;
            }
            // While packets are held, only look whether more are ready: once none are, the
            // batch goes to the consumer before waiting.
            let wait = match self.deadline {
                _ if !pending.is_empty() => Duration::ZERO,
                Some(d) => d.saturating_duration_since(Instant::now()).min(POLL),
                None => POLL,
            };
            let pkt = match self.be.next(wait) {
                Ok(Some(p)) => p,
                Ok(None) if !pending.is_empty() => {
                    if let Err(r) = self.hand_over(&mut pending, &mut dropped) {
                        break r;
                    }
                    continue;
                }
                Ok(None) => {
                    if let Some(w) = self.record.as_mut() {
                        if let Err(e) = w.flush() {
                            break StopReason::Error(format!("writing the capture file: {e}"));
                        }
                        last_flush = Instant::now();
                    }
                    continue;
                }
                Err(e) => break StopReason::Error(e.to_string()),
            };
            if user_filter && !self.filter.matches(self.linktype, pkt.data) {
                continue;
            }
            captured += 1;
            self.counters.captured.store(captured, Ordering::Relaxed);
            if let Some(w) = self.record.as_mut() {
                let rec = Packet {
                    num: captured,
                    ts_ns: pkt.ts_ns,
                    linktype: self.linktype,
                    data: pkt.data,
                    orig_len: pkt.orig_len,
                };
                let r = w.write(&rec).and_then(|_| {
                    if last_flush.elapsed() >= FLUSH_EVERY {
                        last_flush = Instant::now();
                        w.flush()
                    } else {
                        Ok(())
                    }
                });
                if let Err(e) = r {
                    break StopReason::Error(format!("writing the capture file: {e}"));
                }
            }
            let len = pkt.data.len() as u64;
            if self.counters.queued_bytes.load(Ordering::Relaxed) + len > QUEUE_BYTES {
                dropped += 1;
                self.counters
                    .dropped_by_us
                    .store(dropped, Ordering::Relaxed);
                continue;
            }
            let cp = CapturedPacket {
                num: captured,
                ts_ns: pkt.ts_ns,
                linktype: self.linktype,
                data: pkt.data.to_vec(),
                orig_len: pkt.orig_len,
            };
            self.counters.queued_bytes.fetch_add(len, Ordering::Relaxed);
            pending.push(cp);
            if pending.len() >= BATCH
                && let Err(r) = self.hand_over(&mut pending, &mut dropped)
            {
                break r;
            }
        };
        let kernel_drops = self.be.kernel_drops();
        if let Some(k) = kernel_drops {
            self.counters.kernel_drops.store(k, Ordering::Relaxed);
        }
        let reason = match self.record.as_mut().map(|w| w.flush()) {
            Some(Err(e)) if matches!(reason, StopReason::Error(_)) => {
                let _ = e;
                reason
            }
            Some(Err(e)) => StopReason::Error(format!("writing the capture file: {e}")),
            _ => reason,
        };
        CaptureStats {
            backend,
            iface,
            captured,
            dropped_by_us: dropped,
            kernel_drops,
            reason,
        }
    }
}
