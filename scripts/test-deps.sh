#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine, and nothing
# twice: Debian's chromium (browser tests), oathtool (an independent TOTP),
# openssl and curl (mTLS checks), gcc and libc6-dev (the race detector),
# pandoc, LibreOffice, Ghostscript and qpdf (documents to extract);
# python3-icalendar (real-world calendars to round-trip); vdirsyncer and
# python3-caldav (CalDAV clients);
# the UI's npm packages; and the test peers
# built from the Go module proxy (Ollama with a tiny model; Pebble is built
# by the tlsmgr tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v oathtool >/dev/null || need+=(oathtool)
command -v openssl  >/dev/null || need+=(openssl)
command -v curl     >/dev/null || need+=(curl)
# `go test -race` needs cgo: a C compiler and the C library's headers.
command -v gcc      >/dev/null || need+=(gcc)
[ -e /usr/include/stdlib.h ]   || need+=(libc6-dev)
# The documents' extraction tests make their PDFs, DOCX and HTML with
# real tools: pandoc, LibreOffice (headless), Ghostscript's ps2pdf, qpdf.
command -v pandoc   >/dev/null || need+=(pandoc)
command -v soffice  >/dev/null || need+=(libreoffice-writer-nogui)
command -v ps2pdf   >/dev/null || need+=(ghostscript)
command -v qpdf     >/dev/null || need+=(qpdf)
# The calendar's ICS round trips use the real-world calendars of Debian's
# python3-icalendar test suite, and that library to read the exports.
[ -d /usr/lib/python3/dist-packages/icalendar/tests ] || need+=(python3-icalendar)
# CalDAV clients no one here wrote sync with the /dav server: vdirsyncer
# and Python's caldav library (Debian's, for Debian's python3).
command -v vdirsyncer >/dev/null || need+=(vdirsyncer)
/usr/bin/python3 -c 'import caldav' 2>/dev/null || need+=(python3-caldav)
# Readability is tested on HTML that Debian packages ship as documentation,
# with menus and navigation around the text (app/research/page_test.go).
[ -e /usr/share/doc/libffi8/html/The-Basics.html ] || need+=(libffi-dev)
[ -e /usr/share/doc/python3/python-policy.html ] || need+=(python3-dev)
[ -e /usr/share/doc/libxslt1-dev/html/html/libxslt-templates.html ] || need+=(libxslt1-dev)
# shellcheck source=scripts/apt.sh
. scripts/apt.sh
if [ ${#need[@]} -gt 0 ]; then
  echo "test-deps: installing ${need[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "test-deps: npm ci (ui)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

bash scripts/ollama-testenv.sh
