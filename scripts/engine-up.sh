#!/usr/bin/env bash
# Installs Docker Engine from Debian's packages when it is missing and starts dockerd when
# no daemon answers on /var/run/docker.sock. Needs root. Idempotent: does nothing when an
# engine already answers.
set -euo pipefail

log() { printf 'engine-up: %s\n' "$*" >&2; }

engine_answers() {
  curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
}

if engine_answers; then
  log "docker engine already answers on /var/run/docker.sock"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io and debootstrap from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io debootstrap curl >/dev/null
fi

log "starting dockerd (log: /var/log/sandbox-mcp-dockerd.log)"
# setsid detaches dockerd from this script's process group, so it outlives the caller. It
# starts in /, so that deleting the checkout this script ran from cannot affect it.
(cd / && exec setsid dockerd >/var/log/sandbox-mcp-dockerd.log 2>&1 </dev/null) &

for _ in $(seq 1 60); do
  if engine_answers; then
    log "docker engine is up"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; see /var/log/sandbox-mcp-dockerd.log"
exit 1
