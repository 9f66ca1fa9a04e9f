#!/usr/bin/env bash
# The demo: a generated sample clip served as an RTSP camera by
# `anyanomaly replay`, watched by `anyanomaly run` (embedded NATS), events
# printed by `anyanomaly events tail`. Needs an Ollama with a vision model.
#
#   OLLAMA_HOST   Ollama URL (default http://127.0.0.1:11434)
#   DEMO_MODEL    vision model to use (default: qwen2.5vl:3b)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/anyanomaly}
OLLAMA_HOST=${OLLAMA_HOST:-http://127.0.0.1:11434}
case "$OLLAMA_HOST" in http://*|https://*) ;; *) OLLAMA_HOST="http://$OLLAMA_HOST" ;; esac
DEMO_MODEL=${DEMO_MODEL:-qwen2.5vl:3b}
work=${DEMO_DIR:-/tmp/anyanomaly-demo}
mkdir -p "$work/state"

# 1. An Ollama with a vision model must answer; say plainly what to do if not.
command -v curl >/dev/null || { echo "demo: curl is missing (scripts/setup.sh installs it)" >&2; exit 1; }
if ! tags=$(curl -fsS --max-time 3 "$OLLAMA_HOST/api/tags" 2>/dev/null); then
  cat >&2 <<MSG
demo: no Ollama answers at $OLLAMA_HOST.
  Install it (https://ollama.com/download), then:   ollama pull $DEMO_MODEL
  Or point OLLAMA_HOST at a running Ollama, and DEMO_MODEL at a vision model it has.
MSG
  exit 1
fi
if ! grep -q "\"$DEMO_MODEL\"" <<<"$tags"; then
  echo "demo: Ollama at $OLLAMA_HOST has no model $DEMO_MODEL: run \`ollama pull $DEMO_MODEL\` (or set DEMO_MODEL)" >&2
  exit 1
fi

# 2. A sample clip: a textured scene with moving shapes; a red box (the
#    "anomaly") is visible from 20 s to 35 s of every 60 s loop.
clip="$work/sample.mp4"
if [ ! -s "$clip" ]; then
  ffmpeg -loglevel error -y \
    -f lavfi -i "cellauto=s=1280x720:rate=25:rule=18,format=gray,format=yuv420p,lutyuv=y=val*0.25+90" \
    -f lavfi -i "color=c=blue:s=90x90:r=25" \
    -f lavfi -i "color=c=white:s=60x140:r=25" \
    -f lavfi -i "color=c=red:s=160x160:r=25" \
    -filter_complex "[0][1]overlay=x='mod(t*140,W)':y=420:shortest=1[a];[a][2]overlay=x='W-mod(t*90,W)':y=200[b];[b][3]overlay=x=900:y=300:enable='between(t,20,35)'" \
    -t 60 -c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p "$clip"
fi

# 3. Serve it as a camera, run the daemon, print events.
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"$BIN" replay "$clip" --listen 127.0.0.1:8554 --path cam1 --loop &
pids+=($!)
sed -e "s#@OLLAMA@#$OLLAMA_HOST#" -e "s#@MODEL@#$DEMO_MODEL#" -e "s#@STATE@#$work/state#" \
  configs/demo.yaml.in > "$work/demo.yaml"
"$BIN" run --config "$work/demo.yaml" &
daemon=$!
pids+=($daemon)
# events tail connects once: wait for the daemon's embedded NATS server
# (it waits for the stream itself).
for _ in $(seq 150); do
  (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break
  kill -0 "$daemon" 2>/dev/null || { echo "demo: the daemon exited; its log is above" >&2; exit 1; }
  sleep 0.2
done
echo "demo: camera rtsp://127.0.0.1:8554/cam1, metrics http://127.0.0.1:9464/metrics; Ctrl-C to stop"
"$BIN" events tail --server nats://127.0.0.1:4222
