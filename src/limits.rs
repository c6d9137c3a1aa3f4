//! Every bound the decoders respect, in one place, so hostile input can never make memory grow
//! with the length of the file. Each limit that is hit becomes a `note` event.

#[derive(Clone, Debug)]
pub struct Limits {
    /// Bytes held per direction while waiting for a hole in the TCP stream to fill.
    pub stream_buffer: usize,
    /// Out-of-order segments held per direction.
    pub ooo_segments: usize,
    /// Connections tracked at once; beyond it the longest-idle one is evicted.
    pub connections: usize,
    /// Longest HTTP head (request/status line and headers).
    pub http_head: usize,
    /// Most headers in one HTTP head.
    pub http_headers: usize,
    /// Payload bytes of a message kept for its `text`/`data` preview (the hash always covers all).
    pub message_preview: usize,
    /// Bytes of a binary message kept for its `data` preview.
    pub binary_preview: usize,
    /// Inflated bytes allowed per message before inflating stops (a decompression bomb).
    pub inflate_per_message: u64,
    /// Masked payload bytes copied into each `ws_frame` event for the UI (0 = none).
    pub frame_preview: usize,
    /// Bytes of decoding state (inflate windows, out-of-order segments, held HTTP bytes,
    /// previews) of all open connections together; beyond it the longest-idle connections stop
    /// being decoded (see docs/security.md).
    pub memory_budget: usize,
}

/// The default [`Limits::memory_budget`]: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 256 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            stream_buffer: 4 << 20,
            ooo_segments: 1024,
            connections: 65_536,
            http_head: 64 << 10,
            http_headers: 128,
            message_preview: 64 << 10,
            binary_preview: 256,
            inflate_per_message: 1 << 30,
            frame_preview: 0,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }
}
