package config

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lookupIn returns a lookup function, like os.LookupEnv, over env.
func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{name: "none", env: nil, want: Default()},
		{
			name: "common keys",
			env: map[string]string{
				"SANDBOX_MCP_BACKEND":                   "podman",
				"SANDBOX_MCP_DOCKER_HOST":               "unix:///run/podman/podman.sock",
				"SANDBOX_MCP_POOL_MIN_IDLE":             "1",
				"SANDBOX_MCP_POOL_MAX_SIZE":             "3",
				"SANDBOX_MCP_POOL_EXHAUSTION":           "fail_fast",
				"SANDBOX_MCP_POOL_ACQUIRE_TIMEOUT":      "5s",
				"SANDBOX_MCP_POOL_PREWARM":              "false",
				"SANDBOX_MCP_SANDBOX_MEMORY":            "1GiB",
				"SANDBOX_MCP_SANDBOX_DEFAULT_TIMEOUT":   "10s",
				"SANDBOX_MCP_SANDBOX_MAX_TIMEOUT":       "1m",
				"SANDBOX_MCP_CONVERSATION_IDLE_TIMEOUT": "15m",
				"SANDBOX_MCP_CONVERSATION_MAX_AGE":      "2h",
			},
			want: withDefault(func(c *Config) {
				c.Backend = "podman"
				c.Docker.Host = "unix:///run/podman/podman.sock"
				c.Pool.MinIdle = 1
				c.Pool.MaxSize = 3
				c.Pool.Exhaustion = ExhaustionFailFast
				c.Pool.AcquireTimeout = 5 * time.Second
				c.Pool.Prewarm = false
				c.Sandbox.MemoryBytes = GiB
				c.Sandbox.DefaultTimeout = 10 * time.Second
				c.Sandbox.MaxTimeout = time.Minute
				c.Conversation.IdleTimeout = 15 * time.Minute
				c.Conversation.MaxAge = 2 * time.Hour
			}),
		},
		{
			name: "other keys",
			env: map[string]string{
				"SANDBOX_MCP_SANDBOX_CPUS":                  "0.25",
				"SANDBOX_MCP_SANDBOX_OUTPUT_BYTES":          "4096",
				"SANDBOX_MCP_SANDBOX_OCI_RUNTIME":           "runsc",
				"SANDBOX_MCP_REAPER_INTERVAL":               "5m",
				"SANDBOX_MCP_HTTP_SESSION_IDLE_TIMEOUT":     "1h",
				"SANDBOX_MCP_POOL_HEALTH_CHECK_INTERVAL":    "10s",
				"SANDBOX_MCP_RUNTIMES_PYTHON_POOL_MIN_IDLE": "7", // runtimes have no variables
			},
			want: withDefault(func(c *Config) {
				c.Sandbox.CPUs = 0.25
				c.Sandbox.OutputBytes = 4 * KiB
				c.Sandbox.OCIRuntime = "runsc"
				c.Reaper.Interval = 5 * time.Minute
				c.HTTP.SessionIdleTimeout = time.Hour
				c.Pool.HealthCheckInterval = 10 * time.Second
			}),
		},
		{
			name: "plot keys",
			env: map[string]string{
				"SANDBOX_MCP_PLOTS_FORMAT":                      "svg",
				"SANDBOX_MCP_PLOTS_MAX_SIDE":                    "800",
				"SANDBOX_MCP_PLOTS_IMAGE_BYTES":                 "256KiB",
				"SANDBOX_MCP_PLOTS_IMAGES_PER_RESULT":           "3",
				"SANDBOX_MCP_PLOTS_RESULT_BYTES":                "1MiB",
				"SANDBOX_MCP_PLOTS_KEPT_PER_CONVERSATION":       "10",
				"SANDBOX_MCP_PLOTS_KEPT_BYTES_PER_CONVERSATION": "8MiB",
				"SANDBOX_MCP_PLOTS_RUN_BYTES":                   "4MiB",
			},
			want: withDefault(func(c *Config) {
				c.Plots = Plots{
					Format:                   "svg",
					MaxSide:                  800,
					ImageBytes:               256 * KiB,
					ImagesPerResult:          3,
					ResultBytes:              MiB,
					KeptPerConversation:      10,
					KeptBytesPerConversation: 8 * MiB,
					RunBytes:                 4 * MiB,
				}
			}),
		},
		{
			name: "empty values ignored",
			env:  map[string]string{"SANDBOX_MCP_POOL_MAX_SIZE": "", "SANDBOX_MCP_BACKEND": ""},
			want: Default(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadWithEnv("", lookupIn(tt.env))
			if err != nil {
				t.Fatalf("LoadWithEnv(%v) error = %v", tt.env, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadWithEnv(%v) mismatch (-want +got):\n%s", tt.env, diff)
			}
		})
	}
}

func TestEnvBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "integer",
			env:  map[string]string{"SANDBOX_MCP_POOL_MIN_IDLE": "two"},
			want: []string{`SANDBOX_MCP_POOL_MIN_IDLE: pool.min_idle: invalid integer "two"`},
		},
		{
			name: "duration",
			env:  map[string]string{"SANDBOX_MCP_POOL_ACQUIRE_TIMEOUT": "30"},
			want: []string{`SANDBOX_MCP_POOL_ACQUIRE_TIMEOUT: pool.acquire_timeout: invalid duration "30": want a number with a unit ns, us, ms, s, m or h, such as 30s or 1h30m`},
		},
		{
			name: "size",
			env:  map[string]string{"SANDBOX_MCP_SANDBOX_MEMORY": "1G"},
			want: []string{`SANDBOX_MCP_SANDBOX_MEMORY: sandbox.memory: invalid size "1G": want a number of bytes, or a number with a unit B, KiB, MiB, GiB or TiB, such as 512MiB`},
		},
		{
			name: "boolean",
			env:  map[string]string{"SANDBOX_MCP_POOL_PREWARM": "yes"},
			want: []string{`SANDBOX_MCP_POOL_PREWARM: pool.prewarm: invalid boolean "yes": want true or false`},
		},
		{
			name: "parses but invalid",
			env:  map[string]string{"SANDBOX_MCP_POOL_EXHAUSTION": "block", "SANDBOX_MCP_SANDBOX_MAX_TIMEOUT": "0s"},
			want: []string{
				`SANDBOX_MCP_POOL_EXHAUSTION: pool.exhaustion ("block") must be one of wait, fail_fast, temporary`,
				"SANDBOX_MCP_SANDBOX_MAX_TIMEOUT: sandbox.max_timeout (0s) must be > 0",
				"SANDBOX_MCP_SANDBOX_MAX_TIMEOUT: sandbox.default_timeout (30s) must be <= sandbox.max_timeout (0s)",
			},
		},
		{
			name: "several",
			env:  map[string]string{"SANDBOX_MCP_POOL_MAX_SIZE": "-", "SANDBOX_MCP_SANDBOX_CPUS": "NaN"},
			want: []string{
				`SANDBOX_MCP_POOL_MAX_SIZE: pool.max_size: invalid integer "-"`,
				`SANDBOX_MCP_SANDBOX_CPUS: sandbox.cpus: invalid number "NaN"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadWithEnv("", lookupIn(tt.env))
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("LoadWithEnv(%v) errors mismatch (-want +got):\n%s", tt.env, diff)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("LoadWithEnv(%v) = %v, want an error wrapping ErrInvalid", tt.env, err)
			}
		})
	}
}

func TestEnvVars(t *testing.T) {
	vars := EnvVars()
	if len(vars) != 50 {
		t.Errorf("len(EnvVars()) = %d, want 50 (every key outside runtimes and lists)", len(vars))
	}
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	for _, want := range []string{
		"SANDBOX_MCP_BACKEND", "SANDBOX_MCP_DOCKER_HOST", "SANDBOX_MCP_POOL_MIN_IDLE",
		"SANDBOX_MCP_POOL_MAX_SIZE", "SANDBOX_MCP_POOL_EXHAUSTION", "SANDBOX_MCP_POOL_ACQUIRE_TIMEOUT",
		"SANDBOX_MCP_POOL_PREWARM", "SANDBOX_MCP_SANDBOX_MEMORY", "SANDBOX_MCP_SANDBOX_DEFAULT_TIMEOUT",
		"SANDBOX_MCP_SANDBOX_MAX_TIMEOUT", "SANDBOX_MCP_CONVERSATION_IDLE_TIMEOUT",
		"SANDBOX_MCP_CONVERSATION_MAX_AGE", "SANDBOX_MCP_PLOTS_FORMAT", "SANDBOX_MCP_PLOTS_MAX_SIDE",
		"SANDBOX_MCP_PLOTS_KEPT_BYTES_PER_CONVERSATION",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("EnvVars() has no %s", want)
		}
	}
	if got, want := vars[1], (EnvVar{Name: "SANDBOX_MCP_DOCKER_HOST", Key: "docker.host"}); got != want {
		t.Errorf("EnvVars()[1] = %+v, want %+v", got, want)
	}
}
