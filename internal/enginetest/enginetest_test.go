package enginetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatalf instead of stopping the test.
type recorder struct {
	testing.TB
	skipped string
	failed  string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) { r.skipped = fmt.Sprint(args...) }

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
