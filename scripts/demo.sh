#!/usr/bin/env bash
# The one-command demo on a fresh Debian machine with only Swift installed: installs the
# missing system packages (ncurses headers, and what the tests use), builds, and runs
# `evering-top demo` (a load on a demo ring, watched in the dashboard; q quits and
# cleans up). Extra arguments go to `demo`, e.g. scripts/demo.sh --fault stall-responder@5s
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product evering-top
exec .build/release/evering-top demo "$@"
