#!/usr/bin/env bash
# One scripted check of NVIDIA (cuda) decoding in the ingest pipeline.
# Self-contained, no build needed: give it a prebuilt anyanomaly binary
# (linked against FFmpeg 5.1 — Debian 12's libavcodec59).
#
#   scripts/gpu_decode_check.sh [BIN] [CLIP]
#
# BIN  defaults to bin/anyanomaly, else `go build` when Go is present.
# CLIP an H.264 file; generated with the ffmpeg CLI when omitted.
# It serves CLIP with `BIN replay`, then runs `BIN probe` with --hwaccel
# cuda, auto and none over loopback RTSP, 8 s each, and prints the JSON
# results and CPU time of each run. Runs in about 40 s. Exit 0 only when
# cuda decoded frames.
set -uo pipefail
bin="${1:-}"
clip="${2:-}"
work="$(mktemp -d)"
replay_pid=""
cleanup() { [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "$bin" ]; then
  if [ -x bin/anyanomaly ]; then bin=bin/anyanomaly
  elif command -v go >/dev/null; then
    echo "== building anyanomaly"; go build -o "$work/anyanomaly" ./cmd/anyanomaly || exit 2; bin="$work/anyanomaly"
  else echo "usage: $0 BIN [CLIP]  (no binary and no Go toolchain)" >&2; exit 2; fi
fi
echo "== machine"
uname -a
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
  echo "nvidia-smi not found: no NVIDIA driver here"
fi
ls /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/lib64/libcuda.so.1 2>/dev/null || echo "libcuda.so.1 not in the usual places (FFmpeg dlopens it)"
echo "== binary $bin"
if command -v ldd >/dev/null && ldd "$bin" | grep -q "not found"; then
  echo "missing shared libraries (this binary needs FFmpeg 5.1, Debian 12):"; ldd "$bin" | grep "not found"; exit 2
fi
"$bin" --version || exit 2

if [ -z "$clip" ]; then
  command -v ffmpeg >/dev/null || { echo "no CLIP given and no ffmpeg CLI to generate one" >&2; exit 2; }
  clip="$work/gpu_1080p.mp4"
  ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=1920x1080:rate=25 -t 10 \
    -c:v libx264 -preset veryfast -g 50 -bf 0 -pix_fmt yuv420p "$clip" || exit 2
fi
port=$((20000 + RANDOM % 20000))
"$bin" replay "$clip" --listen "127.0.0.1:$port" --path gpu --loop --udp-port -1 2>"$work/replay.log" &
replay_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
url="rtsp://127.0.0.1:$port/gpu"

status=1
for hw in cuda auto none; do
  echo "== probe --hwaccel $hw"
  TIMEFORMAT="cpu: %U s user + %S s system over %R s wall"
  { time timeout 30 "$bin" probe "$url" --transport tcp --hwaccel "$hw" --duration 8s --json -v \
      >"$work/$hw.json" 2>"$work/$hw.err"; } 2>"$work/$hw.time"
  rc=$?
  cat "$work/$hw.json"; cat "$work/$hw.err"; cat "$work/$hw.time"
  echo "exit: $rc"
  if [ "$hw" = cuda ]; then
    if [ $rc -eq 0 ] && grep -q '"hwaccel": "cuda"' "$work/cuda.json"; then
      echo "RESULT: cuda decoding works"; status=0
    else
      echo "RESULT: cuda decoding FAILED"
    fi
  fi
done
exit $status
