//! Writing events on another thread: the decoder fills batches, a writer thread encodes and
//! writes them, so formatting output uses the second core instead of slowing the decoder.

use super::WriteEvent;
use crate::event::{Event, Sink};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

const BATCH: usize = 4096;
/// Payload bytes (texts, previews) a batch may carry before it is sent, so that memory stays
/// bounded whatever the messages' sizes.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight: bounds memory when the output is slower than the decoder.
const QUEUE: usize = 4;

pub struct BatchSender {
    batch: Vec<Event>,
    bytes: usize,
    tx: Option<SyncSender<Vec<Event>>>,
    /// Written batches coming back, so their memory is reused instead of faulted in anew, and
    /// their events are dropped on this thread, which allocated them: freeing on the writer
    /// thread would leave every allocation here on the allocator's slow path.
    spare: Receiver<Vec<Event>>,
    /// Flush every event at once (live capture) instead of in batches.
    pub immediate: bool,
}

impl BatchSender {
    fn send(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        self.bytes = 0;
        let next = match self.spare.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(_) => Vec::with_capacity(BATCH),
        };
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.tx
            && tx.send(full).is_err()
        {
            // The writer stopped (its output closed): drop further events.
            self.tx = None;
        }
    }

    /// Send what is left and stop the writer.
    pub fn close(mut self) {
        self.send();
    }
}

impl Drop for BatchSender {
    fn drop(&mut self) {
        self.send();
    }
}

impl Sink for BatchSender {
    fn emit(&mut self, ev: Event) {
        self.bytes += ev.heap_bytes();
        self.batch.push(ev);
        if self.immediate || self.batch.len() >= BATCH || self.bytes >= BATCH_BYTES {
            self.send();
        }
    }
}

/// Run `sink` on its own thread; events sent to the returned sender reach it in order. Joining
/// the handle (after dropping or closing the sender) gives the sink back.
pub fn spawn<S: WriteEvent + Send + 'static>(mut sink: S) -> (BatchSender, JoinHandle<S>) {
    let (tx, rx) = sync_channel::<Vec<Event>>(QUEUE);
    let (back_tx, back_rx) = sync_channel::<Vec<Event>>(QUEUE + 1);
    let handle = std::thread::Builder::new()
        .name("wslens-writer".into())
        .spawn(move || {
            for batch in rx {
                for ev in &batch {
                    sink.write_event(ev);
                }
                let _ = back_tx.try_send(batch);
            }
            sink
        })
        .expect("spawn writer thread");
    let sender = BatchSender {
        batch: Vec::with_capacity(BATCH),
        bytes: 0,
        tx: Some(tx),
        spare: back_rx,
        immediate: false,
    };
    (sender, handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Level, Note};

    #[test]
    fn batches_are_bounded_by_count_and_bytes_and_keep_order() {
        struct Collect(Vec<String>);
        impl WriteEvent for Collect {
            fn write_event(&mut self, ev: &Event) {
                if let Event::Note(n) = ev {
                    self.0.push(n.text.clone());
                }
            }
        }
        let (mut tx, h) = spawn(Collect(Vec::new()));
        let big = "x".repeat(100_000);
        for i in 0..50 {
            let text = if i % 10 == 0 {
                big.clone()
            } else {
                i.to_string()
            };
            tx.emit(Event::Note(Note {
                level: Level::Info,
                code: "t",
                text,
                conn: None,
                pkt: None,
            }));
            assert!(
                tx.bytes < BATCH_BYTES,
                "the byte count restarts with each batch"
            );
        }
        tx.close();
        let got = h.join().unwrap().0;
        assert_eq!(got.len(), 50);
        assert_eq!(got[1], "1");
        assert_eq!(got[49], "49");
    }
}
