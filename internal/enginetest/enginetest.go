// Package enginetest decides whether a test that needs a container engine runs, skips or
// fails.
//
// Such a test skips under -short and when no engine responds to a ping, so `go test -short ./...` passes
// on a machine without an engine. When SANDBOX_MCP_REQUIRE_ENGINE=1 (CI sets it), a missing
// engine or test image fails the test instead, so CI cannot pass by skipping.
//
// Tests that run against each backend call RequireBackend. SANDBOX_MCP_TEST_BACKENDS lists
// the backends to test, such as "docker,podman"; a listed backend is required like any
// engine. When the variable is unset, Docker is required as above, and the other backends
// run when their engine responds and skip otherwise, even with SANDBOX_MCP_REQUIRE_ENGINE=1.
package enginetest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

const (
	// RequireEnv is the environment variable that turns skips into failures when it is "1".
	RequireEnv = "SANDBOX_MCP_REQUIRE_ENGINE"
	// ImageEnv overrides the image that engine tests start containers from.
	ImageEnv = "SANDBOX_MCP_TEST_IMAGE"
	// DefaultImage is the image engine tests use when ImageEnv is unset. It needs sh,
	// coreutils and grep, and is built by the base image script.
	DefaultImage = runtimes.LocalBaseImage
	// BackendsEnv lists, separated by commas, the backends that tests calling
	// RequireBackend run against, such as "docker,podman".
	BackendsEnv = "SANDBOX_MCP_TEST_BACKENDS"
	// DefaultBackend is the backend that is required when BackendsEnv is unset.
	DefaultBackend = "docker"

	pingTimeout = 5 * time.Second
)

// Require skips t under -short, and calls ping with a 5-second timeout. When ping fails, t
// skips, or fails when RequireEnv is "1".
func Require(t testing.TB, ping func(ctx context.Context) error) {
	t.Helper()
	skipShort(t)
	if err := pingWithin(ping); err != nil {
		Skip(t, "no container engine responds: %v", err)
	}
}

// Skip skips t with the formatted message, or fails t with it when RequireEnv is "1". Use it
// for any missing piece of the engine setup, such as the test image.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (%s=1 requires a working engine)", msg, RequireEnv)
		return
	}
	t.Skip(msg)
}

// Required reports whether RequireEnv is "1".
func Required() bool {
	return os.Getenv(RequireEnv) == "1"
}

// Image returns the image engine tests start containers from: ImageEnv when set, otherwise
// DefaultImage.
func Image() string {
	if image := os.Getenv(ImageEnv); image != "" {
		return image
	}
	return DefaultImage
}

// Backends returns the backends that BackendsEnv lists, or nil when it is unset or empty.
func Backends() []string {
	var backends []string
	for name := range strings.SplitSeq(os.Getenv(BackendsEnv), ",") {
		if name = strings.TrimSpace(name); name != "" {
			backends = append(backends, name)
		}
	}
	return backends
}

// RequireBackend decides whether t, a test against backend, runs. With BackendsEnv set, it
// skips t when backend is not listed and calls Require otherwise. With BackendsEnv unset, it
// calls Require for DefaultBackend, and for any other backend skips t under -short or when
// ping fails, whatever the value of RequireEnv.
func RequireBackend(t testing.TB, backend string, ping func(ctx context.Context) error) {
	t.Helper()
	listed := Backends()
	switch {
	case len(listed) > 0 && !slices.Contains(listed, backend):
		t.Skipf("backend %s is not in %s=%s", backend, BackendsEnv, os.Getenv(BackendsEnv))
	case len(listed) > 0 || backend == DefaultBackend:
		Require(t, ping)
	default:
		requireOptional(t, backend, ping)
	}
}

// requireOptional skips t under -short or when ping fails.
func requireOptional(t testing.TB, backend string, ping func(ctx context.Context) error) {
	t.Helper()
	skipShort(t)
	if err := pingWithin(ping); err != nil {
		t.Skipf("%s does not respond, and %s does not list it: %v", backend, BackendsEnv, err)
	}
}

// skipShort skips t under -short.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping container engine test in -short mode")
	}
}

// pingWithin calls ping with a context that ends after pingTimeout.
func pingWithin(ping func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	return ping(ctx)
}
