package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Reaper removes containers that carry this project's labels but that no live server
// instance owns. These are the containers of instances that are gone (crashed or killed),
// and those of this instance that nothing tracks any more, such as after a failed removal
// or a creation interrupted after the engine made the container. Containers of live
// sibling instances are never touched, nor those of instances whose liveness cannot be
// checked from here.
type Reaper struct {
	Backend  Backend
	Instance *Instance
	// Tracks reports whether this instance's pools or installs own a container.
	Tracks func(id string) bool
	// Grace is the minimum age of an untracked container of this instance before it is
	// removed, so that a container whose creation has not returned yet is spared. Zero
	// means one minute.
	Grace  time.Duration
	Logger *slog.Logger
}

// Sweep removes the orphans once and returns how many it removed.
func (r *Reaper) Sweep(ctx context.Context) (int, error) {
	list, err := r.Backend.List(ctx, map[string]string{LabelManaged: "true"})
	if err != nil {
		return 0, fmt.Errorf("listing containers: %w", err)
	}
	var orphans []Container
	for _, c := range list {
		if r.orphan(c) {
			orphans = append(orphans, c)
		}
	}
	return r.removeAll(ctx, orphans, func(c Container) {
		logger(r.Logger).Info("orphan container removed", "container_id", c.ID,
			"instance", c.Labels[LabelInstance], "reason", ReasonOrphan)
	})
}

// removeParallel bounds the removals that removeAll runs at once. A removal mostly waits for
// the engine: a Kubernetes pod takes about a second to go.
const removeParallel = 8

// removeAll removes containers, up to removeParallel at once, calls removed after each
// removal that succeeded, and returns how many it removed.
func (r *Reaper) removeAll(ctx context.Context, containers []Container, removed func(Container)) (int, error) {
	var mu sync.Mutex
	n := 0
	var errs []error
	var g errgroup.Group
	g.SetLimit(removeParallel)
	for _, c := range containers {
		g.Go(func() error {
			err := r.Backend.Remove(ctx, c.ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("removing %s: %w", c.ID, err))
				return nil
			}
			n++
			removed(c)
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through errs
	return n, errors.Join(errs...)
}

func (r *Reaper) orphan(c Container) bool {
	id := c.Labels[LabelInstance]
	if id == r.Instance.ID {
		grace := r.Grace
		if grace == 0 {
			grace = time.Minute
		}
		return time.Since(c.Created) > grace && (r.Tracks == nil || !r.Tracks(c.ID))
	}
	return r.Instance.Check(id, c.Labels[LabelHost]) == Gone
}

// Run sweeps every interval until ctx ends. Failures are logged, and the next sweep tries
// again.
func (r *Reaper) Run(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if _, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
				logger(r.Logger).Warn("reaping orphan containers failed", "error", err)
			}
		}
	}
}

// RemoveOwn removes every container labelled with this instance, tracked or not. The server
// calls it last on shutdown, after its pools closed, as a backstop.
func (r *Reaper) RemoveOwn(ctx context.Context) (int, error) {
	list, err := r.Backend.List(ctx, map[string]string{LabelManaged: "true", LabelInstance: r.Instance.ID})
	if err != nil {
		return 0, fmt.Errorf("listing containers: %w", err)
	}
	return r.removeAll(ctx, list, func(Container) {})
}
