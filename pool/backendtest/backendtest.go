// Package backendtest checks that a pool.Backend behaves as the pool expects, and provides
// Fake, an in-memory Backend for unit tests of the pool.
//
// Every Backend implementation runs Run against a real engine. The suite starts containers
// from an image that has sh, coreutils and grep, such as a Debian minbase image.
package backendtest

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

const (
	// TestLabel is set to "backendtest" on every container the suite creates.
	TestLabel = "io.sandbox-mcp.test"
	// RunLabel carries an ID unique to one subtest. The subtest's cleanup removes every
	// container that carries its ID, including any a failed Create left behind.
	RunLabel = "io.sandbox-mcp.test-run"

	// testTimeout bounds each subtest's engine calls, execTimeout each exec, and
	// cleanupTimeout a subtest's cleanup.
	testTimeout    = 2 * time.Minute
	execTimeout    = 30 * time.Second
	cleanupTimeout = 30 * time.Second

	mib = 1 << 20
)

// Run runs the whole conformance suite against the backends newBackend returns, starting
// containers from image. Each subtest calls newBackend once; newBackend registers the
// backend's Close with t.Cleanup. Subtests remove their containers when they end. diff
// states where the backend departs from Docker; the checks adapt to it.
func Run(t *testing.T, newBackend func(t *testing.T) pool.Backend, image string, diff Differences) {
	RunLifecycle(t, newBackend, image)
	runTests(t, newBackend, image, execTests, diff)
	runTests(t, newBackend, image, sandboxTests, diff)
}

// Differences lists where a backend departs from Docker in ways the pool accepts. The zero
// value claims none, as for Docker and Podman.
type Differences struct {
	// ExecUsersOnly means execs run only as the spec's User and ExecUsers, never as root,
	// so the checks of what root cannot do run as the keeper user.
	ExecUsersOnly bool
	// NetworkPolicy means a sandbox without a network still has interfaces besides
	// loopback, and a policy outside the container stops its traffic. The backend's own
	// tests check that policy; the suite skips its check for interfaces.
	NetworkPolicy bool
	// PidsLimit, when not zero, is the pids limit the engine sets on every sandbox in
	// place of Spec.Limits.Pids.
	PidsLimit int64
}

// RunLifecycle runs the part of the suite that needs no program inside the container:
// create, inspect, list, remove, and the errors for missing images and containers. A fake
// backend passes it.
func RunLifecycle(t *testing.T, newBackend func(t *testing.T) pool.Backend, image string) {
	runTests(t, newBackend, image, lifecycleTests, Differences{})
}

// test is one subtest of the suite.
type test struct {
	name string
	run  func(t *testing.T, env *env)
}

func runTests(t *testing.T, newBackend func(t *testing.T) pool.Backend, image string, tests []test, diff Differences) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newEnv(t, newBackend(t), image, diff))
		})
	}
}

// env is the state of one subtest: a backend, the image, the backend's differences and
// the subtest's run ID.
type env struct {
	backend pool.Backend
	image   string
	diff    Differences
	runID   string
	// ctx is the subtest's lifetime context: done after testTimeout or when the subtest
	// ends.
	ctx context.Context
}

// newEnv returns the env of subtest t and registers the removal of its containers. It must
// run after newBackend, so that the removal runs before the backend's Close.
func newEnv(t *testing.T, backend pool.Backend, image string, diff Differences) *env {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	e := &env{backend: backend, image: image, diff: diff, runID: rand.Text(), ctx: ctx}
	t.Cleanup(func() {
		cancel()
		e.removeAll(t)
	})
	return e
}

// labels returns the labels that mark a container as created by this subtest.
func (e *env) labels() map[string]string {
	return map[string]string{TestLabel: "backendtest", RunLabel: e.runID}
}

// spec returns a sandbox spec hardened as the pool creates them, with this subtest's labels.
func (e *env) spec() pool.Spec {
	return pool.Spec{
		Image:        e.image,
		Labels:       e.labels(),
		Command:      pool.KeeperCommand,
		User:         pool.KeeperUser,
		ExecUsers:    []string{pool.CodeUser},
		ReadOnlyRoot: true,
		Tmpfs: []pool.Tmpfs{
			{Path: pool.SandboxDir, SizeBytes: 32 * mib},
			{Path: pool.TmpDir, SizeBytes: 32 * mib},
		},
		Init: true,
		Limits: pool.Limits{
			MemoryBytes: 64 * mib,
			NanoCPUs:    1e9,
			Pids:        64,
			NoFile:      1024,
		},
	}
}

// create creates a container from spec and fails t when that fails.
func (e *env) create(t *testing.T, spec pool.Spec) string {
	t.Helper()
	id, err := e.backend.Create(e.ctx, spec)
	if err != nil {
		t.Fatalf("Create(%q) = %v, want nil error", spec.Image, err)
	}
	return id
}

// removeAll removes every container of this subtest, on a context of its own because the
// subtest's context may be done.
func (e *env) removeAll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	containers, err := e.backend.List(ctx, map[string]string{RunLabel: e.runID})
	if err != nil {
		t.Errorf("cleanup: List(%s=%s) = %v", RunLabel, e.runID, err)
		return
	}
	for _, c := range containers {
		if err := e.backend.Remove(ctx, c.ID); err != nil {
			t.Errorf("cleanup: Remove(%s) = %v", c.ID, err)
		}
	}
}

// execResult is the exit code and the collected output of an exec.
type execResult struct {
	exitCode int
	stdout   string
	stderr   string
}

// exec runs cmd in container id with output collected, and fails t when Exec fails or
// takes longer than execTimeout.
func (e *env) exec(t *testing.T, id string, cmd pool.ExecCommand) execResult {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(e.ctx, execTimeout)
	defer cancel()
	result, err := e.backend.Exec(ctx, id, cmd)
	if err != nil {
		t.Fatalf("Exec(%q) = %v, want nil error", cmd.Cmd, err)
	}
	return execResult{exitCode: result.ExitCode, stdout: stdout.String(), stderr: stderr.String()}
}

// pidsLimit returns the pids limit in force in a sandbox created from spec.
func (e *env) pidsLimit(spec pool.Spec) int64 {
	if e.diff.PidsLimit != 0 {
		return e.diff.PidsLimit
	}
	return spec.Limits.Pids
}

// sh returns an exec of script by sh -c as user.
func sh(user, script string) pool.ExecCommand {
	return pool.ExecCommand{Cmd: []string{"sh", "-c", script}, User: user}
}

// wantErrorIs fails t unless errors.Is(err, target).
func wantErrorIs(t *testing.T, call string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s = %v, want an error wrapping %v", call, err, target)
	}
}
