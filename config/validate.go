package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

var (
	backends     = []string{"docker", "podman", "kubernetes"}
	pullPolicies = []string{"IfNotPresent", "Never", "Always"}
	// An empty toleration operator means Equal, and an empty effect matches every effect.
	tolerationOperators = []string{"Equal", "Exists"}
	taintEffects        = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	exhaustions         = []Exhaustion{ExhaustionWait, ExhaustionFailFast, ExhaustionTemporary}
	plotFormats         = []string{"png", "svg"}
)

// minMemoryBytes is the smallest memory limit that Docker 20.10.24 accepts. With a lower one,
// container creation fails with "Minimum memory limit allowed is 6MB". The check also
// catches a size written without its unit, such as "memory: 512".
const minMemoryBytes = 6 * MiB

// minCPUs is the smallest CPU limit with which a container starts on Docker 20.10.24 with
// runc. A lower limit sets cpu.cfs_quota_us below 1000, and the start fails.
const minCPUs = 0.01

// Validate checks every key of c and returns all problems joined with errors.Join. Each
// problem wraps ErrInvalid and names its key, and Load and Parse add its file line or
// environment variable.
//
// Durations must be > 0. The pool needs min_idle >= 0, max_size >= 1 and
// min_idle <= max_size. Sandbox and plot limits must be >= 1, memory >= 6MiB,
// cpus >= 0.01, and default_timeout <= max_timeout. Backend, exhaustion and the plot format
// must be listed values. Runtimes must
// be keyed by runtime name, not alias, and at least one must be enabled. A runtime's blocks
// are checked after merging them over the top-level keys.
func (c Config) Validate() error {
	return c.validate(nil)
}

// validate is Validate with origins, which maps key paths to file lines or variable names.
func (c Config) validate(origins map[string]string) error {
	ch := checker{origins: origins}
	oneOf(&ch, block(""), "backend", c.Backend, backends)
	ch.kubernetes(block("kubernetes"), c.Kubernetes)
	ch.pool(block("pool"), c.Pool)
	ch.sandbox(block("sandbox"), c.Sandbox)
	ch.positive(block("conversation"), "idle_timeout", c.Conversation.IdleTimeout)
	ch.positive(block("conversation"), "max_age", c.Conversation.MaxAge)
	ch.plots(block("plots"), c.Plots)
	ch.positive(block("reaper"), "interval", c.Reaper.Interval)
	ch.positive(block("http"), "session_idle_timeout", c.HTTP.SessionIdleTimeout)
	ch.packages(block("packages"), c.Packages)
	ch.runtimes(c)
	return errors.Join(ch.errs...)
}

// scope is the block of keys under check, either a top-level block such as "pool" or a
// runtime block such as "runtimes.python.pool" merged over it. A rule on a runtime block
// applies only when the runtime sets one of the rule's keys, so a bad top-level value is
// reported once.
type scope struct {
	name string
	base string          // the top-level block a runtime block inherits from
	set  map[string]bool // keys the runtime block sets; nil for a top-level block
}

func block(name string) scope {
	return scope{name: name, base: name}
}

// owns reports whether the block itself sets key rather than inheriting it.
func (s scope) owns(key string) bool {
	return s.set == nil || s.set[key]
}

// checks reports whether a rule on keys applies in this block.
func (s scope) checks(keys ...string) bool {
	return slices.ContainsFunc(keys, s.owns)
}

// path returns the key path where key's value comes from.
func (s scope) path(key string) string {
	if s.owns(key) {
		return joinKey(s.name, key)
	}
	return joinKey(s.base, key)
}

// paths returns the key paths of keys, those the block sets first.
func (s scope) paths(keys ...string) []string {
	owned := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !s.owns(k) })
	inherited := slices.DeleteFunc(slices.Clone(keys), s.owns)
	var paths []string
	for _, k := range append(owned, inherited...) {
		paths = append(paths, s.path(k))
	}
	return paths
}

// checker collects the problems of one validation.
type checker struct {
	origins map[string]string
	errs    []error
}

// add records a problem located at the first of paths that has an origin.
func (ch *checker) add(paths []string, format string, args ...any) {
	where := ""
	for _, p := range paths {
		if o, ok := ch.origins[p]; ok {
			where = o
			break
		}
	}
	ch.errs = append(ch.errs, &problem{where: where, msg: fmt.Sprintf(format, args...)})
}

func (ch *checker) pool(s scope, p Pool) {
	ch.atLeast(s, "min_idle", int64(p.MinIdle), 0, formatInt)
	ch.atLeast(s, "max_size", int64(p.MaxSize), 1, formatInt)
	if p.MinIdle > p.MaxSize && s.checks("min_idle", "max_size") {
		ch.add(s.paths("min_idle", "max_size"), "%s (%d) must be <= %s (%d)",
			s.path("min_idle"), p.MinIdle, s.path("max_size"), p.MaxSize)
	}
	ch.positive(s, "acquire_timeout", p.AcquireTimeout)
	oneOf(ch, s, "exhaustion", p.Exhaustion, exhaustions)
	ch.positive(s, "max_lifetime", p.MaxLifetime)
	ch.positive(s, "health_check_interval", p.HealthCheckInterval)
}

func (ch *checker) sandbox(s scope, b Sandbox) {
	if b.MemoryBytes < minMemoryBytes && s.checks("memory") {
		ch.add(s.paths("memory"), "%s (%s) must be >= %s, the smallest limit Docker accepts. A number without a unit is bytes, so write 512MiB for 512 mebibytes",
			s.path("memory"), FormatSize(b.MemoryBytes), FormatSize(minMemoryBytes))
	}
	if !(b.CPUs >= minCPUs) && s.checks("cpus") { // also true for NaN
		ch.add(s.paths("cpus"), "%s (%g) must be >= %g", s.path("cpus"), b.CPUs, minCPUs)
	}
	ch.atLeast(s, "pids", b.Pids, 1, formatInt)
	ch.atLeast(s, "nofile", b.NoFile, 1, formatInt)
	ch.atLeast(s, "workdir_size", b.WorkDirBytes, 1, FormatSize)
	ch.atLeast(s, "tmp_size", b.TmpBytes, 1, FormatSize)
	ch.atLeast(s, "output_bytes", b.OutputBytes, 1, FormatSize)
	ch.atLeast(s, "code_bytes", b.CodeBytes, 1, FormatSize)
	ch.positive(s, "default_timeout", b.DefaultTimeout)
	ch.positive(s, "max_timeout", b.MaxTimeout)
	if b.DefaultTimeout > b.MaxTimeout && s.checks("default_timeout", "max_timeout") {
		ch.add(s.paths("default_timeout", "max_timeout"), "%s (%s) must be <= %s (%s)",
			s.path("default_timeout"), formatDuration(b.DefaultTimeout), s.path("max_timeout"), formatDuration(b.MaxTimeout))
	}
}

func (ch *checker) packages(s scope, p Packages) {
	ch.positive(s, "timeout", p.Timeout)
	ch.atLeast(s, "max_packages", int64(p.MaxPackages), 1, formatInt)
	ch.atLeast(s, "max_size", p.MaxBytes, 1, FormatSize)
	for _, u := range []struct{ key, value string }{
		{"pip.index_url", p.Pip.IndexURL},
		{"pip.extra_index_urls", p.Pip.ExtraIndexURLs},
		{"npm.registry", p.Npm.Registry},
	} {
		for _, field := range strings.Fields(u.value) {
			if parsed, err := url.Parse(field); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
				ch.add(s.paths(u.key), "%s (%q) must be an http or https URL", s.path(u.key), field)
			}
		}
	}
}

func (ch *checker) plots(s scope, p Plots) {
	oneOf(ch, s, "format", p.Format, plotFormats)
	ch.atLeast(s, "max_side", int64(p.MaxSide), 1, formatInt)
	ch.atLeast(s, "image_bytes", p.ImageBytes, 1, FormatSize)
	ch.atLeast(s, "images_per_result", int64(p.ImagesPerResult), 1, formatInt)
	ch.atLeast(s, "result_bytes", p.ResultBytes, 1, FormatSize)
	ch.atLeast(s, "kept_per_conversation", int64(p.KeptPerConversation), 1, formatInt)
	ch.atLeast(s, "kept_bytes_per_conversation", p.KeptBytesPerConversation, 1, FormatSize)
	ch.atLeast(s, "run_bytes", p.RunBytes, 1, FormatSize)
}

func (ch *checker) positive(s scope, key string, d time.Duration) {
	if d <= 0 && s.checks(key) {
		ch.add(s.paths(key), "%s (%s) must be > 0", s.path(key), formatDuration(d))
	}
}

func (ch *checker) atLeast(s scope, key string, n, minimum int64, format func(int64) string) {
	if n < minimum && s.checks(key) {
		ch.add(s.paths(key), "%s (%s) must be >= %s", s.path(key), format(n), format(minimum))
	}
}

func oneOf[T ~string](ch *checker, s scope, key string, v T, valid []T) {
	if !slices.Contains(valid, v) && s.checks(key) {
		ch.add(s.paths(key), "%s (%q) must be one of %s", s.path(key), v, joinStrings(valid))
	}
}

// runtimes checks the names in c.Runtimes and each runtime's merged settings.
func (ch *checker) runtimes(c Config) {
	for _, name := range slices.Sorted(maps.Keys(c.Runtimes)) {
		key := joinKey("runtimes", name)
		rt, ok := runtimes.Lookup(name)
		switch {
		case !ok:
			ch.add([]string{key}, "%s: unknown runtime %q; known runtimes: %s", key, name, knownRuntimes())
			continue
		case rt.Name != name:
			ch.add([]string{key}, "%s: %q is an alias; write the runtime name %q", key, name, rt.Name)
			continue
		}
		entry, settings := c.Runtimes[name], c.resolve(rt)
		ch.pool(scope{name: key + ".pool", base: "pool", set: overriddenKeys(entry.Pool)}, settings.Pool)
		ch.sandbox(scope{name: key + ".sandbox", base: "sandbox", set: overriddenKeys(entry.Sandbox)}, settings.Sandbox)
	}
	if len(c.EnabledRuntimes()) == 0 {
		var paths []string
		for _, name := range runtimes.Names() {
			paths = append(paths, joinKey("runtimes", name)+".enabled")
		}
		ch.add(paths, "runtimes: every runtime is disabled; enable at least one of %s", knownRuntimes())
	}
}

func knownRuntimes() string {
	return strings.Join(runtimes.Names(), ", ")
}

func formatInt(n int64) string {
	return strconv.FormatInt(n, 10)
}

func joinStrings[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func (ch *checker) kubernetes(s scope, k Kubernetes) {
	oneOf(ch, s, "image_pull_policy", k.ImagePullPolicy, pullPolicies)
	ch.positive(s, "start_timeout", k.StartTimeout)
	if k.CPURequest < 0 {
		ch.add(s.paths("cpu_request"), "%s (%g) must be >= 0", s.path("cpu_request"), k.CPURequest)
	}
	ch.atLeast(s, "memory_request", k.MemoryRequest, 0, FormatSize)
	for i, t := range k.Tolerations {
		item := fmt.Sprintf("tolerations[%d]", i)
		if t.Operator != "" {
			oneOf(ch, s, item+".operator", t.Operator, tolerationOperators)
		}
		if t.Effect != "" {
			oneOf(ch, s, item+".effect", t.Effect, taintEffects)
		}
		if t.Operator == "Exists" && t.Value != "" {
			ch.add(s.paths(item+".value"), "%s must be empty when the operator is Exists", s.path(item+".value"))
		}
	}
}
