package config

import "errors"

var (
	// ErrInvalid is wrapped by every problem found in a configuration: YAML syntax, an
	// unknown key, a value that does not parse, a bad environment variable, or a failed
	// validation rule. An error from reading the file does not wrap it.
	ErrInvalid = errors.New("invalid configuration")

	// ErrUnknownRuntime is returned by Config.ForRuntime for a name that is neither a
	// runtime name nor an alias.
	ErrUnknownRuntime = errors.New("unknown runtime")
)

// problem is one invalid key or value. It unwraps to ErrInvalid.
type problem struct {
	// where is a file position such as "config.yaml:12", an environment variable name,
	// or empty when the value came from Default or from Go code.
	where string
	msg   string
}

func (p *problem) Error() string {
	if p.where == "" {
		return p.msg
	}
	return p.where + ": " + p.msg
}

func (p *problem) Unwrap() error { return ErrInvalid }
