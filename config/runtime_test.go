package config

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestForRuntime(t *testing.T) {
	tests := []struct {
		name     string
		runtimes map[string]Runtime
		runtime  string
		want     func(s *RuntimeSettings)
	}{
		{name: "no block", runtime: "python", want: func(*RuntimeSettings) {}},
		{name: "alias", runtime: "py", want: func(*RuntimeSettings) {}},
		{
			name:     "disabled",
			runtimes: map[string]Runtime{"python": {Enabled: new(false)}},
			runtime:  "python",
			want:     func(s *RuntimeSettings) { s.Enabled = false },
		},
		{
			name:     "explicitly enabled",
			runtimes: map[string]Runtime{"python": {Enabled: new(true)}},
			runtime:  "python",
			want:     func(*RuntimeSettings) {},
		},
		{
			name:     "image",
			runtimes: map[string]Runtime{"python": {Image: "registry.example/python:3.12"}},
			runtime:  "python",
			want:     func(s *RuntimeSettings) { s.Image = "registry.example/python:3.12" },
		},
		{
			name: "keys merged one by one",
			runtimes: map[string]Runtime{"python": {
				Pool:    PoolOverride{MaxSize: new(16), Prewarm: new(false)},
				Sandbox: SandboxOverride{MemoryBytes: new(2 * GiB), MaxTimeout: new(time.Hour)},
			}},
			runtime: "python",
			want: func(s *RuntimeSettings) {
				s.Pool.MaxSize = 16
				s.Pool.Prewarm = false
				s.Sandbox.MemoryBytes = 2 * GiB
				s.Sandbox.MaxTimeout = time.Hour
			},
		},
		{
			name:     "override to the zero value",
			runtimes: map[string]Runtime{"python": {Pool: PoolOverride{MinIdle: new(0)}, Sandbox: SandboxOverride{OCIRuntime: new("")}}},
			runtime:  "python",
			want: func(s *RuntimeSettings) {
				s.Pool.MinIdle = 0
				s.Sandbox.OCIRuntime = ""
			},
		},
		{
			name:     "other runtime's block ignored",
			runtimes: map[string]Runtime{"javascript": {Enabled: new(false), Pool: PoolOverride{MaxSize: new(1)}}},
			runtime:  "python",
			want:     func(*RuntimeSettings) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Sandbox.OCIRuntime = "runsc" // so that an override to "" shows
			c.Runtimes = tt.runtimes
			want := RuntimeSettings{Name: "python", Enabled: true, Image: "sandbox-mcp/python:latest", Pool: c.Pool, Sandbox: c.Sandbox}
			tt.want(&want)

			got, err := c.ForRuntime(tt.runtime)
			if err != nil {
				t.Fatalf("ForRuntime(%q) error = %v", tt.runtime, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ForRuntime(%q) mismatch (-want +got):\n%s", tt.runtime, diff)
			}
		})
	}
}

func TestForRuntimeUnknown(t *testing.T) {
	_, err := Default().ForRuntime("cobol")
	if !errors.Is(err, ErrUnknownRuntime) {
		t.Errorf(`ForRuntime("cobol") = %v, want an error wrapping ErrUnknownRuntime`, err)
	}
	if want := `unknown runtime "cobol"; known runtimes: javascript, python`; err == nil || err.Error() != want {
		t.Errorf(`ForRuntime("cobol") = %v, want %q`, err, want)
	}
}

func TestEnabledRuntimes(t *testing.T) {
	c := Default()
	c.Runtimes = map[string]Runtime{"javascript": {Enabled: new(false)}}
	var names []string
	for _, s := range c.EnabledRuntimes() {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"python"}, names); diff != "" {
		t.Errorf("EnabledRuntimes() names mismatch (-want +got):\n%s", diff)
	}
	names = nil
	for _, s := range Default().EnabledRuntimes() {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"javascript", "python"}, names); diff != "" {
		t.Errorf("Default().EnabledRuntimes() names mismatch (-want +got):\n%s", diff)
	}
}

// TestOverrideFieldsMirror checks that each override type has one pointer field for each
// field of the type it overrides, with the same name, key and unit, which applyOverride and
// the decoder rely on.
func TestOverrideFieldsMirror(t *testing.T) {
	pairs := []struct{ base, override reflect.Type }{
		{reflect.TypeFor[Pool](), reflect.TypeFor[PoolOverride]()},
		{reflect.TypeFor[Sandbox](), reflect.TypeFor[SandboxOverride]()},
	}
	for _, p := range pairs {
		if p.base.NumField() != p.override.NumField() {
			t.Errorf("%v has %d fields, want %d like %v", p.override, p.override.NumField(), p.base.NumField(), p.base)
			continue
		}
		for i := range p.base.NumField() {
			b, o := p.base.Field(i), p.override.Field(i)
			if o.Name != b.Name || o.Type != reflect.PointerTo(b.Type) {
				t.Errorf("%v field %d = %s %v, want %s %v", p.override, i, o.Name, o.Type, b.Name, reflect.PointerTo(b.Type))
			}
			if got, want := o.Tag.Get("yaml"), b.Tag.Get("yaml")+",omitempty"; got != want {
				t.Errorf("%v.%s yaml tag = %q, want %q", p.override, o.Name, got, want)
			}
			if got, want := o.Tag.Get("unit"), b.Tag.Get("unit"); got != want {
				t.Errorf("%v.%s unit tag = %q, want %q", p.override, o.Name, got, want)
			}
		}
	}
}
