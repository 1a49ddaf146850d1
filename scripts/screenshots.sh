#!/usr/bin/env bash
# Makes screenshots/{healthy,stalled,crashed,help}.png from real runs: a load on a ring,
# `evering-top attach` in a 120x40 tmux pane, `tmux capture-pane -e` (colours kept), and
# scripts/ansi2png.py to draw the capture. Re-run whenever the screen changes.
#
#   scripts/screenshots.sh [path/to/evering-top]     (default: .build/release, else .build/debug)
#
# Needs tmux and python3-pil (apt-get install tmux python3-pil).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
    if [ -x .build/release/evering-top ]; then BIN=.build/release/evering-top; else BIN=.build/debug/evering-top; fi
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
OUT=screenshots
BASE_SOCKET="evering-shots-$$"
SOCKET="$BASE_SOCKET-0"
SHOT=0
RING="evering-shots-$$"
WORK="$(mktemp -d)"
LOAD_PID=""
mkdir -p "$OUT"

# A python3 with PIL: Debian's python3-pil lives in /usr/bin/python3, which a pyenv or
# venv python3 earlier on PATH does not see.
PYTHON=""
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c "import PIL" 2>/dev/null; then PYTHON="$candidate"; break; fi
done
[ -n "$PYTHON" ] || { echo "needs python3 with PIL (apt-get install python3-pil)" >&2; exit 1; }

tmx() { tmux -L "$SOCKET" "$@"; }

cleanup() {
    stop_load
    tmx kill-server 2>/dev/null || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$BASE_SOCKET"-*   # tmux leaves its socket files behind
    rm -f "/dev/shm/$RING"
    rm -rf "$WORK"
}
trap cleanup EXIT

stop_load() {
    if [ -n "$LOAD_PID" ] && kill -0 "$LOAD_PID" 2>/dev/null; then
        kill -INT "$LOAD_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$LOAD_PID" 2>/dev/null || true
    fi
    LOAD_PID=""
    rm -f "/dev/shm/$RING"
}

# start_load ARGS...: a load on $RING in the background; waits until the ring is attachable.
start_load() {
    "$BIN" load "$RING" --replace --duration 300s --hang-timeout 120s "$@" >"$WORK/load.log" 2>&1 &
    LOAD_PID=$!
    for _ in $(seq 100); do
        "$BIN" check "$RING" >/dev/null 2>&1 && return 0
        [ $? -ne 2 ] && return 0   # 0 healthy or 1 findings: attachable either way
        sleep 0.1
    done
    echo "the load never created $RING:" >&2; cat "$WORK/load.log" >&2; exit 1
}

# attach: the dashboard in a fresh 120x40 pane.
# Each pane gets a server of its own: a new session on a socket whose server was just told
# to exit can reach the dying server ("server exited unexpectedly").
attach() {
    tmx kill-server 2>/dev/null || true
    SHOT=$((SHOT + 1))
    SOCKET="$BASE_SOCKET-$SHOT"
    tmx -f /dev/null new-session -d -x 120 -y 40 -s shots \
        "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN attach $RING -d 0.25 $*"
}

# wait_for TEXT SECONDS: until the pane shows TEXT.
wait_for() {
    for _ in $(seq $(( $2 * 10 ))); do
        tmx capture-pane -p -t shots | grep -q -- "$1" && return 0
        sleep 0.1
    done
    echo "timed out waiting for '$1'; the pane shows:" >&2; tmx capture-pane -p -t shots >&2; exit 1
}

# shoot NAME: capture the pane with colours and render it.
shoot() {
    tmx capture-pane -e -p -t shots >"$WORK/$1.ans"
    "$PYTHON" scripts/ansi2png.py "$WORK/$1.ans" "$OUT/$1.png" --cols 120 --rows 40
    echo "$OUT/$1.png"
}

# Healthy: pingpong, 96 ops in flight over 64-entry queues, moderate rate; let the
# sparklines fill for a few seconds.
start_load --concurrency 96 --capacity 64 --rate 60000
attach
wait_for "ops/s" 10
sleep 6
shoot healthy
tmx send-keys -t shots h
wait_for "Help" 5
shoot help
stop_load

# demo ARGS...: what a user sees live, `evering-top demo` in a fresh 120x40 pane (its load keeps
# the evidence of a fault until q: no --keep needed).
demo() {
    tmx kill-server 2>/dev/null || true
    SHOT=$((SHOT + 1))
    SOCKET="$BASE_SOCKET-$SHOT"
    tmx -f /dev/null new-session -d -x 120 -y 40 -s shots \
        "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN demo --name $RING -d 0.25 $*"
}

# quit_demo: q, then wait until the demo removed its ring.
quit_demo() {
    tmx send-keys -t shots q
    for _ in $(seq 100); do [ -e "/dev/shm/$RING" ] || return 0; sleep 0.1; done
    echo "the demo did not remove $RING after q" >&2; exit 1
}

# Stalled: the responder stops taking requests after 2 s (alive, heartbeat fresh).
demo --concurrency 32 --capacity 64 --rate 20000 --fault stall-responder@2s
wait_for "STUCK" 20
sleep 2
shoot stalled
quit_demo

# Crashed: the responder SIGKILLs itself after 2 s; the demo's load keeps the ring.
demo --concurrency 32 --capacity 64 --rate 20000 --fault crash-responder@2s
wait_for "DEAD" 20
sleep 1
shoot crashed
quit_demo

# Stalled requester: it stops reaping completions; the responder blocks on a full CQ.
demo --concurrency 96 --capacity 64 --rate 20000 --fault stall-requester@2s
wait_for "STUCK" 20
sleep 2
shoot stall-requester
quit_demo

# Overview: three rings at once (healthy, a stalled responder, leaked cancellations), the
# stalled one sorted to the top by status (`>` moves the sort one column right, to STATUS).
"$BIN" load "$RING-api" --replace --duration 300s --rate 20000 --concurrency 8 >"$WORK/a.log" 2>&1 &
P1=$!
"$BIN" load "$RING-cache" --replace --duration 300s --rate 20000 --concurrency 16 --fault stall-responder@1s >"$WORK/b.log" 2>&1 &
P2=$!
"$BIN" load "$RING-db" --replace --duration 300s --rate 5000 --fault leak-cancel=12 >"$WORK/c.log" 2>&1 &
P3=$!
tmx kill-server 2>/dev/null || true
SHOT=$((SHOT + 1))
SOCKET="$BASE_SOCKET-$SHOT"
tmx -f /dev/null new-session -d -x 120 -y 40 -s shots \
    "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BIN top -d 0.5"
wait_for "STUCK" 20
tmx send-keys -t shots '>'
sleep 2
shoot overview
tmx send-keys -t shots q
for pid in $P1 $P2 $P3; do kill -INT "$pid" 2>/dev/null || true; done
for pid in $P1 $P2 $P3; do wait "$pid" 2>/dev/null || true; done
rm -f "/dev/shm/$RING-api" "/dev/shm/$RING-cache" "/dev/shm/$RING-db"
