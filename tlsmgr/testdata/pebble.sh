#!/bin/sh
# Builds Pebble and pebble-challtestsrv (the ACME test peers of tlsmgr) into
# <repo>/.cache/pebble-v2.10.3, where tlsmgr's tests look for them. The tests
# do this themselves on first use (TestMain -> go install); this script only
# lets CI warm the cache in a separate step. AIWFE_PEBBLE_BIN overrides the
# directory for both.
set -eu
VERSION=v2.10.3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${AIWFE_PEBBLE_BIN:-$ROOT/.cache/pebble-$VERSION}
if [ -x "$BIN/pebble" ] && [ -x "$BIN/pebble-challtestsrv" ]; then
	echo "pebble $VERSION already in $BIN"
	exit 0
fi
mkdir -p "$BIN"
cd "${TMPDIR:-/tmp}"
GOBIN=$BIN GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install \
	github.com/letsencrypt/pebble/v2/cmd/pebble@$VERSION \
	github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$VERSION
echo "pebble $VERSION built into $BIN"
