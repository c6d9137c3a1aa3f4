//! Making captured text safe to put on a terminal.
//!
//! Captured bytes are attacker-controlled: an HTTP path or a WebSocket text message may hold
//! escape sequences that would move the cursor, change colours, retitle the window or reorder
//! text (bidi overrides). Every captured string goes through [`escape_for_terminal`] before any
//! view prints it, so the terminal only ever sees the visible spelling of such characters.

use std::borrow::Cow;
use std::fmt::Write;

/// Is this character one a terminal might act on instead of just drawing?
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // bidi embeddings, overrides and isolates: they reorder what follows on screen
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
            // zero-width characters and separators that break or hide layout
            | '\u{200b}'..='\u{200d}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
            // the backslash itself, so `\x1b` in the text cannot pass for an escaped ESC
            | '\\')
}

/// The text with control characters, escape sequences and bidi/zero-width characters written
/// out visibly (`\x1b`, `\n`, `\u{202e}`); a backslash becomes `\\`. Borrowed when nothing
/// needed escaping, which is the common case.
pub fn escape_for_terminal(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find(needs_escape) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Bytes shown as text: valid UTF-8 escaped as above, anything else as `\xNN`.
pub fn escape_bytes_for_terminal(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&escape_for_terminal(chunk.valid()));
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(escape_for_terminal("GET /chat"), Cow::Borrowed(_)));
        assert!(matches!(escape_for_terminal("héllo 你好"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_and_controls_become_visible() {
        assert_eq!(escape_for_terminal("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_for_terminal("x\ny\r\t\0"), "x\\ny\\r\\t\\x00");
        assert_eq!(escape_for_terminal("\u{9b}31m"), "\\x9b31m");
        assert_eq!(escape_for_terminal("\x7f"), "\\x7f");
    }

    #[test]
    fn bidi_and_zero_width_become_visible() {
        assert_eq!(escape_for_terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape_for_terminal("\u{2067}x\u{200b}"), "\\u{2067}x\\u{200b}");
    }

    #[test]
    fn backslash_is_doubled_so_escapes_are_unambiguous() {
        assert_eq!(escape_for_terminal("\\x1b"), "\\\\x1b");
    }

    #[test]
    fn output_never_contains_control_characters() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = escape_for_terminal(&all);
        assert!(!out.chars().any(|c| c.is_control() || c == '\u{202e}'));
    }

    #[test]
    fn invalid_utf8_bytes_are_hex() {
        assert_eq!(escape_bytes_for_terminal(b"ok\xff\x1b"), "ok\\xff\\x1b");
    }
}
