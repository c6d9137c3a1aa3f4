#!/usr/bin/env python3
"""Merge per-peer logs into captures/NAME.peers.ndjson.

    merge_log.py OUT NAME DESCRIPTION PEER[,PEER...] FILE...

Lines are ordered by the time each peer wrote them; the private "_t" key is
dropped.  The header line is the first line of the output.
"""
import json
import sys

out, name, description, peers, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
rows = []
for i, path in enumerate(files):
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                if line.strip():
                    obj = json.loads(line)
                    rows.append((obj.pop("_t", 0.0), i, n, obj))
    except FileNotFoundError:
        pass
rows.sort(key=lambda r: (r[0], r[1], r[2]))
with open(out, "w", encoding="utf-8") as fh:
    header = {"capture": name, "description": description, "peers": peers.split(",")}
    fh.write(json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n")
    for _, _, _, obj in rows:
        fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
