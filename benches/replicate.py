#!/usr/bin/env python3
"""Build large benchmark captures from a real recording (classic pcap, Ethernet, IPv4 TCP).

Each copy of the recording gets new client addresses (a new port, and a new 127.x.y.z address
once the ports run out) and shifted times, so that every copy is a new connection to the
decoder. Nothing is invented: every packet is a packet of the recording with its client
endpoint and time changed (the IP header checksum is recomputed; loopback TCP checksums were
never filled in).

  replicate.py seq  N SRC OUT          N copies one after another
  replicate.py conc N SRC OUT          N copies at once (starts spread over half the
                                       recording's duration, so all overlap)
  replicate.py open N K SRC OUT        N copies at once, each cut after its first K packets
                                       (connections left open: the handshake and first messages)
  replicate.py syn  N SRC OUT          the recording's first packet (a SYN) from N clients
"""
import heapq
import struct
import sys

GAP_NS = 1_000_000  # between sequential copies


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        endian, nanos = "<", False
    elif magic == 0xA1B23C4D:
        endian, nanos = "<", True
    elif magic == 0xD4C3B2A1:
        endian, nanos = ">", False
    elif magic == 0x4D3CB2A1:
        endian, nanos = ">", True
    else:
        sys.exit(f"{path}: not a classic pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, only Ethernet (1) is handled")
    pkts = []
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off + 16 <= len(data):
        sec, frac, incl, orig = rec.unpack_from(data, off)
        ts = sec * 1_000_000_000 + (frac if nanos else frac * 1000)
        pkts.append((ts, orig, data[off + 16 : off + 16 + incl]))
        off += 16 + incl
    return pkts


def ip_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) + hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Rewriter:
    """Gives each (copy, original client endpoint) a fresh client endpoint."""

    def __init__(self, pkts):
        self.server = None
        for _, _, b in pkts:
            t = tcp_at(b)
            if t is not None:
                flags = b[t + 13]
                if flags & 0x02 and not flags & 0x10:  # SYN without ACK: to the server
                    self.server = struct.unpack_from("!H", b, t + 2)[0]
                    break
        if self.server is None:
            sys.exit("no SYN in the recording: cannot tell the server's port")
        self.map = {}

    def endpoint(self, copy, orig):
        key = (copy, orig)
        e = self.map.get(key)
        if e is None:
            k = len(self.map)
            port = 10000 + k % 50000
            n = 1 + k // 50000  # 127.0.0.1 is taken by the server, so start at 127.0.1.x
            ip = bytes([127, 0, n >> 8 & 0xFF, n & 0xFF]) if n > 1 else None
            e = (ip, port)
            self.map[key] = e
        return e

    def rewrite(self, copy, b):
        t = tcp_at(b)
        if t is None:
            return b
        b = bytearray(b)
        sport, dport = struct.unpack_from("!HH", b, t)
        if dport == self.server:  # client -> server
            cport, port_at, ip_at = sport, t, 14 + 12
        elif sport == self.server:
            cport, port_at, ip_at = dport, t + 2, 14 + 16
        else:
            return bytes(b)
        ip, port = self.endpoint(copy, (bytes(b[ip_at : ip_at + 4]), cport))
        struct.pack_into("!H", b, port_at, port)
        if ip is not None:
            b[ip_at : ip_at + 4] = ip
            ihl = (b[14] & 0x0F) * 4
            b[24:26] = b"\0\0"
            struct.pack_into("!H", b, 24, ip_checksum(b[14 : 14 + ihl]))
        return bytes(b)


def tcp_at(b):
    """Offset of the TCP header in an Ethernet/IPv4 frame, or None."""
    if len(b) < 34 or b[12:14] != b"\x08\x00" or b[23] != 6:
        return None
    t = 14 + (b[14] & 0x0F) * 4
    return t if len(b) >= t + 20 else None


def write(out, packets):
    """packets: iterable of (ts_ns, orig_len, bytes), in time order."""
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        rec = struct.Struct("<IIII")
        n = 0
        for ts, orig, b in packets:
            f.write(rec.pack(ts // 1_000_000_000, ts % 1_000_000_000, len(b), orig))
            f.write(b)
            n += 1
    print(f"{out}: {n} packets", file=sys.stderr)


def copies(pkts, rw, n, shift, keep=None):
    t0 = pkts[0][0]
    src = pkts if keep is None else pkts[:keep]
    def one(i):
        base = i * shift
        for ts, orig, b in src:
            yield (ts - t0 + base, orig, rw.rewrite(i, b))

    for i in range(n):
        yield one(i)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    mode, n = argv[0], int(argv[1])
    if mode == "open":
        keep, src, out = int(argv[2]), argv[3], argv[4]
    else:
        keep, src, out = None, argv[2], argv[3]
    pkts = read_pcap(src)
    rw = Rewriter(pkts)
    dur = pkts[-1][0] - pkts[0][0]
    if mode == "seq":
        write(out, (p for c in copies(pkts, rw, n, dur + GAP_NS) for p in c))
    elif mode in ("conc", "open"):
        step = max(1, dur // (2 * n))
        write(out, heapq.merge(*copies(pkts, rw, n, step, keep), key=lambda p: p[0]))
    elif mode == "syn":
        write(out, (p for c in copies(pkts, rw, n, 1000, 1) for p in c))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
