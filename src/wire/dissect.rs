//! Field trees of the link, IP and TCP/UDP headers with their bit positions in the frame, for
//! the detail pane (tree) and the bytes pane (highlight). Only the UI calls this, one packet at a
//! time, so clarity wins over speed here.

use super::*;
use crate::fields::Field;

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

fn bit(name: &'static str, label: &'static str, on: bool, byte: usize, bit: u64) -> Field {
    let at = byte as u64 * 8 + bit;
    Field::new(
        name,
        label,
        if on { "1 (set)".into() } else { "0".into() },
        at..at + 1,
    )
}

/// The field tree of one captured frame: link, network and transport layers.
pub fn dissect(linktype: u32, data: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    let (net_at, ethertype) = match link_fields(linktype, data, &mut out) {
        Some(x) => x,
        None => return out,
    };
    let Some(ip) = data.get(net_at..) else {
        return out;
    };
    let version = ip.first().map(|b| b >> 4);
    let (l4_at, proto) = match (ethertype, version) {
        (_, Some(4)) => match ipv4_fields(ip, net_at, &mut out) {
            Some(x) => x,
            None => return out,
        },
        (_, Some(6)) => match ipv6_fields(ip, net_at, &mut out) {
            Some(x) => x,
            None => return out,
        },
        _ => return out,
    };
    match proto {
        6 => tcp_fields(data, l4_at, &mut out),
        17 => udp_fields(data, l4_at, &mut out),
        _ => {}
    }
    out
}

fn link_fields(linktype: u32, d: &[u8], out: &mut Vec<Field>) -> Option<(usize, u16)> {
    match linktype {
        LINKTYPE_ETHERNET => {
            let mut at = 12;
            let mut kids = vec![
                Field::bytes("eth.dst", "Destination MAC", hex(d.get(0..6)?), 0..6),
                Field::bytes("eth.src", "Source MAC", hex(d.get(6..12)?), 6..12),
            ];
            let mut et = be16(d, at)?;
            while et == 0x8100 || et == 0x88a8 {
                let tci = be16(d, at + 2)?;
                kids.push(Field::bytes(
                    "vlan.id",
                    "VLAN ID",
                    format!("{}", tci & 0x0fff),
                    at..at + 4,
                ));
                at += 4;
                et = be16(d, at)?;
            }
            kids.push(Field::bytes(
                "eth.type",
                "EtherType",
                format!("0x{et:04x}"),
                at..at + 2,
            ));
            out.push(
                Field::bytes("eth", "Ethernet II", String::new(), 0..at + 2).with_children(kids),
            );
            Some((at + 2, et))
        }
        LINKTYPE_LINUX_SLL => {
            let et = be16(d, 14)?;
            let kids = vec![
                Field::bytes(
                    "sll.pkttype",
                    "Packet type",
                    format!("{}", be16(d, 0)?),
                    0..2,
                ),
                Field::bytes(
                    "sll.hatype",
                    "Link-layer address type",
                    format!("{}", be16(d, 2)?),
                    2..4,
                ),
                Field::bytes(
                    "sll.halen",
                    "Address length",
                    format!("{}", be16(d, 4)?),
                    4..6,
                ),
                Field::bytes("sll.src", "Source address", hex(d.get(6..14)?), 6..14),
                Field::bytes("sll.etype", "Protocol", format!("0x{et:04x}"), 14..16),
            ];
            out.push(
                Field::bytes("sll", "Linux cooked capture (SLL)", String::new(), 0..16)
                    .with_children(kids),
            );
            Some((16, et))
        }
        LINKTYPE_LINUX_SLL2 => {
            let et = be16(d, 0)?;
            let kids = vec![
                Field::bytes("sll2.etype", "Protocol", format!("0x{et:04x}"), 0..2),
                Field::bytes(
                    "sll2.ifindex",
                    "Interface index",
                    format!("{}", be32(d, 4)?),
                    4..8,
                ),
                Field::bytes(
                    "sll2.hatype",
                    "Link-layer address type",
                    format!("{}", be16(d, 8)?),
                    8..10,
                ),
                Field::bytes(
                    "sll2.pkttype",
                    "Packet type",
                    format!("{}", d.get(10)?),
                    10..11,
                ),
                Field::bytes("sll2.src", "Source address", hex(d.get(12..20)?), 12..20),
            ];
            out.push(
                Field::bytes(
                    "sll2",
                    "Linux cooked capture v2 (SLL2)",
                    String::new(),
                    0..20,
                )
                .with_children(kids),
            );
            Some((20, et))
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            let fam = d.get(0..4)?;
            out.push(Field::bytes(
                "null.family",
                "Loopback: address family",
                hex(fam),
                0..4,
            ));
            Some((4, 0))
        }
        LINKTYPE_RAW_12 | LINKTYPE_RAW_14 | LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 => {
            Some((0, 0))
        }
        _ => None,
    }
}

fn ipv4_fields(ip: &[u8], base: usize, out: &mut Vec<Field>) -> Option<(usize, u8)> {
    let b = |r: std::ops::Range<usize>| base + r.start..base + r.end;
    // The fixed header must be there before any field is read (fuzz: a 13-byte IPv4 header).
    let ip = ip.get(..20).map(|_| ip)?;
    let ihl = (ip[0] & 0x0f) as usize * 4;
    let flags_frag = be16(ip, 6)?;
    let proto = *ip.get(9)?;
    let src = std::net::Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = std::net::Ipv4Addr::new(*ip.get(16)?, *ip.get(17)?, *ip.get(18)?, *ip.get(19)?);
    let bb = base as u64 * 8;
    let kids = vec![
        Field::new("ip.version", "Version", "4".into(), bb..bb + 4),
        Field::new(
            "ip.hdr_len",
            "Header length",
            format!("{ihl} bytes"),
            bb + 4..bb + 8,
        ),
        Field::bytes(
            "ip.dsfield",
            "Differentiated services",
            format!("0x{:02x}", ip[1]),
            b(1..2),
        ),
        Field::bytes(
            "ip.len",
            "Total length",
            format!("{}", be16(ip, 2)?),
            b(2..4),
        ),
        Field::bytes(
            "ip.id",
            "Identification",
            format!("0x{:04x}", be16(ip, 4)?),
            b(4..6),
        ),
        Field::bytes(
            "ip.flags",
            "Flags / fragment offset",
            format!(
                "{}{} offset {}",
                if flags_frag & 0x4000 != 0 { "DF " } else { "" },
                if flags_frag & 0x2000 != 0 { "MF" } else { "" },
                flags_frag & 0x1fff
            ),
            b(6..8),
        ),
        Field::bytes("ip.ttl", "Time to live", format!("{}", ip[8]), b(8..9)),
        Field::bytes(
            "ip.proto",
            "Protocol",
            format!("{proto} ({})", proto_name(proto)),
            b(9..10),
        ),
        Field::bytes(
            "ip.checksum",
            "Header checksum",
            format!("0x{:04x} (unverified)", be16(ip, 10)?),
            b(10..12),
        ),
        Field::bytes("ip.src", "Source address", src.to_string(), b(12..16)),
        Field::bytes("ip.dst", "Destination address", dst.to_string(), b(16..20)),
    ];
    out.push(
        Field::bytes(
            "ip",
            "Internet Protocol version 4",
            format!("{src} → {dst}"),
            b(0..ihl.max(20)),
        )
        .with_children(kids),
    );
    Some((base + ihl.max(20), proto))
}

fn ipv6_fields(ip: &[u8], base: usize, out: &mut Vec<Field>) -> Option<(usize, u8)> {
    let b = |r: std::ops::Range<usize>| base + r.start..base + r.end;
    let first = be32(ip, 0)?;
    let mut next = *ip.get(6)?;
    let mut src = [0u8; 16];
    src.copy_from_slice(ip.get(8..24)?);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(ip.get(24..40)?);
    let (src, dst) = (std::net::Ipv6Addr::from(src), std::net::Ipv6Addr::from(dst));
    let bb = base as u64 * 8;
    let mut kids = vec![
        Field::new("ipv6.version", "Version", "6".into(), bb..bb + 4),
        Field::new(
            "ipv6.tclass",
            "Traffic class",
            format!("0x{:02x}", (first >> 20) & 0xff),
            bb + 4..bb + 12,
        ),
        Field::new(
            "ipv6.flow",
            "Flow label",
            format!("0x{:05x}", first & 0xfffff),
            bb + 12..bb + 32,
        ),
        Field::bytes(
            "ipv6.plen",
            "Payload length",
            format!("{}", be16(ip, 4)?),
            b(4..6),
        ),
        Field::bytes(
            "ipv6.nxt",
            "Next header",
            format!("{next} ({})", proto_name(next)),
            b(6..7),
        ),
        Field::bytes("ipv6.hlim", "Hop limit", format!("{}", ip[7]), b(7..8)),
        Field::bytes("ipv6.src", "Source address", src.to_string(), b(8..24)),
        Field::bytes(
            "ipv6.dst",
            "Destination address",
            dst.to_string(),
            b(24..40),
        ),
    ];
    let mut at = 40usize;
    // Extension headers: hop-by-hop, routing, destination options (8-octet units), fragment.
    while matches!(next, 0 | 43 | 60 | 44) {
        let len = if next == 44 {
            8
        } else {
            (*ip.get(at + 1)? as usize + 1) * 8
        };
        kids.push(Field::bytes(
            "ipv6.ext",
            "Extension header",
            format!("{next} ({len} bytes)"),
            b(at..at + len),
        ));
        next = *ip.get(at)?;
        at += len;
    }
    out.push(
        Field::bytes(
            "ipv6",
            "Internet Protocol version 6",
            format!("{src} → {dst}"),
            b(0..at),
        )
        .with_children(kids),
    );
    Some((base + at, next))
}

fn proto_name(p: u8) -> &'static str {
    match p {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        58 => "ICMPv6",
        _ => "other",
    }
}

fn tcp_fields(d: &[u8], at: usize, out: &mut Vec<Field>) {
    let Some(t) = d.get(at..) else { return };
    let b = |r: std::ops::Range<usize>| at + r.start..at + r.end;
    let (Some(sp), Some(dp), Some(seq), Some(ack), Some(win)) =
        (be16(t, 0), be16(t, 2), be32(t, 4), be32(t, 8), be16(t, 14))
    else {
        out.push(Field::bytes(
            "tcp",
            "TCP (truncated)",
            String::new(),
            at..d.len(),
        ));
        return;
    };
    let off = ((t[12] >> 4) as usize) * 4;
    let fl = t[13];
    let bb = (at + 12) as u64 * 8;
    let flag_bits: Vec<Field> = [
        ("tcp.flags.cwr", "CWR", 0x80u8, 8u64),
        ("tcp.flags.ece", "ECE", 0x40, 9),
        ("tcp.flags.urg", "URG", 0x20, 10),
        ("tcp.flags.ack", "ACK", 0x10, 11),
        ("tcp.flags.psh", "PSH", 0x08, 12),
        ("tcp.flags.rst", "RST", 0x04, 13),
        ("tcp.flags.syn", "SYN", 0x02, 14),
        ("tcp.flags.fin", "FIN", 0x01, 15),
    ]
    .into_iter()
    .map(|(n, l, m, pos)| bit(n, l, fl & m != 0, at + 12, pos))
    .collect();
    let mut kids = vec![
        Field::bytes("tcp.srcport", "Source port", sp.to_string(), b(0..2)),
        Field::bytes("tcp.dstport", "Destination port", dp.to_string(), b(2..4)),
        Field::bytes(
            "tcp.seq_raw",
            "Sequence number (raw)",
            seq.to_string(),
            b(4..8),
        ),
        Field::bytes(
            "tcp.ack_raw",
            "Acknowledgment number (raw)",
            ack.to_string(),
            b(8..12),
        ),
        Field::new(
            "tcp.hdr_len",
            "Header length",
            format!("{off} bytes"),
            bb..bb + 4,
        ),
        Field::new(
            "tcp.flags",
            "Flags",
            format!("0x{fl:02x} ({})", TcpFlags(fl)),
            bb + 4..bb + 16,
        )
        .with_children(flag_bits),
        Field::bytes("tcp.window", "Window", win.to_string(), b(14..16)),
        Field::bytes(
            "tcp.checksum",
            "Checksum",
            format!("0x{:04x} (unverified)", be16(t, 16).unwrap_or(0)),
            b(16..18),
        ),
        Field::bytes(
            "tcp.urgent",
            "Urgent pointer",
            be16(t, 18).unwrap_or(0).to_string(),
            b(18..20),
        ),
    ];
    if off > 20 {
        kids.push(Field::bytes(
            "tcp.options",
            "Options",
            format!("{} bytes", off - 20),
            b(20..off),
        ));
    }
    let end = (at + off).min(d.len());
    out.push(
        Field::bytes(
            "tcp",
            "Transmission Control Protocol",
            format!("{sp} → {dp}"),
            at..end,
        )
        .with_children(kids),
    );
    if d.len() > at + off {
        out.push(Field::bytes(
            "tcp.payload",
            "TCP payload",
            format!("{} bytes", d.len() - at - off),
            at + off..d.len(),
        ));
    }
}

fn udp_fields(d: &[u8], at: usize, out: &mut Vec<Field>) {
    let Some(u) = d.get(at..) else { return };
    let b = |r: std::ops::Range<usize>| at + r.start..at + r.end;
    let (Some(sp), Some(dp), Some(len)) = (be16(u, 0), be16(u, 2), be16(u, 4)) else {
        return;
    };
    let kids = vec![
        Field::bytes("udp.srcport", "Source port", sp.to_string(), b(0..2)),
        Field::bytes("udp.dstport", "Destination port", dp.to_string(), b(2..4)),
        Field::bytes("udp.length", "Length", len.to_string(), b(4..6)),
        Field::bytes(
            "udp.checksum",
            "Checksum",
            format!("0x{:04x} (unverified)", be16(u, 6).unwrap_or(0)),
            b(6..8),
        ),
    ];
    out.push(
        Field::bytes(
            "udp",
            "User Datagram Protocol",
            format!("{sp} → {dp}"),
            b(0..8),
        )
        .with_children(kids),
    );
}
