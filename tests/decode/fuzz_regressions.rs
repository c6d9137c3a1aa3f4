//! Every input the fuzzers (`fuzz/`) found to crash, hang or exhaust memory, replayed through
//! the same entry points as the fuzz target that found it.

use wslens::wire;

/// Link types in the order the `wire` fuzz target picks them by its first byte.
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

fn wire_target(data: &[u8]) {
    let Some((&sel, frame)) = data.split_first() else {
        return;
    };
    let lt = LINKTYPES[sel as usize % LINKTYPES.len()];
    let _ = wire::decode(lt, frame);
    let _ = wire::dissect(lt, frame);
}

/// `wire` crash-afa0111b: an Ethernet frame whose IPv4 header is cut at 13 bytes; the field
/// tree indexed the source address past the end.
#[test]
fn dissect_ipv4_header_cut_inside_the_source_address() {
    let input = [
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
        0x45, 0x00, 0x01, 0x3b, 0x00, 0x00, 0x00, 0x31, 0xf8, 0x00, 0x00, 0x34, 0xbc, 0x40, 0xf4,
    ];
    wire_target(&input);
    // and every shorter cut of the same header
    for n in 0..input.len() {
        wire_target(&input[..n]);
    }
}
