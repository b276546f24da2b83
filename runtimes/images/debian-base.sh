#!/usr/bin/env bash
# Builds a minimal Debian base image from Debian's packages with debootstrap and imports it
# into the container engine, for hosts that cannot pull images from a registry.
#
# Usage: debian-base.sh IMAGE [SUITE] [MIRROR]
#   IMAGE   name to import as, e.g. sandbox-mcp/debian-base:bookworm
#   SUITE   Debian suite (default: bookworm)
#   MIRROR  Debian mirror (default: http://deb.debian.org/debian)
# Environment: ENGINE selects the CLI that imports the image (default: docker; podman works).
# Needs root and debootstrap (apt-get install debootstrap).
set -euo pipefail

image=${1:?usage: debian-base.sh IMAGE [SUITE] [MIRROR]}
suite=${2:-bookworm}
mirror=${3:-http://deb.debian.org/debian}
engine=${ENGINE:-docker}

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "debian-base.sh: debootstrap is missing; install it with: apt-get install debootstrap" >&2
  exit 1
fi

root=$(mktemp -d /var/tmp/sandbox-mcp-base.XXXXXX)
trap 'rm -rf "$root"' EXIT

echo "debian-base.sh: debootstrap $suite from $mirror into $root" >&2
debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2

# Keep the image small: no package lists or caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

echo "debian-base.sh: importing as $image" >&2
tar -C "$root" -c . | "$engine" import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "debian-base.sh: built $image" >&2
