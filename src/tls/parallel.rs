//! Performance machinery, kept apart from what the TLS layer means: opening a run of records
//! on two cores. A decoding thread that meets a run of large protected records (the records of
//! one TCP delivery, all under the same keys) gives part of them to a helper thread of its own
//! and opens the rest itself; it waits for the helper before anything is passed up, so records
//! still reach the layer above one by one, in order, and only after their tag verified.
//!
//! The helper is started on first use, one per decoding thread (a thread-local), and only on a
//! machine with a second core; it ends when its decoding thread does. The helper reads the
//! records where they lie (the mapped capture file, the record layer's buffer): the caller's
//! bytes must outlive the job, which [`InFlight`] guarantees by waiting for the helper before
//! it goes away, also when unwinding.

use super::crypto::DirKeys;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

/// Records handed to the helper: opened with `keys` at consecutive sequence numbers from
/// `first_seq`. The job travels to the helper and back, and its buffers are reused.
pub struct Job {
    pub keys: Option<DirKeys>,
    pub first_seq: u64,
    /// Each record's header and body (pointer and length: bytes borrowed from the caller for
    /// as long as the job is in flight).
    items: Vec<([u8; 5], *const u8, usize)>,
    /// Each record's plaintext and content type (None: its tag did not verify).
    pub outs: Vec<(Option<u8>, Vec<u8>)>,
}

impl Job {
    fn new() -> Job {
        Job {
            keys: None,
            first_seq: 0,
            items: Vec::new(),
            outs: Vec::new(),
        }
    }

    /// Empty the job for a new run, keeping its allocations.
    pub fn reset(&mut self, keys: DirKeys, first_seq: u64) {
        self.keys = Some(keys);
        self.first_seq = first_seq;
        self.items.clear();
    }

    /// Add a record; its body must stay where it is until the job has come back (see [`send`]).
    pub fn push(&mut self, header: [u8; 5], body: &[u8]) {
        self.items.push((header, body.as_ptr(), body.len()));
    }

    /// Open every record (on whichever thread runs it).
    fn run(&mut self) {
        let Some(keys) = &self.keys else {
            return;
        };
        self.outs.resize_with(self.items.len(), Default::default);
        for (i, &(header, ptr, len)) in self.items.iter().enumerate() {
            // SAFETY: `send` requires the bodies to stay valid and unchanged until the job comes
            // back, and `InFlight` waits for that before the caller's borrow ends.
            let body = unsafe { std::slice::from_raw_parts(ptr, len) };
            let (ty, out) = &mut self.outs[i];
            *ty = keys.open_at(self.first_seq + i as u64, &header, body, out);
        }
    }
}

// SAFETY: the pointers in `items` are only read, by one thread at a time (the job is moved
// between threads, never shared), while the caller keeps the bytes alive (see `send`).
unsafe impl Send for Job {}

/// A decoding thread's helper: jobs go out on one channel and come back on the other.
struct Helper {
    to: Sender<Job>,
    from: Receiver<Job>,
    /// A job not in flight, ready to be filled.
    spare: Option<Job>,
    /// Jobs waited for, and those among them the helper was late with, in the current window.
    waits: u32,
    late: u32,
    /// Runs left to open on the decoding thread alone (the helper did not keep up).
    pause: u32,
}

/// A wait longer than this means the helper did not get a core in time (a wake-up costs tens
/// of microseconds; a busy machine's scheduler makes it milliseconds).
const LATE: Duration = Duration::from_micros(300);
/// Jobs per window, and late ones in a window that pause the helper...
const WINDOW: u32 = 64;
const TOO_LATE: u32 = WINDOW / 8;
/// ...for this many runs. On a machine whose cores are all busy with other work, handing
/// records over only adds context switches and waits (measured: 20-40% more CPU time, no
/// shorter wall time); the helper is tried again after the pause.
const PAUSE_RUNS: u32 = 2048;

thread_local! {
    static HELPER: RefCell<Option<Helper>> = const { RefCell::new(None) };
}

/// Is there a second core to open records on?
pub fn available() -> bool {
    static TWO_CORES: OnceLock<bool> = OnceLock::new();
    *TWO_CORES.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

fn start() -> Option<Helper> {
    let (to, jobs) = channel::<Job>();
    let (done, from) = channel::<Job>();
    std::thread::Builder::new()
        .name("wslens-tls".into())
        .spawn(move || {
            while let Some(mut job) = next(&jobs) {
                job.run();
                if done.send(job).is_err() {
                    break;
                }
            }
        })
        .ok()?;
    Some(Helper {
        to,
        from,
        spare: Some(Job::new()),
        waits: 0,
        late: 0,
        pause: 0,
    })
}

/// An empty job to fill (reusing the last one's buffers), or None when no helper can run.
pub fn take_job() -> Option<Job> {
    if !available() {
        return None;
    }
    HELPER.with(|h| {
        let mut h = h.borrow_mut();
        if h.is_none() {
            *h = start();
        }
        let h = h.as_mut()?;
        if h.pause > 0 {
            h.pause -= 1;
            return None;
        }
        h.spare.take()
    })
}

/// A job with the helper, borrowing the caller's bytes for `'a`: dropping it (also while
/// unwinding) waits for the helper, so the borrowed bytes outlive the helper's reading.
pub struct InFlight<'a> {
    waited: bool,
    _borrow: PhantomData<&'a [u8]>,
}

impl InFlight<'_> {
    /// The job back, its records opened.
    pub fn wait(mut self) -> Option<Job> {
        self.waited = true;
        wait()
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.waited
            && let Some(job) = wait()
        {
            give_back(job);
        }
    }
}

/// Hand a filled job to the helper (None, and the job is lost, if the helper is gone).
///
/// # Safety
/// Every body pushed into `job` must stay valid and unchanged until the returned `InFlight`
/// is waited for or dropped; `_bytes` ties it to the caller's main borrow, and any other bytes
/// pushed (a buffer of the caller's) must live at least as long.
pub unsafe fn send<'a>(job: Job, _bytes: &'a [u8]) -> Option<InFlight<'a>> {
    HELPER.with(|h| {
        let h = h.borrow();
        h.as_ref()
            .and_then(|h| h.to.send(job).ok())
            .map(|()| InFlight {
                waited: false,
                _borrow: PhantomData,
            })
    })
}

/// Wait for the job sent last, opened.
fn wait() -> Option<Job> {
    HELPER.with(|h| {
        let mut h = h.borrow_mut();
        let h = h.as_mut()?;
        let job = match h.from.try_recv() {
            Ok(job) => Some(job),
            Err(TryRecvError::Disconnected) => None,
            Err(TryRecvError::Empty) => {
                let start = Instant::now();
                let job = next(&h.from);
                if start.elapsed() > LATE {
                    h.late += 1;
                }
                job
            }
        };
        h.waits += 1;
        if h.waits == WINDOW {
            if h.late >= TOO_LATE {
                h.pause = PAUSE_RUNS;
            }
            h.waits = 0;
            h.late = 0;
        }
        job
    })
}

/// The next job on `rx`, waited for (None when the other end is gone). Not polled first: on a
/// shared machine a polling thread holds a core the thread it waits for may need (measured:
/// polling for 100-150 µs tripled the CPU time of a TLS bulk decode under load).
fn next(rx: &Receiver<Job>) -> Option<Job> {
    rx.recv().ok()
}

/// Give a finished job back for reuse.
pub fn give_back(job: Job) {
    HELPER.with(|h| {
        if let Some(h) = h.borrow_mut().as_mut() {
            h.spare = Some(job);
        }
    })
}
