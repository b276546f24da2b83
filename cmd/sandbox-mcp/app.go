package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/config"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
	"github.com/sandbox-mcp/sandbox-mcp/tools"
)

// app is a running server: the engine connection, one pool per enabled runtime, the
// reaper and the MCP tools.
type app struct {
	log       *slog.Logger
	backend   pool.Backend
	instance  *pool.Instance
	pools     []*pool.Pool
	installer *pool.Installer
	reaper    *pool.Reaper
	tools     *tools.Server

	stopReaper context.CancelFunc
	reaperDone chan struct{}
}

// startupSweepTimeout bounds the orphan sweep before serving, so a hung engine cannot keep
// the server from starting.
const startupSweepTimeout = 30 * time.Second

// newApp connects to the engine, removes orphans of dead instances, and starts the pools.
// An engine that does not respond is logged, not fatal: the pools retry with backoff and
// tool calls report the problem until the engine is back.
func newApp(cfg config.Config, log *slog.Logger, logRequests bool) (*app, error) {
	backend, err := newBackend(cfg, log)
	if err != nil {
		return nil, err
	}
	instance, err := pool.NewInstance(pool.DefaultInstanceDir)
	if err != nil {
		backend.Close()
		return nil, err
	}
	a := &app{log: log, backend: backend, instance: instance}
	log.Info("server starting", "version", version, "instance", instance.ID, "backend", backend.Name())

	a.installer = &pool.Installer{
		Backend: backend,
		Labels:  map[string]string{pool.LabelInstance: instance.ID, pool.LabelHost: instance.Host},
		Logger:  log,
	}
	// An untracked container of this instance may be one whose creation has not returned
	// yet, so the reaper spares it for longer than a creation may take.
	a.reaper = &pool.Reaper{Backend: backend, Instance: instance, Tracks: a.tracks,
		Grace: createTimeout(cfg) + time.Minute, Logger: log}
	a.sweepOrphans()
	if err := checkKubePods(backend, cfg, log); err != nil {
		a.close(context.Background())
		return nil, err
	}

	var languages []tools.Language
	for _, rs := range cfg.EnabledRuntimes() {
		l, err := a.startPool(rs, cfg.Packages, createTimeout(cfg), instance, log)
		if err != nil {
			a.close(context.Background())
			return nil, err
		}
		languages = append(languages, l)
	}
	opts := tools.Options{
		Backend:     backend,
		Languages:   languages,
		Installer:   a.installer,
		MaxPackages: cfg.Packages.MaxPackages,
		Plots:       plotSettings(cfg.Plots),
		IdleTimeout: cfg.Conversation.IdleTimeout,
		MaxAge:      cfg.Conversation.MaxAge,
		Version:     version,
		Logger:      log,
	}
	if logRequests {
		opts.RequestLogger = log
	}
	a.tools = tools.New(opts)

	ctx, cancel := context.WithCancel(context.Background())
	a.stopReaper, a.reaperDone = cancel, make(chan struct{})
	go func() {
		defer close(a.reaperDone)
		a.reaper.Run(ctx, cfg.Reaper.Interval)
	}()
	return a, nil
}

func newBackend(cfg config.Config, log *slog.Logger) (pool.Backend, error) {
	if cfg.Backend == kubernetesBackend {
		return newKubeBackend(cfg, log)
	}
	opts := engineOptions(cfg, log)
	b, err := docker.New(opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to the %s engine: %w", cfg.Backend, err)
	}
	log.Info("engine connection", "backend", cfg.Backend, "host", opts.Host)
	return b, nil
}

// createTimeout bounds the creation and warm-up of one container. On Kubernetes a pod may
// wait for a node up to kubernetes.start_timeout, and warming it takes up to a minute more.
func createTimeout(cfg config.Config) time.Duration {
	if cfg.Backend == kubernetesBackend {
		return max(pool.DefaultCreateTimeout, cfg.Kubernetes.StartTimeout+time.Minute)
	}
	return pool.DefaultCreateTimeout
}

// sweepOrphans removes the containers of dead instances before serving.
func (a *app) sweepOrphans() {
	ctx, cancel := context.WithTimeout(context.Background(), startupSweepTimeout)
	defer cancel()
	if err := a.backend.Ping(ctx); err != nil {
		a.log.Warn("container engine not reachable; sandboxes start once it is", "error", err)
		return
	}
	n, err := a.reaper.Sweep(ctx)
	if err != nil {
		a.log.Warn("removing orphan containers failed", "error", err)
	}
	if n > 0 {
		a.log.Info("removed orphan containers at start", "count", n)
	}
}

// startPool creates the pool of one runtime; it pre-warms in the background.
func (a *app) startPool(rs config.RuntimeSettings, pkgs config.Packages, create time.Duration, instance *pool.Instance, log *slog.Logger) (tools.Language, error) {
	rt, _ := runtimes.Lookup(rs.Name)
	warm, err := warmer(rt)
	if err != nil {
		return tools.Language{}, err
	}
	sb := rs.Sandbox
	limits := sandboxLimits(rs)
	spec := pool.SandboxSpec(rs.Image, limits)
	p := pool.New(a.backend, pool.Config{
		Name:                rs.Name,
		Language:            rs.Name,
		Spec:                spec,
		MinIdle:             rs.Pool.MinIdle,
		MaxSize:             rs.Pool.MaxSize,
		AcquireTimeout:      rs.Pool.AcquireTimeout,
		CreateTimeout:       create,
		Exhaustion:          pool.Exhaustion(rs.Pool.Exhaustion),
		MaxLifetime:         rs.Pool.MaxLifetime,
		HealthCheckInterval: rs.Pool.HealthCheckInterval,
		Prewarm:             rs.Pool.Prewarm,
		Warm:                warm,
		Instance:            instance.ID,
		Host:                instance.Host,
		Logger:              log,
	})
	a.pools = append(a.pools, p)
	return tools.Language{
		Runtime: rt,
		Pool:    p,
		Limits: tools.Limits{
			MemoryBytes:    sb.MemoryBytes,
			CodeBytes:      sb.CodeBytes,
			OutputBytes:    sb.OutputBytes,
			DefaultTimeout: sb.DefaultTimeout,
			MaxTimeout:     sb.MaxTimeout,
		},
		Install: installSettings(rs, limits, pkgs),
	}, nil
}

// sandboxLimits returns the limits of the sandbox containers of rs.
func sandboxLimits(rs config.RuntimeSettings) pool.SandboxLimits {
	sb := rs.Sandbox
	return pool.SandboxLimits{
		Limits: pool.Limits{
			MemoryBytes: sb.MemoryBytes,
			NanoCPUs:    int64(sb.CPUs * 1e9),
			Pids:        sb.Pids,
			NoFile:      sb.NoFile,
		},
		WorkDirBytes: sb.WorkDirBytes,
		TmpBytes:     sb.TmpBytes,
		Runtime:      sb.OCIRuntime,
	}
}

// warmer returns the warm-up of rt's containers. It installs the plot support files and
// runs the probe with the plot capture environment, so that the probe loads them once.
// The plot format matters only to runs.
func warmer(rt runtimes.Runtime) (func(context.Context, pool.Backend, string) error, error) {
	support, err := artifacts.SupportFiles(rt.Name)
	if err != nil {
		return nil, err
	}
	return pool.Warmer(support, rt.Probe, artifacts.MergeEnv(rt.Env, artifacts.Env(rt.Name, artifacts.PNG)))
}

// plotSettings returns the tools' plot settings from the configuration.
func plotSettings(p config.Plots) tools.Plots {
	return tools.Plots{
		Format: artifacts.Format(p.Format),
		Limits: artifacts.Limits{
			MaxSide:      p.MaxSide,
			ImageBytes:   p.ImageBytes,
			ResultImages: p.ImagesPerResult,
			ResultBytes:  p.ResultBytes,
			KeptPlots:    p.KeptPerConversation,
			KeptBytes:    p.KeptBytesPerConversation,
			RunBytes:     p.RunBytes,
		},
	}
}

// installSettings returns how install_packages works for a runtime: an installer container
// like the sandbox, but on the configured network.
func installSettings(rs config.RuntimeSettings, limits pool.SandboxLimits, pkgs config.Packages) *tools.Install {
	rt, _ := runtimes.Lookup(rs.Name)
	if rt.Packages == nil {
		return nil
	}
	spec := pool.SandboxSpec(rs.Image, limits)
	spec.Network = true
	spec.NetworkName = pkgs.Network
	spec.Labels = map[string]string{pool.LabelPool: rs.Name, pool.LabelLanguage: rs.Name}
	index := runtimes.Index{URL: pkgs.Npm.Registry}
	if rt.Packages.Installer == "pip" {
		index = runtimes.Index{
			URL:          pkgs.Pip.IndexURL,
			ExtraURLs:    strings.Fields(pkgs.Pip.ExtraIndexURLs),
			TrustedHosts: strings.Fields(pkgs.Pip.TrustedHosts),
		}
	}
	return &tools.Install{
		Spec:        spec,
		Index:       index,
		Timeout:     pkgs.Timeout,
		MaxBytes:    pkgs.MaxBytes,
		OutputBytes: rs.Sandbox.OutputBytes,
	}
}

// tracks reports whether a pool or an install in progress owns container id; the reaper
// spares those.
func (a *app) tracks(id string) bool {
	if a.installer.Tracks(id) {
		return true
	}
	for _, p := range a.pools {
		if p.Tracks(id) {
			return true
		}
	}
	return false
}

// close ends every conversation, closes the pools, removes whatever this instance still
// has in the engine, and releases the instance lock. Closing takes at most ctx's deadline,
// and the final removal at most finalSweepTimeout after it.
func (a *app) close(ctx context.Context) error {
	var errs []error
	if a.tools != nil {
		a.tools.Close()
	}
	if a.stopReaper != nil {
		a.stopReaper()
		<-a.reaperDone
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, p := range a.pools {
		wg.Go(func() {
			err := p.Close(ctx)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	sweepCtx, cancel := context.WithTimeout(context.Background(), finalSweepTimeout)
	defer cancel()
	n, err := a.reaper.RemoveOwn(sweepCtx)
	if n > 0 {
		a.log.Info("removed remaining containers of this instance", "count", n)
	}
	if err != nil {
		a.log.Warn("removing remaining containers of this instance failed", "error", err)
		errs = append(errs, err)
	}
	errs = append(errs, a.instance.Close(), a.backend.Close())
	return errors.Join(errs...)
}
