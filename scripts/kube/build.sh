#!/usr/bin/env bash
# Builds kube-apiserver, kubelet and kubectl v1.37.2 from the Go module proxy into
#   ${SANDBOX_MCP_KUBE_CACHE:-/var/cache/sandbox-mcp}/kubernetes-v1.37.2/
# and does nothing when kube-apiserver and kubelet are already there. kubectl is built in the
# same go build run because it is cheap there: it adds about 200 packages to the servers'
# 2,400, about 6% more source to compile.
#
# k8s.io/kubernetes replaces each of its staging modules (k8s.io/api, k8s.io/client-go, ...)
# with a ./staging path that its module zip does not contain, so it cannot be built directly
# with `go install`. This script builds it through a wrapper module in a temporary directory
# that requires k8s.io/kubernetes and replaces each staging module with its published v0.x
# release. A cold build took 7 minutes on 2 cores. Progress goes to stderr.
set -euo pipefail

export PATH=/usr/local/go/bin:$PATH

KUBE_VERSION=v1.37.2
# The staging modules are published as v0.<minor>.<patch> of the same release.
STAGING_VERSION=v0.37.2
KUBE_MAJOR=1
KUBE_MINOR=37

cache_root=${SANDBOX_MCP_KUBE_CACHE:-/var/cache/sandbox-mcp}
out_dir=$cache_root/kubernetes-$KUBE_VERSION

log() { printf 'kube-build: %s\n' "$*" >&2; }

binaries_present() { [[ -x $out_dir/kube-apiserver && -x $out_dir/kubelet ]]; }

if binaries_present; then
  log "kube-apiserver and kubelet $KUBE_VERSION already in $out_dir"
  exit 0
fi

# One build at a time: a second caller waits for the first and then finds the binaries.
mkdir -p "$out_dir"
exec {lock_fd}>"$out_dir/.build.lock"
if ! flock -n "$lock_fd"; then
  log "another build of $KUBE_VERSION is running; waiting for it"
  flock "$lock_fd"
fi
if binaries_present; then
  log "kube-apiserver and kubelet $KUBE_VERSION already in $out_dir"
  exit 0
fi

work_dir=$(mktemp -d /tmp/sandbox-mcp-kube-build.XXXXXX)
# The staging directory sits inside out_dir, so the final mv is a rename on one filesystem
# and an interrupted build never leaves a partial binary under its final name.
stage_dir=$(mktemp -d "$out_dir/.build.XXXXXX")
trap 'rm -rf "$work_dir" "$stage_dir"' EXIT

log "downloading k8s.io/kubernetes@$KUBE_VERSION"
upstream_mod=$(cd "$work_dir" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
if [[ ! -f $upstream_mod ]]; then
  log "go mod download did not return the go.mod of k8s.io/kubernetes@$KUBE_VERSION"
  exit 1
fi

# Every module that upstream replaces with a ./staging path, except the two sample modules,
# which are not published and which neither server imports.
mapfile -t staging_modules < <(
  awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$upstream_mod" |
    grep -v -x -e k8s.io/sample-cli-plugin -e k8s.io/sample-controller
)
if ((${#staging_modules[@]} == 0)); then
  log "found no ./staging replacements in $upstream_mod"
  exit 1
fi
log "replacing ${#staging_modules[@]} staging modules with $STAGING_VERSION"

# The wrapper takes the go and godebug lines of upstream, so the binaries run with the
# language version and GODEBUG defaults that upstream builds them with.
{
  echo "module sandbox-mcp.local/kube-build"
  echo
  grep -E '^(go|godebug) ' "$upstream_mod"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  for module in "${staging_modules[@]}"; do
    printf '\t%s => %s %s\n' "$module" "$module" "$STAGING_VERSION"
  done
  echo ")"
} >"$work_dir/go.mod"

packages=(
  k8s.io/kubernetes/cmd/kube-apiserver
  k8s.io/kubernetes/cmd/kubelet
  k8s.io/kubernetes/cmd/kubectl
)

log "resolving the dependencies of ${packages[*]}"
(cd "$work_dir" && go get "${packages[@]/%/@$KUBE_VERSION}")

ldflags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
ldflags+=" -X k8s.io/component-base/version.gitMajor=$KUBE_MAJOR"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$KUBE_MINOR"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"

log "building ${packages[*]} into $out_dir"
started=$SECONDS
(cd "$work_dir" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" \
  -o "$stage_dir/" "${packages[@]}")
log "go build finished in $((SECONDS - started)) s"

for binary in kubectl kubelet kube-apiserver; do
  mv -f "$stage_dir/$binary" "$out_dir/$binary"
done
"$out_dir/kube-apiserver" --version >&2
log "binaries are in $out_dir"
