#!/usr/bin/env python3
"""Plain-HTTP peers for captures/record.sh (no WebSocket at all).

    http_poll.py server HOST PORT     serves /poll (Content-Length) and /stream (chunked)
    http_poll.py client HOST PORT     5 short polls, then one keep-alive connection
    http_poll.py refused HOST PORT    connects to a port nobody listens on

Requests and responses are logged with the "http" key instead of "opcode"
(see captures/README.md); len/sha256 cover the (de-chunked) body.
"""

import asyncio
import http.client
import socket
import sys
import time

from peerlog import PeerLog, endpoint

NEWS = ["nothing new", "nothing new", "alice: hi!", "nothing new", "bob: hello alice"]


def chunked(parts):
    out = b""
    for p in parts:
        out += b"%x\r\n" % len(p) + p + b"\r\n"
    return out + b"0\r\n\r\n"


async def serve_conn(log, reader, writer, done):
    c = log.conn(endpoint(writer.get_extra_info("peername")), endpoint(writer.get_extra_info("sockname")))
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in
                       (h.split(":", 1) for h in lines[1:] if ":" in h)}
            c.http("recv", "request", b"", method=method, path=target)
            keep = headers.get("connection", "").lower() != "close"
            conn_hdr = b"keep-alive" if keep else b"close"
            if target.startswith("/stream"):
                parts = [b"first chunk\n", b"second, a little longer chunk\n", b"third\n"]
                body = b"".join(parts)
                resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        b"Transfer-Encoding: chunked\r\nConnection: " + conn_hdr + b"\r\n\r\n")
                c.http("sent", "response", body, status=200, chunked=True)
                writer.write(resp)
                await writer.drain()
                # Each chunk in its own write, a moment apart, as a streaming server would.
                for p in parts:
                    await asyncio.sleep(0.05)
                    writer.write(b"%x\r\n" % len(p) + p + b"\r\n")
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            else:
                n = int(target.split("n=")[1]) if "n=" in target else 0
                body = (NEWS[n % len(NEWS)] + "\n").encode()
                resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                        b"Cache-Control: no-store\r\nConnection: %s\r\n\r\n" % (len(body), conn_hdr)) + body
                c.http("sent", "response", body, status=200)
                writer.write(resp)
            await writer.drain()
            if not keep:
                break
    except asyncio.IncompleteReadError:
        pass
    writer.close()
    await writer.wait_closed()
    done()


async def server_main(host, port, expected=6):
    log = PeerLog("python-http", "server")
    finished = asyncio.Event()
    count = 0

    def done():
        nonlocal count
        count += 1
        if count >= expected:
            finished.set()

    srv = await asyncio.start_server(lambda r, w: serve_conn(log, r, w, done), host, port)
    print("READY", flush=True)
    await finished.wait()
    srv.close()
    await srv.wait_closed()


def request(log, conn, path, close):
    headers = {"User-Agent": "wslens-capture", "Accept": "text/plain"}
    if close:
        headers["Connection"] = "close"
    conn.request("GET", path, headers=headers)
    c = log.conn(endpoint(conn.sock.getsockname()), endpoint(conn.sock.getpeername()))
    c.http("sent", "request", b"", method="GET", path=path)
    r = conn.getresponse()
    body = r.read()  # http.client removes the chunked framing
    extra = {"chunked": True} if r.chunked or r.getheader("Transfer-Encoding") else {}
    c.http("recv", "response", body, status=r.status, **extra)


def client_main(host, port):
    log = PeerLog("python-http", "client")
    for i in range(5):
        conn = http.client.HTTPConnection(host, port)
        request(log, conn, f"/poll?n={i}", close=True)
        conn.close()
        time.sleep(0.25)
    conn = http.client.HTTPConnection(host, port)
    request(log, conn, "/poll?n=2", close=False)
    time.sleep(0.1)
    request(log, conn, "/stream", close=False)
    time.sleep(0.1)
    request(log, conn, "/poll?n=4", close=True)
    conn.close()


def refused_main(host, port):
    log = PeerLog("python-socket", "client")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))  # bound first only to learn the port for the log
    client = endpoint(s.getsockname())
    try:
        s.connect((host, port))
        raise SystemExit("connection unexpectedly accepted")
    except ConnectionRefusedError:
        log._write({"lib": log.lib, "role": "client", "client": client, "server": f"{host}:{port}",
                    "action": "refused", "error": "ECONNREFUSED"})
    s.close()


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "server":
        asyncio.run(server_main(host, port))
    elif mode == "client":
        client_main(host, port)
    else:
        refused_main(host, port)


if __name__ == "__main__":
    main()
