#!/usr/bin/env bash
# Narrated text against NDJSON (issue 17's "≤ 2x the time of --json"), paired and repeated: in
# each round `decode --json FILE` of the first build, then `decode FILE` of every build given,
# so that a shared machine's drifting speed hits them alike. Each run is timed by /usr/bin/time
# (wall, CPU = user + system); medians, ranges and the per-round text/JSON ratios are printed.
#
#   benches/text_vs_json.sh ROUNDS FILE BINARY [BINARY...] [-- DECODE_OPTIONS...]
#
# e.g. benches/text_vs_json.sh 9 bench-chatty.pcap ./wslens-before ./target/release/wslens
# (DECODE_OPTIONS such as `--lang zh` go to the text runs).
set -euo pipefail
rounds=$1 file=$2
shift 2
bins=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do bins+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
opts=("$@")
out=$(mktemp -d /tmp/textjson.XXXXXX)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

timed() { # NAME CMD...: one run, "wall cpu" appended to $out/NAME
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$out/t" "$@" > /dev/null 2>&1
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$out/t" >> "$out/$name"
}

for _ in $(seq "$rounds"); do
  timed json "${bins[0]}" decode --json "$file"
  for i in "${!bins[@]}"; do timed "text$i" "${bins[$i]}" decode "${opts[@]}" "$file"; done
done
echo "file: $file; $rounds rounds; load $load0 → $(cut -d' ' -f1-3 /proc/loadavg)"
# median (min-max) of a column of numbers on stdin
med() { sort -g | awk '{a[NR]=$1} END {printf "%.2f (%.2f–%.2f)", a[int((NR+1)/2)], a[1], a[NR]}'; }
printf '| run | wall median (min–max) | CPU median (min–max) | wall ÷ JSON, per round | CPU ÷ JSON, per round |\n|---|---|---|---|---|\n'
printf '| %s --json | %s s | %s s | | |\n' "$(basename "${bins[0]}")" \
  "$(cut -d' ' -f1 "$out/json" | med)" "$(cut -d' ' -f2 "$out/json" | med)"
for i in "${!bins[@]}"; do
  f="$out/text$i"
  printf '| %s text | %s s | %s s | %sx | %sx |\n' "$(basename "${bins[$i]}")" \
    "$(cut -d' ' -f1 "$f" | med)" "$(cut -d' ' -f2 "$f" | med)" \
    "$(paste -d' ' "$out/json" "$f" | awk '{print $3 / $1}' | med)" \
    "$(paste -d' ' "$out/json" "$f" | awk '{print $4 / $2}' | med)"
done
rm -rf "$out"
