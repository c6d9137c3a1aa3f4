//! Full export of what a capture carried: HAR 1.2 with Chrome's `_webSocketMessages`, one file
//! per message, or NDJSON with whole payloads. Views like the others: they read events (decoded
//! with previews as large as the messages, see [`full_limits`]) and never parse bytes.

mod har;

pub use har::Har;

use crate::event::{ConnId, Dir, Event, Opcode, WsMessage};
use crate::limits::Limits;
use base64::Engine as _;
use rustc_hash::FxHashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Limits under which every message's whole payload reaches the events (up to `max_message`
/// bytes each; beyond it the message is exported cut, and marked so).
pub fn full_limits(max_message: usize) -> Limits {
    Limits {
        message_preview: max_message,
        binary_preview: max_message,
        ..Limits::default()
    }
}

/// Whether the message's payload is whole in the event (control frames always are: their
/// payload is at most 125 bytes).
pub fn is_whole(m: &WsMessage) -> bool {
    !is_data(m)
        || m.inflate_error.is_none()
            && match &m.text {
                Some(_) => !m.text_truncated,
                None => !m.data_truncated && m.data.len() as u64 == m.len,
            }
}

fn is_data(m: &WsMessage) -> bool {
    matches!(m.opcode, Opcode::Text | Opcode::Binary)
}

/// `--messages DIR`: each data message's payload in its own file,
/// `conn<N>-<c2s|s2c>-<index>.<txt|bin>` (index counts that connection and direction's data
/// messages from 1, so names sort in order).
pub struct MessageFiles {
    dir: PathBuf,
    next: FxHashMap<(ConnId, Dir), u64>,
    pub written: u64,
    pub cut: u64,
}

impl MessageFiles {
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(MessageFiles {
            dir: dir.to_path_buf(),
            next: FxHashMap::default(),
            written: 0,
            cut: 0,
        })
    }

    pub fn message(&mut self, m: &WsMessage) -> io::Result<()> {
        if !is_data(m) {
            return Ok(());
        }
        let n = self.next.entry((m.conn, m.dir)).or_insert(0);
        *n += 1;
        let ext = if m.opcode == Opcode::Text {
            "txt"
        } else {
            "bin"
        };
        let name = format!("conn{}-{}-{:06}.{ext}", m.conn, m.dir.as_str(), n);
        std::fs::write(self.dir.join(name), m.content())?;
        self.written += 1;
        if !is_whole(m) {
            self.cut += 1;
        }
        Ok(())
    }
}

/// `--ndjson`: one line per message with its whole payload (`text`, or `data_base64`).
pub fn ndjson_line(out: &mut Vec<u8>, m: &WsMessage) {
    use crate::output::json::string;
    let _ = write!(
        out,
        "{{\"conn\":{},\"dir\":\"{}\",\"pkt\":{},\"ts\":{:.9},\"opcode\":\"{}\",\"len\":{},\"sha256\":\"",
        m.conn,
        m.dir.as_str(),
        m.pkt,
        m.ts.secs(),
        m.opcode.as_str(),
        m.len
    );
    for b in m.sha256 {
        let _ = write!(out, "{b:02x}");
    }
    out.push(b'"');
    match &m.text {
        Some(t) => {
            out.extend_from_slice(b",\"text\":");
            string(out, t);
        }
        None => {
            out.extend_from_slice(b",\"data_base64\":\"");
            out.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(&m.data)
                    .as_bytes(),
            );
            out.push(b'"');
        }
    }
    if let Some(c) = m.close_code {
        let _ = write!(out, ",\"close_code\":{c}");
    }
    if !is_whole(m) {
        out.extend_from_slice(b",\"truncated\":true");
    }
    out.extend_from_slice(b"}\n");
}

/// The message of an event, if it is one.
pub fn message(ev: &Event) -> Option<&WsMessage> {
    match ev {
        Event::WsMessage(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
