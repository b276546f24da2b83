package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/config"
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

	if cfg.Backend == kubernetesBackend {
		doctorKube(cfg, report)
		if failures > 0 {
			return fmt.Errorf("%d check(s) failed", failures)
		}
		return nil
	}
	opts := engineOptions(cfg, nil)
	fixes := fixesFor(cfg.Backend)
	b, err := docker.New(opts)
	if err != nil {
		report(false, "engine connection", err.Error(), fixes.connection)
		return fmt.Errorf("%d check(s) failed", failures)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), doctorTimeout)
	defer cancel()
	if err := b.Ping(ctx); err != nil {
		report(false, "engine", err.Error(), fixes.start)
		return fmt.Errorf("%d check(s) failed", failures)
	}
	engine, err := checkEngineKind(ctx, b, cfg.Backend)
	if err != nil {
		report(false, "engine", err.Error(), fixes.otherKind)
		return fmt.Errorf("%d check(s) failed", failures)
	}
	report(true, "engine", engine+" at "+orDefault(opts.Host, "DOCKER_HOST or the default socket"), "")

	var present []config.RuntimeSettings
	for _, rs := range cfg.EnabledRuntimes() {
		ok, err := b.ImageExists(ctx, rs.Image)
		detail := rs.Image
		if err != nil {
			detail = err.Error()
		}
		report(ok && err == nil, "image of "+rs.Name, detail, "sandbox-mcp images build "+rs.Name)
		if ok {
			present = append(present, rs)
		}
	}
	if len(present) > 0 {
		// One runtime is enough: what a start can reveal belongs to the engine, not the image.
		err := startTrialSandbox(ctx, b, present[0], true)
		fix := "correct what the engine's message names"
		detail := "a " + present[0].Name + " sandbox starts"
		if err != nil {
			detail = err.Error()
			switch {
			case isMissingInit(err):
				fix = fixes.initBinary
			case errors.Is(err, errLimitsIgnored):
				fix = fixes.limits
			}
		}
		report(err == nil, "sandbox start", detail, fix)
	}
	if failures > 0 {
		return fmt.Errorf("%d check(s) failed", failures)
	}
	return nil
}

// doctorTimeout bounds doctor's engine checks.
const doctorTimeout = 10 * time.Second

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
