//! The whole decoding pipeline for one capture: link → IP → TCP/UDP flows → HTTP → WebSocket.
//! Feed it packets in capture order; it pushes events into a sink.

use crate::app::AppLayer;
use crate::capture::Packet;
use crate::event::{Event, Level, Note, PktNum, Sink, Ts};
use crate::limits::Limits;
use crate::tcp::tracker::{At, Tracker};
use crate::wire::{self, Transport, WireError};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct DecodeOptions {
    pub limits: Limits,
    /// Packets come from a live capture, not a file: their order is arrival order, and a
    /// timestamp going backwards (a kernel ring's blocks, several CPUs) is nothing to report.
    pub live: bool,
    /// TLS secrets to decrypt wss:// with (key log file, Decryption Secrets Blocks).
    pub tls_keys: crate::tls::KeyStore,
}

pub struct Decoder {
    tracker: Tracker<AppLayer>,
    first_ts: Option<i64>,
    last_ts: i64,
    packets: PktNum,
    /// Packets skipped, by reason: reported in full once, then counted.
    skipped: BTreeMap<&'static str, (u64, String)>,
    backwards_reported: bool,
    live: bool,
}

impl Decoder {
    pub fn new(opts: DecodeOptions) -> Self {
        // `AppLayer::new` takes the frame preview from the limits too (the UI asks for one).
        let mut app = AppLayer::new(opts.limits.clone());
        app.tls_keys = opts.tls_keys;
        let live = opts.live;
        Decoder {
            tracker: Tracker::new(app, opts.limits),
            first_ts: None,
            last_ts: i64::MIN,
            packets: 0,
            skipped: BTreeMap::new(),
            backwards_reported: false,
            live,
        }
    }

    /// The TLS key store this decoder looks secrets up in (a capture's Decryption Secrets
    /// Blocks are added to it as they are read).
    pub fn tls_keys(&self) -> crate::tls::KeyStore {
        self.tracker.handler.tls_keys.clone()
    }

    /// Give connections the numbers a decode of the whole capture gives them, when this
    /// decoder is fed only some of them ([`crate::tail`]).
    pub fn set_conn_ids(&mut self, ids: crate::tcp::tracker::ConnIds) {
        self.tracker.set_ids(ids);
    }

    /// Count times from this instant (the capture's first packet) when the packets fed do not
    /// start with it.
    pub fn set_first_ts(&mut self, ts_ns: i64) {
        self.first_ts = Some(ts_ns);
    }

    pub fn packets(&self) -> PktNum {
        self.packets
    }

    /// Nanoseconds since the Unix epoch of the first packet (events' `ts` count from it).
    pub fn first_ts_ns(&self) -> Option<i64> {
        self.first_ts
    }

    pub fn connections(&self) -> u32 {
        self.tracker.connections()
    }

    /// Bytes of decoding state the open connections hold now (the figure held to
    /// `Limits::memory_budget`); a closed connection holds none.
    pub fn state_bytes(&self) -> usize {
        self.tracker.state_bytes()
    }

    /// The highest [`Decoder::state_bytes`] so far.
    pub fn state_bytes_peak(&self) -> usize {
        self.tracker.state_bytes_peak()
    }

    /// Connections no longer decoded because the memory budget was reached.
    pub fn budget_evictions(&self) -> u64 {
        self.tracker.budget_evictions()
    }

    /// Relative time of a packet (first packet = 0).
    fn ts(&mut self, p: &Packet<'_>, sink: &mut dyn Sink) -> Ts {
        let first = *self.first_ts.get_or_insert(p.ts_ns);
        if p.ts_ns < self.last_ts && !self.backwards_reported && !self.live {
            self.backwards_reported = true;
            sink.emit(Event::Note(Note {
                level: Level::Info,
                code: "time-backwards",
                text: "timestamps go backwards here (packets are decoded in file order)".into(),
                conn: None,
                pkt: Some(p.num),
            }));
        }
        self.last_ts = self.last_ts.max(p.ts_ns);
        Ts(p.ts_ns.saturating_sub(first))
    }

    pub fn packet(&mut self, p: &Packet<'_>, sink: &mut dyn Sink) {
        self.packets += 1;
        let ts = self.ts(p, sink);
        match wire::decode(p.linktype, p.data) {
            Ok(d) => {
                let at = At { pkt: p.num, ts };
                if self.tracker.packet(at, &d, p.truncated(), sink).is_none()
                    && let Transport::Other(proto) = d.transport
                {
                    self.skip(
                        p.num,
                        "other-protocol",
                        format!("IP protocol {proto} is not TCP or UDP"),
                        sink,
                    )
                }
            }
            Err(e) => {
                let code = match e {
                    WireError::UnknownLinktype(_) => "unknown-linktype",
                    WireError::NotIp(_) => "not-ip",
                    WireError::Fragment => "ip-fragment",
                    WireError::Truncated(_) => "truncated-header",
                    WireError::Malformed(_) => "malformed-packet",
                };
                self.skip(p.num, code, e.to_string(), sink);
            }
        }
    }

    /// A packet with nothing to follow: say so the first time, count the rest.
    fn skip(&mut self, pkt: PktNum, code: &'static str, text: String, sink: &mut dyn Sink) {
        let e = self.skipped.entry(code).or_insert((0, String::new()));
        e.0 += 1;
        if e.0 == 1 {
            e.1 = text.clone();
            let level = if code == "other-protocol" || code == "not-ip" {
                Level::Info
            } else {
                Level::Warn
            };
            sink.emit(Event::Note(Note {
                level,
                code,
                text: format!("packet skipped: {text}"),
                conn: None,
                pkt: Some(pkt),
            }));
        }
    }

    /// End of input: close what is open and summarise what was skipped.
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        self.tracker.finish(sink);
        for (code, (n, text)) in std::mem::take(&mut self.skipped) {
            if n > 1 {
                sink.emit(Event::Note(Note {
                    level: Level::Info,
                    code,
                    text: format!("{n} packets skipped in all: {text}"),
                    conn: None,
                    pkt: None,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Timestamps going backwards are a file-order note for files, nothing for live input.
    #[test]
    fn time_backwards_is_noted_for_files_only() {
        let bytes = include_bytes!("../captures/classroom.pcap");
        let mut pkts = Vec::new();
        crate::capture::read_bytes(bytes, |p| pkts.push((p.num, p.ts_ns, p.data.to_vec())))
            .unwrap();
        for live in [false, true] {
            let mut dec = Decoder::new(DecodeOptions {
                live,
                ..DecodeOptions::default()
            });
            let mut notes = Vec::new();
            let mut sink = |e: Event| {
                if let Event::Note(n) = e {
                    notes.push(n.code)
                }
            };
            // The second packet first: the first one is then earlier than what came before.
            for &i in &[1usize, 0, 2] {
                let (num, ts_ns, data) = &pkts[i];
                let p = Packet {
                    num: *num,
                    ts_ns: *ts_ns,
                    linktype: 1,
                    data,
                    orig_len: data.len() as u32,
                };
                dec.packet(&p, &mut sink);
            }
            assert_eq!(
                notes.contains(&"time-backwards"),
                !live,
                "live {live}: {notes:?}"
            );
        }
    }
}
