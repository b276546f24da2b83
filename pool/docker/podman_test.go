package docker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

func TestPodmanHost(t *testing.T) {
	const (
		rootless = "/run/user/1000/podman/podman.sock"
		rootful  = "/run/podman/podman.sock"
	)
	tests := []struct {
		name       string
		configured string
		env        map[string]string
		sockets    []string
		isRoot     bool
		want       string
	}{{
		name:       "configured wins",
		configured: "unix:///srv/podman.sock",
		env:        map[string]string{"CONTAINER_HOST": "unix:///a.sock", "DOCKER_HOST": "unix:///b.sock"},
		sockets:    []string{rootful},
		want:       "unix:///srv/podman.sock",
	}, {
		name:    "CONTAINER_HOST before DOCKER_HOST",
		env:     map[string]string{"CONTAINER_HOST": "unix:///a.sock", "DOCKER_HOST": "unix:///b.sock"},
		sockets: []string{rootful},
		want:    "unix:///a.sock",
	}, {
		name:    "DOCKER_HOST before sockets",
		env:     map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:8888", "XDG_RUNTIME_DIR": "/run/user/1000"},
		sockets: []string{rootless, rootful},
		want:    "tcp://127.0.0.1:8888",
	}, {
		name:    "rootless socket before rootful",
		env:     map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
		sockets: []string{rootless, rootful},
		want:    "unix://" + rootless,
	}, {
		name:    "rootful socket when the rootless one is missing",
		env:     map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
		sockets: []string{rootful},
		want:    "unix://" + rootful,
	}, {
		name:    "rootful socket without XDG_RUNTIME_DIR",
		sockets: []string{rootful},
		want:    "unix://" + rootful,
	}, {
		name: "no socket, a user: rootless path",
		env:  map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
		want: "unix://" + rootless,
	}, {
		name:   "no socket, root: rootful path",
		env:    map[string]string{"XDG_RUNTIME_DIR": "/run/user/0"},
		isRoot: true,
		want:   "unix://" + rootful,
	}, {
		name: "no socket, no XDG_RUNTIME_DIR: rootful path",
		want: "unix://" + rootful,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := hostEnv{
				getenv: func(key string) string { return tt.env[key] },
				exists: func(path string) bool {
					for _, s := range tt.sockets {
						if s == path {
							return true
						}
					}
					return false
				},
				isRoot: tt.isRoot,
			}
			if got := podmanHost(tt.configured, env); got != tt.want {
				t.Errorf("podmanHost(%q) = %q, want %q", tt.configured, got, tt.want)
			}
		})
	}
}

func TestPodmanProfileRlimits(t *testing.T) {
	tests := []struct {
		name       string
		hard       map[int]uint64 // missing: unknown
		wantNProc  int64
		wantNoFile int64
	}{
		{"unknown limits", nil, 32768, 1 << 20},
		{"unlimited", map[int]uint64{unix.RLIMIT_NPROC: unix.RLIM_INFINITY, unix.RLIMIT_NOFILE: unix.RLIM_INFINITY}, 32768, 1 << 20},
		{"lower hard limits", map[int]uint64{unix.RLIMIT_NPROC: 4000, unix.RLIMIT_NOFILE: 20000}, 4000, 20000},
		{"nproc between", map[int]uint64{unix.RLIMIT_NPROC: 96369, unix.RLIMIT_NOFILE: 1 << 20}, 32768, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := podmanProfile(func(resource int) (uint64, bool) {
				limit, ok := tt.hard[resource]
				return limit, ok
			})
			if p.NProc != tt.wantNProc || p.NoFile != tt.wantNoFile {
				t.Errorf("podmanProfile(%v) NProc, NoFile = %d, %d, want %d, %d", tt.hard, p.NProc, p.NoFile, tt.wantNProc, tt.wantNoFile)
			}
			if p.Name != "podman" || p.TagPrefix != "localhost/" {
				t.Errorf("podmanProfile() Name, TagPrefix = %q, %q, want %q, %q", p.Name, p.TagPrefix, "podman", "localhost/")
			}
		})
	}
}

func TestProfileUlimits(t *testing.T) {
	tests := []struct {
		name    string
		profile Profile
		limits  pool.Limits
		want    []*container.Ulimit
	}{
		{"docker, no limit", Profile{}, pool.Limits{}, nil},
		{"docker, nofile", Profile{}, pool.Limits{NoFile: 1024}, []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}}},
		{"podman, spec nofile wins", Profile{NProc: 4096, NoFile: 20000}, pool.Limits{NoFile: 1024}, []*container.Ulimit{
			{Name: "nofile", Soft: 1024, Hard: 1024},
			{Name: "nproc", Soft: 4096, Hard: 4096},
		}},
		{"podman, profile nofile when the spec has none", Profile{NProc: 4096, NoFile: 20000}, pool.Limits{}, []*container.Ulimit{
			{Name: "nofile", Soft: 20000, Hard: 20000},
			{Name: "nproc", Soft: 4096, Hard: 4096},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.profile.ulimits(tt.limits)); diff != "" {
				t.Errorf("%+v.ulimits(%+v) mismatch (-want +got):\n%s", tt.profile, tt.limits, diff)
			}
		})
	}
}
