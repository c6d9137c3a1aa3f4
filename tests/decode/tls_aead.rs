//! The record AEAD (ring, `wslens::tls::crypto`) checked against a second implementation
//! (RustCrypto's `aes-gcm` and `chacha20poly1305`) on real TLS 1.3 records of the recordings:
//! every application record of both directions opens to the same inner plaintext and content
//! type, and a record changed in its ciphertext, its tag or its header (the AAD), or opened at
//! another sequence number, fails under both and gives back no plaintext.

use crate::common::capture;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use std::path::Path;
use wslens::tls::crypto::{AeadAlg, Cipher, DirKeys, HashAlg, expand_label};

/// Each direction's TCP payload of the recording's first connection: [client's, server's]
/// (loopback recordings: in order; a segment repeated is skipped by its sequence number).
fn tcp_streams(path: &Path, server_port: u16) -> [Vec<u8>; 2] {
    let pcap = std::fs::read(path).unwrap();
    let mut out: [Vec<u8>; 2] = Default::default();
    let mut client_port = None;
    let mut next: [Option<u32>; 2] = [None, None];
    wslens::capture::read_bytes(&pcap, |p| {
        let s = etherparse::SlicedPacket::from_ethernet(p.data).unwrap();
        if let Some(etherparse::TransportSlice::Tcp(t)) = s.transport {
            let d = usize::from(t.destination_port() != server_port);
            let client = if d == 0 {
                t.source_port()
            } else {
                t.destination_port()
            };
            if *client_port.get_or_insert(client) != client {
                return;
            }
            let seq = t.sequence_number();
            let expect = next[d].get_or_insert(seq.wrapping_add(u32::from(t.syn())));
            if t.payload().is_empty() || seq != *expect {
                return;
            }
            *expect = seq.wrapping_add(t.payload().len() as u32);
            out[d].extend_from_slice(t.payload());
        }
    })
    .unwrap();
    out
}

/// The stream's records of type application_data (TLS 1.3's protected records): (header, body).
fn protected_records(stream: &[u8]) -> Vec<([u8; 5], &[u8])> {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        let header: [u8; 5] = rest[..5].try_into().unwrap();
        let body = &rest[5..5 + len];
        if header[0] == 23 {
            out.push((header, body));
        }
        rest = &rest[5 + len..];
    }
    assert!(rest.is_empty(), "the recording ends on a record boundary");
    out
}

fn secret(keylog: &str, label: &str) -> Vec<u8> {
    let line = keylog
        .lines()
        .find(|l| l.starts_with(&format!("{label} ")))
        .unwrap();
    let hex = line.rsplit(' ').next().unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// RustCrypto's opening of a TLS 1.3 record: the inner plaintext with its type and padding.
fn rustcrypto_open(
    alg: AeadAlg,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    sealed: &[u8],
) -> Option<Vec<u8>> {
    let (ct, tag) = sealed.split_at(sealed.len() - 16);
    let tag: &[u8; 16] = tag.try_into().unwrap();
    let mut out = vec![0; ct.len()];
    let buf = InOutBuf::new(ct, &mut out[..]).unwrap();
    let ok = match alg {
        AeadAlg::Aes128Gcm => aes_gcm::Aes128Gcm::new_from_slice(key)
            .unwrap()
            .decrypt_inout_detached(nonce.into(), aad, buf, tag.into())
            .is_ok(),
        AeadAlg::Aes256Gcm => aes_gcm::Aes256Gcm::new_from_slice(key)
            .unwrap()
            .decrypt_inout_detached(nonce.into(), aad, buf, tag.into())
            .is_ok(),
        AeadAlg::ChaCha20Poly1305 => chacha20poly1305::ChaCha20Poly1305::new_from_slice(key)
            .unwrap()
            .decrypt_inout_detached(nonce.into(), aad, buf, tag.into())
            .is_ok(),
    };
    ok.then_some(out)
}

#[test]
fn ring_opens_real_records_as_rustcrypto_does_and_rejects_tampered_ones() {
    let cases = [
        ("tls13-python", 8443, AeadAlg::Aes256Gcm, HashAlg::Sha384),
        ("tls13-node", 8446, AeadAlg::Aes128Gcm, HashAlg::Sha256),
        (
            "tls13-chacha",
            8447,
            AeadAlg::ChaCha20Poly1305,
            HashAlg::Sha256,
        ),
    ];
    for (name, port, alg, hash) in cases {
        // The large recordings are kept only as pcapng.
        let mut path = capture(&format!("{name}.pcap"));
        if !path.exists() {
            path = capture(&format!("{name}.pcapng"));
        }
        let streams = tcp_streams(&path, port);
        let keylog = std::fs::read_to_string(capture(&format!("{name}.keys"))).unwrap();
        for (d, label) in ["CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"]
            .into_iter()
            .enumerate()
        {
            let secret = secret(&keylog, label);
            let keys = DirKeys::tls13(alg, hash, &secret).unwrap();
            let key = expand_label(hash, &secret, "key", alg.key_len()).unwrap();
            let iv = expand_label(hash, &secret, "iv", 12).unwrap();
            let records = protected_records(&streams[d]);
            // The handshake's own protected records come first, under the handshake keys.
            let mut out = Vec::new();
            let first = records
                .iter()
                .position(|(h, b)| keys.open_at(0, h, b, &mut out).is_some())
                .unwrap_or_else(|| panic!("{name} {label}: no record opens"));
            let app = &records[first..];
            assert!(app.len() >= 10, "{name} {label}: {} records", app.len());
            let mut plain_bytes = 0;
            for (seq, (header, body)) in app.iter().enumerate() {
                let seq = seq as u64;
                let mut nonce: [u8; 12] = iv.clone().try_into().unwrap();
                for (b, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                    *b ^= s;
                }
                let mut theirs = rustcrypto_open(alg, &key, &nonce, header, body)
                    .unwrap_or_else(|| panic!("{name} {label} #{seq}: RustCrypto fails"));
                let end = theirs.iter().rposition(|&b| b != 0).unwrap();
                let ty = theirs[end];
                theirs.truncate(end);
                let ours = keys.open_at(seq, header, body, &mut out);
                assert_eq!(ours, Some(ty), "{name} {label} #{seq}");
                assert!(out == theirs, "{name} {label} #{seq}: the same plaintext");
                plain_bytes += out.len();

                // Tampered: one bit of the ciphertext, of the tag, of the header; the wrong
                // sequence number. Both implementations refuse, and ours gives back nothing.
                let mut bad_body = body.to_vec();
                bad_body[0] ^= 1;
                let mut bad_tag = body.to_vec();
                *bad_tag.last_mut().unwrap() ^= 0x80;
                let mut bad_header = *header;
                bad_header[4] ^= 1;
                for (what, h, b, s) in [
                    ("ciphertext", header, &bad_body[..], seq),
                    ("tag", header, &bad_tag[..], seq),
                    ("header", &bad_header, &body[..], seq),
                    ("sequence number", header, &body[..], seq + 1),
                ] {
                    out = vec![0xaa; 100];
                    assert_eq!(
                        keys.open_at(s, h, b, &mut out),
                        None,
                        "{name} #{seq}: {what}"
                    );
                    assert!(
                        out.is_empty(),
                        "{name} #{seq}: no plaintext when the {what} is changed"
                    );
                    let mut n = iv.clone();
                    for (x, y) in n[4..].iter_mut().zip(s.to_be_bytes()) {
                        *x ^= y;
                    }
                    let n: [u8; 12] = n.try_into().unwrap();
                    assert!(
                        rustcrypto_open(alg, &key, &n, h, b).is_none(),
                        "{name}: {what}"
                    );
                }
            }
            assert!(plain_bytes > 1000, "{name} {label}: {plain_bytes} bytes");
        }
    }
}

/// Too short to hold a tag: refused, not a panic.
#[test]
fn a_record_shorter_than_a_tag_is_refused() {
    let c = Cipher::new(AeadAlg::Aes256Gcm, &[7; 32]).unwrap();
    let mut out = vec![1, 2, 3];
    assert!(!c.open(&[0; 12], b"hdr", &[0; 15], &mut out));
    assert!(out.is_empty());
    assert!(!c.open(&[0; 12], b"hdr", &[0; 16], &mut out));
}
