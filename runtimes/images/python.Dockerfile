# The python runtime: Debian's python3 with numpy, pandas and matplotlib, and pip and venv
# for installing more packages.
#
# Build with registry access:
#   docker build -t sandbox-mcp/python:latest -f python.Dockerfile .
# Build without it, on the base that debian-base.sh imports:
#   docker build --build-arg BASE=sandbox-mcp/debian-base:bookworm \
#     -t sandbox-mcp/python:latest -f python.Dockerfile .
#
# Sandboxes run this image with a read-only root filesystem. Code runs as uid 65534, and only
# the tmpfs mounts /tmp and /sandbox are writable, so every path a program writes by default
# is set below to one of them.
ARG BASE=debian:bookworm-slim
FROM ${BASE}

ARG DEBIAN_FRONTEND=noninteractive

# procps provides kill, pkill and ps, which stop a timed-out run's processes.
# python3-munkres satisfies python3-fonttools' dependency "python3-scipy | python3-munkres".
# Without it apt picks scipy, whose dependency on pythran pulls in g++ and the Boost headers
# (about 600 MB more in bookworm).
# Debian byte-compiles the installed modules, so imports never need to write .pyc files.
# /sandbox exists so that HOME is a directory even when no tmpfs is mounted there.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        ca-certificates coreutils grep procps tar \
        python3 python3-matplotlib python3-munkres python3-numpy python3-pandas python3-pip \
        python3-venv; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p -m 1777 /sandbox

# HOME is the /sandbox tmpfs, outside the working directory /sandbox/work, so dot files and
# `pip install --user` land beside the conversation's files rather than among them.
#
# MPLCONFIGDIR must be writable, because with a read-only directory matplotlib 3.6 warns on
# stderr and builds its font cache again on every import. In /tmp, the first import of
# matplotlib.pyplot in a container builds the cache (about 80 ms on a 2-CPU VM) and later
# imports read it. The first process that imports matplotlib creates the directory with
# mode 0755. If that process runs as another user than the code (a warm-up probe as uid
# 65532, say), every later import as uid 65534 warns.
#
# pip's cache is off because nothing reuses it in a container that serves one conversation,
# and it would fill the size-capped tmpfs. Debian marks its python3 as externally managed
# (PEP 668), so pip installs need a venv or --break-system-packages.
ENV LANG=C.UTF-8 \
    HOME=/sandbox \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Sandboxes set their users explicitly; this default keeps any other run of the image
# unprivileged.
USER 65534:65534
