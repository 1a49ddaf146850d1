#!/usr/bin/env bash
# One command for a newcomer: install the system packages evering-top needs (only those
# missing), build it in release mode, and run the demo (a load run on the ring
# "evering-demo" with the live dashboard attached). Extra arguments go to `demo`,
# e.g. `scripts/demo.sh --fault stall-responder@5s`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product evering-top
exec .build/release/evering-top demo "$@"
