package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// era is an MCP protocol era, named by the version the client pins.
type era struct {
	name    string
	version string
}

var (
	// sessionEra has protocol sessions: the stdio process, or Mcp-Session-Id over HTTP.
	sessionEra = era{name: "session", version: mcp.LATEST_LEGACY_PROTOCOL_VERSION}
	// statelessEra (2026-07-28) has no protocol session, so only session_id continues a
	// conversation.
	statelessEra = era{name: "stateless", version: mcp.LATEST_PROTOCOL_VERSION}

	eras = []era{sessionEra, statelessEra}
)

const (
	// connectTimeout bounds the initialize handshake or the discovery request.
	connectTimeout = 60 * time.Second
	// callTimeout bounds one tool call, including a wait for a free sandbox.
	callTimeout = 2 * time.Minute
)

// connect returns an initialized client of s in era e, closed when t ends.
func connect(t *testing.T, s *server, e era) *client.Client {
	t.Helper()
	var tr transport.Interface
	if s.transport == stdioTransport {
		tr = transport.NewIO(s.stdout, s.stdin, nil)
	} else {
		streamable, err := transport.NewStreamableHTTP(s.url)
		if err != nil {
			t.Fatalf("creating HTTP transport for %s: %v", s.url, err)
		}
		tr = streamable
	}
	c := client.NewClient(tr, client.WithProtocolVersion(e.version))
	t.Cleanup(func() { _ = c.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("starting client: %v", err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = e.version
	req.Params.ClientInfo = mcp.Implementation{Name: "sandbox-mcp-e2e", Version: "0"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("Initialize(%s) = %v", e.version, err)
	}
	if got := c.ProtocolVersion(); got != e.version {
		t.Fatalf("ProtocolVersion() = %q after initialize, want %q", got, e.version)
	}
	return c
}

// runOutput is run_code's structured result, as tools/run_code.go documents it.
type runOutput struct {
	SessionID     string `json:"session_id"`
	Language      string `json:"language"`
	ExitCode      int    `json:"exit_code"`
	Stdout        string `json:"stdout"`
	Stderr        string `json:"stderr"`
	StdoutDropped int64  `json:"stdout_dropped_bytes"`
	StderrDropped int64  `json:"stderr_dropped_bytes"`
	DurationMs    int64  `json:"duration_ms"`
	TimedOut      bool   `json:"timed_out"`
	OOMKilled     bool   `json:"oom_killed"`
}

// toolResult is a tool call's result in the form the model receives it.
type toolResult struct {
	IsError bool
	// Text joins the text content items.
	Text string
	// Structured is the raw structuredContent, or nil.
	Structured json.RawMessage
}

// run decodes the structured content of a run_code result.
func (r toolResult) run(t *testing.T) runOutput {
	t.Helper()
	var out runOutput
	if r.Structured == nil {
		t.Fatalf("run_code result has no structuredContent; text:\n%s", r.Text)
	}
	if err := json.Unmarshal(r.Structured, &out); err != nil {
		t.Fatalf("decoding run_code structuredContent %s: %v", r.Structured, err)
	}
	return out
}

// callTool calls a tool and returns its result. A protocol error is returned as err, so
// that goroutines other than the test's can call it.
func callTool(c *client.Client, name string, args map[string]any) (toolResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return toolResult{}, err
	}
	out := toolResult{IsError: res.IsError}
	var texts []string
	for _, content := range res.Content {
		if text, ok := mcp.AsTextContent(content); ok {
			texts = append(texts, text.Text)
		}
	}
	out.Text = strings.Join(texts, "\n")
	if res.StructuredContent != nil {
		out.Structured, err = json.Marshal(res.StructuredContent)
	}
	return out, err
}

// mustCallTool is callTool that fails t on a protocol error.
func mustCallTool(t *testing.T, c *client.Client, name string, args map[string]any) toolResult {
	t.Helper()
	res, err := callTool(c, name, args)
	if err != nil {
		t.Fatalf("calling %s(%v): protocol error %v, want a result", name, args, err)
	}
	return res
}

// runArgs are the arguments of one run_code call. Zero fields are left out of the request.
type runArgs struct {
	Language       string
	Code           string
	SessionID      string
	TimeoutSeconds int
}

func (a runArgs) arguments() map[string]any {
	args := map[string]any{"language": a.Language, "code": a.Code}
	if a.Language == "" {
		args["language"] = "python"
	}
	if a.SessionID != "" {
		args["session_id"] = a.SessionID
	}
	if a.TimeoutSeconds != 0 {
		args["timeout_seconds"] = a.TimeoutSeconds
	}
	return args
}

// runCode calls run_code and returns its result, failing t on a protocol error.
func runCode(t *testing.T, c *client.Client, a runArgs) toolResult {
	t.Helper()
	return mustCallTool(t, c, "run_code", a.arguments())
}

// mustRun calls run_code and fails t unless the program exited 0.
func mustRun(t *testing.T, c *client.Client, a runArgs) runOutput {
	t.Helper()
	res := runCode(t, c, a)
	out := res.run(t)
	if res.IsError || out.ExitCode != 0 {
		t.Fatalf("run_code(%q) = isError %v, exit code %d, want success; text:\n%s", a.Code, res.IsError, out.ExitCode, res.Text)
	}
	if out.SessionID == "" {
		t.Fatalf("run_code(%q) returned no session_id", a.Code)
	}
	return out
}

// endSession calls end_session and fails t unless it succeeded.
func endSession(t *testing.T, c *client.Client, sessionID string) {
	t.Helper()
	res := mustCallTool(t, c, "end_session", map[string]any{"session_id": sessionID})
	if res.IsError {
		t.Fatalf("end_session(%q) = error %q, want success", sessionID, res.Text)
	}
}

// hostnameCode prints the sandbox's host name, which Docker and Podman set to the first 12
// characters of the container ID, and Kubernetes to the pod's name, which is its ID.
const hostnameCode = "import socket; print(socket.gethostname())"

// containerOf runs hostnameCode in the conversation and returns the container ID prefix.
func containerOf(t *testing.T, c *client.Client, sessionID string) (string, runOutput) {
	t.Helper()
	out := mustRun(t, c, runArgs{Code: hostnameCode, SessionID: sessionID})
	host := strings.TrimSpace(out.Stdout)
	if host == "" || strings.ContainsAny(host, " \n") {
		t.Fatalf("sandbox host name = %q, want a container ID or its first 12 characters", host)
	}
	return host, out
}
