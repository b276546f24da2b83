package main

import (
	"testing"

	"github.com/sandbox-mcp/sandbox-mcp/config"
)

func TestEngineOptions(t *testing.T) {
	t.Setenv("CONTAINER_HOST", "")
	t.Setenv("DOCKER_HOST", "")
	tests := []struct {
		name        string
		backend     string
		host        string
		wantHost    string
		wantProfile string
	}{
		{"docker default", "docker", "", "", ""},
		{"docker host", "docker", "tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375", ""},
		{"podman host", "podman", "unix:///srv/podman.sock", "unix:///srv/podman.sock", "podman"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Backend = tt.backend
			cfg.Docker.Host = tt.host
			opts := engineOptions(cfg, nil)
			if opts.Host != tt.wantHost {
				t.Errorf("engineOptions(backend %s, host %q).Host = %q, want %q", tt.backend, tt.host, opts.Host, tt.wantHost)
			}
			if opts.Profile.Name != tt.wantProfile {
				t.Errorf("engineOptions(backend %s).Profile.Name = %q, want %q", tt.backend, opts.Profile.Name, tt.wantProfile)
			}
		})
	}
}

func TestEngineOptionsPodmanDiscovery(t *testing.T) {
	t.Setenv("CONTAINER_HOST", "unix:///from/container-host.sock")
	t.Setenv("DOCKER_HOST", "unix:///from/docker-host.sock")
	cfg := config.Default()
	cfg.Backend = "podman"

	if got := engineOptions(cfg, nil).Host; got != "unix:///from/container-host.sock" {
		t.Errorf("engineOptions(podman, no docker.host).Host = %q, want CONTAINER_HOST's value", got)
	}
	cfg.Backend = "docker"
	if got := engineOptions(cfg, nil).Host; got != "" {
		t.Errorf("engineOptions(docker, no docker.host).Host = %q, want empty, which the client reads as DOCKER_HOST", got)
	}
}

func TestNearLimit(t *testing.T) {
	tests := []struct {
		value string
		want  int64
		slack int64
		ok    bool
	}{
		{"536870912", 536870912, pageSlack, true},
		{"99999744", 100000000, pageSlack, true},
		{"9223372036854771712", 536870912, pageSlack, false},
		{"max", 256, 0, false},
		{"256", 256, 0, true},
		{"255", 256, 0, false},
	}
	for _, tt := range tests {
		if got := nearLimit(tt.value, tt.want, tt.slack); got != tt.ok {
			t.Errorf("nearLimit(%q, %d, %d) = %v, want %v", tt.value, tt.want, tt.slack, got, tt.ok)
		}
	}
}

func TestFixesFor(t *testing.T) {
	for _, backend := range []string{"docker", "podman"} {
		fixes := fixesFor(backend)
		for name, fix := range map[string]string{
			"connection": fixes.connection, "start": fixes.start, "initBinary": fixes.initBinary,
			"otherKind": fixes.otherKind, "limits": fixes.limits,
		} {
			if fix == "" {
				t.Errorf("fixesFor(%q).%s is empty, want a command or setting", backend, name)
			}
		}
	}
}
