package backendtest_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

const fakeImage = "fake/image:1"

var errInjected = errors.New("injected failure")

func TestFakeConformance(t *testing.T) {
	backendtest.RunLifecycle(t, func(t *testing.T) pool.Backend {
		return &backendtest.Fake{Images: []string{fakeImage}}
	}, fakeImage)
}

// mustCreate creates a container in f and fails t when that fails.
func mustCreate(t *testing.T, f *backendtest.Fake) string {
	t.Helper()
	id, err := f.Create(t.Context(), pool.Spec{Image: fakeImage})
	if err != nil {
		t.Fatalf("Create() = %v, want nil error", err)
	}
	return id
}

func TestFakeCounts(t *testing.T) {
	f := &backendtest.Fake{}
	ids := []string{mustCreate(t, f), mustCreate(t, f), mustCreate(t, f)}
	for range 2 {
		if err := f.Remove(t.Context(), ids[0]); err != nil {
			t.Fatalf("Remove(%s) = %v, want nil error", ids[0], err)
		}
	}

	if got := f.Created(); got != 3 {
		t.Errorf("Created() = %d, want 3", got)
	}
	if got := f.Removed(); got != 1 {
		t.Errorf("Removed() = %d, want 1", got)
	}
	want := slices.Sorted(slices.Values(ids[1:]))
	if diff := cmp.Diff(want, f.Live()); diff != "" {
		t.Errorf("Live() mismatch (-want +got):\n%s", diff)
	}
	if len(ids[0]) != 64 {
		t.Errorf("len(Create()) = %d, want 64 like an engine's container ID", len(ids[0]))
	}
}

func TestFakeFailCreate(t *testing.T) {
	var got pool.Spec
	f := &backendtest.Fake{FailCreate: func(spec pool.Spec) error {
		got = spec
		return errInjected
	}}
	spec := pool.Spec{Image: fakeImage, User: pool.KeeperUser}

	if _, err := f.Create(t.Context(), spec); !errors.Is(err, errInjected) {
		t.Errorf("Create() = %v, want %v", err, errInjected)
	}
	if diff := cmp.Diff(spec, got); diff != "" {
		t.Errorf("FailCreate spec mismatch (-want +got):\n%s", diff)
	}
	if len(f.Live()) != 0 || f.Created() != 0 {
		t.Errorf("after a failed Create: Live() = %v, Created() = %d, want none", f.Live(), f.Created())
	}
}

func TestFakeFailRemove(t *testing.T) {
	f := &backendtest.Fake{FailRemove: func(string) error { return errInjected }}
	id := mustCreate(t, f)

	if err := f.Remove(t.Context(), id); !errors.Is(err, errInjected) {
		t.Errorf("Remove(%s) = %v, want %v", id, err, errInjected)
	}
	if diff := cmp.Diff([]string{id}, f.Live()); diff != "" {
		t.Errorf("Live() after a failed Remove mismatch (-want +got):\n%s", diff)
	}
}

func TestFakeExecFunc(t *testing.T) {
	var gotID string
	var gotCmd []string
	f := &backendtest.Fake{ExecFunc: func(_ context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
		gotID, gotCmd = id, cmd.Cmd
		return pool.ExecResult{ExitCode: 3}, nil
	}}
	id := mustCreate(t, f)
	cmd := []string{"python3", "main.py"}

	result, err := f.Exec(t.Context(), id, pool.ExecCommand{Cmd: cmd})
	if err != nil || result.ExitCode != 3 {
		t.Errorf("Exec(%q) = %v, %v, want exit code 3", cmd, result, err)
	}
	if gotID != id || !slices.Equal(gotCmd, cmd) {
		t.Errorf("ExecFunc got %s, %q, want %s, %q", gotID, gotCmd, id, cmd)
	}
	if got := f.Execs(); got != 1 {
		t.Errorf("Execs() = %d, want 1", got)
	}
}

func TestFakeSetStatus(t *testing.T) {
	f := &backendtest.Fake{}
	id := mustCreate(t, f)
	stopped := pool.Status{OOMKilled: true, ExitCode: 137}

	if !f.SetStatus(id, stopped) {
		t.Fatalf("SetStatus(%s) = false, want true", id)
	}
	if got, err := f.Inspect(t.Context(), id); err != nil || got != stopped {
		t.Errorf("Inspect(%s) = %+v, %v, want %+v", id, got, err, stopped)
	}
	if _, err := f.Exec(t.Context(), id, pool.ExecCommand{Cmd: []string{"true"}}); err == nil {
		t.Errorf("Exec in a stopped container = nil error, want an error")
	}
	if f.SetStatus("missing", stopped) {
		t.Errorf("SetStatus(missing) = true, want false")
	}
}

func TestFakeUnavailable(t *testing.T) {
	f := &backendtest.Fake{}
	id := mustCreate(t, f)
	f.SetUnavailable(true)

	calls := map[string]func() error{
		"Ping":    func() error { return f.Ping(t.Context()) },
		"Create":  func() error { _, err := f.Create(t.Context(), pool.Spec{Image: fakeImage}); return err },
		"Exec":    func() error { _, err := f.Exec(t.Context(), id, pool.ExecCommand{}); return err },
		"Inspect": func() error { _, err := f.Inspect(t.Context(), id); return err },
		"Remove":  func() error { return f.Remove(t.Context(), id) },
		"List":    func() error { _, err := f.List(t.Context(), nil); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, pool.ErrEngineUnavailable) {
			t.Errorf("%s() while unavailable = %v, want an error wrapping %v", name, err, pool.ErrEngineUnavailable)
		}
	}

	f.SetUnavailable(false)
	if err := f.Ping(t.Context()); err != nil {
		t.Errorf("Ping() after SetUnavailable(false) = %v, want nil error", err)
	}
}

func TestFakeCreateDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &backendtest.Fake{CreateDelay: 5 * time.Second}

		began := time.Now()
		if _, err := f.Create(t.Context(), pool.Spec{Image: fakeImage}); err != nil {
			t.Fatalf("Create() = %v, want nil error", err)
		}
		if elapsed := time.Since(began); elapsed != 5*time.Second {
			t.Errorf("Create() took %v, want 5s", elapsed)
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		began = time.Now()
		if _, err := f.Create(ctx, pool.Spec{Image: fakeImage}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Create() with a 1s deadline = %v, want %v", err, context.DeadlineExceeded)
		}
		if elapsed := time.Since(began); elapsed != time.Second {
			t.Errorf("Create() with a 1s deadline took %v, want 1s", elapsed)
		}
	})
}

func TestFakeConcurrent(t *testing.T) {
	f := &backendtest.Fake{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			id, err := f.Create(t.Context(), pool.Spec{Image: fakeImage})
			if err != nil {
				t.Errorf("Create() = %v, want nil error", err)
				return
			}
			if _, err := f.Exec(t.Context(), id, pool.ExecCommand{Cmd: []string{"true"}}); err != nil {
				t.Errorf("Exec() = %v, want nil error", err)
			}
			if _, err := f.List(t.Context(), nil); err != nil {
				t.Errorf("List() = %v, want nil error", err)
			}
			if err := f.Remove(t.Context(), id); err != nil {
				t.Errorf("Remove() = %v, want nil error", err)
			}
		})
	}
	wg.Wait()

	if f.Created() != 50 || f.Removed() != 50 || f.Execs() != 50 || len(f.Live()) != 0 {
		t.Errorf("Created, Removed, Execs, Live = %d, %d, %d, %v, want 50, 50, 50, none",
			f.Created(), f.Removed(), f.Execs(), f.Live())
	}
}
