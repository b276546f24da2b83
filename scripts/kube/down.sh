#!/usr/bin/env bash
# Stops the test cluster that up.sh started and removes what it left on the host: pods and
# their containers, mounts, the pod bridge and the kubepods cgroups. Needs root. Idempotent:
# a part that is already gone is skipped.
#
# The state dir ($SANDBOX_MCP_KUBE_DIR, default /var/lib/sandbox-mcp-kube) is kept, so the
# next up.sh reuses the PKI, etcd's data and the images loaded into containerd. With --purge
# the state dir is removed too. The built binaries are always kept.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$script_dir/lib.sh"

purge=false
for arg in "$@"; do
  case $arg in
  --purge) purge=true ;;
  *)
    kube_log "invalid argument $arg. Usage: down.sh [--purge]"
    exit 2
    ;;
  esac
done

if ((EUID != 0)); then
  kube_log "must run as root"
  exit 1
fi

# delete_pods deletes every pod through the API server while the kubelet still runs, so the
# kubelet stops their containers and releases their network, then waits up to 60 s for the
# kubelet to confirm each deletion.
delete_pods() {
  kube_daemon_pid kube-apiserver >/dev/null || return 0
  kube_daemon_pid kubelet >/dev/null || return 0
  [[ $(kube_api GET /readyz -f --max-time 2 2>/dev/null) == ok ]] || return 0

  local namespaces
  namespaces=$(kube_api GET /api/v1/pods -f | jq -r '[.items[].metadata.namespace] | unique | .[]')
  [[ -n $namespaces ]] || return 0

  kube_log "deleting all pods"
  local namespace
  for namespace in $namespaces; do
    kube_api DELETE "/api/v1/namespaces/$namespace/pods" -f -o /dev/null
  done

  local deadline=$((SECONDS + 60)) count
  while count=$(kube_api GET /api/v1/pods -f | jq '.items | length') && ((count > 0)); do
    if ((SECONDS >= deadline)); then
      kube_log "$count pods still exist after 60 s, so their containers are removed directly"
      return 0
    fi
    sleep 0.5
  done
}

# remove_containers kills and removes every container that containerd still has in the CRI
# namespace: what the kubelet did not clean up, or all of it when the kubelet was not running.
remove_containers() {
  kube_daemon_pid containerd >/dev/null || return 0

  local id
  for id in $(kube_ctr tasks ls -q 2>/dev/null); do
    kube_ctr tasks kill --signal SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $(kube_ctr tasks ls -q 2>/dev/null); do
    for _ in $(seq 1 20); do
      kube_ctr tasks delete "$id" >/dev/null 2>&1 && break
      sleep 0.25
    done
  done
  for id in $(kube_ctr containers ls -q 2>/dev/null); do
    kube_ctr containers delete "$id" >/dev/null 2>&1 ||
      kube_log "failed to delete container $id"
  done
}

# unmount_all unmounts every mount under the state dir and the runtime dir, deepest first.
# The kubelet bind-mounts its root dir onto itself, and pods add volume and rootfs mounts.
unmount_all() {
  local target
  findmnt -rn -o TARGET | awk -v state="$KUBE_DIR" -v run="$KUBE_RUN_DIR" '
    index($0, state "/") == 1 || $0 == state || index($0, run "/") == 1 || $0 == run
  ' | sort -r | while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" ||
      kube_log "failed to unmount $target"
  done
}

# remove_cgroups removes the kubepods cgroup tree that the kubelet created in each cgroup v1
# hierarchy, children first. A cgroup that still has processes cannot be removed.
remove_cgroups() {
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d $hierarchy ]] || continue
    find "$hierarchy" -depth -type d -exec rmdir {} + 2>/dev/null ||
      kube_log "failed to remove all of $hierarchy, which may still contain processes"
  done
}

started=$SECONDS

delete_pods
kube_stop_daemon kubelet
remove_containers
kube_stop_daemon containerd
kube_stop_daemon kube-apiserver
kube_stop_daemon etcd

unmount_all
if ip link show "$KUBE_BRIDGE" >/dev/null 2>&1; then
  kube_log "deleting bridge $KUBE_BRIDGE"
  ip link delete "$KUBE_BRIDGE"
fi
remove_cgroups

# All pods are gone, so every address that the host-local IPAM plugin reserved is free.
rm -rf "$KUBE_CNI_IPAM_DIR" "$KUBE_RUN_DIR"

if $purge; then
  kube_log "removing $KUBE_DIR"
  rm -rf "$KUBE_DIR"
fi
kube_log "cluster is down in $((SECONDS - started)) s"
