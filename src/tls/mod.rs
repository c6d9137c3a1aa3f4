//! TLS, between TCP reassembly and HTTP: records, the handshake in clear (what any observer
//! sees), and — with a key log — the decrypted stream handed to the same HTTP and WebSocket
//! decoders as ws://.
//!
//! - [`record`]: cutting a direction's stream into records, resynchronising after gaps;
//! - [`handshake`]: handshake messages read with tls-parser into `tls` events;
//! - [`keylog`]: the NSS key log (file, `SSLKEYLOGFILE`, pcapng Decryption Secrets Blocks);
//! - [`crypto`]: TLS 1.3 / 1.2 key derivation (RustCrypto) and AEAD record opening (ring);
//! - [`conn`]: one connection's state machine tying these together;
//!
//! A connection is recognised as TLS by content (a ClientHello record), on any port; other
//! connections never reach this module.

pub mod conn;
pub mod crypto;
pub mod fields;
pub mod handshake;
pub mod keylog;
pub mod record;

pub use conn::{TlsConn, Upper};
pub use keylog::{KeyStore, Secrets};
pub use record::looks_like_client_hello;

/// The pcapng Decryption Secrets Block type for TLS key logs ("TLSK").
pub const DSB_TLS_KEY_LOG: u32 = 0x544c_534b;
