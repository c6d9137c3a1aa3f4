//! The key schedule glue and record decryption (nothing cryptographic is written here): TLS
//! 1.3's HKDF-Expand-Label (RFC 8446 §7.1) and TLS 1.2's PRF (RFC 5246 §5, P_hash over HMAC) on
//! RustCrypto's HMAC and HKDF, and AEAD record opening for AES-GCM and ChaCha20-Poly1305 (RFC
//! 8446 §5.2, RFC 5288, RFC 7905) on `ring`'s (BoringSSL's assembly, with its VAES/AVX2 AES-GCM
//! where the CPU has it: about three times RustCrypto's `aes-gcm` on this workload's 16 KiB
//! records, docs/performance.md). `ring` is built anyway for rustls and rcgen, so the AEAD adds
//! no dependency and no C library (ring compiles its own bundled code).

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{
    AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey,
};
use sha2::{Sha256, Sha384};
use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherSuite, TlsPRF};

/// The hash of a suite's key schedule / PRF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    pub fn out_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

/// The AEAD of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
}

/// What wslens can decrypt of a cipher suite, or why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Aead(AeadAlg, HashAlg),
    /// CBC, stream ciphers and the rest: recognised, not decrypted.
    Unsupported(&'static str),
}

/// The IANA name of a cipher suite (GREASE and unknown values as hex).
pub fn suite_name(id: u16) -> String {
    match TlsCipherSuite::from_id(id) {
        Some(s) => s.name.to_string(),
        None if id & 0x0f0f == 0x0a0a => format!("GREASE(0x{id:04x})"),
        None if id == 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV".into(),
        None => format!("0x{id:04x}"),
    }
}

/// How a suite's records are protected, from tls-parser's IANA table.
pub fn support(id: u16) -> Support {
    let Some(s) = TlsCipherSuite::from_id(id) else {
        return Support::Unsupported("an unknown cipher suite");
    };
    let hash = match s.prf {
        TlsPRF::Sha384 => HashAlg::Sha384,
        TlsPRF::Default | TlsPRF::Sha256 => HashAlg::Sha256,
        _ => return Support::Unsupported("a PRF other than SHA-256/SHA-384"),
    };
    let aead = match (s.enc, s.enc_mode, s.enc_size) {
        (TlsCipherEnc::Aes, TlsCipherEncMode::Gcm, 128) => AeadAlg::Aes128Gcm,
        (TlsCipherEnc::Aes, TlsCipherEncMode::Gcm, 256) => AeadAlg::Aes256Gcm,
        (TlsCipherEnc::Chacha20_Poly1305, _, _) => AeadAlg::ChaCha20Poly1305,
        (_, TlsCipherEncMode::Cbc, _) => return Support::Unsupported("a CBC cipher suite"),
        (_, TlsCipherEncMode::Ccm, _) => return Support::Unsupported("an AES-CCM cipher suite"),
        _ => return Support::Unsupported("a cipher other than AES-GCM or ChaCha20-Poly1305"),
    };
    Support::Aead(aead, hash)
}

/// HKDF-Expand-Label(secret, label, "", len) of RFC 8446 §7.1.
pub fn expand_label(hash: HashAlg, secret: &[u8], label: &str, len: usize) -> Option<Vec<u8>> {
    let full = [b"tls13 ", label.as_bytes()].concat();
    // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel
    let info = [
        &(len as u16).to_be_bytes()[..],
        &[full.len() as u8],
        &full,
        &[0u8],
    ];
    let mut out = vec![0; len];
    let ok = match hash {
        HashAlg::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand_multi_info(&info, &mut out)
            .is_ok(),
        HashAlg::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand_multi_info(&info, &mut out)
            .is_ok(),
    };
    ok.then_some(out)
}

/// P_hash(secret, seed) of RFC 5246 §5, `len` bytes.
fn p_hash<M: Mac + KeyInit + Clone>(secret: &[u8], seed: &[u8], len: usize) -> Option<Vec<u8>> {
    let base = <M as KeyInit>::new_from_slice(secret).ok()?;
    let mut out = Vec::with_capacity(len + 64);
    // A(1) = HMAC(secret, seed); output += HMAC(secret, A(i) + seed); A(i+1) = HMAC(secret, A(i)).
    let mut a = {
        let mut m = base.clone();
        m.update(seed);
        m.finalize().into_bytes().to_vec()
    };
    while out.len() < len {
        let mut m = base.clone();
        m.update(&a);
        m.update(seed);
        out.extend_from_slice(&m.finalize().into_bytes());
        let mut m = base.clone();
        m.update(&a);
        a = m.finalize().into_bytes().to_vec();
    }
    out.truncate(len);
    Some(out)
}

/// PRF(secret, label, seed) of TLS 1.2 with the suite's hash.
pub fn prf12(
    hash: HashAlg,
    secret: &[u8],
    label: &str,
    seed: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let s = [label.as_bytes(), seed].concat();
    match hash {
        HashAlg::Sha256 => p_hash::<Hmac<Sha256>>(secret, &s, len),
        HashAlg::Sha384 => p_hash::<Hmac<Sha384>>(secret, &s, len),
    }
}

/// An AEAD with its key, ready to open records.
#[derive(Clone)]
pub struct Cipher(Box<LessSafeKey>);

impl Cipher {
    pub fn new(alg: AeadAlg, key: &[u8]) -> Option<Cipher> {
        let alg = match alg {
            AeadAlg::Aes128Gcm => &AES_128_GCM,
            AeadAlg::Aes256Gcm => &AES_256_GCM,
            AeadAlg::ChaCha20Poly1305 => &CHACHA20_POLY1305,
        };
        let key = UnboundKey::new(alg, key).ok()?;
        Some(Cipher(Box::new(LessSafeKey::new(key))))
    }

    /// Decrypt `sealed` (ciphertext followed by the 16-byte tag) into `out`, which is set to
    /// the plaintext. False when the tag does not verify: `out` is then emptied, and nothing
    /// of the record may be passed on.
    pub fn open(&self, nonce: &[u8; 12], aad: &[u8], sealed: &[u8], out: &mut Vec<u8>) -> bool {
        if sealed.len() < 16 {
            out.clear();
            return false;
        }
        // ring opens in place: the record is copied into the buffer (reused record after
        // record, still in cache when it is decrypted) and decrypted there.
        out.clear();
        out.extend_from_slice(sealed);
        let nonce = Nonce::assume_unique_for_key(*nonce);
        match self.0.open_in_place(nonce, Aad::from(aad), out) {
            Ok(plain) => {
                let n = plain.len();
                out.truncate(n);
                true
            }
            Err(_) => {
                out.clear();
                false
            }
        }
    }
}

/// One direction's record protection: the cipher, its IV and the record sequence number.
#[derive(Clone)]
pub struct DirKeys {
    cipher: Cipher,
    /// TLS 1.3 and ChaCha20 in TLS 1.2: the 12-byte IV XORed with the sequence number. AES-GCM
    /// in TLS 1.2: the 4-byte salt (then the record's 8 explicit nonce bytes).
    iv: [u8; 12],
    tls13: bool,
    explicit_nonce: bool,
    pub seq: u64,
    /// TLS 1.3: the traffic secret, for KeyUpdate.
    secret: Vec<u8>,
    alg: AeadAlg,
    hash: HashAlg,
}

impl DirKeys {
    /// TLS 1.3 keys from a traffic secret.
    pub fn tls13(alg: AeadAlg, hash: HashAlg, secret: &[u8]) -> Option<DirKeys> {
        let key = expand_label(hash, secret, "key", alg.key_len())?;
        let iv = expand_label(hash, secret, "iv", 12)?;
        Some(DirKeys {
            cipher: Cipher::new(alg, &key)?,
            iv: iv.try_into().ok()?,
            tls13: true,
            explicit_nonce: false,
            seq: 0,
            secret: secret.to_vec(),
            alg,
            hash,
        })
    }

    /// The next generation of TLS 1.3 keys after a KeyUpdate (RFC 8446 §7.2).
    pub fn updated(&self) -> Option<DirKeys> {
        let next = expand_label(self.hash, &self.secret, "traffic upd", self.hash.out_len())?;
        DirKeys::tls13(self.alg, self.hash, &next)
    }

    /// TLS 1.2 keys of both directions from the master secret: (client's, server's).
    pub fn tls12(
        alg: AeadAlg,
        hash: HashAlg,
        master: &[u8],
        client_random: &[u8],
        server_random: &[u8],
    ) -> Option<(DirKeys, DirKeys)> {
        let k = alg.key_len();
        let gcm = alg != AeadAlg::ChaCha20Poly1305;
        let iv_len = if gcm { 4 } else { 12 };
        let seed = [server_random, client_random].concat();
        let block = prf12(hash, master, "key expansion", &seed, 2 * k + 2 * iv_len)?;
        let (ck, rest) = block.split_at(k);
        let (sk, rest) = rest.split_at(k);
        let (civ, siv) = rest.split_at(iv_len);
        let make = |key: &[u8], ivb: &[u8]| -> Option<DirKeys> {
            let mut iv = [0u8; 12];
            iv[..ivb.len()].copy_from_slice(ivb);
            Some(DirKeys {
                cipher: Cipher::new(alg, key)?,
                iv,
                tls13: false,
                explicit_nonce: gcm,
                seq: 0,
                secret: Vec::new(),
                alg,
                hash,
            })
        };
        Some((make(ck, civ)?, make(sk, siv)?))
    }

    fn seq_nonce(&self, seq: u64) -> [u8; 12] {
        let mut n = self.iv;
        for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
            *b ^= s;
        }
        n
    }

    /// Open one record (its 5-byte header and body) with sequence number `seq`, into `out`.
    /// TLS 1.3: returns the inner content type (padding removed). TLS 1.2: the header's type.
    pub fn open_at(
        &self,
        seq: u64,
        header: &[u8; 5],
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Option<u8> {
        if self.tls13 {
            if !self.cipher.open(&self.seq_nonce(seq), header, body, out) {
                return None;
            }
            // TLSInnerPlaintext: content, then the real type, then zero padding.
            let end = out.iter().rposition(|&b| b != 0)?;
            let ty = out[end];
            out.truncate(end);
            Some(ty)
        } else {
            let (nonce, ct) = if self.explicit_nonce {
                let (explicit, ct) = body.split_at_checked(8)?;
                let mut n = self.iv;
                n[4..].copy_from_slice(explicit);
                (n, ct)
            } else {
                (self.seq_nonce(seq), body)
            };
            let plain_len = ct.len().checked_sub(16)?;
            let mut aad = [0u8; 13];
            aad[..8].copy_from_slice(&seq.to_be_bytes());
            aad[8..11].copy_from_slice(&header[..3]);
            aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
            self.cipher.open(&nonce, &aad, ct, out).then_some(header[0])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8448 §3 (simple 1-RTT handshake): the server's handshake traffic secret gives the
    /// key and IV listed there.
    #[test]
    fn expand_label_matches_rfc8448() {
        let shts = hex(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
        );
        let key = expand_label(HashAlg::Sha256, &shts, "key", 16).unwrap();
        let iv = expand_label(HashAlg::Sha256, &shts, "iv", 12).unwrap();
        assert_eq!(key, hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
        assert_eq!(iv, hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
    }

    /// The PRF test vector for TLS 1.2 / SHA-256 published on the IETF TLS list (and used by
    /// many implementations' test suites).
    #[test]
    fn prf_sha256_matches_the_published_vector() {
        let secret = hex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = hex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = prf12(HashAlg::Sha256, &secret, "test label", &seed, 100).unwrap();
        assert_eq!(
            out[..16],
            hex("e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53")[..]
        );
    }

    #[test]
    fn suites_are_classified() {
        assert_eq!(
            support(0x1302),
            Support::Aead(AeadAlg::Aes256Gcm, HashAlg::Sha384)
        );
        assert_eq!(
            support(0xcca8),
            Support::Aead(AeadAlg::ChaCha20Poly1305, HashAlg::Sha256)
        );
        assert_eq!(
            support(0xc030),
            Support::Aead(AeadAlg::Aes256Gcm, HashAlg::Sha384)
        );
        assert!(matches!(support(0xc013), Support::Unsupported(_)));
        assert_eq!(suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
    }
}
