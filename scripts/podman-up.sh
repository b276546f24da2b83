#!/usr/bin/env bash
# Sets up rootful Podman for sandbox-mcp on Debian 12: installs podman and catatonit from
# Debian's packages when they are missing, starts `podman system service` on
# /run/podman/podman.sock when nothing responds there, and gets the images into Podman.
# Needs root. Idempotent: each step does nothing when its result is already in place.
#
# Usage: scripts/podman-up.sh [--no-images]
#   --no-images  only install and start the service
#
# Images: the base image comes from Docker with `docker save | podman load` when Docker has
# it (4 s here), otherwise runtimes/images/debian-base.sh builds it with debootstrap. The
# runtime images are then built by `sandbox-mcp images build` through Podman's
# Docker-compatible API (about 65 s for both on a 2-CPU VM when Podman has no cached
# layers, under a second when it has). Loading them from Docker instead took 30 s, but
# building tests the Podman build path on every run.
#
# Environment:
#   SANDBOX_MCP_BASE_IMAGE  base of the runtime images (default: sandbox-mcp/debian-base:bookworm)
#   SANDBOX_MCP             command that runs sandbox-mcp (default: go run ./cmd/sandbox-mcp)
#
# Rlimits: on hosts where root lacks CAP_SYS_RESOURCE or the hard limits are below
# Podman's defaults (RLIMIT_NOFILE and RLIMIT_NPROC of 1048576), a plain `podman run` fails
# with "error setting rlimit type 7". sandbox-mcp sets both limits on its containers, so
# this script changes no Podman configuration for it.
set -euo pipefail

socket=/run/podman/podman.sock
log_file=/var/log/sandbox-mcp-podman.log
local_base=sandbox-mcp/debian-base:bookworm
base_image=${SANDBOX_MCP_BASE_IMAGE:-$local_base}

log() { printf 'podman-up: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

service_responds() {
  curl -sf --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1
}

# Installs podman and catatonit. catatonit is named explicitly because apt would satisfy
# podman's recommendation of "catatonit | tini | dumb-init" with an installed tini, which
# Podman does not run. netavark and aardvark-dns give the installer containers a network.
install_podman() {
  if command -v podman >/dev/null 2>&1 && [[ -x /usr/libexec/podman/catatonit ]]; then
    return
  fi
  [[ $EUID -eq 0 ]] || die "podman or catatonit is missing. Install with: sudo apt-get install podman catatonit"
  log "installing podman and catatonit from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman catatonit netavark aardvark-dns curl >/dev/null
}

start_service() {
  if service_responds; then
    log "podman service already responds on $socket"
    return
  fi
  log "starting podman system service on $socket (log: $log_file)"
  mkdir -p "$(dirname "$socket")"
  # setsid detaches the service from this script's process group, so it outlives the caller.
  # It starts in /: a service whose working directory is later deleted (a removed checkout)
  # fails every container start with "write child: broken pipe".
  (cd / && exec setsid podman system service --time=0 "unix://$socket" >"$log_file" 2>&1 </dev/null) &
  for _ in $(seq 1 60); do
    if service_responds; then
      log "podman service is up"
      return
    fi
    sleep 0.5
  done
  die "podman service did not respond within 30 s; see $log_file"
}

# Loads the base image from Docker, or builds it, when Podman lacks it. A base other than
# the local one is left to the build, which pulls it.
ensure_base_image() {
  if [[ $base_image != "$local_base" ]] || podman image exists "$local_base"; then
    log "base image: $base_image"
    return
  fi
  if command -v docker >/dev/null 2>&1 && docker image inspect "$local_base" >/dev/null 2>&1; then
    log "loading $local_base from Docker"
    docker save "$local_base" | podman load -q >/dev/null
    return
  fi
  ENGINE=podman runtimes/images/debian-base.sh "$local_base"
}

build_runtime_images() {
  local config
  config=$(mktemp --suffix=.yaml)
  trap 'rm -f "$config"' RETURN
  echo "backend: podman" >"$config"
  # shellcheck disable=SC2086 # SANDBOX_MCP may be a command with arguments
  ${SANDBOX_MCP:-go run ./cmd/sandbox-mcp} images build --config "$config" --base "$base_image"
}

cd "$(dirname "${BASH_SOURCE[0]}")/.."

install_podman
start_service
if [[ ${1:-} != --no-images ]]; then
  ensure_base_image
  build_runtime_images
fi
