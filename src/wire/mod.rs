//! Link and network layers: from a captured frame to the transport segment inside it.
//!
//! Ethernet (with VLAN tags), raw IP, Linux cooked SLL/SLL2 and BSD NULL/LOOP headers are peeled
//! here (etherparse rejects loopback SLL headers, so those are read by hand); IPv4/IPv6 with
//! extension headers and TCP/UDP are sliced by etherparse without copying. Checksums are never
//! required to be right: loopback captures carry unfilled ones.

use crate::event::{TcpFlags, TcpOpts};
use etherparse::{LaxIpSlice, TcpSlice, UdpSlice};
use std::net::IpAddr;

mod dissect;
pub use dissect::dissect;

pub const LINKTYPE_NULL: u32 = 0;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW_12: u32 = 12;
pub const LINKTYPE_RAW_14: u32 = 14;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_LOOP: u32 = 108;
pub const LINKTYPE_LINUX_SLL: u32 = 113;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

pub fn linktype_name(lt: u32) -> &'static str {
    match lt {
        LINKTYPE_NULL => "BSD loopback (NULL)",
        LINKTYPE_ETHERNET => "Ethernet",
        LINKTYPE_RAW_12 | LINKTYPE_RAW_14 | LINKTYPE_RAW => "raw IP",
        LINKTYPE_LOOP => "OpenBSD loopback (LOOP)",
        LINKTYPE_LINUX_SLL => "Linux cooked (SLL)",
        LINKTYPE_IPV4 => "raw IPv4",
        LINKTYPE_IPV6 => "raw IPv6",
        LINKTYPE_LINUX_SLL2 => "Linux cooked v2 (SLL2)",
        _ => "unknown",
    }
}

/// A TCP segment as found in a packet.
#[derive(Clone, Copy, Debug)]
pub struct TcpView<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub win: u16,
    pub opts: TcpOpts,
    /// Payload bytes present in the capture.
    pub payload: &'a [u8],
    /// Payload length according to the IP header.
    pub payload_len: u32,
}

#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    Tcp(TcpView<'a>),
    Udp {
        src_port: u16,
        dst_port: u16,
        len: u32,
    },
    /// Another IP protocol (ICMP, …), by number.
    Other(u8),
}

#[derive(Clone, Copy, Debug)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport<'a>,
    /// Some layer was cut short by the capture's snap length.
    pub truncated: bool,
}

/// Why a packet carries no transport segment we can follow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("link type {0} ({name}) is not supported", name = linktype_name(*.0))]
    UnknownLinktype(u32),
    #[error("not IP (EtherType 0x{0:04x})")]
    NotIp(u16),
    #[error("IP fragment (fragments are not reassembled)")]
    Fragment,
    #[error("packet too short for its {0} header")]
    Truncated(&'static str),
    #[error("malformed {0}")]
    Malformed(String),
}

/// Ethernet's header, with any VLAN tags: the EtherType and what follows.
fn ethernet(data: &[u8]) -> Result<(u16, &[u8]), WireError> {
    let mut at = 12;
    loop {
        let et = data
            .get(at..at + 2)
            .ok_or(WireError::Truncated("Ethernet"))?;
        let et = u16::from_be_bytes([et[0], et[1]]);
        if et == 0x8100 || et == 0x88a8 || et == 0x9100 {
            at += 4;
            continue;
        }
        return Ok((et, &data[at + 2..]));
    }
}

/// Peel the link header: the EtherType of what follows (0 = raw IP, version in the first nibble).
fn link(linktype: u32, data: &[u8]) -> Result<(u16, &[u8]), WireError> {
    match linktype {
        LINKTYPE_ETHERNET => ethernet(data),
        LINKTYPE_RAW_12 | LINKTYPE_RAW_14 | LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 => {
            Ok((0, data))
        }
        LINKTYPE_LINUX_SLL => {
            let h = data.get(..16).ok_or(WireError::Truncated("Linux cooked"))?;
            Ok((u16::from_be_bytes([h[14], h[15]]), &data[16..]))
        }
        LINKTYPE_LINUX_SLL2 => {
            let h = data
                .get(..20)
                .ok_or(WireError::Truncated("Linux cooked v2"))?;
            Ok((u16::from_be_bytes([h[0], h[1]]), &data[20..]))
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            let h = data.get(..4).ok_or(WireError::Truncated("loopback"))?;
            let fam = if linktype == LINKTYPE_LOOP {
                u32::from_be_bytes([h[0], h[1], h[2], h[3]])
            } else {
                // Host byte order of the machine that captured: try both.
                let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
                if le < 256 {
                    le
                } else {
                    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
                }
            };
            match fam {
                2 => Ok((0x0800, &data[4..])),
                // AF_INET6 differs between BSDs, macOS and Linux.
                10 | 24 | 28 | 30 => Ok((0x86dd, &data[4..])),
                other => Err(WireError::Malformed(format!(
                    "loopback address family {other}"
                ))),
            }
        }
        other => Err(WireError::UnknownLinktype(other)),
    }
}

/// Decode a captured frame down to its transport segment.
pub fn decode(linktype: u32, data: &[u8]) -> Result<Decoded<'_>, WireError> {
    let (et, rest) = link(linktype, data)?;
    if !matches!(et, 0 | 0x0800 | 0x86dd) {
        return Err(WireError::NotIp(et));
    }
    let (ip, ext_err) = LaxIpSlice::from_slice(rest).map_err(|e| match e {
        etherparse::err::ip::LaxHeaderSliceError::Len(_) => WireError::Truncated("IP"),
        other => WireError::Malformed(format!("IP header: {other}")),
    })?;
    if let Some((e, _)) = ext_err {
        return Err(WireError::Malformed(format!("IPv6 extension header: {e}")));
    }
    let (src, dst) = (ip.source_addr(), ip.destination_addr());
    let ipp = ip.payload();
    if ipp.fragmented {
        return Err(WireError::Fragment);
    }
    let mut truncated = ipp.incomplete;
    let transport = match ipp.ip_number.0 {
        6 => {
            let t = TcpSlice::from_slice(ipp.payload).map_err(|_| WireError::Truncated("TCP"))?;
            let hdr_len = t.header_len() as u32;
            let claimed = if ipp.incomplete {
                // The IP header says how long the payload is; the capture holds less.
                ip_payload_claim(&ip)
                    .unwrap_or(ipp.payload.len() as u32)
                    .saturating_sub(hdr_len)
            } else {
                (ipp.payload.len() as u32).saturating_sub(hdr_len)
            };
            let payload = t.payload();
            // The flag bits as they sit in the header's 14th byte.
            let flags = TcpFlags(t.header_slice().get(13).copied().unwrap_or(0));
            let mut opts = TcpOpts::default();
            // Handshake options mean something on SYN segments only; skipping the rest spares
            // walking the timestamp option of nearly every segment.
            if flags.has(TcpFlags::SYN) {
                for o in t.options_iterator() {
                    use etherparse::TcpOptionElement as E;
                    match o {
                        Ok(E::MaximumSegmentSize(m)) => opts.mss = Some(m),
                        Ok(E::WindowScale(w)) => opts.wscale = Some(w),
                        Ok(E::SelectiveAcknowledgementPermitted) => opts.sack_permitted = true,
                        Ok(E::Timestamp(a, b)) => opts.timestamps = Some((a, b)),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }
            if (payload.len() as u32) < claimed {
                truncated = true;
            }
            Transport::Tcp(TcpView {
                src_port: t.source_port(),
                dst_port: t.destination_port(),
                seq: t.sequence_number(),
                ack: t.acknowledgment_number(),
                flags,
                win: t.window_size(),
                opts,
                payload,
                payload_len: claimed.max(payload.len() as u32),
            })
        }
        17 => {
            let u =
                UdpSlice::from_slice_lax(ipp.payload).map_err(|_| WireError::Truncated("UDP"))?;
            Transport::Udp {
                src_port: u.source_port(),
                dst_port: u.destination_port(),
                len: (u.length() as u32).saturating_sub(8),
            }
        }
        other => Transport::Other(other),
    };
    Ok(Decoded {
        src,
        dst,
        transport,
        truncated,
    })
}

/// Which flow a decoded packet belongs to: its IP protocol (6, 17) and its source and
/// destination, when it is TCP or UDP.
pub fn ends(d: &Decoded<'_>) -> Option<(u8, std::net::SocketAddr, std::net::SocketAddr)> {
    use std::net::SocketAddr;
    let (proto, sport, dport) = match &d.transport {
        Transport::Tcp(t) => (6, t.src_port, t.dst_port),
        Transport::Udp {
            src_port, dst_port, ..
        } => (17, *src_port, *dst_port),
        Transport::Other(_) => return None,
    };
    Some((
        proto,
        SocketAddr::new(d.src, sport),
        SocketAddr::new(d.dst, dport),
    ))
}

/// The IP payload length the header claims, when the capture cut the packet short.
fn ip_payload_claim(ip: &LaxIpSlice<'_>) -> Option<u32> {
    match ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            Some((h.total_len() as u32).saturating_sub(h.ihl() as u32 * 4))
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            let ext = v6.payload().payload.as_ptr() as usize - h.slice().as_ptr() as usize;
            Some((h.payload_length() as u32 + 40).saturating_sub(ext as u32))
        }
    }
}
