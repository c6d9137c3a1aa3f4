//! The teaching layer: narration of events in plain sentences (English and Chinese, from one
//! message catalogue per language), the polling-versus-WebSocket comparison, and diagram export.

mod above_ws;
mod accept;
pub mod app_words;
pub mod catalog;
pub mod chapters;
pub mod decoder_words;
pub mod diagram;
mod en;
pub mod labels;
pub mod narrate;
mod proto_narration;
pub mod quiz;
pub mod stats;
mod stats_render;
mod stomp_narration;
pub mod tls_narration;
pub mod tls_words;
pub mod worksheet;
mod zh;

pub use catalog::{Lang, Msg};
pub use narrate::{NarrationContext, Narrator, narrate};
