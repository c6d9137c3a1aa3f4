//! The UI's per-packet index: where each packet's bytes are (in the capture file or the
//! spill file), its time and length, in 20 bytes a packet.

use super::chunked::Chunked;
use super::feed::PacketRec;
use crate::event::PktNum;
use rustc_hash::FxHashMap;

/// Per packet: where its bytes are, its length and time, in 20 bytes. Numbers are dense from
/// the first (where they jump, the jump is kept); link types are kept where they change; an
/// original length longer than the captured one (a snap length) is kept in the slot as the
/// difference, and aside only when that does not fit in 15 bits.
#[derive(Default)]
pub struct PacketIndex {
    /// Offset (48 bits; then 15 bits of original minus captured length, `ORIG_ASIDE` when
    /// kept in `orig`) and "in the capture file" (top bit), time, captured length.
    slots: Chunked<[u32; 5]>,
    first_num: PktNum,
    /// Where numbering jumps (packets a live capture dropped or filtered out): (position,
    /// number there as two halves, unused), one entry per jump, spillable like the slots.
    jumps: Chunked<[u32; 4]>,
    last_num: PktNum,
    /// (first packet index, link type) where the link type changes.
    links: Vec<(u32, u32)>,
    /// Original lengths whose difference from the captured one does not fit in the slot.
    orig: FxHashMap<u32, u32>,
}

/// The slot's 15-bit length difference saying "see `orig`".
const ORIG_ASIDE: u32 = 0x7fff;

impl PacketIndex {
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub(super) fn push(&mut self, p: &PacketRec) {
        let i = self.slots.len() as u32;
        if i == 0 {
            self.first_num = p.num;
        }
        if i > 0 && self.last_num.wrapping_add(1) != p.num {
            self.jumps.push([i, p.num as u32, (p.num >> 32) as u32, 0]);
        }
        self.last_num = p.num;
        if self.links.last().is_none_or(|&(_, l)| l != p.linktype) {
            self.links.push((i, p.linktype));
        }
        let delta = match p.orig_len.checked_sub(p.len) {
            Some(d) if d < ORIG_ASIDE => d,
            _ => {
                self.orig.insert(i, p.orig_len);
                ORIG_ASIDE
            }
        };
        let off = p.off & ((1 << 48) - 1);
        let ts = p.ts_ns as u64;
        self.slots.push([
            off as u32,
            (off >> 32) as u32 | delta << 16 | (u32::from(p.in_file) << 31),
            ts as u32,
            (ts >> 32) as u32,
            p.len,
        ]);
    }

    /// Jump `j`: (position, number there).
    fn jump(&self, j: usize) -> Option<(usize, PktNum)> {
        let e = self.jumps.get(j)?;
        Some((e[0] as usize, u64::from(e[1]) | u64::from(e[2]) << 32))
    }

    /// The dense run holding position or number `key` (`by_num`): its start (position,
    /// number) and its end position.
    fn run(&self, key: u64, by_num: bool) -> Option<(usize, PktNum, usize)> {
        let (mut lo, mut hi) = (0, self.jumps.len());
        // The last jump at or before the key.
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (pos, num) = self.jump(mid)?;
            if (if by_num { num } else { pos as u64 }) <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let start = match lo.checked_sub(1) {
            None => (0, self.first_num),
            Some(j) => self.jump(j)?,
        };
        let end = self.jump(lo).map_or(self.slots.len(), |(p, _)| p);
        Some((start.0, start.1, end))
    }

    fn num_at(&self, i: usize) -> Option<PktNum> {
        let (pos, num, end) = self.run(i as u64, false)?;
        (i < end).then(|| num + (i - pos) as u64)
    }

    /// The position of packet `num`.
    fn find(&self, num: PktNum) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let (pos, first, end) = self.run(num, true)?;
        let i = pos + usize::try_from(num.checked_sub(first)?).ok()?;
        (i < end).then_some(i)
    }

    /// Packet `num`'s record.
    pub fn get(&self, num: PktNum) -> Option<PacketRec> {
        self.at(self.find(num)?)
    }

    /// The record at position `i`.
    pub fn at(&self, i: usize) -> Option<PacketRec> {
        let s = self.slots.get(i)?;
        let len = s[4];
        let li = self.links.partition_point(|&(f, _)| f as usize <= i);
        Some(PacketRec {
            num: self.num_at(i)?,
            ts_ns: (u64::from(s[2]) | u64::from(s[3]) << 32) as i64,
            linktype: self.links.get(li.checked_sub(1)?).map_or(0, |l| l.1),
            orig_len: match s[1] >> 16 & ORIG_ASIDE {
                ORIG_ASIDE => self.orig.get(&(i as u32)).copied().unwrap_or(len),
                d => len + d,
            },
            off: u64::from(s[0]) | u64::from(s[1] & 0xffff) << 32,
            len,
            in_file: s[1] >> 31 == 1,
        })
    }

    /// Write the oldest chunk of entries still in memory out (see [`Chunked::spill_oldest`]).
    pub(super) fn spill_oldest(&mut self, keep: usize) -> usize {
        self.slots.spill_oldest(keep) + self.jumps.spill_oldest(keep)
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.heap_bytes()
            + self.jumps.heap_bytes()
            + self.links.capacity() * 8
            + self.orig.capacity() * 9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(num: PktNum) -> PacketRec {
        PacketRec {
            num,
            ts_ns: num as i64 * 1000,
            linktype: 1,
            orig_len: 60,
            off: num * 100,
            len: 60,
            in_file: true,
        }
    }

    /// Numbers with gaps (a live capture's drops, a filter) are found both ways: by position
    /// and by number, and a number in a gap finds nothing.
    #[test]
    fn numbers_with_gaps_are_found_both_ways() {
        let nums: Vec<PktNum> = [5, 6, 7, 10, 11, 40, 41, 42, 43, 1u64 << 33, (1 << 33) + 1]
            .into_iter()
            .chain(((1u64 << 33) + 5..(1 << 33) + 200_000).step_by(2))
            .collect();
        let mut ix = PacketIndex::default();
        for &n in &nums {
            ix.push(&rec(n));
        }
        assert!(ix.jumps.len() < 100_010, "one entry per jump");
        for (i, &n) in nums.iter().enumerate() {
            assert_eq!(ix.at(i).map(|r| r.num), Some(n), "position {i}");
            assert_eq!(ix.get(n), Some(rec(n)), "number {n}");
        }
        for n in [
            1,
            4,
            8,
            9,
            12,
            39,
            44,
            (1 << 33) + 2,
            (1 << 33) + 6,
            u64::MAX,
        ] {
            assert_eq!(ix.get(n), None, "{n} was not captured");
        }
        let mut dense = PacketIndex::default();
        for n in 1..=1000 {
            dense.push(&rec(n));
        }
        assert_eq!(dense.jumps.len(), 0);
        assert_eq!(dense.get(1000), Some(rec(1000)));
        assert_eq!(dense.get(1001), None);
    }

    /// A capture cut to a snap length keeps each packet's original length in its slot (the
    /// difference), aside only when the difference does not fit; offsets keep all 48 bits.
    #[test]
    fn original_lengths_read_back() {
        let mut ix = PacketIndex::default();
        let cases = [
            (96, 96, 5),
            (96, 1514, 1 << 40),
            (96, 96 + 0x7ffe, (1 << 48) - 1),
            (96, 96 + 0x7fff, 7),
            (262_144, 16_777_216, 8),
            (60, 40, 9),
        ];
        for (n, &(len, orig_len, off)) in cases.iter().enumerate() {
            ix.push(&PacketRec {
                len,
                orig_len,
                off,
                in_file: n % 2 == 0,
                ..rec(n as u64 + 1)
            });
        }
        for (n, &(len, orig_len, off)) in cases.iter().enumerate() {
            let r = ix.at(n).unwrap();
            assert_eq!(
                (r.len, r.orig_len, r.off, r.in_file),
                (len, orig_len, off, n % 2 == 0)
            );
        }
        assert_eq!(
            ix.orig.len(),
            3,
            "only the three that do not fit are kept aside"
        );
    }
}
