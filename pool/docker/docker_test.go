package docker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

// testEngine is an engine that the integration tests run against.
type testEngine struct {
	// backend is the config name of the backend, such as "podman".
	backend string
	opts    Options
}

// testEngines returns the engines that integration tests run against, each of which
// enginetest.RequireBackend skips or requires.
func testEngines() []testEngine {
	return []testEngine{
		{backend: "docker", opts: Options{}},
		{backend: "podman", opts: Options{Host: PodmanHost(""), Profile: PodmanProfile()}},
	}
}

// forEachEngine runs test as a subtest per engine, named after its backend.
func forEachEngine(t *testing.T, test func(t *testing.T, e testEngine)) {
	for _, e := range testEngines() {
		t.Run(e.backend, func(t *testing.T) { test(t, e) })
	}
}

// newTestBackend returns a Backend on engine e that t closes when it ends.
func newTestBackend(t testing.TB, e testEngine) *Backend {
	t.Helper()
	b, err := New(e.opts)
	if err != nil {
		t.Fatalf("New(%+v) = %v, want nil error", e.opts, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close() = %v, want nil error", err)
		}
	})
	return b
}

// requireEngine skips or fails t, as enginetest decides, unless engine e responds, is the
// engine its backend names, and has the test image. It returns the image's name.
func requireEngine(t testing.TB, e testEngine) string {
	t.Helper()
	b := newTestBackend(t, e)
	enginetest.RequireBackend(t, e.backend, b.Ping)
	checkEngineKind(t, b, e)

	image := enginetest.Image()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exists, err := b.ImageExists(ctx, image)
	if err != nil {
		t.Fatalf("ImageExists(%q) = %v, want nil error", image, err)
	}
	if !exists {
		enginetest.Skip(t, "test image %q is missing from %s: build it with runtimes/images/debian-base.sh %s, or set %s", image, e.backend, image, enginetest.ImageEnv)
	}
	return image
}

// checkEngineKind fails t unless the engine behind b is the one e names, so that a
// DOCKER_HOST that points at Docker cannot pass for Podman.
func checkEngineKind(t testing.TB, b *Backend, e testEngine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	engine, err := b.Engine(ctx)
	if err != nil {
		t.Fatalf("Engine() of backend %s = %v, want nil error", e.backend, err)
	}
	if engine.Podman != (e.backend == "podman") {
		t.Fatalf("engine at %q for backend %s is %s %s, want the engine the backend names", e.opts.Host, e.backend, engine.Name(), engine.Version)
	}
	t.Logf("backend %s: %s %s, API %s", e.backend, engine.Name(), engine.Version, engine.APIVersion)
}

func TestConformance(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		image := requireEngine(t, e)
		backendtest.Run(t, func(t *testing.T) pool.Backend { return newTestBackend(t, e) }, image, backendtest.Differences{})
	})
}

// TestCreateRemovesUnstartedContainer checks that Create removes a container whose start
// failed: the command does not exist, which the engine finds only at start.
func TestCreateRemovesUnstartedContainer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		image := requireEngine(t, e)
		b := newTestBackend(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		labels := map[string]string{backendtest.TestLabel: "docker", backendtest.RunLabel: t.Name() + "-" + fmt.Sprint(time.Now().UnixNano())}

		id, err := b.Create(ctx, pool.Spec{Image: image, Labels: labels, Command: []string{"/no/such/command"}})
		if err == nil {
			_ = b.Remove(ctx, id)
			t.Fatalf("Create(command /no/such/command) = %s, nil, want an error", id)
		}
		listed, err := b.List(ctx, labels)
		if err != nil || len(listed) != 0 {
			t.Errorf("List(%v) after a failed start = %v, %v, want no containers", labels, listed, err)
		}
	})
}

// TestUnreachableEngine checks that every call to an engine that does not respond returns
// an error wrapping pool.ErrEngineUnavailable. It needs no engine.
func TestUnreachableEngine(t *testing.T) {
	host := "unix://" + filepath.Join(t.TempDir(), "missing.sock")
	b, err := New(Options{Host: host})
	if err != nil {
		t.Fatalf("New(%q) = %v, want nil error", host, err)
	}
	defer b.Close()
	ctx := t.Context()

	tests := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return b.Ping(ctx) }},
		{"Create", func() error { _, err := b.Create(ctx, pool.Spec{Image: "any"}); return err }},
		{"Exec", func() error { _, err := b.Exec(ctx, "any", pool.ExecCommand{Cmd: []string{"true"}}); return err }},
		{"Inspect", func() error { _, err := b.Inspect(ctx, "any"); return err }},
		{"Remove", func() error { return b.Remove(ctx, "any") }},
		{"List", func() error { _, err := b.List(ctx, nil); return err }},
		{"ImageExists", func() error { _, err := b.ImageExists(ctx, "any"); return err }},
		{"Engine", func() error { _, err := b.Engine(ctx); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, pool.ErrEngineUnavailable) {
				t.Errorf("%s() = %v, want an error wrapping %v", tt.name, err, pool.ErrEngineUnavailable)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		profile Profile
		want    string
	}{
		{Profile{}, "docker"},
		{Profile{Name: "podman"}, "podman"},
	}
	for _, tt := range tests {
		b, err := New(Options{Host: "unix:///nonexistent.sock", Profile: tt.profile})
		if err != nil {
			t.Fatalf("New() = %v, want nil error", err)
		}
		if got := b.Name(); got != tt.want {
			t.Errorf("Name() with profile %+v = %q, want %q", tt.profile, got, tt.want)
		}
		b.Close()
	}
}

// TestExecNotFoundMessage checks that a missing container's error keeps the engine's text
// for the log.
func TestExecNotFoundMessage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		requireEngine(t, e)
		b := newTestBackend(t, e)
		const id = "sandbox-mcp-test-no-such-container"

		_, err := b.Exec(t.Context(), id, pool.ExecCommand{Cmd: []string{"true"}})
		if !errors.Is(err, pool.ErrContainerNotFound) || !strings.Contains(err.Error(), id) {
			t.Errorf("Exec(%q) = %v, want an error wrapping %v that names the container", id, err, pool.ErrContainerNotFound)
		}
	})
}

func TestNewRejectsSSH(t *testing.T) {
	const host = "ssh://core@example.com/run/podman/podman.sock"
	if _, err := New(Options{Host: host}); err == nil || !strings.Contains(err.Error(), "ssh -L") {
		t.Errorf("New(Host: %q) = %v, want an error that explains how to forward the socket", host, err)
	}
}
