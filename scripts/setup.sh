#!/usr/bin/env bash
# Installs what building and testing AnyAnomaly needs on Debian 12: FFmpeg 5.1
# development files (go-astiav v0.16.0 links against them), the ffmpeg/ffprobe
# CLIs (tests generate clips with them), pkg-config, and the nats-server
# package (interoperability tests). Idempotent: installs only what is missing.
set -euo pipefail
pkgs=(libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev
      libavdevice-dev libswresample-dev pkg-config ffmpeg gcc g++ nats-server
      python3-scipy python3-sklearn rtsp-server-perl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v go >/dev/null; then
  echo "setup: Go 1.26 is required (https://go.dev/dl/); not found on PATH" >&2
  exit 1
fi
