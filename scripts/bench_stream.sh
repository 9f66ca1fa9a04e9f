#!/usr/bin/env bash
# Ingest benchmarks for BENCHMARKS.md ("## Ingest (stream/)"), all in one run
# on the same generated 720p and 1080p clips:
#   - decode+scale throughput of the pipeline from a file and through RTSP
#     loopback, against `ffmpeg -threads 1 -i CLIP -f null -` (frames per
#     CPU-second, medians of RUNS runs);
#   - peak RSS per extra real-time 1080p25 camera;
#   - CPU per real-time 1080p25 camera.
# Usage: scripts/bench_stream.sh [RUNS]   (default 5; needs ffmpeg and Go)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
command -v ffmpeg >/dev/null || { echo "bench_stream: ffmpeg CLI not found (scripts/setup.sh)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/streambench" ./stream/internal/streambench
echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, $(ffmpeg -version | head -1 | cut -d' ' -f1-3)" >&2
"$tmp/streambench" suite -dir "$tmp" -runs "$runs"
