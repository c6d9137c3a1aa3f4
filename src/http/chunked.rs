//! The chunked transfer coding (RFC 9112 §7.1) skipped as a byte-at-a-time state machine, so a
//! body split anywhere across segments is followed without buffering any of it.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Hex digits of a chunk size; `digits` counts them to reject empty sizes.
    Size {
        size: u64,
        digits: u8,
    },
    /// Whitespace or a `;ext` after the size, up to the line end.
    SizeExt {
        size: u64,
    },
    /// Chunk data still to skip.
    Data(u64),
    /// The line ending after chunk data.
    DataEnd {
        seen_cr: bool,
    },
    /// Start of a trailer line (or the final blank line).
    TrailerStart,
    /// Inside a trailer field line.
    Trailer,
    /// CR of the final blank line seen.
    FinalLf,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunked {
    st: St,
    /// Sum of the chunk sizes so far (the decoded body length).
    total: u64,
}

/// The result of feeding bytes to [`Chunked`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkStep {
    /// All input consumed, the body goes on.
    More,
    /// The body (trailers included) ended after this many input bytes.
    Done { used: usize, body_len: u64 },
    /// Not a chunked body: bad size line or missing line end.
    Invalid(&'static str),
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked {
            st: St::Size { size: 0, digits: 0 },
            total: 0,
        }
    }
}

impl Chunked {
    pub fn feed(&mut self, data: &[u8]) -> ChunkStep {
        let mut i = 0;
        while i < data.len() {
            if let St::Data(rem) = self.st {
                // Skip chunk data in one step: this is where almost all the bytes are.
                let take = rem.min((data.len() - i) as u64);
                i += take as usize;
                self.st = if take == rem {
                    St::DataEnd { seen_cr: false }
                } else {
                    St::Data(rem - take)
                };
                continue;
            }
            let b = data[i];
            i += 1;
            self.st = match self.st {
                St::Size { size, digits } => match hex(b) {
                    Some(d) => {
                        if digits >= 16 {
                            return ChunkStep::Invalid("chunk size too large");
                        }
                        St::Size {
                            size: (size << 4) | d as u64,
                            digits: digits + 1,
                        }
                    }
                    None if digits == 0 => return ChunkStep::Invalid("chunk size missing"),
                    None => match b {
                        b'\n' => self.size_done(size),
                        b';' | b' ' | b'\t' | b'\r' => St::SizeExt { size },
                        _ => return ChunkStep::Invalid("bad character in chunk size"),
                    },
                },
                St::SizeExt { size } => match b {
                    b'\n' => self.size_done(size),
                    _ => St::SizeExt { size },
                },
                St::DataEnd { seen_cr } => match b {
                    b'\r' if !seen_cr => St::DataEnd { seen_cr: true },
                    b'\n' => St::Size { size: 0, digits: 0 },
                    _ => return ChunkStep::Invalid("chunk data not followed by a line end"),
                },
                St::TrailerStart => match b {
                    b'\r' => St::FinalLf,
                    b'\n' => St::Done,
                    _ => St::Trailer,
                },
                St::Trailer => match b {
                    b'\n' => St::TrailerStart,
                    _ => St::Trailer,
                },
                St::FinalLf => match b {
                    b'\n' => St::Done,
                    _ => return ChunkStep::Invalid("bad line end after trailers"),
                },
                St::Data(_) | St::Done => unreachable_state(),
            };
            if self.st == St::Done {
                return ChunkStep::Done {
                    used: i,
                    body_len: self.total,
                };
            }
        }
        ChunkStep::More
    }

    fn size_done(&mut self, size: u64) -> St {
        self.total = self.total.saturating_add(size);
        if size == 0 {
            St::TrailerStart
        } else {
            St::Data(size)
        }
    }
}

/// `Data` is handled before the byte match and `Done` returns at once, so neither reaches it;
/// a fixed restart state keeps this total without a panic path.
fn unreachable_state() -> St {
    St::Done
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        b"5\r\nhello\r\n1A;name=\"v;x\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\nNEXT";

    #[test]
    fn whole_body() {
        let mut c = Chunked::default();
        assert_eq!(
            c.feed(BODY),
            ChunkStep::Done {
                used: BODY.len() - 4,
                body_len: 31
            }
        );
    }

    #[test]
    fn split_at_every_pair_of_positions() {
        let end = BODY.len() - 4;
        for a in 0..=BODY.len() {
            for b in a..=BODY.len() {
                let mut c = Chunked::default();
                let mut got = None;
                let mut off = 0;
                for part in [&BODY[..a], &BODY[a..b], &BODY[b..]] {
                    if got.is_some() {
                        break;
                    }
                    match c.feed(part) {
                        ChunkStep::More => off += part.len(),
                        ChunkStep::Done { used, body_len } => got = Some((off + used, body_len)),
                        ChunkStep::Invalid(e) => panic!("{e} at split {a},{b}"),
                    }
                }
                assert_eq!(got, Some((end, 31)), "split {a},{b}");
            }
        }
    }

    #[test]
    fn bare_lf_and_no_trailers() {
        let mut c = Chunked::default();
        assert_eq!(
            c.feed(b"3\nabc\n0\n\nX"),
            ChunkStep::Done {
                used: 9,
                body_len: 3
            }
        );
    }

    #[test]
    fn invalid_bodies() {
        assert!(matches!(
            Chunked::default().feed(b"zz\r\n"),
            ChunkStep::Invalid(_)
        ));
        assert!(matches!(
            Chunked::default().feed(b"\r\n"),
            ChunkStep::Invalid(_)
        ));
        assert!(matches!(
            Chunked::default().feed(b"2\r\nabX"),
            ChunkStep::Invalid(_)
        ));
        assert!(matches!(
            Chunked::default().feed(b"11111111111111111\r\n"),
            ChunkStep::Invalid(_)
        ));
        // A huge but well-formed size is fine: it is skipped, not buffered.
        let mut c = Chunked::default();
        assert_eq!(c.feed(b"ffffffffffffffff\r\nabc"), ChunkStep::More);
    }
}
