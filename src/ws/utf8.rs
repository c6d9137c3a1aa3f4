//! UTF-8 validation across chunk boundaries, keeping at most one partial character.

#[derive(Clone, Debug, Default)]
pub(crate) struct Utf8Check {
    pend: [u8; 4],
    npend: u8,
    need: u8,
    bad: bool,
}

fn char_width(lead: u8) -> u8 {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

impl Utf8Check {
    pub fn reset(&mut self) {
        *self = Utf8Check::default();
    }

    pub fn feed(&mut self, mut b: &[u8]) {
        if self.bad || b.is_empty() {
            return;
        }
        if self.npend > 0 {
            let have = self.npend as usize;
            let need = (self.need as usize).min(4);
            let take = need.saturating_sub(have).min(b.len());
            if let (Some(dst), Some(src)) = (self.pend.get_mut(have..have + take), b.get(..take)) {
                dst.copy_from_slice(src);
            }
            self.npend += take as u8;
            b = b.get(take..).unwrap_or(&[]);
            if (self.npend as usize) < need {
                return;
            }
            if std::str::from_utf8(&self.pend[..need]).is_err() {
                self.bad = true;
                return;
            }
            self.npend = 0;
        }
        if let Err(e) = std::str::from_utf8(b) {
            if e.error_len().is_some() {
                self.bad = true;
                return;
            }
            // An incomplete (but so far valid) character at the end: at most 3 bytes.
            let tail = b.get(e.valid_up_to()..).unwrap_or(&[]);
            let n = tail.len().min(3);
            self.pend[..n].copy_from_slice(&tail[..n]);
            self.npend = n as u8;
            self.need = tail.first().map_or(0, |&l| char_width(l));
        }
    }

    /// True when everything fed was valid UTF-8 and no character was left unfinished.
    pub fn finish(&mut self) -> bool {
        if self.npend > 0 {
            self.bad = true;
        }
        !self.bad
    }
}

/// A text preview from the first bytes of a payload: cut on a character boundary when the
/// payload continues beyond it, with `\xNN` for each byte that is not UTF-8.
pub(crate) fn text_preview(bytes: &[u8], truncated: bool) -> String {
    let bytes = if truncated {
        match std::str::from_utf8(bytes) {
            Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
            _ => bytes,
        }
    } else {
        bytes
    };
    crate::text::utf8_or_escapes(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_split(s: &[u8], cuts: &[usize]) -> bool {
        let mut c = Utf8Check::default();
        let mut prev = 0;
        for &cut in cuts {
            c.feed(&s[prev..cut]);
            prev = cut;
        }
        c.feed(&s[prev..]);
        c.finish()
    }

    #[test]
    fn valid_multibyte_split_everywhere() {
        let s = "aé€😀z".as_bytes();
        for i in 0..=s.len() {
            for j in i..=s.len() {
                assert!(check_split(s, &[i, j]), "cut {i} {j}");
            }
        }
    }

    #[test]
    fn invalid_detected_split_everywhere() {
        // 😀 with its last byte replaced: invalid continuation.
        let s = [b'a', 0xf0, 0x9f, 0x98, 0x41, b'b'];
        for i in 0..=s.len() {
            for j in i..=s.len() {
                assert!(!check_split(&s, &[i, j]), "cut {i} {j}");
            }
        }
    }

    #[test]
    fn unfinished_char_at_end_is_invalid() {
        assert!(!check_split(&[b'a', 0xe2, 0x82], &[2]));
        assert!(check_split(&[b'a', 0xe2, 0x82, 0xac], &[2]));
    }

    #[test]
    fn preview_cut_on_boundary() {
        let s = "ab€".as_bytes();
        assert_eq!(text_preview(&s[..4], true), "ab");
        assert_eq!(text_preview(s, false), "ab€");
    }
}
