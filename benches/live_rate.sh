#!/usr/bin/env bash
# Packets per second captured on lo, for wslens live (both backends) beside tcpdump, under the
# same load: a UDP flood to one port from a second process, bounded in time.
#
#   cargo build --release --features libpcap
#   sudo benches/live_rate.sh [SECONDS] [RATE]      (MSGS=, MRATE= for the CPU part)
#
# RATE is the sender's target packets/s (0 = as fast as it can). Each tool is run alone with the
# same load; the table shows what the sender sent, what the tool captured, and the drops it
# reports (wslens: "dropped by wslens" = its own queue, "kernel" = socket/ring drops).
set -euo pipefail
SECS=${1:-3}
RATE=${2:-0}
WSLENS=${WSLENS:-$(dirname "$0")/../target/release/wslens}
[ -x "$WSLENS" ] || WSLENS=${CARGO_TARGET_DIR:-target}/release/wslens
PORT=${PORT:-47123}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# SENDERS parallel senders share RATE (one Python process cannot send 80k packets/s on a
# loaded 2-core machine); the total sent is printed.
SENDERS=${SENDERS:-1}
send() {
  local i pids=() total=0 n
  for ((i = 0; i < SENDERS; i++)); do
    send_one "$(awk -v r="$RATE" -v n="$SENDERS" 'BEGIN { print r / n }')" > "$TMP/sent.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  for ((i = 0; i < SENDERS; i++)); do
    n=$(cat "$TMP/sent.$i"); total=$((total + n))
  done
  echo "$total"
}

# A paced sender in C (sendmmsg, one system call per millisecond's packets) when a C compiler
# is at hand: it leaves the cores to the capture, where the Python one spins one of them.
CSEND=""
if command -v cc >/dev/null 2>&1; then
  cat > "$TMP/send.c" <<'C'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
int main(int argc, char **argv) {
  int port = atoi(argv[1]); double secs = atof(argv[2]), rate = atof(argv[3]);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET; to.sin_port = htons(port); to.sin_addr.s_addr = htonl(0x7f000001);
  char payload[64]; memset(payload, 'x', sizeof payload);
  enum { B = 1024 };
  static struct mmsghdr m[B]; static struct iovec v[B];
  for (int i = 0; i < B; i++) {
    v[i].iov_base = payload; v[i].iov_len = sizeof payload;
    m[i].msg_hdr.msg_iov = &v[i]; m[i].msg_hdr.msg_iovlen = 1;
    m[i].msg_hdr.msg_name = &to; m[i].msg_hdr.msg_namelen = sizeof to;
  }
  struct timespec t0, t; clock_gettime(CLOCK_MONOTONIC, &t0);
  long long sent = 0;
  for (long ms = 1;; ms++) {
    double due = rate > 0 ? rate * ms / 1000.0 : sent + B;
    while (sent < (long long)due) {
      int n = (int)((long long)due - sent); if (n > B) n = B;
      int k = sendmmsg(s, m, n, 0); if (k <= 0) break; sent += k;
    }
    struct timespec next = t0; next.tv_nsec += (ms % 1000) * 1000000L; next.tv_sec += ms / 1000;
    if (next.tv_nsec >= 1000000000L) { next.tv_sec++; next.tv_nsec -= 1000000000L; }
    if (ms / 1000.0 >= secs) break;
    if (rate > 0) clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  (void)t; printf("%lld\n", sent); return 0;
}
C
  cc -O2 -o "$TMP/send" "$TMP/send.c" 2>/dev/null && CSEND="$TMP/send"
fi

send_one() {
  if [ -n "$CSEND" ]; then
    "$CSEND" "$PORT" "$SECS" "$1"
    return
  fi
  python3 - "$PORT" "$SECS" "$1" <<'PY'
import socket, sys, time
port, secs, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * 64
end = time.monotonic() + secs
n = 0
gap = 1.0 / rate if rate > 0 else 0.0
nxt = time.monotonic()
while True:
    now = time.monotonic()
    if now >= end:
        break
    if gap:
        if now < nxt:
            continue
        nxt += gap
    s.sendto(payload, ("127.0.0.1", port))
    n += 1
print(n)
PY
}

printf '| tool | sent | captured | captured pkt/s | dropped (tool) | dropped (kernel) |\n'
printf '|---|---|---|---|---|---|\n'

for backend in pnet pcap; do
  # Events go to a file (the closing note carries the counts): decoding and output are part
  # of the pipeline measured, as in real use.
  "$WSLENS" live -p "$PORT" --json --backend "$backend" > "$TMP/out" 2>/dev/null &
  pid=$!
  sleep 0.5
  sent=$(send)
  sleep 0.5
  kill -INT "$pid"; wait "$pid" || true
  note=$(grep '"capture-' "$TMP/out" | tail -1)
  cap=$(sed -E 's/.*: ([0-9]+) packets captured.*/\1/' <<<"$note")
  ours=$(sed -E 's/.*, ([0-9]+) dropped by wslens.*/\1/' <<<"$note")
  kern=$(sed -E 's/.*\), ([0-9]+|kernel drops unknown)( dropped by the kernel)?;.*/\1/' <<<"$note")
  printf '| wslens live --backend %s | %s | %s | %s | %s | %s |\n' "$backend" "$sent" "$cap" \
    "$((cap / ${SECS%.*}))" "$ours" "$kern"
done

tcpdump -i lo -n -w /dev/null "udp port $PORT" 2>"$TMP/td" &
pid=$!
sleep 0.5
sent=$(send)
sleep 0.5
kill -INT "$pid"; wait "$pid" || true
cap=$(sed -nE 's/^([0-9]+) packets captured/\1/p' "$TMP/td")
kern=$(sed -nE 's/^([0-9]+) packets dropped by kernel/\1/p' "$TMP/td")
printf '| tcpdump -i lo -w /dev/null | %s | %s | %s | - | %s |\n' "$sent" "$cap" "$((cap / ${SECS%.*}))" "$kern"

# CPU cost: `wslens live` on real WebSocket traffic (benches/live_cost.py: MSGS echoed messages
# at MRATE messages/s, about 4 packets each) against `wslens decode` of tcpdump's recording of
# the same packets, made at the same time. Output goes to a file, as in real use.
MSGS=${MSGS:-100000}
MRATE=${MRATE:-20000}
WSPORT=${WSPORT:-$((PORT + 1))}
printf '\n| backend | packets | live CPU s | decode of the recording CPU s | ratio | dropped (tool) | dropped (kernel) |\n'
printf '|---|---|---|---|---|---|---|\n'
cpu() { awk '{printf "%.2f", $1 + $2}' "$1"; }
for backend in pnet pcap; do
  tcpdump -i lo -n -w "$TMP/rec.pcap" "tcp port $WSPORT" 2>/dev/null &
  td=$!
  /usr/bin/time -f '%U %S' -o "$TMP/live.time" \
    "$WSLENS" live -p "$WSPORT" --json --backend "$backend" > "$TMP/live.out" 2>/dev/null &
  tp=$!
  sleep 0.5
  python3 "$(dirname "$0")/live_cost.py" "$WSPORT" "$MSGS" "$MRATE" > /dev/null
  sleep 0.5
  kill -INT "$(pgrep -P "$tp")" "$td"; wait "$tp" "$td" || true
  note=$(grep '"capture-' "$TMP/live.out" | tail -1)
  cap=$(sed -E 's/.*: ([0-9]+) packets captured.*/\1/' <<<"$note")
  ours=$(sed -E 's/.*, ([0-9]+) dropped by wslens.*/\1/' <<<"$note")
  kern=$(sed -E 's/.*\), ([0-9]+|kernel drops unknown)( dropped by the kernel)?;.*/\1/' <<<"$note")
  /usr/bin/time -f '%U %S' -o "$TMP/dec.time" "$WSLENS" decode --json "$TMP/rec.pcap" > /dev/null
  live=$(cpu "$TMP/live.time"); dec=$(cpu "$TMP/dec.time")
  ratio=$(awk -v a="$live" -v b="$dec" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$cap" "$live" "$dec" "$ratio" "$ours" "$kern"
done
