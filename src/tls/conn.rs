//! One TLS connection: both directions' records, the handshake as it goes by, the keys found
//! in the key log, and the decrypted application data handed to the layer above.

use super::crypto::{DirKeys, Support, suite_name, support};
use super::handshake::{self, Facts, MAX_MESSAGE};
use super::keylog::{KeyStore, Secrets};
use super::record::{
    ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, MAX_RECORD, Record, Records,
};
use crate::event::{Dir, Event, Level, Note, Sink, TlsMsg, TlsRecordHeader, TlsSession};
use crate::tcp::StreamCtx;

mod resync;

/// The layer above TLS: gets the decrypted bytes of each direction.
pub trait Upper {
    fn data(&mut self, cx: StreamCtx, plain: &[u8], sink: &mut dyn Sink);
    fn gap(&mut self, cx: StreamCtx, len: u64, sink: &mut dyn Sink);
    fn end(&mut self, cx: StreamCtx, sink: &mut dyn Sink);
}

/// Where a direction's protection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Stage {
    /// Records are in clear (before ServerHello; TLS 1.2 before ChangeCipherSpec).
    #[default]
    Clear,
    /// TLS 1.3 handshake traffic keys (until this side's Finished).
    Handshake,
    /// Application traffic keys (TLS 1.3 after Finished; TLS 1.2 after ChangeCipherSpec).
    App,
}

/// Records tried against the application keys while the handshake keys are missing, before
/// giving up on the direction.
const BLIND_TRIES: u32 = 16;
/// Bytes held while looking for a record boundary after a gap.
const RESYNC_BUF: usize = 4 * (MAX_RECORD + 5);
/// Sequence numbers tried for the first record after a gap.
const RESYNC_SEQS: u64 = 128;

#[derive(Default)]
struct Side {
    records: Records,
    stage: Stage,
    /// The keys in use (None: none found, or a failure stopped decryption).
    keys: Option<DirKeys>,
    /// TLS 1.3: the application keys waiting for this side's Finished. TLS 1.2: the keys
    /// waiting for ChangeCipherSpec.
    next: Option<DirKeys>,
    /// Authentication failed: nothing more is decrypted in this direction.
    failed: bool,
    blind_tries: u32,
    /// A handshake message being reassembled, and the record its first byte came in.
    hs: Vec<u8>,
    hs_record: TlsRecordHeader,
    hs_off: bool,
    /// Framing was lost for good: the rest of the direction is ignored.
    stopped: bool,
    /// After a gap: bytes held until a record boundary is found.
    resync: Option<Vec<u8>>,
    resync_offset: u64,
    lost: u64,
    /// Protected records seen, and their bytes (bodies).
    protected: u64,
    protected_bytes: u64,
    /// Scratch buffer for decryption.
    plain: Vec<u8>,
    ccs_seen: bool,
}

pub struct TlsConn {
    keys: KeyStore,
    sides: [Side; 2],
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    version: Option<u16>,
    suite: Option<u16>,
    /// The `tls_session` event was emitted (keys looked up).
    session_done: bool,
}

/// The text of a `tls-records` note: one direction's encrypted records at the end of the
/// connection. [`parse_records_note`] reads it back (`wslens stats` counts them).
pub fn records_note(dir: Dir, records: u64, bytes: u64, decrypted: bool) -> String {
    let how = if decrypted {
        "decrypted"
    } else {
        "not decrypted"
    };
    format!(
        "{}: {records} encrypted records, {bytes} bytes ({how})",
        dir.as_str()
    )
}

/// (direction, records, bytes, decrypted) from a `tls-records` note's text.
pub fn parse_records_note(text: &str) -> Option<(Dir, u64, u64, bool)> {
    let (dir, rest) = text.split_once(": ")?;
    let dir = match dir {
        "c2s" => Dir::C2S,
        "s2c" => Dir::S2C,
        _ => return None,
    };
    let (records, rest) = rest.split_once(" encrypted records, ")?;
    let (bytes, how) = rest.split_once(" bytes (")?;
    let decrypted = match how {
        "decrypted)" => true,
        "not decrypted)" => false,
        _ => return None,
    };
    Some((dir, records.parse().ok()?, bytes.parse().ok()?, decrypted))
}

fn note(sink: &mut dyn Sink, cx: StreamCtx, level: Level, code: &'static str, text: String) {
    sink.emit(Event::Note(Note {
        level,
        code,
        text,
        conn: Some(cx.conn),
        pkt: Some(cx.pkt),
    }));
}

fn new_msg(cx: StreamCtx, kind: &'static str, record: TlsRecordHeader) -> TlsMsg {
    TlsMsg {
        conn: cx.conn,
        pkt: cx.pkt,
        ts: cx.ts,
        dir: cx.dir,
        kind,
        msg_type: None,
        encrypted: false,
        len: 0,
        record,
        legacy_version: None,
        versions: Vec::new(),
        version: None,
        ciphers: Vec::new(),
        cipher: None,
        sni: None,
        alpn: Vec::new(),
        groups: Vec::new(),
        resumption: false,
        certs: Vec::new(),
        detail: None,
    }
}

impl TlsConn {
    /// Bytes this connection holds (partial records, handshake messages, resync bytes), for
    /// the memory budget.
    pub fn mem(&self) -> usize {
        self.sides
            .iter()
            .map(|s| {
                s.records.held() + s.hs.capacity() + s.resync.as_ref().map_or(0, |r| r.capacity())
            })
            .sum()
    }

    pub fn new(keys: KeyStore) -> Self {
        TlsConn {
            keys,
            sides: Default::default(),
            client_random: None,
            server_random: None,
            version: None,
            suite: None,
            session_done: false,
        }
    }

    fn tls13(&self) -> bool {
        self.version == Some(0x0304)
    }

    pub fn data(&mut self, cx: StreamCtx, data: &[u8], sink: &mut dyn Sink, up: &mut dyn Upper) {
        let d = cx.dir.idx();
        if self.sides[d].stopped {
            return;
        }
        if self.sides[d].resync.is_some() {
            self.resync(cx, data, sink, up);
            return;
        }
        let mut recs = std::mem::take(&mut self.sides[d].records);
        let res = recs.feed(data, &mut |r| self.record(cx, r, sink, up));
        self.sides[d].records = recs;
        if let Err(e) = res {
            self.sides[d].stopped = true;
            note(
                sink,
                cx,
                Level::Warn,
                "tls-framing",
                format!(
                    "{}: {}; TLS decoding of this direction stops",
                    cx.dir.as_str(),
                    e.text()
                ),
            );
        }
    }

    pub fn gap(&mut self, cx: StreamCtx, len: u64, sink: &mut dyn Sink, up: &mut dyn Upper) {
        let s = &mut self.sides[cx.dir.idx()];
        if s.stopped {
            return;
        }
        let offset = s.records.offset + len;
        s.records.clear();
        s.hs.clear();
        s.lost += len;
        if s.resync.is_none() {
            note(
                sink,
                cx,
                Level::Warn,
                "tls-gap",
                format!(
                    "{len} bytes of {} were not captured: the TLS records in them are lost; looking for the next record boundary",
                    cx.dir.as_str()
                ),
            );
        }
        s.resync = Some(Vec::new());
        s.resync_offset = offset;
        s.records.offset = offset;
        up.gap(cx, len, sink);
    }

    pub fn end(&mut self, cx: StreamCtx, sink: &mut dyn Sink, up: &mut dyn Upper) {
        let d = cx.dir.idx();
        let s = &self.sides[d];
        if s.records.held() > 0 && !s.stopped {
            note(
                sink,
                cx,
                Level::Warn,
                "tls-truncated-record",
                format!(
                    "{} ended inside a TLS record ({} bytes of it captured)",
                    cx.dir.as_str(),
                    s.records.held()
                ),
            );
        }
        if s.protected > 0 {
            let how = if s.keys.is_some() && !s.failed {
                "decrypted"
            } else {
                "not decrypted"
            };
            note(
                sink,
                cx,
                Level::Info,
                "tls-records",
                records_note(cx.dir, s.protected, s.protected_bytes, how == "decrypted"),
            );
        }
        up.end(cx, sink);
    }

    /// One complete record of direction `cx.dir`.
    fn record(&mut self, cx: StreamCtx, r: Record<'_>, sink: &mut dyn Sink, up: &mut dyn Upper) {
        let d = cx.dir.idx();
        let ty = r.header.content_type;
        let protected = match self.version {
            Some(0x0304) => ty == APPLICATION_DATA,
            Some(_) => self.sides[d].ccs_seen,
            // Application data before the ServerHello: 0-RTT early data.
            None => ty == APPLICATION_DATA,
        };
        if !protected {
            self.clear_record(cx, &r, sink);
            return;
        }
        let s = &mut self.sides[d];
        s.protected += 1;
        s.protected_bytes += r.body.len() as u64;
        if !self.session_done {
            self.start_session(cx, sink);
        }
        self.protected_record(cx, &r, sink, up);
    }

    fn clear_record(&mut self, cx: StreamCtx, r: &Record<'_>, sink: &mut dyn Sink) {
        match r.header.content_type {
            HANDSHAKE => self.handshake_bytes(cx, r.header, r.body, false, sink),
            CHANGE_CIPHER_SPEC => {
                let s = &mut self.sides[cx.dir.idx()];
                if self.version.is_none_or(|v| v != 0x0304) {
                    // TLS 1.2: this side's records are protected from here, sequence 0.
                    s.ccs_seen = true;
                    if let Some(k) = s.next.take() {
                        s.keys = Some(k);
                        s.stage = Stage::App;
                    }
                }
                let mut m = new_msg(cx, "change_cipher_spec", r.header);
                m.len = r.body.len() as u32;
                if self.version == Some(0x0304) {
                    m.detail = Some("a compatibility no-op in TLS 1.3 (RFC 8446 D.4)".into());
                }
                sink.emit(Event::Tls(Box::new(m)));
            }
            ALERT => self.alert(cx, r.header, r.body, false, sink),
            _ => {}
        }
    }

    fn alert(
        &mut self,
        cx: StreamCtx,
        hdr: TlsRecordHeader,
        body: &[u8],
        encrypted: bool,
        sink: &mut dyn Sink,
    ) {
        let mut m = new_msg(cx, "alert", hdr);
        m.encrypted = encrypted;
        m.len = body.len() as u32;
        if let [level, desc, ..] = body {
            let lv = if *level == 2 { "fatal" } else { "warning" };
            m.detail = Some(format!("{} ({lv})", handshake::alert_name(*desc)));
        }
        sink.emit(Event::Tls(Box::new(m)));
    }

    /// Reassemble handshake messages from a record's (clear or decrypted) content.
    fn handshake_bytes(
        &mut self,
        cx: StreamCtx,
        hdr: TlsRecordHeader,
        mut bytes: &[u8],
        encrypted: bool,
        sink: &mut dyn Sink,
    ) {
        let d = cx.dir.idx();
        if self.sides[d].hs_off {
            return;
        }
        // Messages wholly inside this record are read in place; only a message that
        // straddles records is copied.
        loop {
            let s = &mut self.sides[d];
            if s.hs.is_empty() {
                s.hs_record = hdr;
                if bytes.len() >= 4 {
                    let n = ((bytes[1] as usize) << 16)
                        | ((bytes[2] as usize) << 8)
                        | bytes[3] as usize;
                    if n > MAX_MESSAGE {
                        s.hs_off = true;
                        note(
                            sink,
                            cx,
                            Level::Warn,
                            "tls-handshake-too-long",
                            format!(
                                "{}: a handshake message of {n} bytes, more than {MAX_MESSAGE}: the rest of this direction's handshake is not read",
                                cx.dir.as_str()
                            ),
                        );
                        return;
                    }
                    if bytes.len() >= 4 + n {
                        let (msg, rest) = bytes.split_at(4 + n);
                        self.message(cx, hdr, msg, encrypted, sink);
                        bytes = rest;
                        if bytes.is_empty() {
                            return;
                        }
                        continue;
                    }
                }
                s.hs.extend_from_slice(bytes);
                return;
            }
            // Continue a straddling message.
            let need = if s.hs.len() < 4 {
                let take = (4 - s.hs.len()).min(bytes.len());
                s.hs.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if s.hs.len() < 4 {
                    return;
                }
                let n = ((s.hs[1] as usize) << 16) | ((s.hs[2] as usize) << 8) | s.hs[3] as usize;
                if n > MAX_MESSAGE {
                    s.hs_off = true;
                    s.hs.clear();
                    note(
                        sink,
                        cx,
                        Level::Warn,
                        "tls-handshake-too-long",
                        format!(
                            "{}: a handshake message of {n} bytes, more than {MAX_MESSAGE}: the rest of this direction's handshake is not read",
                            cx.dir.as_str()
                        ),
                    );
                    return;
                }
                4 + n
            } else {
                4 + (((s.hs[1] as usize) << 16) | ((s.hs[2] as usize) << 8) | s.hs[3] as usize)
            };
            let take = (need - s.hs.len()).min(bytes.len());
            s.hs.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if s.hs.len() < need {
                return;
            }
            let msg = std::mem::take(&mut s.hs);
            let first = s.hs_record;
            self.message(cx, first, &msg, encrypted, sink);
            if bytes.is_empty() {
                return;
            }
        }
    }

    /// One whole handshake message (its 4-byte header included).
    fn message(
        &mut self,
        cx: StreamCtx,
        hdr: TlsRecordHeader,
        msg: &[u8],
        encrypted: bool,
        sink: &mut dyn Sink,
    ) {
        let t = msg[0];
        let mut m = new_msg(cx, handshake::msg_name(t), hdr);
        m.msg_type = Some(t);
        m.encrypted = encrypted;
        m.len = (msg.len() - 4) as u32;
        let facts = handshake::read(t, &msg[4..], self.tls13(), &mut m);
        sink.emit(Event::Tls(Box::new(m)));
        let d = cx.dir.idx();
        match facts {
            Facts::ClientHello { random } if cx.dir == Dir::C2S => {
                // A second ClientHello (after a HelloRetryRequest) keeps the first's random.
                self.client_random.get_or_insert(random);
            }
            Facts::ServerHello {
                random,
                version,
                suite,
                retry: false,
            } if cx.dir == Dir::S2C => {
                self.server_random = Some(random);
                self.version = Some(version);
                self.suite = Some(suite);
            }
            Facts::Finished if self.tls13() => {
                let s = &mut self.sides[d];
                if s.stage == Stage::Handshake {
                    s.stage = Stage::App;
                    s.keys = s.next.take();
                }
            }
            Facts::KeyUpdate if self.tls13() => {
                let s = &mut self.sides[d];
                s.keys = s.keys.as_ref().and_then(DirKeys::updated);
            }
            _ => {}
        }
    }

    /// The first protected record: look the keys up and say whether decryption is possible.
    fn start_session(&mut self, cx: StreamCtx, sink: &mut dyn Sink) {
        self.session_done = true;
        let version = self.version.unwrap_or(0);
        let suite = self.suite.unwrap_or(0);
        let vname = handshake::version_name(version);
        let cname = suite_name(suite);
        let mut decrypted = false;
        match (self.client_random, self.server_random, support(suite)) {
            (None, _, _) | (_, None, _) => note(
                sink,
                cx,
                Level::Info,
                "tls-encrypted",
                "TLS: encrypted records whose handshake was not captured: they cannot be decrypted"
                    .into(),
            ),
            (_, _, Support::Unsupported(why)) => note(
                sink,
                cx,
                Level::Info,
                "tls-unsupported-cipher",
                format!(
                    "{vname} with {cname}, {why}: wslens decrypts only AES-GCM and ChaCha20-Poly1305 suites; the payload stays encrypted"
                ),
            ),
            (Some(cr), Some(sr), Support::Aead(alg, hash)) => {
                match self.keys.lookup(&cr) {
                    Some(sec) => decrypted = self.install(version, alg, hash, &sec, &cr, &sr),
                    None => note(
                        sink,
                        cx,
                        Level::Info,
                        "tls-encrypted",
                        format!(
                            "{vname} ({cname}): everything after the handshake's clear part is encrypted. No key log line matches this connection's ClientHello random: give a key log with --tls-keylog FILE or the SSLKEYLOGFILE variable (browsers, curl, Python and Node write one) to see inside"
                        ),
                    ),
                }
                if !decrypted && self.keys.lookup(&cr).is_some() {
                    note(
                        sink,
                        cx,
                        Level::Warn,
                        "tls-keys-incomplete",
                        format!(
                            "{vname}: the key log has lines for this connection but not the ones needed (TLS 1.3: CLIENT_/SERVER_TRAFFIC_SECRET_0; TLS 1.2: CLIENT_RANDOM)"
                        ),
                    );
                }
            }
        }
        sink.emit(Event::TlsSession(Box::new(TlsSession {
            conn: cx.conn,
            pkt: cx.pkt,
            ts: cx.ts,
            version: vname,
            cipher: cname,
            decrypted,
        })));
    }

    /// Expand the logged secrets into both directions' keys. False when they are not there.
    fn install(
        &mut self,
        version: u16,
        alg: super::crypto::AeadAlg,
        hash: super::crypto::HashAlg,
        sec: &Secrets,
        cr: &[u8; 32],
        sr: &[u8; 32],
    ) -> bool {
        if version == 0x0304 {
            if !sec.has_tls13() {
                return false;
            }
            let mk = |s: &Option<Vec<u8>>| s.as_deref().and_then(|s| DirKeys::tls13(alg, hash, s));
            for (side, hs, app) in [
                (0, &sec.client_hs, &sec.client_app),
                (1, &sec.server_hs, &sec.server_app),
            ] {
                let s = &mut self.sides[side];
                s.next = mk(app);
                if s.stage == Stage::Clear {
                    s.stage = Stage::Handshake;
                    s.keys = mk(hs);
                }
            }
            true
        } else {
            let Some(master) = &sec.master else {
                return false;
            };
            let Some((c, s)) = DirKeys::tls12(alg, hash, master, cr, sr) else {
                return false;
            };
            for (side, k) in [(0, c), (1, s)] {
                let st = &mut self.sides[side];
                if st.ccs_seen {
                    st.keys = Some(k);
                    st.stage = Stage::App;
                } else {
                    st.next = Some(k);
                }
            }
            true
        }
    }

    /// One protected record.
    fn protected_record(
        &mut self,
        cx: StreamCtx,
        r: &Record<'_>,
        sink: &mut dyn Sink,
        up: &mut dyn Upper,
    ) {
        let d = cx.dir.idx();
        let s = &mut self.sides[d];
        if s.failed || (s.keys.is_none() && s.next.is_none()) {
            return;
        }
        let mut plain = std::mem::take(&mut s.plain);
        let mut opened = None;
        if let Some(k) = &mut s.keys {
            opened = k.open_at(k.seq, &r.raw_header, r.body, &mut plain);
            if opened.is_some() {
                k.seq += 1;
            }
        }
        if opened.is_none() && s.stage == Stage::Handshake {
            // The handshake keys are missing or did not fit (a message we could not read):
            // maybe this side's handshake is over and the application keys apply.
            if let Some(k) = &mut s.next {
                opened = k.open_at(0, &r.raw_header, r.body, &mut plain);
                if opened.is_some() {
                    k.seq = 1;
                    s.keys = s.next.take();
                    s.stage = Stage::App;
                }
            }
            if opened.is_none() && s.keys.is_none() {
                s.blind_tries += 1;
                if s.blind_tries < BLIND_TRIES {
                    s.plain = plain;
                    return;
                }
            }
        }
        let Some(ty) = opened else {
            s.failed = true;
            s.plain = plain;
            note(
                sink,
                cx,
                Level::Warn,
                "tls-auth-failed",
                format!(
                    "a {} TLS record of {} bytes failed authentication (its tag does not verify): the key log does not belong to this connection, or the capture is damaged. Nothing from it is passed on; decryption of {} stops",
                    cx.dir.as_str(),
                    r.body.len(),
                    cx.dir.as_str()
                ),
            );
            return;
        };
        match ty {
            APPLICATION_DATA => up.data(cx, &plain, sink),
            HANDSHAKE => self.handshake_bytes(cx, r.header, &plain, true, sink),
            ALERT => self.alert(cx, r.header, &plain, true, sink),
            _ => {}
        }
        self.sides[d].plain = plain;
    }
}

#[cfg(test)]
mod records_note_tests {
    use super::*;

    #[test]
    fn the_records_note_reads_back() {
        for (dir, n, b, d) in [(Dir::C2S, 18, 4114, true), (Dir::S2C, 0, 0, false)] {
            let text = records_note(dir, n, b, d);
            assert_eq!(parse_records_note(&text), Some((dir, n, b, d)), "{text}");
        }
        assert_eq!(parse_records_note("c2s: lots of records"), None);
        assert_eq!(
            parse_records_note("up: 1 encrypted records, 2 bytes (decrypted)"),
            None
        );
    }
}
