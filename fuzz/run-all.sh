#!/bin/sh
# Run every fuzz target in turn, one process at a time (shared 2-core machine; a single
# libFuzzer process is what -jobs=1 asks for, without its extra log file), SECS seconds each.
# New inputs go to a scratch corpus; the seeds in fuzz/corpus/ are only read (`views` reads
# capture files, so it starts from the `capture` seeds). Debug assertions are on (-a): a
# debug_assert that valid input can trip is a bug too.
# Usage: fuzz/run-all.sh [SECS] [TARGET...]
set -u
cd "$(dirname "$0")"
secs=${1:-300}
[ $# -gt 0 ] && shift
targets=${*:-capture wire reasm decoder http ws views tls}
work=${FUZZ_WORK:-/tmp/wslens-fuzz}
for t in $targets; do
    mkdir -p "$work/$t"
    echo "== $t ($secs s)"
    seeds=corpus/$t
    [ -d "$seeds" ] || seeds=corpus/capture
    RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a "$t" "$work/$t" "$seeds" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 > "$work/$t.log" 2>&1
    echo "exit $? ; $(grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work/$t.log" | tr '\n' ' ')"
    grep -E '^==[0-9]+==ERROR|panicked|SUMMARY|Test unit written' "$work/$t.log" | head -5
done
