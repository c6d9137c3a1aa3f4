#!/usr/bin/env python3
"""A wss:// client whose TLS is `openssl s_client`, so that TLS 1.3 KeyUpdates happen
mid-conversation (python's ssl module cannot send one; s_client sends one when a line holding
just `k` or `K` arrives on its standard input).

    keyupdate_client.py HOST PORT KEYLOG

s_client (TLS 1.3, -keylogfile KEYLOG) carries the bytes this script writes to its standard
input: the HTTP upgrade request and masked WebSocket frames built here; what the server sends
comes back on s_client's standard output (-quiet: application data only). The conversation:

  1. two messages echoed with the first keys;
  2. `k`: the client's KeyUpdate (update_not_requested): the client's next records use new keys;
  3. a message echoed: client keys of generation 1, server keys still of generation 0;
  4. `K`: the client's KeyUpdate with update_requested: the server answers with its own KeyUpdate;
  5. messages echoed with both sides' updated keys, one of them 40,000 bytes (several records);
  6. close 1000.

Each write is its own read() for s_client (a pause follows), since s_client looks at the first
byte of what it reads for its command letters; masked bytes are kept away from those letters.
Logs to $PEERLOG like the other peers (lib "openssl-s_client").
"""

import base64
import os
import select
import struct
import subprocess
import sys
import time

from peerlog import PeerLog
from raw_ws import OPCODES, accept_for, build_frame, upgrade_request

# s_client's command letters (Q quit, R renegotiate, k/K key update) at the start of a read.
COMMAND_LETTERS = set(b"QRkK")
MASK = bytes([0x5A, 0x3C, 0x96, 0x0F])
PAUSE = 0.3


def safe_payload(data):
    """The payload with any byte whose masked value is a command letter changed (bit 0 flipped)."""
    out = bytearray(data)
    for i, b in enumerate(out):
        while (out[i] ^ MASK[i % 4]) in COMMAND_LETTERS:
            out[i] ^= 0x01
    return bytes(out)


class Pipe:
    """Reads s_client's standard output."""

    def __init__(self, f):
        self.fd = f.fileno()
        self.buf = b""

    def fill(self, timeout=10.0):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            raise TimeoutError("s_client sent nothing")
        chunk = os.read(self.fd, 65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def need(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def frame(self):
        b0, b1 = self.need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.need(8))[0]
        return b0 & 0x0F, self.need(n)

    def message(self):
        """One whole message (the server may fragment; pings are not expected)."""
        op, data = self.frame()
        if op == 0:
            raise ValueError("unexpected continuation")
        return op, data


def main():
    host, port, keylog = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    proc = subprocess.Popen(
        ["openssl", "s_client", "-quiet", "-no_ign_eof", "-tls1_3", "-keylogfile", keylog,
         "-connect", f"{host}:{port}", "-servername", "localhost"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, bufsize=0)
    out = Pipe(proc.stdout)

    def write(b):
        proc.stdin.write(b)
        proc.stdin.flush()
        time.sleep(PAUSE)

    log = PeerLog("openssl-s_client", "client")
    # s_client does not tell its local port; the server's log names both ends, and the client's
    # own port is read from the kernel's socket table below, once the connection is up.
    time.sleep(1.0)
    local = client_port(host, port)
    c = log.conn(f"{host}:{local}", f"{host}:{port}")

    key = base64.b64encode(os.urandom(16)).decode()
    c.http("sent", "request", b"", method="GET", path="/keyupdate", upgrade=True)
    write(upgrade_request(host, port, key, "/keyupdate"))
    head = out.head()
    status = int(head.split(" ")[1])
    got = [l.split(":", 1)[1].strip() for l in head.split("\r\n")
           if l.lower().startswith("sec-websocket-accept:")]
    c.http("recv", "response", b"", status=status, accept_ok=bool(got) and got[0] == accept_for(key))
    assert status == 101 and got[0] == accept_for(key), head

    def echo(opcode, payload):
        payload = safe_payload(payload)
        c.message("sent", OPCODES[opcode], payload)
        write(build_frame(opcode, payload, MASK))
        op, data = out.message()
        c.message("recv", OPCODES[op], data)
        assert op == opcode and data == payload, (op, len(data), len(payload))

    def key_update(letter, what):
        c.log._write({"lib": c.log.lib, "role": "client", "client": c.client,
                      "server": c.server, "dir": "c2s", "action": "sent",
                      "tls": "key_update", "detail": what})
        write(letter)

    echo(0x1, "before any KeyUpdate: the first application keys".encode())
    echo(0x2, bytes(range(256)))
    key_update(b"k\n", "update_not_requested")
    echo(0x1, "after the client's KeyUpdate: client keys of generation 1".encode())
    key_update(b"K\n", "update_requested")
    echo(0x1, "after both KeyUpdates: both sides' keys of generation 1 (or 2)".encode())
    echo(0x2, bytes((i * 7 + 3) & 0xFF for i in range(40000)))
    echo(0x1, "最后一条消息 — the last message".encode())

    close = struct.pack("!H", 1000) + b"bye"
    c.close("sent", 1000, "bye")
    # Only the first byte of a read is looked at: the frame's header byte (0x88) here.
    write(build_frame(0x8, close, MASK))
    op, data = out.frame()
    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
    c.close("recv", code, data[2:].decode())
    proc.stdin.close()
    proc.wait(timeout=10)


def client_port(host, port):
    """The local port of the established connection to HOST:PORT (from /proc/net/tcp)."""
    want = f"{port:04X}"
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        local, remote, state = f[1], f[2], f[3]
        if remote.endswith(":" + want) and state == "01":
            return int(local.split(":")[1], 16)
    raise RuntimeError("connection not found in /proc/net/tcp")


if __name__ == "__main__":
    main()
