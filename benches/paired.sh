#!/usr/bin/env bash
# Paired, repeated runs: two wslens builds (and tshark) timed in alternation on the same file, so
# that a shared machine's drifting speed hits all of them alike. Each run is timed by
# /usr/bin/time: wall, CPU (user + system) and peak resident memory; medians are printed.
#
#   benches/paired.sh ROUNDS FILE [KEYLOG] -- BINARY_A BINARY_B [tshark]
#
# With KEYLOG, wslens gets --tls-keylog KEYLOG and tshark -o tls.keylog_file:KEYLOG (and the
# bench's port decoded as TLS). "tshark" as a third name adds tshark's
# `-Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length`.
set -euo pipefail
rounds=$1 file=$2
shift 2
keys=
if [ "${1:-}" != -- ]; then keys=$1; shift; fi
[ "${1:-}" = -- ] && shift
progs=("$@")
out=$(mktemp -d /tmp/paired.XXXXXX)

run() { # NAME: one timed run, appended to $out/NAME as "wall cpu maxrss_kib"
  local name=$1 cmd
  if [ "$name" = tshark ]; then
    cmd=(tshark -r "$file")
    [ -n "$keys" ] && cmd+=(-o "tls.keylog_file:$keys" -d tcp.port==8791,tls)
    cmd+=(-Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length)
  else
    cmd=("$name" decode --json)
    [ -n "$keys" ] && cmd+=(--tls-keylog "$keys")
    cmd+=("$file")
  fi
  /usr/bin/time -f '%e %U %S %M' -o "$out/t" "${cmd[@]}" > /dev/null 2>&1
  awk '{printf "%s %.2f %d\n", $1, $2 + $3, $4}' "$out/t" >> "$out/$(basename "$name")"
}

for _ in $(seq "$rounds"); do
  for p in "${progs[@]}"; do run "$p"; done
done
echo "file: $file${keys:+ (key log $keys)}; $rounds rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| program | wall median (min–max) | CPU median (min–max) | peak RSS median |\n|---|---|---|---|\n'
# median (min-max) of column $2 of file $1
stat() { cut -d' ' -f"$2" "$1" | sort -g | awk '{a[NR]=$1} END {printf "%.2f|%.2f|%.2f", a[int((NR+1)/2)], a[1], a[NR]}'; }
for p in "${progs[@]}"; do
  f="$out/$(basename "$p")"
  IFS='|' read -r w w0 w1 <<< "$(stat "$f" 1)"
  IFS='|' read -r c c0 c1 <<< "$(stat "$f" 2)"
  IFS='|' read -r m _ _ <<< "$(stat "$f" 3)"
  printf '| %s | %s s (%s–%s) | %s s (%s–%s) | %.0f MiB |\n' "$(basename "$p")" "$w" "$w0" "$w1" "$c" "$c0" "$c1" "$(echo "$m / 1024" | bc -l)"
done
rm -rf "$out"
