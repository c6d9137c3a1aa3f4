//! Shared by the fuzz targets: a sink that renders every event through both output writers and
//! checks the result can never act on a terminal.

use wslens::event::{Event, Sink};
use wslens::text::is_unsafe_char;

#[derive(Default)]
pub struct CheckingSink {
    buf: Vec<u8>,
    pub events: usize,
}

pub fn assert_terminal_safe(out: &[u8]) {
    let s = std::str::from_utf8(out).expect("output is UTF-8");
    assert!(
        !s.chars().any(|c| c != '\n' && is_unsafe_char(c)),
        "unsafe character in output: {s:?}"
    );
}

impl Sink for CheckingSink {
    fn emit(&mut self, ev: Event) {
        self.events += 1;
        self.buf.clear();
        wslens::output::json::encode(&mut self.buf, &ev);
        assert_terminal_safe(&self.buf);
        let line = wslens::output::text::summary(&ev, None);
        assert_terminal_safe(line.as_bytes());
    }
}

/// A little cursor over fuzz bytes that never fails: past the end it yields zeros.
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
