package config

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// compileSchema compiles Schema with an independent JSON Schema implementation.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := Schema()
	if err != nil {
		t.Fatalf("Schema() error = %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("config.schema.json")
	if err != nil {
		t.Fatalf("compiling Schema(): %v", err)
	}
	return s
}

// yamlToJSON returns the YAML document in data as a JSON value for the validator.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSchemaValidatesExample(t *testing.T) {
	s := compileSchema(t)
	data := readExample(t)
	for name, doc := range map[string][]byte{"example": data, "runtimes example": exampleRuntimes(t, data)} {
		if err := s.Validate(yamlToJSON(t, doc)); err != nil {
			t.Errorf("schema rejects the %s: %v", name, err)
		}
	}
}

func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	tests := []struct {
		name string
		yaml string
	}{
		{name: "unknown key", yaml: "pool:\n  min_idel: 1\n"},
		{name: "unknown runtime", yaml: "runtimes:\n  ruby: {}\n"},
		{name: "unknown runtime key", yaml: "runtimes:\n  python:\n    pool:\n      size: 1\n"},
		{name: "decimal size unit", yaml: "sandbox:\n  memory: 512MB\n"},
		{name: "memory below minimum", yaml: "sandbox:\n  memory: 512\n"},
		{name: "duration without unit", yaml: "pool:\n  acquire_timeout: \"30\"\n"},
		{name: "exhaustion", yaml: "pool:\n  exhaustion: block\n"},
		{name: "backend", yaml: "backend: lxc\n"},
		{name: "max_size zero", yaml: "runtimes:\n  python:\n    pool:\n      max_size: 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Validate(yamlToJSON(t, []byte(tt.yaml))); err == nil {
				t.Errorf("schema accepts %q, want it rejected", tt.yaml)
			}
		})
	}
}
