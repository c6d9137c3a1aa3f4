"""Peer-log writer shared by the Python peers.

Every peer appends one JSON object per message it sends or receives to the
file named by $PEERLOG (record.sh merges the per-peer files in time order and
removes the private "_t" key).  The format is the contract described in
captures/README.md; keep both in sync.
"""

import hashlib
import json
import os
import time


def endpoint(addr):
    """Format a socket address tuple the way the contract wants it."""
    host, port = addr[0], addr[1]
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def payload_bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


class PeerLog:
    def __init__(self, lib, role):
        self.lib = lib
        self.role = role
        path = os.environ.get("PEERLOG")
        # Line-buffered append: several peers may share a directory, never a file.
        self.fh = open(path, "a", buffering=1) if path else None

    def _write(self, obj):
        if self.fh is None:
            return
        obj["_t"] = time.time()
        self.fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def conn(self, client, server):
        """Endpoints (already formatted) of one connection."""
        return Conn(self, client, server)


class Conn:
    def __init__(self, log, client, server):
        self.log = log
        self.client = client
        self.server = server

    def _base(self, direction, action, opcode):
        return {
            "lib": self.log.lib,
            "role": self.log.role,
            "client": self.client,
            "server": self.server,
            "dir": direction,
            "action": action,
            "opcode": opcode,
        }

    def _own_dir(self):
        return "c2s" if self.log.role == "client" else "s2c"

    def _peer_dir(self):
        return "s2c" if self.log.role == "client" else "c2s"

    def message(self, action, opcode, data, auto=False, **extra):
        """Log one whole message (or control frame) with its application payload."""
        payload = payload_bytes(data)
        direction = self._own_dir() if action == "sent" else self._peer_dir()
        obj = self._base(direction, action, opcode)
        obj["len"] = len(payload)
        obj["sha256"] = hashlib.sha256(payload).hexdigest()
        if auto:
            obj["auto"] = True
        obj.update(extra)
        self.log._write(obj)

    def sent(self, data, **extra):
        self.message("sent", "text" if isinstance(data, str) else "binary", data, **extra)

    def recv(self, data, **extra):
        self.message("recv", "text" if isinstance(data, str) else "binary", data, **extra)

    def close(self, action, code, reason, auto=False):
        """Log a close frame; len/sha256 cover its whole payload (code + reason)."""
        if code is None:
            payload = b""
        else:
            payload = code.to_bytes(2, "big") + reason.encode("utf-8")
        extra = {}
        if code is not None:
            extra = {"close_code": code, "close_reason": reason}
        self.message(action, "close", payload, auto=auto, **extra)

    def http(self, action, kind, body=b"", **extra):
        """Log an HTTP request or response (plain-HTTP peers, rejected upgrades)."""
        payload = payload_bytes(body)
        direction = self._own_dir() if action == "sent" else self._peer_dir()
        obj = {
            "lib": self.log.lib,
            "role": self.log.role,
            "client": self.client,
            "server": self.server,
            "dir": direction,
            "action": action,
            "http": kind,
            "len": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        obj.update(extra)
        self.log._write(obj)


def log_close_after(c, ws, we_started):
    """Log the close frames once the closing handshake is over.

    websockets keeps the exact frames it sent and received (protocol.close_sent /
    close_rcvd), so the log states what really crossed the wire.  A close we
    started was already logged before sending it.
    """
    p = ws.protocol
    if p.close_rcvd is not None:
        c.close("recv", p.close_rcvd.code if p.close_rcvd.code != 1005 else None, p.close_rcvd.reason)
    if not we_started and p.close_sent is not None:
        code = p.close_sent.code if p.close_sent.code != 1005 else None
        c.close("sent", code, p.close_sent.reason, auto=True)
