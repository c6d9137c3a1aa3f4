#!/usr/bin/env python3
"""Raw-socket WebSocket peers, for what real libraries will not do.

    raw_ws.py tiny-client HOST PORT   upgrade request written 5 bytes at a time (TCP_NODELAY),
                                      then frames built here, the first one byte by byte
    raw_ws.py bad-server HOST PORT    DELIBERATELY answers 101 with a wrong Sec-WebSocket-Accept
    raw_ws.py bad-client HOST PORT    notices the wrong accept value and closes the connection
    raw_ws.py bad-server-ping HOST PORT  like bad-server, then at once sends a ping frame (as in
                                      Zeek's test capture of a server going on after a bad 101)

Logs to $PEERLOG like the other peers (lib "python-raw").
"""

import base64
import hashlib
import os
import socket
import struct
import sys
import time

from peerlog import PeerLog, endpoint

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODES = {0x1: "text", 0x2: "binary", 0x8: "close", 0x9: "ping", 0xA: "pong"}


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def build_frame(opcode, payload, mask_key):
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask_key[i % 4] for i, b in enumerate(payload))
    return head + mask_key + masked


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def frame(self):
        """One unmasked server frame (the server never fragments these small echoes)."""
        b0, b1 = self.need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.need(8))[0]
        return b0 & 0x0F, self.need(n)


def upgrade_request(host, port, key, path):
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nUser-Agent: wslens-raw-client\r\n\r\n").encode()


def tiny_client(host, port):
    log = PeerLog("python-raw", "client")
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = log.conn(endpoint(s.getsockname()), endpoint(s.getpeername()))
    key = base64.b64encode(os.urandom(16)).decode()
    req = upgrade_request(host, port, key, "/tiny")
    c.http("sent", "request", b"", method="GET", path="/tiny", upgrade=True, pieces=5)
    for i in range(0, len(req), 5):
        s.sendall(req[i:i + 5])
        time.sleep(0.01)
    r = Reader(s)
    head = r.head()
    status = int(head.split(" ")[1])
    got = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("sec-websocket-accept:")]
    c.http("recv", "response", b"", status=status, accept_ok=bool(got) and got[0] == accept_for(key))
    assert status == 101 and got[0] == accept_for(key)

    mask = bytes([0x37, 0xFA, 0x21, 0x3D])  # the RFC 6455 section 5.7 example key
    steps = [
        (0x1, "Hello, one byte at a time".encode(), 1),
        (0x2, bytes(range(16)), 3),
        (0x1, "ordinary frame".encode(), None),
        (0x9, b"tiny ping", None),
    ]
    for opcode, payload, piece in steps:
        frame = build_frame(opcode, payload, mask)
        c.message("sent", OPCODES[opcode], payload)
        if piece:
            for i in range(0, len(frame), piece):
                s.sendall(frame[i:i + piece])
                time.sleep(0.01)
        else:
            s.sendall(frame)
        op, data = r.frame()
        c.message("recv", OPCODES[op], data)
        assert data == payload
    close = struct.pack("!H", 1000) + b"tiny bye"
    c.close("sent", 1000, "tiny bye")
    s.sendall(build_frame(0x8, close, mask))
    op, data = r.frame()
    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
    c.close("recv", code, data[2:].decode())
    # The server closes TCP first (RFC 6455 7.1.1); wait for its FIN.
    while s.recv(65536):
        pass
    s.close()


def bad_server(host, port, ping=False):
    log = PeerLog("python-raw", "server")
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    print("READY", flush=True)
    s, _ = ls.accept()
    c = log.conn(endpoint(s.getpeername()), endpoint(s.getsockname()))
    r = Reader(s)
    head = r.head()
    c.http("recv", "request", b"", method="GET", path=head.split(" ")[1], upgrade=True)
    # Deliberately wrong: the accept value of RFC 6455's sample key, not of this request's key.
    wrong = accept_for("dGhlIHNhbXBsZSBub25jZQ==")
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {wrong}\r\n\r\n").encode()
    c.http("sent", "response", b"", status=101, accept=wrong, deliberately_wrong=True)
    s.sendall(resp)
    if ping:
        # A server frame is unmasked (RFC 6455 5.1): FIN + opcode 9, length, payload.
        payload = b"still there?"
        s.sendall(bytes([0x89, len(payload)]) + payload)
        c.message("sent", "ping", payload)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()
    ls.close()


def bad_client(host, port):
    log = PeerLog("python-raw", "client")
    s = socket.create_connection((host, port))
    c = log.conn(endpoint(s.getsockname()), endpoint(s.getpeername()))
    key = base64.b64encode(os.urandom(16)).decode()
    c.http("sent", "request", b"", method="GET", path="/chat", upgrade=True)
    s.sendall(upgrade_request(host, port, key, "/chat"))
    head = Reader(s).head()
    got = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("sec-websocket-accept:")]
    ok = bool(got) and got[0] == accept_for(key)
    c.http("recv", "response", b"", status=int(head.split(" ")[1]), accept=got[0] if got else None,
           expected_accept=accept_for(key), accept_ok=ok)
    assert not ok, "the bad server's accept value was right by accident"
    # RFC 6455 4.1: the client must fail the connection; it sends no frame at all.
    time.sleep(0.1)
    s.close()


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"tiny-client": tiny_client, "bad-server": bad_server, "bad-client": bad_client,
     "bad-server-ping": lambda h, p: bad_server(h, p, ping=True)}[mode](host, port)


if __name__ == "__main__":
    main()
