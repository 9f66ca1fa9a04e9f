#!/usr/bin/env bash
# Ingest benchmarks for BENCHMARKS.md ("## Ingest (stream/)"), all in one run
# on the same generated 720p and 1080p clips (12 s and 36 s of each); every
# run measures all sides back to back, and ratios are taken within a run:
#   - steady-state decode+scale throughput of the pipeline from a file
#     against `ffmpeg -threads 1 -i CLIP -f null -` (the long clip's extra
#     frames per extra CPU-second, CPU counted inside each process: ffmpeg's
#     -benchmark figure, getrusage around stream.ReadFile; ffmpeg measured
#     before and after the pipeline), every frame scaled and at the
#     default sample_fps;
#   - the same through RTSP loopback with one camera at capacity (the replay
#     paced just below the rate a probe run, right before, finds it decodes at,
#     and measured again if it falls behind anyway),
#     and the ffmpeg CLI reading the same RTSP stream at its capacity, for
#     what the transport costs on this machine;
#   - paced at 2x real time (one and three cameras), for the record;
#   - peak RSS per extra real-time 1080p25 camera;
#   - CPU per real-time 1080p25 camera.
# Usage: scripts/bench_stream.sh [RUNS]   (default 5, about 15 minutes; needs
# ffmpeg and Go; medians of RUNS runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
command -v ffmpeg >/dev/null || { echo "bench_stream: ffmpeg CLI not found (scripts/setup.sh)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/streambench" ./stream/internal/streambench
# Debian's libavfilter links OpenBLAS, whose worker threads spin for about
# 0.1 s after the library loads, in every process that links FFmpeg (the
# ffmpeg CLI and ours alike): a start-up artefact worth 10-15 % of a 12 s
# clip's CPU, not decoding. One thread removes it for both sides (the
# systemd unit sets the same).
export OPENBLAS_NUM_THREADS=1
echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, $(ffmpeg -version | head -1 | cut -d' ' -f1-3)" >&2
"$tmp/streambench" suite -dir "$tmp" -runs "$runs"
