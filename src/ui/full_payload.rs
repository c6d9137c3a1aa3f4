//! Whole payloads for the detail pane. The UI keeps a preview of each message (see
//! `Limits::message_preview`/`binary_preview`); when the selected message's preview is cut,
//! its whole payload is loaded on demand: the capture is decoded again on a background thread,
//! with previews as large as the messages (the limits `wslens export` uses, so inflated,
//! unmasked and decrypted payloads come out whole the same way), up to the packet that
//! completed the message, and that message is sent back. Reading stops there; nothing else is
//! kept. The UI draws "loading…" meanwhile and never waits.

use super::payload_rows::PayloadBody;
use super::store::Store;
use crate::decoder::{DecodeOptions, Decoder};
use crate::event::{AppMessage, ConnId, Dir, Event, PktNum, WsMessage};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

/// Largest payload loaded whole: 64 MiB (what `wslens export` keeps by default too). A longer
/// message's views show its first 64 MiB, with a note.
pub const FULL_CAP: usize = 64 << 20;

/// Where the capture can be read again from.
#[derive(Clone)]
pub enum Origin {
    /// A finished file, with the TLS secrets it was opened with.
    File(PathBuf, crate::tls::KeyStore),
    /// The built-in classroom capture.
    Bytes(&'static [u8]),
}

/// Which event to find again: the `nth` event of its kind with the same connection, direction
/// and completing packet (several messages can complete in one packet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub app: bool,
    pub conn: ConnId,
    pub dir: Dir,
    pub pkt: PktNum,
    pub nth: usize,
}

/// What a load found.
pub enum FullPayload {
    Msg {
        m: WsMessage,
        body: Arc<PayloadBody>,
        tree: Option<super::detail_app::PayloadTree>,
    },
    App(AppMessage),
    /// The decoder did not produce the event again (should not happen with the same file).
    Missing,
}

/// The selected event's whole payload: being loaded, loaded, or why not.
pub enum FullState {
    Loading(Load),
    Ready(Arc<FullPayload>),
    Failed(String),
    /// No file to read again (live capture): the preview is all there is.
    Unavailable,
}

/// A load running on its thread; dropping it stops the thread at its next packet.
pub struct Load {
    rx: Receiver<Result<FullPayload, String>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Load {
    /// The result, once the thread has sent it.
    pub fn poll(&self) -> Option<Result<FullPayload, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the loader stopped".into())),
        }
    }

    /// Wait for the result (tests).
    pub fn wait(&self) -> Result<FullPayload, String> {
        self.rx
            .recv()
            .unwrap_or_else(|_| Err("the loader stopped".into()))
    }
}

/// The target of event `idx` when its payload is cut and loading it could help: a data message
/// (or a frame completing one) whose preview is shorter than it, or an application message
/// carried by such a message. Returns the event index to find and the target.
pub fn target(store: &Store, idx: usize) -> Option<(usize, Target)> {
    let (at, ev) = match store.events.get(idx)? {
        Event::WsFrame(_) => {
            let m = store.message_of(idx)?;
            let at = (0..=idx)
                .rev()
                .find(|&i| matches!(&store.events[i], Event::WsMessage(x) if std::ptr::eq(x, m)))
                .or_else(|| {
                    (idx..store.events.len()).find(
                        |&i| matches!(&store.events[i], Event::WsMessage(x) if std::ptr::eq(x, m)),
                    )
                })?;
            (at, &store.events[at])
        }
        ev => (idx, ev),
    };
    let (app, conn, dir, pkt) = match ev {
        Event::WsMessage(m) => {
            if !is_cut(m) {
                return None;
            }
            (false, m.conn, m.dir, m.pkt)
        }
        Event::App(a) => {
            // The message that carried it: the WebSocket message completed by the same packet,
            // just before it (polling bodies are HTTP, whole in the event already).
            let carrier = store.events[..at]
                .iter()
                .rev()
                .take(64)
                .find_map(|e| match e {
                    Event::WsMessage(m) if m.conn == a.conn && m.dir == a.dir && m.pkt <= a.pkt => {
                        Some(m)
                    }
                    _ => None,
                })?;
            if !is_cut(carrier) {
                return None;
            }
            (true, a.conn, a.dir, a.pkt)
        }
        _ => return None,
    };
    let same = |e: &Event| match e {
        Event::WsMessage(m) => !app && m.conn == conn && m.dir == dir && m.pkt == pkt,
        Event::App(a) => app && a.conn == conn && a.dir == dir && a.pkt == pkt,
        _ => false,
    };
    let nth = store.events[..at]
        .iter()
        .rev()
        .take(4096)
        .filter(|e| same(e))
        .count();
    Some((
        at,
        Target {
            app,
            conn,
            dir,
            pkt,
            nth,
        },
    ))
}

/// A data message whose event holds less than all of its payload, for want of preview room
/// (not because inflating failed: decoding again would not help).
pub fn is_cut(m: &WsMessage) -> bool {
    m.inflate_error.is_none()
        && matches!(
            m.opcode,
            crate::event::Opcode::Text | crate::event::Opcode::Binary
        )
        && !crate::export::is_whole(m)
}

/// Start loading `t` from `origin` on a background thread.
pub fn spawn(origin: Origin, t: Target) -> Load {
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    std::thread::spawn(move || {
        let _ = tx.send(load(&origin, t, &stop2));
    });
    Load { rx, stop }
}

/// Decode the capture again, up to the packet that completed the target, with whole payloads.
pub fn load(origin: &Origin, t: Target, stop: &AtomicBool) -> Result<FullPayload, String> {
    let keys = match origin {
        Origin::File(_, k) => k.clone(),
        Origin::Bytes(_) => crate::tls::KeyStore::default(),
    };
    let mut dec = Decoder::new(DecodeOptions {
        limits: crate::export::full_limits(FULL_CAP),
        tls_keys: keys.clone(),
        ..DecodeOptions::default()
    });
    let mut seen = 0;
    // Read by the sink and after reading; one thread, so a RefCell.
    let found: std::cell::RefCell<Option<Event>> = Default::default();
    let mut sink = |ev: Event| {
        if found.borrow().is_some() {
            return;
        }
        let hit = match &ev {
            Event::WsMessage(m) => !t.app && m.conn == t.conn && m.dir == t.dir && m.pkt == t.pkt,
            Event::App(a) => t.app && a.conn == t.conn && a.dir == t.dir && a.pkt == t.pkt,
            _ => false,
        };
        if hit {
            if seen == t.nth {
                *found.borrow_mut() = Some(ev);
            } else {
                seen += 1;
            }
        }
    };
    let mut past = false;
    let mut each = |p: crate::capture::Packet<'_>| {
        // Past the packet that completed the message, or the user moved on: read on without
        // decoding (the readers have no early exit; skipping costs only the reading).
        if past || p.num > t.pkt || stop.load(Ordering::Relaxed) {
            past = true;
            return;
        }
        dec.packet(&p, &mut sink);
    };
    let res = crate::capture::with_secrets(
        move |ty, text| {
            if ty == crate::tls::DSB_TLS_KEY_LOG {
                keys.add_text(text)
            }
        },
        || match origin {
            Origin::File(p, _) => crate::capture::read_file(p, &mut each),
            Origin::Bytes(b) => crate::capture::read_bytes(b, &mut each),
        },
    );
    if let Err(e) = res {
        return Err(e.to_string());
    }
    if found.borrow().is_none() && !stop.load(Ordering::Relaxed) {
        // A message held until the end of the capture (an unfinished one) is sent by finish.
        dec.finish(&mut sink);
    }
    Ok(match found.into_inner() {
        Some(Event::WsMessage(mut m)) => {
            let bytes: Arc<[u8]> = match m.text.take() {
                Some(s) => {
                    m.text = Some(String::new());
                    s.into_bytes().into()
                }
                None => std::mem::take(&mut m.data).into(),
            };
            let tree = super::detail_app::payload_tree(&m, &bytes);
            let body = Arc::new(PayloadBody::new(bytes, m.text.is_some()));
            FullPayload::Msg { m, body, tree }
        }
        Some(Event::App(a)) => FullPayload::App(*a),
        _ => FullPayload::Missing,
    })
}
