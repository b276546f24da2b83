#!/usr/bin/env bash
# Builds a minimal Debian base image from Debian's packages with debootstrap and imports it
# into the container engine, for hosts that cannot pull images from a registry.
#
# Usage: debian-base.sh IMAGE [SUITE] [MIRROR]
#   IMAGE   name to import as, e.g. sandbox-mcp/debian-base:bookworm
#   SUITE   Debian suite (default: bookworm)
#   MIRROR  Debian mirror (default: http://deb.debian.org/debian)
# Environment:
#   ENGINE           CLI that imports the image (default: docker; podman works)
#   SECURITY_MIRROR  mirror of the security suite (default: http://deb.debian.org/debian-security);
#                    empty leaves SUITE-security out of the image's apt sources
# Needs root and debootstrap (apt-get install debootstrap).
#
# Like the official debian:SUITE-slim image, the result lists SUITE, SUITE-updates and
# SUITE-security as apt sources and tells dpkg to skip documentation, man pages and
# translations, so runtime images built on either base get the same packages.
set -euo pipefail

image=${1:?usage: debian-base.sh IMAGE [SUITE] [MIRROR]}
suite=${2:-bookworm}
mirror=${3:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR-http://deb.debian.org/debian-security}
engine=${ENGINE:-docker}

log() { printf 'debian-base.sh: %s\n' "$*" >&2; }

# Writes the apt sources in deb822 format, in place of debootstrap's one-line sources.list.
# The unstable suite has no -updates or -security suite.
write_apt_sources() {
  local suites=$suite
  case $suite in
    sid | unstable) ;;
    *) suites="$suite $suite-updates" ;;
  esac
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n' "$mirror" "$suites"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [[ -n $security_mirror && $suite != sid && $suite != unstable ]]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security_mirror" "$suite"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
}

# Keeps documentation out of every package installed later. Copyright files stay.
write_dpkg_excludes() {
  cat >"$root/etc/dpkg/dpkg.cfg.d/excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
}

# Removes what the excludes would have kept out of the packages debootstrap installed.
prune_documentation() {
  find "$root/usr/share/doc" ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -depth -mindepth 1 -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
    "$root"/usr/share/lintian/*
}

# Installs the updates released since the suite's last point release, which debootstrap
# leaves out because it reads only SUITE.
upgrade_packages() {
  chroot "$root" apt-get update -qq
  # The chroot has no /dev/pts, so dpkg would log "Can not write log" errors without Use-Pty=0.
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq -o Dpkg::Use-Pty=0 >&2
  chroot "$root" apt-get clean
}

if ! command -v debootstrap >/dev/null 2>&1; then
  log "debootstrap is missing; install it with: apt-get install debootstrap"
  exit 1
fi

root=$(mktemp -d /var/tmp/sandbox-mcp-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
# mktemp makes the directory 0700, which would keep apt's unprivileged _apt user out of the
# chroot's root directory.
chmod 0755 "$root"

log "debootstrap $suite from $mirror into $root"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2

log "configuring apt sources and dpkg excludes, and installing updates"
write_apt_sources
write_dpkg_excludes
upgrade_packages
prune_documentation

# debootstrap copies the host's DNS settings and hostname. The engine supplies both at run time.
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

# Keep the image small: no package lists or caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

log "importing as $image"
tar -C "$root" -c . | "$engine" import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
log "built $image"
