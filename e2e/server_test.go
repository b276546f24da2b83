package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for a server's start-up log lines.
	startTimeout = 60 * time.Second
	// stopTimeout bounds a server's exit after SIGTERM before the test kills it. The server
	// itself gives its cleanup 8 s.
	stopTimeout = 15 * time.Second
	// maxServers caps the servers that run at once across parallel tests, because each one
	// keeps warm containers and this suite must fit a small machine.
	maxServers = 3
)

// Transports of the server under test.
const (
	stdioTransport = "stdio"
	httpTransport  = "http"
)

// serverSlots holds one token per running server. reserveMu makes a test's reservation of
// several slots atomic, so two tests that each need two servers cannot deadlock.
var (
	serverSlots = make(chan struct{}, maxServers)
	reserveMu   sync.Mutex
)

// reserveServers blocks until n more servers may run, and frees the slots when t ends. Call
// it once per top-level test with the most servers that test runs at once.
func reserveServers(t *testing.T, n int) {
	t.Helper()
	reserveMu.Lock()
	for range n {
		serverSlots <- struct{}{}
	}
	reserveMu.Unlock()
	t.Cleanup(func() {
		for range n {
			<-serverSlots
		}
	})
}

// server is one sandbox-mcp process started by a test. Its cleanup stops it and checks that
// every container it created is gone.
type server struct {
	// backend is the backend in the server's config, "docker" or "podman".
	backend   string
	transport string
	cmd       *exec.Cmd
	logPath   string
	// instance is the server's instance ID, the value of its containers' instance label.
	instance string
	// url is the MCP endpoint of the http transport.
	url string
	// stdin and stdout are the test's ends of the stdio transport's pipes.
	stdin  *os.File
	stdout *os.File

	exited  chan struct{}
	exitErr error // set before exited is closed
	// killed is set when the test killed the server with SIGKILL on purpose, which leaves
	// its containers for the next server to remove.
	killed bool
}

// startServer is startServerOn for Docker.
func startServer(t *testing.T, transport, config string) *server {
	t.Helper()
	return startServerOn(t, dockerBackend, transport, config)
}

// startServerOn writes config (YAML) with the backend key set to backend to a file, starts
// `sandbox-mcp serve` with it on transport, and waits until the server has logged its
// instance ID (and, over HTTP, its URL). The HTTP server listens on a free loopback port.
// config must not set backend itself.
func startServerOn(t *testing.T, backend, transport, config string) *server {
	t.Helper()
	dir := t.TempDir()
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte("backend: "+backend+"\n"+backendConfig(backend)+config), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &server{backend: backend, transport: transport, logPath: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	args := []string{"serve", "--transport", transport, "--config", configPath}
	if transport == httpTransport {
		args = append(args, "--addr", "127.0.0.1:0")
	}
	s.cmd = exec.Command(serverBinary, args...)
	if err := s.start(); err != nil {
		t.Fatalf("starting server: %v", err)
	}
	t.Cleanup(func() { s.cleanup(t) })
	s.waitReady(t)
	return s
}

// start starts the process with its stderr in the log file and, for stdio, its stdin and
// stdout on pipes whose other ends the test keeps.
func (s *server) start() error {
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	s.cmd.Stderr = logFile

	var childEnds []*os.File
	if s.transport == stdioTransport {
		inR, inW, err := os.Pipe()
		if err != nil {
			return err
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			inR.Close()
			inW.Close()
			return err
		}
		s.cmd.Stdin, s.cmd.Stdout = inR, outW
		s.stdin, s.stdout = inW, outR
		childEnds = []*os.File{inR, outW}
	}
	err = s.cmd.Start()
	for _, f := range childEnds {
		f.Close()
	}
	if err != nil {
		s.closePipes()
		return err
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	return nil
}

var (
	instancePattern = regexp.MustCompile(`msg="server starting" .*instance=([0-9a-f]+)`)
	urlPattern      = regexp.MustCompile(`msg="serving MCP over HTTP" url=(\S+)`)
)

// waitReady polls the log until the server has logged what the test needs.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		log := s.log()
		if m := instancePattern.FindStringSubmatch(log); m != nil {
			s.instance = m[1]
		}
		if m := urlPattern.FindStringSubmatch(log); m != nil {
			s.url = m[1]
		}
		if s.instance != "" && (s.transport != httpTransport || s.url != "") {
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("server exited during start-up (%v); its log:\n%s", s.exitErr, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server did not log its instance and URL within %s; its log:\n%s", startTimeout, s.log())
}

// waitWarm waits until the server has logged that a warm container is ready, so that a test
// starts from a pre-warmed pool.
func (s *server) waitWarm(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for !strings.Contains(s.log(), `msg="container ready"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no warm container was ready within %s; server log:\n%s", startTimeout, tail(s.log(), 60))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// log returns what the server has written to stderr so far.
func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// signal sends sig to the server process.
func (s *server) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if sig == syscall.SIGKILL {
		s.killed = true
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v to the server: %v", sig, err)
	}
}

// wait waits up to timeout for the server to exit. It returns the exit code, or false when
// the server still runs. A server killed by a signal has exit code -1.
func (s *server) wait(timeout time.Duration) (int, bool) {
	select {
	case <-s.exited:
	case <-time.After(timeout):
		return 0, false
	}
	var exitErr *exec.ExitError
	if errors.As(s.exitErr, &exitErr) {
		return exitErr.ExitCode(), true
	}
	if s.exitErr != nil {
		return -1, true
	}
	return 0, true
}

// stop sends SIGTERM to the server, and SIGKILL if it has not exited after stopTimeout.
func (s *server) stop(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if _, ok := s.wait(stopTimeout); ok {
		return
	}
	t.Errorf("server did not exit within %s of SIGTERM; killing it", stopTimeout)
	s.killed = true
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// cleanup stops the server and fails t if any container of its instance is left, unless
// the test killed it on purpose. Leftovers are removed either way.
func (s *server) cleanup(t *testing.T) {
	s.stop(t)
	s.closePipes()
	if s.instance == "" {
		return
	}
	removed, err := removeContainers(s)
	if err != nil {
		t.Errorf("removing the containers of instance %s: %v", s.instance, err)
	}
	if len(removed) > 0 && !s.killed {
		t.Errorf("server instance %s left %d containers after it stopped: %.12s", s.instance, len(removed), removed)
	}
	if t.Failed() {
		t.Logf("log of server instance %s:\n%s", s.instance, tail(s.log(), 60))
	}
}

func (s *server) closePipes() {
	for _, f := range []*os.File{s.stdin, s.stdout} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// rssBytes returns the server's resident set size from /proc/PID/status.
func (s *server) rssBytes(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("reading the server's memory use: %v", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 3 && fields[0] == "VmRSS:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatalf("parsing VmRSS %q: %v", fields[1], err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS line in /proc/%d/status", s.cmd.Process.Pid)
	return 0
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
