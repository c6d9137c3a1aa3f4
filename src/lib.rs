//! wslens: watch a WebSocket conversation happen, layer by layer.
//!
//! Data flows one way: capture → decode (link → IP → TCP flows & reassembly → HTTP → WebSocket)
//! → [`event::Event`]s → views.

pub mod app;
pub mod appproto;
pub mod capture;
pub mod decoder;
pub mod event;
pub mod export;
pub mod fields;
pub mod filter;
pub mod http;
pub mod interned;
pub mod ladder;
pub mod limits;
pub mod live;
pub mod output;
pub mod payload;
pub mod sha;
pub mod tail;
pub mod tcp;
pub mod teach;
pub mod text;
pub mod tls;
pub mod ui;
pub mod wire;
pub mod ws;
