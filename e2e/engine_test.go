package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// The images the servers under test run. They are built by `sandbox-mcp images build`.
var requiredImages = []string{"sandbox-mcp/python:latest", "sandbox-mcp/javascript:latest"}

// engineTimeout bounds each call the tests make to the engine.
const engineTimeout = 30 * time.Second

var (
	engineOnce   sync.Once
	engineClient *client.Client
	engineErr    error
)

// engine returns the shared engine client, created on first use from DOCKER_HOST or the
// default socket.
func engine() (*client.Client, error) {
	engineOnce.Do(func() {
		engineClient, engineErr = client.New(client.FromEnv)
	})
	return engineClient, engineErr
}

func closeEngine() {
	if engineClient != nil {
		_ = engineClient.Close()
	}
}

// requireEngine skips t under -short or without an engine or images (or fails it when
// SANDBOX_MCP_REQUIRE_ENGINE=1), and fails it when the binary did not build.
func requireEngine(t *testing.T) {
	t.Helper()
	enginetest.Require(t, pingEngine)
	ctx, cancel := context.WithTimeout(context.Background(), engineTimeout)
	defer cancel()
	api, _ := engine()
	for _, image := range requiredImages {
		if _, err := api.ImageInspect(ctx, image); err != nil {
			enginetest.Skip(t, "image %s is not available (build it with `sandbox-mcp images build`): %v", image, err)
		}
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

func pingEngine(ctx context.Context) error {
	api, err := engine()
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

// listContainers returns the containers, running or not, that server instance created and
// that carry every label in extra.
func listContainers(ctx context.Context, instance string, extra map[string]string) ([]sandboxContainer, error) {
	api, err := engine()
	if err != nil {
		return nil, err
	}
	filters := client.Filters{}
	filters.Add("label", pool.LabelManaged+"=true", pool.LabelInstance+"="+instance)
	for key, value := range extra {
		filters.Add("label", key+"="+value)
	}
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	listed, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("listing containers of instance %s: %w", instance, err)
	}
	var out []sandboxContainer
	for _, item := range listed.Items {
		out = append(out, sandboxContainer{ID: item.ID, Labels: item.Labels})
	}
	return out, nil
}

// mustListContainers is listContainers that fails t on an engine error.
func mustListContainers(t *testing.T, instance string, extra map[string]string) []sandboxContainer {
	t.Helper()
	list, err := listContainers(context.Background(), instance, extra)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// findContainer returns the container of instance whose ID starts with prefix, such as the
// 12-character host name Docker gives a container.
func findContainer(t *testing.T, instance, prefix string) (sandboxContainer, bool) {
	t.Helper()
	for _, c := range mustListContainers(t, instance, nil) {
		if strings.HasPrefix(c.ID, prefix) {
			return c, true
		}
	}
	return sandboxContainer{}, false
}

// waitContainerGone polls until instance has no container whose ID starts with prefix, and
// fails t if one is still there after timeout.
func waitContainerGone(t *testing.T, instance, prefix string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, found := findContainer(t, instance, prefix)
		if !found {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("container %s of instance %s still exists %s later, want it removed", c, instance, timeout)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeContainers force-removes every container of instance, so a failed test leaks
// nothing. It returns the IDs it removed.
func removeContainers(instance string) ([]string, error) {
	list, err := listContainers(context.Background(), instance, nil)
	if err != nil {
		return nil, err
	}
	api, _ := engine()
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
