//! Reading a capture file mapped into memory a window at a time. Packets are decoded where the
//! page cache holds them, with no copy into a read buffer (on bulk traffic that copy cost as
//! much as a third of the decoding thread's time), and a sink may keep pieces of a window
//! instead of copying them ([`crate::event::Sink::backing`]). Only the windows still referenced
//! stay mapped, so memory does not grow with the file.

use super::{Blocks, CaptureError, MAX_BLOCK, Packet, ReadSummary, read_from};
use memmap2::{Mmap, MmapOptions};
use pcap_parser::nom::Err as NomErr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A mapped window of a capture file, shared by whoever still holds pieces of it.
pub type Backing = Arc<Mmap>;

/// Bytes mapped at a time: large enough that mapping costs little per byte, small enough that
/// the few windows batches in flight may hold stay far below the memory bound.
const WINDOW: usize = 8 << 20;

/// The pages of a window behind the packet being decoded are let go (taken out of the resident
/// set) whenever the decode point has moved this far past the last ones let go.
const RELEASE_STEP: usize = 1 << 20;

/// How much further to look again when pieces of the window were still held.
const RELEASE_RETRY: usize = 64 << 10;

/// Holders of a window that keep no piece of it: the reader's own reference and the one a sink
/// keeps for the window being decoded ([`crate::event::Sink::backing`]). Any more are pieces
/// still to be hashed (`output::batch`), which would have to be read back in if let go.
const HOLDERS: usize = 2;

/// Let go of the window's pages before the one `upto` (an offset in the window) lies in, from
/// `*released` on, unless somebody holds pieces of the window; gives the offset at which to
/// call again.
///
/// Without this, every page read stays resident until the whole window is unmapped: up to
/// [`WINDOW`] bytes of file pages (on 2,000 small connections one after another, a third of the
/// peak memory). The pages stay in the page cache; only this process's mapping of them goes.
fn release_behind(w: &Backing, released: &mut usize, upto: usize) -> usize {
    if Arc::strong_count(w) > HOLDERS {
        return upto + RELEASE_RETRY;
    }
    let page = PAGE.load(Ordering::Relaxed);
    let base = w.as_ptr() as usize;
    // Addresses: the mapping itself starts at the page `base` lies in (memmap2 maps from the
    // page-aligned file offset below the window's).
    let from = (base + *released) & !(page - 1);
    let to = (base + upto) & !(page - 1);
    if to > from {
        // SAFETY: the range is whole pages of this mapping, which is private, read-only and
        // never written: MADV_DONTNEED only drops their page table entries, and a later read
        // (a piece still to be hashed, say) faults the file's page back in with the same
        // contents. (A page of zeros put in by the SIGBUS handler is anonymous and private: it
        // comes back as zeros.)
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED);
        }
        *released = to - base;
    }
    *released + RELEASE_STEP
}

/// Like [`super::read_file`], but a regular file is mapped rather than read; `f` also gets the
/// window the packet lies in (None when the input is read, e.g. from a pipe).
///
/// A file cut short by another program while it is mapped would kill the process with SIGBUS;
/// the handler installed here puts a page of zeros where the file's page was, and reading
/// stops at the next packet with [`CaptureError::Shrunk`], so what was decoded is still
/// written out.
pub fn read_file_mapped(
    path: &Path,
    mut f: impl FnMut(Packet<'_>, Option<&Backing>),
) -> Result<ReadSummary, CaptureError> {
    read_windows(path, WINDOW, None, |p, w| f(p, w.map(|(w, _)| w)))
}

/// Like [`read_file_mapped`], but `f` gets where each packet's bytes start in the file (None
/// when the input is read, e.g. from a pipe), so a view can keep that instead of the bytes and
/// read them again when it needs them.
pub fn read_file_offsets(
    path: &Path,
    f: impl FnMut(Packet<'_>, Option<u64>),
) -> Result<ReadSummary, CaptureError> {
    read_file_offsets_until(path, None, f)
}

/// [`read_file_offsets`], stopping early (within a window of the file, a few MiB) once `stop`
/// is set: what was read is summarised as usual.
pub fn read_file_offsets_until(
    path: &Path,
    stop: Option<&AtomicBool>,
    mut f: impl FnMut(Packet<'_>, Option<u64>),
) -> Result<ReadSummary, CaptureError> {
    read_windows(path, WINDOW, stop, |p, w| {
        let at = w.map(|(w, off)| off + (p.data.as_ptr() as usize - w.as_ptr() as usize) as u64);
        f(p, at)
    })
}

/// A function to run before the process exits on SIGBUS (put the terminal back): it must be
/// async-signal-safe.
static BEFORE_SIGBUS_EXIT: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Run `f` (async-signal-safe) before exiting on SIGBUS.
pub fn before_sigbus_exit(f: fn()) {
    let _ = BEFORE_SIGBUS_EXIT.set(f);
}

/// `f` gets each packet and the window it lies in with the window's offset in the file.
fn read_windows(
    path: &Path,
    window: usize,
    stop_at: Option<&AtomicBool>,
    mut f: impl FnMut(Packet<'_>, Option<(&Backing, u64)>),
) -> Result<ReadSummary, CaptureError> {
    let Some(file) = super::open(path)? else {
        return read_from(std::io::stdin(), |p| f(p, None));
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() && m.len() > 0 => m.len(),
        _ => return read_from(file, |p| f(p, None)),
    };
    on_sigbus_zero_page();
    let map = |off: u64, size: usize| -> Result<Backing, CaptureError> {
        let n = (size as u64).min(len - off) as usize;
        // SAFETY: the mapping is read-only and private; the one way its contents can fail us
        // is the file shrinking meanwhile, which the SIGBUS handler reports.
        unsafe { MmapOptions::new().offset(off).len(n).map(&file) }
            .map(Arc::new)
            .map_err(|e| CaptureError::Io(e.to_string()))
    };
    let Ok(mut w) = map(0, window) else {
        // Some file systems cannot map files: read it instead.
        return read_from(file, |p| f(p, None));
    };
    let (mut st, mut format, mut pos) = Blocks::start(&w)?;
    let mut off = 0u64;
    let mut size = window;
    let mut delivered = 0;
    // Offset in `w` up to which its pages were let go, and where to try next.
    let (mut released, mut release_at) = (0, RELEASE_STEP);
    loop {
        // Once a page read as zeros, no packet more is delivered: it could be made of them.
        let (used, stop) = st.parse(&mut format, &w[pos..], &mut |p| {
            if !shrunk() {
                delivered = p.num;
                let at = p.data.as_ptr() as usize - w.as_ptr() as usize;
                f(p, Some((&w, off)));
                if at >= release_at {
                    release_at = release_behind(&w, &mut released, at);
                }
            }
        });
        if shrunk() {
            // Packets are numbered as parsed; those parsed after the fault were not delivered.
            st.num = delivered;
            st.sum.error = Some(CaptureError::Shrunk {
                after_pkt: delivered,
            });
            break;
        }
        pos += used;
        let at = off + pos as u64;
        let end = off + w.len() as u64;
        if stop_at.is_some_and(|s| s.load(Ordering::Relaxed)) {
            break;
        }
        match stop {
            None if end == len => break,
            None => {}
            // More of the file may complete the block, unless it claims more than any real one.
            Some(NomErr::Incomplete(needed))
                if end < len && super::claimed((end - at) as usize, needed) <= MAX_BLOCK => {}
            Some(e) => {
                st.sum.error = Some(st.stop_error(e, at, (end - at) as usize));
                break;
            }
        }
        // The next block starts at `at`: map from there, larger if it did not fit whole.
        if pos == 0 {
            if size >= MAX_BLOCK {
                st.sum.error = Some(CaptureError::Corrupt {
                    offset: at,
                    after_pkt: st.num,
                    what: format!("block larger than {} MiB", MAX_BLOCK >> 20),
                });
                break;
            }
            size = (size * 4).min(MAX_BLOCK);
        } else {
            size = window;
        }
        w = match map(at, size) {
            Ok(w) => w,
            Err(e) => {
                st.sum.error = Some(e);
                break;
            }
        };
        off = at;
        pos = 0;
        (released, release_at) = (0, RELEASE_STEP);
    }
    Ok(st.done())
}

/// Set by the SIGBUS handler: a page of a mapped file was gone (the file shrank) and was
/// replaced by zeros.
static SHRUNK: AtomicBool = AtomicBool::new(false);
static PAGE: AtomicUsize = AtomicUsize::new(4096);

fn shrunk() -> bool {
    SHRUNK.load(Ordering::Relaxed)
}

/// Make SIGBUS (a mapped page beyond the end of a file that shrank) survivable: the handler maps
/// a page of zeros over the missing one and flags it, so the faulting read completes, the
/// reading loop stops at the next packet, and the events decoded so far are written out
/// before wslens exits with status 1. Should the page not be replaceable, it prints a message
/// and exits at once.
fn on_sigbus_zero_page() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        extern "C" fn handler(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
            const MSG: &[u8] = b"wslens: the capture file was cut short while it was being read\n";
            // SAFETY: the kernel hands a valid siginfo for SA_SIGINFO handlers; mmap, write and
            // _exit are system calls, safe in a signal handler.
            unsafe {
                let page = PAGE.load(Ordering::Relaxed);
                let addr = ((*info).si_addr() as usize) & !(page - 1);
                let m = libc::mmap(
                    addr as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                );
                if addr == 0 || m == libc::MAP_FAILED {
                    // Leaving at once: the UI, if it runs, puts the terminal back first.
                    if let Some(before) = BEFORE_SIGBUS_EXIT.get() {
                        before();
                    }
                    libc::write(2, MSG.as_ptr().cast(), MSG.len());
                    libc::_exit(1);
                }
                SHRUNK.store(true, Ordering::Relaxed);
            }
        }
        ONCE.call_once(|| {
            // SAFETY: sysconf has no preconditions; a zeroed sigaction with an empty mask and
            // an SA_SIGINFO handler of the matching signature is valid.
            unsafe {
                let page = libc::sysconf(libc::_SC_PAGESIZE);
                if page > 0 {
                    PAGE.store(page as usize, Ordering::Relaxed);
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler
                    as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
                    as usize;
                sa.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::read_slice;
    use std::path::PathBuf;

    /// A packet as delivered: number, time, link type, digest of the bytes, length on the wire.
    type Seen = (u64, i64, u32, [u8; 32], u32);

    /// What a reader delivered: each packet, and how reading ended.
    fn packets(
        read: impl FnOnce(&mut dyn FnMut(Packet<'_>)) -> Result<ReadSummary, CaptureError>,
    ) -> (Vec<Seen>, String) {
        let mut got = Vec::new();
        let r = read(&mut |p| {
            let data = crate::sha::sha256(p.data);
            got.push((p.num, p.ts_ns, p.linktype, data, p.orig_len))
        });
        let end = match r {
            Ok(s) => format!(
                "{} {:?} {:?}",
                s.packets,
                s.warnings,
                s.error.map(|e| e.to_string())
            ),
            Err(e) => e.to_string(),
        };
        (got, end)
    }

    fn captures() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .collect();
        v.sort();
        assert!(v.len() >= 4, "the bundled captures");
        v
    }

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let p = std::env::temp_dir().join(format!("wslens-map-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn mapped_windows_deliver_what_reading_does() {
        for path in captures() {
            let bytes = std::fs::read(&path).unwrap();
            let want = packets(|f| read_slice(&bytes, f));
            assert!(!want.0.is_empty(), "{}", path.display());
            // Windows smaller than most blocks (grown to fit), a few blocks, the default.
            for window in [4096, 1 << 16, WINDOW] {
                let mut windows = 0;
                let mut last: Option<Backing> = None;
                let got = packets(|f| {
                    read_windows(&path, window, None, |p, w| {
                        let (w, off) = w.expect("a regular file is mapped");
                        // The offset given is where the packet's bytes are in the file.
                        let at = off as usize + (p.data.as_ptr() as usize - w.as_ptr() as usize);
                        assert_eq!(&bytes[at..at + p.data.len()], p.data);
                        if !last.as_ref().is_some_and(|l| Arc::ptr_eq(l, w)) {
                            windows += 1;
                            last = Some(w.clone());
                        }
                        let base = w.as_ptr() as usize;
                        let at = p.data.as_ptr() as usize;
                        assert!(at >= base && at + p.data.len() <= base + w.len());
                        f(p)
                    })
                });
                assert_eq!(got, want, "{} in windows of {window}", path.display());
                if bytes.len() > 2 * window {
                    assert!(windows > 1, "{}", path.display());
                }
            }
        }
    }

    /// Resident KiB of this process's mapping that `addr` lies in (Linux: /proc/self/smaps).
    fn resident_kib(addr: usize) -> Option<u64> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split(' ').next().and_then(|r| r.split_once('-'));
            if let Some((a, b)) = range
                && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            {
                inside = a <= addr && addr < b;
            } else if inside && let Some(v) = line.strip_prefix("Rss:") {
                return v.trim().trim_end_matches("kB").trim().parse().ok();
            }
        }
        None
    }

    /// The pages of a window behind the decode point leave the resident set as it moves on
    /// (issue 17: on 2,000 small connections one after another, up to 8 MiB of a window's
    /// pages were a third of the peak), unless pieces of the window are still held; the
    /// bytes read the same after they were let go.
    #[test]
    fn pages_behind_the_decode_point_are_let_go() {
        // A classic pcap of 8,000 packets of 1,000 bytes: 8.1 MB, two windows.
        let mut bytes = Vec::new();
        for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for i in 0..8000u32 {
            for v in [i, 0, 1000, 1000] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            bytes.extend((0..1000u32).map(|j| (i.wrapping_mul(31) ^ j) as u8));
        }
        let p = temp("resident", &bytes);
        let first = bytes[40..140].to_vec();
        // Resident KiB of the first window after 6 MiB of it was decoded, with `extra` more
        // references to it held meanwhile (beyond the reader's own).
        let resident_after_6mib = |extra: usize| {
            let mut held = Vec::new();
            let mut at_6mib = None;
            read_windows(&p, WINDOW, None, |pkt, w| {
                let (w, off) = w.unwrap();
                if held.len() < extra {
                    held.push(w.clone());
                }
                if off == 0 && pkt.num == 6200 {
                    at_6mib = resident_kib(w.as_ptr() as usize);
                    // Bytes let go read back as they were.
                    assert_eq!(&w[40..140], &first[..]);
                }
            })
            .unwrap();
            at_6mib.expect("the window's mapping in /proc/self/smaps")
        };
        if resident_kib(first.as_ptr() as usize).is_none() {
            eprintln!("no /proc/self/smaps here: not checked");
            std::fs::remove_file(&p).unwrap();
            return;
        }
        // The reader's and a sink's references: let go (at most a step and the fault-around
        // window behind the decode point stay).
        let released = resident_after_6mib(1);
        // A batch holding pieces of the window too: kept, to be hashed without faults.
        let kept = resident_after_6mib(2);
        std::fs::remove_file(&p).unwrap();
        assert!(released < 2048, "{released} KiB resident");
        assert!(kept > 5 * 1024, "{kept} KiB resident");
    }

    #[test]
    fn damage_is_reported_as_when_reading() {
        let bytes = std::fs::read(&captures()[0]).unwrap();
        let mut bad_len = bytes.clone();
        // The first packet's captured length (after the 24-byte file header and the two
        // timestamp fields) made absurdly large.
        bad_len[32..36].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
        let cases: [(&str, &[u8]); 4] = [
            ("cut", &bytes[..bytes.len() - 100]),
            ("header", &bytes[..20]),
            ("garbage", &[0x42; 100]),
            ("huge", &bad_len),
        ];
        // A block claiming more than any real one is corrupt, not cut short; reading the file
        // through a buffer says so too.
        let p = temp("huge-claim", &bad_len);
        let got = packets(|f| read_windows(&p, WINDOW, None, |pkt, _| f(pkt)));
        let read = packets(|f| crate::capture::read_file(&p, f));
        assert!(
            got.1
                .contains("corrupt block (too large) at byte offset 24"),
            "{}",
            got.1
        );
        assert_eq!(got, read);
        std::fs::remove_file(p).unwrap();
        for (name, content) in cases {
            let p = temp(name, content);
            let want = packets(|f| read_slice(content, f));
            for window in [4096, WINDOW] {
                let got = packets(|f| read_windows(&p, window, None, |pkt, _| f(pkt)));
                assert_eq!(got, want, "{name}, windows of {window}");
            }
            std::fs::remove_file(p).unwrap();
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Damaged files (cut anywhere, bytes overwritten anywhere) read in small windows give
        /// what reading them whole in memory gives: the same packets, the same end.
        #[test]
        fn damaged_files_read_in_windows_as_in_memory(
            pcapng in proptest::prelude::any::<bool>(),
            cut in 0usize..8000,
            hits in proptest::collection::vec((0usize..8000, proptest::prelude::any::<u8>()), 0..4),
            window in 1usize..4,
        ) {
            let name = if pcapng { "dumpcap.pcapng" } else { "bad-accept.pcap" };
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
            let mut bytes = std::fs::read(dir.join(name)).unwrap();
            bytes.truncate(cut.max(1));
            for (at, b) in hits {
                if let Some(x) = bytes.get_mut(at) {
                    *x = b;
                }
            }
            let p = temp(&format!("damaged-{cut}-{window}"), &bytes);
            let want = packets(|f| read_slice(&bytes, f));
            let got = packets(|f| read_windows(&p, window * 512, None, |pkt, _| f(pkt)));
            std::fs::remove_file(&p).unwrap();
            proptest::prop_assert_eq!(got, want);
        }
    }

    /// A file cut short while mapped: in a child process (SIGBUS is process-wide), which reads
    /// the file named by the variable and truncates it after the first packet; reading must
    /// return, having delivered that packet and no other, with the `Shrunk` error.
    #[test]
    fn a_file_cut_short_while_mapped_is_reported() {
        const VAR: &str = "WSLENS_TEST_TRUNCATE";
        if let Some(p) = std::env::var_os(VAR) {
            let p = PathBuf::from(p);
            let mut n = 0;
            let r = read_windows(&p, 1 << 20, None, |_, _| {
                n += 1;
                if n == 1 {
                    std::fs::File::options()
                        .write(true)
                        .open(&p)
                        .unwrap()
                        .set_len(0)
                        .unwrap();
                }
            });
            // Reading came back (no crash, no exit from the handler), with what was delivered.
            let sum = r.unwrap();
            eprintln!("delivered {n}, summary {}", sum.packets);
            if let Some(e) = sum.error {
                eprintln!("{e}");
                std::process::exit(if n == 1 && sum.packets == 1 { 3 } else { 4 });
            }
            std::process::exit(0);
        }
        let bytes = std::fs::read(&captures()[0]).unwrap();
        let p = temp("shrinks", &bytes);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "capture::map::tests::a_file_cut_short_while_mapped_is_reported",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(VAR, &p)
            .output()
            .unwrap();
        std::fs::remove_file(&p).unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains("cut short while it was being read, after packet 1"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod stop_tests {
    use super::*;

    /// Reading stops within a window of the file once asked to, without an error; it reads to
    /// the end otherwise.
    #[test]
    fn a_read_asked_to_stop_ends_within_a_window() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/deflate.pcap");
        let all = read_windows(&path, 4096, None, |_, _| {}).unwrap();
        assert!(all.packets > 100, "{}", all.packets);
        let stop = AtomicBool::new(false);
        let mut seen = 0;
        let sum = read_windows(&path, 4096, Some(&stop), |_, _| {
            seen += 1;
            if seen == 10 {
                stop.store(true, Ordering::Relaxed);
            }
        })
        .unwrap();
        assert!(sum.error.is_none());
        // Packets of one 4 KiB window at most after the 10th.
        assert!(
            (10..10 + 4096 / 54).contains(&seen),
            "{seen} of {}",
            all.packets
        );
        assert!(seen < all.packets);
    }
}
