package backendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// Fake is an in-memory pool.Backend for unit tests of the pool. It runs no processes: its
// containers are records that Create adds and Remove deletes, and Exec calls ExecFunc. It
// passes RunLifecycle.
//
// Set the exported fields before the first call. The methods are safe for concurrent use,
// and the hooks are called without any lock held, so they may call the Fake.
type Fake struct {
	// Images lists the images Create accepts; Create with any other returns an error
	// wrapping pool.ErrImageNotFound. Nil accepts every image.
	Images []string
	// CreateDelay makes Create wait this long before it creates the container, or less when
	// its context is done first, which returns the context's error.
	CreateDelay time.Duration
	// FailCreate, when set, is called by Create after CreateDelay. A non-nil error is
	// returned and no container is created.
	FailCreate func(spec pool.Spec) error
	// FailRemove, when set, is called by Remove. A non-nil error is returned and the
	// container stays.
	FailRemove func(id string) error
	// ExecFunc runs the execs of running containers. Nil runs each as a process that ignores
	// its standard input, writes nothing and exits 0.
	ExecFunc func(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error)

	mu          sync.Mutex
	containers  map[string]*fakeContainer
	created     int
	removed     int
	execs       int
	unavailable bool
}

var _ pool.Backend = (*Fake)(nil)

// fakeContainer is one container of a Fake.
type fakeContainer struct {
	labels  map[string]string
	created time.Time
	status  pool.Status
}

// Name returns "fake".
func (f *Fake) Name() string {
	return "fake"
}

// Ping returns an error wrapping pool.ErrEngineUnavailable after SetUnavailable(true), and
// nil otherwise.
func (f *Fake) Ping(ctx context.Context) error {
	return f.checkAvailable()
}

// Create waits CreateDelay, calls FailCreate, and then records a running container.
func (f *Fake) Create(ctx context.Context, spec pool.Spec) (string, error) {
	if err := f.checkAvailable(); err != nil {
		return "", err
	}
	if err := waitDelay(ctx, f.CreateDelay); err != nil {
		return "", err
	}
	if f.Images != nil && !slices.Contains(f.Images, spec.Image) {
		return "", fmt.Errorf("creating container from image %q: %w", spec.Image, pool.ErrImageNotFound)
	}
	if f.FailCreate != nil {
		if err := f.FailCreate(spec); err != nil {
			return "", err
		}
	}

	id := newFakeID()
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.containers == nil {
		f.containers = map[string]*fakeContainer{}
	}
	f.containers[id] = &fakeContainer{
		labels:  maps.Clone(spec.Labels),
		created: now,
		status:  pool.Status{Running: true, StartedAt: now},
	}
	f.created++
	return id, nil
}

// waitDelay waits d, or until ctx is done, when it returns ctx's error.
func waitDelay(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// newFakeID returns a random ID shaped like an engine's: 64 hexadecimal digits.
func newFakeID() string {
	var id [32]byte
	_, _ = rand.Read(id[:]) // documented to never return an error
	return hex.EncodeToString(id[:])
}

// Exec calls ExecFunc for a running container. A missing container returns an error
// wrapping pool.ErrContainerNotFound, and a stopped one an error.
func (f *Fake) Exec(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
	if err := f.checkAvailable(); err != nil {
		return pool.ExecResult{}, err
	}
	status, err := f.Inspect(ctx, id)
	if err != nil {
		return pool.ExecResult{}, err
	}
	if !status.Running {
		return pool.ExecResult{}, fmt.Errorf("creating exec in container %s: container is not running", id)
	}

	f.mu.Lock()
	f.execs++
	f.mu.Unlock()
	if f.ExecFunc == nil {
		return pool.ExecResult{}, nil
	}
	return f.ExecFunc(ctx, id, cmd)
}

// Inspect returns the status of container id: running since Create, or what SetStatus set.
func (f *Fake) Inspect(ctx context.Context, id string) (pool.Status, error) {
	if err := f.checkAvailable(); err != nil {
		return pool.Status{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return pool.Status{}, fmt.Errorf("inspecting container %s: %w", id, pool.ErrContainerNotFound)
	}
	return c.status, nil
}

// Remove calls FailRemove and then deletes container id. Removing a missing container
// succeeds and is not counted.
func (f *Fake) Remove(ctx context.Context, id string) error {
	if err := f.checkAvailable(); err != nil {
		return err
	}
	if f.FailRemove != nil {
		if err := f.FailRemove(id); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.containers[id]; ok {
		delete(f.containers, id)
		f.removed++
	}
	return nil
}

// List returns the containers that carry every label in labels, in ID order.
func (f *Fake) List(ctx context.Context, labels map[string]string) ([]pool.Container, error) {
	if err := f.checkAvailable(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var listed []pool.Container
	for _, id := range slices.Sorted(maps.Keys(f.containers)) {
		c := f.containers[id]
		if pool.HasLabels(c.labels, labels) {
			listed = append(listed, pool.Container{
				ID:      id,
				Labels:  maps.Clone(c.labels),
				Created: c.created,
				Running: c.status.Running,
			})
		}
	}
	return listed, nil
}

// Close does nothing: like an engine's, the Fake's containers outlive the connection.
func (f *Fake) Close() error {
	return nil
}

// SetStatus replaces the status of container id, as when its main process exits or the
// OOM killer acts, and reports whether the container exists.
func (f *Fake) SetStatus(id string, status pool.Status) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if ok {
		c.status = status
	}
	return ok
}

// SetUnavailable makes every method but Name and Close fail with an error wrapping
// pool.ErrEngineUnavailable while unavailable is true, as when the engine stops.
func (f *Fake) SetUnavailable(unavailable bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unavailable = unavailable
}

// checkAvailable returns an error wrapping pool.ErrEngineUnavailable while the Fake is set
// unavailable.
func (f *Fake) checkAvailable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unavailable {
		return fmt.Errorf("fake engine: %w", pool.ErrEngineUnavailable)
	}
	return nil
}

// Live returns the IDs of the containers that exist, sorted.
func (f *Fake) Live() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.containers))
}

// Created returns how many containers Create has created.
func (f *Fake) Created() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created
}

// Removed returns how many containers Remove has removed, not counting removals of
// containers that were already gone.
func (f *Fake) Removed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.removed
}

// Execs returns how many execs Exec has started.
func (f *Fake) Execs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.execs
}
