# Paths, ports and helpers shared by up.sh, down.sh and load-images.sh, which source this
# file. It is not a program of its own.
#
# Every listener of the test cluster is on 127.0.0.1:
#   etcd             12379 (clients), 12380 (peers)
#   kube-apiserver   6443
#   kubelet          10250 (API), 10248 (healthz)
#   containerd       unix socket $KUBE_CONTAINERD_SOCKET, CRI streaming on a random port
# etcd is kept off its usual ports 2379/2380, so that an etcd started by Debian's etcd-server
# package cannot be mistaken for ours.

# The scripts that source this file use these variables.
# shellcheck shell=bash disable=SC2034

KUBE_VERSION=v1.37.2
KUBE_NODE_NAME=127.0.0.1
KUBE_NAMESPACE=sandbox-mcp

KUBE_DIR=${SANDBOX_MCP_KUBE_DIR:-/var/lib/sandbox-mcp-kube}
KUBE_BIN_DIR=${SANDBOX_MCP_KUBE_CACHE:-/var/cache/sandbox-mcp}/kubernetes-$KUBE_VERSION
# Runtime state that must not survive a reboot: containerd's state dir and its socket. It is
# deliberately not /run/containerd, whose containerd.sock Docker's dockerd would adopt.
KUBE_RUN_DIR=/run/sandbox-mcp-kube
KUBE_CONTAINERD_SOCKET=$KUBE_RUN_DIR/containerd.sock

KUBE_PKI_DIR=$KUBE_DIR/pki
KUBE_LOG_DIR=$KUBE_DIR/logs
KUBE_PID_DIR=$KUBE_DIR/pids
KUBE_KUBELET_ROOT=$KUBE_DIR/kubelet
KUBE_CNI_CONF_DIR=$KUBE_DIR/cni/net.d
KUBE_CNI_IPAM_DIR=$KUBE_DIR/cni/ipam
KUBE_KUBECONFIG=$KUBE_DIR/kubeconfig

KUBE_ETCD_URL=http://127.0.0.1:12379
KUBE_ETCD_PEER_URL=http://127.0.0.1:12380
KUBE_APISERVER_URL=https://127.0.0.1:6443
KUBE_KUBELET_HEALTHZ_URL=http://127.0.0.1:10248/healthz

KUBE_BRIDGE=sbx-kube0
KUBE_POD_CIDR=10.244.0.0/24
KUBE_SERVICE_CIDR=10.0.0.0/24
KUBE_PAUSE_IMAGE=docker.io/sandbox-mcp/pause:1

export PATH=/usr/local/go/bin:$PATH

kube_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# kube_ctr runs ctr against the test cluster's containerd, in the namespace the CRI uses.
kube_ctr() { ctr --address "$KUBE_CONTAINERD_SOCKET" --namespace k8s.io "$@"; }

# kube_api METHOD PATH [curl options...] calls the API server with the admin client
# certificate and prints the response body. It fails on a connection error, and on an HTTP
# error status only when the caller passes -f.
kube_api() {
  local method=$1 path=$2
  shift 2
  curl -sS --max-time 10 -X "$method" \
    --cacert "$KUBE_PKI_DIR/ca.crt" \
    --cert "$KUBE_PKI_DIR/admin.crt" --key "$KUBE_PKI_DIR/admin.key" \
    "$@" "$KUBE_APISERVER_URL$path"
}

# kube_daemon_pid NAME prints the pid recorded in $KUBE_PID_DIR/NAME.pid when that process
# is still running with NAME as its command name and this cluster's state dir on its command
# line, and fails otherwise. The second check keeps a reused pid from being mistaken for ours.
kube_daemon_pid() {
  local name=$1 pid
  pid=$(cat "$KUBE_PID_DIR/$name.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "${name:0:15}" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$KUBE_DIR" || return 1
  echo "$pid"
}

# kube_start_daemon NAME COMMAND... starts COMMAND detached from this script, from / and with
# its output in $KUBE_LOG_DIR/NAME.log, and records its pid.
kube_start_daemon() {
  local name=$1
  shift
  mkdir -p "$KUBE_LOG_DIR" "$KUBE_PID_DIR"
  kube_log "starting $name (log: $KUBE_LOG_DIR/$name.log)"
  # setsid puts the daemon in a session of its own, so it outlives the caller and its
  # terminal. Starting in / keeps it from holding the caller's working directory.
  (cd / && exec setsid "$@" >>"$KUBE_LOG_DIR/$name.log" 2>&1 </dev/null) &
  echo $! >"$KUBE_PID_DIR/$name.pid"
}

# kube_stop_daemon NAME sends SIGTERM to the daemon NAME, then SIGKILL if it is still running
# after 20 s. A daemon that is not running counts as stopped.
kube_stop_daemon() {
  local name=$1 pid
  if ! pid=$(kube_daemon_pid "$name"); then
    rm -f "$KUBE_PID_DIR/$name.pid"
    return 0
  fi
  kube_log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 80); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    kube_log "$name (pid $pid) still running after 20 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$KUBE_PID_DIR/$name.pid"
}

# kube_wait SECONDS WHAT COMMAND... runs COMMAND every 0.25 s until it succeeds, and fails
# with a message naming WHAT when SECONDS pass first.
kube_wait() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      kube_log "timed out after $seconds s waiting for $what"
      return 1
    fi
    sleep 0.25
  done
}
