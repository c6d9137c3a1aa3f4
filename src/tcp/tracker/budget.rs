//! The memory budget over open connections' decoding state (`Limits::memory_budget`): each
//! flow's state is counted after every segment, and over the budget the longest-idle
//! connections stop being decoded.

use super::Tracker;
use crate::event::*;
use crate::tcp::StreamHandler;

impl<H: StreamHandler> Tracker<H> {
    /// Bytes of decoding state held now by the connections being followed (the figure held to
    /// `Limits::memory_budget`): inflate windows, out-of-order segments, held HTTP bytes,
    /// previews. A closed connection holds none.
    pub fn state_bytes(&self) -> usize {
        self.mem
    }

    /// The highest [`Tracker::state_bytes`] so far.
    pub fn state_bytes_peak(&self) -> usize {
        self.mem_peak
    }

    /// Connections whose decoding stopped because the memory budget was reached.
    pub fn budget_evictions(&self) -> u64 {
        self.budget_evictions
    }

    /// Count a flow's state again after it changed; evict idle ones when over the budget.
    pub(super) fn account(&mut self, slot: usize, pkt: PktNum, sink: &mut dyn Sink) {
        let Some(f) = self.slots[slot].as_mut() else {
            return;
        };
        let now = if f.closed {
            0
        } else {
            f.tcp.reasm[0].held_bytes() + f.tcp.reasm[1].held_bytes() + self.handler.mem(&f.app)
        };
        self.mem = self.mem - f.mem + now;
        f.mem = now;
        if self.mem > self.limits.memory_budget {
            self.over_budget(slot, pkt, sink);
        }
        self.mem_peak = self.mem_peak.max(self.mem);
    }

    /// Over the memory budget: stop decoding the longest-idle connections (the current one
    /// last) until an eighth of the budget is free again, so that eviction, which sorts the
    /// open connections, happens seldom.
    fn over_budget(&mut self, current: usize, pkt: PktNum, sink: &mut dyn Sink) {
        let budget = self.limits.memory_budget;
        let target = budget - budget / 8;
        let mut idle: Vec<(PktNum, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                f.as_ref()
                    .filter(|f| f.mem > 0 && i != current)
                    .map(|f| (f.last_pkt, i))
            })
            .collect();
        idle.sort_unstable();
        idle.push((pkt, current));
        for (_, slot) in idle {
            if self.mem <= target {
                break;
            }
            let Some(f) = self.slots[slot].as_mut() else {
                continue;
            };
            let id = f.id;
            Self::close(&mut self.handler, f, CloseHow::Incomplete, sink);
            self.mem -= std::mem::take(&mut f.mem);
            self.budget_evictions += 1;
            sink.emit(Event::Note(Note {
                level: Level::Warn,
                code: "memory-budget",
                text: format!(
                    "the open connections' decoding state reached the memory budget of {}: \
                     stopped decoding connection {id}, idle the longest (its packets are still \
                     listed); raise the budget with `wslens decode --memory-budget SIZE` (e.g. 1G)",
                    human_bytes(budget)
                ),
                conn: Some(id),
                pkt: Some(pkt),
            }));
        }
    }
}

/// A byte count as people read it: "256 MiB", "1.5 GiB", "4096 bytes".
fn human_bytes(n: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            return if n.is_multiple_of(size) {
                format!("{} {unit}", n / size)
            } else {
                format!("{:.1} {unit}", n as f64 / size as f64)
            };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_counts_read_as_people_write_them() {
        assert_eq!(super::human_bytes(256 << 20), "256 MiB");
        assert_eq!(super::human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(super::human_bytes(4096), "4 KiB");
        assert_eq!(super::human_bytes(1000), "1000 bytes");
    }
}
