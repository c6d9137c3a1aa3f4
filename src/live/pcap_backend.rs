//! Capture through libpcap: BPF in the kernel, the TPACKET ring, kernel drop counters.

use super::backend::{Backend, RawPacket};
use super::error::CaptureError;
use pcap::{Active, Capture, Precision};
use std::os::fd::AsRawFd;
use std::time::Duration;

const SNAPLEN: i32 = 262_144;
const RING_BYTES: i32 = 32 << 20;
const BLOCK_TIMEOUT_MS: i32 = 50;

pub struct PcapBackend {
    cap: Capture<Active>,
    linktype: u32,
    filtered: bool,
    maybe_more: bool,
}

impl PcapBackend {
    pub fn open(iface: &str, bpf: Option<&str>) -> Result<PcapBackend, CaptureError> {
        let cap = Capture::from_device(iface)
            .map_err(|e| classify(iface, e))?
            // Not immediate mode: that switches libpcap to TPACKET_V2, whose fixed ring slots
            // are snaplen-sized (a 16 MiB ring then holds ~60 packets and drops under load).
            // TPACKET_V3 packs packets into blocks handed over when full or after the block
            // timeout: 50 ms of latency at most, unnoticeable in a classroom.
            .immediate_mode(false)
            .snaplen(SNAPLEN)
            .precision(Precision::Nano)
            .buffer_size(RING_BYTES)
            .timeout(BLOCK_TIMEOUT_MS)
            .promisc(false)
            .open()
            .map_err(|e| classify(iface, e))?;
        let mut cap = cap;
        if iface == "lo" {
            // Each loopback packet passes the tap twice; keep the incoming copy only, in the
            // kernel (PACKET_IGNORE_OUTGOING) rather than after it filled the ring.
            let _ = cap.direction(pcap::Direction::In);
        }
        if let Some(f) = bpf {
            cap.filter(f, true)
                .map_err(|e| CaptureError::Other(format!("BPF filter {f:?}: {e}")))?;
        }
        // pcap_next_ex can block forever on an idle interface whatever the timeout; in
        // non-blocking mode we wait with poll() ourselves and can always stop.
        let cap = cap
            .setnonblock()
            .map_err(|e| CaptureError::Other(format!("pcap setnonblock: {e}")))?;
        let linktype = cap.get_datalink().0 as u32;
        Ok(PcapBackend {
            cap,
            linktype,
            filtered: bpf.is_some(),
            maybe_more: false,
        })
    }
}

fn classify(iface: &str, e: pcap::Error) -> CaptureError {
    let msg = e.to_string();
    let low = msg.to_ascii_lowercase();
    if low.contains("permission") || low.contains("not permitted") {
        CaptureError::Permission {
            iface: iface.to_string(),
            detail: msg,
        }
    } else if low.contains("no such device") || low.contains("doesn't exist") {
        CaptureError::NoInterface(iface.to_string())
    } else {
        CaptureError::Other(format!("libpcap on {iface}: {msg}"))
    }
}

impl Backend for PcapBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn next(&mut self, wait: Duration) -> Result<Option<RawPacket<'_>>, CaptureError> {
        // After a packet the ring may hold more: read on without a poll() syscall. Once it is
        // empty, wait on the fd.
        if !self.maybe_more {
            let mut pfd = libc::pollfd {
                fd: self.cap.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = wait.as_millis().min(i32::MAX as u128) as i32;
            let r = unsafe { libc::poll(&mut pfd, 1, ms) };
            if r <= 0 {
                return Ok(None);
            }
        }
        let PcapBackend {
            cap, maybe_more, ..
        } = self;
        match cap.next_packet() {
            Ok(p) => {
                *maybe_more = true;
                // With nanosecond precision libpcap puts nanoseconds in tv_usec.
                let ts_ns = p
                    .header
                    .ts
                    .tv_sec
                    .saturating_mul(1_000_000_000)
                    .saturating_add(p.header.ts.tv_usec);
                Ok(Some(RawPacket {
                    ts_ns,
                    data: p.data,
                    orig_len: p.header.len,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => {
                *maybe_more = false;
                Ok(None)
            }
            Err(e) => Err(CaptureError::Other(format!("libpcap read: {e}"))),
        }
    }

    fn kernel_drops(&mut self) -> Option<u64> {
        self.cap.stats().ok().map(|s| u64::from(s.dropped))
    }

    fn filters_ports(&self) -> bool {
        self.filtered
    }
}
