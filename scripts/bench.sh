#!/usr/bin/env bash
# Runs the benchmarks recorded in BENCHMARKS.md: the Go benchmarks of every
# package (one core for the per-segment numbers), then the ingest script that
# compares this pipeline with the ffmpeg CLI on the same generated clips.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== context building (one core)"
go test -run '^$' -bench . -benchmem -cpu 1 ./context/...
echo "== detector scheduling and gate"
go test -run '^$' -bench . -benchmem ./detector/
echo "== alerts"
go test -run '^$' -bench . -benchmem ./alerts/
echo "== ingest vs ffmpeg"
./scripts/bench_stream.sh
