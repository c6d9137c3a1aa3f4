//! Word wrapping by terminal columns, for panes whose height depends on how many lines their
//! text takes. Chinese has no spaces, so a line may break between any two wide characters;
//! English breaks at spaces; a word longer than the line is cut.

use unicode_width::UnicodeWidthChar;

fn cw(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// `text` cut into lines of at most `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut lw = 0usize;
    let mut word = String::new();
    let mut ww = 0usize;
    fn flush(lines: &mut Vec<String>, line: &mut String, lw: &mut usize) {
        let t = line.trim_end().to_string();
        lines.push(t);
        line.clear();
        *lw = 0;
    }
    // Place a word (no spaces inside) on the current line, or on a new one.
    let place =
        |lines: &mut Vec<String>, line: &mut String, lw: &mut usize, w: &str, wwid: usize| {
            if wwid == 0 {
                return;
            }
            if *lw > 0 && *lw + wwid > width {
                flush(lines, line, lw);
            }
            if wwid <= width {
                line.push_str(w);
                *lw += wwid;
                return;
            }
            for c in w.chars() {
                let x = cw(c);
                if *lw + x > width {
                    flush(lines, line, lw);
                }
                line.push(c);
                *lw += x;
            }
        };
    for c in text.chars() {
        let x = cw(c);
        if c == ' ' || c == '\n' {
            place(&mut lines, &mut line, &mut lw, &word, ww);
            word.clear();
            ww = 0;
            if c == '\n' {
                flush(&mut lines, &mut line, &mut lw);
            } else if lw > 0 && lw < width {
                line.push(' ');
                lw += 1;
            }
        } else if x >= 2 {
            place(&mut lines, &mut line, &mut lw, &word, ww);
            word.clear();
            ww = 0;
            let mut b = [0u8; 4];
            place(&mut lines, &mut line, &mut lw, c.encode_utf8(&mut b), x);
        } else {
            word.push(c);
            ww += x;
        }
    }
    place(&mut lines, &mut line, &mut lw, &word, ww);
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
        assert_eq!(l, ["The client", "asks to", "connect with", "a SYN", "segment."]);
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
    fn long_words_are_cut() {
        let l = wrap("key=0123456789abcdef end", 8);
        assert_eq!(l, ["key=0123", "456789ab", "cdef end"]);
    }
}
