//! Live capture: a capture thread that never waits for anyone, feeding the same decoder pipeline
//! as a file through a bounded channel.
//!
//! Backends: pure Rust, an AF_PACKET socket we open ourselves read through a TPACKET_V3 ring
//! (`ring`; `pnet_datalink` finds the interface; default build), or libpcap (feature `libpcap`:
//! BPF, ring buffer, kernel drop counters).

mod backend;
pub mod demo;
mod error;
mod filter;
#[cfg(feature = "libpcap")]
mod pcap_backend;
mod pipeline;
mod pnet_backend;
mod privs;
mod ring;
mod thread;

pub use backend::{Backend, BackendKind, RawPacket};
pub use error::CaptureError;
pub use filter::PortFilter;
pub use pipeline::{UI_FRAME_PREVIEW, decode_live, feed_ui, stop_on_signals};
pub use privs::drop_capabilities;
pub use privs::{Unprivileged, create_private, drop_root_when_open};
pub use thread::{
    CaptureHandle, CaptureOptions, CaptureStats, CapturedPacket, LiveCounters, SecretsFeed,
    StopReason, start,
};
