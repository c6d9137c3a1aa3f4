#!/usr/bin/env python3
"""Drive headless Chromium over the Chrome DevTools Protocol (JSON-RPC-shaped messages).

    cdp_client.py HOST PORT

Waits for Chromium's DevTools HTTP endpoint, asks /json/list for the page target (plain HTTP),
opens its WebSocket with the python websockets client and sends a few commands: Runtime.enable
(the browser then sends events), Runtime.evaluate (a result, then a thrown exception),
Page.enable, Page.navigate to a data: URL (events follow), an unknown method (an error reply),
then closes. Every message sent and received is logged to $PEERLOG (lib "python-websockets",
the same contract as the other peers, plus "cdp_id"/"cdp_method" for convenience).
"""

import asyncio
import json
import sys
import time
import urllib.request

import websockets

from peerlog import PeerLog, endpoint


def targets(host, port):
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/json/list", timeout=1) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    return pages
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("no DevTools page target")


async def main(host, port):
    page = targets(host, port)[0]
    url = page["webSocketDebuggerUrl"].replace("localhost", host)
    log = PeerLog("python-websockets", "client")
    # DevTools refuses compression it did not ask for; keep frames plain.
    async with websockets.connect(url, compression=None, max_size=None) as ws:
        c = log.conn(endpoint(ws.local_address), endpoint(ws.remote_address))
        next_id = 0
        answers = {}

        async def reader():
            async for msg in ws:
                obj = json.loads(msg)
                c.recv(msg, cdp_id=obj.get("id"), cdp_method=obj.get("method"))
                if "id" in obj:
                    answers[obj["id"]].set_result(obj)

        task = asyncio.create_task(reader())

        async def call(method, params=None):
            nonlocal next_id
            next_id += 1
            msg = {"id": next_id, "method": method}
            if params is not None:
                msg["params"] = params
            text = json.dumps(msg)
            answers[next_id] = asyncio.get_running_loop().create_future()
            c.sent(text, cdp_id=next_id, cdp_method=method)
            await ws.send(text)
            return await asyncio.wait_for(answers[next_id], 10)

        await call("Runtime.enable")
        await call("Runtime.evaluate", {"expression": "6 * 7", "returnByValue": True})
        await call("Runtime.evaluate", {"expression": "(() => { throw new Error('boom') })()"})
        await call("Page.enable")
        await call("Page.navigate", {"url": "data:text/html,<title>wslens</title><p>hello"})
        await asyncio.sleep(0.5)
        await call("No.suchMethod")
        await asyncio.sleep(0.2)
        task.cancel()
        c.close("sent", 1000, "done")
        await ws.close(1000, "done")
        p = ws.protocol
        if p.close_rcvd is not None:
            code = p.close_rcvd.code if p.close_rcvd.code != 1005 else None
            c.close("recv", code, p.close_rcvd.reason)
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
