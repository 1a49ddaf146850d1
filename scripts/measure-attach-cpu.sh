#!/usr/bin/env bash
# CPU used by `evering-top attach` at a 0.1 s refresh on a 65,536-slot ring under load,
# over 10 s, from /proc/PID/stat utime+stime (fields 14 and 15, clock ticks).
#
#   [CONCURRENCY=256 CAPACITY=1024 LOAD_ARGS="--fault ..."] scripts/measure-attach-cpu.sh [path/to/evering-top] [seconds]
#
# The dashboard runs in a 120x40 tmux pane (a real terminal). Prints one line:
#   attach cpu: X.XX% of one core over 10 s (N ticks at HZ Hz), ring 65536 slots, -d 0.1
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/release/evering-top}"
SECONDS_TO_MEASURE="${2:-10}"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
RING="evering-cpu-$$"
SOCKET="evering-cpu-$$"
LOG="$(mktemp)"
cleanup() {
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCKET"   # tmux leaves its socket file behind
    [ -n "${LOAD_PID:-}" ] && kill -INT "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null || true
    rm -f "/dev/shm/$RING" "$LOG"
}
trap cleanup EXIT

"$BIN" load "$RING" --replace --slots 65536 --capacity "${CAPACITY:-1024}" --concurrency "${CONCURRENCY:-256}" --rate 20000 ${LOAD_ARGS:-} \
    --duration "$(( SECONDS_TO_MEASURE + 30 ))s" >"$LOG" 2>&1 &
LOAD_PID=$!
# Until the ring is attachable: check exits 2 while it cannot attach, 0 or 1 once it can.
# (`|| rc=$?` keeps set -e from ending the script on check's non-zero status.)
for _ in $(seq 100); do
    rc=0; "$BIN" check "$RING" >/dev/null 2>&1 || rc=$?
    [ $rc -ne 2 ] && break
    sleep 0.1
done

tmux -L "$SOCKET" -f /dev/null new-session -d -x 120 -y 40 -s cpu \
    "exec env TERM=xterm-256color LANG=C.UTF-8 $BIN attach $RING -d 0.1"
PID=""
for _ in $(seq 50); do
    PID="$(tmux -L "$SOCKET" display-message -p -t cpu '#{pane_pid}' 2>/dev/null || true)"
    [ -n "$PID" ] && grep -q "attach" "/proc/$PID/cmdline" 2>/dev/null && break
    sleep 0.1
done
sleep 2   # let it attach and fill its history before measuring
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
grep -q "attach" "/proc/$PID/cmdline" || { echo "pane pid $PID is not the attach process" >&2; exit 1; }
t0=$(ticks); s0=$(date +%s.%N)
sleep "$SECONDS_TO_MEASURE"
t1=$(ticks); s1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
awk -v t="$(( t1 - t0 ))" -v hz="$hz" -v s0="$s0" -v s1="$s1" 'BEGIN {
    wall = s1 - s0
    printf "attach cpu: %.2f%% of one core over %.1f s (%d ticks at %d Hz), ring 65536 slots, -d 0.1\n", 100 * t / hz / wall, wall, t, hz
}'
tmux -L "$SOCKET" capture-pane -p -t cpu | sed -n '1,2p'
