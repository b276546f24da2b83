package docker

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Podman's defaults for the rlimits of a container, and the ceiling Podman puts on its own
// RLIMIT_NPROC. Checked with Podman 4.3.1 on Debian 12.
const (
	// podmanDefaultRlimit is the RLIMIT_NOFILE and RLIMIT_NPROC that Podman requests from
	// the OCI runtime when a container sets neither (define.RLimitDefaultValue in Podman).
	podmanDefaultRlimit = 1 << 20
	// podmanMaxNProc is the RLIMIT_NPROC that Podman sets on its own process at start
	// (strace shows setrlimit(RLIMIT_NPROC, 32768)). The OCI runtime inherits it, so a
	// container cannot get more without CAP_SYS_RESOURCE.
	podmanMaxNProc = 32 << 10
)

// Podman's socket paths, as its own client looks for them.
const (
	// rootfulPodmanSocket is where `podman system service` listens for root, and where
	// the podman.socket systemd unit puts it.
	rootfulPodmanSocket = "/run/podman/podman.sock"
	// rootlessPodmanSocket is the socket of a user's service, below $XDG_RUNTIME_DIR.
	rootlessPodmanSocket = "podman/podman.sock"
)

// PodmanProfile returns the Profile for Podman through its Docker-compatible API, checked
// with Podman 4.3.1 (Debian 12, rootful, cgroup v1, runc). It reads this process's hard
// rlimits.
//
// What differs from Docker, and where it is handled:
//
//   - Init: Podman runs the init_path of containers.conf, /usr/libexec/podman/catatonit by
//     default, when HostConfig.Init is set. Debian's catatonit package provides it; with only
//     tini installed every create fails. Nothing in the request can fix that, so doctor and
//     the README name the package.
//   - tmpfs options: Podman rejects uid= and gid=, and honours mode=1777. Profile.tmpfsOptions
//     uses only options that both engines take.
//   - rlimits: unless a container sets them, Podman requests RLIMIT_NOFILE and RLIMIT_NPROC
//     of 1048576, and runs the OCI runtime with RLIMIT_NPROC at most 32768. Where root lacks
//     CAP_SYS_RESOURCE (in some VMs and nested containers), or the host's hard limits are
//     lower, every container start then fails with "error setting rlimit type 7: operation
//     not permitted". The profile sets both limits explicitly, at most the hard limits of
//     this process, which is how rootless Podman clamps its own defaults too.
//   - Image names: `podman build` and `podman load` store an image named with a short
//     name under "localhost/", but a build through the compatible API stores it under
//     "docker.io/". A short-name lookup tries "localhost/" first and "docker.io/" next, so
//     a build would hide behind an older loaded image of the same name. The profile's
//     TagPrefix makes builds land under "localhost/" too. Lookups stay unqualified,
//     because a "localhost/" prefix would miss images pulled from Docker Hub by short name.
//   - Execs: exit codes, stdin EOF, stream multiplexing, signals, /proc start times and the
//     memory cgroup's OOM counter behave as on Docker, so Exec needs no branch. The one
//     difference: a command that does not exist exits 127 with the engine's error on
//     stderr, where Docker 20.10 returns 126. Runs never hit it, because they exec /bin/sh.
//   - Build log: Podman writes "STEP 1/4: FROM ..." where Docker writes "Step 1/4 : FROM
//     ...", and a failed RUN reports "exit status N" in place of "returned a non-zero code:
//     N". BuildImage passes both through.
//   - Rootless on cgroup v1: Podman 4.3.1 starts the container without its memory, CPU,
//     pids and rlimit settings, and reports that only in its CLI's output. NOTE: Create
//     cannot tell, so such sandboxes run unlimited. `sandbox-mcp doctor` checks the cgroup
//     of a trial sandbox and fails then.
func PodmanProfile() Profile {
	return podmanProfile(hardRlimit)
}

// podmanProfile returns the Podman profile with the rlimits derived from hardLimit, which
// returns the hard limit of a resource, or false when it is unknown.
func podmanProfile(hardLimit func(resource int) (uint64, bool)) Profile {
	return Profile{
		Name:      "podman",
		TagPrefix: "localhost/",
		NProc:     clampRlimit(podmanMaxNProc, hardLimit, unix.RLIMIT_NPROC),
		NoFile:    clampRlimit(podmanDefaultRlimit, hardLimit, unix.RLIMIT_NOFILE),
	}
}

// clampRlimit returns limit, or the hard limit of resource when that is lower.
func clampRlimit(limit int64, hardLimit func(resource int) (uint64, bool), resource int) int64 {
	hard, ok := hardLimit(resource)
	if ok && hard < uint64(limit) {
		return int64(hard)
	}
	return limit
}

// hardRlimit returns this process's hard limit of resource.
func hardRlimit(resource int) (uint64, bool) {
	var limit unix.Rlimit
	if err := unix.Getrlimit(resource, &limit); err != nil {
		return 0, false
	}
	return limit.Max, true
}

// PodmanHost returns the address of the Podman service, found the way Podman's own tools
// look for it. The first non-empty value of configured, CONTAINER_HOST and DOCKER_HOST
// wins. Otherwise it returns the rootless socket $XDG_RUNTIME_DIR/podman/podman.sock or the
// rootful socket /run/podman/podman.sock, whichever exists first. When neither exists, it
// returns the one this user's service would create: rootful for root, rootless otherwise.
// PodmanHost does not contact the service.
func PodmanHost(configured string) string {
	return podmanHost(configured, hostEnv{
		getenv: os.Getenv,
		exists: socketExists,
		isRoot: os.Geteuid() == 0,
	})
}

// hostEnv is the process environment and socket lookup that PodmanHost depends on.
type hostEnv struct {
	getenv func(key string) string
	exists func(path string) bool
	isRoot bool
}

// podmanHost is PodmanHost on env.
func podmanHost(configured string, env hostEnv) string {
	for _, host := range []string{configured, env.getenv("CONTAINER_HOST"), env.getenv("DOCKER_HOST")} {
		if host != "" {
			return host
		}
	}

	var rootless string
	if dir := env.getenv("XDG_RUNTIME_DIR"); dir != "" {
		rootless = filepath.Join(dir, rootlessPodmanSocket)
		if env.exists(rootless) {
			return "unix://" + rootless
		}
	}
	if env.exists(rootfulPodmanSocket) || env.isRoot || rootless == "" {
		return "unix://" + rootfulPodmanSocket
	}
	return "unix://" + rootless
}

// socketExists reports whether path exists and is a Unix socket.
func socketExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().Type() == os.ModeSocket
}
