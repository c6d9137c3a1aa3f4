#!/usr/bin/env python3
"""Python `websockets` peers for captures/record.sh.

    py_ws.py server SCENARIO HOST PORT
    py_ws.py client SCENARIO HOST PORT

The server exits by itself once the scenario's connections are done, so the
recorder only has to wait for both processes.  Every message sent or received
is written to the peer log ($PEERLOG, see peerlog.py).
"""

import asyncio
import hashlib
import os
import random
import socket
import ssl
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.http11 import Response

from peerlog import PeerLog, endpoint, log_close_after

LIB = "python-websockets"
# No keepalive pings: every frame in a capture must come from the scenario.
COMMON = dict(ping_interval=None, max_size=None)


def blob(n, seed):
    """Deterministic bytes, so re-recording gives the same payloads."""
    return random.Random(seed).randbytes(n)


def text(n, seed):
    rnd = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rnd.choice(alphabet) for _ in range(n))


def client_conn(log, ws):
    return log.conn(endpoint(ws.local_address), endpoint(ws.remote_address))


def server_conn(log, ws):
    return log.conn(endpoint(ws.remote_address), endpoint(ws.local_address))


# ---------------------------------------------------------------- client side

SCENARIO_MESSAGES = {}


def classroom_steps():
    return [
        ("msg", "Hello"),
        ("msg", "你好，WebSocket"),
        ("msg", bytes([0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01, 0x02, 0x03])),
        ("frag3", ["This message ", "arrives in ", "three fragments"]),
        ("ping", b"are you there?"),
        ("close", (1000, "bye")),
    ]


def echo_steps():
    steps = [
        ("msg", "Hello, echo"),
        ("msg", b"\x01\x02\x03\x04"),
        ("msg", ""),
        ("msg", b""),
        ("msg", text(125, 125)),
        ("msg", text(126, 126)),
        ("msg", blob(125, 1125)),
        ("msg", blob(126, 1126)),
        ("msg", blob(65535, 65535)),
        ("msg", blob(65536, 65536)),
        ("msg", blob(3 * 1024 * 1024, 3)),
        ("ping", b"ping-1"),
        ("ping", b""),
        ("close", (1000, "done")),
    ]
    return steps


def small_echo_steps():
    return [
        ("msg", "hello over " + "this link"),
        ("msg", blob(300, 7)),
        ("msg", text(2000, 8)),
        ("ping", b"still here?"),
        ("close", (1000, "bye")),
    ]


def chat_lines(n):
    users = ["alice", "bob", "carol"]
    words = ["the build is green", "lunch at noon?", "merging now", "reviewing the patch",
             "tests pass locally", "deploying to staging", "looks good to me"]
    out = []
    for i in range(n):
        out.append('{"type":"chat","room":"general","user":"%s","seq":%d,"text":"%s"}'
                   % (users[i % 3], i, words[(i * 5) % len(words)]))
    return out


def deflate_steps():
    steps = [("msg", line) for line in chat_lines(40)]
    steps.append(("msg", blob(64, 99)))  # incompressible: shows the RSV1 bit can stay clear
    steps.append(("msg", "x" * 4000))     # very compressible, spans segments before compression
    steps.append(("frag", ['{"type":"chat","part":1,', '"text":"fragmented and ', 'compressed"}']))
    steps.append(("close", (1000, "bye")))
    return steps


CLIENT_STEPS = {
    "classroom": classroom_steps,
    "echo": echo_steps,
    "ipv6": small_echo_steps,
    "small": small_echo_steps,
    "deflate": deflate_steps,
    "deflate-nocontext": deflate_steps,
    "deflate-window": deflate_steps,
}

CLIENT_PATH = {"classroom": "/chat"}
PACE = {"classroom": 0.22}


def client_extensions(scenario):
    if scenario == "deflate":
        return dict(compression=None, extensions=[ClientPerMessageDeflateFactory()])
    if scenario == "deflate-nocontext":
        return dict(compression=None, extensions=[ClientPerMessageDeflateFactory(
            server_no_context_takeover=True, client_no_context_takeover=True)])
    if scenario == "deflate-window":
        return dict(compression=None, extensions=[ClientPerMessageDeflateFactory(
            server_max_window_bits=11, client_max_window_bits=10)])
    return dict(compression=None)


def uri(host, port, path):
    h = f"[{host}]" if ":" in host else host
    scheme = "wss" if os.environ.get("WSLENS_TLS_CERT") else "ws"
    return f"{scheme}://{h}:{port}{path}"


def tls_context(server):
    """wss:// when record.sh gives a certificate: WSLENS_TLS_CERT/KEY (self-signed, made by
    openssl in the script), WSLENS_TLS_VERSION (1.2 or 1.3), WSLENS_TLS_CIPHERS (an OpenSSL
    TLS 1.2 cipher list), WSLENS_TLS_KEYLOG (the client writes the NSS key log there)."""
    cert = os.environ.get("WSLENS_TLS_CERT")
    if not cert:
        return {}
    if server:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, os.environ["WSLENS_TLS_KEY"])
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if os.environ.get("WSLENS_TLS_KEYLOG"):
            ctx.keylog_filename = os.environ["WSLENS_TLS_KEYLOG"]
    version = os.environ.get("WSLENS_TLS_VERSION")
    if version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif version == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if os.environ.get("WSLENS_TLS_CIPHERS"):
        ctx.set_ciphers(os.environ["WSLENS_TLS_CIPHERS"])
    return dict(ssl=ctx)


async def run_steps(ws, c, steps, pace):
    for kind, arg in steps:
        if pace:
            await asyncio.sleep(pace)
        if kind == "msg":
            c.sent(arg)
            await ws.send(arg)
            echo = await ws.recv()
            c.recv(echo)
            assert echo == arg, "echo differs"
        elif kind == "frag3":
            # Exactly one frame per piece, each in its own write: send(iterable) would
            # add an empty final continuation frame, which the teaching story does not want.
            whole = "".join(arg)
            c.sent(whole, frames=len(arg))
            for i, piece in enumerate(arg):
                if i:
                    await asyncio.sleep(0.1)
                async with ws.send_context():
                    if i == 0:
                        ws.protocol.send_text(piece.encode(), fin=False)
                    else:
                        ws.protocol.send_continuation(piece.encode(), fin=i == len(arg) - 1)
            echo = await ws.recv()
            c.recv(echo)
            assert echo == whole
        elif kind == "frag":
            whole = type(arg[0])().join(arg)
            # send(iterable) writes one frame per item plus an empty final continuation.
            c.sent(whole, frames=len(arg) + 1)
            await ws.send(arg)
            echo = await ws.recv()
            c.recv(echo)
            assert echo == whole
        elif kind == "ping":
            c.message("sent", "ping", arg)
            waiter = await ws.ping(arg)
            await waiter
            # websockets only resolves the waiter on a pong with this exact payload.
            c.message("recv", "pong", arg)
        elif kind == "close":
            code, reason = arg
            c.close("sent", code, reason)
            await ws.close(code, reason)
            log_close_after(c, ws, we_started=True)


async def client_main(scenario, host, port):
    log = PeerLog(LIB, "client")
    if scenario == "close-server":
        return await close_server_client(log, host, port)
    if scenario == "rejected":
        return await rejected_client(log, host, port)
    if scenario == "polling-vs-ws":
        return await polling_vs_ws_client(log, host, port)
    steps = CLIENT_STEPS[scenario]()
    pace = PACE.get(scenario, 0)
    async with connect(uri(host, port, CLIENT_PATH.get(scenario, "/")),
                       **COMMON, **client_extensions(scenario), **tls_context(False)) as ws:
        c = client_conn(log, ws)
        await run_steps(ws, c, steps, pace)
    if pace:
        await asyncio.sleep(pace)


async def close_server_client(log, host, port):
    async with connect(uri(host, port, "/news"), **COMMON, compression=None) as ws:
        c = client_conn(log, ws)
        msg = "subscribe news"
        c.sent(msg)
        await ws.send(msg)
        try:
            while True:
                m = await ws.recv()
                c.recv(m)
        except ConnectionClosed:
            pass
        log_close_after(c, ws, we_started=False)


async def rejected_client(log, host, port):
    # 1) A real WebSocket client asks for a path the server forbids: 403.
    # We make the socket ourselves only to learn its local port for the log.
    sock = socket.create_connection((host, port))
    c = log.conn(endpoint(sock.getsockname()), endpoint(sock.getpeername()))
    c.http("sent", "request", b"", method="GET", path="/private", upgrade=True)
    try:
        async with connect(uri(host, port, "/private"), sock=sock, **COMMON, compression=None):
            raise SystemExit("upgrade to /private unexpectedly accepted")
    except InvalidStatus as exc:
        r = exc.response
        c.http("recv", "response", r.body or b"", status=r.status_code)
    # 2) A plain HTTP GET without Upgrade headers: websockets answers 426 itself.
    log = PeerLog("python-asyncio", "client")
    reader, writer = await asyncio.open_connection(host, port)
    c = log.conn(endpoint(writer.get_extra_info("sockname")), endpoint(writer.get_extra_info("peername")))
    req = f"GET /chat HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: wslens-capture\r\n\r\n".encode()
    c.http("sent", "request", b"", method="GET", path="/chat")
    writer.write(req)
    await writer.drain()
    data = await reader.read()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    c.http("recv", "response", body, status=status)
    writer.close()
    await writer.wait_closed()


CHAT = ["alice: hi all", "bob: hello alice", "alice: lunch?", "bob: sure, 12:30", "alice: see you"]


async def polling_vs_ws_client(wslog, host, port):
    log = PeerLog("python-asyncio", "client")
    # First half: five short polls, each a fresh TCP connection (Connection: close).
    for i in range(len(CHAT)):
        reader, writer = await asyncio.open_connection(host, port)
        c = log.conn(endpoint(writer.get_extra_info("sockname")), endpoint(writer.get_extra_info("peername")))
        path = f"/poll?since={i}"
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: wslens-capture\r\n"
               f"Accept: text/plain\r\nConnection: close\r\n\r\n").encode()
        c.http("sent", "request", b"", method="GET", path=path)
        writer.write(req)
        await writer.drain()
        data = await reader.read()
        head, _, body = data.partition(b"\r\n\r\n")
        c.http("recv", "response", body, status=int(head.split(b" ")[1]))
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.2)
    # Second half: the same five lines pushed over one WebSocket.
    async with connect(uri(host, port, "/chat"), **COMMON, compression=None) as ws:
        c = client_conn(wslog, ws)
        for _ in CHAT:
            m = await ws.recv()
            c.recv(m)
        c.close("sent", 1000, "bye")
        await ws.close(1000, "bye")
        log_close_after(c, ws, we_started=True)


# ---------------------------------------------------------------- server side

def make_echo(log):
    async def echo(ws):
        c = server_conn(log, ws)
        try:
            async for msg in ws:
                c.recv(msg)
                c.sent(msg)
                await ws.send(msg)
        except ConnectionClosed:
            pass
        await ws.wait_closed()
        log_close_after(c, ws, we_started=False)
    return echo


def make_close_server(log):
    async def handler(ws):
        c = server_conn(log, ws)
        m = await ws.recv()
        c.recv(m)
        for i in range(3):
            news = f"headline {i + 1}: wslens ships"
            await asyncio.sleep(0.1)
            c.sent(news)
            await ws.send(news)
        await asyncio.sleep(0.1)
        c.close("sent", 1001, "going away: server restarting")
        await ws.close(1001, "going away: server restarting")
        log_close_after(c, ws, we_started=True)
    return handler


def make_polling_server(log):
    """One port for both styles: HTTP polls are answered in process_request."""
    def process_request(connection, request):
        if request.path.startswith("/poll"):
            since = int(request.path.split("since=")[1])
            body = CHAT[since] if since < len(CHAT) else ""
            c = log.conn(endpoint(connection.remote_address), endpoint(connection.local_address))
            c.http("recv", "request", b"", method="GET", path=request.path)
            resp = connection.respond(200, body + "\n")
            c.http("sent", "response", resp.body, status=200)
            return resp
        return None

    async def handler(ws):
        c = server_conn(log, ws)
        for line in CHAT:
            await asyncio.sleep(0.2)
            c.sent(line)
            await ws.send(line)
        try:
            await ws.recv()
        except ConnectionClosed:
            pass
        log_close_after(c, ws, we_started=False)
    return handler, process_request


def make_rejecting_server(log):
    def process_request(connection, request):
        if request.path == "/private":
            c = log.conn(endpoint(connection.remote_address), endpoint(connection.local_address))
            c.http("recv", "request", b"", method="GET", path=request.path, upgrade=True)
            resp = connection.respond(403, "Forbidden: no token\n")
            c.http("sent", "response", resp.body, status=403)
            return resp
        return None

    async def handler(ws):
        await ws.close()
    return handler, process_request


# How many connections each scenario's server serves before exiting.
SERVER_CONNS = {"polling-vs-ws": 6, "rejected": 2}


async def server_main(scenario, host, port):
    log = PeerLog(LIB, "server")
    process_request = None
    kwargs = dict(compression=None)
    if scenario == "close-server":
        handler = make_close_server(log)
    elif scenario == "polling-vs-ws":
        handler, process_request = make_polling_server(log)
    elif scenario == "rejected":
        handler, process_request = make_rejecting_server(log)
    else:
        handler = make_echo(log)
        if scenario.startswith("deflate"):
            # Accept whatever the client offers, so the client alone picks the parameters.
            kwargs = dict(compression=None, extensions=[ServerPerMessageDeflateFactory()])
    expected = SERVER_CONNS.get(scenario, 1)
    done = asyncio.Event()
    count = 0

    async def counted(ws):
        nonlocal count
        try:
            await handler(ws)
        finally:
            count += 1
            if count >= expected:
                done.set()

    def counted_request(connection, request):
        nonlocal count
        resp = process_request(connection, request) if process_request else None
        if resp is not None or "upgrade" not in request.headers.get("Connection", "").lower():
            # Answered over plain HTTP (ours or websockets' own 426): the connection ends here.
            count += 1
            if count >= expected:
                asyncio.get_running_loop().call_later(0.5, done.set)
        return resp

    def log_own_refusal(connection, request, response):
        # websockets answers a request without Upgrade headers itself (426); log that too.
        if response.status_code == 426:
            c = log.conn(endpoint(connection.remote_address), endpoint(connection.local_address))
            c.http("recv", "request", b"", method="GET", path=request.path)
            c.http("sent", "response", response.body or b"", status=426)
        return None

    async with serve(counted, host, port, process_request=counted_request,
                     process_response=log_own_refusal, **COMMON, **kwargs,
                     **tls_context(True)):
        print("READY", flush=True)
        await done.wait()
        await asyncio.sleep(0.2)


def main():
    role, scenario, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if role == "server":
        asyncio.run(server_main(scenario, host, port))
    else:
        asyncio.run(client_main(scenario, host, port))


if __name__ == "__main__":
    main()
