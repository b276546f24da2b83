// Package tools assembles the MCP server: the tool schemas and handlers, and the registry
// of conversations that tool calls belong to. It drives sandboxes through package pool and
// never talks to a container engine directly.
package tools

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// Language is one runtime that run_code accepts, with its pool and limits.
type Language struct {
	Runtime runtimes.Runtime
	Pool    *pool.Pool
	Limits  Limits
	// Install configures install_packages for the language; nil means packages cannot be
	// installed, as when the runtime has no package installer.
	Install *Install
}

// Install configures how packages are installed for one language.
type Install struct {
	// Spec is the installer container: the language's image, with a network.
	Spec  pool.Spec
	Index runtimes.Index
	// Timeout bounds one install; MaxBytes the files it copies into the sandbox.
	Timeout     time.Duration
	MaxBytes    int64
	OutputBytes int64
}

// Limits bound one language's runs.
type Limits struct {
	MemoryBytes    int64 // reported when a run is killed for exceeding it
	CodeBytes      int64
	OutputBytes    int64 // per stream
	DefaultTimeout time.Duration
	MaxTimeout     time.Duration
}

// Options configure a Server. Backend and Languages are required.
type Options struct {
	Backend   pool.Backend
	Languages []Language
	// IdleTimeout ends a conversation after this long without a call; zero means never.
	IdleTimeout time.Duration
	// MaxAge ends a conversation this long after it started; zero means never.
	MaxAge time.Duration
	// Installer runs install_packages; nil leaves the tool out.
	Installer *pool.Installer
	// MaxPackages caps the packages of one install_packages call.
	MaxPackages int
	// Plots configures plot capture, get_plots and the plot resources; the zero value
	// captures no plots.
	Plots Plots
	// Version is reported to clients in the server info.
	Version string
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// RequestLogger receives one line per MCP request and tool call from mcp-go, at info
	// level; nil leaves them out.
	RequestLogger *slog.Logger
}

// Server is the sandbox-mcp MCP server. Serve it with server.NewStdioServer or
// server.NewStreamableHTTPServer on MCP(); Close ends every conversation.
type Server struct {
	mcp         *server.MCPServer
	backend     pool.Backend
	installer   *pool.Installer
	maxPackages int
	plots       Plots
	languages   map[string]Language
	names       []string
	conv        *registry
	log         *slog.Logger

	stopSweeper context.CancelFunc
	sweeperDone chan struct{}
	closeOnce   sync.Once
}

// New builds the server and starts the sweeper that ends idle and old conversations.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		backend:     opts.Backend,
		installer:   opts.Installer,
		maxPackages: opts.MaxPackages,
		plots:       opts.Plots,
		languages:   make(map[string]Language),
		conv:        newRegistry(opts.IdleTimeout, opts.MaxAge, log),
		log:         log,
	}
	for _, l := range opts.Languages {
		s.languages[l.Runtime.Name] = l
		s.names = append(s.names, l.Runtime.Name)
	}
	slices.Sort(s.names)

	hooks := &server.Hooks{}
	hooks.AddOnUnregisterSession(func(ctx context.Context, session server.ClientSession) {
		s.conv.endProtocolSession(session.SessionID())
	})
	validator := newInputValidator()
	s.mcp = server.NewMCPServer("sandbox-mcp", opts.Version,
		server.WithToolCapabilities(false),
		server.WithToolHandlerMiddleware(validator.middleware),
		server.WithRecovery(),
		server.WithHooks(hooks),
		server.WithLogger(opts.RequestLogger),
		server.WithInstructions(instructions),
	)
	s.addTool(validator, s.runCodeTool(), s.handleRunCode)
	s.addTool(validator, endSessionTool(), s.handleEndSession)
	if s.anyCapturesPlots() {
		s.addTool(validator, s.getPlotsTool(), s.handleGetPlots)
		s.mcp.AddResourceTemplate(plotTemplate(), s.handleReadPlot)
	}
	if s.installer != nil && len(s.installNames()) > 0 {
		s.addTool(validator, s.installPackagesTool(), s.handleInstallPackages)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweeper = cancel
	s.sweeperDone = make(chan struct{})
	go func() {
		defer close(s.sweeperDone)
		s.conv.runSweeper(ctx)
	}()
	return s
}

const instructions = `This server runs code in isolated sandboxes without network access.
Call run_code with the source code and its language. The first result returns a session_id:
pass it to later calls to keep the same sandbox, with its files and installed packages.
Call end_session when the work is done, so the sandbox is freed.`

// addTool publishes tool with its input schema enforced by validator.
func (s *Server) addTool(validator *inputValidator, tool mcp.Tool, handler server.ToolHandlerFunc) {
	validator.add(tool)
	s.mcp.AddTool(tool, handler)
}

// MCP returns the underlying mcp-go server, for the transports.
func (s *Server) MCP() *server.MCPServer { return s.mcp }

// Close ends every conversation and removes their containers. It blocks until that is done
// and is safe to call more than once. The pools themselves are the caller's to close.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.stopSweeper()
		<-s.sweeperDone
		s.conv.closeAll()
	})
}

// protocolSessionID returns the ID of the request's protocol session, or "" for stateless
// (2026-07-28) requests, which belong to no session.
func protocolSessionID(ctx context.Context) string {
	if server.IsModernRequest(ctx) {
		return ""
	}
	if session := server.ClientSessionFromContext(ctx); session != nil {
		return session.SessionID()
	}
	return ""
}

func (s *Server) languageList() string {
	return strings.Join(s.names, ", ")
}
