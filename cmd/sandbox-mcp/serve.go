package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/sandbox-mcp/sandbox-mcp/config"
)

// shutdownTimeout bounds the cleanup after the transport stops: conversations end and pools
// close (each pool then gives cancelled creations up to 2 s more). finalSweepTimeout then
// bounds the removal of anything of this instance still in the engine, on a budget of its
// own, so that a slow close cannot starve it. With the transport's shutdown (up to 2 s)
// they stay within the 10 s that clients wait before SIGKILL.
const (
	shutdownTimeout   = 4 * time.Second
	finalSweepTimeout = 2 * time.Second
)

// stdioWorkers is how many tool calls the stdio transport runs at once; calls to different
// conversations and languages may run in parallel.
const stdioWorkers = 32

func serve(args []string, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	transport := fs.String("transport", "stdio", "transport: stdio or http")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address of the http transport; the MCP endpoint is /mcp")
	configPath := fs.String("config", "", "config file (YAML); without one, the built-in defaults and SANDBOX_MCP_* variables apply")
	debug := fs.Bool("debug", false, "log at debug level, including one line per MCP request")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *transport != "stdio" && *transport != "http" {
		return fmt.Errorf("invalid --transport %q: use stdio or http", *transport)
	}

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, level)
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	for _, name := range unknownEnv(os.Environ()) {
		log.Warn("ignoring environment variable that sets no key; only keys with a single value outside runtimes have one, and `sandbox-mcp config schema` lists the keys", "name", name)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := newApp(cfg, log, *debug)
	if err != nil {
		return err
	}

	if *transport == "stdio" {
		err = serveStdio(ctx, a)
	} else {
		err = serveHTTP(ctx, a, cfg, *addr, log)
	}
	log.Info("server stopping", "reason", stopReason(ctx, err))

	cleanupCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if cerr := a.close(cleanupCtx); cerr != nil {
		log.Warn("cleanup on shutdown incomplete", "error", cerr)
	}
	log.Info("server stopped")
	return err
}

func stopReason(ctx context.Context, err error) string {
	switch {
	case ctx.Err() != nil:
		return "signal"
	case err != nil:
		return err.Error()
	default:
		return "client closed the connection"
	}
}

// serveStdio serves one client on stdin and stdout until stdin ends or ctx is cancelled.
// The end of the stdio session ends its conversations.
func serveStdio(ctx context.Context, a *app) error {
	s := server.NewStdioServer(a.tools.MCP())
	server.WithWorkerPoolSize(stdioWorkers)(s)
	err := s.Listen(ctx, os.Stdin, os.Stdout)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("serving stdio: %w", err)
}

// maxRequestBytes bounds an HTTP request body: the largest code any runtime accepts, at up
// to 6 bytes of JSON per byte of code (\u0000), and 1 MiB for the rest of the request.
func maxRequestBytes(cfg config.Config) int64 {
	var code int64
	for _, rs := range cfg.EnabledRuntimes() {
		code = max(code, rs.Sandbox.CodeBytes)
	}
	return 6*code + 1<<20
}

// serveHTTP serves streamable HTTP on addr at /mcp until ctx is cancelled. Protocol
// sessions that stay idle longer than http.session_idle_timeout expire, and their
// conversations end; a request with an expired session ID gets 404.
func serveHTTP(ctx context.Context, a *app, cfg config.Config, addr string, log *slog.Logger) error {
	mcpHTTP := server.NewStreamableHTTPServer(a.tools.MCP(),
		server.WithStateful(true),
		server.WithSessionIdleTTL(cfg.HTTP.SessionIdleTimeout),
	)
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.MaxBytesHandler(mcpHTTP, maxRequestBytes(cfg)))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	log.Info("serving MCP over HTTP", "url", "http://"+ln.Addr().String()+"/mcp")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	// Ending every conversation at once first leaves nothing to the session shutdown,
	// which unregisters sessions one by one, each ending its conversations and waiting
	// for their containers: about a second per session on Kubernetes.
	a.tools.Close()
	_ = mcpHTTP.Shutdown(shutdownCtx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
