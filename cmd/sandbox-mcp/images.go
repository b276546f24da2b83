package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"

	"github.com/sandbox-mcp/sandbox-mcp/config"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// images runs `sandbox-mcp images build [LANGUAGE...]`.
func images(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "build" {
		fmt.Fprintln(stderr, "usage: sandbox-mcp images build [--config FILE] [--base IMAGE] [LANGUAGE...]")
		return errUsage
	}
	fs := newFlagSet("images build", stderr)
	configPath := fs.String("config", "", "config file; its runtime image names are the build tags")
	base := fs.String("base", runtimes.DefaultBaseImage, "base image of the runtime images; when it cannot be pulled, a Debian base is built with debootstrap")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	targets, err := buildTargets(cfg, fs.Args())
	if err != nil {
		return err
	}

	b, err := docker.New(engineOptions(cfg, nil))
	if err != nil {
		return err
	}
	defer b.Close()
	ctx := context.Background()
	baseImage, err := ensureBase(ctx, b, *base, stderr)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if err := buildRuntime(ctx, b, t, baseImage, stderr); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "built %s\n", t.Image)
	}
	return nil
}

// buildTargets returns the runtimes named in args, or every enabled runtime.
func buildTargets(cfg config.Config, args []string) ([]config.RuntimeSettings, error) {
	if len(args) == 0 {
		return cfg.EnabledRuntimes(), nil
	}
	var targets []config.RuntimeSettings
	for _, name := range args {
		rs, err := cfg.ForRuntime(name)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(targets, func(t config.RuntimeSettings) bool { return t.Name == rs.Name }) {
			targets = append(targets, rs)
		}
	}
	return targets, nil
}

// ensureBase returns a base image that is present in the engine: base itself, pulled if
// needed, or else the Debian base built with debootstrap from Debian's packages.
func ensureBase(ctx context.Context, b *docker.Backend, base string, stderr io.Writer) (string, error) {
	if ok, err := b.ImageExists(ctx, base); err != nil || ok {
		return base, err
	}
	fmt.Fprintf(stderr, "pulling %s\n", base)
	pullErr := b.PullImage(ctx, base)
	if pullErr == nil {
		return base, nil
	}
	fmt.Fprintf(stderr, "pulling %s failed: %v\n", base, pullErr)

	local := runtimes.LocalBaseImage
	ok, err := b.ImageExists(ctx, local)
	if err != nil {
		return "", fmt.Errorf("checking for the local Debian base %s: %w", local, err)
	}
	if ok {
		fmt.Fprintf(stderr, "using the local Debian base %s\n", local)
		return local, nil
	}
	fmt.Fprintf(stderr, "building the Debian base %s with debootstrap (about a minute)\n", local)
	if err := runBaseScript(ctx, local, b.Name(), stderr); err != nil {
		return "", fmt.Errorf("building base image %s: %w", local, err)
	}
	return local, nil
}

// runBaseScript runs the embedded debootstrap script, which needs root and the CLI of
// engine ("docker" or "podman") to import the result. The podman CLI imports into the
// storage of the user who runs it, which is root here, so a rootless service does not see
// the result.
func runBaseScript(ctx context.Context, image, engine string, stderr io.Writer) error {
	script, err := runtimes.Files.ReadFile(runtimes.BaseImageScript)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "sandbox-mcp-debian-base-*.sh")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(script); err != nil {
		f.Close()
		return err
	}
	f.Close()
	cmd := exec.CommandContext(ctx, "bash", f.Name(), image)
	cmd.Env = append(os.Environ(), "ENGINE="+engine)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	return cmd.Run()
}

// buildRuntime builds one runtime's image from its embedded Dockerfile on base.
func buildRuntime(ctx context.Context, b *docker.Backend, rs config.RuntimeSettings, base string, stderr io.Writer) error {
	rt, _ := runtimes.Lookup(rs.Name)
	dockerfile, err := runtimes.Files.ReadFile(rt.Dockerfile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", rt.Dockerfile, err)
	}
	fmt.Fprintf(stderr, "building %s from %s\n", rs.Image, base)
	err = b.BuildImage(ctx, docker.BuildOptions{
		Tag:        rs.Image,
		Dockerfile: dockerfile,
		BuildArgs:  map[string]*string{"BASE": &base},
		Output:     stderr,
	})
	if err != nil {
		return fmt.Errorf("building %s: %w", rs.Image, err)
	}
	return nil
}
