//! The teaching layer: narration of events in plain sentences (English and Chinese, from one
//! message catalogue per language), the polling-versus-WebSocket comparison, and diagram export.

mod accept;
pub mod catalog;
pub mod diagram;
mod en;
pub mod narrate;
pub mod stats;
pub mod tls_narration;
mod zh;

pub use catalog::{Lang, Msg};
pub use narrate::{NarrationContext, Narrator, narrate};
