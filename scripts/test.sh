#!/usr/bin/env bash
# Sets up a Debian 12 machine for sandbox-mcp's tests and runs them. It starts a Docker
# engine, the Podman service and a single-node Kubernetes test cluster, and builds the base
# and runtime images and gets them into all three. Then it runs the Go tests with the race
# detector. The
# engine tests (the backend conformance suites in pool/docker and pool/kube, and the
# conversation tests in e2e) run against each backend in SANDBOX_MCP_TEST_BACKENDS. The
# cluster is torn down when the script exits.
# .ci/run calls this script too, so CI runs exactly what developers run.
#
# Usage: scripts/test.sh [GO TEST ARGUMENTS...]
#   Extra arguments follow the package pattern on go test's command line, for example
#   scripts/test.sh -run TestPool -v
#
# Environment:
#   SANDBOX_MCP_BASE_IMAGE      base of the runtime images (default: sandbox-mcp/debian-base:bookworm,
#                               built with debootstrap when missing; debian:bookworm-slim needs a registry)
#   SANDBOX_MCP_REQUIRE_ENGINE  1 makes integration tests fail, not skip, when no engine is reachable
#   SANDBOX_MCP_TEST_BACKENDS   backends to test, separated by commas (default:
#                               docker,podman,kubernetes); Podman and the cluster are set up
#                               only when listed
#   SANDBOX_MCP_KUBE_KEEP       1 leaves the test cluster running at exit, for a faster next run
#
# On a fresh machine it needs root, to install Docker, Podman, debootstrap and gcc (the race
# detector needs cgo), to start dockerd and the Podman service, and to build and run the
# cluster (scripts/kube: the first build of its binaries takes about 7 minutes on 2 cores
# and is cached under /var/cache/sandbox-mcp). Without the cluster in the list, once the
# engines run, any user who may use them can run it.
set -euo pipefail

test_cmd=(go test -race -count=1 ./...)

local_base=sandbox-mcp/debian-base:bookworm
base_image=${SANDBOX_MCP_BASE_IMAGE:-$local_base}
export SANDBOX_MCP_TEST_BACKENDS=${SANDBOX_MCP_TEST_BACKENDS:-docker,podman,kubernetes}

# The images the tests start: the base for the conformance suites, the runtimes for e2e.
runtime_images=(sandbox-mcp/python:latest sandbox-mcp/javascript:latest)

step() { printf '\n==> [%ds] %s\n' "$SECONDS" "$*" >&2; }
log() { printf 'test.sh: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# Installs Debian packages, which needs root.
apt_install() {
  if [[ $EUID -ne 0 ]]; then
    die "missing $*. Install with: sudo apt-get install $*"
  fi
  log "installing $* from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

require_go() {
  if [[ -x /usr/local/go/bin/go ]]; then
    export PATH=/usr/local/go/bin:$PATH
  fi
  command -v go >/dev/null 2>&1 || die "go is missing. Install Go from https://go.dev/dl/ into /usr/local/go"
  command -v gcc >/dev/null 2>&1 || apt_install gcc libc6-dev
}

start_engine() {
  scripts/engine-up.sh
  docker version --format 'test.sh: docker engine {{.Server.Version}}' >&2 ||
    die "the docker CLI cannot reach the engine. Run as root or as a member of the docker group"
}

# Builds the local Debian base when it is the base in use and the engine lacks it. Any other
# base is left to docker build, which pulls it.
ensure_base_image() {
  if [[ $base_image != "$local_base" ]] || docker image inspect "$local_base" >/dev/null 2>&1; then
    log "base image: $base_image"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  runtimes/images/debian-base.sh "$local_base"
}

build_runtime_images() {
  go run ./cmd/sandbox-mcp images build --base "$base_image"
}

# Reports whether SANDBOX_MCP_TEST_BACKENDS lists backend $1.
backend_listed() {
  [[ ",${SANDBOX_MCP_TEST_BACKENDS// /}," == *",$1,"* ]]
}

# Starts the Podman service and gets the images into it (see scripts/podman-up.sh).
start_podman() {
  SANDBOX_MCP_BASE_IMAGE=$base_image scripts/podman-up.sh
  podman version --format 'test.sh: podman {{.Client.Version}}' >&2
}

# Brings up the Kubernetes test cluster, tears it down at exit unless SANDBOX_MCP_KUBE_KEEP
# is 1, and loads the images into it.
start_kube() {
  if [[ ${SANDBOX_MCP_KUBE_KEEP:-} != 1 ]]; then
    trap 'step "tearing down the Kubernetes test cluster"; scripts/kube/down.sh >&2 || true' EXIT
  fi
  local kubeconfig
  kubeconfig=$(scripts/kube/up.sh | tail -n 1)
  export KUBECONFIG=$kubeconfig
  scripts/kube/load-images.sh "${SANDBOX_MCP_TEST_IMAGE:-$local_base}" "${runtime_images[@]}"
}

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step "checking Go and gcc"
require_go
go version >&2

step "starting the container engine"
start_engine

step "ensuring the base image"
ensure_base_image

step "building the runtime images"
build_runtime_images

if backend_listed podman; then
  step "starting Podman and getting the images into it"
  start_podman
fi

if backend_listed kubernetes; then
  step "starting the Kubernetes test cluster and loading the images"
  start_kube
fi

step "running: ${test_cmd[*]} $*"
"${test_cmd[@]}" "$@"
step "tests passed"
