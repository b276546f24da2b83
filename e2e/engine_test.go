package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
)

// The images the servers under test run. They are built by `sandbox-mcp images build`.
var requiredImages = []string{"sandbox-mcp/python:latest", "sandbox-mcp/javascript:latest"}

// engineTimeout bounds each call the tests make to the engine.
const engineTimeout = 30 * time.Second

// Backends that a server under test runs on, as its config names them.
const (
	dockerBackend = "docker"
	podmanBackend = "podman"
)

// backends are the backends that the conversation tests run on. The other tests run on
// Docker only.
var backends = []string{dockerBackend, podmanBackend}

var (
	enginesMu sync.Mutex
	engines   = map[string]*client.Client{} // backend → engine client; guarded by enginesMu
)

// engine returns the shared client of backend's engine, created on first use. Docker's is
// at DOCKER_HOST or the default socket, and Podman's at the address a server with
// `backend: podman` and no docker.host finds.
func engine(backend string) (*client.Client, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if api, ok := engines[backend]; ok {
		return api, nil
	}
	opts := []client.Opt{client.FromEnv}
	if backend == podmanBackend {
		opts = append(opts, client.WithHost(docker.PodmanHost("")))
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the %s client: %w", backend, err)
	}
	engines[backend] = api
	return api, nil
}

func closeEngines() {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	for _, api := range engines {
		_ = api.Close()
	}
}

// forEachBackend runs test as a parallel subtest per backend, named after it. Each subtest
// first calls requireBackend.
func forEachBackend(t *testing.T, test func(t *testing.T, backend string)) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			requireBackend(t, backend)
			t.Parallel()
			test(t, backend)
		})
	}
}

// requireEngine is requireBackend for Docker, the backend of the tests that run on one.
func requireEngine(t *testing.T) {
	t.Helper()
	requireBackend(t, dockerBackend)
}

// requireBackend skips t under -short, or without the backend's engine or images, as
// enginetest.RequireBackend decides. It fails t when the engine is not the one the backend
// names, or when the binary did not build.
func requireBackend(t *testing.T, backend string) {
	t.Helper()
	enginetest.RequireBackend(t, backend, func(ctx context.Context) error { return pingEngine(ctx, backend) })
	ctx, cancel := context.WithTimeout(context.Background(), engineTimeout)
	defer cancel()
	api, _ := engine(backend)
	checkEngineKind(ctx, t, api, backend)
	for _, image := range requiredImages {
		if _, err := api.ImageInspect(ctx, image); err != nil {
			enginetest.Skip(t, "image %s is not available in %s (build it with `sandbox-mcp images build`): %v", image, backend, err)
		}
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// checkEngineKind fails t unless api leads to the engine that backend names, so that a
// DOCKER_HOST pointing at Docker cannot pass for Podman. Podman names a version component
// "Podman Engine".
func checkEngineKind(ctx context.Context, t *testing.T, api *client.Client, backend string) {
	t.Helper()
	version, err := api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		t.Fatalf("reading the %s engine's version: %v", backend, err)
	}
	isPodman := slices.ContainsFunc(version.Components, func(c system.ComponentVersion) bool {
		return strings.Contains(c.Name, "Podman")
	})
	if isPodman != (backend == podmanBackend) {
		t.Fatalf("the engine at %s for backend %s has components %+v, want the engine the backend names", api.DaemonHost(), backend, version.Components)
	}
}

func pingEngine(ctx context.Context, backend string) error {
	api, err := engine(backend)
	if err != nil {
		return err
	}
	_, err = api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	return err
}

// sandboxContainer is what the tests need to know of one container of a server under test.
type sandboxContainer struct {
	ID     string
	Labels map[string]string
}

func (c sandboxContainer) String() string {
	return fmt.Sprintf("%.12s(temporary=%s)", c.ID, c.Labels[pool.LabelTemporary])
}

// listContainers returns the containers, running or not, that server s created and that
// carry every label in extra.
func listContainers(ctx context.Context, s *server, extra map[string]string) ([]sandboxContainer, error) {
	api, err := engine(s.backend)
	if err != nil {
		return nil, err
	}
	filters := client.Filters{}
	filters.Add("label", pool.LabelManaged+"=true", pool.LabelInstance+"="+s.instance)
	for key, value := range extra {
		filters.Add("label", key+"="+value)
	}
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	listed, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("listing containers of instance %s: %w", s.instance, err)
	}
	var out []sandboxContainer
	for _, item := range listed.Items {
		out = append(out, sandboxContainer{ID: item.ID, Labels: item.Labels})
	}
	return out, nil
}

// mustListContainers is listContainers that fails t on an engine error.
func mustListContainers(t *testing.T, s *server, extra map[string]string) []sandboxContainer {
	t.Helper()
	list, err := listContainers(context.Background(), s, extra)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// findContainer returns the container of server s whose ID starts with prefix, such as the
// 12-character host name that Docker and Podman give a container.
func findContainer(t *testing.T, s *server, prefix string) (sandboxContainer, bool) {
	t.Helper()
	for _, c := range mustListContainers(t, s, nil) {
		if strings.HasPrefix(c.ID, prefix) {
			return c, true
		}
	}
	return sandboxContainer{}, false
}

// waitContainerGone polls until server s has no container whose ID starts with prefix, and
// fails t if one is still there after timeout.
func waitContainerGone(t *testing.T, s *server, prefix string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, found := findContainer(t, s, prefix)
		if !found {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("container %s of instance %s still exists %s later, want it removed", c, s.instance, timeout)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeContainers force-removes every container of server s, so a failed test leaks
// nothing. It returns the IDs it removed.
func removeContainers(s *server) ([]string, error) {
	list, err := listContainers(context.Background(), s, nil)
	if err != nil {
		return nil, err
	}
	api, _ := engine(s.backend)
	ctx, cancel := context.WithTimeout(context.Background(), engineTimeout)
	defer cancel()
	var removed []string
	for _, c := range list {
		_, err := api.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		// A conflict means that another removal, such as the server's own, is under way.
		if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
			return removed, fmt.Errorf("removing container %.12s: %w", c.ID, err)
		}
		removed = append(removed, c.ID)
	}
	return removed, nil
}
