//! Views that write events out: NDJSON for scripts, narrated text for people.

pub mod batch;
pub mod json;
pub mod text;
