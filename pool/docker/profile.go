package docker

import (
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// Profile holds what differs between engines that serve the Docker Engine API. The backend
// reads every engine difference from here, so Podman needs a Profile value, not a second
// code path. The zero value is Docker's (checked with Docker Engine 20.10).
//
// The init binary has no field: Spec.Init sets HostConfig.Init on every engine, and each
// engine picks its own binary (Docker its docker-init, Podman the init_path of
// containers.conf, which needs Debian's catatonit package). A missing init binary is a host
// setup problem that no request can fix.
type Profile struct {
	// Name is the backend name that Backend.Name returns. Empty means "docker".
	Name string

	// TagPrefix is prepended to the tag of every image that BuildImage builds, unless the
	// tag names a registry host. Empty means none, which is right for Docker. Create and
	// ImageExists pass image names unchanged (see PodmanProfile for why that is right for
	// Podman).
	TagPrefix string

	// NProc, when above zero, sets RLIMIT_NPROC (soft and hard) in every container. Zero
	// leaves the engine's default, which is right for Docker: the limit counts the processes
	// of a uid across the whole host, so sandboxes that share a uid would share it, and
	// Spec.Limits.Pids already caps each container. Podman 4.3 sets a default above the hard
	// limit of some hosts, and then every container start fails, so a Podman profile sets it.
	NProc int64

	// NoFile, when above zero, is the RLIMIT_NOFILE (soft and hard) of a container whose
	// Spec.Limits.NoFile is zero. Zero leaves the engine's default, which is right for
	// Docker. Podman's default fails to start where it exceeds the host's hard limit.
	NoFile int64
}

// name returns the backend name of the profile.
func (p Profile) name() string {
	if p.Name == "" {
		return "docker"
	}
	return p.Name
}

// buildTag returns the tag that BuildImage gives the engine for tag.
func (p Profile) buildTag(tag string) string {
	if p.TagPrefix == "" || hasRegistryHost(tag) {
		return tag
	}
	return p.TagPrefix + tag
}

// hasRegistryHost reports whether the first component of image names a registry, which
// by the Docker reference grammar means it contains "." or ":" or is "localhost".
func hasRegistryHost(image string) bool {
	first, _, found := strings.Cut(image, "/")
	if !found {
		return false
	}
	return strings.ContainsAny(first, ".:") || first == "localhost"
}

// tmpfsOptions returns the mount options of t. "exec" is explicit because Docker adds
// "noexec" otherwise, and compiled programs and installed console scripts must run from a
// tmpfs. The options avoid uid= and gid=, which Podman 4.3 rejects.
func (p Profile) tmpfsOptions(t pool.Tmpfs) string {
	opts := []string{"rw", "exec", "nosuid", "nodev"}
	if t.SizeBytes > 0 {
		opts = append(opts, "size="+strconv.FormatInt(t.SizeBytes, 10))
	}
	opts = append(opts, "mode=1777")
	return strings.Join(opts, ",")
}

// ulimits returns the rlimits for a container with limits l.
func (p Profile) ulimits(l pool.Limits) []*container.Ulimit {
	var ulimits []*container.Ulimit
	noFile := l.NoFile
	if noFile <= 0 {
		noFile = p.NoFile
	}
	if noFile > 0 {
		ulimits = append(ulimits, &container.Ulimit{Name: "nofile", Soft: noFile, Hard: noFile})
	}
	if p.NProc > 0 {
		ulimits = append(ulimits, &container.Ulimit{Name: "nproc", Soft: p.NProc, Hard: p.NProc})
	}
	return ulimits
}
