package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
)

func TestSandboxLimits(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)
	config := smallPool + "sandbox: {memory: 128MiB}\n"
	c := connect(t, startServer(t, httpTransport, config), statelessEra)

	t.Run("memory", func(t *testing.T) {
		res := runCode(t, c, runArgs{Code: "b = bytearray(400 * 1024 * 1024)\nprint(len(b))", TimeoutSeconds: 30})
		out := res.run(t)
		defer endSession(t, c, out.SessionID)
		t.Logf("over the memory limit: exit_code %d, oom_killed %v, text:\n%s", out.ExitCode, out.OOMKilled, res.Text)
		if !res.IsError {
			t.Errorf("isError = false for a program over the memory limit, want true")
		}
		if out.ExitCode != 137 {
			t.Errorf("exit_code = %d, want 137 (killed by SIGKILL)", out.ExitCode)
		}
		if !out.OOMKilled {
			t.Errorf("oom_killed = false, want true")
		}
		checkNewConversation(t, c)
	})

	t.Run("no network", func(t *testing.T) {
		code := `import urllib.request
try:
    urllib.request.urlopen('http://deb.debian.org', timeout=3)
    print('connected')
except Exception as e:
    print('failed:', type(e).__name__, e)
`
		out := mustRun(t, c, runArgs{Code: code})
		endSession(t, c, out.SessionID)
		if !strings.HasPrefix(out.Stdout, "failed:") {
			t.Errorf("urlopen from the sandbox printed %q, want a failure", out.Stdout)
		}
	})
}

// TestForkBomb runs fork bombs under the default limits (256 processes, 512 MiB).
func TestForkBomb(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)
	c := connect(t, startServer(t, httpTransport, smallPool), statelessEra)

	bombs := []struct {
		name string
		code string
	}{
		// Each process dies when its fork fails, so this bomb burns out at the limit.
		{"plain", "import os\nwhile True:\n    os.fork()"},
		// Every process survives failed forks and keeps every process slot taken.
		{"ignoring fork errors", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"},
	}
	for _, bomb := range bombs {
		t.Run(bomb.name, func(t *testing.T) {
			start := time.Now()
			res, err := callTool(c, "run_code", runArgs{Code: bomb.code, TimeoutSeconds: 5}.arguments())
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("run_code(fork bomb): protocol error %v after %s, want a result", err, elapsed)
			}
			var out runOutput
			if res.Structured != nil {
				out = res.run(t)
			}
			t.Logf("fork bomb returned after %s: isError %v, exit_code %d, timed_out %v, oom_killed %v, stderr %d bytes; text:\n%.400s",
				elapsed, res.IsError, out.ExitCode, out.TimedOut, out.OOMKilled, len(out.Stderr), res.Text)
			if !res.IsError {
				t.Errorf("isError = false for a fork bomb, want true")
			}
			if elapsed > 30*time.Second {
				t.Errorf("run_code(fork bomb, timeout 5 s) returned after %s, want within 30 s", elapsed)
			}
			if id := sessionIDOf(res); id != "" {
				endSession(t, c, id)
			}
			checkNewConversation(t, c)
		})
	}
}

// sessionIDOf returns the session_id on a tool result's "session_id: " text line, or "" when
// there is none. Error results carry the session_id only there.
func sessionIDOf(res toolResult) string {
	for line := range strings.Lines(res.Text) {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "session_id: "); ok {
			return id
		}
	}
	return ""
}

// checkNewConversation checks that a new conversation runs code, which shows that the
// server still serves and the pool still hands out sandboxes, and then ends it.
func checkNewConversation(t *testing.T, c *client.Client) {
	t.Helper()
	out := mustRun(t, c, runArgs{Code: "print('still serving')"})
	endSession(t, c, out.SessionID)
	if out.Stdout != "still serving\n" {
		t.Errorf("new conversation printed %q, want %q", out.Stdout, "still serving\n")
	}
}
