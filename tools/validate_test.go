package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

func testServer(t *testing.T) *Server {
	t.Helper()
	var langs []Language
	for _, rt := range runtimes.All() {
		langs = append(langs, Language{Runtime: rt, Limits: Limits{CodeBytes: 100, OutputBytes: 100, DefaultTimeout: 30 * time.Second, MaxTimeout: time.Minute}})
	}
	s := New(Options{Languages: langs, MaxPackages: 5})
	t.Cleanup(s.Close)
	return s
}

func TestInputValidatorMessages(t *testing.T) {
	s := testServer(t)
	v := newInputValidator()
	v.add(s.runCodeTool())
	schema := v.schemas["run_code"]

	tests := []struct {
		name string
		args map[string]any
		want []string // substrings of the message; none means valid
	}{
		{"valid", map[string]any{"language": "python", "code": "print(1)"}, nil},
		{"empty code", map[string]any{"language": "python", "code": ""}, []string{"code: minLength: got 0, want 1"}},
		{"timeout too long", map[string]any{"language": "python", "code": "x", "timeout_seconds": 61}, []string{"timeout_seconds: maximum: got 61, want 60"}},
		{"timeout negative", map[string]any{"language": "python", "code": "x", "timeout_seconds": -1}, []string{"timeout_seconds: minimum: got -1, want 1"}},
		{"missing code", map[string]any{"language": "python"}, []string{"missing property 'code'"}},
		{"unknown argument", map[string]any{"language": "python", "code": "x", "cmd": "ls"}, []string{"additional properties 'cmd' not allowed"}},
		{"wrong type", map[string]any{"language": "python", "code": 5}, []string{"code: got number, want string"}},
		// mcp-go decodes JSON numbers as float64, and check validates them as they are.
		{"decoded timeout too long", map[string]any{"language": "python", "code": "x", "timeout_seconds": 61.0}, []string{"timeout_seconds: maximum: got 61, want 60"}},
		{"decoded timeout too short", map[string]any{"language": "python", "code": "x", "timeout_seconds": 0.5}, []string{"timeout_seconds: minimum: got 0.5, want 1"}},
		{"decoded fractional timeout", map[string]any{"language": "python", "code": "x", "timeout_seconds": 1.5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := v.check(schema, tt.args)
			if len(tt.want) == 0 {
				if msg != "" {
					t.Errorf("check(%v) = %q, want no problem", tt.args, msg)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("check(%v) = %q, want it to contain %q", tt.args, msg, w)
				}
			}
			if strings.Contains(msg, "&{") {
				t.Errorf("check(%v) = %q, which prints a Go struct", tt.args, msg)
			}
		})
	}
}
