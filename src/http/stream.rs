//! One direction of an HTTP/1.x connection: heads are buffered (bounded) until complete, bodies
//! are skipped by their framing so the next head on a keep-alive connection is found.

use super::chunked::{ChunkStep, Chunked};
use super::head::{HeadError, ParsedHead, Sniff, parse_head, sniff};
use crate::event::{Dir, HttpKind};
use crate::limits::Limits;

/// How the body after a head is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    None,
    Length(u64),
    Chunked,
    /// Until the connection closes.
    ToEnd,
}

impl Body {
    /// The body length as far as the head tells it.
    pub fn known_len(self) -> Option<u64> {
        match self {
            Body::None => Some(0),
            Body::Length(n) => Some(n),
            Body::Chunked | Body::ToEnd => None,
        }
    }
}

/// Framing of a request body. Err = the head's framing headers are unusable.
pub fn request_body(h: &ParsedHead) -> Result<Body, &'static str> {
    match framing(h)? {
        Some(b) => Ok(b),
        // A request without framing headers has no body.
        None => Ok(Body::None),
    }
}

/// Framing of a response body; `to_head` = it answers a HEAD request, `to_connect` = a CONNECT.
pub fn response_body(
    h: &ParsedHead,
    to_head: bool,
    to_connect: bool,
) -> Result<Body, &'static str> {
    let status = match h.kind {
        HttpKind::Response { status, .. } => status,
        HttpKind::Request { .. } => return request_body(h),
    };
    if to_head || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Body::None);
    }
    if to_connect && (200..300).contains(&status) {
        // The connection becomes a tunnel: everything after is not HTTP.
        return Ok(Body::ToEnd);
    }
    Ok(framing(h)?.unwrap_or(Body::ToEnd))
}

fn framing(h: &ParsedHead) -> Result<Option<Body>, &'static str> {
    let mut te_chunked = None;
    let mut len: Option<u64> = None;
    for (n, v) in &h.headers {
        if n.eq_ignore_ascii_case("transfer-encoding") {
            // Only the last coding decides whether the body is chunked.
            if let Some(last) = v.split(',').map(str::trim).rfind(|t| !t.is_empty()) {
                te_chunked = Some(last.eq_ignore_ascii_case("chunked"));
            }
        } else if n.eq_ignore_ascii_case("content-length") {
            // Repeated identical values (also as a list) are allowed; differing ones are not.
            for part in v.split(',') {
                let part = part.trim();
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("invalid Content-Length");
                }
                let n: u64 = part.parse().map_err(|_| "Content-Length too large")?;
                if len.is_some_and(|l| l != n) {
                    return Err("conflicting Content-Length values");
                }
                len = Some(n);
            }
        }
    }
    // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3 item 3).
    Ok(match te_chunked {
        Some(true) => Some(Body::Chunked),
        Some(false) => Some(Body::ToEnd),
        None => len.map(Body::Length),
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum St {
    /// Waiting for (or inside) a head; the partial head is in `buf`.
    Head,
    /// A head was returned; the caller has not said how its body is framed yet.
    AwaitBody,
    Length(u64),
    Chunked(Chunked),
    ToEnd,
    /// Out of step (gap, bad head): bytes are ignored until a data call starts like a head.
    Lost,
}

/// What [`HttpStream::advance`] found.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Every byte given was consumed (skipped, buffered or ignored).
    NeedMore,
    /// A head ended `used` bytes into the input; call [`HttpStream::set_body`] next.
    Head { head: ParsedHead, used: usize },
    /// A chunked body ended `used` bytes into the input.
    ChunkedEnd { used: usize, body_len: u64 },
    /// A body the caller asked to keep ([`HttpStream::keep_body`]) ended `used` bytes into the
    /// input; `cut` when it was longer than the bound and only its start is in `bytes`.
    Body {
        used: usize,
        bytes: Vec<u8>,
        cut: bool,
    },
    /// The direction fell out of step; the rest of the input was ignored.
    Lost(Problem),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    HeadTooLong,
    TooManyHeaders,
    BadHead(&'static str),
    BadChunked(&'static str),
}

impl Problem {
    pub fn code(self) -> &'static str {
        match self {
            Problem::HeadTooLong => "http-head-too-long",
            Problem::TooManyHeaders => "http-too-many-headers",
            Problem::BadHead(_) => "http-bad-head",
            Problem::BadChunked(_) => "http-bad-chunked",
        }
    }
    pub fn text(self, limits: &Limits) -> String {
        match self {
            Problem::HeadTooLong => format!(
                "HTTP head longer than {} bytes (limit http_head): not decoding HTTP here until the next head",
                limits.http_head
            ),
            Problem::TooManyHeaders => format!(
                "HTTP head with more than {} headers (limit http_headers): not decoding HTTP here until the next head",
                limits.http_headers
            ),
            Problem::BadHead(why) => format!("not an HTTP/1.x head ({why})"),
            Problem::BadChunked(why) => format!("chunked body is malformed ({why})"),
        }
    }
    /// Limits hit are warnings; malformed input from a peer is too, since decoding stops.
    pub fn is_limit(self) -> bool {
        matches!(self, Problem::HeadTooLong | Problem::TooManyHeaders)
    }
}

/// The HTTP decoder for one direction of a connection.
#[derive(Debug)]
pub struct HttpStream {
    dir: Dir,
    st: St,
    /// The head so far, when it spans several data calls. Bounded by `limits.http_head`.
    buf: Vec<u8>,
    /// The head being read is a guess after losing step: if it fails, say nothing more.
    resyncing: bool,
    /// The body being read, kept for an application decoder (Engine.IO polling), and its bound.
    keep: Option<Vec<u8>>,
    keep_max: usize,
}

/// Bytes after which re-parsing a growing head on every call would cost more than searching for
/// the blank line first.
const REPARSE_ALWAYS: usize = 512;

impl HttpStream {
    /// Bytes held for a head that spans several segments.
    pub fn mem(&self) -> usize {
        self.buf.capacity()
    }

    pub fn new(dir: Dir) -> Self {
        HttpStream {
            dir,
            st: St::Head,
            buf: Vec::new(),
            resyncing: false,
            keep: None,
            keep_max: 0,
        }
    }

    /// Consume `data` until a head completes (returned, with the bytes it used) or the input ends.
    pub fn advance(&mut self, data: &[u8], limits: &Limits) -> Step {
        let mut i = 0;
        loop {
            let rest = data.get(i..).unwrap_or(&[]);
            match &mut self.st {
                St::Head => {
                    if rest.is_empty() {
                        return Step::NeedMore;
                    }
                    return match self.head(rest, limits) {
                        Step::Head { head, used } => Step::Head {
                            head,
                            used: i + used,
                        },
                        other => other,
                    };
                }
                St::AwaitBody => {
                    // The caller did not frame the last head: treat it as bodiless.
                    self.st = St::Head;
                }
                St::Length(rem) => {
                    let take = (*rem).min(rest.len() as u64);
                    *rem -= take;
                    if let Some(k) = &mut self.keep {
                        let room = self.keep_max.saturating_sub(k.len()).min(take as usize);
                        k.extend_from_slice(&rest[..room]);
                    }
                    i += take as usize;
                    if *rem == 0 {
                        self.st = St::Head;
                        if let Some(bytes) = self.keep.take() {
                            let cut = bytes.len() >= self.keep_max;
                            return Step::Body {
                                used: i,
                                bytes,
                                cut,
                            };
                        }
                    } else {
                        return Step::NeedMore;
                    }
                }
                St::Chunked(c) => match c.feed(rest) {
                    ChunkStep::More => return Step::NeedMore,
                    ChunkStep::Done { used, body_len } => {
                        self.st = St::Head;
                        return Step::ChunkedEnd {
                            used: i + used,
                            body_len,
                        };
                    }
                    ChunkStep::Invalid(why) => {
                        self.st = St::Lost;
                        return Step::Lost(Problem::BadChunked(why));
                    }
                },
                St::ToEnd => return Step::NeedMore,
                St::Lost => {
                    // Only a data call's first bytes can be the next head: after a gap, heads
                    // usually start a segment, and scanning inside bodies would find false ones.
                    if i == 0 && !rest.is_empty() && sniff(rest) != Sniff::No {
                        self.resyncing = true;
                        self.st = St::Head;
                        continue;
                    }
                    return Step::NeedMore;
                }
            }
        }
    }

    /// Parse (or keep buffering) the head that `rest` starts or continues.
    fn head(&mut self, rest: &[u8], limits: &Limits) -> Step {
        let max_headers = limits.http_headers;
        if self.buf.is_empty() {
            // The common case: the whole head is in this segment, parse it in place.
            match parse_head(rest, self.dir, max_headers) {
                Ok(Some(h)) if h.head_len <= limits.http_head => {
                    self.st = St::AwaitBody;
                    self.resyncing = false;
                    let used = h.head_len;
                    return Step::Head { head: h, used };
                }
                Ok(Some(_)) => return self.lose(Problem::HeadTooLong),
                Ok(None) => {}
                Err(e) => return self.lose(head_problem(e)),
            }
            if rest.len() > limits.http_head {
                return self.lose(Problem::HeadTooLong);
            }
            self.buf.extend_from_slice(rest);
            return Step::NeedMore;
        }
        let old = self.buf.len();
        let room = limits.http_head.saturating_sub(old);
        let add = rest.len().min(room.saturating_add(1));
        self.buf.extend_from_slice(&rest[..add]);
        // Re-parsing a large partial head on every tiny segment would be quadratic: parse only
        // when a blank line may have just arrived (or the head is still short).
        let from = old.saturating_sub(3);
        let maybe_end = self.buf[from..].windows(2).any(|w| w == b"\n\n")
            || self.buf[from..].windows(3).any(|w| w == b"\n\r\n");
        if maybe_end || old < REPARSE_ALWAYS {
            match parse_head(&self.buf, self.dir, max_headers) {
                Ok(Some(h)) if h.head_len <= limits.http_head => {
                    let used = h.head_len.saturating_sub(old);
                    self.buf.clear();
                    self.resyncing = false;
                    self.st = St::AwaitBody;
                    return Step::Head { head: h, used };
                }
                Ok(Some(_)) => return self.lose(Problem::HeadTooLong),
                Ok(None) => {}
                Err(e) => return self.lose(head_problem(e)),
            }
        }
        if self.buf.len() > limits.http_head {
            return self.lose(Problem::HeadTooLong);
        }
        Step::NeedMore
    }

    fn lose(&mut self, p: Problem) -> Step {
        self.buf = Vec::new();
        let silent = std::mem::take(&mut self.resyncing);
        self.st = St::Lost;
        if silent {
            // A failed resynchronisation attempt is not news: the loss was already reported.
            Step::NeedMore
        } else {
            Step::Lost(p)
        }
    }

    /// How the body after the head just returned is framed.
    pub fn set_body(&mut self, body: Body) {
        self.st = match body {
            Body::None | Body::Length(0) => St::Head,
            Body::Length(n) => St::Length(n),
            Body::Chunked => St::Chunked(Chunked::default()),
            Body::ToEnd => St::ToEnd,
        };
    }

    /// Keep the bytes of the body just framed (a Content-Length body; at most `max` of them),
    /// returned as [`Step::Body`] when it ends.
    pub fn keep_body(&mut self, max: usize) {
        if matches!(self.st, St::Length(_)) {
            self.keep = Some(Vec::new());
            self.keep_max = max;
        }
    }

    /// Stop decoding: the bytes that follow are not HTTP (tunnel, other protocol).
    pub fn stop(&mut self) {
        self.buf = Vec::new();
        self.st = St::ToEnd;
    }

    /// The capture lost `len` bytes here. Returns false if HTTP decoding fell out of step.
    pub fn gap(&mut self, len: u64) -> bool {
        // A body with a hole is not decoded: the application decoder would misread it.
        self.keep = None;
        match &mut self.st {
            // Inside a body of known length the gap is just skipped body bytes.
            St::Length(rem) if len < *rem => {
                *rem -= len;
                true
            }
            St::ToEnd => true,
            St::Lost => true,
            _ => {
                self.buf = Vec::new();
                self.resyncing = false;
                self.st = St::Lost;
                false
            }
        }
    }

    /// What is unfinished when the direction ends: None, or a short description.
    pub fn unfinished(&self) -> Option<String> {
        match &self.st {
            St::Head if !self.buf.is_empty() => {
                Some(format!("incomplete HTTP head ({} bytes)", self.buf.len()))
            }
            St::Length(rem) => Some(format!("HTTP body incomplete: {rem} bytes missing")),
            St::Chunked(_) => Some("chunked HTTP body incomplete".to_string()),
            _ => None,
        }
    }

    /// Whether the direction is waiting at a head boundary with nothing buffered.
    pub fn idle(&self) -> bool {
        matches!(self.st, St::Head) && self.buf.is_empty()
    }
}

fn head_problem(e: HeadError) -> Problem {
    match e {
        HeadError::TooManyHeaders => Problem::TooManyHeaders,
        HeadError::Invalid(why) => Problem::BadHead(why),
    }
}
