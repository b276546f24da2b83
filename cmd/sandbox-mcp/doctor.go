package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
)

// doctor runs `sandbox-mcp doctor`: it checks the config, the engine and each runtime's
// image, and prints the command that fixes each failure.
func doctor(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("doctor", stderr)
	configPath := fs.String("config", "", "config file to check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	failures := 0
	report := func(ok bool, what, detail, fix string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failures++
		}
		fmt.Fprintf(stdout, "%s %s", mark, what)
		if detail != "" {
			fmt.Fprintf(stdout, ": %s", detail)
		}
		fmt.Fprintln(stdout)
		if !ok && fix != "" {
			fmt.Fprintf(stdout, "     fix: %s\n", fix)
		}
	}

	cfg, err := loadConfig(*configPath)
	if err != nil {
		report(false, "config", err.Error(), "correct the keys named above in "+orDefault(*configPath, "the SANDBOX_MCP_* variables"))
		return fmt.Errorf("%d check(s) failed", failures)
	}
	report(true, "config", orDefault(*configPath, "built-in defaults"), "")

	b, err := docker.New(docker.Options{Host: cfg.Docker.Host})
	if err != nil {
		report(false, "engine connection", err.Error(), "set docker.host in the config or DOCKER_HOST")
		return fmt.Errorf("%d check(s) failed", failures)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Ping(ctx); err != nil {
		report(false, "engine", err.Error(), "start the engine: sudo scripts/engine-up.sh (installs docker.io on Debian and starts dockerd)")
		return fmt.Errorf("%d check(s) failed", failures)
	}
	report(true, "engine", "answers", "")

	for _, rs := range cfg.EnabledRuntimes() {
		ok, err := b.ImageExists(ctx, rs.Image)
		detail := rs.Image
		if err != nil {
			detail = err.Error()
		}
		report(ok && err == nil, "image of "+rs.Name, detail, "sandbox-mcp images build "+rs.Name)
	}
	if failures > 0 {
		return fmt.Errorf("%d check(s) failed", failures)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
