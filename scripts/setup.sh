#!/usr/bin/env bash
# Installs what building and testing AnyAnomaly needs on Debian 12: FFmpeg 5.1
# development files (go-astiav v0.16.0 links against them), the ffmpeg/ffprobe
# CLIs (tests generate clips with them), pkg-config, the nats-server and
# rtsp-server-perl packages (interoperability tests; their services are not
# left running), and curl (the demo). Idempotent: installs only what is
# missing.
set -euo pipefail
pkgs=(libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavfilter-dev
      libavdevice-dev libswresample-dev pkg-config ffmpeg gcc g++ nats-server
      python3-scipy python3-sklearn rtsp-server-perl curl ca-certificates)
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
  # On a host running systemd, Debian starts the servers it just installed:
  # nats-server would hold 127.0.0.1:4222, where the daemon's embedded
  # server (and the demo) listen. The tests start their own; stop the
  # services this run installed, and leave ones that were there before.
  if [ -d /run/systemd/system ]; then
    for svc in nats-server rtsp-server-perl; do
      if printf '%s\n' "${missing[@]}" | grep -qx "$svc"; then
        $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
      fi
    done
  fi
fi
if ! command -v go >/dev/null; then
  echo "setup: Go 1.26 is required (https://go.dev/dl/); not found on PATH" >&2
  exit 1
fi
