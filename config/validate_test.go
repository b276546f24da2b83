package config

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidateDefault(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{
			name:   "backend",
			change: func(c *Config) { c.Backend = "lxc" },
			want:   []string{`backend ("lxc") must be one of docker, podman, kubernetes`},
		},
		{
			name:   "podman accepted",
			change: func(c *Config) { c.Backend = "podman" },
		},
		{
			name:   "min_idle negative",
			change: func(c *Config) { c.Pool.MinIdle = -1 },
			want:   []string{"pool.min_idle (-1) must be >= 0"},
		},
		{
			name:   "min_idle zero accepted",
			change: func(c *Config) { c.Pool.MinIdle = 0 },
		},
		{
			name:   "max_size zero",
			change: func(c *Config) { c.Pool.MinIdle, c.Pool.MaxSize = 0, 0 },
			want:   []string{"pool.max_size (0) must be >= 1"},
		},
		{
			name:   "min_idle above max_size",
			change: func(c *Config) { c.Pool.MinIdle, c.Pool.MaxSize = 5, 2 },
			want:   []string{"pool.min_idle (5) must be <= pool.max_size (2)"},
		},
		{
			name:   "min_idle equal to max_size accepted",
			change: func(c *Config) { c.Pool.MinIdle, c.Pool.MaxSize = 3, 3 },
		},
		{
			name:   "exhaustion",
			change: func(c *Config) { c.Pool.Exhaustion = "block" },
			want:   []string{`pool.exhaustion ("block") must be one of wait, fail_fast, temporary`},
		},
		{
			name: "pool durations",
			change: func(c *Config) {
				c.Pool.AcquireTimeout = 0
				c.Pool.MaxLifetime = -time.Second
				c.Pool.HealthCheckInterval = 0
			},
			want: []string{
				"pool.acquire_timeout (0s) must be > 0",
				"pool.max_lifetime (-1s) must be > 0",
				"pool.health_check_interval (0s) must be > 0",
			},
		},
		{
			name:   "memory below the engine minimum",
			change: func(c *Config) { c.Sandbox.MemoryBytes = 512 },
			want:   []string{"sandbox.memory (512) must be >= 6MiB, the smallest limit Docker accepts. A number without a unit is bytes, so write 512MiB for 512 mebibytes"},
		},
		{
			name:   "memory at the engine minimum accepted",
			change: func(c *Config) { c.Sandbox.MemoryBytes = 6 * MiB },
		},
		{
			name:   "cpus zero",
			change: func(c *Config) { c.Sandbox.CPUs = 0 },
			want:   []string{"sandbox.cpus (0) must be >= 0.01"},
		},
		{
			name:   "cpus NaN",
			change: func(c *Config) { c.Sandbox.CPUs = math.NaN() },
			want:   []string{"sandbox.cpus (NaN) must be >= 0.01"},
		},
		{
			name:   "cpus fraction accepted",
			change: func(c *Config) { c.Sandbox.CPUs = 0.01 },
		},
		{
			name: "limits",
			change: func(c *Config) {
				c.Sandbox.Pids = 0
				c.Sandbox.NoFile = -1
				c.Sandbox.WorkDirBytes = 0
				c.Sandbox.TmpBytes = 0
				c.Sandbox.OutputBytes = -1024
				c.Sandbox.CodeBytes = 0
			},
			want: []string{
				"sandbox.pids (0) must be >= 1",
				"sandbox.nofile (-1) must be >= 1",
				"sandbox.workdir_size (0) must be >= 1",
				"sandbox.tmp_size (0) must be >= 1",
				"sandbox.output_bytes (-1KiB) must be >= 1",
				"sandbox.code_bytes (0) must be >= 1",
			},
		},
		{
			name:   "timeouts zero",
			change: func(c *Config) { c.Sandbox.DefaultTimeout, c.Sandbox.MaxTimeout = 0, 0 },
			want: []string{
				"sandbox.default_timeout (0s) must be > 0",
				"sandbox.max_timeout (0s) must be > 0",
			},
		},
		{
			name: "packages",
			change: func(c *Config) {
				c.Packages.Timeout = 0
				c.Packages.MaxPackages = 0
				c.Packages.MaxBytes = 0
				c.Packages.Pip.IndexURL = "ftp://mirror/simple"
				c.Packages.Pip.ExtraIndexURLs = "http://ok/simple not-a-url"
				c.Packages.Npm.Registry = "http://"
			},
			want: []string{
				"packages.timeout (0s) must be > 0",
				"packages.max_packages (0) must be >= 1",
				"packages.max_size (0) must be >= 1",
				`packages.pip.index_url ("ftp://mirror/simple") must be an http or https URL`,
				`packages.pip.extra_index_urls ("not-a-url") must be an http or https URL`,
				`packages.npm.registry ("http://") must be an http or https URL`,
			},
		},
		{
			name:   "default_timeout above max_timeout",
			change: func(c *Config) { c.Sandbox.DefaultTimeout = 10 * time.Minute },
			want:   []string{"sandbox.default_timeout (10m) must be <= sandbox.max_timeout (5m)"},
		},
		{
			name: "other durations",
			change: func(c *Config) {
				c.Conversation.IdleTimeout = 0
				c.Conversation.MaxAge = 0
				c.Reaper.Interval = 0
				c.HTTP.SessionIdleTimeout = -time.Minute
			},
			want: []string{
				"conversation.idle_timeout (0s) must be > 0",
				"conversation.max_age (0s) must be > 0",
				"reaper.interval (0s) must be > 0",
				"http.session_idle_timeout (-1m) must be > 0",
			},
		},
		{
			name:   "plot format",
			change: func(c *Config) { c.Plots.Format = "jpeg" },
			want:   []string{`plots.format ("jpeg") must be one of png, svg`},
		},
		{
			name:   "plot format svg accepted",
			change: func(c *Config) { c.Plots.Format = "svg" },
		},
		{
			name: "plot limits",
			change: func(c *Config) {
				c.Plots.MaxSide = 0
				c.Plots.ImageBytes = 0
				c.Plots.ImagesPerResult = -1
				c.Plots.ResultBytes = 0
				c.Plots.KeptPerConversation = 0
				c.Plots.KeptBytesPerConversation = 0
				c.Plots.RunBytes = 0
			},
			want: []string{
				"plots.max_side (0) must be >= 1",
				"plots.image_bytes (0) must be >= 1",
				"plots.images_per_result (-1) must be >= 1",
				"plots.result_bytes (0) must be >= 1",
				"plots.kept_per_conversation (0) must be >= 1",
				"plots.kept_bytes_per_conversation (0) must be >= 1",
				"plots.run_bytes (0) must be >= 1",
			},
		},
		{
			name:   "plot limits of one accepted",
			change: func(c *Config) { c.Plots.MaxSide, c.Plots.ImagesPerResult, c.Plots.KeptPerConversation = 1, 1, 1 },
		},
		{
			name:   "unknown runtime",
			change: func(c *Config) { c.Runtimes = map[string]Runtime{"ruby": {}} },
			want:   []string{`runtimes.ruby: unknown runtime "ruby"; known runtimes: javascript, python`},
		},
		{
			name:   "runtime alias",
			change: func(c *Config) { c.Runtimes = map[string]Runtime{"py": {}} },
			want:   []string{`runtimes.py: "py" is an alias; write the runtime name "python"`},
		},
		{
			name: "every runtime disabled",
			change: func(c *Config) {
				c.Runtimes = map[string]Runtime{"python": {Enabled: new(false)}, "javascript": {Enabled: new(false)}}
			},
			want: []string{"runtimes: every runtime is disabled; enable at least one of javascript, python"},
		},
		{
			name:   "one runtime disabled accepted",
			change: func(c *Config) { c.Runtimes = map[string]Runtime{"javascript": {Enabled: new(false)}} },
		},
		{
			name: "runtime values",
			change: func(c *Config) {
				c.Runtimes = map[string]Runtime{"python": {
					Pool:    PoolOverride{MaxSize: new(0), Exhaustion: new(Exhaustion("queue")), AcquireTimeout: new(time.Duration(0))},
					Sandbox: SandboxOverride{MemoryBytes: new(int64(1024)), CPUs: new(0.0), Pids: new(int64(0))},
				}}
			},
			want: []string{
				"runtimes.python.pool.max_size (0) must be >= 1",
				"pool.min_idle (2) must be <= runtimes.python.pool.max_size (0)",
				"runtimes.python.pool.acquire_timeout (0s) must be > 0",
				`runtimes.python.pool.exhaustion ("queue") must be one of wait, fail_fast, temporary`,
				"runtimes.python.sandbox.memory (1KiB) must be >= 6MiB, the smallest limit Docker accepts. A number without a unit is bytes, so write 512MiB for 512 mebibytes",
				"runtimes.python.sandbox.cpus (0) must be >= 0.01",
				"runtimes.python.sandbox.pids (0) must be >= 1",
			},
		},
		{
			name: "runtime max_size below inherited min_idle",
			change: func(c *Config) {
				c.Runtimes = map[string]Runtime{"python": {Pool: PoolOverride{MaxSize: new(1)}}}
			},
			want: []string{"pool.min_idle (2) must be <= runtimes.python.pool.max_size (1)"},
		},
		{
			name: "runtime default_timeout above inherited max_timeout",
			change: func(c *Config) {
				c.Runtimes = map[string]Runtime{"javascript": {Sandbox: SandboxOverride{DefaultTimeout: new(time.Hour)}}}
			},
			want: []string{"runtimes.javascript.sandbox.default_timeout (1h) must be <= sandbox.max_timeout (5m)"},
		},
		{
			name: "runtime fixes a top-level conflict",
			change: func(c *Config) {
				c.Pool.MinIdle, c.Pool.MaxSize = 4, 8
				c.Runtimes = map[string]Runtime{"python": {Pool: PoolOverride{MinIdle: new(1), MaxSize: new(2)}}}
			},
		},
		{
			name: "top-level problem reported once",
			change: func(c *Config) {
				c.Pool.AcquireTimeout = 0
				c.Runtimes = map[string]Runtime{"python": {Pool: PoolOverride{MinIdle: new(1)}}, "javascript": {}}
			},
			want: []string{"pool.acquire_timeout (0s) must be > 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := withDefault(tt.change)
			err := c.Validate()
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("Validate() errors mismatch (-want +got):\n%s", diff)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate() = %v, want an error wrapping ErrInvalid", err)
			}
		})
	}
}

// TestParseValidationLines checks that validation problems in a file name the line of the
// key that causes them.
func TestParseValidationLines(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "min_idle above max_size",
			yaml: "backend: docker\npool:\n  min_idle: 5\n  max_size: 2\n",
			want: []string{"config.yaml:3: pool.min_idle (5) must be <= pool.max_size (2)"},
		},
		{
			name: "cross rule located at the key set",
			yaml: "pool:\n  max_size: 1\n",
			want: []string{"config.yaml:2: pool.min_idle (2) must be <= pool.max_size (1)"},
		},
		{
			name: "single keys",
			yaml: "backend: lxc\nsandbox:\n  memory: 512\n  max_timeout: 0s\n",
			want: []string{
				`config.yaml:1: backend ("lxc") must be one of docker, podman, kubernetes`,
				"config.yaml:3: sandbox.memory (512) must be >= 6MiB, the smallest limit Docker accepts. A number without a unit is bytes, so write 512MiB for 512 mebibytes",
				"config.yaml:4: sandbox.max_timeout (0s) must be > 0",
				"config.yaml:4: sandbox.default_timeout (30s) must be <= sandbox.max_timeout (0s)",
			},
		},
		{
			name: "unknown runtime",
			yaml: "runtimes:\n  python: {}\n  rust:\n    enabled: true\n",
			want: []string{`config.yaml:3: runtimes.rust: unknown runtime "rust"; known runtimes: javascript, python`},
		},
		{
			name: "runtime block located at its key, not the top-level key",
			yaml: "pool:\n  min_idle: 3\nruntimes:\n  python:\n    pool:\n      max_size: 2\n",
			want: []string{"config.yaml:6: pool.min_idle (3) must be <= runtimes.python.pool.max_size (2)"},
		},
		{
			name: "every runtime disabled",
			yaml: "runtimes:\n  javascript:\n    enabled: false\n  python:\n    enabled: false\n",
			want: []string{"config.yaml:3: runtimes: every runtime is disabled; enable at least one of javascript, python"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(tt.yaml))
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("Parse(%q) errors mismatch (-want +got):\n%s", tt.yaml, diff)
			}
		})
	}
}
