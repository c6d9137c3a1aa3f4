#!/usr/bin/env bash
# The live UI's memory under a SYN flood on loopback (issue 17): `wslens live -i lo -p PORT` in
# tmux at 100x30 while benches/syn_flood.c sends raw SYNs from many 127.0.x.y addresses to a
# closed port (the kernel answers each with a RST: one connection, two packets). Prints the
# resident memory and the header's counts every 10 seconds. Needs root and a C compiler.
#
#   sudo benches/live_flood.sh [WSLENS_BINARY] [SECONDS] [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/wslens}
secs=${2:-90}
port=${3:-9399}
sender=$(mktemp -d)/syn_flood
cc -O2 -o "$sender" benches/syn_flood.c
s=wslens-flood-$$
tmux kill-session -t "$s" 2> /dev/null || true
tmux new-session -d -s "$s" -x 100 -y 30 "$bin live -i lo -p $port"
sleep 2
pid=$(pgrep -f "^$bin live -i lo -p $port" | head -1)
"$sender" "$port" "$secs" &
flood=$!
for i in $(seq 1 $((secs / 10 + 1))); do
  sleep 10
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
  echo "t=$((i * 10)) s  rss=${rss} MiB  $(tmux capture-pane -p -t "$s" | head -1 | cut -c1-80)"
done
wait "$flood"
tmux send-keys -t "$s" q
sleep 2
tmux kill-session -t "$s" 2> /dev/null || true
