#!/usr/bin/env bash
# `make bench`: the appliance's speed and memory figures on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || true
fi
echo "== appliance (binary, start-up, memory, /health)"
go run ./tools/bench -binary ./aiwfe
