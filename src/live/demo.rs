//! The classroom demo's two peers: a real WebSocket server and client (tungstenite) on loopback,
//! over TCP (ws://) or TLS (wss://, [`tls`]), and the same chat done by HTTP polling for
//! contrast.
//!
//! The handshake is tungstenite's. The data phase goes through tungstenite's `FrameSocket`, so
//! each step of the lesson is one deliberate frame (fragments included) and permessage-deflate,
//! which tungstenite 0.30 does not implement, can be added here: raw DEFLATE with the
//! `00 00 ff ff` tail removed and RSV1 set (RFC 7692), context kept across messages.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::server::{Request, Response};
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::frame::{CloseFrame, Frame, FrameSocket};

pub mod tls;

use tls::{DemoTls, Wire};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone, Copy, Debug)]
pub struct DemoOptions {
    /// Pause between steps.
    pub pace: Duration,
    pub deflate: bool,
    /// Each step waits for the teacher (`demo --step`): the peers wait as long as it takes.
    pub stepped: bool,
}

/// What the teacher asks of a paced demo (`demo --step`), from the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DemoCmd {
    /// Take the next step of the conversation (connect, upgrade, a message, close).
    Next,
    /// Send this text message now (typed in class); the script stays where it is.
    Send(String),
}

/// Sends a message typed in class on the open WebSocket.
type SendTyped<'a> = dyn FnMut(&str) -> Res<()> + 'a;

/// How the client waits between the steps of the conversation.
pub enum Pace {
    /// The steps follow each other at this pace.
    Timed(Duration),
    /// Each step waits for the teacher's command; the UI closing the channel ends the demo.
    Teacher(mpsc::Receiver<DemoCmd>),
}

impl Pace {
    /// Wait before the next step. With a teacher, messages typed in the meantime are sent by
    /// `send` (once the WebSocket is open) before the step is taken.
    fn wait(&mut self, mut send: Option<&mut SendTyped<'_>>) -> Res<()> {
        match self {
            Pace::Timed(d) => {
                thread::sleep(*d);
                Ok(())
            }
            Pace::Teacher(rx) => loop {
                match rx.recv() {
                    Ok(DemoCmd::Next) => return Ok(()),
                    Ok(DemoCmd::Send(text)) => {
                        if let Some(f) = send.as_mut() {
                            f(&text)?;
                        }
                    }
                    Err(_) => return Err("the teacher left: the demo stops here".into()),
                }
            },
        }
    }

    /// Half a step (between fragments): only a timed demo waits.
    fn half(&self) {
        if let Pace::Timed(d) = self {
            thread::sleep(*d / 2);
        }
    }
}

/// What the client sends, step by step (the texts a class reads on screen).
pub const HELLO: &str = "Hello, server! This is the client speaking.";
pub const FRAGMENTS: [&str; 3] = ["This message was ", "sent in three ", "fragments."];
pub const PING: &[u8] = b"are you there?";
pub const CLOSE_REASON: &str = "class is over";

/// The binary message: 32 bytes counting up, easy to recognise in a hex view.
pub fn binary_payload() -> Vec<u8> {
    (0u8..32).collect()
}

/// Longest line or message the demo's peers read from each other; they send far less.
const PEER_READ_MAX: usize = 64 << 10;
/// Connections from strangers the server turns away before giving up.
const STRANGERS_MAX: usize = 64;

/// How long a peer waits for the other: the pace between steps, and then some.
fn peer_timeout(opts: &DemoOptions) -> Duration {
    if opts.stepped {
        // A teacher may talk for a while between two steps.
        return Duration::from_secs(4 * 3600);
    }
    opts.pace * 4 + Duration::from_secs(10)
}

/// The client's connections, announced as they are made, so the server serves only those: any
/// other local program connecting to the demo's port is turned away unread.
struct OwnClient {
    announced: mpsc::Receiver<SocketAddr>,
    known: Vec<SocketAddr>,
    timeout: Duration,
}

impl OwnClient {
    fn pair(opts: &DemoOptions) -> (mpsc::Sender<SocketAddr>, OwnClient) {
        let (tx, rx) = mpsc::channel();
        let own = OwnClient {
            announced: rx,
            known: Vec::new(),
            timeout: peer_timeout(opts),
        };
        (tx, own)
    }

    /// The next connection from the demo's own client, with read and write timeouts set.
    fn accept(&mut self, listener: &TcpListener) -> Res<TcpStream> {
        for _ in 0..STRANGERS_MAX {
            let (stream, peer) = listener.accept()?;
            let deadline = std::time::Instant::now() + self.timeout;
            // The client announces its address right after connecting: wait for it a while.
            // It makes one connection at a time, so once an announced one is still to be
            // accepted, this one is not the client's.
            while !self.known.contains(&peer) && self.known.is_empty() {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match self.announced.recv_timeout(left) {
                    Ok(a) => self.known.push(a),
                    Err(_) => break,
                }
            }
            if let Some(i) = self.known.iter().position(|a| *a == peer) {
                self.known.swap_remove(i);
                stream.set_read_timeout(Some(self.timeout))?;
                stream.set_write_timeout(Some(self.timeout))?;
                return Ok(stream);
            }
            // A stranger: closed unread.
        }
        Err("too many connections from other programs to the demo's port".into())
    }
}

/// Connect to the demo's server and announce the connection to it.
fn connect_own(
    port: u16,
    announce: &mpsc::Sender<SocketAddr>,
    opts: &DemoOptions,
) -> Res<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port))?;
    let _ = announce.send(s.local_addr()?);
    s.set_read_timeout(Some(peer_timeout(opts)))?;
    s.set_write_timeout(Some(peer_timeout(opts)))?;
    Ok(s)
}

/// Run the WebSocket demo on `listener` (already bound) to the end of the TCP teardown; over
/// TLS (wss://) when `tls` is given.
pub fn run_ws(
    listener: TcpListener,
    opts: DemoOptions,
    pace: Pace,
    tls: Option<DemoTls>,
) -> Res<()> {
    let port = listener.local_addr()?.port();
    let (announce, mut own) = OwnClient::pair(&opts);
    let tls = tls.map(std::sync::Arc::new);
    let server_tls = tls.clone();
    let server = thread::spawn(move || -> Res<()> {
        let stream = own.accept(&listener)?;
        match server_tls {
            None => ws_server(stream, opts.deflate),
            Some(t) => ws_server(t.server(stream)?, opts.deflate),
        }
    });
    let client = ws_client(port, opts, pace, &announce, tls.as_deref());
    let served = server.join().map_err(|_| "demo server thread panicked")?;
    client?;
    served
}

/// One direction's permessage-deflate state (context takeover: one stream per direction).
struct Deflate {
    comp: Compress,
    decomp: Decompress,
}

impl Deflate {
    fn new() -> Deflate {
        Deflate {
            comp: Compress::new(Compression::default(), false),
            decomp: Decompress::new(false),
        }
    }

    fn compress(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() + 64);
        let start = self.comp.total_in();
        loop {
            let done = (self.comp.total_in() - start) as usize;
            out.reserve(256);
            self.comp
                .compress_vec(&data[done..], &mut out, FlushCompress::Sync)?;
            if (self.comp.total_in() - start) as usize == data.len() && out.len() < out.capacity() {
                break;
            }
        }
        // RFC 7692 §7.2.1: the sync flush's empty stored block tail is not sent.
        if out.ends_with(&[0, 0, 0xff, 0xff]) {
            out.truncate(out.len() - 4);
        }
        Ok(out)
    }

    fn decompress(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        let mut input = data.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut out = Vec::with_capacity(data.len() * 4 + 64);
        let start = self.decomp.total_in();
        loop {
            let used = (self.decomp.total_in() - start) as usize;
            if out.len() == out.capacity() {
                out.reserve(out.len().max(256));
            }
            let st = self
                .decomp
                .decompress_vec(&input[used..], &mut out, FlushDecompress::Sync)?;
            let used = (self.decomp.total_in() - start) as usize;
            if used >= input.len() && out.len() < out.capacity() || st == Status::StreamEnd {
                break;
            }
            if used >= input.len() && st == Status::BufError {
                break;
            }
        }
        Ok(out)
    }
}

/// One end of the conversation after the handshake.
struct Peer<S: Wire> {
    sock: FrameSocket<S>,
    mask: bool,
    deflate: Option<Deflate>,
    seed: u32,
}

impl<S: Wire> Peer<S> {
    fn mask_key(&mut self) -> Option<[u8; 4]> {
        if !self.mask {
            return None;
        }
        // xorshift: masks only need to be unpredictable to a browser's attacker, not here.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        Some(self.seed.to_be_bytes())
    }

    fn send(&mut self, opcode: OpCode, payload: Vec<u8>, fin: bool, compress: bool) -> Res<()> {
        let (payload, rsv1) = match (&mut self.deflate, compress) {
            (Some(d), true) => (d.compress(&payload)?, true),
            _ => (payload, false),
        };
        let mut f = Frame::message(payload, opcode, fin);
        f.header_mut().rsv1 = rsv1;
        f.header_mut().mask = self.mask_key();
        self.sock.send(f)?;
        Ok(())
    }

    fn send_text(&mut self, s: &str) -> Res<()> {
        self.send(OpCode::Data(Data::Text), s.as_bytes().to_vec(), true, true)
    }

    fn send_control(&mut self, mut f: Frame) -> Res<()> {
        f.header_mut().mask = self.mask_key();
        self.sock.send(f)?;
        Ok(())
    }

    /// The next whole message (fragments joined, inflated), or a control frame.
    fn recv(&mut self) -> Res<Option<(OpCode, Vec<u8>)>> {
        let mut first: Option<(OpCode, bool)> = None;
        let mut buf = Vec::new();
        loop {
            let Some(f) = self.sock.read(Some(PEER_READ_MAX))? else {
                return Ok(None);
            };
            let h = f.header().clone();
            // FrameSocket hands frames over as on the wire: a client's are still masked.
            let mut payload = f.into_payload().to_vec();
            if let Some(m) = h.mask {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= m[i % 4];
                }
            }
            if let OpCode::Control(_) = h.opcode {
                return Ok(Some((h.opcode, payload)));
            }
            if first.is_none() {
                first = Some((h.opcode, h.rsv1));
            }
            if buf.len() + payload.len() > PEER_READ_MAX {
                return Err("a message longer than the demo ever sends".into());
            }
            buf.extend_from_slice(&payload);
            if h.is_final {
                let (op, compressed) = first.unwrap_or((h.opcode, false));
                let data = match (&mut self.deflate, compressed) {
                    (Some(d), true) => d.decompress(&buf)?,
                    _ => buf,
                };
                return Ok(Some((op, data)));
            }
        }
    }
}

fn seed() -> u32 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(1);
    n | 1
}

// tungstenite's handshake callback type fixes its (large) error type.
#[allow(clippy::result_large_err)]
fn ws_server<S: Wire>(stream: S, deflate: bool) -> Res<()> {
    let agreed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let agreed_cb = agreed.clone();
    let cb = move |req: &Request, mut resp: Response| {
        let offered = req
            .headers()
            .get("Sec-WebSocket-Extensions")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("permessage-deflate"));
        if deflate && offered {
            resp.headers_mut().insert(
                "Sec-WebSocket-Extensions",
                "permessage-deflate".parse().expect("static header"),
            );
            agreed_cb.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(resp)
    };
    let ws = tungstenite::accept_hdr(stream, cb).map_err(|e| e.to_string())?;
    let mut peer = Peer {
        sock: FrameSocket::new(ws.into_inner()),
        mask: false,
        deflate: agreed
            .load(std::sync::atomic::Ordering::SeqCst)
            .then(Deflate::new),
        seed: seed(),
    };
    while let Some((op, data)) = peer.recv()? {
        match op {
            OpCode::Data(Data::Text) => {
                let text = String::from_utf8_lossy(&data);
                peer.send_text(&format!("echo: {text}"))?;
            }
            OpCode::Data(_) => {
                peer.send_text(&format!("got {} bytes of binary data", data.len()))?;
            }
            OpCode::Control(tungstenite::protocol::frame::coding::Control::Ping) => {
                peer.send_control(Frame::pong(data))?;
                // Full duplex: the server may speak without being asked.
                peer.send_text("server push: still here, and I can talk first too")?;
            }
            OpCode::Control(tungstenite::protocol::frame::coding::Control::Close) => {
                // Echo the status code, then close TCP first, as RFC 6455 §7.1.1 asks of a server.
                let code = data
                    .get(..2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
                    .unwrap_or(1000);
                peer.send_control(Frame::close(Some(CloseFrame {
                    code: CloseCode::from(code),
                    reason: "".into(),
                })))?;
                let _ = peer.sock.get_mut().close_write();
                // Wait for the client's FIN so both ends finish the teardown.
                tls::drain(peer.sock.get_mut(), PEER_READ_MAX as u64);
                return Ok(());
            }
            OpCode::Control(_) => {}
        }
    }
    Ok(())
}

fn ws_client(
    port: u16,
    opts: DemoOptions,
    mut pace: Pace,
    announce: &mpsc::Sender<SocketAddr>,
    tls: Option<&DemoTls>,
) -> Res<()> {
    // Step 1 (the TCP three-way handshake) waits for the teacher too.
    if matches!(pace, Pace::Teacher(_)) {
        pace.wait(None)?;
    }
    let stream = connect_own(port, announce, &opts)?;
    stream.set_nodelay(true)?;
    pace.wait(None)?;
    match tls {
        None => ws_chat(stream, &format!("ws://127.0.0.1:{port}/chat"), opts, pace),
        Some(t) => {
            // Its own step: the TLS handshake, before any HTTP.
            let stream = t.client(stream)?;
            pace.wait(None)?;
            let url = format!("wss://{}:{port}/chat", tls::SERVER_NAME);
            ws_chat(stream, &url, opts, pace)
        }
    }
}

/// The client's part from the upgrade request to the end of the teardown.
fn ws_chat<S: Wire>(stream: S, url: &str, opts: DemoOptions, mut pace: Pace) -> Res<()> {
    let mut req = url.into_client_request()?;
    if opts.deflate {
        req.headers_mut().insert(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits".parse()?,
        );
    }
    let (ws, resp) = tungstenite::client(req, stream).map_err(|e| e.to_string())?;
    let agreed = resp
        .headers()
        .get("Sec-WebSocket-Extensions")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("permessage-deflate"));
    let stream = ws.into_inner();
    let mut peer = Peer {
        sock: FrameSocket::new(stream),
        mask: true,
        deflate: agreed.then(Deflate::new),
        seed: seed(),
    };
    // A message typed in class: sent at once, its echo read.
    let typed = |p: &mut Peer<S>, text: &str| -> Res<()> {
        p.send_text(text)?;
        p.recv()?;
        Ok(())
    };
    macro_rules! step {
        () => {
            pace.wait(Some(&mut |t: &str| typed(&mut peer, t)))?
        };
    }
    step!();
    peer.send_text(HELLO)?;
    peer.recv()?;
    step!();
    peer.send(OpCode::Data(Data::Binary), binary_payload(), true, true)?;
    peer.recv()?;
    step!();
    // A fragmented message: RSV1 (compression) may only be set on the first fragment, so with
    // deflate the fragments are sent uncompressed.
    let n = FRAGMENTS.len();
    for (i, part) in FRAGMENTS.iter().enumerate() {
        let op = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        peer.send(op, part.as_bytes().to_vec(), i + 1 == n, false)?;
        if i + 1 < n {
            pace.half();
        }
    }
    peer.recv()?;
    step!();
    peer.send_control(Frame::ping(PING.to_vec()))?;
    peer.recv()?; // pong
    peer.recv()?; // server push
    step!();
    peer.send_control(Frame::close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: CLOSE_REASON.into(),
    })))?;
    // The server's close, then its FIN (read returns end of stream).
    while peer.recv()?.is_some() {}
    let _ = peer.sock.get_mut().close_write();
    let _ = peer.sock.get_mut().tcp().shutdown(std::net::Shutdown::Both);
    Ok(())
}

/// The same chat by HTTP polling: every send and every poll is a new TCP connection with its
/// own handshake, request head and response head, most polls finding nothing new.
pub fn run_polling(listener: TcpListener, opts: DemoOptions, mut pace: Pace) -> Res<()> {
    let port = listener.local_addr()?.port();
    const REQUESTS: usize = 6;
    let (announce, mut own) = OwnClient::pair(&opts);
    let server = thread::spawn(move || -> Res<()> {
        let mut pending: Vec<String> = Vec::new();
        for _ in 0..REQUESTS {
            let s = own.accept(&listener)?;
            http_serve_one(s, &mut pending)?;
        }
        Ok(())
    });
    let steps: [(&str, &str, &str); REQUESTS] = [
        ("GET", "/poll", ""),
        ("POST", "/send", HELLO),
        ("GET", "/poll", ""),
        ("GET", "/poll", ""),
        ("POST", "/send", "This message was sent in one request."),
        ("GET", "/poll", ""),
    ];
    let mut result = Ok(());
    for (method, path, body) in steps {
        // Polling has no open connection to send a typed message on: each step is a request.
        if let Err(e) = pace.wait(None) {
            result = Err(e);
            break;
        }
        if let Err(e) = http_request(port, method, path, body, &announce, &opts) {
            result = Err(e);
            break;
        }
    }
    let served = server.join().map_err(|_| "demo server thread panicked")?;
    result?;
    served
}

fn http_request(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    announce: &mpsc::Sender<SocketAddr>,
    opts: &DemoOptions,
) -> Res<()> {
    let mut s = connect_own(port, announce, opts)?;
    // One write: unbuffered `write!` would put each formatted piece in its own segment.
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    s.flush()?;
    let mut resp = Vec::new();
    s.take(PEER_READ_MAX as u64).read_to_end(&mut resp)?;
    Ok(())
}

/// One line of at most `PEER_READ_MAX` bytes (an error beyond, or at the end of input
/// mid-line).
fn read_line_bounded(r: &mut impl BufRead, line: &mut String) -> Res<usize> {
    let n = r.take(PEER_READ_MAX as u64).read_line(line)?;
    if n > 0 && !line.ends_with('\n') {
        return Err("an HTTP line longer than the demo ever sends, or cut short".into());
    }
    Ok(n)
}

fn http_serve_one(s: TcpStream, pending: &mut Vec<String>) -> Res<()> {
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    read_line_bounded(&mut r, &mut line)?;
    let mut len = 0usize;
    for n in 0.. {
        if n > 100 {
            return Err("more HTTP headers than the demo ever sends".into());
        }
        let mut h = String::new();
        if read_line_bounded(&mut r, &mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0).min(1 << 16);
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let reply = if line.starts_with("POST") {
        pending.push(format!("echo: {}", String::from_utf8_lossy(&body)));
        "ok".to_string()
    } else {
        let items: Vec<String> = pending.drain(..).map(|m| format!("{m:?}")).collect();
        format!("[{}]", items.join(","))
    };
    let mut w = s;
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{reply}",
        reply.len()
    );
    w.write_all(resp.as_bytes())?;
    w.flush()?;
    let _ = w.shutdown(std::net::Shutdown::Write);
    // Drain until the client's FIN so the teardown is whole in the capture (bounded, and
    // the read timeout ends a wait for a FIN that never comes).
    let _ = io::copy(&mut r.take(PEER_READ_MAX as u64), &mut io::sink());
    Ok(())
}
