//! The narrated text log written by several threads: making the sentences costs about ten times
//! what encoding NDJSON does, so one writer thread would be the slowest part of `decode`.
//!
//! The writer thread keeps the narration's context in order (`observe`, cheap) and takes, for
//! each event, the facts its narration reads ([`EventFacts`]) before the context moves on; it
//! copies events and facts into chunks that worker threads turn into text, and writes the texts
//! back in the chunks' order. The output is byte for byte that of [`super::text::TextWriter`].

use super::text::{is_narrated, push_summary_line};
use crate::event::{Event, WsFrame, WsMessage};
use crate::teach::narrate::{EventFacts, Lines, narrate_from_into};
use crate::teach::{Lang, NarrationContext};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Events per chunk: large enough that handing a chunk over costs little beside its text.
const CHUNK: usize = 1024;
/// Chunks in flight per worker: bounds memory when the output is slow.
const DEPTH: usize = 2;
/// Buffers of copied texts and bytes kept for the next copies, and the largest kept: the
/// events in flight (a third of them messages, a third frames) fit.
const SPARE_BUFFERS: usize = 2 * CHUNK;
const SPARE_CAPACITY: usize = 1024;

#[derive(Default)]
struct Chunk {
    events: Vec<Event>,
    facts: Vec<EventFacts>,
    /// The chunk's text, filled by a worker.
    text: String,
}

struct Worker {
    tx: Option<SyncSender<Chunk>>,
    rx: Receiver<Chunk>,
    handle: Option<JoinHandle<()>>,
}

/// A text log (summary lines, narrated when `lang` is given) made on `workers` threads.
pub struct ThreadedText<W: Write> {
    out: W,
    error: Option<io::Error>,
    lang: Option<Lang>,
    cx: NarrationContext,
    chunk: Chunk,
    workers: Vec<Worker>,
    next: usize,
    /// The workers holding chunks in flight, in the chunks' order.
    pending: VecDeque<usize>,
    /// Chunks written, emptied for reuse (their events are dropped on this thread, which
    /// allocated them).
    spare: Vec<Chunk>,
    /// Buffers of written events' texts and bytes, for the next copies.
    texts: Vec<String>,
    bytes: Vec<Vec<u8>>,
}

impl<W: Write> ThreadedText<W> {
    /// `lang`: narrate in this language (None: summary lines only); `summary`: the language
    /// of the summary lines.
    pub fn new(out: W, lang: Option<Lang>, summary: Lang, workers: usize) -> Self {
        let workers = (0..workers.max(1))
            .map(|i| {
                let (tx, wrx) = sync_channel::<Chunk>(DEPTH);
                let (wtx, rx) = sync_channel::<Chunk>(DEPTH);
                let handle = std::thread::Builder::new()
                    .name(format!("text-{i}"))
                    .spawn(move || {
                        for mut c in wrx {
                            make_text(&mut c, lang, summary);
                            if wtx.send(c).is_err() {
                                break;
                            }
                        }
                    })
                    .expect("spawning a text thread");
                Worker {
                    tx: Some(tx),
                    rx,
                    handle: Some(handle),
                }
            })
            .collect();
        ThreadedText {
            out,
            error: None,
            lang,
            cx: NarrationContext::new(),
            chunk: Chunk::default(),
            workers,
            next: 0,
            pending: VecDeque::new(),
            spare: Vec::new(),
            texts: Vec::new(),
            bytes: Vec::new(),
        }
    }

    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Write out every event given so far, then flush the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.drain();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }

    fn send_chunk(&mut self) {
        if self.chunk.events.is_empty() {
            return;
        }
        let next = self.spare.pop().unwrap_or_default();
        let chunk = std::mem::replace(&mut self.chunk, next);
        if self.pending.len() >= self.workers.len() * DEPTH {
            self.write_oldest();
        }
        let w = self.next;
        self.next = (self.next + 1) % self.workers.len();
        let sent = self.workers[w].tx.as_ref().map(|tx| tx.send(chunk));
        if matches!(sent, Some(Ok(()))) {
            self.pending.push_back(w);
        } else if self.error.is_none() {
            self.error = Some(io::Error::other("a text thread ended"));
        }
    }

    /// Receive the oldest chunk in flight and write its text.
    fn write_oldest(&mut self) {
        let Some(w) = self.pending.pop_front() else {
            return;
        };
        let Ok(mut c) = self.workers[w].rx.recv() else {
            if self.error.is_none() {
                self.error = Some(io::Error::other("a text thread ended"));
            }
            return;
        };
        super::write_out(&mut self.out, c.text.as_bytes(), false, &mut self.error);
        for ev in c.events.drain(..) {
            self.keep_buffers(ev);
        }
        c.facts.clear();
        c.text.clear();
        self.spare.push(c);
    }

    /// A copy of `ev` for a worker, in buffers kept from written events where it has text or
    /// bytes (allocating and freeing them was a tenth of this thread's work).
    fn copy(&mut self, ev: &Event) -> Event {
        match ev {
            Event::WsMessage(m) => Event::WsMessage(WsMessage {
                text: m.text.as_deref().map(|t| {
                    let mut s = self.texts.pop().unwrap_or_default();
                    s.push_str(t);
                    s
                }),
                data: self.copy_bytes(&m.data),
                close_reason: m.close_reason.clone(),
                inflate_error: m.inflate_error.clone(),
                ..*m
            }),
            Event::WsFrame(f) => Event::WsFrame(WsFrame {
                pkts: f.pkts.clone(),
                preview: self.copy_bytes(&f.preview),
                ..*f
            }),
            _ => ev.clone(),
        }
    }

    fn copy_bytes(&mut self, b: &[u8]) -> Vec<u8> {
        if b.is_empty() {
            return Vec::new();
        }
        let mut v = self.bytes.pop().unwrap_or_default();
        v.extend_from_slice(b);
        v
    }

    /// Keep a written event's text and bytes buffers for later copies (a bounded number, of
    /// bounded size); the rest is dropped.
    fn keep_buffers(&mut self, ev: Event) {
        let (text, bytes) = match ev {
            Event::WsMessage(m) => (m.text, m.data),
            Event::WsFrame(f) => (None, f.preview),
            _ => return,
        };
        if let Some(mut t) = text
            && t.capacity() <= SPARE_CAPACITY
            && self.texts.len() < SPARE_BUFFERS
        {
            t.clear();
            self.texts.push(t);
        }
        if bytes.capacity() > 0
            && bytes.capacity() <= SPARE_CAPACITY
            && self.bytes.len() < SPARE_BUFFERS
        {
            let mut b = bytes;
            b.clear();
            self.bytes.push(b);
        }
    }

    /// Everything given so far handed to the workers and written.
    fn drain(&mut self) {
        self.send_chunk();
        while !self.pending.is_empty() {
            self.write_oldest();
        }
    }
}

/// The text of a chunk's events, as `TextWriter` would write them: the sentences are written
/// straight into the chunk's text.
fn make_text(c: &mut Chunk, lang: Option<Lang>, summary: Lang) {
    for (ev, facts) in c.events.iter().zip(&c.facts) {
        push_summary_line(&mut c.text, ev, summary);
        if let Some(lang) = lang
            && is_narrated(ev)
        {
            narrate_from_into(ev, facts, lang, &mut Lines::log(&mut c.text));
        }
    }
}

impl<W: Write> super::WriteEvent for ThreadedText<W> {
    fn write_event(&mut self, ev: &Event) {
        if self.error.is_some() {
            return;
        }
        let facts = match self.lang {
            Some(_) => {
                let f = self.cx.facts_for(ev);
                self.cx.observe(ev);
                f
            }
            None => EventFacts::default(),
        };
        let copy = self.copy(ev);
        self.chunk.events.push(copy);
        self.chunk.facts.push(facts);
        if self.chunk.events.len() >= CHUNK {
            self.send_chunk();
        }
    }

    fn flush_out(&mut self) {
        self.drain();
        if self.error.is_none()
            && let Err(e) = self.out.flush()
        {
            self.error = Some(e);
        }
    }

    fn take_error(&mut self) -> Option<io::Error> {
        ThreadedText::take_error(self)
    }
}

impl<W: Write> Drop for ThreadedText<W> {
    fn drop(&mut self) {
        for w in &mut self.workers {
            w.tx = None;
        }
        for w in &mut self.workers {
            // Chunks still in flight are not written (the output failed or was dropped).
            while w.rx.recv().is_ok() {}
            if let Some(h) = w.handle.take() {
                let _ = h.join();
            }
        }
    }
}
