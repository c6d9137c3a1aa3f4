//! Reading a capture as it is written: a pipe (`tcpdump -U -w - | wslens decode -`), a FIFO or
//! a terminal. Packets are handed on as soon as their block is complete, and the caller is told
//! each time the reader has caught up with the writer, so it can write out what it holds
//! instead of waiting for the end of the input. A stop flag (set by Ctrl-C or SIGTERM) ends
//! reading cleanly: what the writer had already sent is still read.

use super::{Blocks, CaptureError, Format, MAX_BLOCK, Packet, ReadSummary};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the reader hands its caller.
pub enum Arrival<'a> {
    Packet(Packet<'a>),
    /// Every complete packet read so far was delivered, and no more bytes are waiting (or
    /// `FLUSH_EVERY` has passed while they kept coming): a moment to write out.
    CaughtUp,
}

/// While bytes keep coming, the caller is still told at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// How often the stop flag is looked at while the input is quiet.
const STOP_POLL: Duration = Duration::from_millis(100);
/// After a stop, bytes still arriving are read for at most this long (the writer of the pipe,
/// stopped by the same Ctrl-C, writes out what it buffered).
const DRAIN: Duration = Duration::from_millis(300);
const READ_SIZE: usize = 64 << 10;

/// Whether a file descriptor is a stream (pipe, FIFO, terminal, socket) rather than a regular
/// file or block device that can be mapped and read to its end at once.
pub fn is_stream(fd: impl AsFd) -> bool {
    let fd = fd.as_fd().as_raw_fd();
    // SAFETY: fstat on a descriptor we borrow, into a zeroed stat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return false;
    }
    let kind = st.st_mode & libc::S_IFMT;
    kind == libc::S_IFIFO || kind == libc::S_IFCHR || kind == libc::S_IFSOCK
}

/// Read `input` block by block as its bytes arrive, calling `f` for each packet and whenever the
/// reader has caught up. Returns `Err` only when nothing could be read (as `read_from`).
/// `stopped` is set when reading ended because of `stop`.
pub fn read_stream<R: Read + AsFd>(
    mut input: R,
    stop: &AtomicBool,
    stopped: &mut bool,
    mut f: impl FnMut(Arrival<'_>),
) -> Result<ReadSummary, CaptureError> {
    let mut buf: Vec<u8> = Vec::with_capacity(READ_SIZE * 2);
    let mut waiter = Waiter::new(stop);
    // The file header: as many bytes as its format says it takes.
    let header = loop {
        let need = header_len(&buf);
        if buf.len() >= need {
            break Blocks::start(&buf)?;
        }
        match waiter.fill(&mut input, &mut buf, need)? {
            0 if buf.is_empty() => return Err(CaptureError::Empty),
            0 => break Blocks::start(&buf)?,
            _ => {}
        }
    };
    let (mut st, mut format, mut pos): (Blocks, Format, usize) = header;
    let header_len = pos as u64;
    let mut last_flush = Instant::now();
    loop {
        let (used, stop_at) = st.parse(&mut format, &buf[pos..], &mut |p| f(Arrival::Packet(p)));
        pos += used;
        let offset = st.parsed + header_len;
        let mut want = pos + 1;
        match stop_at {
            None => {}
            Some(pcap_parser::nom::Err::Incomplete(needed)) => {
                let have = buf.len() - pos;
                let claim = super::claimed(have, needed);
                if claim > MAX_BLOCK {
                    st.sum.error = Some(st.stop_error(
                        pcap_parser::nom::Err::Incomplete(needed),
                        offset,
                        have,
                    ));
                    break;
                }
                want = pos + claim.max(have + 1);
            }
            Some(e) => {
                let have = buf.len() - pos;
                st.sum.error = Some(st.stop_error(e, offset, have));
                break;
            }
        }
        // Keep only the unparsed tail, at the front of the buffer.
        buf.drain(..pos);
        want -= pos;
        pos = 0;
        if !waiter.readable_now(&input) || last_flush.elapsed() >= FLUSH_EVERY {
            f(Arrival::CaughtUp);
            last_flush = Instant::now();
        }
        let n = waiter.fill(&mut input, &mut buf, want)?;
        if n == 0 {
            if !buf.is_empty() && !waiter.stopped {
                st.sum.error = Some(CaptureError::Truncated {
                    offset: st.parsed + header_len,
                    after_pkt: st.num,
                    what: "the last block is incomplete",
                });
            }
            break;
        }
    }
    *stopped = waiter.stopped;
    f(Arrival::CaughtUp);
    Ok(st.done())
}

/// Bytes the file header takes, judged from the first bytes (24 until the format is known).
fn header_len(b: &[u8]) -> usize {
    if b.len() >= 12 && b[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        let len = if b[8..12] == [0x4d, 0x3c, 0x2b, 0x1a] {
            u32::from_le_bytes([b[4], b[5], b[6], b[7]])
        } else {
            u32::from_be_bytes([b[4], b[5], b[6], b[7]])
        };
        return (len as usize).clamp(28, MAX_BLOCK);
    }
    if b.len() >= 4 && b[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        return 12;
    }
    24
}

/// Waits for the input without missing a stop: polls with a timeout, then reads.
struct Waiter<'a> {
    stop: &'a AtomicBool,
    stopped: bool,
    drain_until: Option<Instant>,
}

impl<'a> Waiter<'a> {
    fn new(stop: &'a AtomicBool) -> Self {
        Waiter {
            stop,
            stopped: false,
            drain_until: None,
        }
    }

    fn readable_now(&self, input: &impl AsFd) -> bool {
        poll_in(input, Duration::ZERO)
    }

    /// Read until `buf` holds `want` bytes or the input pauses; returns the bytes read, 0 at the
    /// end of the input or once stopped and drained.
    fn fill<R: Read + AsFd>(
        &mut self,
        input: &mut R,
        buf: &mut Vec<u8>,
        want: usize,
    ) -> Result<usize, CaptureError> {
        if want > buf.capacity() {
            buf.reserve(want - buf.len());
        }
        loop {
            if self.drain_until.is_none() && self.stop.load(Ordering::Relaxed) {
                self.stopped = true;
                self.drain_until = Some(Instant::now() + DRAIN);
            }
            let wait = match self.drain_until {
                Some(end) => {
                    let left = end.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(0);
                    }
                    left.min(STOP_POLL)
                }
                None => STOP_POLL,
            };
            if !poll_in(input, wait) {
                if self.drain_until.is_some() {
                    // Quiet after a stop: what the writer had is in.
                    return Ok(0);
                }
                continue;
            }
            let start = buf.len();
            let room = want.saturating_sub(start).max(READ_SIZE);
            buf.resize(start + room, 0);
            let r = input.read(&mut buf[start..]);
            match r {
                Ok(n) => {
                    buf.truncate(start + n);
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(start),
                Err(e) => {
                    buf.truncate(start);
                    return Err(CaptureError::Io(e.to_string()));
                }
            }
        }
    }
}

/// Whether `fd` has bytes (or its end) to read within `wait`.
fn poll_in(fd: &impl AsFd, wait: Duration) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_fd().as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = wait.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd for the duration of the call.
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    // An error (EINTR from a signal) counts as "nothing yet": the loop looks at the stop flag.
    r > 0 && p.revents != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::read_slice;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    fn classroom() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/classroom.pcap"
        ))
        .unwrap()
    }

    /// Read `bytes` written to a socket `step` bytes at a time; the packets' numbers and
    /// lengths, the number of catch-ups, and how reading ended.
    fn stream(bytes: Vec<u8>, step: usize) -> (Vec<(u64, usize)>, usize, String) {
        let (r, mut w) = UnixStream::pair().unwrap();
        let writer = std::thread::spawn(move || {
            for c in bytes.chunks(step) {
                // The reader stops at a bad start and closes its end: the rest of the input
                // then has nowhere to go (a broken pipe), which is not this test's failure.
                if w.write_all(c).is_err() {
                    break;
                }
            }
        });
        let stop = AtomicBool::new(false);
        let mut got = Vec::new();
        let mut caught = 0;
        let mut stopped = false;
        let res = read_stream(r, &stop, &mut stopped, |a| match a {
            Arrival::Packet(p) => got.push((p.num, p.data.len())),
            Arrival::CaughtUp => caught += 1,
        });
        writer.join().unwrap();
        let end = match res {
            Ok(s) => format!("{} {:?}", s.packets, s.error.map(|e| e.to_string())),
            Err(e) => e.to_string(),
        };
        (got, caught, end)
    }

    #[test]
    fn delivers_what_reading_the_whole_file_does_in_any_chunks() {
        for name in ["classroom.pcap", "dumpcap.pcapng", "cooked2.pcapng"] {
            let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let mut want = Vec::new();
            read_slice(&bytes, |p| want.push((p.num, p.data.len()))).unwrap();
            for step in [1, 7, 100, 1 << 20] {
                let (got, caught, end) = stream(bytes.clone(), step);
                assert_eq!(got, want, "{name} in steps of {step}");
                assert!(caught >= 1);
                assert_eq!(end, format!("{} None", want.len()), "{name} {step}");
            }
        }
    }

    #[test]
    fn bad_starts_and_cut_ends_are_the_errors_reading_gives() {
        assert_eq!(stream(Vec::new(), 1).2, "the input is empty");
        let mut b = classroom();
        assert!(stream(b[..10].to_vec(), 3).2.contains("file header"));
        assert!(
            stream(b"hello world, not a capture file".to_vec(), 5)
                .2
                .contains("not a pcap")
        );
        b.truncate(b.len() - 5);
        let (got, _, end) = stream(b, 64);
        assert!(!got.is_empty());
        assert!(end.contains("incomplete"), "{end}");
    }

    #[test]
    fn packets_are_delivered_before_the_input_ends() {
        let bytes = classroom();
        let (r, mut w) = UnixStream::pair().unwrap();
        // Header and first packet (24 + 16 + 74 bytes), then silence until told.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let first = 24 + 16 + 74;
        let head = bytes[..first].to_vec();
        let rest = bytes[first..].to_vec();
        let writer = std::thread::spawn(move || {
            w.write_all(&head).unwrap();
            rx.recv().unwrap();
            w.write_all(&rest).unwrap();
        });
        let stop = AtomicBool::new(false);
        let mut stopped = false;
        let mut seen = 0;
        let mut released = false;
        read_stream(r, &stop, &mut stopped, |a| match a {
            Arrival::Packet(_) => seen += 1,
            Arrival::CaughtUp => {
                if !released {
                    assert_eq!(seen, 1, "the first packet came before the rest was written");
                    released = true;
                    tx.send(()).unwrap();
                }
            }
        })
        .unwrap();
        writer.join().unwrap();
        assert!(released && seen > 1);
    }

    #[test]
    fn a_stop_ends_a_quiet_input() {
        let bytes = classroom();
        let (r, mut w) = UnixStream::pair().unwrap();
        w.write_all(&bytes[..200]).unwrap();
        let stop = AtomicBool::new(false);
        let mut stopped = false;
        let mut n = 0;
        let res = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(150));
                stop.store(true, Ordering::Relaxed);
            });
            read_stream(r, &stop, &mut stopped, |a| {
                if let Arrival::Packet(_) = a {
                    n += 1
                }
            })
        })
        .unwrap();
        assert!(stopped);
        assert_eq!(res.packets, n);
        assert!(n >= 1 && res.error.is_none());
        drop(w);
    }
}
