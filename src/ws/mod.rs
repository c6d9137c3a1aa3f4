//! WebSocket (RFC 6455) passive decoder: frames, messages, permessage-deflate (RFC 7692).
//!
//! One [`WsDirection`] per direction of a connection, fed the in-order bytes of that direction
//! starting at the first byte after the handshake (or, heuristically, wherever the capture began).
//!
//! Payloads are consumed as a stream: masked bytes are unmasked into a small scratch buffer,
//! then (inflated and) fed to the message's `Body`, which keeps a bounded preview and hashes
//! what outgrows it (or hands the hashing to the sink), so a frame that claims 2^63 bytes costs
//! no memory. See `docs/websocket.md` for what is checked and which notes exist.

mod body;
mod deflate_window;
mod header;
mod mask;
mod notes;
mod park;
mod utf8;

#[cfg(test)]
mod tests;

use crate::event::{
    DeflateParams, Dir, Event, FrameHeader, Level, Opcode, PktNum, Pkts, Sink, Unhashed, WsFrame,
    WsMessage,
};
use crate::limits::Limits;
use crate::tcp::StreamCtx;

use body::{Body, Digest, InflateStop, Inflater};
use notes::{Kind, Notes};
use utf8::text_preview;

pub use body::live_inflaters;
pub use header::header_fields;
pub use mask::unmask;

#[derive(Clone, Debug, Default)]
pub struct WsConfig {
    /// permessage-deflate as negotiated by the handshake; None when not negotiated.
    pub deflate: Option<DeflateParams>,
    /// The handshake was not captured: frames are recognised heuristically.
    pub heuristic: bool,
    pub limits: Limits,
}

/// Data messages whose first frame is at least this long (and longer than their preview) are
/// hashed by the sink when it offers to ([`Sink::hash_begin`]).
const OFFLOAD_MIN: u64 = 16 << 10;

/// RFC 7692 §7.2.2: the sender removed this empty stored block's tail from every compressed
/// message; the receiver puts it back.
const DEFLATE_TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// Largest piece of a masked payload unmasked at once: stays in L1/L2 between unmask and hash.
const SCRATCH: usize = 16 << 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Looking for a plausible frame header (after a gap, or a capture that began mid-stream).
    Resync,
    Header,
    Payload,
}

/// A message being received: a data message (possibly fragmented) or one control frame.
struct Msg {
    active: bool,
    opcode: Opcode,
    frames: u32,
    compressed: bool,
    wire_len: u64,
    body: Body,
    /// Inflating stopped; the content is unknown and the rest of the message is only counted.
    inflate_err: Option<String>,
    heuristic: bool,
    /// Began with a Text/Binary frame, so its end is a clean message boundary.
    clean_start: bool,
    /// The deflate tail (RFC 7692 §7.2.2) was inflated along with the last payload bytes.
    tail_done: bool,
}

impl Msg {
    /// A message starts with its first frame; the body's preview is reset by the caller.
    fn begin(&mut self, op: Opcode, compressed: bool, heuristic: bool, clean_start: bool) {
        self.active = true;
        self.opcode = op;
        self.frames = 1;
        self.compressed = compressed;
        self.wire_len = 0;
        self.inflate_err = None;
        self.heuristic = heuristic;
        self.clean_start = clean_start;
        self.tail_done = false;
    }

    fn new() -> Self {
        Msg {
            active: false,
            opcode: Opcode::Binary,
            frames: 0,
            compressed: false,
            wire_len: 0,
            body: Body::new(),
            inflate_err: None,
            heuristic: false,
            clean_start: false,
            tail_done: false,
        }
    }
}

/// Decodes one direction of a WebSocket connection, as a stream.
pub struct WsDirection {
    dir: Dir,
    deflate: Option<DeflateParams>,
    /// This direction's sender resets its compressor per message.
    no_context: bool,
    message_preview: usize,
    binary_preview: usize,
    frame_preview: usize,
    inflate_limit: u64,
    /// The handshake was never seen: everything stays heuristic.
    always_heuristic: bool,
    /// Events are currently marked heuristic (until a clean message boundary after a resync).
    heuristic: bool,
    phase: Phase,
    /// Stream offset of the next byte fed.
    offset: u64,
    hdr: [u8; 14],
    hdr_have: u8,
    frame_start: u64,
    cur: FrameHeader,
    /// Payload bytes of `cur` seen so far.
    frame_pos: u64,
    frame_pkts: Pkts,
    frame_preview_buf: Vec<u8>,
    frame_heuristic: bool,
    /// The current frame belongs to `ctrl` (control or reserved opcode), not to `data`.
    to_ctrl: bool,
    data: Msg,
    ctrl: Msg,
    infl: Option<Inflater>,
    scratch: Vec<u8>,
    /// A compressed message's last bytes with the deflate tail after them.
    joined: Vec<u8>,
    close_sent: bool,
    after_close_noted: bool,
    /// Bytes skipped while resynchronising.
    skipped: u64,
    after_gap: bool,
    /// Bytes lost and not yet reported: the note waits until frames are found again, so that
    /// each gap gives one note saying what was lost and where decoding resumed.
    pending_gap: Option<PendingGap>,
    /// After lost bytes, frames still to decode without any sign of a wrong guess before
    /// violations are reported again.
    trust_in: u8,
    notes: Notes,
}

/// Consecutive frames without a suspect sign that prove frames were found again for real.
const TRUST_AFTER_LOSS: u8 = 4;

/// A gap not yet reported.
struct PendingGap {
    cx: StreamCtx,
    len: u64,
    offset: u64,
    lost: String,
}

/// Packet numbers listed in one `ws_frame` event at most (the last entry is the latest packet).
pub const MAX_FRAME_PKTS: usize = 4096;

impl WsDirection {
    pub fn new(dir: Dir, cfg: &WsConfig) -> Self {
        let no_context = cfg.deflate.is_some_and(|d| match dir {
            Dir::C2S => d.client_no_context_takeover,
            Dir::S2C => d.server_no_context_takeover,
        });
        WsDirection {
            dir,
            deflate: cfg.deflate,
            no_context,
            message_preview: cfg.limits.message_preview,
            binary_preview: cfg.limits.binary_preview,
            frame_preview: cfg.limits.frame_preview,
            inflate_limit: cfg.limits.inflate_per_message,
            always_heuristic: cfg.heuristic,
            heuristic: cfg.heuristic,
            phase: if cfg.heuristic {
                Phase::Resync
            } else {
                Phase::Header
            },
            offset: 0,
            hdr: [0; 14],
            hdr_have: 0,
            frame_start: 0,
            cur: FrameHeader {
                fin: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: Opcode::Binary,
                masked: false,
                mask_key: None,
                len_code: 0,
                payload_len: 0,
                header_len: 2,
                raw: [0; 14],
            },
            frame_pos: 0,
            frame_pkts: Pkts::new(),
            frame_preview_buf: Vec::new(),
            frame_heuristic: false,
            to_ctrl: false,
            data: Msg::new(),
            ctrl: Msg::new(),
            infl: None,
            scratch: Vec::new(),
            joined: Vec::new(),
            close_sent: false,
            after_close_noted: false,
            skipped: 0,
            after_gap: false,
            pending_gap: None,
            trust_in: 0,
            notes: Notes::default(),
        }
    }

    /// The next in-order bytes of this direction.
    pub fn feed(&mut self, cx: StreamCtx, data: &[u8], sink: &mut dyn Sink) {
        let mut data = data;
        while !data.is_empty() {
            match self.phase {
                Phase::Resync => match self.find_frame_start(data) {
                    Some(i) => {
                        self.offset = self.offset.saturating_add(i as u64);
                        self.skipped = self.skipped.saturating_add(i as u64);
                        data = &data[i..];
                        self.resynced(&cx, sink);
                    }
                    None => {
                        self.offset = self.offset.saturating_add(data.len() as u64);
                        self.skipped = self.skipped.saturating_add(data.len() as u64);
                        return;
                    }
                },
                Phase::Header => {
                    if self.hdr_have == 0 {
                        self.frame_start = self.offset;
                        self.frame_pkts = Pkts::new();
                        self.frame_pkts.push(cx.pkt);
                        // The whole header at hand (the usual case): read it in place.
                        if let Some(h) = data
                            .get(1)
                            .and_then(|&b1| data.get(..header::header_len(b1) as usize))
                            .and_then(header::parse)
                        {
                            let n = h.header_len as usize;
                            self.offset = self.offset.saturating_add(n as u64);
                            data = &data[n..];
                            self.start_frame(h, &cx, sink);
                            continue;
                        }
                    } else {
                        self.note_pkt(cx.pkt);
                    }
                    let have = self.hdr_have as usize;
                    let need = if have < 2 {
                        2
                    } else {
                        header::header_len(self.hdr[1]) as usize
                    };
                    let take = need.saturating_sub(have).min(data.len());
                    self.hdr[have..have + take].copy_from_slice(&data[..take]);
                    self.hdr_have += take as u8;
                    self.offset = self.offset.saturating_add(take as u64);
                    data = &data[take..];
                    if self.hdr_have >= 2 && self.hdr_have == header::header_len(self.hdr[1]) {
                        self.hdr_have = 0;
                        if let Some(h) = header::parse(&self.hdr) {
                            self.start_frame(h, &cx, sink);
                        }
                    }
                }
                Phase::Payload => {
                    self.note_pkt(cx.pkt);
                    let left = self.cur.payload_len - self.frame_pos;
                    let n = left.min(data.len() as u64) as usize;
                    let (chunk, rest) = data.split_at(n);
                    self.payload(chunk, &cx, sink);
                    self.offset = self.offset.saturating_add(n as u64);
                    self.frame_pos += n as u64;
                    data = rest;
                    if self.frame_pos == self.cur.payload_len {
                        self.finish_frame(&cx, sink);
                    }
                }
            }
        }
    }

    /// The capture missed `len` bytes here: resynchronise.
    pub fn gap(&mut self, cx: StreamCtx, len: u64, sink: &mut dyn Sink) {
        let mut lost = String::new();
        if self.phase == Phase::Payload || (self.phase == Phase::Header && self.hdr_have > 0) {
            lost.push_str("; the partial frame is dropped");
        }
        if self.data.active {
            lost.push_str(&format!(
                "; the unfinished {} message ({} frame(s) so far) is dropped",
                self.data.opcode.as_str(),
                self.data.frames
            ));
        }
        // Reported once frames are found again (or the stream ends): one note per gap.
        match self.pending_gap.as_mut() {
            Some(p) => p.len = p.len.saturating_add(len),
            None => {
                self.pending_gap = Some(PendingGap {
                    cx,
                    len,
                    offset: self.offset,
                    lost,
                })
            }
        }
        self.data.active = false;
        self.ctrl.active = false;
        self.data.body.abandon(sink);
        self.hdr_have = 0;
        self.frame_pkts = Pkts::new();
        self.frame_preview_buf = Vec::new();
        if let Some(infl) = self.infl.as_mut() {
            // The missing bytes may hold compressed messages whose text later ones refer to.
            infl.reset();
            infl.broken = !self.no_context;
        }
        self.offset = self.offset.saturating_add(len);
        self.phase = Phase::Resync;
        self.after_gap = true;
        self.skipped = 0;
    }

    /// Report the gap waiting for frames to be found again.
    fn report_gap(&mut self, resumed: Option<(u64, u64)>, sink: &mut dyn Sink) {
        let Some(g) = self.pending_gap.take() else {
            return;
        };
        let PendingGap {
            cx,
            len,
            offset,
            lost,
        } = g;
        self.notes.emit(sink, &cx, Level::Warn, Kind::Gap, || {
            let then = match resumed {
                Some((skipped, at)) => format!(
                    "frames were recognised again at stream offset {at}, {skipped} byte(s) \
                     further; events are marked heuristic until a clean message boundary"
                ),
                None => "the stream ended before frames could be recognised again".into(),
            };
            format!(
                "{len} bytes of this direction were not captured at stream offset {offset}{lost}; \
                 {then}"
            )
        });
    }

    /// No more bytes will come: report what is left unfinished.
    pub fn end(&mut self, cx: StreamCtx, sink: &mut dyn Sink) {
        self.report_gap(None, sink);
        match self.phase {
            Phase::Payload => {
                let (op, pos, len) = (self.cur.opcode, self.frame_pos, self.cur.payload_len);
                self.notes
                    .emit(sink, &cx, Level::Warn, Kind::IncompleteFrame, || {
                        format!(
                            "stream ended inside a {} frame: {pos} of {len} payload bytes seen",
                            op.as_str()
                        )
                    });
            }
            Phase::Header if self.hdr_have > 0 => {
                let have = self.hdr_have;
                self.notes
                    .emit(sink, &cx, Level::Warn, Kind::IncompleteFrame, || {
                        format!("stream ended inside a frame header ({have} byte(s) seen)")
                    });
            }
            _ => {}
        }
        if self.data.active {
            let (op, frames) = (self.data.opcode, self.data.frames);
            self.notes
                .emit(sink, &cx, Level::Warn, Kind::IncompleteMessage, || {
                    format!(
                        "stream ended inside a fragmented {} message ({frames} frame(s) seen, \
                         no final frame; RFC 6455 §5.4)",
                        op.as_str()
                    )
                });
        }
        self.data.active = false;
        self.ctrl.active = false;
        self.data.body.abandon(sink);
        self.hdr_have = 0;
        self.phase = Phase::Header;
    }

    fn note_pkt(&mut self, pkt: PktNum) {
        if self.frame_pkts.last() != Some(&pkt) {
            // A frame may claim 2^63 bytes and span every later packet: keep the first ones and
            // the latest, so memory stays bounded however long the capture goes on.
            if self.frame_pkts.len() >= MAX_FRAME_PKTS {
                if let Some(last) = self.frame_pkts.last_mut() {
                    *last = pkt;
                }
            } else {
                self.frame_pkts.push(pkt);
            }
        }
    }

    fn find_frame_start(&self, data: &[u8]) -> Option<usize> {
        let deflate = Some(self.deflate.is_some());
        (0..data.len().saturating_sub(1))
            .find(|&i| header::plausible_run(&data[i..], self.dir, deflate))
    }

    fn resynced(&mut self, cx: &StreamCtx, sink: &mut dyn Sink) {
        self.phase = Phase::Header;
        self.heuristic = true;
        let (skipped, offset) = (self.skipped, self.offset);
        if (self.after_gap || skipped > 0) && !self.always_heuristic {
            self.trust_in = TRUST_AFTER_LOSS;
        }
        if self.pending_gap.is_some() {
            self.report_gap(Some((skipped, offset)), sink);
        } else if self.after_gap || skipped > 0 {
            self.notes.emit(sink, cx, Level::Info, Kind::Resync, || {
                format!(
                    "frames recognised again at stream offset {offset} after skipping \
                     {skipped} byte(s); events are marked heuristic until a clean message boundary"
                )
            });
        }
        self.after_gap = false;
        self.skipped = 0;
    }

    fn start_frame(&mut self, h: FrameHeader, cx: &StreamCtx, sink: &mut dyn Sink) {
        // After lost bytes frames are a guess until several in a row decode without a sign of a
        // wrong one: no violation is reported about them, since a wrong guess would make up
        // violations the peers never committed (a capture that began mid-stream is judged as
        // before).
        self.notes.unproven = self.trust_in > 0;
        self.cur = h;
        self.frame_pos = 0;
        self.frame_heuristic = self.heuristic;
        self.check_header(&h, cx, sink);
        match h.opcode {
            Opcode::Text | Opcode::Binary => {
                if self.data.active {
                    let (old, frames) = (self.data.opcode, self.data.frames);
                    self.notes
                        .emit(sink, cx, Level::Warn, Kind::NewMessageBeforeFin, || {
                            format!(
                                "a new {} message starts before the {} message in progress \
                                 got its final frame (RFC 6455 §5.4); the unfinished message \
                                 ({frames} frame(s)) is dropped",
                                h.opcode.as_str(),
                                old.as_str()
                            )
                        });
                    self.abandon_data();
                }
                let compressed = h.rsv1 && self.deflate.is_some();
                self.start_data(h.opcode, compressed, true, h.payload_len, sink);
            }
            Opcode::Continuation => {
                if self.data.active {
                    self.data.frames = self.data.frames.saturating_add(1);
                } else {
                    // Expected when the capture began (or resumed) inside a fragmented message.
                    let level = if self.heuristic {
                        Level::Info
                    } else {
                        Level::Warn
                    };
                    self.notes
                        .emit(sink, cx, level, Kind::ContinuationWithoutStart, || {
                            "continuation frame with no message in progress (RFC 6455 §5.4); \
                             its content is reported as an orphan continuation message"
                                .to_string()
                        });
                    self.start_data(Opcode::Continuation, false, false, 0, sink);
                }
            }
            op => {
                let m = &mut self.ctrl;
                m.begin(op, false, self.heuristic, true);
                let close = op == Opcode::Close;
                let cap = if close {
                    self.message_preview.saturating_add(2)
                } else {
                    self.message_preview
                };
                m.body.reset(cap, close, 2, None, sink);
            }
        }
        self.to_ctrl = !matches!(
            h.opcode,
            Opcode::Text | Opcode::Binary | Opcode::Continuation
        );
        if h.payload_len == 0 {
            self.finish_frame(cx, sink);
        } else {
            self.phase = Phase::Payload;
        }
    }

    fn check_header(&mut self, h: &FrameHeader, cx: &StreamCtx, sink: &mut dyn Sink) {
        let n = &mut self.notes;
        let op = h.opcode;
        if self.close_sent && !op.is_control() && !self.after_close_noted {
            self.after_close_noted = true;
            n.emit(sink, cx, Level::Warn, Kind::DataAfterClose, || {
                format!(
                    "{} frame sent after this endpoint's Close frame (RFC 6455 §5.5.1: no more \
                     data frames after Close)",
                    op.as_str()
                )
            });
        }
        match (self.dir, h.masked) {
            (Dir::C2S, false) => n.emit(sink, cx, Level::Warn, Kind::UnmaskedClientFrame, || {
                "client-to-server frame is not masked (RFC 6455 §5.1: a client MUST mask every \
                 frame it sends)"
                    .to_string()
            }),
            (Dir::S2C, true) => n.emit(sink, cx, Level::Warn, Kind::MaskedServerFrame, || {
                "server-to-client frame is masked (RFC 6455 §5.1: a server MUST NOT mask the \
                 frames it sends)"
                    .to_string()
            }),
            _ => {}
        }
        let len = h.payload_len;
        if h.len_code == 127 && len >> 63 != 0 {
            n.emit(sink, cx, Level::Warn, Kind::LengthTopBit, || {
                format!(
                    "the 64-bit payload length {len} has its most significant bit set (RFC 6455 \
                     §5.2: it MUST be 0); the length is doubtful and the frame is followed as \
                     claimed"
                )
            });
        }
        if (h.len_code == 127 && len <= 0xffff) || (h.len_code == 126 && len < 126) {
            let bytes = if h.len_code == 127 { 8 } else { 2 };
            n.emit(sink, cx, Level::Warn, Kind::LengthNotMinimal, || {
                format!(
                    "payload length {len} written in {bytes} extended bytes (RFC 6455 §5.2: the \
                     minimal number of bytes MUST be used to encode the length)"
                )
            });
        }
        if let Opcode::ReservedData(v) | Opcode::ReservedControl(v) = op {
            n.emit(sink, cx, Level::Warn, Kind::ReservedOpcode, || {
                format!(
                    "opcode 0x{v:x} is reserved (RFC 6455 §5.2); the frame is reported as a \
                     message of its own"
                )
            });
        }
        if h.rsv2 || h.rsv3 {
            n.emit(sink, cx, Level::Warn, Kind::RsvWithoutExtension, || {
                "RSV2/RSV3 set, but no negotiated extension defines them (RFC 6455 §5.2)"
                    .to_string()
            });
        }
        if h.rsv1 {
            if self.deflate.is_none() {
                n.emit(sink, cx, Level::Warn, Kind::RsvWithoutExtension, || {
                    "RSV1 set, but no extension (permessage-deflate) was negotiated \
                     (RFC 6455 §5.2)"
                        .to_string()
                });
            } else if !matches!(op, Opcode::Text | Opcode::Binary) {
                n.emit(sink, cx, Level::Warn, Kind::RsvWithoutExtension, || {
                    format!(
                        "RSV1 set on a {} frame: permessage-deflate allows it only on the first \
                         frame of a data message (RFC 7692 §6.1, RFC 6455 §5.2)",
                        op.as_str()
                    )
                });
            }
        }
        if op.is_control() {
            if !h.fin {
                n.emit(sink, cx, Level::Warn, Kind::FragmentedControl, || {
                    format!(
                        "{} frame has FIN=0 (RFC 6455 §5.5: control frames MUST NOT be \
                         fragmented)",
                        op.as_str()
                    )
                });
            }
            if h.payload_len > 125 {
                let len = h.payload_len;
                n.emit(sink, cx, Level::Warn, Kind::ControlTooLong, || {
                    format!(
                        "{} frame carries {len} payload bytes (RFC 6455 §5.5: control frames \
                         carry at most 125)",
                        op.as_str()
                    )
                });
            }
        }
    }

    /// A data message begins; `first_len` is the payload length of its first frame.
    fn start_data(
        &mut self,
        op: Opcode,
        compressed: bool,
        clean_start: bool,
        first_len: u64,
        sink: &mut dyn Sink,
    ) {
        let m = &mut self.data;
        m.begin(op, compressed, self.heuristic, clean_start);
        // Binary payloads are shown as a few hex bytes at most; text is shown whole up to the cap.
        let cap = if op == Opcode::Text {
            self.message_preview
        } else {
            self.message_preview.min(self.binary_preview)
        };
        // A large payload that outgrows its preview may be hashed by the sink (on its thread).
        let ticket = if !compressed && first_len >= OFFLOAD_MIN && first_len > cap as u64 {
            sink.hash_begin()
        } else {
            None
        };
        m.body.reset(cap, op == Opcode::Text, 0, ticket, sink);
        if compressed {
            let (no_context, broken) = (self.no_context, self.always_heuristic);
            // Created on first use: most connections never compress, and each inflater holds
            // a window of up to 32 KiB.
            let bits = self.window_bits();
            let infl = self.infl.get_or_insert_with(|| Inflater::new(broken, bits));
            if no_context {
                infl.reset();
            }
        }
    }

    /// The window the sender of this direction compresses with: its negotiated
    /// `*_max_window_bits` (15 when unknown).
    fn window_bits(&self) -> u8 {
        self.deflate.map_or(15, |d| match self.dir {
            Dir::C2S => d.client_max_window_bits,
            Dir::S2C => d.server_max_window_bits,
        })
    }

    /// Bytes of state held: the inflater, previews and scratch buffers.
    pub fn mem(&self) -> usize {
        self.infl.as_ref().map_or(0, Inflater::mem)
            + self.data.body.preview.capacity()
            + self.ctrl.body.preview.capacity()
            + self.frame_preview_buf.capacity()
            + self.scratch.capacity()
            + self.joined.capacity()
    }

    /// Forget the data message in progress (gap, or a new message before FIN).
    fn abandon_data(&mut self) {
        if self.data.compressed
            && self.data.inflate_err.is_none()
            && let Some(infl) = self.infl.as_mut()
        {
            // Its rest will never be inflated, so the window no longer matches the sender's.
            infl.reset();
            infl.broken = !self.no_context;
        }
        self.data.active = false;
    }

    fn payload(&mut self, chunk: &[u8], cx: &StreamCtx, sink: &mut dyn Sink) {
        let want = self
            .frame_preview
            .saturating_sub(self.frame_preview_buf.len());
        if want > 0 {
            self.frame_preview_buf
                .extend_from_slice(&chunk[..want.min(chunk.len())]);
        }
        let mask = self.cur.mask_key;
        match mask {
            Some(key) if self.hand_masked(chunk, key, sink) => {}
            Some(key) => {
                let mut scratch = std::mem::take(&mut self.scratch);
                let end = self.cur.payload_len;
                unmask_runs(&mut scratch, chunk, key, self.frame_pos, |buf, pos| {
                    self.route(buf, pos == end, cx, sink)
                });
                self.scratch = scratch;
            }
            None => {
                let ends = self.frame_pos + chunk.len() as u64 == self.cur.payload_len;
                self.route(chunk, ends, cx, sink)
            }
        }
    }

    /// Masked payload bytes of an uncompressed message whose hashing the sink does, handed
    /// over still masked when the sink takes them so (it can keep them in place, not copy
    /// them); unmasked here only when the message's preview or UTF-8 check needs them.
    fn hand_masked(&mut self, chunk: &[u8], key: [u8; 4], sink: &mut dyn Sink) -> bool {
        let m = if self.to_ctrl {
            &mut self.ctrl
        } else {
            &mut self.data
        };
        if !m.active || m.compressed || !m.body.hand_masked(chunk, key, self.frame_pos, sink) {
            return false;
        }
        m.wire_len += chunk.len() as u64;
        let (wanted, rest) = chunk.split_at(m.body.wanted(chunk.len()));
        unmask_runs(&mut self.scratch, wanted, key, self.frame_pos, |buf, _| {
            m.body.take(buf)
        });
        m.body.skip(rest.len());
        true
    }

    /// Unmasked payload bytes of the current frame, to the message they belong to; `ends` when
    /// they are the frame's last.
    fn route(&mut self, bytes: &[u8], ends: bool, cx: &StreamCtx, sink: &mut dyn Sink) {
        let m = if self.to_ctrl {
            &mut self.ctrl
        } else {
            &mut self.data
        };
        if !m.active {
            return;
        }
        m.wire_len += bytes.len() as u64;
        if !m.compressed {
            m.body.feed(bytes, sink);
            return;
        }
        if m.inflate_err.is_some() {
            return;
        }
        let Some(infl) = self.infl.as_mut() else {
            return;
        };
        let r = if ends && self.cur.fin && !self.to_ctrl {
            // The message's last bytes: inflate them with the deflate tail in one call, which
            // halves the calls for the common one-frame message.
            let mut joined = std::mem::take(&mut self.joined);
            joined.clear();
            joined.extend_from_slice(bytes);
            joined.extend_from_slice(&DEFLATE_TAIL);
            let r = infl.inflate(&joined, &mut m.body, self.inflate_limit, sink);
            self.joined = joined;
            m.tail_done = true;
            if r.is_ok() {
                infl.broken = false;
            }
            r
        } else {
            infl.inflate(bytes, &mut m.body, self.inflate_limit, sink)
        };
        if let Err(stop) = r {
            self.inflate_failed(stop, cx, sink);
        }
    }

    fn inflate_failed(&mut self, stop: InflateStop, cx: &StreamCtx, sink: &mut dyn Sink) {
        let Some(infl) = self.infl.as_mut() else {
            return;
        };
        infl.reset();
        let was_broken = infl.broken;
        infl.broken = !self.no_context;
        match stop {
            InflateStop::Error(e) => {
                let op = self.data.opcode;
                let why = if was_broken {
                    " (the compression context of earlier messages is missing: the capture began \
                     mid-stream or bytes were lost)"
                } else {
                    ""
                };
                self.notes
                    .emit(sink, cx, Level::Warn, Kind::InflateError, || {
                        format!(
                            "cannot inflate a compressed {} message: {e}{why} (RFC 7692 §7.2.2)",
                            op.as_str()
                        )
                    });
                self.data.inflate_err = Some(e);
            }
            InflateStop::Limit => {
                let limit = self.inflate_limit;
                self.notes
                    .emit(sink, cx, Level::Warn, Kind::InflateLimit, || {
                        format!(
                            "a compressed message inflates to more than {limit} bytes (limit \
                             inflate_per_message); inflating stopped for this message"
                        )
                    });
                self.data.inflate_err = Some(format!("inflated size exceeds {limit} bytes"));
            }
        }
    }

    fn finish_frame(&mut self, cx: &StreamCtx, sink: &mut dyn Sink) {
        self.phase = Phase::Header;
        let h = self.cur;
        sink.emit(Event::WsFrame(WsFrame {
            conn: cx.conn,
            dir: self.dir,
            pkts: std::mem::take(&mut self.frame_pkts),
            ts: cx.ts,
            header: h,
            stream_offset: self.frame_start,
            heuristic: self.frame_heuristic,
            preview: std::mem::take(&mut self.frame_preview_buf),
        }));
        if self.to_ctrl {
            if self.ctrl.active {
                self.finish_ctrl(cx, sink);
            }
        } else if h.fin && self.data.active {
            self.finish_data(cx, sink);
        }
        if self.trust_in > 0 {
            if std::mem::take(&mut self.notes.suspicious) {
                self.trust_in = TRUST_AFTER_LOSS;
            } else {
                self.trust_in -= 1;
            }
        }
    }

    fn finish_data(&mut self, cx: &StreamCtx, sink: &mut dyn Sink) {
        // The tail still to inflate when the last frame brought no payload bytes.
        if self.data.compressed
            && self.data.inflate_err.is_none()
            && !self.data.tail_done
            && let Some(infl) = self.infl.as_mut()
        {
            match infl.inflate(&DEFLATE_TAIL, &mut self.data.body, self.inflate_limit, sink) {
                Ok(()) => infl.broken = false,
                Err(stop) => self.inflate_failed(stop, cx, sink),
            }
        }
        // Between messages the inflater's state is its window: it may be parked (`park`).
        if self.data.compressed
            && let Some(infl) = self.infl.as_mut()
        {
            infl.message_done();
        }
        self.data.active = false;
        let (ev, digest) = self.build_message(false, cx, sink);
        if self.data.clean_start && !self.always_heuristic {
            self.heuristic = false;
        }
        emit_message(ev, digest, sink);
        self.message_notes(false, cx, sink);
        self.window_note(cx, sink);
    }

    /// A compressed message that reached back further than the window its sender agreed to:
    /// a receiver keeping only that window could not have inflated it.
    fn window_note(&mut self, cx: &StreamCtx, sink: &mut dyn Sink) {
        let Some(distance) = self.infl.as_mut().and_then(Inflater::take_over_window) else {
            return;
        };
        let bits = self.window_bits();
        let (param, section) = match self.dir {
            Dir::C2S => ("client_max_window_bits", "7.1.2.2"),
            Dir::S2C => ("server_max_window_bits", "7.1.2.1"),
        };
        self.notes
            .emit(sink, cx, Level::Warn, Kind::DeflateWindow, || {
                format!(
                    "a compressed message refers back {distance} bytes, beyond the {}-byte \
                     window its sender agreed to ({param}={bits}): a peer keeping only that \
                     window cannot inflate it (RFC 7692 §{section})",
                    1u32 << bits.max(8)
                )
            });
    }

    fn finish_ctrl(&mut self, cx: &StreamCtx, sink: &mut dyn Sink) {
        self.ctrl.active = false;
        let (ev, digest) = self.build_message(true, cx, sink);
        if ev.opcode == Opcode::Close {
            self.close_sent = true;
        }
        if !self.data.active && !self.always_heuristic {
            self.heuristic = false;
        }
        emit_message(ev, digest, sink);
        self.message_notes(true, cx, sink);
    }

    /// The message event, and how its digest is still to be computed (None: it is done).
    fn build_message(
        &mut self,
        ctrl: bool,
        cx: &StreamCtx,
        sink: &mut dyn Sink,
    ) -> (WsMessage, Option<Unhashed>) {
        let m = if ctrl { &mut self.ctrl } else { &mut self.data };
        let mut ev = WsMessage {
            conn: cx.conn,
            dir: self.dir,
            pkt: cx.pkt,
            ts: cx.ts,
            opcode: m.opcode,
            frames: m.frames,
            compressed: m.compressed,
            wire_len: m.wire_len,
            len: m.body.len,
            sha256: [0; 32],
            text: None,
            text_truncated: false,
            data: Vec::new(),
            data_truncated: false,
            close_code: None,
            close_reason: None,
            utf8_error: false,
            inflate_error: m.inflate_err.as_deref().map(Box::from),
            heuristic: m.heuristic,
        };
        if m.inflate_err.is_some() {
            return (ev, None);
        }
        let truncated = m.body.truncated();
        let whole_text = if m.opcode == Opcode::Text {
            m.body.take_text(sink)
        } else {
            None
        };
        let utf8_ok = m.body.utf8_ok();
        let mut pending = match m.body.digest() {
            Digest::Done(d) => {
                ev.sha256 = d;
                None
            }
            Digest::Ticket(t) => Some(Unhashed::Pieces(t)),
            Digest::OfPreview => Some(Unhashed::Content),
        };
        let preview = &mut m.body.preview;
        // The event holds the whole payload only as text that is valid UTF-8, or as data; else
        // a payload still in the preview is hashed here.
        let whole_in_event = match m.opcode {
            Opcode::Text => utf8_ok,
            Opcode::Close => false,
            _ => true,
        };
        if pending == Some(Unhashed::Content) && !whole_in_event {
            ev.sha256 = crate::event::sha256(preview);
            pending = None;
        }
        match m.opcode {
            Opcode::Text => {
                // Valid and whole, the preview's buffer became the text, uncopied.
                ev.text = Some(whole_text.unwrap_or_else(|| text_preview(preview, truncated)));
                ev.text_truncated = truncated;
                ev.utf8_error = !utf8_ok;
            }
            Opcode::Close => {
                if let Some(code) = preview.get(..2) {
                    ev.close_code = Some(u16::from_be_bytes([code[0], code[1]]));
                }
                if let Some(reason) = preview.get(2..).filter(|r| !r.is_empty()) {
                    ev.close_reason = Some(text_preview(reason, truncated).into());
                }
                ev.text_truncated = truncated;
                ev.utf8_error = !utf8_ok;
            }
            _ => {
                ev.data = std::mem::take(preview);
                ev.data_truncated = truncated;
            }
        }
        (ev, pending)
    }

    /// Violations only visible once a message is whole; emitted after its `ws_message`.
    fn message_notes(&mut self, ctrl: bool, cx: &StreamCtx, sink: &mut dyn Sink) {
        let m = if ctrl { &mut self.ctrl } else { &mut self.data };
        if m.inflate_err.is_some() {
            return;
        }
        let n = &mut self.notes;
        let op = m.opcode;
        if m.body.truncated() {
            let (text_cap, bin_cap) = (
                self.message_preview,
                self.message_preview.min(self.binary_preview),
            );
            n.emit_once(sink, cx, Level::Info, Kind::PreviewLimit, || {
                format!(
                    "message previews are cut (text at {text_cap} bytes, binary at {bin_cap}); len and sha256 always cover the whole payload"
                )
            });
        }
        if matches!(op, Opcode::Text | Opcode::Close) && !m.body.utf8_ok() {
            n.emit(sink, cx, Level::Warn, Kind::InvalidUtf8, || {
                if op == Opcode::Text {
                    "text message is not valid UTF-8 (RFC 6455 §8.1: fail the connection)"
                        .to_string()
                } else {
                    "close reason is not valid UTF-8 (RFC 6455 §5.5.1, §8.1)".to_string()
                }
            });
        }
        if op == Opcode::Close {
            let len = m.body.len;
            if len == 1 {
                n.emit(sink, cx, Level::Warn, Kind::ClosePayload1Byte, || {
                    "close frame payload is 1 byte (RFC 6455 §5.5.1: a body, if any, starts \
                     with a 2-byte status code)"
                        .to_string()
                });
            }
            if let Some(c) = m.body.preview.get(..2) {
                let code = u16::from_be_bytes([c[0], c[1]]);
                if !close_code_valid(code) {
                    n.emit(sink, cx, Level::Warn, Kind::InvalidCloseCode, || {
                        format!(
                            "close code {code} may not be sent on the wire (RFC 6455 §7.4.1, \
                             §7.4.2: valid are 1000-1003, 1007-1014 and 3000-4999)"
                        )
                    });
                }
            }
        }
    }
}

/// A message event to the sink, its digest computed there when still pending.
/// Unmask `masked` (starting at payload offset `pos`) a scratch-sized run at a time, handing
/// each run to `f` with the payload offset after it.
fn unmask_runs(
    scratch: &mut Vec<u8>,
    masked: &[u8],
    key: [u8; 4],
    mut pos: u64,
    mut f: impl FnMut(&[u8], u64),
) {
    let size = masked.len().min(SCRATCH);
    if scratch.len() < size {
        scratch.resize(size, 0);
    }
    for run in masked.chunks(SCRATCH) {
        let buf = &mut scratch[..run.len()];
        buf.copy_from_slice(run);
        unmask(buf, key, pos);
        pos += run.len() as u64;
        f(buf, pos);
    }
}

fn emit_message(ev: WsMessage, pending: Option<Unhashed>, sink: &mut dyn Sink) {
    match pending {
        None => sink.emit(Event::WsMessage(ev)),
        Some(how) => sink.emit_unhashed(ev, how),
    }
}

/// Status codes an endpoint may put in a Close frame (RFC 6455 §7.4.1/§7.4.2, IANA registry):
/// 1004-1006 and 1015 are reserved for reporting, 1016-2999 are unassigned or for extensions.
pub fn close_code_valid(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Do these bytes, the first seen of a direction that is not HTTP, look like WebSocket frames?
///
/// Every frame header starting inside `data` must be plausible: a defined opcode, RSV2/RSV3
/// clear, RSV1 only on a text/binary frame, the mask bit right for the direction (clients mask),
/// control frames final and at most 125 bytes, lengths in their shortest encoding.
pub fn looks_like_ws(data: &[u8], dir: Dir) -> bool {
    header::plausible_run(data, dir, None)
}
