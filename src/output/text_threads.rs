//! The narrated text log written by several threads: making the sentences costs about ten times
//! what encoding NDJSON does, so one writer thread would be the slowest part of `decode`.
//!
//! The writer thread keeps the narration's context in order (`observe`, cheap) and takes, for
//! each event, the facts its narration reads ([`EventFacts`]) before the context moves on; it
//! copies events and facts into chunks that worker threads turn into text, and writes the texts
//! back in the chunks' order. The output is byte for byte that of [`super::text::TextWriter`].

use super::text::push_lines;
use crate::event::Event;
use crate::teach::catalog;
use crate::teach::narrate::{EventFacts, narrate_from};
use crate::teach::{Lang, NarrationContext};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Events per chunk: large enough that handing a chunk over costs little beside its text.
const CHUNK: usize = 1024;
/// Chunks in flight per worker: bounds memory when the output is slow.
const DEPTH: usize = 2;

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
        c.events.clear();
        c.facts.clear();
        c.text.clear();
        self.spare.push(c);
    }

    /// Everything given so far handed to the workers and written.
    fn drain(&mut self) {
        self.send_chunk();
        while !self.pending.is_empty() {
            self.write_oldest();
        }
    }
}

/// The text of a chunk's events, as `TextWriter` would write them.
fn make_text(c: &mut Chunk, lang: Option<Lang>, summary: Lang) {
    for (ev, facts) in c.events.iter().zip(&c.facts) {
        let sentences = match (lang, ev) {
            (_, Event::Note(_)) | (None, _) => None,
            (Some(lang), _) => Some(narrate_from(ev, facts, lang)),
        };
        push_lines(&mut c.text, ev, summary, sentences.as_deref());
        // The sentences' buffers serve the next events' sentences on this thread.
        if let Some(sentences) = sentences {
            catalog::recycle(sentences);
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
        self.chunk.events.push(ev.clone());
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
