//! `demo --tls`: the same two peers speaking wss://. rustls (with the pure-Rust-plus-assembly
//! `ring` provider) on both ends, a self-signed certificate made at start by rcgen, and a key
//! log written by the peers themselves (rustls's `KeyLog`): each line goes at once to the
//! decoder's key store, to the recording (a Decryption Secrets Block before the next packet)
//! and, when asked, to a file. The server logs a secret while it builds its flight, before the
//! records it protects are written: the keys are always ahead of the packets they open.

use super::Res;
use crate::live::SecretsFeed;
use crate::tls::KeyStore;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName};
use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};

/// The name the client asks for (SNI) and the certificate is made out to.
pub const SERVER_NAME: &str = "localhost";

/// Where the peers' key log lines go.
#[derive(Default)]
pub struct KeySinks {
    /// The decoder's store: the conversation is shown decrypted as it happens.
    pub store: KeyStore,
    /// The recording (`--record`), when there is one.
    pub record: Option<SecretsFeed>,
    /// `--keylog FILE`, already created (0600, not through a symbolic link).
    pub file: Option<std::fs::File>,
}

/// rustls's key log for both peers: NSS lines, each written once (both ends log the same
/// secrets).
struct DemoKeyLog {
    store: KeyStore,
    record: Option<SecretsFeed>,
    inner: Mutex<(HashSet<String>, Option<std::fs::File>)>,
}

impl std::fmt::Debug for DemoKeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoKeyLog")
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl rustls::KeyLog for DemoKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !g.0.insert(line.clone()) {
            return;
        }
        self.store.add_text(line.as_bytes());
        if let Some(r) = &self.record {
            r.push(line.as_bytes());
        }
        if let Some(f) = &mut g.1 {
            // A full disk must not stop the lesson: the keys are in memory all the same.
            let _ = f.write_all(line.as_bytes()).and_then(|_| f.flush());
        }
    }
}

/// Both peers' TLS configurations, sharing one certificate and one key log.
pub struct DemoTls {
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
}

impl DemoTls {
    /// A fresh self-signed certificate (ECDSA P-256, CN and SAN `localhost`, SAN 127.0.0.1)
    /// that the client trusts and nothing else does.
    pub fn new(keys: KeySinks) -> Res<DemoTls> {
        let key = rcgen::KeyPair::generate()?;
        let mut params =
            rcgen::CertificateParams::new(vec![SERVER_NAME.to_string(), "127.0.0.1".to_string()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, SERVER_NAME);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "wslens demo (self-signed)");
        let cert = params.self_signed(&key)?;
        let cert_der: CertificateDer<'static> = cert.der().clone();
        let key_der = PrivatePkcs8KeyDer::from(key.serialize_der());

        let log: Arc<dyn rustls::KeyLog> = Arc::new(DemoKeyLog {
            store: keys.store,
            record: keys.record,
            inner: Mutex::new((HashSet::new(), keys.file)),
        });
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone()], key_der.into())?;
        server.key_log = log.clone();
        // No session tickets after the handshake: one connection, nothing to resume, and
        // fewer records for a class to wonder about.
        server.send_tls13_tickets = 0;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert_der)?;
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.key_log = log;
        client.resumption = rustls::client::Resumption::disabled();
        Ok(DemoTls {
            server: Arc::new(server),
            client: Arc::new(client),
        })
    }

    /// The client's TLS handshake on a connected socket, to its end.
    pub fn client(&self, mut sock: TcpStream) -> Res<TlsClient> {
        let name = ServerName::try_from(SERVER_NAME)?.to_owned();
        let mut conn = rustls::ClientConnection::new(self.client.clone(), name)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        Ok(rustls::StreamOwned::new(conn, sock))
    }

    /// The server's TLS handshake on an accepted socket, to its end.
    pub fn server(&self, mut sock: TcpStream) -> Res<TlsServer> {
        let mut conn = rustls::ServerConnection::new(self.server.clone())?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        Ok(rustls::StreamOwned::new(conn, sock))
    }
}

pub type TlsClient = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;
pub type TlsServer = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

/// What a peer talks over: plain TCP (ws://) or TLS over TCP (wss://).
pub trait Wire: Read + Write {
    /// Nothing more will be sent: TLS says so first (close_notify), then TCP (FIN).
    fn close_write(&mut self) -> io::Result<()>;
    fn tcp(&self) -> &TcpStream;
}

impl Wire for TcpStream {
    fn close_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
    fn tcp(&self) -> &TcpStream {
        self
    }
}

macro_rules! tls_wire {
    ($t:ty) => {
        impl Wire for $t {
            fn close_write(&mut self) -> io::Result<()> {
                self.conn.send_close_notify();
                self.flush()?;
                self.sock.shutdown(Shutdown::Write)
            }
            fn tcp(&self) -> &TcpStream {
                &self.sock
            }
        }
    };
}
tls_wire!(TlsClient);
tls_wire!(TlsServer);

/// Read to the end of what the other side sends (bounded), ignoring how it ends: a peer
/// that closes TCP without TLS's close_notify is done all the same.
pub fn drain(w: &mut impl Read, max: u64) {
    let _ = io::copy(&mut w.take(max), &mut io::sink());
}
