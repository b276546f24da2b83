package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
)

// smallPool is the config of servers that need only one warm python container.
const smallPool = `
pool: {min_idle: 1, max_size: 4}
runtimes:
  javascript: {enabled: false}
`

func TestConversationFiles(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, backend string) {
		reserveServers(t, 2)

		t.Run("stdio/session", func(t *testing.T) {
			// A stdio process is one protocol session, so the other conversation comes from a
			// second server.
			a := connect(t, startServerOn(t, backend, stdioTransport, smallPool), sessionEra)
			b := connect(t, startServerOn(t, backend, stdioTransport, smallPool), sessionEra)
			checkFilesKept(t, sessionEra, a, b)
		})
		t.Run("stdio/stateless", func(t *testing.T) {
			c := connect(t, startServerOn(t, backend, stdioTransport, smallPool), statelessEra)
			checkFilesKept(t, statelessEra, c, c)
		})
		t.Run("http", func(t *testing.T) {
			s := startServerOn(t, backend, httpTransport, smallPool)
			t.Run("session", func(t *testing.T) {
				checkFilesKept(t, sessionEra, connect(t, s, sessionEra), connect(t, s, sessionEra))
			})
			t.Run("stateless", func(t *testing.T) {
				c := connect(t, s, statelessEra)
				checkFilesKept(t, statelessEra, c, c)
			})
		})
	})
}

// checkFilesKept writes a file in a new conversation of a, reads it back in a later call of
// the same conversation, and checks that a new conversation of b does not see it. In the
// session era the later call leaves session_id out, because the protocol session selects
// the conversation. In the stateless era it passes the session_id of the first result.
func checkFilesKept(t *testing.T, e era, a, b *client.Client) {
	t.Helper()
	write := mustRun(t, a, runArgs{Code: "open('x', 'w').write('1')"})

	handle := write.SessionID
	if e == sessionEra {
		handle = ""
	}
	read := mustRun(t, a, runArgs{Code: "print(open('x').read())", SessionID: handle})
	if read.SessionID != write.SessionID {
		t.Errorf("second call: session_id = %q, want the first call's %q", read.SessionID, write.SessionID)
	}
	if got := strings.TrimSpace(read.Stdout); got != "1" {
		t.Errorf("second call: reading x printed %q, want %q", got, "1")
	}

	other := mustRun(t, b, runArgs{Code: "import os; print(os.path.exists('x'))"})
	if other.SessionID == write.SessionID {
		t.Errorf("other conversation: session_id = %q, the same as the first conversation's", other.SessionID)
	}
	if got := strings.TrimSpace(other.Stdout); got != "False" {
		t.Errorf("other conversation: os.path.exists('x') printed %q, want False", got)
	}
}

func TestConversationEnd(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, backend string) {
		reserveServers(t, 1)

		for _, e := range eras {
			t.Run("stdio eof/"+e.name, func(t *testing.T) {
				s := startServerOn(t, backend, stdioTransport, smallPool)
				c := connect(t, s, e)
				host, _ := containerOf(t, c, "")

				if err := c.Close(); err != nil {
					t.Errorf("closing the stdio client: %v", err)
				}
				code, exited := s.wait(10 * time.Second)
				if !exited {
					t.Fatal("server still runs 10 s after its stdin closed, want it to exit")
				}
				if code != 0 {
					t.Errorf("server exit code after stdin EOF = %d, want 0", code)
				}
				if c, found := findContainer(t, s, host); found {
					t.Errorf("container %s of the conversation remains after stdin EOF", c)
				}
				if left := mustListContainers(t, s, nil); len(left) > 0 {
					t.Errorf("containers of instance %s after stdin EOF = %v, want none", s.instance, left)
				}
			})
		}

		t.Run("http", func(t *testing.T) {
			s := startServerOn(t, backend, httpTransport, smallPool)
			t.Run("delete", func(t *testing.T) { checkEndByDelete(t, s) })
			t.Run("end_session", func(t *testing.T) { checkEndSession(t, s) })
		})

		t.Run("idle expiry", func(t *testing.T) {
			s := startServerOn(t, backend, httpTransport, smallPool+"conversation: {idle_timeout: 2s}\n")
			c := connect(t, s, statelessEra)
			host, out := containerOf(t, c, "")
			if _, found := findContainer(t, s, host); !found {
				t.Fatalf("container %s of the new conversation is not in the engine's list", host)
			}
			// The conversation idles out 2 s after its last call; the sweep runs every 500 ms.
			waitContainerGone(t, s, host, 8*time.Second)
			checkUnknownSession(t, c, out.SessionID)
		})
	})
}

// checkEndByDelete starts a conversation in an HTTP protocol session, closes the client
// (which sends DELETE) and checks that the conversation's container is removed.
func checkEndByDelete(t *testing.T, s *server) {
	c := connect(t, s, sessionEra)
	host, out := containerOf(t, c, "")
	if err := c.Close(); err != nil {
		t.Errorf("closing the HTTP client: %v", err)
	}
	waitContainerGone(t, s, host, 10*time.Second)
	checkUnknownSession(t, connect(t, s, statelessEra), out.SessionID)
}

// checkEndSession ends a conversation with end_session and checks that its container is
// gone when the call returns.
func checkEndSession(t *testing.T, s *server) {
	c := connect(t, s, statelessEra)
	host, out := containerOf(t, c, "")
	endSession(t, c, out.SessionID)
	if c, found := findContainer(t, s, host); found {
		t.Errorf("container %s remains after end_session returned", c)
	}
	checkUnknownSession(t, c, out.SessionID)
}

// checkUnknownSession checks that run_code with an ended conversation's session_id is a
// tool error that explains how to start a new conversation.
func checkUnknownSession(t *testing.T, c *client.Client, sessionID string) {
	t.Helper()
	res := runCode(t, c, runArgs{Code: "print(1)", SessionID: sessionID})
	if !res.IsError {
		t.Errorf("run_code with ended session_id %q: isError false, want a tool error; text:\n%s", sessionID, res.Text)
	}
	for _, want := range []string{"Unknown session_id", "Leave session_id out"} {
		if !strings.Contains(res.Text, want) {
			t.Errorf("run_code with ended session_id %q: text %q does not contain %q", sessionID, res.Text, want)
		}
	}
}

// TestConcurrentConversations starts 8 conversations at once on a pool of 2 warm
// containers, checks that each gets a sandbox of its own, then ends them all at once and
// checks that their containers are gone within 5 s.
func TestConcurrentConversations(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, backend string) {
		reserveServers(t, 1)
		s := startServerOn(t, backend, httpTransport, "pool: {min_idle: 2, max_size: 8}\nruntimes:\n  javascript: {enabled: false}\n")
		c := connect(t, s, statelessEra)

		// Goroutines make the calls, because parallel subtests would run only GOMAXPROCS at
		// a time. They report through errs, since only the test goroutine may stop the test.
		const n = 8
		var mu sync.Mutex
		hosts := map[string]string{} // container → session_id; guarded by mu
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				host, sessionID, err := startConversation(c)
				mu.Lock()
				defer mu.Unlock()
				if other, ok := hosts[host]; ok && err == nil {
					err = fmt.Errorf("conversations %s and %s share container %s", other, sessionID, host)
				}
				hosts[host] = sessionID
				errs <- err
			})
		}
		wg.Wait()
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if len(hosts) != n {
			t.Fatalf("%d conversations got %d containers, want %d", n, len(hosts), n)
		}

		began := time.Now()
		for _, sessionID := range hosts {
			wg.Go(func() {
				res, err := callTool(c, "end_session", map[string]any{"session_id": sessionID})
				if err == nil && res.IsError {
					err = fmt.Errorf("end_session(%q) = error %q", sessionID, res.Text)
				}
				errs <- err
			})
		}
		wg.Wait()
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		for host := range hosts {
			waitContainerGone(t, s, host, 5*time.Second)
		}
		elapsed := time.Since(began)
		t.Logf("%d conversations ended and their containers gone in %s", n, elapsed.Round(time.Millisecond))
		if elapsed > 5*time.Second {
			t.Errorf("%d conversations ended and their containers gone in %s, want within 5 s", n, elapsed.Round(time.Millisecond))
		}
	})
}

// startConversation starts a conversation on c and returns its container's host name and
// its session_id. Unlike containerOf, it may run outside the test goroutine.
func startConversation(c *client.Client) (host, sessionID string, err error) {
	res, err := callTool(c, "run_code", runArgs{Code: hostnameCode}.arguments())
	if err != nil {
		return "", "", err
	}
	var out runOutput
	if err := json.Unmarshal(res.Structured, &out); err != nil || res.IsError {
		return "", "", fmt.Errorf("run_code(hostname) = isError %v, %v; text:\n%s", res.IsError, err, res.Text)
	}
	return strings.TrimSpace(out.Stdout), out.SessionID, nil
}
