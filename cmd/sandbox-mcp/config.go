package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/sandbox-mcp/sandbox-mcp/config"
)

// configCommand runs `sandbox-mcp config schema`.
func configCommand(args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "schema" {
		return fmt.Errorf("usage: sandbox-mcp config schema")
	}
	schema, err := config.Schema()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", schema)
	return err
}

// loadConfig reads path, or the built-in defaults when path is empty; both take the
// SANDBOX_MCP_* environment overrides.
func loadConfig(path string) (config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, fmt.Errorf("loading config: %w", err)
	}
	return cfg, nil
}

// testEnv are SANDBOX_MCP_ variables of the project's tests and scripts, not config keys.
var testEnv = []string{"SANDBOX_MCP_REQUIRE_ENGINE", "SANDBOX_MCP_BASE_IMAGE"}

// unknownEnv returns the names of SANDBOX_MCP_ variables in environ that set no config key,
// such as misspelled ones, which would otherwise be ignored without a word.
func unknownEnv(environ []string) []string {
	known := make(map[string]bool)
	for _, v := range config.EnvVars() {
		known[v.Name] = true
	}
	for _, name := range testEnv {
		known[name] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, config.EnvPrefix) && !strings.HasPrefix(name, config.EnvPrefix+"TEST_") && !known[name] {
			unknown = append(unknown, name)
		}
	}
	return unknown
}
