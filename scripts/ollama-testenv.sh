#!/usr/bin/env bash
# Builds a real Ollama (v0.17.4) and a tiny synthetic model for the LLM
# integration tests, all under .cache/ollama (git-ignored):
#
#   .cache/ollama/bin/ollama     the server, built from the Go module proxy
#   .cache/ollama/tiny.gguf      a ~600 KB random-weight llama model
#   .cache/ollama/Modelfile      FROM ./tiny.gguf + template + parameters
#
# The built server is also kept in a per-user cache
# (${XDG_CACHE_HOME:-~/.cache}/aiwfe-testenv/ollama-vX/), so a fresh clone on
# the same machine (CI runs in one) copies it instead of building it again.
#
# Idempotent: a rerun with everything in place does nothing and prints nothing.
# Cold: 3 minutes on 2 quiet cores, up to 40 on a busy machine (cgo compiles
# llama.cpp); it prints a line every minute while it builds. Needs gcc/g++,
# Go, apt-get (for two header-only Debian packages) and network access to the
# Go module proxy and the Debian mirror.
#
# Why the extra headers: module zips drop vendor/ folders, so three
# header-only libraries that llama.cpp includes are missing from the module.
# We supply them on CPATH: nlohmann/ and stb/ from Debian, miniaudio/ from
# the Go module github.com/gen2brain/malgo.
set -euo pipefail

OLLAMA_VERSION=0.17.4
MALGO_VERSION=v0.11.24

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/apt.sh
. "$root/scripts/apt.sh"
cache="$root/.cache/ollama"
usercache="${XDG_CACHE_HOME:-$HOME/.cache}/aiwfe-testenv/ollama-v$OLLAMA_VERSION"
bin="$cache/bin"
inc="$cache/include"
mkdir -p "$bin"

say() { echo "ollama-testenv: $*" >&2; }

ollama_ok() {
	local b=${1:-$bin/ollama}
	[ -x "$b" ] || return 1
	# go version -m reads the embedded build info without running the binary.
	go version -m "$b" 2>/dev/null | grep -q "ollama/version.Version=$OLLAMA_VERSION"
}

# heartbeat prints how long the build has run, every minute, until killed:
# the go command itself prints nothing while cgo compiles for many minutes.
heartbeat() {
	local start=$SECONDS
	while sleep 60; do
		say "still building ollama ($(((SECONDS - start) / 60)) min so far; 3 min on quiet cores, up to 40 on a busy machine)"
	done
}

fetch_deb_headers() {
	local pkg=$1 dir=$2
	[ -d "$inc/$dir" ] && return 0
	local tmp
	tmp=$(mktemp -d)
	if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1); then
		say "apt-get download $pkg failed; running apt-get update"
		apt_get update -q >/dev/null
		(cd "$tmp" && apt-get download -q "$pkg" >/dev/null)
	fi
	dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
	mkdir -p "$inc"
	cp -r "$tmp/x/usr/include/$dir" "$inc/$dir"
	rm -rf "$tmp"
}

fetch_miniaudio() {
	[ -f "$inc/miniaudio/miniaudio.h" ] && return 0
	local dir
	dir=$(cd "$cache" && GOFLAGS= go mod download -json "github.com/gen2brain/malgo@$MALGO_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
	[ -f "$dir/miniaudio.h" ] || { say "miniaudio.h not found in malgo module ($dir)"; exit 1; }
	mkdir -p "$inc/miniaudio"
	cp "$dir/miniaudio.h" "$inc/miniaudio/miniaudio.h"
}

apt_install() {
	say "installing $*"
	apt_get update -q >/dev/null
	apt_get install -y -q --no-install-recommends "$@" >/dev/null
}

if ! ollama_ok && ollama_ok "$usercache/ollama"; then
	say "copying ollama v$OLLAMA_VERSION from $usercache"
	cp "$usercache/ollama" "$bin/ollama.tmp" && mv "$bin/ollama.tmp" "$bin/ollama"
fi
if ! ollama_ok; then
	say "building ollama v$OLLAMA_VERSION (the real model server for the LLM tests) into $usercache"
	say "cold: 3 min on 2 quiet cores, up to 40 on a busy machine; downloads come first (go: downloading ...)"
	# cgo compiles llama.cpp: a C and a C++ compiler are needed.
	if ! command -v gcc >/dev/null || ! command -v g++ >/dev/null; then
		apt_install gcc g++ libc6-dev
	fi
	fetch_deb_headers nlohmann-json3-dev nlohmann
	fetch_deb_headers libstb-dev stb
	fetch_miniaudio
	rm -f "$bin/ollama"
	mkdir -p "$usercache"
	heartbeat &
	hb=$!
	trap 'kill $hb 2>/dev/null' EXIT
	# Run outside the appliance's module so its go.mod is never touched.
	(cd "$cache" &&
		CGO_ENABLED=1 GOBIN="$usercache" CPATH="$inc${CPATH:+:$CPATH}" GOFLAGS="-mod=mod -buildvcs=false" \
			go install -ldflags "-X github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
			"github.com/ollama/ollama@v$OLLAMA_VERSION")
	kill $hb 2>/dev/null || true
	ollama_ok "$usercache/ollama" || { say "build finished but $usercache/ollama is not v$OLLAMA_VERSION"; exit 1; }
	cp "$usercache/ollama" "$bin/ollama.tmp" && mv "$bin/ollama.tmp" "$bin/ollama"
	say "built $bin/ollama in $((SECONDS / 60)) min"
fi

# The model generator is its own module (it imports Ollama), so the
# appliance's go.mod stays free of Ollama's dependency tree.
gen="$bin/tinymodel"
src="$root/testenv/tinymodel"
if [ ! -x "$gen" ] || [ -n "$(find "$src" -newer "$gen" -type f 2>/dev/null | head -1)" ]; then
	(cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -o "$gen" .)
	rm -f "$cache/tiny.gguf"
fi
if [ ! -f "$cache/tiny.gguf" ] || [ ! -f "$cache/Modelfile" ]; then
	"$gen" -out "$cache"
fi
