//! Writing pcapng with TLS keys embedded as a Decryption Secrets Block (pcapng spec §4.7,
//! secrets type `TLSK`), so a recording of wss:// opens decrypted anywhere, tshark included.
//! `live -w FILE.pcapng` records classic pcap while capturing and turns it into this at the end,
//! when the key log is complete.

use super::Packet;
use std::io::{self, Write};
use std::path::Path;

fn block(out: &mut impl Write, ty: u32, body: &[u8]) -> io::Result<()> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    out.write_all(&ty.to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&[0u8; 3][..pad])?;
    out.write_all(&len.to_le_bytes())
}

/// A little-endian pcapng writer: one section, interfaces added as link types appear.
pub struct PcapngWriter<W: Write> {
    out: W,
    links: Vec<u32>,
}

impl<W: Write> PcapngWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut shb = Vec::with_capacity(16);
        shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        block(&mut out, 0x0a0d_0d0a, &shb)?;
        Ok(PcapngWriter {
            out,
            links: Vec::new(),
        })
    }

    /// A Decryption Secrets Block holding a TLS key log (NSS format).
    pub fn tls_secrets(&mut self, keylog: &[u8]) -> io::Result<()> {
        let mut b = Vec::with_capacity(8 + keylog.len());
        b.extend_from_slice(&crate::tls::DSB_TLS_KEY_LOG.to_le_bytes());
        b.extend_from_slice(&(keylog.len() as u32).to_le_bytes());
        b.extend_from_slice(keylog);
        let pad = (4 - keylog.len() % 4) % 4;
        b.extend_from_slice(&[0u8; 3][..pad]);
        block(&mut self.out, 0x0000_000a, &b)
    }

    fn iface(&mut self, linktype: u32) -> io::Result<u32> {
        if let Some(i) = self.links.iter().position(|&l| l == linktype) {
            return Ok(i as u32);
        }
        let mut b = Vec::with_capacity(20);
        b.extend_from_slice(&(linktype as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // no snap length limit
        // if_tsresol = 9: nanoseconds; then opt_endofopt.
        b.extend_from_slice(&9u16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[9, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]);
        block(&mut self.out, 1, &b)?;
        self.links.push(linktype);
        Ok(self.links.len() as u32 - 1)
    }

    pub fn write(&mut self, p: &Packet<'_>) -> io::Result<()> {
        let id = self.iface(p.linktype)?;
        let ts = p.ts_ns.max(0) as u64;
        let mut b = Vec::with_capacity(20 + p.data.len());
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
        b.extend_from_slice(&p.orig_len.max(p.data.len() as u32).to_le_bytes());
        b.extend_from_slice(p.data);
        b.extend_from_slice(&[0u8; 3][..(4 - p.data.len() % 4) % 4]);
        block(&mut self.out, 6, &b)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Rewrite the capture at `path` (pcap or pcapng) as pcapng with `keylog` embedded before the
/// packets. Written next to it and renamed over it, so a failure leaves the original.
pub fn embed_tls_keys(path: &Path, keylog: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("pcapng.tmp");
    // Private like the recording it replaces (0600, never through a symbolic link): it holds
    // the same packets, and the keys that decrypt them.
    let file = crate::live::create_private(&tmp)?;
    let mut w = PcapngWriter::new(io::BufWriter::new(file))?;
    if !keylog.is_empty() {
        w.tls_secrets(keylog)?;
    }
    let mut err = None;
    let sum = super::read_file(path, |p| {
        if err.is_none()
            && let Err(e) = w.write(&p)
        {
            err = Some(e);
        }
    })?;
    if let Some(e) = err {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    w.into_inner().flush()?;
    if let Some(e) = sum.error {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_embedded_are_read_back_before_the_packets() {
        let dir = std::env::temp_dir().join(format!("wslens-pcapng-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.pcapng");
        let src = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/tls12-chacha.pcap"
        ))
        .unwrap();
        std::fs::write(&path, &src).unwrap();
        let keys = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/tls12-chacha.keys"
        ))
        .unwrap();
        embed_tls_keys(&path, &keys).unwrap();
        let mut got = Vec::new();
        let mut n = 0;
        let sum = crate::capture::with_secrets(
            |_, t| {
                let _ = t;
            },
            || crate::capture::read_file(&path, |_| n += 1),
        )
        .unwrap();
        assert_eq!(sum.format, "pcapng");
        let orig =
            crate::capture::read_bytes(&src, |p| got.push((p.ts_ns, p.data.to_vec()))).unwrap();
        assert_eq!(n, orig.packets);
        let ks = crate::tls::KeyStore::default();
        let k2 = ks.clone();
        crate::capture::with_secrets(
            move |ty, t| {
                assert_eq!(ty, crate::tls::DSB_TLS_KEY_LOG);
                k2.add_text(t)
            },
            || crate::capture::read_file(&path, |_| {}),
        )
        .unwrap();
        assert!(!ks.is_empty());
        let mut again = Vec::new();
        crate::capture::read_file(&path, |p| again.push((p.ts_ns, p.data.to_vec()))).unwrap();
        assert_eq!(again, got, "same packets and nanosecond timestamps");
        // The rewritten file holds the keys: private, as the recording was.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
