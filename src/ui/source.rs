//! Producer threads for files and the embedded capture: read, decode, send batches.

use super::feed::{self, Feed};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

pub static EMBEDDED: &[u8] = &[];

pub fn spawn_file(_p: PathBuf) -> Receiver<Feed> {
    let (mut tx, rx) = feed::channel();
    std::thread::spawn(move || tx.error("decoding is not merged yet".into()));
    rx
}

pub fn spawn_bytes(_b: &'static [u8]) -> Receiver<Feed> {
    let (mut tx, rx) = feed::channel();
    std::thread::spawn(move || tx.error("decoding is not merged yet".into()));
    rx
}
