//! HTTP/1.x heads on any port (recognised by content) and the WebSocket upgrade check.

/// The GUID of RFC 6455 §1.3, appended to the key before hashing.
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
