package config

import (
	"fmt"
	"reflect"

	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// RuntimeSettings is the effective configuration of one runtime, which is its Runtime block
// merged over the top-level settings.
type RuntimeSettings struct {
	// Name is the runtime's name, such as "python", never an alias.
	Name string
	// Enabled is false when the configuration turns the runtime off.
	Enabled bool
	// Image is the configured image, or the runtime's built-in image.
	Image   string
	Pool    Pool
	Sandbox Sandbox
}

// ForRuntime returns the effective settings of the runtime called name, which may be an
// alias such as "py". Each key set in the runtime's block replaces the top-level key of the
// same name, one key at a time. The error wraps ErrUnknownRuntime when no runtime has that
// name.
func (c Config) ForRuntime(name string) (RuntimeSettings, error) {
	rt, ok := runtimes.Lookup(name)
	if !ok {
		return RuntimeSettings{}, fmt.Errorf("%w %q; known runtimes: %s", ErrUnknownRuntime, name, knownRuntimes())
	}
	return c.resolve(rt), nil
}

// EnabledRuntimes returns the effective settings of every enabled runtime, sorted by name.
func (c Config) EnabledRuntimes() []RuntimeSettings {
	var enabled []RuntimeSettings
	for _, name := range runtimes.Names() {
		rt, _ := runtimes.Lookup(name)
		if s := c.resolve(rt); s.Enabled {
			enabled = append(enabled, s)
		}
	}
	return enabled
}

func (c Config) resolve(rt runtimes.Runtime) RuntimeSettings {
	block := c.Runtimes[rt.Name]
	s := RuntimeSettings{
		Name:    rt.Name,
		Enabled: block.Enabled == nil || *block.Enabled,
		Image:   rt.Image,
		Pool:    c.Pool,
		Sandbox: c.Sandbox,
	}
	if block.Image != "" {
		s.Image = block.Image
	}
	applyOverride(&s.Pool, block.Pool)
	applyOverride(&s.Sandbox, block.Sandbox)
	return s
}

// applyOverride sets each field of *dst whose namesake in the struct override is a non-nil
// pointer to the value it points to.
func applyOverride(dst, override any) {
	d, o := reflect.ValueOf(dst).Elem(), reflect.ValueOf(override)
	for i := range o.NumField() {
		if f := o.Field(i); !f.IsNil() {
			d.FieldByName(o.Type().Field(i).Name).Set(f.Elem())
		}
	}
}

// overriddenKeys returns the YAML keys of the non-nil fields of the struct override.
func overriddenKeys(override any) map[string]bool {
	o, keys := reflect.ValueOf(override), map[string]bool{}
	for _, f := range fieldsOf(o.Type()) {
		if !o.Field(f.index).IsNil() {
			keys[f.key] = true
		}
	}
	return keys
}
