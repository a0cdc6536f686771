#!/usr/bin/env bash
# Debian's chromium: the dashboards are checked in a real browser and the scraper renders one
# JavaScript page with it. `--check` (make test, make demo) only says how to get it;
# `--install` (make system-deps, CI) installs it with apt-get, as root or through sudo.
set -euo pipefail
mode=${1:---check}
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$mode" != "--install" ]; then
  echo "chromium is missing: install it with  make system-deps  (runs: apt-get install chromium)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null 2>&1 || { echo "installing chromium needs root or sudo" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing Debian's chromium with apt-get (a system change: make system-deps)..."
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium
