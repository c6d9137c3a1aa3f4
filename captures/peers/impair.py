#!/usr/bin/env python3
"""A lossy link in user space, for lossy.pcap.

    impair.py IF_CLIENT IF_SERVER SEED

This kernel has no netem, so a middle namespace bridges two veth ends with
AF_PACKET sockets and impairs what it forwards: frames from the client side
are lost (3%), delayed (5 ms +- 2 ms) and some held back 15 ms so later
frames overtake them (reordering, 10%); frames from the server side are lost
at 1% and delayed 5 ms.  TCP then really retransmits and really receives out
of order; the capture taps the server's end.  SYN segments are never dropped
so the handshake stays readable.  Runs until killed.
"""

import heapq
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_if(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setblocking(False)
    return s


def is_tcp_non_syn(frame):
    if len(frame) < 14 + 20 + 14 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return False
    ihl = (frame[14] & 0x0F) * 4
    flags = frame[14 + ihl + 13]
    return not flags & 0x02


def main():
    cif, sif, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rnd = random.Random(seed)
    cs, ss = open_if(cif), open_if(sif)
    print("READY", flush=True)
    queue = []  # (due, seq, out_socket, frame)
    seq = 0
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
            except OSError:
                pass
        timeout = max(0.0, queue[0][0] - now) if queue else 0.5
        ready, _, _ = select.select([cs, ss], [], [], timeout)
        for sock in ready:
            while True:
                try:
                    frame, addr = sock.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own transmissions, seen again on this socket
                from_client = sock is cs
                out = ss if from_client else cs
                delay = 0.005
                if is_tcp_non_syn(frame):
                    if rnd.random() < (0.03 if from_client else 0.01):
                        continue
                    if from_client:
                        delay += rnd.uniform(-0.002, 0.002)
                        if rnd.random() < 0.10:
                            delay += 0.015
                seq += 1
                heapq.heappush(queue, (time.monotonic() + delay, seq, out, frame))


if __name__ == "__main__":
    main()
