package enginetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that records Skip and Fatalf instead of stopping the test.
type recorder struct {
	testing.TB
	skipped string
	failed  string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) { r.skipped = fmt.Sprint(args...) }

func (r *recorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }

func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	errDown := errors.New("engine down")
	tests := []struct {
		name        string
		require     string
		pingErr     error
		wantSkipped bool
		wantFailed  bool
	}{
		{"engine up", "", nil, false, false},
		{"engine down", "", errDown, true, false},
		{"engine down and required", "1", errDown, false, true},
		{"engine up and required", "1", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.require)
			r := &recorder{TB: t}

			Require(r, func(context.Context) error { return tt.pingErr })

			if testing.Short() {
				if r.skipped == "" {
					t.Errorf("Require() under -short did not skip")
				}
				return
			}
			if got := r.skipped != ""; got != tt.wantSkipped {
				t.Errorf("Require() skipped = %v (%q), want %v", got, r.skipped, tt.wantSkipped)
			}
			if got := r.failed != ""; got != tt.wantFailed {
				t.Errorf("Require() failed = %v (%q), want %v", got, r.failed, tt.wantFailed)
			}
		})
	}
}

func TestImage(t *testing.T) {
	t.Setenv(ImageEnv, "")
	if got := Image(); got != DefaultImage {
		t.Errorf("Image() with %s unset = %q, want %q", ImageEnv, got, DefaultImage)
	}
	t.Setenv(ImageEnv, "example/other:1")
	if got := Image(); got != "example/other:1" {
		t.Errorf("Image() with %s set = %q, want %q", ImageEnv, got, "example/other:1")
	}
}

func TestRequireBackend(t *testing.T) {
	errDown := errors.New("engine down")
	tests := []struct {
		name        string
		backends    string
		require     string
		backend     string
		pingErr     error
		wantSkipped bool
		wantFailed  bool
	}{
		{"default backend up", "", "", "docker", nil, false, false},
		{"default backend down and required", "", "1", "docker", errDown, false, true},
		{"other backend up", "", "1", "podman", nil, false, false},
		{"other backend down is optional", "", "1", "podman", errDown, true, false},
		{"listed backend down and required", "docker,podman", "1", "podman", errDown, false, true},
		{"listed backend down", " podman ", "", "podman", errDown, true, false},
		{"listed backend up", "docker,podman", "1", "podman", nil, false, false},
		{"unlisted backend", "podman", "1", "docker", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(BackendsEnv, tt.backends)
			t.Setenv(RequireEnv, tt.require)
			r := &recorder{TB: t}

			RequireBackend(r, tt.backend, func(context.Context) error { return tt.pingErr })

			if testing.Short() {
				if r.skipped == "" {
					t.Errorf("RequireBackend(%q) under -short did not skip", tt.backend)
				}
				return
			}
			if got := r.skipped != ""; got != tt.wantSkipped {
				t.Errorf("RequireBackend(%q) skipped = %v (%q), want %v", tt.backend, got, r.skipped, tt.wantSkipped)
			}
			if got := r.failed != ""; got != tt.wantFailed {
				t.Errorf("RequireBackend(%q) failed = %v (%q), want %v", tt.backend, got, r.failed, tt.wantFailed)
			}
		})
	}
}

func TestBackends(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"docker", []string{"docker"}},
		{"docker, podman,", []string{"docker", "podman"}},
	}
	for _, tt := range tests {
		t.Setenv(BackendsEnv, tt.value)
		if diff := cmp.Diff(tt.want, Backends()); diff != "" {
			t.Errorf("Backends() with %s=%q mismatch (-want +got):\n%s", BackendsEnv, tt.value, diff)
		}
	}
}
