package config

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// sizePattern matches the sizes ParseSize accepts. The schema publishes it.
const sizePattern = `^([0-9]+(\.[0-9]+)?) ?(B|KiB|MiB|GiB|TiB)?$`

// durationPattern matches positive Go durations such as "30s", "1.5h" or "1h30m".
const durationPattern = `^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$`

var sizeRegexp = regexp.MustCompile(sizePattern)

var unitBytes = map[string]int64{"": 1, "B": 1, "KiB": KiB, "MiB": MiB, "GiB": GiB, "TiB": TiB}

var durationType = reflect.TypeFor[time.Duration]()

// ParseSize parses a byte size: a whole number of bytes ("1048576"), or a number with one
// of the binary units B, KiB, MiB, GiB or TiB ("512MiB", "1.5GiB"). The result must be a
// whole number of bytes that fits in an int64.
func ParseSize(s string) (int64, error) {
	m := sizeRegexp.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes, or a number with a unit B, KiB, MiB, GiB or TiB, such as 512MiB", s)
	}
	n, _ := new(big.Rat).SetString(m[1]) // the pattern admits only decimal numbers
	n.Mul(n, new(big.Rat).SetInt64(unitBytes[m[3]]))
	if !n.IsInt() {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	if !n.Num().IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n.Num().Int64(), nil
}

// FormatSize formats n bytes with the largest binary unit that divides it, such as
// "512MiB". It formats a number that no unit divides as plain bytes.
func FormatSize(n int64) string {
	for _, unit := range []string{"TiB", "GiB", "MiB", "KiB"} {
		if n != 0 && n%unitBytes[unit] == 0 {
			return strconv.FormatInt(n/unitBytes[unit], 10) + unit
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration formats d like time.Duration.String without zero trailing units:
// "5m" instead of "5m0s", "8h" instead of "8h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseValue parses text into a value of type t. A size field (tag unit:"bytes") takes
// ParseSize's syntax; a time.Duration takes time.ParseDuration's.
func parseValue(text string, t reflect.Type, size bool) (reflect.Value, error) {
	switch {
	case size:
		n, err := ParseSize(text)
		return reflect.ValueOf(n).Convert(t), err
	case t == durationType:
		return parseDuration(text)
	}
	switch t.Kind() {
	case reflect.String:
		return reflect.ValueOf(text).Convert(t), nil
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("invalid boolean %q: want true or false", text)
		}
		return reflect.ValueOf(b), nil
	case reflect.Int, reflect.Int64:
		return parseInt(text, t)
	case reflect.Float64:
		return parseFloat(text)
	}
	panic("config: no parser for type " + t.String())
}

func parseDuration(text string) (reflect.Value, error) {
	d, err := time.ParseDuration(text)
	if err != nil {
		return reflect.Value{}, fmt.Errorf("invalid duration %q: want a number with a unit ns, us, ms, s, m or h, such as 30s or 1h30m", text)
	}
	return reflect.ValueOf(d), nil
}

func parseInt(text string, t reflect.Type) (reflect.Value, error) {
	n, err := strconv.ParseInt(text, 10, t.Bits())
	if err != nil {
		return reflect.Value{}, fmt.Errorf("invalid integer %q", text)
	}
	return reflect.ValueOf(n).Convert(t), nil
}

func parseFloat(text string) (reflect.Value, error) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return reflect.Value{}, fmt.Errorf("invalid number %q", text)
	}
	return reflect.ValueOf(f), nil
}

// field is a struct field that has a key in the file.
type field struct {
	key   string // the YAML key
	index int
	size  bool // tagged unit:"bytes": parsed and formatted as a size
}

// fieldsOf returns the fields of struct type t that have a YAML key, in declaration order.
func fieldsOf(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		fields = append(fields, field{key: key, index: i, size: f.Tag.Get("unit") == "bytes"})
	}
	return fields
}

// joinKey appends key to the dotted key path prefix.
func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
