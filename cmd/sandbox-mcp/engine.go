package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/sandbox-mcp/sandbox-mcp/config"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
)

// podmanBackend is the config value of backend that selects Podman.
const podmanBackend = "podman"

// podmanServiceCommand starts the rootful Podman service that `backend: podman` finds when
// nothing else is configured. --time=0 keeps it running without clients.
const podmanServiceCommand = "podman system service --time=0 unix:///run/podman/podman.sock"

// engineOptions returns the engine connection that cfg selects. For Podman it is the
// Podman profile on the address docker.PodmanHost finds, starting from docker.host. For
// Docker it is docker.host, or DOCKER_HOST and then the default socket when that is empty.
func engineOptions(cfg config.Config, log *slog.Logger) docker.Options {
	if cfg.Backend == podmanBackend {
		return docker.Options{Host: docker.PodmanHost(cfg.Docker.Host), Profile: docker.PodmanProfile(), Logger: log}
	}
	return docker.Options{Host: cfg.Docker.Host, Logger: log}
}

// engineFixes are the commands doctor prints for a backend's engine problems.
type engineFixes struct {
	connection string // the address cannot be used
	start      string // the engine does not respond
	initBinary string // the engine lacks the init binary that sandboxes run as PID 1
	otherKind  string // the address leads to the other kind of engine
	limits     string // the engine ignores the sandboxes' resource limits
}

// fixesFor returns the fixes for backend.
func fixesFor(backend string) engineFixes {
	if backend == podmanBackend {
		return engineFixes{
			connection: "set docker.host in the config, or CONTAINER_HOST, to the Podman socket, such as unix:///run/podman/podman.sock",
			start: "start the Podman service: as root, " + podmanServiceCommand + " & (sudo scripts/podman-up.sh installs podman and catatonit and starts it); " +
				"rootless, systemctl --user enable --now podman.socket",
			initBinary: "install catatonit, which Podman runs as the sandboxes' init process: sudo apt-get install catatonit",
			otherKind:  "set backend: docker, or point docker.host (or CONTAINER_HOST, which comes before DOCKER_HOST) at the Podman socket",
			limits: "rootless Podman enforces limits only on cgroup v2 with the memory, pids and cpu controllers delegated to the user; " +
				"boot with systemd.unified_cgroup_hierarchy=1, or use rootful Podman",
		}
	}
	return engineFixes{
		connection: "set docker.host in the config or DOCKER_HOST",
		start:      "start the engine: sudo scripts/engine-up.sh (installs docker.io on Debian and starts dockerd)",
		initBinary: "install the engine's init binary (docker-init, in Debian's docker.io package)",
		otherKind:  "set backend: podman, or point docker.host (or DOCKER_HOST) at the Docker socket",
		limits:     "rootless Docker enforces limits only on cgroup v2 with the controllers delegated to the user; use cgroup v2 or rootful Docker",
	}
}

// checkEngineKind returns an error when the engine behind b is not the one backend names,
// such as a DOCKER_HOST that points at Docker while the config selects Podman. It returns
// the engine's description otherwise.
func checkEngineKind(ctx context.Context, b *docker.Backend, backend string) (string, error) {
	engine, err := b.Engine(ctx)
	if err != nil {
		return "", err
	}
	description := fmt.Sprintf("%s %s, API %s", engine.Name(), engine.Version, engine.APIVersion)
	if engine.Podman != (backend == podmanBackend) {
		return "", fmt.Errorf("backend is %s, but the engine is %s", backend, description)
	}
	return description, nil
}

// startTrialSandbox creates a sandbox container from the image of rs as the pools do,
// with the limits of rs, checks that the engine enforces its memory and pids limits, and
// removes it again. It finds what only a start shows, such as a missing init binary, and
// engines that accept limits but ignore them: rootless Podman 4.3 on cgroup v1 does, with
// a warning from its CLI but none through the API.
//
// checkPids false skips the pids limit, which Kubernetes sets per pod outside the
// container's cgroup.
func startTrialSandbox(ctx context.Context, b pool.Backend, rs config.RuntimeSettings, checkPids bool) (err error) {
	spec := pool.SandboxSpec(rs.Image, sandboxLimits(rs))
	spec.Labels = map[string]string{pool.LabelRole: "doctor"}
	id, err := b.Create(ctx, spec)
	if err != nil {
		return err
	}
	defer func() {
		if removeErr := b.Remove(context.WithoutCancel(ctx), id); err == nil {
			err = removeErr
		}
	}()
	limits := spec.Limits
	if !checkPids {
		limits.Pids = 0
	}
	return checkCgroupLimits(ctx, b, id, limits)
}

// cgroupLimitsScript prints the memory and pids limits of the container's cgroup, from the
// cgroup v2 file or else the v1 one, each on a line: a number, "max", or "unknown".
const cgroupLimitsScript = `for files in "memory.max memory/memory.limit_in_bytes" "pids.max pids/pids.max"; do
	value=unknown
	for f in $files; do
		if [ -r "/sys/fs/cgroup/$f" ]; then read -r value <"/sys/fs/cgroup/$f"; break; fi
	done
	echo "$value"
done`

// checkCgroupLimits returns an error unless the cgroup of container id has the memory and
// pids limits of l. A zero limit is not checked.
func checkCgroupLimits(ctx context.Context, b pool.Backend, id string, l pool.Limits) error {
	var stdout strings.Builder
	cmd := pool.ExecCommand{Cmd: []string{"sh", "-c", cgroupLimitsScript}, User: pool.KeeperUser, WorkingDir: "/", Stdout: &stdout}
	if _, err := b.Exec(ctx, id, cmd); err != nil {
		return err
	}
	values := strings.Fields(stdout.String())
	if len(values) != 2 {
		return fmt.Errorf("reading the sandbox's cgroup limits: got %q, want two lines", stdout.String())
	}
	if l.MemoryBytes > 0 && !nearLimit(values[0], l.MemoryBytes, pageSlack) {
		return fmt.Errorf("%w: the sandbox's cgroup memory limit is %s, want %d", errLimitsIgnored, values[0], l.MemoryBytes)
	}
	if l.Pids > 0 && !nearLimit(values[1], l.Pids, 0) {
		return fmt.Errorf("%w: the sandbox's cgroup pids limit is %s, want %d", errLimitsIgnored, values[1], l.Pids)
	}
	return nil
}

// pageSlack is how far a cgroup memory limit may lie from the requested one: the kernel
// rounds it to a multiple of the page size, which is at most 64 KiB on Linux.
const pageSlack = 64 << 10

// nearLimit reports whether value, as read from a cgroup file, is a number within slack of
// want.
func nearLimit(value string, want, slack int64) bool {
	got, err := strconv.ParseInt(value, 10, 64)
	return err == nil && got >= want-slack && got <= want+slack
}

// errLimitsIgnored marks an engine that started a sandbox without the limits it was given.
var errLimitsIgnored = errors.New("the engine ignores resource limits")

// isMissingInit reports whether err is an engine's report of a missing init binary. Podman
// 4.3 reports "container-init binary not found on the host".
//
// NOTE: the match on "docker-init" for Docker is untested. Docker 20.10 was not run without
// its init binary.
func isMissingInit(err error) bool {
	return strings.Contains(err.Error(), "container-init binary not found") || strings.Contains(err.Error(), "docker-init")
}
