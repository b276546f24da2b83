package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// errorLines splits the text of a joined error into its problems.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// withDefault returns Default changed by change.
func withDefault(change func(c *Config)) Config {
	c := Default()
	change(&c)
	return c
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Config
	}{
		{name: "empty file", yaml: "", want: Default()},
		{name: "comments only", yaml: "# nothing\n", want: Default()},
		{name: "null document", yaml: "~\n", want: Default()},
		{
			name: "durations",
			yaml: "pool:\n  acquire_timeout: 1m30s\n  max_lifetime: 1.5h\nconversation:\n  idle_timeout: 500ms\n",
			want: withDefault(func(c *Config) {
				c.Pool.AcquireTimeout = 90 * time.Second
				c.Pool.MaxLifetime = 90 * time.Minute
				c.Conversation.IdleTimeout = 500 * time.Millisecond
			}),
		},
		{
			name: "sizes",
			yaml: "sandbox:\n  memory: 1GiB\n  tmp_size: 1048576\n  output_bytes: 128 KiB\n  code_bytes: \"1.5MiB\"\n",
			want: withDefault(func(c *Config) {
				c.Sandbox.MemoryBytes = GiB
				c.Sandbox.TmpBytes = MiB
				c.Sandbox.OutputBytes = 128 * KiB
				c.Sandbox.CodeBytes = 3 * MiB / 2
			}),
		},
		{
			name: "scalars",
			yaml: "backend: podman\ndocker:\n  host: unix:///run/podman/podman.sock\npool:\n  min_idle: 0\n  exhaustion: temporary\n  prewarm: false\nsandbox:\n  cpus: 0.5\n  oci_runtime: runsc\n",
			want: withDefault(func(c *Config) {
				c.Backend = "podman"
				c.Docker.Host = "unix:///run/podman/podman.sock"
				c.Pool.MinIdle = 0
				c.Pool.Exhaustion = ExhaustionTemporary
				c.Pool.Prewarm = false
				c.Sandbox.CPUs = 0.5
				c.Sandbox.OCIRuntime = "runsc"
			}),
		},
		{name: "null keeps default", yaml: "pool:\n  min_idle:\nsandbox:\n", want: Default()},
		{
			name: "alias",
			yaml: "pool:\n  acquire_timeout: &t 45s\n  health_check_interval: *t\n",
			want: withDefault(func(c *Config) {
				c.Pool.AcquireTimeout = 45 * time.Second
				c.Pool.HealthCheckInterval = 45 * time.Second
			}),
		},
		{
			name: "runtime blocks",
			yaml: "runtimes:\n  python:\n    image: my/python:1\n    pool:\n      min_idle: 1\n    sandbox:\n      memory: 1GiB\n      oci_runtime: \"\"\n  javascript:\n    enabled: false\n",
			want: withDefault(func(c *Config) {
				c.Runtimes = map[string]Runtime{
					"python": {
						Image:   "my/python:1",
						Pool:    PoolOverride{MinIdle: new(1)},
						Sandbox: SandboxOverride{MemoryBytes: new(GiB), OCIRuntime: new("")},
					},
					"javascript": {Enabled: new(false)},
				}
			}),
		},
		{
			name: "empty runtime block",
			yaml: "runtimes:\n  python: {}\n",
			want: withDefault(func(c *Config) { c.Runtimes = map[string]Runtime{"python": {}} }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("config.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.yaml, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.yaml, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "unknown top-level key",
			yaml: "backend: docker\nbackends: podman\n",
			want: []string{"config.yaml:2: unknown key backends; valid keys in the top level: backend, conversation, docker, http, kubernetes, packages, plots, pool, reaper, runtimes, sandbox"},
		},
		{
			name: "unknown nested key",
			yaml: "pool:\n  max_size: 4\n  min_idel: 1\n",
			want: []string{"config.yaml:3: unknown key pool.min_idel; valid keys in pool: acquire_timeout, exhaustion, health_check_interval, max_lifetime, max_size, min_idle, prewarm"},
		},
		{
			name: "unknown key in runtime block",
			yaml: "runtimes:\n  python:\n    sandbox:\n      memroy: 1GiB\n",
			want: []string{"config.yaml:4: unknown key runtimes.python.sandbox.memroy; valid keys in runtimes.python.sandbox: code_bytes, cpus, default_timeout, max_timeout, memory, nofile, oci_runtime, output_bytes, pids, tmp_size, workdir_size"},
		},
		{
			name: "every problem reported",
			yaml: "pol: {}\nsandbox:\n  memory: lots\n  pids: many\n",
			want: []string{
				"config.yaml:1: unknown key pol; valid keys in the top level: backend, conversation, docker, http, kubernetes, packages, plots, pool, reaper, runtimes, sandbox",
				`config.yaml:3: sandbox.memory: invalid size "lots": want a number of bytes, or a number with a unit B, KiB, MiB, GiB or TiB, such as 512MiB`,
				`config.yaml:4: sandbox.pids: invalid integer "many"`,
			},
		},
		{
			name: "duration without unit",
			yaml: "sandbox:\n  default_timeout: 30\n",
			want: []string{`config.yaml:2: sandbox.default_timeout: invalid duration "30": want a number with a unit ns, us, ms, s, m or h, such as 30s or 1h30m`},
		},
		{
			name: "size with decimal unit",
			yaml: "sandbox:\n  memory: 512MB\n",
			want: []string{`config.yaml:2: sandbox.memory: invalid size "512MB": want a number of bytes, or a number with a unit B, KiB, MiB, GiB or TiB, such as 512MiB`},
		},
		{
			name: "size not whole bytes",
			yaml: "sandbox:\n  tmp_size: 0.5\n",
			want: []string{`config.yaml:2: sandbox.tmp_size: invalid size "0.5": not a whole number of bytes`},
		},
		{
			name: "bad boolean",
			yaml: "pool:\n  prewarm: sometimes\n",
			want: []string{`config.yaml:2: pool.prewarm: invalid boolean "sometimes": want true or false`},
		},
		{
			name: "bad number",
			yaml: "sandbox:\n  cpus: .inf\n",
			want: []string{`config.yaml:2: sandbox.cpus: invalid number ".inf"`},
		},
		{
			name: "integer out of range",
			yaml: "pool:\n  max_size: 99999999999999999999\n",
			want: []string{`config.yaml:2: pool.max_size: invalid integer "99999999999999999999"`},
		},
		{
			name: "list for a value",
			yaml: "pool:\n  min_idle: [1, 2]\n",
			want: []string{"config.yaml:2: pool.min_idle must be a single value, not a list"},
		},
		{
			name: "value for a block",
			yaml: "pool: 5\n",
			want: []string{`config.yaml:1: pool must be a mapping of keys, not "5"`},
		},
		{
			name: "list at the top level",
			yaml: "- backend\n",
			want: []string{"config.yaml:1: the top level must be a mapping of keys, not a list"},
		},
		{
			name: "duplicate key",
			yaml: "pool:\n  max_size: 4\n  max_size: 5\n",
			want: []string{"config.yaml:3: duplicate key pool.max_size (first set at line 2)"},
		},
		{
			name: "duplicate runtime",
			yaml: "runtimes:\n  python: {}\n  python: {}\n",
			want: []string{"config.yaml:3: duplicate key runtimes.python (first set at line 2)"},
		},
		{
			name: "second document",
			yaml: "backend: docker\n---\nbackend: podman\n",
			want: []string{"config.yaml:2: found a second YAML document, but the file must contain only one"},
		},
		{
			name: "merge key",
			yaml: "pool:\n  <<: {max_size: 4}\n",
			want: []string{"config.yaml:2: unknown key pool.<<; valid keys in pool: acquire_timeout, exhaustion, health_check_interval, max_lifetime, max_size, min_idle, prewarm"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(tt.yaml))
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("Parse(%q) errors mismatch (-want +got):\n%s", tt.yaml, diff)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) = %v, want an error wrapping ErrInvalid", tt.yaml, err)
			}
		})
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse("config.yaml", []byte("pool:\n  max_size: 4\n bad indent: 1\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "config.yaml: yaml: line ") {
		t.Errorf(`Parse(bad indentation) = %v, want an error starting "config.yaml: yaml: line "`, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Parse(bad indentation) = %v, want an error wrapping ErrInvalid", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("pool:\n  max_size: 4\n  min_idle: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SANDBOX_MCP_POOL_MIN_IDLE": "3"}
	got, err := LoadWithEnv(path, lookupIn(env))
	if err != nil {
		t.Fatalf("LoadWithEnv(%q) error = %v", path, err)
	}
	want := withDefault(func(c *Config) {
		c.Pool.MaxSize = 4
		c.Pool.MinIdle = 3
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadWithEnv(%q) mismatch (-want +got):\n%s", path, diff)
	}
}

func TestLoadWithoutFile(t *testing.T) {
	got, err := LoadWithEnv("", lookupIn(map[string]string{"SANDBOX_MCP_BACKEND": "podman"}))
	if err != nil {
		t.Fatalf(`LoadWithEnv("") error = %v`, err)
	}
	if diff := cmp.Diff(withDefault(func(c *Config) { c.Backend = "podman" }), got); diff != "" {
		t.Errorf(`LoadWithEnv("") mismatch (-want +got):\n%s`, diff)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := LoadWithEnv(path, lookupIn(nil))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadWithEnv(%q) = %v, want an error wrapping fs.ErrNotExist", path, err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Errorf("LoadWithEnv(%q) = %v, want an error not wrapping ErrInvalid", path, err)
	}
}

// TestLoadValidationOrigins checks that a validation problem caused by an environment variable
// names the variable, and one caused by the file names the line.
func TestLoadValidationOrigins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("pool:\n  max_size: 2\nsandbox:\n  max_timeout: 10s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SANDBOX_MCP_POOL_MIN_IDLE": "5"}
	_, err := LoadWithEnv(path, lookupIn(env))
	want := []string{
		"SANDBOX_MCP_POOL_MIN_IDLE: pool.min_idle (5) must be <= pool.max_size (2)",
		path + ":4: sandbox.default_timeout (30s) must be <= sandbox.max_timeout (10s)",
	}
	if diff := cmp.Diff(want, errorLines(err)); diff != "" {
		t.Errorf("LoadWithEnv(%q) errors mismatch (-want +got):\n%s", path, diff)
	}
}

func TestParseKubernetes(t *testing.T) {
	data := "backend: kubernetes\nkubernetes:\n  node_selector: {pool: sandboxes}\n  tolerations:\n    - key: dedicated\n      operator: Equal\n      value: sandbox\n      effect: NoSchedule\n    - operator: Exists\n      toleration_seconds: 30\n"
	got, err := Parse("config.yaml", []byte(data))
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	want := []Toleration{
		{Key: "dedicated", Operator: "Equal", Value: "sandbox", Effect: "NoSchedule"},
		{Operator: "Exists", TolerationSeconds: new(int64(30))},
	}
	if diff := cmp.Diff(want, got.Kubernetes.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"pool": "sandboxes"}, got.Kubernetes.NodeSelector); diff != "" {
		t.Errorf("node_selector (-want +got):\n%s", diff)
	}
}

func TestParseKubernetesErrors(t *testing.T) {
	data := "kubernetes:\n  image_pull_policy: Sometimes\n  tolerations:\n    - operator: Exists\n      value: x\n      effect: Later\n    - just a string\n"
	_, err := Parse("config.yaml", []byte(data))
	want := []string{
		`config.yaml:7: kubernetes.tolerations[1] must be a mapping of keys, not "just a string"`,
	}
	if diff := cmp.Diff(want, errorLines(err)); diff != "" {
		t.Errorf("Parse() errors mismatch (-want +got):\n%s", diff)
	}

	data = "kubernetes:\n  image_pull_policy: Sometimes\n  tolerations:\n    - operator: Exists\n      value: x\n      effect: Later\n"
	_, err = Parse("config.yaml", []byte(data))
	want = []string{
		`config.yaml:2: kubernetes.image_pull_policy ("Sometimes") must be one of IfNotPresent, Never, Always`,
		`config.yaml:6: kubernetes.tolerations[0].effect ("Later") must be one of NoSchedule, PreferNoSchedule, NoExecute`,
		`config.yaml:5: kubernetes.tolerations[0].value must be empty when the operator is Exists`,
	}
	if diff := cmp.Diff(want, errorLines(err)); diff != "" {
		t.Errorf("Parse() errors mismatch (-want +got):\n%s", diff)
	}
}
