package artifacts

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSupportFiles(t *testing.T) {
	files, err := SupportFiles("python")
	if err != nil {
		t.Fatalf("SupportFiles(python) error = %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if len(f.Data) == 0 || f.Executable {
			t.Errorf("SupportFiles(python) file %s: %d bytes, executable %v; want content, not executable", f.Name, len(f.Data), f.Executable)
		}
	}
	slices.Sort(names)
	want := []string{
		"python/_sandbox_mcp/__init__.py",
		"python/_sandbox_mcp/backend.py",
		"python/_sandbox_mcp/capture.py",
		"python/_sandbox_mcp/hook.py",
		"python/sitecustomize.py",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("SupportFiles(python) names mismatch (-want +got):\n%s", diff)
	}
	if files, err := SupportFiles("javascript"); files != nil || err != nil {
		t.Errorf("SupportFiles(javascript) = %d files, %v, want none", len(files), err)
	}
}

func TestEnvMatchesSupportFiles(t *testing.T) {
	env := Env("python", SVG)
	want := []string{
		"PYTHONPATH=/sandbox/.support/python",
		"MPLBACKEND=module://_sandbox_mcp.backend",
		"SANDBOX_MCP_PLOT_FORMAT=svg",
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("Env(python, svg) mismatch (-want +got):\n%s", diff)
	}
	module := strings.ReplaceAll(strings.TrimPrefix(PythonBackend, "module://"), ".", "/") + ".py"
	if _, err := pythonFiles.ReadFile("python/" + module); err != nil {
		t.Errorf("backend %s has no support file: %v", PythonBackend, err)
	}
	if env := Env("javascript", PNG); env != nil {
		t.Errorf("Env(javascript) = %q, want nil", env)
	}
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name      string
		base, add []string
		want      []string
	}{
		{name: "override in place", base: []string{"A=1", "MPLBACKEND=Agg", "B=2"}, add: []string{"MPLBACKEND=x"}, want: []string{"A=1", "MPLBACKEND=x", "B=2"}},
		{name: "append new", base: []string{"A=1"}, add: []string{"C=3"}, want: []string{"A=1", "C=3"}},
		{name: "last wins", base: nil, add: []string{"C=3", "C=4"}, want: []string{"C=4"}},
		{name: "empty value", base: []string{"A=1"}, add: []string{"A="}, want: []string{"A="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := slices.Clone(tt.base)
			if diff := cmp.Diff(tt.want, MergeEnv(base, tt.add)); diff != "" {
				t.Errorf("MergeEnv() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.base, base); diff != "" {
				t.Errorf("MergeEnv() changed its base (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Format
		ok   bool
	}{{"png", PNG, true}, {" SVG ", SVG, true}, {"jpeg", "", false}, {"", "", false}} {
		got, ok := ParseFormat(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseFormat(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
