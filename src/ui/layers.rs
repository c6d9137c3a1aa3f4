//! The field trees and computations the UI shows, as the decoder modules provide them.
//!
//! One place that calls into the decoders, so the views never look at packet bytes themselves.

use crate::event::{FrameHeader, HttpHead};
use crate::fields::Field;

pub use crate::http::AcceptSteps;

/// Link / IP / TCP (or UDP) fields of one packet, with bit spans in its bytes.
pub fn packet_fields(linktype: u32, data: &[u8]) -> Vec<Field> {
    crate::wire::dissect(linktype, data)
}

/// RFC 6455 §5.2 header fields with this frame's values; bits from the frame's first byte.
pub fn frame_fields(h: &FrameHeader) -> Vec<Field> {
    crate::ws::header_fields(h)
}

/// Unmask `buf` in place; `offset` is the position of `buf[0]` in the payload.
pub fn unmask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    crate::ws::unmask(buf, key, offset)
}

/// The Sec-WebSocket-Accept computation, each step kept for display.
pub fn accept_steps(key: &str) -> AcceptSteps {
    crate::http::accept_steps(key)
}

/// The head's start line and headers; bits from the head's first byte.
pub fn http_fields(h: &HttpHead) -> Vec<Field> {
    crate::http::head_fields(h)
}
