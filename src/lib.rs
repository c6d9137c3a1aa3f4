//! wslens: watch a WebSocket conversation happen, layer by layer.
//!
//! Data flows one way: capture → decode (link → IP → TCP flows & reassembly → HTTP → WebSocket)
//! → [`event::Event`]s → views.

pub mod app;
pub mod event;
pub mod fields;
pub mod http;
pub mod limits;
pub mod live;
pub mod tcp;
pub mod ws;
