package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// runCodeOutput is run_code's structured result.
type runCodeOutput struct {
	SessionID     string `json:"session_id"`
	Language      string `json:"language"`
	ExitCode      int    `json:"exit_code"`
	Stdout        string `json:"stdout"`
	Stderr        string `json:"stderr"`
	StdoutDropped int64  `json:"stdout_dropped_bytes,omitempty"`
	StderrDropped int64  `json:"stderr_dropped_bytes,omitempty"`
	DurationMs    int64  `json:"duration_ms"`
	TimedOut      bool   `json:"timed_out,omitempty"`
	OOMKilled     bool   `json:"oom_killed,omitempty"`
	// Run numbers the conversation's runs from 1; get_plots selects plots by it.
	Run   int          `json:"run"`
	Plots []plotOutput `json:"plots,omitempty"`
}

// progressInterval is how often a run sends progress notifications, when the client asked.
const progressInterval = 5 * time.Second

func (s *Server) handleRunCode(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in runCodeInput
	if err := req.BindArguments(&in); err != nil {
		return mcp.NewToolResultError("Invalid arguments: " + err.Error()), nil
	}
	lang, timeout, msg := s.checkRunCode(in)
	if msg != "" {
		return mcp.NewToolResultError(msg), nil
	}

	return s.inSandbox(ctx, in.SessionID, lang, func(c *conversation, sb *sandbox, lease *pool.Lease) *mcp.CallToolResult {
		run := c.startRun()
		runReq := s.runRequest(lang, s.plotFormat(in.PlotFormat), pool.RunRequest{
			FileName:    lang.Runtime.FileName,
			Command:     lang.Runtime.Command,
			Code:        []byte(in.Code),
			Env:         lang.Runtime.Env,
			Timeout:     timeout,
			OutputBytes: lang.Limits.OutputBytes,
		})
		stop := s.startProgress(ctx, req, timeout)
		result, err := pool.Run(ctx, s.backend, lease.ContainerID(), runReq)
		stop()
		if c.hasEnded() {
			return mcp.NewToolResultError(fmt.Sprintf("The conversation %s ended while this run was in progress (end_session, idle expiry or server shutdown), so the run was stopped and its sandbox and files are gone. Leave session_id out to start a new conversation.", c.id))
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return s.runFailure(c, sb, lang, err)
		}
		plots := s.collectPlots(c, run, lang, result)
		return runResult(c.id, run, lang, timeout, result, plots, err)
	}), nil
}

// inSandbox runs fn with the conversation of sessionID and its sandbox for lang: the
// conversation marked busy, the sandbox's turn held, and its container leased. These are
// the steps of every tool call that works in a sandbox, and inSandbox returns the tool
// error when one of them fails.
func (s *Server) inSandbox(ctx context.Context, sessionID string, lang Language, fn func(*conversation, *sandbox, *pool.Lease) *mcp.CallToolResult) *mcp.CallToolResult {
	c, err := s.conv.acquire(sessionID, protocolSessionID(ctx))
	if err != nil {
		return mcp.NewToolResultError(unknownSessionMessage(sessionID))
	}
	defer s.conv.release(c)

	sb := c.sandbox(lang.Runtime.Name)
	if err := sb.lock(ctx); err != nil {
		return s.failure(c, lang, err)
	}
	defer sb.unlock()

	lease, err := s.leaseFor(ctx, c, sb, lang)
	if err != nil {
		return s.failure(c, lang, err)
	}
	return fn(c, sb, lease)
}

// checkRunCode validates the arguments the schema cannot. It returns the language, the
// run's timeout, and a message for the model when the call is invalid.
func (s *Server) checkRunCode(in runCodeInput) (Language, time.Duration, string) {
	lang, ok := s.language(in.Language)
	if !ok {
		return lang, 0, fmt.Sprintf("Unknown language %q. Available languages: %s.", in.Language, strings.Join(s.names, ", "))
	}
	if strings.TrimSpace(in.Code) == "" {
		return lang, 0, "The code argument is empty. Pass the complete source code of the program to run."
	}
	if n := int64(len(in.Code)); n > lang.Limits.CodeBytes {
		return lang, 0, fmt.Sprintf("The code is %d bytes, over the limit of %d bytes. Split the work, or write data files in an earlier call and read them.", n, lang.Limits.CodeBytes)
	}
	timeout := lang.Limits.DefaultTimeout
	if in.TimeoutSeconds != 0 {
		timeout = time.Duration(in.TimeoutSeconds * float64(time.Second))
	}
	if in.TimeoutSeconds < 0 || timeout > lang.Limits.MaxTimeout {
		return lang, 0, fmt.Sprintf("timeout_seconds must be between 1 and %g for %s, got %g.", lang.Limits.MaxTimeout.Seconds(), lang.Runtime.Name, in.TimeoutSeconds)
	}
	return lang, timeout, ""
}

func (s *Server) language(name string) (Language, bool) {
	rt, ok := runtimes.Lookup(name)
	if !ok {
		return Language{}, false
	}
	lang, ok := s.languages[rt.Name]
	return lang, ok
}

// leaseFor returns the sandbox's container, leasing one on the conversation's first call
// in this language. The caller holds the sandbox's turn.
func (s *Server) leaseFor(ctx context.Context, c *conversation, sb *sandbox, lang Language) (*pool.Lease, error) {
	if l := sb.lease.Load(); l != nil {
		return l, nil
	}
	l, err := lang.Pool.Lease(ctx, c.id)
	if err != nil {
		return nil, err
	}
	sb.lease.Store(l)

	// The conversation may have ended while the lease was made. Then end either saw this
	// lease and released it or did not, so it is released here too: releasing twice is
	// harmless.
	if c.hasEnded() {
		_ = l.Release(pool.ReasonConversationEnd)
		return nil, errUnknownConversation
	}
	return l, nil
}

// failure returns the tool error of a call that could not run because the conversation
// ended or no sandbox could be had.
func (s *Server) failure(c *conversation, lang Language, err error) *mcp.CallToolResult {
	if errors.Is(err, errUnknownConversation) {
		return mcp.NewToolResultError(unknownSessionMessage(c.id))
	}
	s.log.Warn("getting a sandbox failed", "session_id", c.id, "language", lang.Runtime.Name, "error", err)
	return errorWithSession(c.id, modelMessage(lang.Runtime.Name, err))
}

// runFailure returns the tool error of a run that the engine failed. When the container is gone or its processes
// could not be stopped, the sandbox is discarded, and the next call gets a fresh one.
func (s *Server) runFailure(c *conversation, sb *sandbox, lang Language, err error) *mcp.CallToolResult {
	if c.hasEnded() {
		return mcp.NewToolResultError(unknownSessionMessage(c.id))
	}
	s.log.Warn("run failed", "session_id", c.id, "language", lang.Runtime.Name, "error", err)
	if errors.Is(err, pool.ErrNotStarted) {
		return errorWithSession(c.id, fmt.Sprintf("The run could not start in the %s sandbox, most likely because processes left by an earlier run held every process slot. Every background process of the sandbox was stopped and its files are kept: run the code again.", lang.Runtime.Name))
	}
	if !errors.Is(err, pool.ErrUnstoppable) && !errors.Is(err, pool.ErrContainerNotFound) {
		return errorWithSession(c.id, modelMessage(lang.Runtime.Name, err))
	}
	return s.sandboxLost(c, sb, lang, err)
}

// sandboxLost releases the sandbox whose container stopped or whose processes could not be
// stopped, as err tells, and returns the tool error that says its files are lost. The
// caller logged err.
func (s *Server) sandboxLost(c *conversation, sb *sandbox, lang Language, err error) *mcp.CallToolResult {
	if c.hasEnded() {
		return mcp.NewToolResultError(unknownSessionMessage(c.id))
	}
	if l := sb.lease.Swap(nil); l != nil {
		_ = l.Release(pool.ReasonUnhealthy)
	}
	why := "its container stopped"
	if errors.Is(err, pool.ErrUnstoppable) {
		why = "its processes could not be stopped (the process limit was probably exhausted, as by a fork bomb)"
	}
	return errorWithSession(c.id, fmt.Sprintf("The %s sandbox was destroyed because %s. Its files are lost. The next call with this session_id starts a fresh sandbox.", lang.Runtime.Name, why))
}

func errorWithSession(id, msg string) *mcp.CallToolResult {
	return mcp.NewToolResultError(msg + "\nsession_id: " + id)
}

// runResult reports a finished, timed-out or cancelled run, with its plots after the text.
// Anything but exit code 0 sets isError, with the output included.
func runResult(id string, run int, lang Language, timeout time.Duration, r pool.RunResult, plots plotReport, cancelled error) *mcp.CallToolResult {
	out := runCodeOutput{
		SessionID:     id,
		Language:      lang.Runtime.Name,
		ExitCode:      r.ExitCode,
		Stdout:        r.Stdout.Text,
		Stderr:        r.Stderr.Text,
		StdoutDropped: r.Stdout.Dropped,
		StderrDropped: r.Stderr.Dropped,
		DurationMs:    r.Duration.Milliseconds(),
		TimedOut:      r.TimedOut,
		OOMKilled:     r.OOMKilled,
		Run:           run,
		Plots:         plots.outputs,
	}
	text := formatRun(out, timeout, lang, cancelled != nil)
	if len(plots.lines) > 0 {
		text += "--- plots ---\n" + strings.Join(plots.lines, "\n") + "\n"
	}
	res := mcp.NewToolResultStructured(out, text)
	res.Content = append(res.Content, plots.content...)
	res.IsError = r.ExitCode != 0 || r.TimedOut || r.OOMKilled || cancelled != nil
	return res
}

// formatRun is the text form of a run's result.
func formatRun(out runCodeOutput, timeout time.Duration, lang Language, cancelled bool) string {
	var b strings.Builder
	switch {
	case out.TimedOut:
		fmt.Fprintf(&b, "Timed out after %s: every process of this run was killed. Files in the working directory are kept.\n", timeout)
	case cancelled:
		b.WriteString("Cancelled: every process of this run was killed. Files in the working directory are kept.\n")
	case out.OOMKilled:
		fmt.Fprintf(&b, "Killed: the program ran out of memory (the sandbox's limit is %s).\n", formatBytes(lang.Limits.MemoryBytes))
	default:
		fmt.Fprintf(&b, "exit_code: %d\n", out.ExitCode)
	}
	fmt.Fprintf(&b, "duration_ms: %d\nsession_id: %s\nrun: %d\n", out.DurationMs, out.SessionID, out.Run)
	writeStream(&b, "stdout", out.Stdout, out.StdoutDropped)
	writeStream(&b, "stderr", out.Stderr, out.StderrDropped)
	return b.String()
}

func writeStream(b *strings.Builder, name, text string, dropped int64) {
	if text == "" {
		return
	}
	if dropped > 0 {
		fmt.Fprintf(b, "--- %s (%d bytes dropped from the middle) ---\n", name, dropped)
	} else {
		fmt.Fprintf(b, "--- %s ---\n", name)
	}
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// startProgress sends a progress notification every progressInterval while a run lasts,
// when the request carries a progress token. The returned function stops it.
func (s *Server) startProgress(ctx context.Context, req mcp.CallToolRequest, timeout time.Duration) func() {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return func() {}
	}
	token := req.Params.Meta.ProgressToken
	srv := server.ServerFromContext(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		start := time.Now()
		ticker := time.NewTicker(progressInterval)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				elapsed := time.Since(start).Seconds()
				params := map[string]any{"progressToken": token, "progress": elapsed, "total": timeout.Seconds(),
					"message": fmt.Sprintf("running for %.0f s", elapsed)}
				if err := srv.SendNotificationToClient(ctx, "notifications/progress", params); err != nil {
					s.log.Debug("sending progress failed", "error", err)
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}
