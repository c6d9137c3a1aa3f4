//! Making captured text safe to show: every control character, escape sequence and
//! bidirectional override becomes visible (`\x1b`, `\u{202e}`) instead of acting on the terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that must never reach a terminal as they are.
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{00}'..='\u{1f}' | '\u{7f}' | '\u{80}'..='\u{9f}'
        // bidirectional embeddings, overrides and isolates (Trojan Source)
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        // line/paragraph separators break layouts
        | '\u{2028}' | '\u{2029}')
}

/// `s` with every unsafe character written out visibly; borrowed when nothing needed escaping.
pub fn escape_for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = match c {
                '\n' => write!(out, "\\n"),
                '\r' => write!(out, "\\r"),
                '\t' => write!(out, "\\t"),
                _ => write!(out, "\\x{:02x}", c as u32),
            };
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Bytes as text for display: UTF-8 where valid, `\xNN` for each invalid byte, escaped.
pub fn bytes_for_terminal(b: &[u8]) -> String {
    let mut out = String::new();
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
    fn escape_sequences_are_made_visible() {
        // clear screen, set window title, move cursor, CSI in C1 form, RTL override
        let s = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}[10;10H\u{9b}31m\u{202e}abc";
        let e = escape_for_terminal(s);
        assert!(!e.chars().any(is_unsafe_char));
        assert_eq!(
            e,
            "\\x1b[2J\\x1b]0;pwned\\x07\\x1b[10;10H\\u{9b}31m\\u{202e}abc"
        );
        assert!(matches!(
            escape_for_terminal("你好 hello"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn invalid_utf8_is_shown_as_bytes() {
        assert_eq!(bytes_for_terminal(b"ok\xff\x1b"), "ok\\xff\\x1b");
    }
}
