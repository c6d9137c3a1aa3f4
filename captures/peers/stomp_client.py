#!/usr/bin/env python3
"""STOMP 1.2 over WebSocket with the unmodified stomp.py client (its WSStompConnection, on
websocket-client), against RabbitMQ's web-stomp.

    stomp_client.py HOST PORT

stomp.py offers no subprotocol, so the connection is recognised from its content. It connects
(no heart-beats), subscribes to a topic with client-individual acks and a receipt, sends two
messages (one with non-ASCII text, so content-length counts bytes, not characters), acks the
first delivery, nacks the second, unsubscribes and disconnects, each with a receipt (RabbitMQ
closes the WebSocket on DISCONNECT without sending the RECEIPT).

Every frame stomp.py hands to its listeners (on_send for what it sends; on_connected,
on_message, on_receipt, on_error for what it receives) goes to $PEERLOG as one JSON object:
{"command", "headers", "body"}.
"""

import json
import os
import sys
import threading
import time

import stomp
from stomp.adapter.ws import WSStompConnection

LOG = open(os.environ["PEERLOG"], "a", buffering=1) if os.environ.get("PEERLOG") else None


def log(direction, action, frame, command=None):
    if LOG is None:
        return
    body = frame.body if frame is not None else None
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    obj = {"lib": "stomp.py", "role": "client", "dir": direction, "action": action,
           "command": command or frame.cmd, "headers": dict(frame.headers) if frame else {},
           "body": body, "_t": time.time()}
    LOG.write(json.dumps(obj, ensure_ascii=False) + "\n")


class Logger(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.receipts = set()
        self.cond = threading.Condition()

    def on_send(self, frame):
        log("c2s", "sent", frame, command=frame.cmd or "heartbeat")

    def on_connected(self, frame):
        log("s2c", "recv", frame, command="CONNECTED")

    def on_message(self, frame):
        log("s2c", "recv", frame, command="MESSAGE")
        with self.cond:
            self.messages.append(frame)
            self.cond.notify_all()

    def on_receipt(self, frame):
        log("s2c", "recv", frame, command="RECEIPT")
        with self.cond:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def on_error(self, frame):
        log("s2c", "recv", frame, command="ERROR")

    def wait(self, pred):
        with self.cond:
            if not self.cond.wait_for(pred, timeout=10):
                sys.exit("timed out")


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    conn = WSStompConnection([(host, port)], ws_path="/ws", vhost="/", heartbeats=(0, 0))
    lg = Logger()
    conn.set_listener("log", lg)
    conn.connect("guest", "guest", wait=True)
    conn.subscribe("/topic/wslens-py", id="py-sub", ack="client-individual",
                   headers={"receipt": "py-r1"})
    lg.wait(lambda: "py-r1" in lg.receipts)
    conn.send("/topic/wslens-py", "plain text")
    conn.send("/topic/wslens-py", "ünïcödé ✓", content_type="text/plain;charset=utf-8",
              headers={"x-lang": "de"})
    lg.wait(lambda: len(lg.messages) == 2)
    conn.ack(lg.messages[0].headers["ack"])
    conn.nack(lg.messages[1].headers["ack"])
    conn.unsubscribe("py-sub", headers={"receipt": "py-r2"})
    lg.wait(lambda: "py-r2" in lg.receipts)
    conn.disconnect(receipt="py-bye")


if __name__ == "__main__":
    main()
