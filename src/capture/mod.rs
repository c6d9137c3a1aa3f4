//! Capture files: pcap (both byte orders, µs and ns) and pcapng (several interfaces), read as a
//! stream so memory does not grow with the file. Built on `pcap-parser`.

use crate::event::PktNum;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::Read;
use std::path::Path;

mod map;
pub mod pcapng;
mod stream;
pub mod write;

pub use map::{
    Backing, before_sigbus_exit, read_file_mapped, read_file_offsets, read_file_offsets_until,
};
pub use stream::{Arrival, is_stream, read_stream};

/// One captured packet, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// 1-based, in file order.
    pub num: PktNum,
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// LINKTYPE_* number of the packet's interface.
    pub linktype: u32,
    /// The bytes captured (may be fewer than `orig_len` with a small snap length).
    pub data: &'a [u8],
    /// The length of the packet on the wire.
    pub orig_len: u32,
}

impl Packet<'_> {
    pub fn truncated(&self) -> bool {
        (self.data.len() as u64) < self.orig_len as u64
    }
}

type SecretsHook = Box<dyn FnMut(u32, &[u8])>;

thread_local! {
    /// Where pcapng Decryption Secrets Blocks go while this thread reads a capture.
    static SECRETS: std::cell::RefCell<Option<SecretsHook>> = const { std::cell::RefCell::new(None) };
}

/// Run `body` (which reads a capture on this thread) with `hook` receiving the secrets type
/// and bytes of every Decryption Secrets Block read (key logs embedded in pcapng files), in
/// file order, before the packets that follow them.
pub fn with_secrets<T>(hook: impl FnMut(u32, &[u8]) + 'static, body: impl FnOnce() -> T) -> T {
    let prev = SECRETS.with(|h| h.borrow_mut().replace(Box::new(hook)));
    let out = body();
    SECRETS.with(|h| *h.borrow_mut() = prev);
    out
}

/// Something wrong with the file itself; everything before it was delivered.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("not a pcap or pcapng file (unrecognised magic number {magic})")]
    NotACapture { magic: String },
    #[error("the input is empty")]
    Empty,
    #[error("the file is only {len} bytes long, too short to hold a pcap or pcapng file header")]
    ShortHeader { len: usize },
    #[error("read error: {0}")]
    Io(String),
    #[error("the capture holds no packets (its file header is valid, nothing follows it)")]
    NoPackets,
    /// Another program cut the file short while it was mapped (SIGBUS, see `map`).
    #[error("the capture file was cut short while it was being read, after packet {after_pkt}")]
    Shrunk { after_pkt: PktNum },
    #[error("file truncated at byte offset {offset}, after packet {after_pkt}: {what}")]
    Truncated {
        offset: u64,
        after_pkt: PktNum,
        what: &'static str,
    },
    #[error("corrupt {what} at byte offset {offset}, after packet {after_pkt}")]
    Corrupt {
        offset: u64,
        after_pkt: PktNum,
        what: String,
    },
}

/// What reading found besides packets.
#[derive(Debug, Default)]
pub struct ReadSummary {
    pub packets: PktNum,
    pub format: &'static str,
    /// Problems that did not stop reading (e.g. a packet for an undeclared interface).
    pub warnings: Vec<String>,
    /// The error that stopped reading early, after `packets` packets were delivered.
    pub error: Option<CaptureError>,
}

/// Largest block we accept: far above any real snap length, small enough to bound memory.
const MAX_BLOCK: usize = 16 << 20;
const INITIAL_BUFFER: usize = 1 << 20;
const HEAD: usize = 64 << 10;

pub fn read_file(path: &Path, f: impl FnMut(Packet<'_>)) -> Result<ReadSummary, CaptureError> {
    match open(path)? {
        Some(file) => read_from(file, f),
        None => read_from(std::io::stdin(), f),
    }
}

/// The file named, or None for `-` (standard input).
fn open(path: &Path) -> Result<Option<File>, CaptureError> {
    if path.as_os_str() == "-" {
        return Ok(None);
    }
    File::open(path)
        .map(Some)
        .map_err(|source| CaptureError::Open {
            path: path.display().to_string(),
            source,
        })
}

/// Whether `path` is a capture that holds at least one packet, judged from its first MiB: the
/// error `decode` would report when it is not (for the terminal UI, which must not start on a
/// file it cannot show). A file whose first MiB holds no whole packet passes.
pub fn check_file(path: &Path) -> Result<(), CaptureError> {
    const LOOK: u64 = 1 << 20;
    let Some(file) = open(path)? else {
        return Ok(());
    };
    let mut head = Vec::new();
    file.take(LOOK)
        .read_to_end(&mut head)
        .map_err(|e| CaptureError::Io(e.to_string()))?;
    let (mut st, mut format, header) = Blocks::start(&head)?;
    let (_, stop) = st.parse(&mut format, &head[header..], &mut |_| {});
    if st.num > 0 || head.len() as u64 == LOOK {
        return Ok(());
    }
    match stop {
        None => Err(CaptureError::NoPackets),
        Some(e) => {
            let offset = header as u64 + st.parsed;
            Err(st.stop_error(e, offset, head.len() - offset as usize))
        }
    }
}

impl CaptureError {
    /// Whether nothing at all could be read (exit status 2 for `decode`; 1 when the file header
    /// was read).
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            CaptureError::Open { .. }
                | CaptureError::NotACapture { .. }
                | CaptureError::Empty
                | CaptureError::ShortHeader { .. }
                | CaptureError::Io(_)
        )
    }

    /// The message to show after the file's name (`cannot open` says the name itself).
    pub fn after_name(&self) -> String {
        match self {
            CaptureError::Open { source, .. } => format!("cannot open it: {source}"),
            e => e.to_string(),
        }
    }
}

pub fn read_bytes(bytes: &[u8], f: impl FnMut(Packet<'_>)) -> Result<ReadSummary, CaptureError> {
    read_slice(bytes, f)
}

/// Units per second of a pcapng `if_tsresol` value (pcapng §4.2): 10^v, or 2^(v & 0x7f) when
/// the top bit is set. Ours, not `pcap_parser`'s `ts_resolution`: pcap-parser 0.17 compares the
/// whole byte, top bit included, with 63 and so rejects every power-of-two resolution (every
/// packet then got the same time, microseconds assumed).
fn ts_resolution(v: u8) -> Option<u64> {
    if v & 0x80 != 0 {
        let e = v & 0x7f;
        (e <= 63).then(|| 1u64 << e)
    } else {
        (v <= 19).then(|| 10u64.pow(v as u32))
    }
}

struct Iface {
    linktype: u32,
    /// Units per second.
    resolution: u64,
    offset_secs: i64,
}

/// What the block parser remembers between blocks: link types, interfaces, the packet count.
#[derive(Default)]
struct Blocks {
    sum: ReadSummary,
    legacy_link: Option<(u32, bool)>,
    ifaces: Vec<Iface>,
    num: PktNum,
    /// Bytes of the blocks handled by `parse`.
    parsed: u64,
    /// Packets naming an interface never described: how many, and the first (packet, id).
    undeclared: (u64, PktNum, u32),
    /// Interface descriptions with an invalid timestamp resolution, the first one's index.
    bad_resolution: (u64, usize),
    /// Interface descriptions beyond `MAX_IFACES` in a section (ignored).
    ifaces_dropped: u64,
}

/// Interfaces remembered per pcapng section: far more than any capture tool writes, few enough
/// that a file of nothing but descriptions cannot grow memory with its length.
const MAX_IFACES: usize = 4096;

impl Blocks {
    /// Handle one block, calling `f` for a packet.
    fn block(&mut self, block: PcapBlockOwned<'_>, f: &mut impl FnMut(Packet<'_>)) {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.sum.format = "pcap";
                self.legacy_link = Some((h.network.0 as u32, h.is_nanosecond_precision()));
            }
            PcapBlockOwned::Legacy(b) => {
                let (linktype, nanos) = self.legacy_link.unwrap_or((1, false));
                self.num += 1;
                let frac = if nanos {
                    b.ts_usec as i64
                } else {
                    b.ts_usec as i64 * 1000
                };
                let caplen = (b.caplen as usize).min(b.data.len());
                f(Packet {
                    num: self.num,
                    ts_ns: (b.ts_sec as i64) * 1_000_000_000 + frac,
                    linktype,
                    data: &b.data[..caplen],
                    orig_len: b.origlen,
                });
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                self.sum.format = "pcapng";
                // Interface ids are per section.
                self.ifaces.clear();
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                if self.ifaces.len() >= MAX_IFACES {
                    self.ifaces_dropped += 1;
                    return;
                }
                let resolution = ts_resolution(idb.if_tsresol).unwrap_or_else(|| {
                    if self.bad_resolution.0 == 0 {
                        self.bad_resolution.1 = self.ifaces.len();
                    }
                    self.bad_resolution.0 += 1;
                    1_000_000
                });
                self.ifaces.push(Iface {
                    linktype: idb.linktype.0 as u32,
                    resolution: resolution.max(1),
                    offset_secs: idb.if_tsoffset,
                });
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.num += 1;
                let num = self.num;
                let Some(iface) = self.ifaces.get(epb.if_id as usize) else {
                    // Counted, and reported once at the end: one line per packet would let a
                    // file grow memory and the terminal with its length.
                    if self.undeclared.0 == 0 {
                        self.undeclared = (0, num, epb.if_id);
                    }
                    self.undeclared.0 += 1;
                    return;
                };
                let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                let secs = (raw / iface.resolution) as i64;
                let frac = raw % iface.resolution;
                let frac_ns = (frac as u128 * 1_000_000_000 / iface.resolution as u128) as i64;
                let ts_ns = secs
                    .saturating_add(iface.offset_secs)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(frac_ns);
                f(Packet {
                    num,
                    ts_ns,
                    linktype: iface.linktype,
                    data: epb.packet_data(),
                    orig_len: epb.origlen,
                });
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.num += 1;
                let linktype = self.ifaces.first().map(|i| i.linktype).unwrap_or(1);
                let n = (spb.origlen as usize).min(spb.data.len());
                f(Packet {
                    num: self.num,
                    ts_ns: 0,
                    linktype,
                    data: &spb.data[..n],
                    orig_len: spb.origlen,
                });
            }
            PcapBlockOwned::NG(Block::DecryptionSecrets(dsb)) => {
                let n = (dsb.secrets_len as usize).min(dsb.data.len());
                SECRETS.with(|h| {
                    if let Some(f) = h.borrow_mut().as_mut() {
                        f(dsb.secrets_type.0, &dsb.data[..n]);
                    }
                });
            }
            PcapBlockOwned::NG(_) => {}
        }
    }

    fn done(mut self) -> ReadSummary {
        self.sum.packets = self.num;
        let w = &mut self.sum.warnings;
        match self.bad_resolution {
            (0, _) => {}
            (1, i) => w.push(format!(
                "interface {i} has an invalid timestamp resolution; assuming microseconds"
            )),
            (n, i) => w.push(format!(
                "{n} interfaces (the first: interface {i}) have an invalid timestamp resolution; \
                 assuming microseconds"
            )),
        }
        if self.ifaces_dropped > 0 {
            w.push(format!(
                "{} interface descriptions beyond {MAX_IFACES} in one section were ignored",
                self.ifaces_dropped
            ));
        }
        match self.undeclared {
            (0, ..) => {}
            (1, pkt, id) => w.push(format!(
                "packet {pkt} names interface {id} that was never described; skipped"
            )),
            (n, pkt, id) => w.push(format!(
                "{n} packets name an interface that was never described (the first: packet \
                 {pkt}, interface {id}); skipped"
            )),
        }
        self.sum
    }
}

/// Read every packet of a capture held in memory (the embedded capture, a test's bytes), in
/// place: no copy of the packets is made.
pub fn read_slice(
    bytes: &[u8],
    mut f: impl FnMut(Packet<'_>),
) -> Result<ReadSummary, CaptureError> {
    let (mut st, mut format, header) = Blocks::start(bytes)?;
    let (_, stop) = st.parse(&mut format, &bytes[header..], &mut f);
    if let Some(e) = stop {
        let offset = header as u64 + st.parsed;
        let have = bytes.len() - offset as usize;
        st.sum.error = Some(st.stop_error(e, offset, have));
    }
    Ok(st.done())
}

type FrameParser = for<'a> fn(
    &'a [u8],
) -> pcap_parser::nom::IResult<
    &'a [u8],
    pcap_parser::LegacyPcapBlock<'a>,
    PcapError<&'a [u8]>,
>;

/// How the blocks after the file header are parsed.
#[derive(Clone, Copy)]
enum Format {
    Legacy(FrameParser),
    Ng { big_endian: bool },
}

type ParseError<'a> = pcap_parser::nom::Err<PcapError<&'a [u8]>>;

/// The length a block claims, when `have` bytes of it were there and the parser `needed` more.
fn claimed(have: usize, needed: pcap_parser::nom::Needed) -> usize {
    match needed {
        pcap_parser::nom::Needed::Size(n) => have.saturating_add(n.get()),
        pcap_parser::nom::Needed::Unknown => have,
    }
}

impl Blocks {
    /// Recognise the format from the file's first bytes (at least the file header; the whole
    /// first section header block for pcapng). Returns the state, the format and the length of a
    /// pcap file header already handled (0 for pcapng, whose header is a block like the others).
    fn start(bytes: &[u8]) -> Result<(Blocks, Format, usize), CaptureError> {
        if bytes.is_empty() {
            return Err(CaptureError::Empty);
        }
        let mut st = Blocks::default();
        if let Ok((rem, hdr)) = pcap_parser::parse_pcap_header(bytes) {
            let parse: FrameParser = if hdr.is_modified_format() {
                pcap_parser::parse_pcap_frame_modified
            } else if hdr.is_bigendian() {
                pcap_parser::parse_pcap_frame_be
            } else {
                pcap_parser::parse_pcap_frame
            };
            st.block(PcapBlockOwned::LegacyHeader(hdr), &mut |_| {});
            return Ok((st, Format::Legacy(parse), bytes.len() - rem.len()));
        }
        if pcap_parser::parse_sectionheaderblock(bytes).is_err() {
            if bytes.len() < 24 {
                return Err(CaptureError::ShortHeader { len: bytes.len() });
            }
            let magic = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
            return Err(CaptureError::NotACapture { magic });
        }
        Ok((st, Format::Ng { big_endian: false }, 0))
    }

    /// Handle the whole blocks at the start of `bytes`; returns how many bytes they took and,
    /// when parsing stopped before the end, why (`Incomplete`: the next block runs past it).
    fn parse<'a>(
        &mut self,
        format: &mut Format,
        bytes: &'a [u8],
        f: &mut impl FnMut(Packet<'_>),
    ) -> (usize, Option<ParseError<'a>>) {
        let mut rem = bytes;
        let stop = loop {
            if rem.is_empty() {
                break None;
            }
            let before = rem.len();
            match *format {
                Format::Legacy(parse) => match parse(rem) {
                    Ok((next, b)) => {
                        rem = next;
                        self.block(PcapBlockOwned::Legacy(b), f);
                    }
                    Err(e) => break Some(e),
                },
                Format::Ng { big_endian } => {
                    let parsed = if big_endian {
                        pcap_parser::parse_block_be(rem)
                    } else {
                        pcap_parser::parse_block_le(rem)
                    };
                    match parsed {
                        Ok((next, b)) => {
                            rem = next;
                            if let Block::SectionHeader(shb) = &b {
                                *format = Format::Ng {
                                    big_endian: shb.big_endian(),
                                };
                            }
                            self.block(PcapBlockOwned::NG(b), f);
                        }
                        Err(e) => break Some(e),
                    }
                }
            }
            self.parsed += (before - rem.len()) as u64;
        };
        (bytes.len() - rem.len(), stop)
    }

    /// Why parsing stopped at byte `offset`, with `have` bytes of the file from there.
    fn stop_error(&self, e: ParseError<'_>, offset: u64, have: usize) -> CaptureError {
        use pcap_parser::nom::Err as NomErr;
        match e {
            // A length field gone wrong, not a file cut short.
            NomErr::Incomplete(needed) if claimed(have, needed) > MAX_BLOCK => {
                CaptureError::Corrupt {
                    offset,
                    after_pkt: self.num,
                    what: "block (too large)".into(),
                }
            }
            NomErr::Incomplete(_) => CaptureError::Truncated {
                offset,
                after_pkt: self.num,
                what: "the last block is incomplete",
            },
            NomErr::Error(e) | NomErr::Failure(e) => CaptureError::Corrupt {
                offset,
                after_pkt: self.num,
                what: describe(&e),
            },
        }
    }
}

/// Read every packet, calling `f` for each. Returns `Err` only when nothing could be read at all
/// (not a capture, empty, unreadable); damage after the start is reported in the summary.
pub fn read_from<R: Read + Send>(
    mut input: R,
    mut f: impl FnMut(Packet<'_>),
) -> Result<ReadSummary, CaptureError> {
    // pcap-parser recognises the format from its first read alone, which may be short on a
    // pipe: gather a first chunk large enough for any section header block.
    let mut head = Vec::with_capacity(HEAD);
    (&mut input)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| CaptureError::Io(e.to_string()))?;
    if head.is_empty() {
        return Err(CaptureError::Empty);
    }
    let magic: String = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head_len = head.len();
    let chained = std::io::Cursor::new(head).chain(input);
    let mut reader = match pcap_parser::create_reader(INITIAL_BUFFER, chained) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err(CaptureError::Empty),
        Err(PcapError::Incomplete(_)) | Err(PcapError::UnexpectedEof) => {
            return Err(CaptureError::ShortHeader { len: head_len });
        }
        Err(PcapError::ReadError) => return Err(CaptureError::Io("read failed".into())),
        Err(_) => return Err(CaptureError::NotACapture { magic }),
    };

    let mut st = Blocks::default();
    let mut capacity = INITIAL_BUFFER;
    let mut offset: u64 = 0;
    let mut stalled = false;
    loop {
        match reader.next() {
            Ok((len, block)) => {
                stalled = false;
                st.block(block, &mut f);
                offset += len as u64;
                // `consume` would move the unread half of the buffer to its front each time
                // the read position passes the middle; `refill` moves only the partial block.
                reader.consume_noshift(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if stalled && reader.reader_exhausted() {
                    st.sum.error = Some(CaptureError::Truncated {
                        offset,
                        after_pkt: st.num,
                        what: "the last block is incomplete",
                    });
                    break;
                }
                if reader.data().len() >= capacity {
                    if capacity >= MAX_BLOCK {
                        st.sum.error = Some(CaptureError::Corrupt {
                            offset,
                            after_pkt: st.num,
                            what: format!("block larger than {} MiB", MAX_BLOCK >> 20),
                        });
                        break;
                    }
                    capacity *= 4;
                    reader.grow(capacity);
                }
                if let Err(e) = reader.refill() {
                    st.sum.error = Some(CaptureError::Io(format!("{e:?}")));
                    break;
                }
                stalled = true;
            }
            Err(PcapError::UnexpectedEof) => {
                st.sum.error = Some(CaptureError::Truncated {
                    offset,
                    after_pkt: st.num,
                    what: "unexpected end of file",
                });
                break;
            }
            Err(e) => {
                st.sum.error = Some(CaptureError::Corrupt {
                    offset,
                    after_pkt: st.num,
                    what: describe(&e),
                });
                break;
            }
        }
    }
    Ok(st.done())
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::HeaderNotRecognized => "header (not recognised)".into(),
        PcapError::NomError(_, kind) => format!("block ({kind:?})"),
        PcapError::OwnedNomError(_, kind) => format!("block ({kind:?})"),
        PcapError::BufferTooSmall => "block (too large)".into(),
        other => format!("block ({other:?})"),
    }
}
