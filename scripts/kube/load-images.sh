#!/usr/bin/env bash
# Copies images from Docker into the test cluster's containerd, because the cluster has no
# registry to pull from. Usage: load-images.sh IMAGE...
#
# Each IMAGE is a Docker image reference such as sandbox-mcp/python:latest. containerd stores
# it under its normalized name (docker.io/sandbox-mcp/python:latest), which is the name that
# the kubelet looks up for a pod's image: sandbox-mcp/python:latest. An image whose Docker
# image ID matches the one loaded before is skipped. Needs root, a running Docker engine and
# a cluster started by up.sh.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$script_dir/lib.sh"

# Label on each loaded image that records its Docker image ID (its config digest).
ID_LABEL=sandbox-mcp.docker-image-id

if (($# == 0)); then
  kube_log "usage: load-images.sh IMAGE..."
  exit 2
fi
if ! kube_ctr --timeout 2s version >/dev/null 2>&1; then
  kube_log "containerd of the test cluster does not respond on $KUBE_CONTAINERD_SOCKET. Run up.sh first."
  exit 1
fi

# normalize_name prints the name that containerd gives a Docker image reference:
# a docker.io/ domain when the first component is not a host, library/ for official images,
# and the tag latest when there is neither tag nor digest.
normalize_name() {
  local name=$1 first=${1%%/*}
  if [[ $name != */* ]]; then
    name=docker.io/library/$name
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    name=docker.io/$name
  fi
  local last=${name##*/}
  if [[ $last != *:* && $name != *@* ]]; then
    name=$name:latest
  fi
  echo "$name"
}

for image in "$@"; do
  if ! image_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null); then
    kube_log "image $image not found in Docker. Build or pull it there first."
    exit 1
  fi
  name=$(normalize_name "$image")

  if kube_ctr images ls "name==$name" 2>/dev/null | grep -qF "$ID_LABEL=$image_id"; then
    kube_log "$name is already loaded ($image_id)"
    continue
  fi

  kube_log "loading $image into containerd as $name"
  started=$SECONDS
  docker save "$image" | kube_ctr images import - >&2
  kube_ctr images label "$name" "$ID_LABEL=$image_id" >/dev/null
  kube_log "loaded $name in $((SECONDS - started)) s"
done
