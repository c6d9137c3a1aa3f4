#!/usr/bin/env bash
# Times `wslens decode --json` against tshark and `cat` on two large recordings of real peers,
# in one run, on the same machine: medians of several runs and peak memory.
#
#   sudo benches/compare.sh [RUNS]        (recording needs root: network namespaces, tcpdump)
#
# The recordings are made by captures/record.sh (the same script as captures/) into
# bench-data/, which is git-ignored; existing files are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
fast_runs=$((runs * 6))
data=bench-data
mkdir -p "$data"
for kind in chatty bulk bulk-tls; do
  [ -s "$data/bench-$kind.pcap" ] || bash captures/record.sh "bench-$kind" "$data"
done
cargo build --release --quiet
bin=target/release/wslens

# median wall seconds of "$@" over $runs runs (after warm-up runs); output discarded.
# hyperfine is used when installed (no shell between the timer and the program), else date.
# Runs under a second are repeated $fast_runs times: on a shared machine their times scatter
# by tens of percent, and the median of more runs is steadier.
median() {
  if command -v hyperfine > /dev/null; then
    local cmd n
    cmd=$(printf '%q ' "$@")
    n=$runs
    [ "$1" = tshark ] || n=$fast_runs
    hyperfine -N -w 3 -r "$n" --export-json /tmp/compare-median.json "$cmd" > /dev/null 2>&1
    python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' \
      /tmp/compare-median.json
    return
  fi
  "$@" > /dev/null 2>&1 || true
  local t=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
peak_mb() {
  /usr/bin/time -f "%M" -o /tmp/wslens-peak "$@" > /dev/null 2>&1
  echo "$(( $(cat /tmp/wslens-peak) / 1024 ))"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs per figure: $runs for tshark, $fast_runs for wslens and cat (median)"
printf '| file | packets | size | wslens | tshark | cat | tshark / wslens | wslens / cat | wslens peak | tshark peak |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for kind in chatty bulk; do
  f="$data/bench-$kind.pcap"
  pkts=$(capinfos -c -M "$f" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
  size=$(du -h "$f" | cut -f1)
  w=$(median "$bin" decode --json "$f")
  t=$(median tshark -r "$f" -Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length)
  c=$(median cat "$f")
  wm=$(peak_mb "$bin" decode --json "$f")
  tm=$(peak_mb tshark -r "$f" -Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length)
  printf '| %s | %s | %s | %s s | %s s | %s s | %.1fx | %.1fx | %s MiB | %s MiB |\n' \
    "$kind" "$pkts" "$size" "$w" "$t" "$c" "$(echo "$t / $w" | bc -l)" "$(echo "$w / ($c + 0.0001)" | bc -l)" "$wm" "$tm"
done

# wss://: the bulk workload over TLS 1.3, decrypted with the same key log by both.
f="$data/bench-bulk-tls.pcap"
k="$data/bench-bulk-tls.keys"
pkts=$(capinfos -c -M "$f" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
size=$(du -h "$f" | cut -f1)
tsh=(tshark -r "$f" -o "tls.keylog_file:$k" -d tcp.port==8791,tls -Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length)
w=$(median "$bin" decode --json --tls-keylog "$k" "$f")
t=$(median "${tsh[@]}")
c=$(median cat "$f")
wm=$(peak_mb "$bin" decode --json --tls-keylog "$k" "$f")
tm=$(peak_mb "${tsh[@]}")
printf '| %s | %s | %s | %s s | %s s | %s s | %.1fx | %.1fx | %s MiB | %s MiB |\n' \
  "bulk over TLS 1.3" "$pkts" "$size" "$w" "$t" "$c" "$(echo "$t / $w" | bc -l)" "$(echo "$w / ($c + 0.0001)" | bc -l)" "$wm" "$tm"
