package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// Inspect returns the state of container id, or an error wrapping pool.ErrContainerNotFound.
//
// On Docker 20.10, Status.OOMKilled stays false when the OOM killer kills a process of an
// exec and the main process runs on. The conformance suite's memory test logs it.
func (b *Backend) Inspect(ctx context.Context, id string) (pool.Status, error) {
	inspected, err := b.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return pool.Status{}, fmt.Errorf("inspecting container %s: %w", id, classify(err, pool.ErrContainerNotFound))
	}
	state := inspected.Container.State
	if state == nil {
		return pool.Status{}, fmt.Errorf("inspecting container %s: engine returned no state", id)
	}
	return pool.Status{
		Running:   state.Running,
		OOMKilled: state.OOMKilled,
		ExitCode:  state.ExitCode,
		StartedAt: parseTime(state.StartedAt),
	}, nil
}

// parseTime parses an engine timestamp (RFC 3339 with nanoseconds). It returns the zero time
// for an empty or invalid one, which is how the engine reports a container never started.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Remove kills and removes container id with its anonymous volumes. A container that is
// already gone, or whose removal another call already started, counts as removed.
func (b *Backend) Remove(ctx context.Context, id string) error {
	_, err := b.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil:
		b.log.Debug("container removed", "container_id", id)
		return nil
	case cerrdefs.IsNotFound(err):
		b.log.Debug("container already removed", "container_id", id, "error", err)
		return nil
	case removalInProgress(err):
		b.log.Debug("container removal already in progress", "container_id", id, "error", err)
		return nil
	default:
		return fmt.Errorf("removing container %s: %w", id, classify(err, nil))
	}
}

// removalInProgress reports whether err is the engine's conflict for a container that
// another request is already removing. The engine marks it only by its message, "removal of
// container ID is already in progress".
func removalInProgress(err error) bool {
	return cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress")
}

// List returns the containers, running or not, that carry every label in labels.
func (b *Backend) List(ctx context.Context, labels map[string]string) ([]pool.Container, error) {
	filters := client.Filters{}
	for key, value := range labels {
		filters.Add("label", key+"="+value)
	}
	listed, err := b.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", classify(err, nil))
	}

	containers := make([]pool.Container, 0, len(listed.Items))
	for _, item := range listed.Items {
		containers = append(containers, pool.Container{
			ID:      item.ID,
			Labels:  item.Labels,
			Created: time.Unix(item.Created, 0),
			Running: item.State == container.StateRunning,
		})
	}
	return containers, nil
}
