//! Pure-Rust capture through `pnet_datalink` on an AF_PACKET socket that we open ourselves.
//!
//! Owning the socket fixes what pnet alone gets wrong on loopback: every `lo` packet would be
//! seen twice (the outgoing and the incoming copy; pnet throws away `sockaddr_ll`, so the copies
//! cannot be told apart afterwards), there would be no timestamps and no drop counter.

use super::backend::{Backend, RawPacket};
use super::error::{CaptureError, from_io};
use pnet_datalink::{Channel, Config, DataLinkReceiver};
use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SOL_PACKET: libc::c_int = 263;
const PACKET_STATISTICS: libc::c_int = 6;
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
const SO_TIMESTAMPNS: libc::c_int = 35;
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;
/// Largest loopback frame is 65,536 + 14; GRO on real NICs can hand up ~64 KiB + headers too.
/// pnet's `recv` cuts anything longer than its buffer without saying so.
const READ_BUFFER: usize = 256 << 10;
const SOCKET_RCVBUF: libc::c_int = 8 << 20;

#[repr(C)]
#[derive(Default)]
struct TpacketStats {
    tp_packets: u32,
    tp_drops: u32,
}

pub struct PnetBackend {
    rx: Box<dyn DataLinkReceiver>,
    /// Kept alive for the fd they share with `rx`; never used to send.
    _tx: Box<dyn pnet_datalink::DataLinkSender>,
    fd: RawFd,
    linktype: u32,
    drops: u64,
    kernel_stamps: bool,
}

impl PnetBackend {
    pub fn open(iface: &str) -> Result<PnetBackend, CaptureError> {
        let nic = pnet_datalink::interfaces()
            .into_iter()
            .find(|i| i.name == iface)
            .ok_or_else(|| {
                if iface == "any" {
                    CaptureError::Unsupported(
                        "the pnet backend cannot capture on `any`: name one interface (-i lo) \
                         or use `--backend pcap`"
                            .into(),
                    )
                } else {
                    CaptureError::NoInterface(iface.to_string())
                }
            })?;
        let linktype = linktype_of(iface)?;
        // Protocol 0: the socket receives nothing until pnet binds it to the interface with
        // ETH_P_ALL, so no packet of another interface slips in before the bind.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(from_io(iface, io::Error::last_os_error()));
        }
        if nic.is_loopback() {
            // Each lo packet passes the tap twice (as sent and as received): keep one copy.
            if let Err(e) = setsockopt_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) {
                unsafe { libc::close(fd) };
                return Err(CaptureError::Other(format!(
                    "PACKET_IGNORE_OUTGOING failed on {iface} ({e}): every loopback packet would \
                     be seen twice (needs Linux ≥ 4.20)"
                )));
            }
        }
        // Best effort: a bigger queue absorbs bursts while the capture thread is busy.
        if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, SOCKET_RCVBUF).is_err() {
            let _ = setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, SOCKET_RCVBUF);
        }
        let kernel_stamps = setsockopt_int(fd, libc::SOL_SOCKET, SO_TIMESTAMPNS, 1).is_ok();
        let cfg = Config {
            read_buffer_size: READ_BUFFER,
            read_timeout: Some(Duration::from_millis(100)),
            promiscuous: false,
            socket_fd: Some(fd),
            ..Config::default()
        };
        // pnet closes the fd itself when its bind fails.
        let (tx, rx) = match pnet_datalink::channel(&nic, cfg) {
            Ok(Channel::Ethernet(tx, rx)) => (tx, rx),
            Ok(_) => return Err(CaptureError::Other("pnet: unexpected channel type".into())),
            Err(e) => return Err(from_io(iface, e)),
        };
        Ok(PnetBackend {
            rx,
            _tx: tx,
            fd,
            linktype,
            drops: 0,
            kernel_stamps,
        })
    }
}

impl Backend for PnetBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn next(&mut self, _wait: Duration) -> Result<Option<RawPacket<'_>>, CaptureError> {
        // The wait is the socket's read timeout, fixed at open.
        let PnetBackend {
            rx,
            fd,
            kernel_stamps,
            ..
        } = self;
        match rx.next() {
            Ok(data) => {
                let ts_ns = stamp(*fd, kernel_stamps);
                Ok(Some(RawPacket {
                    ts_ns,
                    data,
                    orig_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
                }))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(CaptureError::Other(format!("capture read failed: {e}"))),
        }
    }

    fn kernel_drops(&mut self) -> Option<u64> {
        // PACKET_STATISTICS resets the kernel's counters on every read: accumulate.
        let mut st = TpacketStats::default();
        let mut sl = std::mem::size_of::<TpacketStats>() as libc::socklen_t;
        let r = unsafe {
            libc::getsockopt(
                self.fd,
                SOL_PACKET,
                PACKET_STATISTICS,
                (&mut st as *mut TpacketStats).cast(),
                &mut sl,
            )
        };
        if r != 0 {
            return None;
        }
        self.drops += u64::from(st.tp_drops);
        Some(self.drops)
    }

    fn filters_ports(&self) -> bool {
        false
    }
}

fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    v: libc::c_int,
) -> io::Result<()> {
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&v as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// pcap link type for a SOCK_RAW AF_PACKET socket on this interface, from its ARPHRD type.
fn linktype_of(iface: &str) -> Result<u32, CaptureError> {
    let path = format!("/sys/class/net/{iface}/type");
    let arphrd: u32 = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    match arphrd {
        // Ethernet and loopback both carry a 14-byte Ethernet header.
        1 | 772 => Ok(1),
        // No link header at all (tun, wireguard): raw IP.
        65534 => Ok(101),
        n => Err(CaptureError::Unsupported(format!(
            "interface {iface} has link type ARPHRD {n}, which the pnet backend does not \
             handle; use `--backend pcap`"
        ))),
    }
}

/// The kernel's receive time of the last packet read (SO_TIMESTAMPNS + SIOCGSTAMPNS), so
/// timestamps do not carry the delay of our own thread; the wall clock when unavailable.
fn stamp(fd: RawFd, kernel_stamps: &mut bool) -> i64 {
    if *kernel_stamps {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let r = unsafe { libc::ioctl(fd, SIOCGSTAMPNS as _, &mut ts) };
        if r == 0 {
            return ts
                .tv_sec
                .saturating_mul(1_000_000_000)
                .saturating_add(ts.tv_nsec);
        }
        *kernel_stamps = false;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}
