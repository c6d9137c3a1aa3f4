#!/usr/bin/env python3
"""Real WebSocket traffic on loopback at a set packet rate, for benches/live_rate.sh.

    live_cost.py PORT MESSAGES RATE

A server and a client in one process (two threads), stdlib only: the client sends the HTTP
Upgrade request, the server answers 101 with the Sec-WebSocket-Accept computed from the key,
then the client sends MESSAGES masked text frames (TCP_NODELAY, one frame per send) at RATE
frames/s and the server echoes each one back unmasked; then both send Close and shut down.
Each message is two data segments (and the ACKs the kernel adds). Prints the frames sent.
"""
import base64, hashlib, os, socket, struct, sys, threading, time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
port, count, rate = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])


def frame(op, payload, mask):
    head = bytes([0x80 | op])
    n = len(payload)
    m = 0x80 if mask else 0
    head += bytes([m | n]) if n < 126 else bytes([m | 126]) + struct.pack("!H", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frame(f):
    b0, b1 = f.read(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", f.read(2))[0]
    key = f.read(4) if b1 & 0x80 else None
    data = f.read(n)
    if key:
        data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, data


lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", port))
lsock.listen(1)


def server():
    c, _ = lsock.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile("rb")
    key = None
    while True:
        line = f.readline()
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
        if line in (b"\r\n", b""):
            break
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    while True:
        op, data = read_frame(f)
        if op == 8:
            c.sendall(frame(8, data, False))
            break
        c.sendall(frame(op, data, False))
    c.close()


t = threading.Thread(target=server)
t.start()
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
key = base64.b64encode(os.urandom(16))
s.sendall(b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
f = s.makefile("rb")
while f.readline() not in (b"\r\n", b""):
    pass
reader = threading.Thread(target=lambda: [read_frame(f) for _ in range(count)])
reader.start()
gap = 1.0 / rate if rate > 0 else 0.0
nxt = time.monotonic()
for i in range(count):
    if gap:
        while time.monotonic() < nxt:
            pass
        nxt += gap
    s.sendall(frame(1, b"message %d" % i, True))
reader.join()
s.sendall(frame(8, struct.pack("!H", 1000), True))
read_frame(f)
s.close()
t.join()
print(count)
