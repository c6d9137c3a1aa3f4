//! Field trees with bit spans: what the detail pane lists and the bytes pane highlights.
//!
//! A decoder that knows a layout describes it once as [`Field`]s whose `bits` are positions in
//! the buffer the tree describes; the views draw trees, highlights and bit diagrams from that.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Short stable name, e.g. `tcp.seq`, `ws.fin`.
    pub name: &'static str,
    /// Human label, e.g. `Sequence number`.
    pub label: &'static str,
    /// The value as shown, e.g. `1 (relative)`, `0x81`, `true`.
    pub value: String,
    /// Position in bits from the start of the described buffer (bytes are multiples of 8).
    pub bits: Range<u64>,
    pub children: Vec<Field>,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, value: String, bits: Range<u64>) -> Self {
        Field {
            name,
            label,
            value,
            bits,
            children: Vec::new(),
        }
    }
    /// A field of whole bytes.
    pub fn bytes(
        name: &'static str,
        label: &'static str,
        value: String,
        bytes: Range<usize>,
    ) -> Self {
        Self::new(
            name,
            label,
            value,
            bytes.start as u64 * 8..bytes.end as u64 * 8,
        )
    }
    pub fn with_children(mut self, children: Vec<Field>) -> Self {
        self.children = children;
        self
    }
    /// The bytes this field touches.
    pub fn byte_range(&self) -> Range<usize> {
        (self.bits.start / 8) as usize..self.bits.end.div_ceil(8) as usize
    }
}
