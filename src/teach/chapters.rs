//! The story of one connection in five chapters, as a lesson tells it: the TCP three-way
//! handshake, the TLS handshake (wss:// only), the HTTP upgrade request, the first WebSocket
//! message, and the closing handshake. The UI's keys `1`–`5` jump to where each begins.

use super::catalog::{self, Lang, Msg};
use crate::event::{Dir, Event, Handshake, Opcode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chapter {
    TcpHandshake,
    TlsHandshake,
    Upgrade,
    FirstMessage,
    Closing,
}

impl Chapter {
    pub const ALL: [Chapter; 5] = [
        Chapter::TcpHandshake,
        Chapter::TlsHandshake,
        Chapter::Upgrade,
        Chapter::FirstMessage,
        Chapter::Closing,
    ];

    /// Chapter `n` (1-based), as the keys number them.
    pub fn nth(n: u8) -> Option<Chapter> {
        Chapter::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// Is this event where the chapter can begin? (The first such event of a connection is.)
    pub fn begins_at(self, ev: &Event) -> bool {
        match (self, ev) {
            (Chapter::TcpHandshake, Event::Tcp(t)) => t.handshake == Some(Handshake::Syn),
            // TLS events are named `tls…` whatever their shape.
            (Chapter::TlsHandshake, e) => e.name().starts_with("tls"),
            (Chapter::Upgrade, Event::Http(h)) => {
                h.dir == Dir::C2S
                    && h.header("Upgrade")
                        .is_some_and(|u| u.to_ascii_lowercase().contains("websocket"))
            }
            // A message's first frame, or the message itself where it has a row of its own.
            (Chapter::FirstMessage, Event::WsFrame(f)) => {
                matches!(f.header.opcode, Opcode::Text | Opcode::Binary)
            }
            (Chapter::FirstMessage, Event::WsMessage(m)) => {
                matches!(m.opcode, Opcode::Text | Opcode::Binary)
            }
            (Chapter::Closing, Event::WsFrame(f)) => f.header.opcode == Opcode::Close,
            (Chapter::Closing, Event::WsMessage(m)) => m.opcode == Opcode::Close,
            _ => false,
        }
    }

    /// When the chapter's own event is missing, where the story would have it: the TCP
    /// handshake without a captured SYN starts at the first segment; a ws:// connection's
    /// (absent) TLS handshake would follow the third handshake segment.
    pub fn fallback(self, ev: &Event) -> bool {
        match (self, ev) {
            (Chapter::TcpHandshake, Event::Tcp(_)) => true,
            (Chapter::TlsHandshake, Event::Tcp(t)) => t.handshake == Some(Handshake::Ack),
            _ => false,
        }
    }

    /// The banner shown over the narration when the class jumps here: the chapter's name and,
    /// for the WebSocket handshake, which of the tutorial's four steps it is.
    pub fn banner(self, lang: Lang, found: bool) -> String {
        let id = match (self, found) {
            (Chapter::TcpHandshake, _) => Msg::ChapTcp,
            (Chapter::TlsHandshake, true) => Msg::ChapTls,
            (Chapter::TlsHandshake, false) => Msg::ChapTlsNone,
            (Chapter::Upgrade, _) => Msg::ChapUpgrade,
            (Chapter::FirstMessage, _) => Msg::ChapMessage,
            (Chapter::Closing, _) => Msg::ChapClose,
        };
        let mut s = catalog::text(lang, id).to_string();
        if !found && self != Chapter::TlsHandshake {
            s.push(' ');
            s.push_str(catalog::text(lang, Msg::ChapMissing));
        }
        s
    }
}

/// Where `ch` begins among `events` (index, event) of one connection, considering only those
/// `shown` admits (events that have a ladder row under the current filters). The second value
/// says whether the chapter's own event was found (false: a fallback place, or none).
pub fn find(
    events: impl Iterator<Item = (usize, Event)> + Clone,
    ch: Chapter,
    shown: impl Fn(usize) -> bool,
) -> (Option<usize>, bool) {
    if let Some(i) = events
        .clone()
        .find(|(i, e)| ch.begins_at(e) && shown(*i))
        .map(|(i, _)| i)
    {
        return (Some(i), true);
    }
    let fb = events
        .filter(|(i, e)| ch.fallback(e) && shown(*i))
        .map(|(i, _)| i)
        .next();
    (fb, false)
}
