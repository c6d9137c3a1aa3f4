use super::error::CaptureError;
use std::time::Duration;

/// One packet as a backend delivered it; `data` borrows the backend's buffer.
pub struct RawPacket<'a> {
    /// Absolute time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub data: &'a [u8],
    /// Length on the wire (≥ `data.len()` when the snap length cut it).
    pub orig_len: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Pnet,
    Pcap,
}

impl BackendKind {
    /// libpcap when it was built in: it has BPF, a ring buffer and drop counters.
    pub fn default_for_build() -> BackendKind {
        if cfg!(feature = "libpcap") {
            BackendKind::Pcap
        } else {
            BackendKind::Pnet
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Pnet => "pnet",
            BackendKind::Pcap => "pcap",
        }
    }
}

/// A live packet source. `next` waits at most `wait` so the capture thread can notice a stop.
pub trait Backend: Send {
    fn linktype(&self) -> u32;
    fn next(&mut self, wait: Duration) -> Result<Option<RawPacket<'_>>, CaptureError>;
    /// Packets the kernel dropped since the capture began, when the backend can tell.
    fn kernel_drops(&mut self) -> Option<u64>;
    /// Whether the backend already applies the port filter in the kernel.
    fn filters_ports(&self) -> bool;
}

/// Open a backend on `iface`. `bpf` is the full BPF expression (libpcap only).
pub fn open(
    kind: BackendKind,
    iface: &str,
    bpf: Option<&str>,
) -> Result<Box<dyn Backend>, CaptureError> {
    match kind {
        BackendKind::Pnet => {
            if let Some(f) = bpf {
                return Err(CaptureError::Unsupported(format!(
                    "BPF filter {f:?} needs the libpcap backend (build with `--features libpcap` \
                     and use `--backend pcap`); the pnet backend filters only by port (-p)"
                )));
            }
            Ok(Box::new(super::pnet_backend::PnetBackend::open(iface)?))
        }
        BackendKind::Pcap => open_pcap(iface, bpf),
    }
}

#[cfg(feature = "libpcap")]
fn open_pcap(iface: &str, bpf: Option<&str>) -> Result<Box<dyn Backend>, CaptureError> {
    Ok(Box::new(super::pcap_backend::PcapBackend::open(
        iface, bpf,
    )?))
}

#[cfg(not(feature = "libpcap"))]
fn open_pcap(_iface: &str, _bpf: Option<&str>) -> Result<Box<dyn Backend>, CaptureError> {
    Err(CaptureError::Unsupported(
        "this wslens was built without libpcap: rebuild with `cargo build --features libpcap`, \
         or use `--backend pnet`"
            .into(),
    ))
}
