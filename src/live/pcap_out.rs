//! Writing a classic .pcap as packets arrive (nanosecond magic, the interface's link type).

use std::io::{self, Write};

pub const MAGIC_NS: u32 = 0xa1b2_3c4d;
pub const SNAPLEN: u32 = 262_144;

/// A classic pcap writer. Every record is complete once `flush` returns, so a file cut off by
/// Ctrl-C, `-c` or `--duration` is readable whole.
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W, linktype: u32) -> io::Result<PcapWriter<W>> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&MAGIC_NS.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay zero.
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out })
    }

    pub fn write(&mut self, ts_ns: i64, data: &[u8], orig_len: u32) -> io::Result<()> {
        // The format has unsigned 32-bit seconds: clamp rather than wrap.
        let ts = ts_ns.max(0);
        let secs = u32::try_from(ts / 1_000_000_000).unwrap_or(u32::MAX);
        let nanos = (ts % 1_000_000_000) as u32;
        let incl = data.len().min(SNAPLEN as usize);
        let mut r = [0u8; 16];
        r[0..4].copy_from_slice(&secs.to_le_bytes());
        r[4..8].copy_from_slice(&nanos.to_le_bytes());
        r[8..12].copy_from_slice(&(incl as u32).to_le_bytes());
        r[12..16].copy_from_slice(&orig_len.max(incl as u32).to_le_bytes());
        self.out.write_all(&r)?;
        self.out.write_all(&data[..incl])
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record_layout() {
        let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
        w.write(1_700_000_000_123_456_789, &[1, 2, 3], 60).unwrap();
        let v = w.into_inner();
        assert_eq!(v.len(), 24 + 16 + 3);
        assert_eq!(&v[0..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(v[20..24].try_into().unwrap()), 1);
        assert_eq!(u32::from_le_bytes(v[24..28].try_into().unwrap()), 1_700_000_000);
        assert_eq!(u32::from_le_bytes(v[28..32].try_into().unwrap()), 123_456_789);
        assert_eq!(u32::from_le_bytes(v[32..36].try_into().unwrap()), 3);
        assert_eq!(u32::from_le_bytes(v[36..40].try_into().unwrap()), 60);
        assert_eq!(&v[40..], &[1, 2, 3]);
    }
}
