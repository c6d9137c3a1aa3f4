#![no_main]
//! One frame of each link type → `wire::decode` and `wire::dissect` (the field tree's spans must
//! lie within the frame).
use libfuzzer_sys::fuzz_target;
use wslens::wire;

const LINKTYPES: [u32; 11] = [
    wire::LINKTYPE_NULL,
    wire::LINKTYPE_ETHERNET,
    wire::LINKTYPE_RAW_12,
    wire::LINKTYPE_RAW_14,
    wire::LINKTYPE_RAW,
    wire::LINKTYPE_LOOP,
    wire::LINKTYPE_LINUX_SLL,
    wire::LINKTYPE_IPV4,
    wire::LINKTYPE_IPV6,
    wire::LINKTYPE_LINUX_SLL2,
    147,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let lt = LINKTYPES[sel as usize % LINKTYPES.len()];
    if let Ok(d) = wire::decode(lt, frame) {
        if let wire::Transport::Tcp(t) = d.transport {
            assert!(t.payload.len() <= frame.len());
            assert!(t.payload_len as usize >= t.payload.len());
        }
    }
    let fields = wire::dissect(lt, frame);
    let _ = format!("{fields:?}");
});
