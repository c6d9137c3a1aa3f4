//! Word wrapping by terminal columns, for panes whose height depends on how many lines their
//! text takes. Chinese has no spaces, so a line may break between any two wide characters;
//! English breaks at spaces; a word longer than the line is cut.

use unicode_width::UnicodeWidthChar;

fn cw(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Punctuation that must not begin a line (Chinese and ASCII closers).
fn no_break_before(c: char) -> bool {
    "，。、；：！？）」』】》〉”’…,.;:!?)]}".contains(c)
}

/// Punctuation that must not end a line.
fn no_break_after(c: char) -> bool {
    "（「『【《〈“‘([{".contains(c)
}

/// Unbreakable pieces of text: an English word, one CJK character (with any closing
/// punctuation that follows it, and any opening punctuation before it), or a space.
fn tokens(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    // Whether the last token may take the next character (a word, or an opener).
    let mut open = false;
    let mut last_wide = false;
    for c in text.chars() {
        let x = cw(c);
        if c == ' ' || c == '\n' {
            out.push((c.to_string(), usize::from(c == ' ')));
            open = false;
            last_wide = false;
            continue;
        }
        let glue = match out.last() {
            None => false,
            Some((t, _)) if t == " " || t == "\n" => false,
            Some(_) => no_break_before(c) || open || (x < 2 && !last_wide),
        };
        if glue && let Some(t) = out.last_mut() {
            t.0.push(c);
            t.1 += x;
        } else {
            out.push((c.to_string(), x));
        }
        open = no_break_after(c);
        last_wide = x >= 2 && !no_break_before(c);
    }
    out
}

/// `text` cut into lines of at most `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut lw = 0usize;
    fn flush(lines: &mut Vec<String>, line: &mut String, lw: &mut usize) {
        lines.push(line.trim_end().to_string());
        line.clear();
        *lw = 0;
    }
    for (t, tw) in tokens(text) {
        if t == "\n" {
            flush(&mut lines, &mut line, &mut lw);
            continue;
        }
        if t == " " {
            // A space at the start of a line, or one that would end it, is dropped.
            if lw > 0 && lw < width {
                line.push(' ');
                lw += 1;
            }
            continue;
        }
        if lw > 0 && lw + tw > width {
            flush(&mut lines, &mut line, &mut lw);
        }
        if tw <= width {
            line.push_str(&t);
            lw += tw;
            continue;
        }
        // Longer than a whole line: cut anywhere.
        for c in t.chars() {
            let x = cw(c);
            if lw > 0 && lw + x > width {
                flush(&mut lines, &mut line, &mut lw);
            }
            line.push(c);
            lw += x;
        }
    }
    if lw > 0 {
        flush(&mut lines, &mut line, &mut lw);
    }
    lines
}

/// Every sentence wrapped, each starting on a new line.
pub fn wrap_all(sentences: &[String], width: usize) -> Vec<String> {
    sentences.iter().flat_map(|s| wrap(s, width)).collect()
}

/// Columns a string takes.
pub fn width(s: &str) -> usize {
    s.chars().map(cw).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_breaks_at_spaces_and_no_line_is_too_wide() {
        let l = wrap("The client asks to connect with a SYN segment.", 12);
        assert_eq!(
            l,
            ["The client", "asks to", "connect with", "a SYN", "segment."]
        );
    }

    #[test]
    fn chinese_breaks_between_characters_by_columns() {
        let s = "三次握手第 1 次：客户端发送 SYN 包，请求连接。";
        for w in [7, 10, 20] {
            let l = wrap(s, w);
            assert!(l.iter().all(|x| width(x) <= w), "{w}: {l:?}");
            assert_eq!(l.concat().replace(' ', ""), s.replace(' ', ""));
        }
        assert_eq!(wrap("三次握手", 5), ["三次", "握手"]);
    }

    #[test]
    fn chinese_punctuation_stays_off_the_start_of_a_line() {
        // "，" would begin the second line; it goes down with the character before it.
        assert_eq!(
            wrap("连接完成，三次握手", 8),
            ["连接完", "成，三次", "握手"]
        );
        // An opening bracket never ends a line.
        assert_eq!(wrap("确认包（ack=1）", 9), ["确认包", "（ack=1）"]);
    }

    #[test]
    fn long_words_are_cut() {
        let l = wrap("key=0123456789abcdef end", 8);
        assert_eq!(l, ["key=0123", "456789ab", "cdef end"]);
    }
}
