//! The UI's per-packet index: where each packet's bytes are (in the capture file or the
//! spill file), its time and length, in 20 bytes a packet.

use super::chunked::Chunked;
use super::feed::PacketRec;
use crate::event::PktNum;
use rustc_hash::FxHashMap;

/// Per packet: where its bytes are, its length and time, in 20 bytes. Numbers are dense from
/// the first (a source that skips numbers gets them stored); link types and original lengths
/// that differ from the captured one are rare and kept aside.
#[derive(Default)]
pub struct PacketIndex {
    /// Offset (48 bits) and "in the capture file" (top bit), time, captured length.
    slots: Chunked<[u32; 5]>,
    first_num: PktNum,
    /// Every packet's number, once one was not the previous + 1.
    nums: Option<Vec<PktNum>>,
    /// (first packet index, link type) where the link type changes.
    links: Vec<(u32, u32)>,
    /// Original lengths that are not the captured length.
    orig: FxHashMap<u32, u32>,
}

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
        let dense = self.first_num.wrapping_add(u64::from(i));
        if self.nums.is_none() && p.num != dense {
            self.nums = Some((0..u64::from(i)).map(|k| self.first_num + k).collect());
        }
        if let Some(n) = &mut self.nums {
            n.push(p.num);
        }
        if self.links.last().is_none_or(|&(_, l)| l != p.linktype) {
            self.links.push((i, p.linktype));
        }
        if p.orig_len != p.len {
            self.orig.insert(i, p.orig_len);
        }
        let off = p.off & ((1 << 48) - 1);
        let ts = p.ts_ns as u64;
        self.slots.push([
            off as u32,
            (off >> 32) as u32 | (u32::from(p.in_file) << 31),
            ts as u32,
            (ts >> 32) as u32,
            p.len,
        ]);
    }

    /// The position of packet `num`.
    fn find(&self, num: PktNum) -> Option<usize> {
        match &self.nums {
            None => {
                let i = usize::try_from(num.checked_sub(self.first_num)?).ok()?;
                (i < self.slots.len()).then_some(i)
            }
            Some(n) => n.binary_search(&num).ok(),
        }
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
            num: match &self.nums {
                None => self.first_num + i as u64,
                Some(n) => n[i],
            },
            ts_ns: (u64::from(s[2]) | u64::from(s[3]) << 32) as i64,
            linktype: self.links.get(li.checked_sub(1)?).map_or(0, |l| l.1),
            orig_len: self.orig.get(&(i as u32)).copied().unwrap_or(len),
            off: u64::from(s[0]) | u64::from(s[1] & 0x7fff_ffff) << 32,
            len,
            in_file: s[1] >> 31 == 1,
        })
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.heap_bytes()
            + self.nums.as_ref().map_or(0, |n| n.capacity() * 8)
            + self.links.capacity() * 8
            + self.orig.capacity() * 9
    }
}
