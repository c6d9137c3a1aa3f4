//! Lost packets, as after kernel drops in a live capture: one note per gap, saying how many
//! bytes were lost, and no protocol violation made up by the guess of where frames start again.
//!
//! The input is a real recording with some of its data packets left out (the bytes are the
//! recording's own; only which packets are fed is chosen here).

use crate::common;

use common::capture;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{Event, Level};

/// Decode `name`, leaving out every `every`-th packet that carries TCP payload after the first
/// `keep` packets; the events, and how many packets were left out.
fn decode_dropping(name: &str, keep: u64, every: u64) -> (Vec<Event>, u64) {
    let bytes = std::fs::read(capture(name)).unwrap();
    let mut dec = Decoder::new(DecodeOptions {
        live: true,
        ..DecodeOptions::default()
    });
    let mut events = Vec::new();
    let mut sink = |e: Event| events.push(e);
    let mut seen_data = 0;
    let mut dropped = 0;
    wslens::capture::read_bytes(&bytes, |p| {
        // Ethernet + IPv4 + TCP header lengths, from the packet itself.
        let d = p.data;
        let payload = if d.len() > 34 && d[12..14] == [8, 0] && d[23] == 6 {
            let ihl = (d[14] & 15) as usize * 4;
            let total = u16::from_be_bytes([d[16], d[17]]) as usize;
            let doff = (d[14 + ihl + 12] >> 4) as usize * 4;
            total.saturating_sub(ihl + doff)
        } else {
            0
        };
        if p.num > keep && payload > 0 {
            seen_data += 1;
            if seen_data % every == 0 {
                dropped += 1;
                return;
            }
        }
        dec.packet(&p, &mut sink);
    })
    .unwrap();
    dec.finish(&mut sink);
    (events, dropped)
}

#[test]
fn each_gap_is_one_note_with_the_bytes_lost_and_no_made_up_violation() {
    for name in ["chat.pcap", "echo-python.pcap", "deflate.pcap"] {
        let (events, dropped) = decode_dropping(name, 12, 5);
        assert!(dropped >= 3, "{name}: {dropped} packets left out");
        let notes: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Note(n) => Some(n),
                _ => None,
            })
            .collect();
        let gaps: Vec<_> = notes.iter().filter(|n| n.code == "ws-gap").collect();
        assert!(!gaps.is_empty(), "{name}: {notes:#?}");
        assert!(
            gaps.len() as u64 <= dropped,
            "{name}: one note per gap at most"
        );
        for g in &gaps {
            assert!(
                g.text.contains("bytes of this direction were not captured"),
                "{}",
                g.text
            );
        }
        // The gap note says where frames were found again: no separate resync note.
        assert!(
            !notes.iter().any(|n| n.code == "ws-resync"),
            "{name}: {notes:#?}"
        );
        // No WebSocket protocol violation is claimed after the guesses.
        let made_up: Vec<_> = notes
            .iter()
            .filter(|n| {
                n.code.starts_with("ws-")
                    && n.level == Level::Warn
                    && !matches!(
                        n.code,
                        "ws-gap" | "ws-incomplete-frame" | "ws-incomplete-message"
                    )
            })
            .collect();
        assert!(made_up.is_empty(), "{name}: {made_up:#?}");
        eprintln!(
            "{name}: {dropped} packets left out, {} gap notes, {} notes in all",
            gaps.len(),
            notes.len()
        );
    }
}
