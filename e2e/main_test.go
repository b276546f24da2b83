package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// serverBinary is the sandbox-mcp binary that TestMain builds for this test run. It is empty
// under -short, where every test skips. When the build failed, buildErr contains the reason.
var (
	serverBinary string
	buildErr     error
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

// runTests builds the binary into a temporary directory, runs the tests and removes the
// directory.
func runTests(m *testing.M) int {
	if testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "sandbox-mcp-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "creating build directory: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)

	serverBinary = filepath.Join(dir, "sandbox-mcp")
	buildErr = buildServer(serverBinary)
	code := m.Run()
	closeEngines()
	return code
}

// buildServer runs `go build` for the command package. go test puts its own go first in PATH.
func buildServer(out string) error {
	cmd := exec.Command("go", "build", "-o", out, "github.com/sandbox-mcp/sandbox-mcp/cmd/sandbox-mcp")
	output, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("building sandbox-mcp: %w\n%s", err, output)
	}
	return nil
}
