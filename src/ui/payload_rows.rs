//! The detail pane's hex + ASCII, base64 and text views of a payload as rows made when drawn:
//! a payload of tens of MiB is never formatted into lines up front, only the rows on screen
//! are (row `i` of the hex view is bytes `16*i..16*i+16`, of the base64 view bytes
//! `48*i..48*i+48` in a wide pane; the text view keeps where each of its rows starts).

use super::detail::{Line, LineKind};
use std::sync::{Arc, Mutex};

/// Most payload bytes per hex row (fewer when the pane is narrow).
const HEX_ROW: usize = 16;
/// Most base64 characters per row.
const B64_ROW: usize = 64;

/// A payload made ready for its views (off the UI thread for a whole payload loaded from the
/// file): its bytes, and for text where its rows start at the pane's width.
pub struct PayloadBody {
    pub bytes: Arc<[u8]>,
    is_text: bool,
    /// The text view's row starts for one width (columns): found again only when the pane's
    /// width changes.
    text_rows: Mutex<Option<(usize, Arc<Vec<usize>>)>>,
}

impl PayloadBody {
    pub fn new(bytes: Arc<[u8]>, is_text: bool) -> PayloadBody {
        PayloadBody {
            bytes,
            is_text,
            text_rows: Mutex::new(None),
        }
    }

    /// Find the text view's rows for a pane `width` columns wide now (on the loader's thread,
    /// so that the UI's first draw of a long text does not have to).
    pub fn prepare(&self, width: usize) {
        if self.is_text {
            self.text_starts(row_cols(width));
        }
    }

    /// Where each text row starts when rows are `cols` columns wide.
    fn text_starts(&self, cols: usize) -> Arc<Vec<usize>> {
        let mut c = self.text_rows.lock().unwrap_or_else(|e| e.into_inner());
        match &*c {
            Some((w, s)) if *w == cols => s.clone(),
            _ => {
                let s = Arc::new(text_rows(&self.bytes, cols));
                *c = Some((cols, s.clone()));
                s
            }
        }
    }
}

/// Two headed sections of rows over one payload, shown below the detail's other lines: hex +
/// ASCII, then the text (a text message) or base64 (a binary one), as many bytes to a row as
/// the pane's width holds.
pub struct PayloadRows {
    body: Arc<PayloadBody>,
    titles: [String; 2],
    /// Bytes per hex row, and hex digits of its offsets.
    hex_per: usize,
    digits: usize,
    /// Bytes per base64 row (a multiple of 3, so rows join into the whole encoding).
    b64_per: usize,
    text: Option<Arc<Vec<usize>>>,
}

impl std::fmt::Debug for PayloadRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PayloadRows({} bytes, {} rows)",
            self.body.bytes.len(),
            self.len()
        )
    }
}

impl PayloadRows {
    /// Rows for a pane `width` columns wide inside its borders; headings are given already in
    /// the UI's language.
    pub fn new(body: Arc<PayloadBody>, hex: String, other: String, width: usize) -> PayloadRows {
        let cols = row_cols(width);
        let len = body.bytes.len();
        let digits = format!("{:x}", len.saturating_sub(1)).len().max(4);
        // offset, two spaces, n bytes as "xx " less one, two spaces, n ASCII characters.
        let fits = |n: usize| digits + 2 + 3 * n - 1 + 2 + n <= cols;
        let hex_per = [16, 8, 4, 2].into_iter().find(|&n| fits(n)).unwrap_or(1);
        let b64_per = (cols.min(B64_ROW) / 4).max(1) * 3;
        let text = body.is_text.then(|| body.text_starts(cols));
        PayloadRows {
            body,
            titles: [hex, other],
            hex_per: hex_per.min(HEX_ROW),
            digits,
            b64_per,
            text,
        }
    }

    fn hex_rows(&self) -> usize {
        self.body.bytes.len().div_ceil(self.hex_per)
    }

    fn other_rows(&self) -> usize {
        match &self.text {
            Some(s) => s.len(),
            None => self.body.bytes.len().div_ceil(self.b64_per),
        }
    }

    /// Rows of both sections, each with its heading.
    pub fn len(&self) -> usize {
        2 + self.hex_rows() + self.other_rows()
    }

    /// Row `i` (0 is the hex view's heading).
    pub fn row(&self, i: usize) -> Option<Line> {
        let b = &self.body.bytes[..];
        let hex = self.hex_rows();
        let heading = |t: &String| Some(Line::new(0, LineKind::Heading, t.clone()));
        if i == 0 {
            return heading(&self.titles[0]);
        }
        if i <= hex {
            return Some(Line::captured(1, self.hex_row(i - 1)));
        }
        let i = i - hex - 1;
        if i == 0 {
            return heading(&self.titles[1]);
        }
        let i = i - 1;
        if i >= self.other_rows() {
            return None;
        }
        let text = match &self.text {
            Some(starts) => {
                let end = starts.get(i + 1).copied().unwrap_or(b.len());
                let s = String::from_utf8_lossy(&b[starts[i]..end]);
                crate::text::escape_for_terminal(s.trim_end_matches(['\n', '\r'])).into_owned()
            }
            None => {
                use base64::Engine as _;
                let at = i * self.b64_per;
                base64::engine::general_purpose::STANDARD
                    .encode(&b[at..(at + self.b64_per).min(b.len())])
            }
        };
        Some(Line::captured(1, text))
    }

    /// `0010  7b 22 69 …  {"i…`: offset, the row's bytes in hex, the same bytes as ASCII.
    fn hex_row(&self, i: usize) -> String {
        use std::fmt::Write as _;
        let (b, n) = (&self.body.bytes[..], self.hex_per);
        let at = i * n;
        let row = &b[at..(at + n).min(b.len())];
        let mut s = String::with_capacity(self.digits + 4 * n + 4);
        let _ = write!(s, "{at:0w$x}  ", w = self.digits);
        for (k, x) in row.iter().enumerate() {
            if k > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{x:02x}");
        }
        for _ in row.len()..n {
            s.push_str("   ");
        }
        s.push_str("  ");
        s.extend(row.iter().map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        }));
        s
    }
}

/// Columns a row may take in a pane `width` wide (rows are indented by two).
fn row_cols(width: usize) -> usize {
    width.saturating_sub(2).max(16)
}

/// Where each text row starts: after each line break, and wherever a long line reaches `cols`
/// columns (at a character boundary, so a row never splits a UTF-8 sequence; wide characters
/// count two).
fn text_rows(b: &[u8], cols: usize) -> Vec<usize> {
    let mut starts = vec![0];
    let mut used = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            if i + 1 < b.len() {
                starts.push(i + 1);
            }
            used = 0;
            i += 1;
            continue;
        }
        // One character: its UTF-8 length from the lead byte (a stray byte counts alone).
        let n = match c {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 1,
        }
        .min(b.len() - i);
        let w = if c < 0x80 {
            1
        } else {
            std::str::from_utf8(&b[i..i + n])
                .ok()
                .map_or(1, |s| super::wrap::width(s).max(1))
        };
        if used + w > cols && used > 0 {
            starts.push(i);
            used = 0;
        }
        used += w;
        i += n;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(p: &PayloadRows) -> Vec<String> {
        (0..p.len()).map(|i| p.row(i).unwrap().text).collect()
    }

    #[test]
    fn hex_and_base64_rows_are_made_from_offsets() {
        let b: Vec<u8> = (0..=40u8).collect();
        let body = Arc::new(PayloadBody::new(b.clone().into(), false));
        let p = PayloadRows::new(body, "H".into(), "B".into(), 100);
        let r = rows(&p);
        // Heading, 3 hex rows, heading, 1 base64 row.
        assert_eq!(r.len(), 6);
        assert_eq!(r[0], "H");
        assert!(r[1].starts_with("0000  00 01 02"), "{}", r[1]);
        assert!(r[3].starts_with("0020  20 21 22 23 24 25 26 27 28  "));
        assert!(r[3].ends_with("  !\"#$%&'("), "{}", r[3]);
        use base64::Engine as _;
        assert_eq!(r[5], base64::engine::general_purpose::STANDARD.encode(&b));
        assert!(p.row(6).is_none());
    }

    #[test]
    fn text_rows_break_at_newlines_and_wrap_long_lines_on_char_boundaries() {
        let t = format!("ab\n{}\n\x1b[2J", "é".repeat(70));
        let body = Arc::new(PayloadBody::new(t.as_bytes().into(), true));
        let p = PayloadRows::new(body, "H".into(), "T".into(), 66);
        let r = rows(&p);
        let at = r.iter().position(|l| l == "T").unwrap();
        assert_eq!(r[at + 1], "ab");
        assert_eq!(r[at + 2], "é".repeat(64));
        assert_eq!(r[at + 3], "é".repeat(6));
        // The escape sequence is shown, not passed to the terminal.
        assert!(!r[at + 4].contains('\u{1b}'));
        assert_eq!(r.len(), at + 5);
    }

    #[test]
    fn narrow_panes_get_fewer_bytes_per_row_and_every_row_fits() {
        let b: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        for w in [30, 38, 60, 80] {
            let body = Arc::new(PayloadBody::new(b.clone().into(), false));
            let p = PayloadRows::new(body, "H".into(), "B".into(), w);
            let r = rows(&p);
            for l in &r {
                assert!(2 + l.chars().count() <= w, "{w}: {l:?}");
            }
            // Offsets take five hex digits here; the last hex row ends at the last byte.
            let hex_end = r.iter().position(|l| l == "B").unwrap() - 1;
            assert!(r[hex_end].contains(&format!("{:02x}  ", b[b.len() - 1])));
            // The base64 rows join into the whole encoding.
            use base64::Engine as _;
            let joined: String = r[hex_end + 2..].concat();
            assert_eq!(joined, base64::engine::general_purpose::STANDARD.encode(&b));
        }
        // Wide characters count two columns.
        let t = "中".repeat(40);
        let body = Arc::new(PayloadBody::new(t.as_bytes().into(), true));
        let r = rows(&PayloadRows::new(body, "H".into(), "T".into(), 42));
        let at = r.iter().position(|l| l == "T").unwrap();
        assert_eq!(r[at + 1], "中".repeat(20));
        assert_eq!(r[at + 2], "中".repeat(20));
    }
}
