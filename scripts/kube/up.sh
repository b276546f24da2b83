#!/usr/bin/env bash
# Brings up a single-node Kubernetes v1.37.2 test cluster on this machine. Needs root. The
# last line on stdout is the path of the admin kubeconfig, and all progress goes to stderr.
#
# The cluster is etcd, kube-apiserver, a containerd of its own and a kubelet, every listener
# on 127.0.0.1 (ports in lib.sh). It has no scheduler and no controller manager, so pods must
# set spec.nodeName: 127.0.0.1, imagePullPolicy: Never and small resource requests. Pods get
# addresses on a bridge that reaches only other pods. Images come from Docker with
# load-images.sh, since there is no registry.
#
# Idempotent: a component that already responds is left alone, so a second run returns in
# about a second. State (PKI, data, logs, pids) is under $SANDBOX_MCP_KUBE_DIR (default
# /var/lib/sandbox-mcp-kube). The binaries are built by build.sh into
# $SANDBOX_MCP_KUBE_CACHE (default /var/cache/sandbox-mcp). down.sh stops everything.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$script_dir/lib.sh"

# Set by build_pause_image while it works in a temporary directory.
pause_work=
trap 'rm -rf "${pause_work:-}"' EXIT

if ((EUID != 0)); then
  kube_log "must run as root"
  exit 1
fi

# install_packages installs the Debian packages whose commands or files are missing.
install_packages() {
  local missing=()
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v etcdctl >/dev/null || missing+=(etcd-client)
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v ip >/dev/null || missing+=(iproute2)
  ((${#missing[@]} == 0)) && return 0

  kube_log "installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

# new_key PATH writes a P-256 private key to PATH unless it exists.
new_key() {
  [[ -f $1 ]] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# issue_cert NAME SUBJECT EXTENSIONS writes NAME.key and NAME.crt, signed by the cluster CA
# and valid for 10 years, unless NAME.crt exists.
issue_cert() {
  local name=$1 subject=$2 extensions=$3
  [[ -f $KUBE_PKI_DIR/$name.crt ]] && return 0
  new_key "$KUBE_PKI_DIR/$name.key"
  openssl req -new -key "$KUBE_PKI_DIR/$name.key" -subj "$subject" -out "$KUBE_PKI_DIR/$name.csr"
  openssl x509 -req -in "$KUBE_PKI_DIR/$name.csr" -days 3650 \
    -CA "$KUBE_PKI_DIR/ca.crt" -CAkey "$KUBE_PKI_DIR/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -extfile <(printf '%s\n' "$extensions") -out "$KUBE_PKI_DIR/$name.crt.tmp" 2>/dev/null
  mv "$KUBE_PKI_DIR/$name.crt.tmp" "$KUBE_PKI_DIR/$name.crt"
  rm -f "$KUBE_PKI_DIR/$name.csr"
}

make_pki() {
  mkdir -p "$KUBE_PKI_DIR"
  chmod 700 "$KUBE_PKI_DIR"

  if [[ ! -f $KUBE_PKI_DIR/ca.crt ]]; then
    kube_log "creating the cluster CA in $KUBE_PKI_DIR"
    new_key "$KUBE_PKI_DIR/ca.key"
    openssl req -x509 -new -key "$KUBE_PKI_DIR/ca.key" -subj "/CN=sandbox-mcp-kube-ca" -days 3650 \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$KUBE_PKI_DIR/ca.crt.tmp"
    mv "$KUBE_PKI_DIR/ca.crt.tmp" "$KUBE_PKI_DIR/ca.crt"
  fi

  local server="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

  # 10.0.0.1 is the first address of the service range: the address of the kubernetes
  # service that the API server registers for itself.
  issue_cert apiserver "/CN=kube-apiserver" "$server
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue_cert kubelet-serving "/O=system:nodes/CN=system:node:$KUBE_NODE_NAME" "$server
subjectAltName=IP:127.0.0.1,DNS:localhost"
  issue_cert admin "/O=system:masters/CN=sandbox-mcp-admin" "$client"
  issue_cert kubelet "/O=system:nodes/CN=system:node:$KUBE_NODE_NAME" "$client"
  issue_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"

  # The API server signs service-account tokens with sa.key and verifies them with sa.pub.
  if [[ ! -f $KUBE_PKI_DIR/sa.pub ]]; then
    new_key "$KUBE_PKI_DIR/sa.key"
    openssl pkey -in "$KUBE_PKI_DIR/sa.key" -pubout -out "$KUBE_PKI_DIR/sa.pub"
  fi
}

# write_kubeconfig PATH USER embeds the CA and the client certificate USER.crt in a
# kubeconfig, so that the file still works when copied elsewhere.
write_kubeconfig() {
  local path=$1 user=$2
  cat >"$path.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sandbox-mcp-kube
  cluster:
    server: $KUBE_APISERVER_URL
    certificate-authority-data: $(base64 -w0 "$KUBE_PKI_DIR/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$KUBE_PKI_DIR/$user.crt")
    client-key-data: $(base64 -w0 "$KUBE_PKI_DIR/$user.key")
contexts:
- name: sandbox-mcp-kube
  context:
    cluster: sandbox-mcp-kube
    user: $user
    namespace: $KUBE_NAMESPACE
current-context: sandbox-mcp-kube
EOF
  chmod 600 "$path.tmp"
  mv "$path.tmp" "$path"
}

write_containerd_config() {
  mkdir -p "$KUBE_DIR/containerd" "$KUBE_RUN_DIR"
  cat >"$KUBE_DIR/containerd.toml" <<EOF
version = 2
root = "$KUBE_DIR/containerd"
state = "$KUBE_RUN_DIR/containerd"
# This cluster does not use these plugins, and disabling them keeps their errors out of the log.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "$KUBE_CONTAINERD_SOCKET"

[ttrpc]
  address = "$KUBE_CONTAINERD_SOCKET.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$KUBE_DIR/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$KUBE_PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Without CAP_SYS_RESOURCE, runc cannot lower a process's oom_score_adj below its
  # parent's, and pod sandboxes then fail with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$KUBE_CNI_CONF_DIR"
EOF
}

# write_cni_config writes the only network of the cluster: a bridge with no gateway and no
# masquerading, so pods reach each other and nothing outside the bridge.
write_cni_config() {
  mkdir -p "$KUBE_CNI_CONF_DIR" "$KUBE_CNI_IPAM_DIR"
  cat >"$KUBE_CNI_CONF_DIR/10-sandbox-mcp.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "sandbox-mcp-kube",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$KUBE_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "$KUBE_CNI_IPAM_DIR",
        "ranges": [[{"subnet": "$KUBE_POD_CIDR"}]]
      }
    }
  ]
}
EOF
}

write_kubelet_config() {
  mkdir -p "$KUBE_KUBELET_ROOT" "$KUBE_DIR/pod-logs" "$KUBE_DIR/kubelet-plugins"
  cat >"$KUBE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $KUBE_PKI_DIR/kubelet-serving.crt
tlsPrivateKeyFile: $KUBE_PKI_DIR/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: $KUBE_PKI_DIR/ca.crt
authorization:
  mode: AlwaysAllow
containerRuntimeEndpoint: unix://$KUBE_CONTAINERD_SOCKET
imageServiceEndpoint: unix://$KUBE_CONTAINERD_SOCKET
cgroupDriver: cgroupfs
# Kubelet 1.37 refuses to start on a cgroup v1 host unless this is false.
failCgroupV1: false
failSwapOn: false
podCIDR: $KUBE_POD_CIDR
# Sandboxes rely on this as their pids limit, which matches the default sandbox.pids: a pod
# cannot start more than 256 processes.
podPidsLimit: 256
podLogsDir: $KUBE_DIR/pod-logs
volumePluginDir: $KUBE_DIR/kubelet-plugins
# Images come only from load-images.sh, so image garbage collection would delete images
# that cannot be pulled again. A high threshold of 100 turns it off.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# Loose thresholds, so that a busy test machine does not evict pods.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
EOF
}

# build_pause_image packs scripts/kube/pause as a docker-archive tar and imports it into
# containerd. There is no registry, and containerd needs this image for every pod sandbox.
build_pause_image() {
  if kube_ctr images ls -q | grep -qxF "$KUBE_PAUSE_IMAGE"; then
    return 0
  fi
  kube_log "building and importing $KUBE_PAUSE_IMAGE"
  pause_work=$(mktemp -d /tmp/sandbox-mcp-pause.XXXXXX)
  local work=$pause_work

  # A module of its own, so that the build does not depend on the state of the project's
  # go.mod and go.sum.
  mkdir -p "$work/src" "$work/rootfs" "$work/archive"
  cp "$script_dir/pause/main.go" "$work/src/"
  printf 'module sandbox-mcp.local/pause\n\ngo 1.22\n' >"$work/src/go.mod"
  (cd "$work/src" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/rootfs/pause" .)

  # Fixed owner and mtime keep the layer, and so the image ID, the same from run to run.
  tar -C "$work/rootfs" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$work/layer.tar" pause
  local layer_digest config_digest
  layer_digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/archive/$layer_digest"
  mv "$work/layer.tar" "$work/archive/$layer_digest/layer.tar"

  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$layer_digest" >"$work/config.json"
  config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/archive/$config_digest.json"

  # Docker names the image without the docker.io/ prefix that containerd adds on import.
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_digest" "${KUBE_PAUSE_IMAGE#docker.io/}" "$layer_digest" >"$work/archive/manifest.json"
  tar -C "$work/archive" -cf "$work/pause.tar" .
  kube_ctr images import "$work/pause.tar" >&2
  rm -rf "$work"
}

etcd_healthy() { curl -sf --max-time 2 "$KUBE_ETCD_URL/health" | grep -q '"health":"true"'; }

apiserver_ready() { [[ $(kube_api GET /readyz -f --max-time 2 2>/dev/null) == ok ]]; }

containerd_responds() { kube_ctr --timeout 2s version >/dev/null 2>&1; }

kubelet_healthy() { [[ $(curl -sf --max-time 2 "$KUBE_KUBELET_HEALTHZ_URL") == ok ]]; }

node_ready() {
  kube_api GET "/api/v1/nodes/$KUBE_NODE_NAME" -f --max-time 2 |
    jq -e '.status.conditions[] | select(.type == "Ready") | .status == "True"' >/dev/null
}

start_etcd() {
  etcd_healthy && return 0
  if kube_daemon_pid etcd >/dev/null; then
    kube_log "etcd is running but not healthy. See $KUBE_LOG_DIR/etcd.log"
    return 1
  fi
  mkdir -p "$KUBE_DIR/etcd"
  chmod 700 "$KUBE_DIR/etcd"
  # The API server's watch cache of a resource advances only on events of that resource or
  # on etcd's periodic watch progress notifications, because etcd 3.4 lacks progress on
  # request. With etcd 3.4.23's default interval of 10 minutes, cache reads timed out after
  # 3 s with "Too large resource version", and the API server took 10-20 s to exit on
  # SIGTERM. With 1 s, neither happened.
  kube_start_daemon etcd etcd \
    --name sandbox-mcp-kube \
    --logger=zap \
    --experimental-watch-progress-notify-interval=1s \
    --data-dir "$KUBE_DIR/etcd" \
    --listen-client-urls "$KUBE_ETCD_URL" \
    --advertise-client-urls "$KUBE_ETCD_URL" \
    --listen-peer-urls "$KUBE_ETCD_PEER_URL" \
    --initial-advertise-peer-urls "$KUBE_ETCD_PEER_URL" \
    --initial-cluster "sandbox-mcp-kube=$KUBE_ETCD_PEER_URL"
}

start_containerd() {
  containerd_responds && return 0
  if kube_daemon_pid containerd >/dev/null; then
    kube_log "containerd is running but does not respond. See $KUBE_LOG_DIR/containerd.log"
    return 1
  fi
  kube_start_daemon containerd containerd --config "$KUBE_DIR/containerd.toml"
}

start_apiserver() {
  apiserver_ready && return 0
  if kube_daemon_pid kube-apiserver >/dev/null; then
    # Most likely still starting. The caller waits for /readyz.
    return 0
  fi
  # RBAC is on so that pool/kube's tests can check the Role in deploy/kubernetes. The admin
  # client is in system:masters, and the Node authorizer serves the kubelet.
  # The cluster has no controller manager, so the ServiceAccount admission plugin would
  # reject every pod for lack of a default service account, and TaintNodesByCondition would
  # leave the node's not-ready taint in place, since nothing removes it.
  kube_start_daemon kube-apiserver "$KUBE_BIN_DIR/kube-apiserver" \
    --etcd-servers="$KUBE_ETCD_URL" \
    --bind-address=127.0.0.1 \
    --secure-port=6443 \
    --advertise-address=127.0.0.1 \
    --anonymous-auth=false \
    --tls-cert-file="$KUBE_PKI_DIR/apiserver.crt" \
    --tls-private-key-file="$KUBE_PKI_DIR/apiserver.key" \
    --client-ca-file="$KUBE_PKI_DIR/ca.crt" \
    --service-account-key-file="$KUBE_PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$KUBE_PKI_DIR/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --disable-admission-plugins=ServiceAccount,TaintNodesByCondition \
    --endpoint-reconciler-type=none \
    --kubelet-client-certificate="$KUBE_PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$KUBE_PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$KUBE_PKI_DIR/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --profiling=false
}

start_kubelet() {
  kubelet_healthy && return 0
  if kube_daemon_pid kubelet >/dev/null; then
    return 0
  fi
  # --node-ip=127.0.0.1 is rejected as a loopback address. Without it, a node named by an
  # IP address gets that address as its InternalIP, which is what the API server dials.
  # NOTE: the kubelet's built-in cAdvisor still dials the default sockets
  # /run/containerd/containerd.sock and /var/run/crio/crio.sock at start, for container
  # metrics. No kubelet 1.37 flag changes them.
  kube_start_daemon kubelet "$KUBE_BIN_DIR/kubelet" \
    --config="$KUBE_DIR/kubelet.yaml" \
    --kubeconfig="$KUBE_DIR/kubelet.kubeconfig" \
    --root-dir="$KUBE_KUBELET_ROOT" \
    --hostname-override="$KUBE_NODE_NAME"
}

create_namespace() {
  if kube_api GET "/api/v1/namespaces/$KUBE_NAMESPACE" -f -o /dev/null 2>/dev/null; then
    return 0
  fi
  kube_log "creating namespace $KUBE_NAMESPACE"
  kube_api POST /api/v1/namespaces -f -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$KUBE_NAMESPACE\"}}"
}

# Fast path: every component is already healthy.
if [[ -f $KUBE_KUBECONFIG ]] && etcd_healthy && apiserver_ready && containerd_responds &&
  kubelet_healthy && node_ready && kube_api GET "/api/v1/namespaces/$KUBE_NAMESPACE" -f -o /dev/null 2>/dev/null; then
  kube_log "cluster is already up"
  echo "$KUBE_KUBECONFIG"
  exit 0
fi

started=$SECONDS
install_packages
"$script_dir/build.sh" >&2

mkdir -p "$KUBE_DIR" "$KUBE_LOG_DIR" "$KUBE_PID_DIR"
make_pki
write_kubeconfig "$KUBE_KUBECONFIG" admin
write_kubeconfig "$KUBE_DIR/kubelet.kubeconfig" kubelet
write_containerd_config
write_cni_config
write_kubelet_config

# etcd and containerd do not depend on each other, so both start before the first wait.
start_etcd
start_containerd
kube_wait 30 "etcd at $KUBE_ETCD_URL (log: $KUBE_LOG_DIR/etcd.log)" etcd_healthy
start_apiserver

# The API server takes several seconds to become ready, time enough to import the pause image.
kube_wait 30 "containerd at $KUBE_CONTAINERD_SOCKET (log: $KUBE_LOG_DIR/containerd.log)" containerd_responds
build_pause_image
kube_wait 90 "kube-apiserver /readyz (log: $KUBE_LOG_DIR/kube-apiserver.log)" apiserver_ready

start_kubelet
kube_wait 90 "node $KUBE_NODE_NAME to be Ready (log: $KUBE_LOG_DIR/kubelet.log)" node_ready
create_namespace

kube_log "cluster is up in $((SECONDS - started)) s; kubeconfig: $KUBE_KUBECONFIG"
echo "$KUBE_KUBECONFIG"
