package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// EnvPrefix starts the name of every environment variable that overrides a key.
const EnvPrefix = "SANDBOX_MCP_"

// EnvVar is an environment variable that overrides one key of the file.
type EnvVar struct {
	// Name is the variable's name, such as SANDBOX_MCP_POOL_MIN_IDLE.
	Name string
	// Key is the dotted key path it sets, such as pool.min_idle.
	Key string
}

// EnvVars returns the environment variables Load reads, in the order of the keys in the
// file. Every key outside runtimes has one, named EnvPrefix followed by the key path in
// upper case with dots replaced by underscores. A variable set to the empty string is ignored.
// Values take the syntax of the file, such as 512MiB, 30s or true.
func EnvVars() []EnvVar {
	var vars []EnvVar
	c := Default()
	walkLeaves(reflect.ValueOf(&c).Elem(), "", func(key string, _ reflect.Value, _ bool) {
		vars = append(vars, EnvVar{Name: envName(key), Key: key})
	})
	return vars
}

func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// applyEnv sets each key whose environment variable is set and not empty, and records the
// variable's name in origins.
func applyEnv(c *Config, lookupEnv func(string) (string, bool), origins map[string]string) error {
	var errs []error
	walkLeaves(reflect.ValueOf(c).Elem(), "", func(key string, v reflect.Value, size bool) {
		name := envName(key)
		text, ok := lookupEnv(name)
		if !ok || text == "" {
			return
		}
		parsed, err := parseValue(text, v.Type(), size)
		if err != nil {
			errs = append(errs, &problem{where: name, msg: fmt.Sprintf("%s: %v", key, err)})
			return
		}
		v.Set(parsed)
		origins[key] = name
	})
	return errors.Join(errs...)
}

// walkLeaves calls visit for each single-value key under the struct v, depth first in
// declaration order. It skips maps and lists, so runtimes has no leaves.
func walkLeaves(v reflect.Value, prefix string, visit func(key string, v reflect.Value, size bool)) {
	for _, f := range fieldsOf(v.Type()) {
		key, fv := joinKey(prefix, f.key), v.Field(f.index)
		switch {
		case fv.Kind() == reflect.Struct:
			walkLeaves(fv, key, visit)
		case fv.Kind() != reflect.Map && fv.Kind() != reflect.Slice:
			visit(key, fv, f.size)
		}
	}
}
