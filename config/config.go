// Package config loads, validates and documents the sandbox-mcp configuration file.
package config

import "time"

// Config is the whole configuration. Default returns the values used when no file is given;
// a file overrides only the keys it sets.
type Config struct {
	// Backend selects the container engine: "docker" or "podman".
	Backend string `yaml:"backend" json:"backend"`
	// Docker configures the Docker Engine connection (also used for Podman's compatible API).
	Docker Docker `yaml:"docker" json:"docker"`
	// Pool holds the defaults for every language's pool; Runtimes can override them.
	Pool Pool `yaml:"pool" json:"pool"`
	// Sandbox holds the defaults for every language's sandbox limits.
	Sandbox Sandbox `yaml:"sandbox" json:"sandbox"`
	// Conversation bounds the life of a conversation.
	Conversation Conversation `yaml:"conversation" json:"conversation"`
	// Runtimes configures each language by name ("python", "javascript"). A runtime that is
	// absent uses its built-in image and the defaults above.
	Runtimes map[string]Runtime `yaml:"runtimes" json:"runtimes"`
	// Reaper removes containers left behind by server instances that are gone.
	Reaper Reaper `yaml:"reaper" json:"reaper"`
	// HTTP configures the streamable HTTP transport.
	HTTP HTTP `yaml:"http" json:"http"`
}

// Docker is the engine connection.
type Docker struct {
	// Host is the engine address, such as unix:///var/run/docker.sock. Empty means
	// DOCKER_HOST, then the engine's default socket.
	Host string `yaml:"host" json:"host"`
}

// Exhaustion is what a lease does when the pool is at max_size.
type Exhaustion string

const (
	// ExhaustionWait waits up to acquire_timeout for a container to free up.
	ExhaustionWait Exhaustion = "wait"
	// ExhaustionFailFast fails the lease at once.
	ExhaustionFailFast Exhaustion = "fail_fast"
	// ExhaustionTemporary creates a container outside the pool's count, destroyed at the end.
	ExhaustionTemporary Exhaustion = "temporary"
)

// Pool configures one language's pool of warm containers.
type Pool struct {
	MinIdle             int           `yaml:"min_idle" json:"min_idle"`
	MaxSize             int           `yaml:"max_size" json:"max_size"`
	AcquireTimeout      time.Duration `yaml:"acquire_timeout" json:"acquire_timeout"`
	Exhaustion          Exhaustion    `yaml:"exhaustion" json:"exhaustion"`
	MaxLifetime         time.Duration `yaml:"max_lifetime" json:"max_lifetime"`
	HealthCheckInterval time.Duration `yaml:"health_check_interval" json:"health_check_interval"`
	Prewarm             bool          `yaml:"prewarm" json:"prewarm"`
}

// Sandbox configures the limits and hardening of one language's containers.
type Sandbox struct {
	MemoryBytes    int64         `yaml:"memory" json:"memory"` // YAML accepts "512MiB"
	CPUs           float64       `yaml:"cpus" json:"cpus"`
	Pids           int64         `yaml:"pids" json:"pids"`
	NoFile         int64         `yaml:"nofile" json:"nofile"`
	WorkDirBytes   int64         `yaml:"workdir_size" json:"workdir_size"`
	TmpBytes       int64         `yaml:"tmp_size" json:"tmp_size"`
	OutputBytes    int64         `yaml:"output_bytes" json:"output_bytes"` // per stream
	CodeBytes      int64         `yaml:"code_bytes" json:"code_bytes"`
	DefaultTimeout time.Duration `yaml:"default_timeout" json:"default_timeout"`
	MaxTimeout     time.Duration `yaml:"max_timeout" json:"max_timeout"`
	Runtime        string        `yaml:"oci_runtime" json:"oci_runtime"` // e.g. runsc; empty: engine default
}

// Conversation bounds a conversation's life.
type Conversation struct {
	IdleTimeout time.Duration `yaml:"idle_timeout" json:"idle_timeout"`
	MaxAge      time.Duration `yaml:"max_age" json:"max_age"`
}

// Runtime configures one language. Nil pointers and empty values inherit the top-level
// pool and sandbox settings.
type Runtime struct {
	Enabled *bool    `yaml:"enabled" json:"enabled"`
	Image   string   `yaml:"image" json:"image"`
	Pool    *Pool    `yaml:"pool" json:"pool"`
	Sandbox *Sandbox `yaml:"sandbox" json:"sandbox"`
}

// Reaper configures the removal of containers whose server instance is gone.
type Reaper struct {
	Interval time.Duration `yaml:"interval" json:"interval"`
}

// HTTP configures the streamable HTTP transport.
type HTTP struct {
	// SessionIdleTimeout ends an HTTP protocol session, and its conversations, after this
	// long without a request.
	SessionIdleTimeout time.Duration `yaml:"session_idle_timeout" json:"session_idle_timeout"`
}
