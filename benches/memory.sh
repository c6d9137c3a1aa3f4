#!/usr/bin/env bash
# Peak memory and time on captures built from real recordings (issue 17): many deflate
# connections one after another, at once, left open; a million one-SYN connections; chatty ×16.
# wslens beside tshark, and `wslens open` (the UI) by peak memory and time to the last packet.
#
#   sudo benches/memory.sh [WSLENS_BINARY]     (recording bench-chatty needs root)
#
# The captures are made by benches/replicate.py from captures/deflate.pcap and
# bench-data/bench-chatty.pcap (recorded by captures/record.sh if missing): every copy of a
# recording gets a new client port (and address) and shifted times, so each is a new
# connection. They go to bench-data/mem/ (git-ignored, about 1 GB) and are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
data=bench-data
mem=$data/mem
mkdir -p "$mem"
[ -s "$data/bench-chatty.pcap" ] || bash captures/record.sh bench-chatty "$data"
rep=benches/replicate.py
build() { [ -s "$mem/$1.pcap" ] || python3 "$rep" "${@:2}" "$mem/$1.pcap"; }
build seq2000 seq 2000 captures/deflate.pcap
build conc5000 conc 5000 captures/deflate.pcap
# The handshake and the first compressed message each way, then nothing: 50,000 connections
# left open, each with two inflate windows.
build open50000 open 50000 12 captures/deflate.pcap
build syn1m syn 1000000 captures/deflate.pcap
build chatty16 seq 16 "$data/bench-chatty.pcap"

bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/wslens
fi
tshark_timeout=${TSHARK_TIMEOUT:-600}

# "seconds peak-MiB" of a command, output discarded.
measure() {
  /usr/bin/time -f "%e %M" -o /tmp/wslens-mem-time "$@" > /dev/null 2>/tmp/wslens-mem-err || true
  tail -1 /tmp/wslens-mem-time | awk '{printf "%.2f s | %d MiB", $1, $2 / 1024}'
  if grep -q 'status 124' /tmp/wslens-mem-time; then printf ' (timed out)'; fi
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wslens: $bin"
echo
echo "| workload | file | wslens decode --json | tshark -Y websocket -T fields |"
echo "|---|---|---|---|"
for f in seq2000 conc5000 open50000 syn1m chatty16; do
  p="$mem/$f.pcap"
  w=$(measure "$bin" decode --json "$p")
  t=$(measure timeout "$tshark_timeout" tshark -r "$p" -Y websocket -T fields -e frame.number \
    -e websocket.opcode -e websocket.payload_length)
  echo "| $f | $(du -h "$p" | cut -f1) | $w | $t |"
done

echo
echo "| narrated text vs NDJSON on bench-chatty | time | peak |"
echo "|---|---|---|"
echo "| decode --json | $(measure "$bin" decode --json "$data/bench-chatty.pcap") |"
echo "| decode (narrated) | $(measure "$bin" decode "$data/bench-chatty.pcap") |"

# The UI in tmux at 100x30: time until `loading…` is gone, then one End until the screen
# changes (the last packet is shown); peak memory from /usr/bin/time -v.
ui() {
  local f=$1 s=wslens-mem-ui t0 t1 t2 before
  tmux kill-session -t $s 2> /dev/null || true
  rm -f /tmp/wslens-mem-ui
  t0=$(date +%s.%N)
  tmux new-session -d -s $s -x 100 -y 30 \
    "/usr/bin/time -f '%M' -o /tmp/wslens-mem-ui $bin open $f"
  # The header counts packets once the first screen is drawn; `loading…` goes when all are in.
  until tmux capture-pane -p -t $s | grep -q ' pkts '; do sleep 0.02; done
  while tmux capture-pane -p -t $s | grep -q 'loading…'; do sleep 0.05; done
  t1=$(date +%s.%N)
  before=$(tmux capture-pane -p -t $s | md5sum)
  tmux send-keys -t $s End
  while [ "$(tmux capture-pane -p -t $s | md5sum)" = "$before" ]; do sleep 0.02; done
  t2=$(date +%s.%N)
  tmux send-keys -t $s q
  while tmux has-session -t $s 2> /dev/null; do sleep 0.1; done
  printf '| %s | %.2f s | %.2f s | %d MiB |\n' "$(basename "$f")" "$(echo "$t1 - $t0" | bc -l)" \
    "$(echo "$t2 - $t0" | bc -l)" "$(($(tail -1 /tmp/wslens-mem-ui) / 1024))"
}
# End pressed as soon as the first screen is up (issue 17: the last packet within 2 s): seconds
# from End until the detail pane names the file's last packet, with the end of a large file
# decoded ahead of the rest (docs/ui.md); then until the whole file is in.
ui_end() {
  local f=$1 s=wslens-mem-end last t0 t1 t2
  last=$(capinfos -M -c "$f" | awk '/Number of packets/ {print $NF}')
  tmux kill-session -t $s 2> /dev/null || true
  tmux new-session -d -s $s -x 100 -y 30 "$bin open $f"
  until tmux capture-pane -p -t $s | grep -q ' pkts '; do sleep 0.05; done
  t0=$(date +%s.%N)
  tmux send-keys -t $s End
  until tmux capture-pane -p -t $s | grep -q "packet $last "; do sleep 0.05; done
  t1=$(date +%s.%N)
  while tmux capture-pane -p -t $s | grep -q 'decoded ahead\|loading…'; do sleep 0.05; done
  t2=$(date +%s.%N)
  tmux send-keys -t $s q
  while tmux has-session -t $s 2> /dev/null; do sleep 0.1; done
  printf '| %s | %.2f s | %.2f s |\n' "$(basename "$f")" "$(echo "$t1 - $t0" | bc -l)" \
    "$(echo "$t2 - $t0" | bc -l)"
}
echo
echo "| wslens open (UI) | loaded | last packet shown | peak |"
echo "|---|---|---|---|"
ui "$data/bench-bulk.pcap"
ui "$data/bench-chatty.pcap"
ui "$mem/syn1m.pcap"
ui "$mem/chatty16.pcap"
echo
echo "| End at the first screen | last packet shown | whole file in |"
echo "|---|---|---|"
ui_end "$mem/syn1m.pcap"
ui_end "$mem/chatty16.pcap"
