//! Whole payloads for the detail pane. The UI keeps a preview of each message (see
//! `Limits::message_preview`/`binary_preview`); when the selected message's preview is cut,
//! its whole payload is loaded on demand: the capture is decoded again on a background thread,
//! with previews as large as the messages (the limits `wslens export` uses, so inflated,
//! unmasked and decrypted payloads come out whole the same way), up to the packet that
//! completed the message, and that message is sent back. For a WebSocket message only its
//! connection's packets are decoded, read from the file by their offsets (a message's layers —
//! TCP, TLS, HTTP, WebSocket, deflate — are all within its connection); an application message
//! (whose session can span connections: Engine.IO polling, then WebSocket) has the file decoded
//! up to its packet. Nothing else is kept. The UI draws "loading…" meanwhile and never waits.

use super::feed::PacketRec;
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
    let (at, ev) = match store.event(idx)? {
        Event::WsFrame(_) => {
            let at = store.meta(idx)?.message? as usize;
            (at, store.event(at)?)
        }
        ev => (idx, ev),
    };
    let ci = store.conn(ev.conn()?)?;
    // The connection's events before this one, newest first.
    let before = || {
        let p = ci.events.partition_point(|&e| (e as usize) < at);
        ci.events[..p].iter().rev().map(|&e| e as usize)
    };
    let (app, conn, dir, pkt) = match &ev {
        Event::WsMessage(m) => {
            if !is_cut(m) {
                return None;
            }
            (false, m.conn, m.dir, m.pkt)
        }
        Event::App(a) => {
            // The message that carried it: the WebSocket message completed by the same packet,
            // just before it (polling bodies are HTTP, whole in the event already).
            let carrier = before().take(64).find_map(|e| match store.event(e)? {
                Event::WsMessage(m) if m.dir == a.dir && m.pkt <= a.pkt => Some(m),
                _ => None,
            })?;
            if !is_cut(&carrier) {
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
    // Events of one packet are together: stop at the first event of an earlier packet.
    let nth = before()
        .take(4096)
        .map_while(|e| store.event(e).filter(|e| e.pkt().is_none_or(|p| p >= pkt)))
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

/// Where in the file the packets of the target's connection are, up to the packet that
/// completed it: the only packets a WebSocket message needs decoded again. None when some are
/// not in the file (read from a pipe, or the built-in capture) or the target is an application
/// message.
pub fn conn_packets(store: &Store, t: &Target) -> Option<Vec<PacketRec>> {
    if t.app || store.file.is_none() {
        return None;
    }
    let c = store.conn(t.conn)?;
    // Every packet of the connection has its own TCP (or UDP) event: read back only those.
    let mut nums: Vec<PktNum> = c
        .events
        .iter()
        .filter(|&&i| {
            store
                .meta(i as usize)
                .is_some_and(|m| m.layer == super::store::Layer::Tcp)
        })
        .filter_map(|&i| store.event(i as usize)?.pkt())
        .filter(|&n| n <= t.pkt)
        .collect();
    nums.sort_unstable();
    nums.dedup();
    nums.into_iter()
        .map(|n| store.packets.get(n).filter(|p| p.in_file))
        .collect()
}

/// Start loading `t` from `origin` on a background thread (from the file offsets of
/// `packets` when given, see [`conn_packets`]).
/// `width` is the detail pane's, for which a text's rows are found on that thread too.
pub fn spawn(origin: Origin, t: Target, packets: Option<Vec<PacketRec>>, width: usize) -> Load {
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    std::thread::spawn(move || {
        let res = match (&origin, packets) {
            (Origin::File(path, keys), Some(p)) => load_conn(path, keys, t, &p, &stop2),
            _ => load(&origin, t, &stop2),
        };
        if let Ok(FullPayload::Msg { body, .. }) = &res {
            body.prepare(width);
        }
        let _ = tx.send(res);
    });
    Load { rx, stop }
}

fn decoder(keys: crate::tls::KeyStore) -> Decoder {
    Decoder::new(DecodeOptions {
        limits: crate::export::full_limits(FULL_CAP),
        tls_keys: keys,
        ..DecodeOptions::default()
    })
}

/// Decode one connection's packets again, read by their offsets. Its events carry the
/// connection id this decoder gives it (it sees no other), so the target is matched by
/// direction, packet and rank alone. The keys are those the file was opened with, including
/// any its pcapng embedded (read into the same shared store when it was opened).
fn load_conn(
    path: &std::path::Path,
    keys: &crate::tls::KeyStore,
    t: Target,
    packets: &[PacketRec],
    stop: &AtomicBool,
) -> Result<FullPayload, String> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut dec = decoder(keys.clone());
    let mut seen = 0;
    let mut found: Option<Event> = None;
    let mut buf = Vec::new();
    let mut sink = |ev: Event| {
        if found.is_none()
            && let Event::WsMessage(m) = &ev
            && m.dir == t.dir
            && m.pkt == t.pkt
        {
            if seen == t.nth {
                found = Some(ev);
            } else {
                seen += 1;
            }
        }
    };
    for r in packets {
        if stop.load(Ordering::Relaxed) {
            return Err("stopped".into());
        }
        buf.resize(r.len as usize, 0);
        file.read_exact_at(&mut buf, r.off)
            .map_err(|e| format!("reading packet {}: {e}", r.num))?;
        let p = crate::capture::Packet {
            num: r.num,
            ts_ns: r.ts_ns,
            linktype: r.linktype,
            data: &buf,
            orig_len: r.orig_len,
        };
        dec.packet(&p, &mut sink);
    }
    dec.finish(&mut sink);
    Ok(whole(found))
}

/// Decode the capture again, up to the packet that completed the target, with whole payloads.
pub fn load(origin: &Origin, t: Target, stop: &AtomicBool) -> Result<FullPayload, String> {
    let keys = match origin {
        Origin::File(_, k) => k.clone(),
        Origin::Bytes(_) => crate::tls::KeyStore::default(),
    };
    let mut dec = decoder(keys.clone());
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
    Ok(whole(found.into_inner()))
}

/// What a load found, made ready for the views.
fn whole(found: Option<Event>) -> FullPayload {
    match found {
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
    }
}
