package docker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

func TestHostConfig(t *testing.T) {
	yes := true
	pids := int64(64)
	tests := []struct {
		name    string
		profile Profile
		spec    pool.Spec
		want    *container.HostConfig
	}{{
		name: "zero spec is still hardened",
		spec: pool.Spec{},
		want: &container.HostConfig{
			NetworkMode: "none",
			CapDrop:     []string{"ALL"},
			SecurityOpt: []string{"no-new-privileges"},
		},
	}, {
		name: "sandbox",
		spec: pool.Spec{
			ReadOnlyRoot: true,
			Tmpfs:        []pool.Tmpfs{{Path: "/tmp", SizeBytes: 1 << 20}, {Path: "/scratch"}},
			Init:         true,
			Runtime:      "runsc",
			Limits:       pool.Limits{MemoryBytes: 64 << 20, NanoCPUs: 5e8, Pids: 64, NoFile: 1024},
		},
		want: &container.HostConfig{
			NetworkMode:    "none",
			ReadonlyRootfs: true,
			Tmpfs: map[string]string{
				"/tmp":     "rw,exec,nosuid,nodev,size=1048576,mode=1777",
				"/scratch": "rw,exec,nosuid,nodev,mode=1777",
			},
			CapDrop:     []string{"ALL"},
			SecurityOpt: []string{"no-new-privileges"},
			Runtime:     "runsc",
			Init:        &yes,
			Resources: container.Resources{
				Memory:     64 << 20,
				MemorySwap: 64 << 20,
				NanoCPUs:   5e8,
				PidsLimit:  &pids,
				Ulimits:    []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 1024}},
			},
		},
	}, {
		name: "named network",
		spec: pool.Spec{Network: true, NetworkName: "host"},
		want: &container.HostConfig{
			NetworkMode: "host",
			CapDrop:     []string{"ALL"},
			SecurityOpt: []string{"no-new-privileges"},
		},
	}, {
		name:    "network and a profile that sets nproc",
		profile: Profile{NProc: 4096},
		spec:    pool.Spec{Network: true},
		want: &container.HostConfig{
			CapDrop:     []string{"ALL"},
			SecurityOpt: []string{"no-new-privileges"},
			Resources: container.Resources{
				Ulimits: []*container.Ulimit{{Name: "nproc", Soft: 4096, Hard: 4096}},
			},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Backend{profile: tt.profile}
			if diff := cmp.Diff(tt.want, b.hostConfig(tt.spec)); diff != "" {
				t.Errorf("hostConfig(%+v) mismatch (-want +got):\n%s", tt.spec, diff)
			}
		})
	}
}

func TestContainerConfig(t *testing.T) {
	b := &Backend{}
	spec := pool.Spec{
		Image:   "sandbox-mcp/python:3.11",
		Labels:  map[string]string{pool.LabelPool: "python"},
		Command: pool.KeeperCommand,
		User:    pool.KeeperUser,
		Env:     []string{"LANG=C.UTF-8"},
	}
	want := &container.Config{
		Image:  "sandbox-mcp/python:3.11",
		Labels: map[string]string{pool.LabelPool: "python"},
		Cmd:    pool.KeeperCommand,
		User:   pool.KeeperUser,
		Env:    []string{"LANG=C.UTF-8"},
	}
	if diff := cmp.Diff(want, b.containerConfig(spec)); diff != "" {
		t.Errorf("containerConfig(%+v) mismatch (-want +got):\n%s", spec, diff)
	}
}

func TestBuildTag(t *testing.T) {
	tests := []struct {
		prefix string
		image  string
		want   string
	}{
		{"", "sandbox-mcp/python:3.11", "sandbox-mcp/python:3.11"},
		{"localhost/", "sandbox-mcp/python:3.11", "localhost/sandbox-mcp/python:3.11"},
		{"localhost/", "debian:bookworm", "localhost/debian:bookworm"},
		{"localhost/", "localhost/sandbox-mcp/python:3.11", "localhost/sandbox-mcp/python:3.11"},
		{"localhost/", "registry.example:5000/python:3.11", "registry.example:5000/python:3.11"},
		{"localhost/", "docker.io/library/debian", "docker.io/library/debian"},
	}
	for _, tt := range tests {
		p := Profile{TagPrefix: tt.prefix}
		if got := p.buildTag(tt.image); got != tt.want {
			t.Errorf("Profile{TagPrefix: %q}.buildTag(%q) = %q, want %q", tt.prefix, tt.image, got, tt.want)
		}
	}
}
