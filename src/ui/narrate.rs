//! One to three plain sentences about the selected event, for the narration pane.
//!
//! Behind a small trait so the catalogue-based narrator (`teach`, with its languages) can
//! replace this English one without touching the views.

use crate::event::{CloseHow, Dir, Event, Handshake, HttpKind, Opcode};
use crate::text::escape_for_terminal;

/// What a narrator may know besides the event itself.
pub struct NarrationCtx<'a> {
    pub client: Option<std::net::SocketAddr>,
    pub server: Option<std::net::SocketAddr>,
    /// The message shown with a frame (one-frame messages, control frames).
    pub message: Option<&'a crate::event::WsMessage>,
}

pub trait Narrator: Send {
    fn narrate(&self, ev: &Event, cx: &NarrationCtx<'_>) -> String;
}

/// A short English explanation of each event kind.
pub struct English;

fn who(d: Dir) -> (&'static str, &'static str) {
    match d {
        Dir::C2S => ("The client", "the server"),
        Dir::S2C => ("The server", "the client"),
    }
}

impl Narrator for English {
    fn narrate(&self, ev: &Event, cx: &NarrationCtx<'_>) -> String {
        match ev {
            Event::ConnOpen(o) => format!(
                "A new {} conversation between {} (client) and {} (server).{}",
                o.proto.as_str().to_uppercase(),
                o.client,
                o.server,
                if o.guessed {
                    " The start was not captured, so who is the client is a guess."
                } else {
                    ""
                }
            ),
            Event::Tcp(t) => {
                let (a, b) = who(t.dir);
                let mut s = match t.handshake {
                    Some(Handshake::Syn) => format!(
                        "{a} asks to open a connection: SYN with its initial sequence number {}. \
                         Relative numbers count from here, so this is seq=0.",
                        t.seq
                    ),
                    Some(Handshake::SynAck) => format!(
                        "{a} agrees: SYN,ACK carries its own initial sequence number {} and \
                         acknowledges the client's SYN with ack={} (ISN + 1).",
                        t.seq, t.rel_ack
                    ),
                    Some(Handshake::Ack) => format!(
                        "{a} acknowledges the server's SYN (ack={}). The three-way handshake is \
                         complete: both ends are {}.",
                        t.rel_ack, t.server_state
                    ),
                    None if t.flags.rst() => {
                        format!("{a} resets the connection (RST): it ends at once, without a goodbye.")
                    }
                    None if t.flags.fin() => format!(
                        "{a} has nothing more to send: FIN. It is now {} and {b} is {}.",
                        match t.dir {
                            Dir::C2S => t.client_state,
                            Dir::S2C => t.server_state,
                        },
                        match t.dir {
                            Dir::C2S => t.server_state,
                            Dir::S2C => t.client_state,
                        }
                    ),
                    None if t.len > 0 => format!(
                        "{a} sends {} bytes (seq={}); {b} will acknowledge them with ack={}.",
                        t.len,
                        t.rel_seq,
                        t.rel_seq.wrapping_add(t.len)
                    ),
                    None => format!(
                        "{a} acknowledges everything up to byte {} ({b}'s data). No payload.",
                        t.rel_ack
                    ),
                };
                if let Some(n) = t.analysis.names().next() {
                    s.push_str(&format!(" Flagged: {n}."));
                }
                s
            }
            Event::ConnClose(c) => match c.how {
                CloseHow::Fin => "Both sides sent FIN and acknowledged the other's: the connection closed cleanly.".into(),
                CloseHow::Rst => "A reset (RST) ended the connection.".into(),
                CloseHow::Refused => "The SYN was answered by RST: nothing listened on that port.".into(),
                CloseHow::Incomplete => "The capture ended while the connection was still open.".into(),
            },
            Event::Udp(u) => format!("A UDP datagram of {} bytes.", u.len),
            Event::Http(h) => match &h.kind {
                HttpKind::Request { method, path } if h.header("upgrade").is_some() => format!(
                    "The client asks over HTTP ({} {}) to switch this connection to WebSocket. \
                     Its Sec-WebSocket-Key must come back hashed in the answer.",
                    escape_for_terminal(method),
                    escape_for_terminal(path)
                ),
                HttpKind::Request { method, path } => format!(
                    "An HTTP request: {} {}.",
                    escape_for_terminal(method),
                    escape_for_terminal(path)
                ),
                HttpKind::Response { status: 101, .. } => "The server agrees to switch protocols (101). From the next byte on, both sides speak WebSocket frames.".into(),
                HttpKind::Response { status, reason } => format!(
                    "The server answers {status} {}; the connection stays HTTP.",
                    escape_for_terminal(reason)
                ),
            },
            Event::WsHandshake(h) if h.upgraded => format!(
                "The upgrade succeeded. The server proved it read the key: SHA-1(key + GUID) in \
                 base64 {} the Sec-WebSocket-Accept it sent.{}",
                if h.accept_ok { "matches" } else { "does NOT match" },
                if h.deflate.is_some() { " Messages will be compressed (permessage-deflate)." } else { "" }
            ),
            Event::WsHandshake(h) => format!(
                "The upgrade failed{}.",
                h.problems
                    .first()
                    .map(|p| format!(": {}", escape_for_terminal(p)))
                    .unwrap_or_default()
            ),
            Event::WsFrame(f) => {
                let (a, _) = who(f.dir);
                let h = &f.header;
                let what = match cx.message {
                    Some(m) if m.opcode == Opcode::Close => format!(
                        "a Close frame{}",
                        m.close_code.map(|c| format!(" with status {c}")).unwrap_or_default()
                    ),
                    _ => format!("a {} frame of {} payload bytes", h.opcode.as_str(), h.payload_len),
                };
                let mask = if h.masked {
                    " It is masked: each payload byte is XORed with the 4-byte masking key, as every client frame must be."
                } else if f.dir == Dir::S2C {
                    " Server frames are never masked."
                } else {
                    " It is NOT masked, which RFC 6455 forbids for client frames."
                };
                let fin = if h.fin { "" } else { " FIN=0: more fragments of this message follow." };
                format!("{a} sends {what}.{mask}{fin}")
            }
            Event::WsMessage(m) => {
                let (a, _) = who(m.dir);
                let comp = if m.compressed {
                    format!(" It was compressed: {} bytes on the wire, {} after inflating.", m.wire_len, m.len)
                } else {
                    String::new()
                };
                format!(
                    "{a}'s {} message is complete: {} bytes in {} frame(s).{comp}",
                    m.opcode.as_str(),
                    m.len,
                    m.frames
                )
            }
            Event::Note(n) => format!("{}: {}", n.level.as_str(), escape_for_terminal(&n.text)),
        }
    }
}
