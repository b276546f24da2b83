package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnknownEnv(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin",
		"SANDBOX_MCP_POOL_MAX_SIZE=3",
		"SANDBOX_MCP_POOL_MAXSIZE=3",
		"SANDBOX_MCP_RUNTIMES_PYTHON_ENABLED=false",
		"SANDBOX_MCP_REQUIRE_ENGINE=1",
		"SANDBOX_MCP_TEST_IMAGE=x",
	}
	want := []string{"SANDBOX_MCP_POOL_MAXSIZE", "SANDBOX_MCP_RUNTIMES_PYTHON_ENABLED"}
	if diff := cmp.Diff(want, unknownEnv(environ)); diff != "" {
		t.Errorf("unknownEnv() mismatch (-want +got):\n%s", diff)
	}
}

func TestRunHelpListsCommands(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var out, errOut fakeWriter
		if code := run([]string{arg}, &out, &errOut); code != 0 {
			t.Errorf("run(%q) = %d, want 0", arg, code)
		}
		if !strings.Contains(string(out), "images build") {
			t.Errorf("run(%q) printed %q, want the list of commands", arg, out)
		}
	}
}

type fakeWriter []byte

func (w *fakeWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
