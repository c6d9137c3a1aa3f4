//! Making captured text safe to show: every control character, escape sequence and
//! bidirectional override becomes visible (`\x1b`, `\u{202e}`) instead of acting on the terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// Invisible format characters: they draw nothing, so `pay\u{200d}pal` would pass for
/// `paypal`. Shown escaped in every view for people (text, UI, diagrams), kept as they are in
/// NDJSON (a program reading it sees the real string). Zero-width space, non-joiner and
/// joiner (which also joins emoji sequences: those are shown escaped too), word joiner and
/// invisible operators, soft hyphen, combining grapheme joiner, the byte order mark, Hangul and
/// halfwidth Hangul fillers, Khmer inherent vowels, the Mongolian vowel separator and free
/// variation selectors, deprecated format characters, interlinear annotation marks, the tag
/// characters, and the noncharacters U+FFFE/U+FFFF.
pub fn is_invisible_char(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}' | '\u{3164}' | '\u{feff}' | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}' | '\u{fffe}' | '\u{ffff}' | '\u{e0000}'..='\u{e007f}')
}

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
    // Printable ASCII, the common case, is checked a byte at a time (vectorised).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s);
    }
    let shown = |c: char| !is_unsafe_char(c) && !is_invisible_char(c);
    if s.chars().all(shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if shown(c) {
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

/// Bytes that should be UTF-8 as a string: borrowed when they are, else each invalid byte
/// written as `\xNN` (not U+FFFD, which would hide which bytes they were).
pub fn utf8_or_escapes(b: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(b.len() + 8);
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    Cow::Owned(out)
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
    fn invisible_characters_are_made_visible() {
        let e =
            escape_for_terminal("pay\u{200d}pal\u{200b}\u{2060}\u{feff}\u{e0041}\u{3164}\u{180e}");
        assert_eq!(
            e,
            "pay\\u{200d}pal\\u{200b}\\u{2060}\\u{feff}\\u{e0041}\\u{3164}\\u{180e}"
        );
        assert!(matches!(escape_for_terminal("é 中文 👍"), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_becomes_escapes_not_replacement_characters() {
        assert_eq!(utf8_or_escapes(b"ok\xff\xfe\xc3"), "ok\\xff\\xfe\\xc3");
        assert!(matches!(utf8_or_escapes("é".as_bytes()), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_is_shown_as_bytes() {
        assert_eq!(bytes_for_terminal(b"ok\xff\x1b"), "ok\\xff\\x1b");
    }
}
