package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path over Default, applies the SANDBOX_MCP_*
// environment variables of the process, and validates the result. An empty path skips
// the file. Problems in the configuration wrap ErrInvalid and are joined with
// errors.Join, each naming its key and its file line or environment variable.
func Load(path string) (Config, error) {
	return LoadWithEnv(path, os.LookupEnv)
}

// LoadWithEnv is Load with lookupEnv, which has the signature of os.LookupEnv, in place
// of the process environment.
func LoadWithEnv(path string, lookupEnv func(string) (string, bool)) (Config, error) {
	c, origins := Default(), map[string]string{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("reading config file: %w", err)
		}
		if err := decode(path, data, &c, origins); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&c, lookupEnv, origins); err != nil {
		return Config{}, err
	}
	if err := c.validate(origins); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Parse decodes data, the contents of the file called name, over Default and validates the
// result. It reads no environment variable. Name prefixes the line numbers in errors.
func Parse(name string, data []byte) (Config, error) {
	c, origins := Default(), map[string]string{}
	if err := decode(name, data, &c, origins); err != nil {
		return Config{}, err
	}
	if err := c.validate(origins); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decode sets the keys that data sets in c, and records each key's file position in
// origins. A null value leaves the key as it was.
func decode(name string, data []byte, c *Config, origins map[string]string) error {
	root, err := parseDocument(name, data)
	if root == nil || err != nil {
		return err
	}
	d := decoder{name: name, origins: origins}
	d.value(root, reflect.ValueOf(c).Elem(), "", false)
	return errors.Join(d.errs...)
}

// parseDocument returns the root node of data's single YAML document, or nil for an empty file.
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	err := dec.Decode(&doc)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, &problem{where: name, msg: err.Error()}
	}

	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &problem{where: fmt.Sprintf("%s:%d", name, next.Line), msg: "found a second YAML document, but the file must contain only one"}
	case err != io.EOF:
		return nil, &problem{where: name, msg: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// decoder walks a YAML node tree into a Config. It matches keys by the yaml struct tags,
// collects every problem instead of stopping at the first, and records key positions.
type decoder struct {
	name    string
	origins map[string]string // key path to "name:line"
	errs    []error
}

func (d *decoder) at(n *yaml.Node) string {
	return fmt.Sprintf("%s:%d", d.name, n.Line)
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &problem{where: d.at(n), msg: fmt.Sprintf(format, args...)})
}

// value decodes n into v; key is n's dotted key path and size marks a size field.
func (d *decoder) value(n *yaml.Node, v reflect.Value, key string, size bool) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.value(n, elem.Elem(), key, size)
		v.Set(elem)
	case reflect.Struct:
		d.mapping(n, key, func(k *yaml.Node, val *yaml.Node) { d.structField(k, val, v, key) })
	case reflect.Map:
		d.mapping(n, key, func(k *yaml.Node, val *yaml.Node) { d.mapEntry(k, val, v, key) })
	case reflect.Slice:
		d.sequence(n, v, key)
	default:
		d.scalar(n, v, key, size)
	}
}

// mapping calls visit for each key and value of the mapping n, rejecting duplicate keys.
func (d *decoder) mapping(n *yaml.Node, key string, visit func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s must be a mapping of keys, not %s", describeKey(key), describeNode(n))
		return
	}
	firstLines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if line, ok := firstLines[k.Value]; ok {
			d.fail(k, "duplicate key %s (first set at line %d)", joinKey(key, k.Value), line)
			continue
		}
		firstLines[k.Value] = k.Line
		visit(k, n.Content[i+1])
	}
}

func (d *decoder) structField(k, val *yaml.Node, v reflect.Value, prefix string) {
	key := joinKey(prefix, k.Value)
	fields := fieldsOf(v.Type())
	i := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Value })
	if i < 0 {
		d.fail(k, "unknown key %s; valid keys in %s: %s", key, describeKey(prefix), strings.Join(keysOf(fields), ", "))
		return
	}
	d.origins[key] = d.at(k)
	d.value(val, v.Field(fields[i].index), key, fields[i].size)
}

// sequence decodes the sequence n into the slice v, one element per item, replacing what v
// held. An empty sequence leaves v nil.
func (d *decoder) sequence(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "%s must be a list, not %s", describeKey(key), describeNode(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero()
		return
	}
	items := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, items.Index(i), fmt.Sprintf("%s[%d]", key, i), false)
	}
	v.Set(items)
}

// mapEntry decodes one entry of a map, such as a runtime block. Runtime names are checked
// by Validate.
func (d *decoder) mapEntry(k, val *yaml.Node, m reflect.Value, prefix string) {
	key := joinKey(prefix, k.Value)
	if m.IsNil() {
		m.Set(reflect.MakeMap(m.Type()))
	}
	elem := reflect.New(m.Type().Elem()).Elem()
	d.origins[key] = d.at(k)
	d.value(val, elem, key, false)
	m.SetMapIndex(reflect.ValueOf(k.Value), elem)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, key string, size bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, "%s must be a single value, not %s", key, describeNode(n))
		return
	}
	parsed, err := parseValue(n.Value, v.Type(), size)
	if err != nil {
		d.fail(n, "%s: %v", key, err)
		return
	}
	v.Set(parsed)
}

func keysOf(fields []field) []string {
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		keys = append(keys, f.key)
	}
	slices.Sort(keys)
	return keys
}

func describeKey(key string) string {
	if key == "" {
		return "the top level"
	}
	return key
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}
