#!/usr/bin/env bash
# Installs the Debian packages evering-top builds and tests with, only those missing.
set -euo pipefail
# libncurses-dev: the only one the tool itself builds with. The rest are for the tests:
# tmux (dashboard end-to-end), liburing-dev and gcc (the io_uring tests compile their
# fixture, Tests/EveringIOUringTests/Fixtures/UringFixture.c, with cc -luring), fio (the
# io_uring end-to-end tests, skipped without it), python3-pil (scripts/plot_bench.py and its test),
# python3 and libatomic1 (the Python reference peer scripts/evering_peer.py and PythonPeerTests;
# libatomic: its compare-and-swap), prometheus (the exporter test scrapes with a real server;
# promtool checks the metrics, the alert rules and the dashboard queries).
needed=(libncurses-dev tmux liburing-dev gcc fio python3-pil python3 libatomic1 prometheus)
missing=()
for pkg in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "not root and no sudo: run as root: apt-get install ${missing[*]}" >&2; exit 1; }
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
