package config

import (
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const examplePath = "../config.example.yaml"

func readExample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// exampleRuntimes returns the commented runtimes example of config.example.yaml without
// its comment marks: the lines from "# runtimes:" to the end of the file.
func exampleRuntimes(t *testing.T, data []byte) []byte {
	t.Helper()
	_, block, ok := strings.Cut(string(data), "\n# runtimes:\n")
	if !ok {
		t.Fatalf("%s has no line %q", examplePath, "# runtimes:")
	}
	lines := []string{"runtimes:"}
	for line := range strings.Lines(block) {
		lines = append(lines, strings.TrimPrefix(strings.TrimSuffix(line, "\n"), "# "))
	}
	return []byte(strings.Join(lines, "\n"))
}

func TestExampleIsDefault(t *testing.T) {
	got, err := Parse(examplePath, readExample(t))
	if err != nil {
		t.Fatalf("Parse(%s) error = %v", examplePath, err)
	}
	if diff := cmp.Diff(Default(), got); diff != "" {
		t.Errorf("Parse(%s) differs from Default() (-want +got):\n%s", examplePath, diff)
	}
}

func TestExampleRuntimesValid(t *testing.T) {
	block := exampleRuntimes(t, readExample(t))
	c, err := Parse("runtimes example", block)
	if err != nil {
		t.Fatalf("Parse(runtimes example) error = %v\n%s", err, block)
	}
	if got := len(c.EnabledRuntimes()); got != 1 {
		t.Errorf("len(EnabledRuntimes()) = %d, want 1 (the example turns javascript off)", got)
	}
}

// TestExampleHasEveryKey checks that every key of the schema appears in the example, the
// runtimes keys in its commented block. Runtime names are replaced by "*".
func TestExampleHasEveryKey(t *testing.T) {
	data := readExample(t)
	inExample := map[string]bool{}
	for _, doc := range [][]byte{data, exampleRuntimes(t, data)} {
		var root yaml.Node
		if err := yaml.Unmarshal(doc, &root); err != nil {
			t.Fatal(err)
		}
		collectYAMLKeys(root.Content[0], "", inExample)
	}

	schema, err := Schema()
	if err != nil {
		t.Fatalf("Schema() error = %v", err)
	}
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	inSchema := map[string]bool{}
	collectSchemaKeys(root, "", inSchema)

	for key := range inSchema {
		if !inExample[key] {
			t.Errorf("%s has no key %s", examplePath, key)
		}
	}
	if len(inSchema) < 40 {
		t.Errorf("Schema() has %d keys, want at least 40", len(inSchema))
	}
}

var runtimeName = regexp.MustCompile(`^runtimes\.[a-z]+`)

func collectYAMLKeys(n *yaml.Node, prefix string, keys map[string]bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := runtimeName.ReplaceAllString(joinKey(prefix, n.Content[i].Value), "runtimes.*")
		keys[key] = true
		collectYAMLKeys(n.Content[i+1], key, keys)
	}
}

func collectSchemaKeys(s map[string]any, prefix string, keys map[string]bool) {
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		key := runtimeName.ReplaceAllString(joinKey(prefix, name), "runtimes.*")
		keys[key] = true
		collectSchemaKeys(p.(map[string]any), key, keys)
	}
}

func TestSchema(t *testing.T) {
	data, err := Schema()
	if err != nil {
		t.Fatalf("Schema() error = %v", err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	walkSchemaObjects(root, "", func(key string, s map[string]any) {
		if s["additionalProperties"] != false {
			t.Errorf("schema of %q: additionalProperties = %v, want false", key, s["additionalProperties"])
		}
		for name, p := range s["properties"].(map[string]any) {
			if d, _ := p.(map[string]any)["description"].(string); d == "" {
				t.Errorf("schema of %s has no description", joinKey(key, name))
			}
		}
	})

	tests := []struct {
		path []string
		want map[string]any
	}{
		{
			path: []string{"backend"},
			want: map[string]any{"enum": []any{"docker", "podman", "kubernetes"}, "default": "docker"},
		},
		{
			path: []string{"pool", "min_idle"},
			want: map[string]any{"type": "integer", "minimum": 0.0, "default": 2.0},
		},
		{
			path: []string{"pool", "exhaustion"},
			want: map[string]any{"enum": []any{"wait", "fail_fast", "temporary"}, "default": "wait"},
		},
		{
			path: []string{"pool", "prewarm"},
			want: map[string]any{"type": "boolean", "default": true},
		},
		{
			path: []string{"sandbox", "max_timeout"},
			want: map[string]any{"type": "string", "pattern": durationPattern, "default": "5m"},
		},
		{
			path: []string{"sandbox", "memory"},
			want: map[string]any{
				"default": "512MiB",
				"anyOf": []any{
					map[string]any{"type": "string", "pattern": sizePattern},
					map[string]any{"type": "integer", "minimum": 6291456.0},
				},
			},
		},
		{
			path: []string{"plots", "format"},
			want: map[string]any{"enum": []any{"png", "svg"}, "default": "png"},
		},
		{
			path: []string{"plots", "max_side"},
			want: map[string]any{"type": "integer", "minimum": 1.0, "default": 1568.0},
		},
		{
			path: []string{"plots", "result_bytes"},
			want: map[string]any{
				"default": "512KiB",
				"anyOf": []any{
					map[string]any{"type": "string", "pattern": sizePattern},
					map[string]any{"type": "integer", "minimum": 1.0},
				},
			},
		},
		{
			path: []string{"runtimes", "python", "pool", "max_size"},
			want: map[string]any{"type": "integer", "minimum": 1.0, "default": nil},
		},
		{
			path: []string{"runtimes", "javascript", "sandbox", "output_bytes"},
			want: map[string]any{"default": nil, "anyOf": []any{
				map[string]any{"type": "string", "pattern": sizePattern},
				map[string]any{"type": "integer", "minimum": 1.0},
			}},
		},
	}
	for _, tt := range tests {
		p := schemaAt(root, tt.path)
		for field, want := range tt.want {
			if diff := cmp.Diff(want, p[field]); diff != "" {
				t.Errorf("schema of %s: %s mismatch (-want +got):\n%s", strings.Join(tt.path, "."), field, diff)
			}
		}
	}
}

func TestSchemaPatterns(t *testing.T) {
	sizes, durations := regexp.MustCompile(sizePattern), regexp.MustCompile(durationPattern)
	for _, s := range []string{"1", "64KiB", "512MiB", "1.5GiB", "2 TiB", "100B"} {
		if _, err := ParseSize(s); err != nil || !sizes.MatchString(s) {
			t.Errorf("size %q: ParseSize error = %v, pattern match = %v; want both to accept it", s, err, sizes.MatchString(s))
		}
	}
	for _, s := range []string{"30s", "5m", "1h30m", "1.5h", "300ms", "10us", ".5s"} {
		if _, err := parseDuration(s); err != nil || !durations.MatchString(s) {
			t.Errorf("duration %q: parseDuration error = %v, pattern match = %v; want both to accept it", s, err, durations.MatchString(s))
		}
	}
	for _, s := range []string{"30", "-5s", "5 m", "1d"} {
		if durations.MatchString(s) {
			t.Errorf("duration pattern matches %q, want no match", s)
		}
	}
}

func schemaAt(s map[string]any, path []string) map[string]any {
	for _, name := range path {
		s = s["properties"].(map[string]any)[name].(map[string]any)
	}
	return s
}

// walkSchemaObjects calls visit for each object schema with properties, with its key path.
func walkSchemaObjects(s map[string]any, key string, visit func(key string, s map[string]any)) {
	props, ok := s["properties"].(map[string]any)
	if !ok {
		return
	}
	visit(key, s)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		walkSchemaObjects(props[name].(map[string]any), joinKey(key, name), visit)
	}
}

// TestMarshalRoundTrip checks that yaml.Marshal of a Config, as a "show the effective
// configuration" command would print it, parses back to the same Config.
func TestMarshalRoundTrip(t *testing.T) {
	c := Default()
	c.Runtimes = map[string]Runtime{
		"python": {
			Image:   "my/python:1",
			Pool:    PoolOverride{MinIdle: new(1), Exhaustion: new(ExhaustionFailFast)},
			Sandbox: SandboxOverride{MemoryBytes: new(GiB), DefaultTimeout: new(c.Sandbox.MaxTimeout)},
		},
		"javascript": {Enabled: new(false)},
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		t.Fatalf("yaml.Marshal() error = %v", err)
	}
	got, err := Parse("marshaled", data)
	if err != nil {
		t.Fatalf("Parse(yaml.Marshal(c)) error = %v\n%s", err, data)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Parse(yaml.Marshal(c)) mismatch (-want +got):\n%s", diff)
	}
}
