package main

import (
	"fmt"
	"io"

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
