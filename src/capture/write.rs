//! Writing classic pcap files (nanosecond timestamps), for `live -w` and `demo --record`.
//! A few lines by hand: the writers we measured either get pcapng timestamps wrong or need a
//! newer compiler.

use super::Packet;
use std::io::{self, Write};

/// pcap magic for nanosecond-resolution timestamps.
const MAGIC_NS: u32 = 0xa1b2_3c4d;

pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W, linktype: u32, snaplen: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&MAGIC_NS.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out })
    }

    pub fn write(&mut self, p: &Packet<'_>) -> io::Result<()> {
        let secs = p.ts_ns.div_euclid(1_000_000_000);
        let nanos = p.ts_ns.rem_euclid(1_000_000_000);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs.clamp(0, u32::MAX as i64) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(nanos as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(p.data.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&p.orig_len.max(p.data.len() as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(p.data)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}
