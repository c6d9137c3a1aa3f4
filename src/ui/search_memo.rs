//! Which events matched the current search, remembered once tested: a search tests every
//! label of a connection (each read back from the spill file and formatted), and finding the
//! neighbouring match, refreshing the ladder and keeping the cursor's place each test them
//! again. Two bits per event, only while a search is active.

use super::model::LayerFilter;
use crate::teach::Lang;

/// What a label, and so a match, depends on besides the search, the event and its linked
/// events.
#[derive(Clone, Copy, PartialEq)]
pub struct MemoKey {
    pub raw_seq: bool,
    pub per_layer: bool,
    pub lang: Lang,
    pub layer: LayerFilter,
}

#[derive(Default)]
pub struct SearchMemo {
    key: Option<(String, MemoKey)>,
    known: Vec<u64>,
    hit: Vec<u64>,
}

/// Events remembered at most (16 MiB of bits): beyond, they are tested every time.
const MAX_EVENTS: usize = 1 << 26;
/// Links between rows are set on recent events: when events arrive, the results for the
/// newest this many are forgotten, since their labels may still change.
const UNSETTLED: usize = 1 << 16;

impl SearchMemo {
    /// The remembered result for event `idx` under `key`, if any.
    pub fn get(&self, search: &str, key: MemoKey, idx: usize) -> Option<bool> {
        if !self.is_for(search, key) {
            return None;
        }
        let (w, b) = (idx / 64, 1u64 << (idx % 64));
        (self.known.get(w)? & b != 0).then(|| self.hit[w] & b != 0)
    }

    fn is_for(&self, search: &str, key: MemoKey) -> bool {
        self.key
            .as_ref()
            .is_some_and(|(s, k)| s == search && *k == key)
    }

    pub fn put(&mut self, search: &str, key: MemoKey, idx: usize, hit: bool) {
        if idx >= MAX_EVENTS {
            return;
        }
        if !self.is_for(search, key) {
            *self = SearchMemo {
                key: Some((search.to_string(), key)),
                ..SearchMemo::default()
            };
        }
        let (w, b) = (idx / 64, 1u64 << (idx % 64));
        if self.known.len() <= w {
            self.known.resize(w + 1, 0);
            self.hit.resize(w + 1, 0);
        }
        self.known[w] |= b;
        if hit {
            self.hit[w] |= b;
        } else {
            self.hit[w] &= !b;
        }
    }

    /// Events arrived after the first `before`: forget the results that may change.
    pub fn events_arrived(&mut self, before: usize) {
        let w = before.saturating_sub(UNSETTLED) / 64;
        self.known.truncate(w);
        self.hit.truncate(w);
    }

    /// The search ended: let go of the bits.
    pub fn clear(&mut self) {
        *self = SearchMemo::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: MemoKey = MemoKey {
        raw_seq: false,
        per_layer: false,
        lang: Lang::En,
        layer: LayerFilter::All,
    };

    #[test]
    fn remembers_per_key_and_forgets_the_unsettled() {
        let mut m = SearchMemo::default();
        for i in 0..200_000 {
            m.put("ping", K, i, i % 3 == 0);
        }
        assert_eq!(m.get("ping", K, 99_999), Some(true));
        assert_eq!(m.get("ping", K, 100_000), Some(false));
        assert_eq!(
            m.get("pong", K, 99_999),
            None,
            "another search knows nothing"
        );
        let raw = MemoKey { raw_seq: true, ..K };
        assert_eq!(m.get("ping", raw, 99_999), None, "labels drawn otherwise");
        m.events_arrived(200_000);
        assert_eq!(m.get("ping", K, 100_000), Some(false), "settled");
        assert_eq!(
            m.get("ping", K, 199_999),
            None,
            "among the newest: tested again"
        );
        m.put("pong", K, 5, true);
        assert_eq!(m.get("ping", K, 3), None, "a new search starts afresh");
        assert_eq!(m.get("pong", K, 5), Some(true));
    }
}
