//! The teaching layer: narration of events in plain sentences (English and Chinese, from one
//! message catalogue per language), the polling-versus-WebSocket comparison, and diagram export.

mod above_ws;
mod accept;
pub mod catalog;
pub mod diagram;
mod en;
pub mod narrate;
pub mod stats;
mod stats_render;
mod zh;

pub use catalog::{Lang, Msg};
pub use narrate::{NarrationContext, Narrator, narrate};
