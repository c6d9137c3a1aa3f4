#!/usr/bin/env python3
"""Server for browser.pcap and browser-tls.pcap: serves the page, answers its polls,
echoes its WebSocket. With WSLENS_TLS_CERT/WSLENS_TLS_KEY (record.sh's self-signed
certificate) it serves https:// and wss:// instead.

    browser_server.py HOST PORT
    browser_server.py --console CHROMIUM_STDERR SERVER_LOG > PAGE_LOG

The second form turns the page's console reports (lines "WSLENS {...}" that
chromium prints on stderr) into peer-log lines, borrowing the connection's
endpoints from the server's own log, since a page cannot see its TCP ports.
"""

import asyncio
import json
import os
import re
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from peerlog import PeerLog, endpoint

HERE = os.path.dirname(os.path.abspath(__file__))
NEWS = ["nothing new", "alice: hi", "nothing new"]


def console_to_log(stderr_path, server_log):
    ends = None
    with open(server_log, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            if "opcode" in obj:
                ends = (obj["client"], obj["server"])
                break
    pat = re.compile(r'"WSLENS (\{.*\})", source:')
    with open(stderr_path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = pat.search(line)
            if not m or ends is None:
                continue
            rep = json.loads(m.group(1))
            out = {"lib": "chromium", "role": "client", "client": ends[0], "server": ends[1],
                   "dir": "c2s" if rep["action"] == "sent" else "s2c"}
            out.update(rep)
            print(json.dumps(out, ensure_ascii=False))


async def main(host, port):
    log = PeerLog("python-websockets", "server")
    done = asyncio.Event()
    page = open(os.path.join(HERE, "browser.html"), "rb").read()

    def process_request(connection, request):
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        c = log.conn(endpoint(connection.remote_address), endpoint(connection.local_address))
        c.http("recv", "request", b"", method="GET", path=request.path)
        if request.path == "/":
            body, ctype, status = page, "text/html; charset=utf-8", 200
        elif request.path.startswith("/poll"):
            n = int(request.path.split("n=")[1])
            body, ctype, status = (NEWS[n % len(NEWS)] + "\n").encode(), "text/plain", 200
        else:
            body, ctype, status = b"not found\n", "text/plain", 404
        headers = Headers([("Content-Type", ctype), ("Content-Length", str(len(body))),
                           ("Cache-Control", "no-store"), ("Connection", "close")])
        c.http("sent", "response", body, status=status)
        return Response(status, "OK" if status == 200 else "Not Found", headers, body)

    async def handler(ws):
        c = log.conn(endpoint(ws.remote_address), endpoint(ws.local_address))
        try:
            async for msg in ws:
                c.recv(msg)
                c.sent(msg)
                await ws.send(msg)
        except ConnectionClosed:
            pass
        await ws.wait_closed()
        p = ws.protocol
        if p.close_rcvd is not None:
            c.close("recv", p.close_rcvd.code, p.close_rcvd.reason)
        if p.close_sent is not None:
            c.close("sent", p.close_sent.code, p.close_sent.reason, auto=True)
        done.set()

    tls = {}
    if os.environ.get("WSLENS_TLS_CERT"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["WSLENS_TLS_CERT"], os.environ["WSLENS_TLS_KEY"])
        tls = dict(ssl=ctx)
    # websockets' default compression: the browser offers permessage-deflate and gets it.
    async with serve(handler, host, port, process_request=process_request, ping_interval=None,
                     **tls):
        print("READY", flush=True)
        await done.wait()
        await asyncio.sleep(0.3)


if __name__ == "__main__":
    if sys.argv[1] == "--console":
        console_to_log(sys.argv[2], sys.argv[3])
    else:
        asyncio.run(main(sys.argv[1], int(sys.argv[2])))
