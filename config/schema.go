package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// Schema returns the JSON Schema (draft 2020-12) of the configuration file, indented.
// Every key has a description, and keys outside runtimes have their Default value.
// Durations are strings with a pattern. Sizes are strings with a pattern or integer numbers
// of bytes. Unknown keys are not allowed. The schema rejects null values, which the parser
// accepts as unset keys.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		DoNotReference:             true,
		ExpandedStruct:             true,
		RequiredFromJSONSchemaTags: true,
		Anonymous:                  true,
		Mapper:                     durationSchema,
	}
	s := r.Reflect(&Config{})
	s.Title = "sandbox-mcp configuration"
	s.Description = "Configuration file of the sandbox-mcp server. Every key is optional."
	annotate(s, reflect.ValueOf(Default()), "")
	describeRuntimes(s)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	return data, nil
}

// durationSchema maps time.Duration, which invopop/jsonschema reflects as an integer, to a
// duration string.
func durationSchema(t reflect.Type) *jsonschema.Schema {
	if t != durationType {
		return nil
	}
	return &jsonschema.Schema{Type: "string", Pattern: durationPattern}
}

// enums lists the allowed values of the string keys that have a fixed set.
var enums = map[string][]any{
	"backend":                      toAny(backends),
	"kubernetes.image_pull_policy": toAny(pullPolicies),
	"pool.exhaustion":              toAny(exhaustions),
	"plots.format":                 toAny(plotFormats),
}

// annotate adds defaults, enums and size schemas to the properties of s, the schema of the
// struct value def, whose key path is prefix.
func annotate(s *jsonschema.Schema, def reflect.Value, prefix string) {
	for _, f := range fieldsOf(def.Type()) {
		key, v := joinKey(prefix, f.key), def.Field(f.index)
		p, _ := s.Properties.Get(f.key)
		switch {
		case v.Kind() == reflect.Struct:
			annotate(p, v, key)
		case v.Kind() == reflect.Map, v.Kind() == reflect.Slice:
			// runtimes: see describeRuntimes; the others default to empty
		case f.size:
			*p = *sizeSchema(p)
			p.Default = FormatSize(v.Int())
		case v.Type() == durationType:
			p.Default = formatDuration(time.Duration(v.Int()))
		default:
			p.Default = v.Interface()
			p.Enum = enums[key]
		}
	}
}

// sizeSchema returns a size string or integer schema with the description and minimum of p.
func sizeSchema(p *jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: p.Description,
		AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: sizePattern},
			{Type: "integer", Minimum: p.Minimum},
		},
	}
}

// describeRuntimes replaces the reflected runtimes map with one property per runtime name.
// The keys of a runtime's pool and sandbox blocks are those of the top-level blocks, without
// defaults, since a key left out inherits.
func describeRuntimes(root *jsonschema.Schema) {
	rs, _ := root.Properties.Get("runtimes")
	entry := rs.AdditionalProperties
	for _, name := range []string{"pool", "sandbox"} {
		base, _ := root.Properties.Get(name)
		p, _ := entry.Properties.Get(name)
		inheritProperties(p, base, name)
	}
	rs.AdditionalProperties = jsonschema.FalseSchema
	rs.Properties = jsonschema.NewProperties()
	for _, name := range runtimes.Names() {
		e := *entry
		e.Description = "Settings of the " + name + " runtime."
		rs.Properties.Set(name, &e)
	}
}

// inheritProperties sets the properties of s to copies of those of base without defaults.
func inheritProperties(s, base *jsonschema.Schema, block string) {
	s.Properties = jsonschema.NewProperties()
	for key, value := range base.Properties.FromOldest() {
		p := *value
		p.Default = nil
		p.Description += " Left out, it inherits " + joinKey(block, key) + "."
		s.Properties.Set(key, &p)
	}
}

func toAny[T any](values []T) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}
