#!/usr/bin/env bash
# Installs the Debian packages evering-top builds and tests with, only those missing.
set -euo pipefail
needed=(libncurses-dev tmux liburing-dev fio python3-pil prometheus)  # fio: the io_uring end-to-end tests (skipped without it); python3-pil: scripts/plot_bench.py and its test; prometheus: the exporter test scrapes with a real server and checks rules with promtool
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
