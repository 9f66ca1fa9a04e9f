#!/usr/bin/env bash
# Builds (or reuses) the CPU-only `ollama` binary that the real-Ollama test
# tier (detector/ollamatest/realollama) runs, and prints its path on stdout.
#
# Why v0.6.5: it is the version go.mod pins for the `api` package, so the
# client and the server under test speak the same protocol revision, and it
# is the newest release whose Go module zip still builds with nothing but Go
# and a C/C++ compiler: its llama.cpp/ggml sources, including third-party
# headers, are vendored in the module. Newer module zips (e.g. v0.17.x) omit
# vendored C++ headers (nlohmann/json, stb_image.h, miniaudio.h), only some of
# which Debian packages, so `go install` of them fails on a clean box.
#
# The binary is cached outside the repository, keyed by version:
#   ${ANYANOMALY_OLLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyanomaly-ollama}/v0.6.5/ollama
# The Go test helper looks in the same place (and honours
# ANYANOMALY_OLLAMA_BIN), so CI needs only to run this script before the
# tests. A cold build compiles llama.cpp through cgo (tens of minutes of CPU
# on 2 cores); with the Go build cache warm it only relinks.
#
# Usage: scripts/build_ollama.sh [--force]    (prints the binary path)
set -euo pipefail

version="${ANYANOMALY_OLLAMA_VERSION:-0.6.5}"
cache_root="${ANYANOMALY_OLLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyanomaly-ollama}"
dir="$cache_root/v$version"
bin="$dir/ollama"

log() { echo "build_ollama: $*" >&2; }

if ! command -v go >/dev/null; then
  log "Go is required on PATH to build ollama v$version"
  exit 1
fi
for cc in gcc g++; do
  if ! command -v "$cc" >/dev/null; then
    log "$cc is required: ollama's llama.cpp runner is built with cgo (apt-get install g++)"
    exit 1
  fi
done

# A binary built by `go install` reports version 0.0.0 unless the version
# variable is set at link time; set it so tests can print what they ran.
ldflags="-s -w -X=github.com/ollama/ollama/version.Version=$version"

reported_version() {
  # `ollama -v` without a server prints "client version is X" on stderr.
  # Point it at a closed port so a local Ollama server cannot answer instead.
  OLLAMA_HOST=127.0.0.1:1 "$1" -v 2>&1 | sed -n 's/.*version is \([0-9][0-9.]*\).*/\1/p' | tail -n1
}

if [ "${1:-}" != "--force" ] && [ -x "$bin" ]; then
  got="$(reported_version "$bin" || true)"
  if [ "$got" = "$version" ]; then
    log "reusing cached ollama $got"
    echo "$bin"
    exit 0
  fi
  log "cached binary reports version '${got:-unknown}', want $version: rebuilding"
fi

mkdir -p "$dir"
log "building ollama v$version (CPU only, cgo) into $dir; cold builds take a long time"
start=$(date +%s)
# GOFLAGS=-mod=mod: installing pkg@version must ignore any enclosing module's
# vendor/readonly settings. CGO_ENABLED=1: the llama.cpp runner needs cgo.
if ! GOBIN="$dir" GOFLAGS=-mod=mod CGO_ENABLED=1 \
    go install -ldflags="$ldflags" "github.com/ollama/ollama@v$version"; then
  log "go install github.com/ollama/ollama@v$version failed (see the compiler output above)"
  exit 1
fi
got="$(reported_version "$bin" || true)"
if [ "$got" != "$version" ]; then
  log "built $bin but it reports version '${got:-unknown}', want $version"
  exit 1
fi
log "built ollama $got in $(( $(date +%s) - start ))s"
echo "$bin"
