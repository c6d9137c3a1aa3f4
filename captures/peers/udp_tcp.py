"""The same little exchange over UDP and over TCP, for contrast: a datagram needs no
connection (no handshake, no states), a TCP byte stream does.

    udp_tcp.py server HOST PORT      echo on UDP PORT and TCP PORT+1, print READY
    udp_tcp.py client HOST PORT      send five lines each way, log every datagram / line

Each datagram (and each TCP line) goes into the peer log with "proto": "udp" or "tcp" and
opcode "datagram" / "line", so the tests can count them per flow and direction.
"""

import socket
import sys
import threading

from peerlog import PeerLog, endpoint

LINES = [f"reading {i}: temperature {20 + i}.5 C".encode() for i in range(5)]


def server(host, port):
    log = PeerLog("python-socket", "server")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((host, port))
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((host, port + 1))
    t.listen(1)
    print("READY", flush=True)

    def udp_loop():
        for _ in LINES:
            data, peer = u.recvfrom(2048)
            c = log.conn(endpoint(peer), endpoint(u.getsockname()))
            c.message("recv", "datagram", data, proto="udp")
            u.sendto(data.upper(), peer)
            c.message("sent", "datagram", data.upper(), proto="udp")

    th = threading.Thread(target=udp_loop)
    th.start()
    conn, peer = t.accept()
    c = log.conn(endpoint(peer), endpoint(conn.getsockname()))
    f = conn.makefile("rb")
    for _ in LINES:
        line = f.readline()
        c.message("recv", "line", line, proto="tcp")
        conn.sendall(line.upper())
        c.message("sent", "line", line.upper(), proto="tcp")
    conn.close()
    th.join()


def client(host, port):
    log = PeerLog("python-socket", "client")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.connect((host, port))
    c = log.conn(endpoint(u.getsockname()), endpoint((host, port)))
    for line in LINES:
        u.send(line)
        c.message("sent", "datagram", line, proto="udp")
        back = u.recv(2048)
        c.message("recv", "datagram", back, proto="udp")
    t = socket.create_connection((host, port + 1))
    c = log.conn(endpoint(t.getsockname()), endpoint((host, port + 1)))
    f = t.makefile("rb")
    for line in LINES:
        t.sendall(line + b"\n")
        c.message("sent", "line", line + b"\n", proto="tcp")
        back = f.readline()
        c.message("recv", "line", back, proto="tcp")
    t.close()


if __name__ == "__main__":
    role, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (server if role == "server" else client)(host, port)
