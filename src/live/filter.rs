//! The `-p PORT` filter: in user space for backends without BPF, as BPF text for libpcap.

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};

/// Keeps TCP and UDP packets to or from any of the ports (all packets when empty).
#[derive(Clone, Debug, Default)]
pub struct PortFilter {
    pub ports: Vec<u16>,
}

impl PortFilter {
    pub fn new(ports: &[u16]) -> PortFilter {
        PortFilter {
            ports: ports.to_vec(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// The same filter as a BPF expression, combined with the user's own expression.
    pub fn bpf(&self, user: Option<&str>) -> Option<String> {
        let ports = if self.ports.is_empty() {
            None
        } else {
            let alts: Vec<String> = self.ports.iter().map(|p| format!("port {p}")).collect();
            Some(format!("(tcp or udp) and ({})", alts.join(" or ")))
        };
        match (user, ports) {
            (Some(u), Some(p)) => Some(format!("({u}) and {p}")),
            (Some(u), None) => Some(u.to_string()),
            (None, p) => p,
        }
    }

    /// Whether a packet of this link type passes. Packets that cannot be parsed far enough to
    /// see ports do not pass a non-empty filter.
    pub fn matches(&self, linktype: u32, data: &[u8]) -> bool {
        if self.ports.is_empty() {
            return true;
        }
        let sliced = match linktype {
            1 => LaxSlicedPacket::from_ethernet(data).ok(),
            101 => LaxSlicedPacket::from_ip(data).ok(),
            _ => return false,
        };
        let Some(p) = sliced else { return false };
        // IP fragments after the first carry no ports.
        if let Some(LaxNetSlice::Ipv4(ip)) = &p.net
            && ip.header().is_fragmenting_payload()
            && ip.header().fragments_offset().value() != 0
        {
            return false;
        }
        let (src, dst) = match &p.transport {
            Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
            Some(TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
            _ => return false,
        };
        self.ports.iter().any(|&q| q == src || q == dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn tcp(src: u16, dst: u16) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(src, dst, 1, 100);
        let mut v = Vec::new();
        b.write(&mut v, b"hi").unwrap();
        v
    }

    fn udp(src: u16, dst: u16) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv6([0; 16], [0; 16], 64)
            .udp(src, dst);
        let mut v = Vec::new();
        b.write(&mut v, b"x").unwrap();
        v
    }

    #[test]
    fn keeps_either_direction_of_listed_ports_only() {
        let f = PortFilter::new(&[8080, 9000]);
        assert!(f.matches(1, &tcp(40000, 8080)));
        assert!(f.matches(1, &tcp(8080, 40000)));
        assert!(f.matches(1, &udp(9000, 1)));
        assert!(!f.matches(1, &tcp(40000, 8081)));
        assert!(!f.matches(1, &[0u8; 10]));
        assert!(PortFilter::new(&[]).matches(1, &[0u8; 3]));
    }

    #[test]
    fn bpf_text_combines_user_expression_and_ports() {
        let f = PortFilter::new(&[80, 443]);
        assert_eq!(
            f.bpf(Some("host 127.0.0.1")).unwrap(),
            "(host 127.0.0.1) and (tcp or udp) and (port 80 or port 443)"
        );
        assert_eq!(PortFilter::new(&[]).bpf(None), None);
    }
}
