package docker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// Create creates a container from spec, hardened regardless of spec: every capability
// dropped and no-new-privileges set. It then starts the container and returns its ID. When
// the start fails, Create removes the container on a context detached from ctx, bounded by
// cleanupTimeout, before it returns the error. A missing image returns an error wrapping
// pool.ErrImageNotFound, and an engine that does not respond one wrapping
// pool.ErrEngineUnavailable.
func (b *Backend) Create(ctx context.Context, spec pool.Spec) (string, error) {
	began := time.Now()

	// Create the container.
	created, err := b.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     b.containerConfig(spec),
		HostConfig: b.hostConfig(spec),
	})
	if err != nil {
		return "", fmt.Errorf("creating container from image %q: %w", spec.Image, classify(err, pool.ErrImageNotFound))
	}
	b.logWarnings(created.ID, created.Warnings)

	// Start it, or remove it again.
	if _, err := b.api.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		b.removeDetached(ctx, created.ID)
		return "", fmt.Errorf("starting container %s: %w", created.ID, classify(err, nil))
	}

	b.log.Debug("container started", "container_id", created.ID, "image", spec.Image,
		"duration_ms", time.Since(began).Milliseconds())
	return created.ID, nil
}

// containerConfig returns the portable part of the container configuration for spec.
// WorkingDir stays unset: when it is a tmpfs mount point, Docker 20.10 mounts that tmpfs
// root-owned with mode 0755 regardless of its mode option, so a non-root user cannot write
// there. Execs pass their working directory instead.
func (b *Backend) containerConfig(spec pool.Spec) *container.Config {
	return &container.Config{
		Image:  spec.Image,
		Cmd:    spec.Command,
		User:   spec.User,
		Env:    spec.Env,
		Labels: spec.Labels,
	}
}

// hostConfig returns the host-dependent part of the container configuration for spec.
func (b *Backend) hostConfig(spec pool.Spec) *container.HostConfig {
	hc := &container.HostConfig{
		NetworkMode:    networkMode(spec.Network, spec.NetworkName),
		ReadonlyRootfs: spec.ReadOnlyRoot,
		Tmpfs:          b.tmpfsMounts(spec.Tmpfs),
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		Runtime:        spec.Runtime,
		Resources:      b.resources(spec.Limits),
	}
	if spec.Init {
		hc.Init = &spec.Init
	}
	return hc
}

// networkMode returns "none" unless attached is true, when it returns name, which is ""
// for the engine's default network, or a mode such as "host", or a network's name.
func networkMode(attached bool, name string) container.NetworkMode {
	if attached {
		return container.NetworkMode(name)
	}
	return "none"
}

// tmpfsMounts returns the tmpfs mounts as the engine takes them: mount point to options.
func (b *Backend) tmpfsMounts(mounts []pool.Tmpfs) map[string]string {
	if len(mounts) == 0 {
		return nil
	}
	options := make(map[string]string, len(mounts))
	for _, m := range mounts {
		options[m.Path] = b.profile.tmpfsOptions(m)
	}
	return options
}

// resources returns the cgroup limits and rlimits for l. The memory+swap limit equals the
// memory limit, so the container cannot swap.
func (b *Backend) resources(l pool.Limits) container.Resources {
	r := container.Resources{
		Memory:   l.MemoryBytes,
		NanoCPUs: l.NanoCPUs,
		Ulimits:  b.profile.ulimits(l),
	}
	if l.MemoryBytes > 0 {
		r.MemorySwap = l.MemoryBytes
	}
	if l.Pids > 0 {
		r.PidsLimit = &l.Pids
	}
	return r
}

// removeDetached removes container id on a context that ctx's cancellation does not reach,
// bounded by cleanupTimeout, and logs a failure.
func (b *Backend) removeDetached(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := b.Remove(ctx, id); err != nil {
		b.log.Warn("removing container after failed start", "container_id", id, "error", err)
	}
}

// logWarnings logs the warnings the engine returned when it created container id. They
// often report that a limit was not applied, so the first of each text is a warning and its
// repeats, one per container, are debug records.
func (b *Backend) logWarnings(id string, warnings []string) {
	for _, warning := range warnings {
		level := slog.LevelDebug
		if _, seen := b.warned.LoadOrStore(warning, true); !seen {
			level = slog.LevelWarn
		}
		b.log.Log(context.Background(), level, "engine warning on container create",
			"container_id", id, "warning", warning)
	}
}
