//! HTTP/1.x heads on any port (recognised by content) and the WebSocket upgrade check.
//!
//! [`HttpStream`] follows one direction: heads are buffered (bounded) until `httparse` says they
//! are complete, bodies are skipped by Content-Length or the chunked coding without being kept.
//! The application layer (`crate::app`) pairs requests with responses and decides upgrades with
//! [`check_upgrade`].

mod accept;
mod chunked;
mod fields;
mod head;
mod stream;
mod upgrade;

pub use accept::{AcceptSteps, accept_steps, expected_accept, key_is_valid};
pub use chunked::{ChunkStep, Chunked};
pub use fields::head_fields;
pub use head::{HeadError, ParsedHead, Sniff, parse_head, sniff};
pub use stream::{Body, HttpStream, Problem, Step, request_body, response_body};
pub use upgrade::{asks_upgrade, check_upgrade, has_token, is_ws_attempt, joined, parse_deflate};

/// The GUID of RFC 6455 §1.3, appended to the key before hashing.
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

#[cfg(test)]
mod tests;
