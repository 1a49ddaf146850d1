#!/bin/bash
# IOPS of fio (io_uring engine, 4k randread of a 16 MiB file in /tmp, 3 s) without and with
# `evering-top watch io_uring:PID --batch -d 0.1` sampling its ring at 10 Hz.
W=$(mktemp -d /tmp/evering-fio-bench.XXXXXX); trap 'rm -rf "$W"' EXIT
D=$W/data; mkdir -p $D
ET="$(cd "$(dirname "$0")/.." && pwd)/.build/debug/evering-top"
iops() { python3 -c "import json,sys; print(round(json.load(open('$1'))['jobs'][0]['read']['iops']))"; }
for round in 1 2 3; do
  fio --name=b --directory=$D --ioengine=io_uring --rw=randread --size=16m --bs=4k --iodepth=16 --time_based --runtime=3 --output-format=json --output=$W/without.json >/dev/null
  fio --name=b --directory=$D --ioengine=io_uring --rw=randread --size=16m --bs=4k --iodepth=16 --time_based --runtime=3 --output-format=json --output=$W/with.json >/dev/null &
  F=$!; T=""
  for i in $(seq 50); do T=$($ET list --io-uring --json | python3 -c "import sys,json; r=[x['target'] for x in json.load(sys.stdin)['rings'] if x['command']=='fio']; print(r[0] if r else '')"); [ -n "$T" ] && break; sleep 0.05; done
  $ET watch $T --batch --delay 0.1 --iterations 25 > /dev/null
  wait $F
  echo "round $round: without $(iops $W/without.json) IOPS, with watcher $(iops $W/with.json) IOPS"
done
