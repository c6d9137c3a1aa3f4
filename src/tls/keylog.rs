//! Key logs (the NSS format, RFC 9850): the secrets a TLS endpoint wrote down, keyed by the
//! ClientHello's random. Read from a file (`--tls-keylog`, `SSLKEYLOGFILE`), from pcapng
//! Decryption Secrets Blocks, or followed as a browser keeps appending to its file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Secrets of one connection, each as the key log gave it (not yet expanded into keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// TLS 1.2: `CLIENT_RANDOM` (the 48-byte master secret).
    pub master: Option<Vec<u8>>,
    /// TLS 1.3: `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_hs: Option<Vec<u8>>,
    /// TLS 1.3: `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_hs: Option<Vec<u8>>,
    /// TLS 1.3: `CLIENT_TRAFFIC_SECRET_0`.
    pub client_app: Option<Vec<u8>>,
    /// TLS 1.3: `SERVER_TRAFFIC_SECRET_0`.
    pub server_app: Option<Vec<u8>>,
}

impl Secrets {
    /// Anything that can decrypt TLS 1.3 application data.
    pub fn has_tls13(&self) -> bool {
        self.client_app.is_some() || self.server_app.is_some()
    }
}

/// Entries kept at most: a key log is a few lines per connection, and a hostile file must not
/// grow memory without bound.
const MAX_ENTRIES: usize = 1 << 20;
/// Longest key log line looked at (a line is ~180 bytes; the rest of a longer one is skipped).
const MAX_LINE: usize = 1024;

/// The parsed lines.
#[derive(Debug, Default)]
pub struct KeyLog {
    map: HashMap<[u8; 32], Secrets>,
    /// Lines that were not key log lines (comments and blank lines aside).
    pub bad_lines: u64,
    /// An incomplete last line, kept until the rest arrives (a file being written).
    partial: Vec<u8>,
}

fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 256 {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            let h = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(h, 16).ok()
        })
        .collect()
}

impl KeyLog {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, client_random: &[u8]) -> Option<&Secrets> {
        let k: [u8; 32] = client_random.try_into().ok()?;
        self.map.get(&k)
    }

    /// Add the text of a key log (or the next part of one: an unfinished last line is kept
    /// until the rest comes).
    pub fn add(&mut self, text: &[u8]) {
        let mut rest = text;
        if !self.partial.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&rest[..i.min(MAX_LINE)]);
                    self.line(&line);
                    rest = &rest[i + 1..];
                }
                None => {
                    let room = MAX_LINE.saturating_sub(self.partial.len());
                    self.partial
                        .extend_from_slice(&rest[..rest.len().min(room)]);
                    return;
                }
            }
        }
        loop {
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.line(&rest[..i]);
                    rest = &rest[i + 1..];
                }
                None => {
                    self.partial = rest[..rest.len().min(MAX_LINE)].to_vec();
                    return;
                }
            }
        }
    }

    /// The end of the text: a last line without a newline counts.
    pub fn finish(&mut self) {
        let line = std::mem::take(&mut self.partial);
        self.line(&line);
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            return;
        }
        let mut parts = line.split(|&b| b == b' ').filter(|p| !p.is_empty());
        let (Some(label), Some(random), Some(secret)) = (parts.next(), parts.next(), parts.next())
        else {
            self.bad_lines += 1;
            return;
        };
        let (Some(random), Some(secret)) = (unhex(random), unhex(secret)) else {
            self.bad_lines += 1;
            return;
        };
        let Ok(random) = <[u8; 32]>::try_from(random.as_slice()) else {
            self.bad_lines += 1;
            return;
        };
        if self.map.len() >= MAX_ENTRIES && !self.map.contains_key(&random) {
            return;
        }
        let e = self.map.entry(random).or_default();
        let slot = match label {
            b"CLIENT_RANDOM" => &mut e.master,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut e.client_hs,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut e.server_hs,
            b"CLIENT_TRAFFIC_SECRET_0" => &mut e.client_app,
            b"SERVER_TRAFFIC_SECRET_0" => &mut e.server_app,
            // EXPORTER_SECRET, EARLY_EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET: not needed.
            _ => return,
        };
        *slot = Some(secret);
    }
}

/// A file followed as it grows (a live capture's browser writes keys during each handshake).
#[derive(Debug)]
struct Follow {
    path: PathBuf,
    pos: u64,
}

#[derive(Debug, Default)]
struct Inner {
    log: KeyLog,
    follow: Option<Follow>,
}

/// The key log shared by the decoder, the capture reader (Decryption Secrets Blocks) and, in
/// `live`, the recorder that embeds the keys. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct KeyStore(Arc<Mutex<Inner>>);

impl KeyStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read a key log file. With `follow`, lookups that miss re-read what was appended since.
    pub fn open(path: &Path, follow: bool) -> std::io::Result<Self> {
        let ks = KeyStore::new();
        let mut bytes = Vec::new();
        File::open(path)?.read_to_end(&mut bytes)?;
        {
            let mut g = ks.lock();
            g.log.add(&bytes);
            if follow {
                g.follow = Some(Follow {
                    path: path.to_path_buf(),
                    pos: bytes.len() as u64,
                });
            } else {
                g.log.finish();
            }
        }
        Ok(ks)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves a usable map.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Key log text from a pcapng Decryption Secrets Block (or any other source).
    pub fn add_text(&self, text: &[u8]) {
        let mut g = self.lock();
        g.log.add(text);
        g.log.add(b"\n");
    }

    pub fn len(&self) -> usize {
        self.lock().log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The secrets logged for a ClientHello random (re-reading a followed file on a miss).
    pub fn lookup(&self, client_random: &[u8]) -> Option<Secrets> {
        let mut g = self.lock();
        if let Some(s) = g.log.get(client_random) {
            return Some(s.clone());
        }
        g.reread();
        g.log.get(client_random).cloned()
    }

    /// Every line of the log, in the NSS format (to embed in a pcapng written by `live -w`).
    pub fn to_text(&self) -> String {
        self.to_text_for(|_| true)
    }

    /// The lines of the connections whose ClientHello random `seen` accepts (a recording
    /// embeds only its own connections' keys, not a whole browser's key log).
    pub fn to_text_for(&self, seen: impl Fn(&[u8; 32]) -> bool) -> String {
        let mut g = self.lock();
        g.reread();
        let g = g;
        let mut out = String::new();
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut keys: Vec<_> = g.log.map.iter().filter(|(k, _)| seen(k)).collect();
        keys.sort_by_key(|(k, _)| **k);
        for (random, s) in keys {
            for (label, v) in [
                ("CLIENT_RANDOM", &s.master),
                ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &s.client_hs),
                ("SERVER_HANDSHAKE_TRAFFIC_SECRET", &s.server_hs),
                ("CLIENT_TRAFFIC_SECRET_0", &s.client_app),
                ("SERVER_TRAFFIC_SECRET_0", &s.server_app),
            ] {
                if let Some(v) = v {
                    out.push_str(&format!("{label} {} {}\n", hex(random), hex(v)));
                }
            }
        }
        out
    }
}

impl Inner {
    fn reread(&mut self) {
        let Some(f) = &mut self.follow else { return };
        let Ok(mut file) = File::open(&f.path) else {
            return;
        };
        let Ok(len) = file.metadata().map(|m| m.len()) else {
            return;
        };
        if len < f.pos {
            // Truncated and rewritten: start again.
            f.pos = 0;
        }
        if len == f.pos || file.seek(SeekFrom::Start(f.pos)).is_err() {
            return;
        }
        let mut more = Vec::new();
        if file.take(len - f.pos).read_to_end(&mut more).is_ok() {
            f.pos += more.len() as u64;
            self.log.add(&more);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn parses_tls12_and_tls13_lines() {
        let mut k = KeyLog::default();
        k.add(format!("# comment\nCLIENT_RANDOM {R} {}\n", "ab".repeat(48)).as_bytes());
        k.add(
            format!(
                "CLIENT_TRAFFIC_SECRET_0 {R} {}\nnonsense\n",
                "cd".repeat(32)
            )
            .as_bytes(),
        );
        let s = k.get(&[1; 32]).unwrap();
        assert_eq!(s.master.as_deref(), Some(&[0xab; 48][..]));
        assert_eq!(s.client_app.as_deref(), Some(&[0xcd; 32][..]));
        assert!(s.server_app.is_none());
        assert_eq!(k.bad_lines, 1);
    }

    #[test]
    fn a_line_split_across_reads_is_joined() {
        let mut k = KeyLog::default();
        let line = format!("SERVER_TRAFFIC_SECRET_0 {R} {}\n", "ef".repeat(48));
        let (a, b) = line.as_bytes().split_at(40);
        k.add(a);
        assert!(k.get(&[1; 32]).is_none());
        k.add(b);
        assert_eq!(
            k.get(&[1; 32]).unwrap().server_app.as_ref().unwrap().len(),
            48
        );
    }

    #[test]
    fn a_followed_file_is_reread_on_a_miss() {
        let dir = std::env::temp_dir().join(format!("wslens-keylog-{}", std::process::id()));
        std::fs::write(&dir, b"").unwrap();
        let ks = KeyStore::open(&dir, true).unwrap();
        assert!(ks.lookup(&[1; 32]).is_none());
        std::fs::write(&dir, format!("CLIENT_RANDOM {R} {}\n", "00".repeat(48))).unwrap();
        assert!(ks.lookup(&[1; 32]).unwrap().master.is_some());
        assert!(ks.to_text().starts_with("CLIENT_RANDOM 0101"));
        let _ = std::fs::remove_file(&dir);
    }
}
