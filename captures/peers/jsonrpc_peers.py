#!/usr/bin/env python3
"""A JSON-RPC 2.0 service over WebSocket: jsonrpcserver behind a python websockets server, and a
jsonrpcclient client.

    jsonrpc_peers.py server HOST PORT
    jsonrpc_peers.py client HOST PORT

The server dispatches every text message with jsonrpcserver (methods add, echo, divide, log) and
sends back what the library answers (nothing for a notification). The client builds its messages
with jsonrpcclient: requests, a notification, a call to an unknown method (-32601), a call with
the wrong parameters (-32602), an application error, and a batch, then closes. Both log every
message (lib "python-websockets", the peers' contract) with "rpc" listing each JSON-RPC object
it holds as [kind, id, method] (a batch lists several).
"""

import asyncio
import json
import sys

import websockets
from jsonrpcclient import notification, request
from jsonrpcserver import Error, Success, async_dispatch, method

from peerlog import PeerLog, endpoint, log_close_after


def shapes(text):
    """[kind, id, method] of each JSON-RPC object in a message, as the peers see it."""
    v = json.loads(text)
    out = []
    for o in v if isinstance(v, list) else [v]:
        if "method" in o:
            out.append(["request" if "id" in o else "notification", o.get("id"), o["method"]])
        elif "error" in o:
            out.append(["error", o.get("id"), None])
        else:
            out.append(["response", o.get("id"), None])
    return out


@method
async def add(a, b):
    return Success(a + b)


@method
async def echo(text):
    return Success(text)


@method
async def divide(a, b):
    if b == 0:
        return Error(1, "division by zero", {"a": a})
    return Success(a / b)


@method
async def log(message):
    return Success(None)


async def serve(host, port):
    plog = PeerLog("python-websockets", "server")

    async def handler(ws):
        c = plog.conn(endpoint(ws.remote_address), endpoint(ws.local_address))
        async for msg in ws:
            c.recv(msg, rpc=shapes(msg))
            answer = await async_dispatch(msg)
            if answer:
                c.sent(answer, rpc=shapes(answer))
                await ws.send(answer)
        await ws.wait_closed()
        log_close_after(c, ws, we_started=False)

    async with websockets.serve(handler, host, port, compression=None):
        print("READY", flush=True)
        await asyncio.Future()


async def client(host, port):
    plog = PeerLog("python-websockets", "client")
    async with websockets.connect(f"ws://{host}:{port}/rpc", compression=None) as ws:
        c = plog.conn(endpoint(ws.local_address), endpoint(ws.remote_address))

        async def send(obj, answered=True):
            text = json.dumps(obj)
            c.sent(text, rpc=shapes(text))
            await ws.send(text)
            if answered:
                reply = await asyncio.wait_for(ws.recv(), 10)
                c.recv(reply, rpc=shapes(reply))

        await send(request("add", params=(2, 3)))
        await send(request("echo", params={"text": "hello, JSON-RPC"}))
        await send(notification("log", params={"message": "no answer expected"}), False)
        await asyncio.sleep(0.05)
        await send(request("no.such.method"))
        await send(request("add", params=(1,)))
        await send(request("divide", params=(1, 0)))
        await send([request("add", params=(10, 20)), request("echo", params=["batch"]),
                    notification("log", params=["in a batch"])])
        c.close("sent", 1000, "done")
        await ws.close(1000, "done")
        log_close_after(c, ws, we_started=True)


if __name__ == "__main__":
    role, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    asyncio.run(serve(host, port) if role == "server" else client(host, port))
