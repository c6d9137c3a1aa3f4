//! A capture file → decoded as `wslens decode` decodes it (mapped window, batching writer
//! thread hashing masked payloads in place) → every view for people: UI, narration, ladder
//! diagrams (text, SVG, Mermaid), stats. Nothing may crash or reach a terminal unescaped.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let events = wslens_fuzz::decode_like_the_cli(data);
    wslens_fuzz::render_every_view(data, &events);
});
