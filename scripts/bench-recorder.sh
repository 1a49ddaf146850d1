#!/bin/sh
# Recorder cost (issue 16): CPU of `record` at 100 Hz and the file size per minute, on a
# 1,024-slot ring under load's default traffic, at concurrency 256, and stuck (1,024 ops
# in flight, the responder stalled); then how size scales with slots and rate.
# Usage: scripts/bench-recorder.sh [BINARY] [SECONDS]   (writes a Markdown table to stdout)
set -eu
BIN=${1:-.build/release/evering-top}
SECS=${2:-60}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

run() {  # label, record seconds, record flags, load flags...
    label=$1; secs=$2; rflags=$3; shift 3
    name="bench-rec-$$"
    "$BIN" load "$name" --duration $((secs + 5)) --replace "$@" >/dev/null 2>&1 &
    load=$!
    i=0; while ! "$BIN" dump "$name" >/dev/null 2>&1; do i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done
    sleep 1
    /usr/bin/time -f "%U %S %e" -o "$DIR/time" "$BIN" record "$name" -o "$DIR/r.evrec" --duration "${secs}s" $rflags 2>"$DIR/err"
    wait $load || true
    read user sys elapsed < "$DIR/time"
    size=$(stat -c %s "$DIR/r.evrec")
    samples=$(sed -n 's/.*recorded \([0-9]*\) samples.*/\1/p' "$DIR/err")
    awk -v l="$label" -v u="$user" -v s="$sys" -v e="$elapsed" -v b="$size" -v n="$samples" -v t="$secs" 'BEGIN {
        printf "| %s | %d | %.2f%% | %.1f MB | %.0f B |\n", l, n, 100 * (u + s) / e, b * 60 / t / 1e6, b / n }'
}

echo "| run | samples | recorder CPU (user+sys / wall) | size per minute | bytes per sample |"
echo "|---|---:|---:|---:|---:|"
run "1,024 slots, default load (pingpong, concurrency 1), 100 Hz" "$SECS" "-d 10ms" --slots 1024
run "1,024 slots, concurrency 256, 100 Hz" "$SECS" "-d 10ms" --slots 1024 --concurrency 256
run "1,024 slots, stuck: 1,024 in flight, responder stalled, 100 Hz" "$SECS" "-d 10ms" --slots 1024 --concurrency 1024 --capacity 1024 --fault stall-responder@1s
run "scaling: 65,536 slots, stuck: 1,024 in flight, 100 Hz" 20 "-d 10ms" --slots 65536 --concurrency 1024 --capacity 1024 --fault stall-responder@1s
run "scaling: 1,024 slots, default load, 1 kHz" 20 "-d 1ms" --slots 1024
run "scaling: 1,024 slots, default load, 10 Hz" 20 "-d 100ms" --slots 1024
