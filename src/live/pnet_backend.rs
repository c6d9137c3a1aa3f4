//! Pure-Rust capture on an AF_PACKET socket that we open ourselves, read through a TPACKET_V3
//! ring ([`super::ring`]); `pnet_datalink` finds the interface.
//!
//! Owning the socket fixes what pnet alone gets wrong on loopback: every `lo` packet would be
//! seen twice (the outgoing and the incoming copy; pnet throws away `sockaddr_ll`, so the copies
//! cannot be told apart afterwards), there would be no timestamps and no drop counter. Reading
//! through the ring rather than pnet's `recvfrom` per packet is what makes it cheap.

use super::backend::{Backend, RawPacket};
use super::error::{CaptureError, from_io};
use super::ring::Ring;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

const PACKET_IGNORE_OUTGOING: libc::c_int = 23;

pub struct PnetBackend {
    /// Declared before `fd` is closed (in `drop`): unmapped first.
    ring: Option<Ring>,
    fd: RawFd,
    linktype: u32,
    drops: u64,
}

impl Drop for PnetBackend {
    fn drop(&mut self) {
        self.ring = None;
        // SAFETY: the socket opened in `open`, closed once.
        unsafe { libc::close(self.fd) };
    }
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
        // Protocol 0: the socket receives nothing until it is bound to the interface with
        // ETH_P_ALL, so no packet of another interface slips in before the bind.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(from_io(iface, io::Error::last_os_error()));
        }
        let mut be = PnetBackend {
            ring: None,
            fd,
            linktype,
            drops: 0,
        };
        if nic.is_loopback() {
            // Each lo packet passes the tap twice (as sent and as received): keep one copy.
            if let Err(e) = setsockopt_int(fd, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) {
                return Err(CaptureError::Other(format!(
                    "PACKET_IGNORE_OUTGOING failed on {iface} ({e}): every loopback packet would \
                     be seen twice (needs Linux ≥ 4.20)"
                )));
            }
        }
        be.ring = Some(Ring::new(fd).map_err(|e| {
            CaptureError::Other(format!("cannot set up the capture ring on {iface}: {e}"))
        })?);
        // SAFETY: a zeroed sockaddr_ll filled in for bind(2).
        let r = unsafe {
            let mut sa: libc::sockaddr_ll = std::mem::zeroed();
            sa.sll_family = libc::AF_PACKET as u16;
            sa.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
            sa.sll_ifindex = nic.index as i32;
            libc::bind(
                fd,
                (&sa as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(from_io(iface, io::Error::last_os_error()));
        }
        Ok(be)
    }
}

impl Backend for PnetBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn next(&mut self, wait: Duration) -> Result<Option<RawPacket<'_>>, CaptureError> {
        let Some(ring) = self.ring.as_mut() else {
            return Ok(None);
        };
        match ring.next(wait) {
            Ok(Some(p)) => Ok(Some(RawPacket {
                ts_ns: p.ts_ns,
                data: p.data,
                orig_len: p.orig_len,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(CaptureError::Other(format!("capture read failed: {e}"))),
        }
    }

    fn kernel_drops(&mut self) -> Option<u64> {
        // PACKET_STATISTICS resets the kernel's counters on every read: accumulate.
        self.drops += self.ring.as_ref()?.drops_since()?;
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
