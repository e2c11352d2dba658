#!/usr/bin/env bash
# Fails when the committed UI build (ui/build, embedded by the Go binary) is not exactly what
# the UI sources build to. It builds a scratch copy of ui/ and compares byte for byte; ui/ itself
# is left untouched.
#
# Usage: bash ui/scripts/check-stale.sh        (from any directory; needs node >= 20.19 and npm)
# Exit:  0 up to date, 1 stale (with the differing files listed), 2 the build itself failed.
set -euo pipefail

ui=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aiwfe-ui-stale.XXXXXX")
trap 'rm -rf "$work"' EXIT

cd "$ui"
if [ ! -d build ]; then
	echo "check-stale: ui/build does not exist; run: cd ui && npm ci && npm run build" >&2
	exit 1
fi

# The sources as they would be committed: tracked and untracked-but-not-ignored files, no build.
mkdir -p "$work/ui"
if git -C "$ui" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$ui" ls-files -z --cached --others --exclude-standard -- . ':!build' ':!node_modules' |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		(cd "$ui" && xargs -0 cp --parents -t "$work/ui")
else
	tar -C "$ui" --exclude=./build --exclude=./node_modules --exclude=./.svelte-kit -cf - . | tar -C "$work/ui" -xf -
fi

cd "$work/ui"
if [ -d "$ui/node_modules" ] && cmp -s "$ui/package-lock.json" package-lock.json &&
	[ -f "$ui/node_modules/.package-lock.json" ]; then
	cp -al "$ui/node_modules" node_modules 2>/dev/null || cp -a "$ui/node_modules" node_modules
else
	npm ci --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1 || {
		cat "$work/npm-ci.log" >&2
		echo "check-stale: npm ci failed" >&2
		exit 2
	}
fi

if ! npm run --silent build >"$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	echo "check-stale: the UI build failed" >&2
	exit 2
fi

if ! diff -rq "$ui/build" "$work/ui/build" >"$work/diff.txt"; then
	sed -e "s#$work/ui/build#fresh build#g" -e "s#$ui/build#ui/build#g" "$work/diff.txt" | head -40 >&2
	echo >&2
	echo "check-stale: ui/build is STALE: it does not match a fresh build of the ui/ sources." >&2
	echo "Rebuild and commit it:  cd ui && npm ci && npm run build && git add build" >&2
	exit 1
fi
echo "check-stale: ui/build is up to date"
