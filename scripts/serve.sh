#!/usr/bin/env bash
# Sets up what the server needs on a Debian machine and runs it: starts the Docker engine
# (installing it first when missing), builds the runtime images that are missing, then runs
# `sandbox-mcp serve` with this script's arguments, e.g. `scripts/serve.sh --transport http`.
# Set-up messages go to stderr; in stdio mode stdout carries only the MCP protocol.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

bash scripts/engine-up.sh >&2

bin=bin/sandbox-mcp
go build -o "$bin" ./cmd/sandbox-mcp >&2

if ! "$bin" doctor >/dev/null 2>&1; then
  echo "serve.sh: building the runtime images (the first time takes a few minutes)" >&2
  "$bin" images build >&2
fi
# exec, so that signals and the end of stdin reach the server itself.
exec "$bin" serve "$@"
