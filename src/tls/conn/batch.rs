//! Performance machinery (split from `conn.rs`): the protected records of one data call, once
//! a direction is in its steady state (application keys, nothing failed), are gathered into a
//! run. Large runs are opened on two cores: the later half goes to the helper thread
//! ([`crate::tls::parallel`]) while this thread opens and passes up the earlier half; then the
//! helper's records are passed up. Every record still goes through `protected_record` one by
//! one, in order, so what the layer means (tags verified before anything is passed up, alerts,
//! KeyUpdate, notes) is the same as for a single record; a record opened ahead is used only if
//! the keys and sequence number it was opened with are still the ones in use.

use super::{Stage, TlsConn, Upper};
use crate::event::{Sink, TlsRecordHeader};
use crate::tcp::StreamCtx;
use crate::tls::parallel;
use crate::tls::record::Record;
use std::ops::Range;

/// A run worth sharing with the helper: at least this many bytes of records...
const PARALLEL_BYTES: usize = 24 * 1024;
/// ...and at most this many records in one run (its bytes are held while it is gathered).
const MAX_RUN: usize = 32;

/// Where a gathered record's body lies.
enum Body {
    /// In the data call's bytes.
    Data(Range<usize>),
    /// Copied into `Run::held` (the record straddled data calls: its bytes lived in the
    /// record layer's buffer only during the callback).
    Held,
}

struct Pending {
    header: TlsRecordHeader,
    raw: [u8; 5],
    body: Body,
}

#[derive(Default)]
pub(super) struct Run {
    pending: Vec<Pending>,
    held: Vec<u8>,
    bytes: usize,
}

impl Run {
    fn body<'a>(&'a self, p: &Pending, data: &'a [u8]) -> &'a [u8] {
        match &p.body {
            Body::Data(r) => &data[r.clone()],
            Body::Held => &self.held,
        }
    }
}

impl TlsConn {
    /// Gather a protected record into the direction's run, if the direction is in its steady
    /// state and a second core can help. False: handle it at once.
    pub(super) fn run_push(&mut self, d: usize, r: &Record<'_>, data: &[u8]) -> bool {
        let s = &mut self.sides[d];
        if s.stage != Stage::App || s.keys.is_none() || s.failed || !parallel::available() {
            return false;
        }
        if s.run.pending.len() >= MAX_RUN {
            return false;
        }
        let start = (r.body.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
        let body = if start <= data.len() && r.body.len() <= data.len() - start {
            Body::Data(start..start + r.body.len())
        } else if s.run.pending.is_empty() {
            s.run.held.clear();
            s.run.held.extend_from_slice(r.body);
            Body::Held
        } else {
            return false;
        };
        s.run.bytes += r.body.len();
        s.run.pending.push(Pending {
            header: r.header,
            raw: r.raw_header,
            body,
        });
        true
    }

    /// Open and pass up the gathered records of direction `cx.dir`, in order.
    pub(super) fn run_flush(
        &mut self,
        cx: StreamCtx,
        data: &[u8],
        sink: &mut dyn Sink,
        up: &mut dyn Upper,
    ) {
        let d = cx.dir.idx();
        if self.sides[d].run.pending.is_empty() {
            return;
        }
        let mut run = std::mem::take(&mut self.sides[d].run);
        let n = run.pending.len();
        // The later records (about half the bytes) go to the helper.
        let mut split = n;
        let mut flight = None;
        let generation = self.sides[d].generation;
        let seq0 = self.sides[d].keys.as_ref().map_or(0, |k| k.seq);
        if n >= 2
            && run.bytes >= PARALLEL_BYTES
            && let Some(keys) = &self.sides[d].keys
            && let Some(mut j) = parallel::take_job()
        {
            let mut later = 0;
            split = n;
            while split > 1 && 2 * later < run.bytes {
                split -= 1;
                later += run.body(&run.pending[split], data).len();
            }
            j.reset(keys.clone(), seq0 + split as u64);
            for p in &run.pending[split..] {
                j.push(p.raw, run.body(p, data));
            }
            // SAFETY: the bodies lie in `data` or in `run.held`; both outlive `flight`, which
            // is waited for below (or, when unwinding, dropped) before `run` is put back.
            flight = unsafe { parallel::send(j, data) };
            if flight.is_none() {
                split = n;
            }
        }
        for p in &run.pending[..split] {
            let r = Record {
                header: p.header,
                raw_header: p.raw,
                body: run.body(p, data),
            };
            self.protected_record(cx, &r, None, sink, up);
        }
        if let Some(flight) = flight {
            let mut done = flight.wait();
            for (i, p) in run.pending[split..].iter().enumerate() {
                let r = Record {
                    header: p.header,
                    raw_header: p.raw,
                    body: run.body(p, data),
                };
                let s = &self.sides[d];
                // Opened ahead with the keys and sequence number in use now? (A KeyUpdate or a
                // failure among the earlier records changes them: then open it here.)
                let current = s.generation == generation
                    && !s.failed
                    && s.keys
                        .as_ref()
                        .is_some_and(|k| k.seq == seq0 + (split + i) as u64);
                let ahead = match done.as_mut().and_then(|j| j.outs.get_mut(i)) {
                    Some((Some(ty), buf)) if current => Some((*ty, buf)),
                    _ => None,
                };
                self.protected_record(cx, &r, ahead, sink, up);
            }
            if let Some(j) = done {
                parallel::give_back(j);
            }
        }
        // Every open connection keeps its (empty) run: the straddling record's copy is freed
        // (with thousands of connections 16 KiB each would add up), the list kept small.
        run.pending.clear();
        run.pending.shrink_to(4);
        run.held = Vec::new();
        run.bytes = 0;
        self.sides[d].run = run;
    }
}
