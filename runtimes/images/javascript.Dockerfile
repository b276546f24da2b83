# The javascript runtime: Debian's nodejs, and npm for installing packages.
#
# Build with registry access:
#   docker build -t sandbox-mcp/javascript:latest -f javascript.Dockerfile .
# Build without it, on the base that debian-base.sh imports:
#   docker build --build-arg BASE=sandbox-mcp/debian-base:bookworm \
#     -t sandbox-mcp/javascript:latest -f javascript.Dockerfile .
#
# Sandboxes run this image with a read-only root filesystem. Code runs as uid 65534, and only
# the tmpfs mounts /tmp and /sandbox are writable, so every path a program writes by default
# is set below to one of them.
ARG BASE=debian:bookworm-slim
FROM ${BASE}

ARG DEBIAN_FRONTEND=noninteractive

# procps provides kill, pkill and ps, which stop a timed-out run's processes.
# /sandbox exists so that HOME is a directory even when no tmpfs is mounted there.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        ca-certificates coreutils grep procps tar \
        nodejs npm; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p -m 1777 /sandbox

# HOME is the /sandbox tmpfs, outside the working directory /sandbox/work, so npm's cache
# and logs (~/.npm) land beside the conversation's files rather than among them.
# npm's update and funding notices only add noise to a run's output.
ENV LANG=C.UTF-8 \
    HOME=/sandbox \
    npm_config_update_notifier=false \
    npm_config_fund=false

# Sandboxes set their users explicitly; this default keeps any other run of the image
# unprivileged.
USER 65534:65534
