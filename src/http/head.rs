//! One HTTP/1.x head (request or status line plus headers), parsed with `httparse`, with the byte
//! position of every part so the UI can highlight it.

use crate::event::{Dir, HeadLayout, HeaderSpan, HttpKind};

/// A head as parsed from the wire, before the connection-level facts (packet, time) are added.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedHead {
    pub kind: HttpKind,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub layout: HeadLayout,
    pub head_len: usize,
}

/// Why a head could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadError {
    /// More headers than `limits.http_headers`.
    TooManyHeaders,
    /// Not HTTP/1.x (the text httparse gives for the offending part).
    Invalid(&'static str),
}

/// Whether the first bytes of a stream can be the start of an HTTP/1.x head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    Yes,
    No,
    /// Too few bytes to tell yet.
    Maybe,
}

/// Longest request method we accept when sniffing (WebDAV's are the longest in use).
const MAX_METHOD: usize = 20;
const RESPONSE_START: &[u8] = b"HTTP/1.";

/// Do these first bytes of a direction start like an HTTP/1.x request (method token and a space)
/// or a response (`HTTP/1.`)? Content decides, never the port.
pub fn sniff(data: &[u8]) -> Sniff {
    let mut resp = Sniff::Maybe;
    let n = data.len().min(RESPONSE_START.len());
    if data[..n] != RESPONSE_START[..n] {
        resp = Sniff::No;
    } else if n == RESPONSE_START.len() {
        return Sniff::Yes;
    }
    // Methods are upper-case tokens in practice (GET, M-SEARCH, VERSION-CONTROL); accepting any
    // token would let binary protocols that start with a letter pass as HTTP.
    for (i, &b) in data.iter().enumerate().take(MAX_METHOD + 1) {
        if b == b' ' {
            return if i > 0 { Sniff::Yes } else { resp };
        }
        if !(b.is_ascii_uppercase() || b == b'-' || b == b'_') {
            return resp;
        }
    }
    if data.len() > MAX_METHOD {
        resp
    } else {
        Sniff::Maybe
    }
}

/// Parse a head from the start of `buf`. `Ok(None)` means the head is not complete yet.
pub fn parse_head(
    buf: &[u8],
    dir: Dir,
    max_headers: usize,
) -> Result<Option<ParsedHead>, HeadError> {
    // Room for as many headers as the bytes can hold (each ends in a line feed), never for
    // as many as the limit allows: the limit may be far larger than any head that arrives.
    // (One more than the line feeds: a header still arriving takes a slot too.)
    let lines = buf.iter().filter(|&&b| b == b'\n').count();
    let mut hdrs = vec![httparse::EMPTY_HEADER; max_headers.max(1).min(lines + 1)];
    let map = |e: httparse::Error| match e {
        httparse::Error::TooManyHeaders => HeadError::TooManyHeaders,
        e => HeadError::Invalid(error_text(e)),
    };
    match dir {
        Dir::C2S => {
            let mut req = httparse::Request::new(&mut hdrs);
            let n = match req.parse(buf).map_err(map)? {
                httparse::Status::Partial => return Ok(None),
                httparse::Status::Complete(n) => n,
            };
            let method = req.method.unwrap_or("");
            let path = req.path.unwrap_or("");
            let m = span(buf, method.as_bytes());
            let p = span(buf, path.as_bytes());
            // httparse checks the version is exactly 8 bytes after one space.
            let v = (p.1 + 1, p.1 + 9);
            let kind = HttpKind::Request {
                method: method.to_string(),
                path: path.to_string(),
            };
            Ok(Some(build(
                buf,
                n,
                kind,
                req.version,
                [m, p, v],
                req.headers,
            )))
        }
        Dir::S2C => {
            let mut resp = httparse::Response::new(&mut hdrs);
            let n = match resp.parse(buf).map_err(map)? {
                httparse::Status::Partial => return Ok(None),
                httparse::Status::Complete(n) => n,
            };
            let reason = resp.reason.unwrap_or("");
            let r = span(buf, reason.as_bytes());
            let kind = HttpKind::Response {
                status: resp.code.unwrap_or(0),
                reason: reason.to_string(),
            };
            // httparse skips empty lines before the status line; then come the version, one
            // space and three digits.
            let lead = buf
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count() as u32;
            let line = [(lead, lead + 8), (lead + 9, lead + 12), r];
            Ok(Some(build(buf, n, kind, resp.version, line, resp.headers)))
        }
    }
}

fn error_text(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status code",
        httparse::Error::Token => "invalid method token",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "not HTTP/1.0 or HTTP/1.1",
    }
}

fn build(
    buf: &[u8],
    n: usize,
    kind: HttpKind,
    version: Option<u8>,
    line: [(u32, u32); 3],
    hdrs: &[httparse::Header<'_>],
) -> ParsedHead {
    let head = buf.get(..n).unwrap_or(buf);
    // The blank line that ends the head is CRLF or, leniently, a bare LF.
    let blank_start = if head.ends_with(b"\r\n") {
        n.saturating_sub(2)
    } else {
        n.saturating_sub(1)
    } as u32;
    let mut headers = Vec::with_capacity(hdrs.len());
    let mut spans: Vec<HeaderSpan> = Vec::with_capacity(hdrs.len());
    for h in hdrs {
        headers.push((
            h.name.to_string(),
            crate::text::utf8_or_escapes(h.value).into_owned(),
        ));
        let name = span(head, h.name.as_bytes());
        let mut value = span(head, h.value);
        if value.0 < name.1 {
            // An empty value may point anywhere: place it right after the name.
            value = (name.1, name.1);
        }
        if let Some(prev) = spans.last_mut() {
            prev.line_end = name.0;
        }
        spans.push(HeaderSpan {
            name,
            value,
            line_end: blank_start,
        });
    }
    let line_end = spans.first().map_or(blank_start, |s| s.name.0);
    ParsedHead {
        kind,
        version: match version {
            Some(0) => "HTTP/1.0".to_string(),
            _ => "HTTP/1.1".to_string(),
        },
        headers,
        layout: HeadLayout {
            line,
            line_end,
            headers: spans,
        },
        head_len: n,
    }
}

/// Where `part` (a slice of `base`) sits in `base`; (0, 0) if it is not inside it.
fn span(base: &[u8], part: &[u8]) -> (u32, u32) {
    let b = base.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    if p >= b && p + part.len() <= b + base.len() {
        let s = (p - b) as u32;
        (s, s + part.len() as u32)
    } else {
        (0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_decides_on_content() {
        assert_eq!(sniff(b"GET / HTTP/1.1\r\n"), Sniff::Yes);
        assert_eq!(sniff(b"M-SEARCH * HTTP/1.1"), Sniff::Yes);
        assert_eq!(sniff(b"HTTP/1.1 101"), Sniff::Yes);
        assert_eq!(sniff(b"HTTP/1."), Sniff::Yes);
        assert_eq!(sniff(b"HTT"), Sniff::Maybe);
        assert_eq!(sniff(b"G"), Sniff::Maybe);
        assert_eq!(sniff(b""), Sniff::Maybe);
        assert_eq!(sniff(b"HTTP/2.0 200"), Sniff::No);
        assert_eq!(sniff(b"\x81\x05hello"), Sniff::No);
        assert_eq!(sniff(b"get / HTTP/1.1"), Sniff::No);
        assert_eq!(sniff(b" GET"), Sniff::No);
        assert_eq!(sniff(b"SSH-2.0-OpenSSH"), Sniff::No);
        assert_eq!(sniff(&[b'A'; 30]), Sniff::No);
    }

    #[test]
    fn request_layout_points_at_the_wire_bytes() {
        let raw = b"GET /chat?x=1 HTTP/1.1\r\nHost: a.example\r\nUpgrade:websocket\r\nX-Empty:\r\n\r\nBODY";
        let h = parse_head(raw, Dir::C2S, 16).unwrap().unwrap();
        assert_eq!(h.head_len, raw.len() - 4);
        let at = |r: (u32, u32)| &raw[r.0 as usize..r.1 as usize];
        assert_eq!(at(h.layout.line[0]), b"GET");
        assert_eq!(at(h.layout.line[1]), b"/chat?x=1");
        assert_eq!(at(h.layout.line[2]), b"HTTP/1.1");
        assert_eq!(at((0, h.layout.line_end)), b"GET /chat?x=1 HTTP/1.1\r\n");
        assert_eq!(h.headers.len(), 3);
        let s = h.layout.headers[1];
        assert_eq!(at(s.name), b"Upgrade");
        assert_eq!(at(s.value), b"websocket");
        assert_eq!(at((s.name.0, s.line_end)), b"Upgrade:websocket\r\n");
        let e = h.layout.headers[2];
        assert_eq!(at((e.name.0, e.line_end)), b"X-Empty:\r\n");
        assert_eq!(e.value.0, e.value.1);
        assert_eq!(h.headers[2], ("X-Empty".to_string(), String::new()));
    }

    #[test]
    fn response_layout_and_lossy_values() {
        let raw = b"HTTP/1.0 404 Not Found\nServer: \xff\xfeodd\n\n";
        let h = parse_head(raw, Dir::S2C, 16).unwrap().unwrap();
        assert_eq!(h.head_len, raw.len());
        assert_eq!(h.version, "HTTP/1.0");
        assert_eq!(
            h.kind,
            HttpKind::Response {
                status: 404,
                reason: "Not Found".into()
            }
        );
        let at = |r: (u32, u32)| &raw[r.0 as usize..r.1 as usize];
        assert_eq!(at(h.layout.line[1]), b"404");
        assert_eq!(at(h.layout.line[2]), b"Not Found");
        assert_eq!(h.headers[0].1, "\\xff\\xfeodd");
        assert_eq!(
            at((h.layout.headers[0].name.0, h.layout.headers[0].line_end)),
            b"Server: \xff\xfeodd\n"
        );
    }

    #[test]
    fn empty_lines_before_a_status_line() {
        let raw = b"\r\nHTTP/1.1 200 OK\r\n\r\n";
        let h = parse_head(raw, Dir::S2C, 4).unwrap().unwrap();
        assert_eq!(
            &raw[h.layout.line[0].0 as usize..h.layout.line[0].1 as usize],
            b"HTTP/1.1"
        );
        assert_eq!(
            &raw[h.layout.line[1].0 as usize..h.layout.line[1].1 as usize],
            b"200"
        );
    }

    #[test]
    fn partial_and_errors() {
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n", Dir::C2S, 8),
            Ok(None)
        );
        assert!(matches!(
            parse_head(b"GET / HTTP/2.0\r\n\r\n", Dir::C2S, 8),
            Err(HeadError::Invalid(_))
        ));
        assert_eq!(
            parse_head(
                b"GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n",
                Dir::C2S,
                2
            ),
            Err(HeadError::TooManyHeaders)
        );
    }
}
