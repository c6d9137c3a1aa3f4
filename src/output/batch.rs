//! Writing events on another thread: the decoder fills batches, a writer thread encodes and
//! writes them, so formatting output uses the second core instead of slowing the decoder.

use crate::event::{Event, Sink};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

const BATCH: usize = 4096;
/// Batches in flight: bounds memory when the output is slower than the decoder.
const QUEUE: usize = 4;

pub struct BatchSender {
    batch: Vec<Event>,
    tx: Option<SyncSender<Vec<Event>>>,
    /// Emptied batches coming back, so their memory is reused instead of faulted in anew.
    spare: Receiver<Vec<Event>>,
    /// Flush every event at once (live capture) instead of in batches.
    pub immediate: bool,
}

impl BatchSender {
    fn send(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
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
        self.batch.push(ev);
        if self.immediate || self.batch.len() >= BATCH {
            self.send();
        }
    }
}

/// Run `sink` on its own thread; events sent to the returned sender reach it in order. Joining
/// the handle (after dropping or closing the sender) gives the sink back.
pub fn spawn<S: Sink + Send + 'static>(mut sink: S) -> (BatchSender, JoinHandle<S>) {
    let (tx, rx) = sync_channel::<Vec<Event>>(QUEUE);
    let (back_tx, back_rx) = sync_channel::<Vec<Event>>(QUEUE + 1);
    let handle = std::thread::Builder::new()
        .name("wslens-writer".into())
        .spawn(move || {
            for mut batch in rx {
                for ev in batch.drain(..) {
                    sink.emit(ev);
                }
                let _ = back_tx.try_send(batch);
            }
            sink
        })
        .expect("spawn writer thread");
    let sender = BatchSender {
        batch: Vec::with_capacity(BATCH),
        tx: Some(tx),
        spare: back_rx,
        immediate: false,
    };
    (sender, handle)
}
