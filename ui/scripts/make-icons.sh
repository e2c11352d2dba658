#!/usr/bin/env bash
# Renders the PWA's PNG icons from the SVGs in static/ with headless Chromium.
# Run by hand after changing an icon; the PNGs are committed (the build only copies them).
set -euo pipefail
cd "$(dirname "$0")/../static"
chrome=${CHROMIUM:-/usr/bin/chromium}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
render() { # svg size out
	"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" --hide-scrollbars --default-background-color=00000000 \
		--window-size="$2,$2" --screenshot="$3" "file://$PWD/$1" >/dev/null 2>&1
}
render favicon.svg 192 icon-192.png
render favicon.svg 512 icon-512.png
render icon-maskable.svg 512 icon-maskable-512.png
render icon-maskable.svg 180 apple-touch-icon.png
ls -l ./*.png
