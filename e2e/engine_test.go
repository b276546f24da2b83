package e2e

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
	"github.com/sandbox-mcp/sandbox-mcp/pool/kube"
)

// The images the servers under test run. They are built by `sandbox-mcp images build`.
var requiredImages = []string{"sandbox-mcp/python:latest", "sandbox-mcp/javascript:latest"}

// engineTimeout bounds each call the tests make to the engine.
const engineTimeout = 30 * time.Second

// Backends that a server under test runs on, as its config names them.
const (
	dockerBackend     = "docker"
	podmanBackend     = "podman"
	kubernetesBackend = "kubernetes"
)

// backends are the backends that the conversation tests run on. The other tests run on
// Docker only.
var backends = []string{dockerBackend, podmanBackend, kubernetesBackend}

var (
	enginesMu sync.Mutex
	engines   = map[string]pool.Backend{} // backend → engine connection; guarded by enginesMu
)

// engine returns the shared connection to backend's engine, created on first use. Docker's
// is at DOCKER_HOST or the default socket, Podman's at the address a server with
// `backend: podman` and no docker.host finds, and the cluster's that of the current
// kubeconfig.
func engine(backend string) (pool.Backend, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if b, ok := engines[backend]; ok {
		return b, nil
	}
	var b pool.Backend
	var err error
	switch backend {
	case podmanBackend:
		b, err = docker.New(docker.Options{Host: docker.PodmanHost(""), Profile: docker.PodmanProfile()})
	case kubernetesBackend:
		b, err = kube.New(kube.Options{Namespace: enginetest.KubeNamespace()})
	default:
		b, err = docker.New(docker.Options{})
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to the %s engine: %w", backend, err)
	}
	engines[backend] = b
	return b, nil
}

func closeEngines() {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	for _, b := range engines {
		_ = b.Close()
	}
}

// backendConfig returns the config lines that a server on backend needs besides the
// backend key: for Kubernetes, the test cluster's namespace and node, and images loaded on
// the node.
func backendConfig(backend string) string {
	if backend != kubernetesBackend {
		return ""
	}
	return fmt.Sprintf("kubernetes: {namespace: %q, node_name: %q, image_pull_policy: Never, cpu_request: 0.01, memory_request: 16MiB}\n",
		enginetest.KubeNamespace(), enginetest.KubeNode())
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
	b, _ := engine(backend)
	// A cluster's images are on its nodes, out of the tests' sight: a missing one fails the
	// server's pool with ErrImageNeverPull.
	if d, ok := b.(*docker.Backend); ok {
		checkEngineKind(ctx, t, d, backend)
		for _, image := range requiredImages {
			if found, err := d.ImageExists(ctx, image); err != nil || !found {
				enginetest.Skip(t, "image %s is not available in %s (build it with `sandbox-mcp images build`): found %v, %v", image, backend, found, err)
			}
		}
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// checkEngineKind fails t unless b leads to the engine that backend names, so that a
// DOCKER_HOST pointing at Docker cannot pass for Podman.
func checkEngineKind(ctx context.Context, t *testing.T, b *docker.Backend, backend string) {
	t.Helper()
	engine, err := b.Engine(ctx)
	if err != nil {
		t.Fatalf("reading the %s engine's version: %v", backend, err)
	}
	if engine.Podman != (backend == podmanBackend) {
		t.Fatalf("the engine for backend %s is %s %s, want the engine the backend names", backend, engine.Name(), engine.Version)
	}
}

func pingEngine(ctx context.Context, backend string) error {
	b, err := engine(backend)
	if err != nil {
		return err
	}
	return b.Ping(ctx)
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
	b, err := engine(s.backend)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{pool.LabelManaged: "true", pool.LabelInstance: s.instance}
	maps.Copy(labels, extra)
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	listed, err := b.List(ctx, labels)
	if err != nil {
		return nil, fmt.Errorf("listing containers of instance %s: %w", s.instance, err)
	}
	var out []sandboxContainer
	for _, c := range listed {
		out = append(out, sandboxContainer{ID: c.ID, Labels: c.Labels})
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

// removeContainers removes every container of server s, so a failed test leaks nothing.
// It returns the IDs it removed.
func removeContainers(s *server) ([]string, error) {
	list, err := listContainers(context.Background(), s, nil)
	if err != nil {
		return nil, err
	}
	b, _ := engine(s.backend)
	ctx, cancel := context.WithTimeout(context.Background(), engineTimeout)
	defer cancel()
	var removed []string
	for _, c := range list {
		if err := b.Remove(ctx, c.ID); err != nil {
			return removed, fmt.Errorf("removing container %.12s: %w", c.ID, err)
		}
		removed = append(removed, c.ID)
	}
	return removed, nil
}
