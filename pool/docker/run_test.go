package docker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

// The tests in this file run the pool's support scripts (run and kill) on each engine, as
// warm sandboxes run them. They check what those scripts rely on and what
// pool/backendtest leaves out: the init process, /proc start times, signals to other
// sessions, and the OOM counter of the memory cgroup.

// warmSandbox creates a sandbox from image as the pool does, warms it with the built-in
// support scripts, and removes it when t ends.
func warmSandbox(t *testing.T, b *Backend, image string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	spec := pool.SandboxSpec(image, pool.SandboxLimits{
		Limits:       pool.Limits{MemoryBytes: 64 << 20, NanoCPUs: 1e9, Pids: 64, NoFile: 1024},
		WorkDirBytes: 16 << 20,
		TmpBytes:     16 << 20,
	})
	spec.Labels = map[string]string{backendtest.TestLabel: "docker-run", backendtest.RunLabel: fmt.Sprint(time.Now().UnixNano())}
	id, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create(%q) = %v, want nil error", image, err)
	}
	t.Cleanup(func() {
		if err := b.Remove(context.Background(), id); err != nil {
			t.Errorf("cleanup: Remove(%s) = %v", id, err)
		}
	})

	warm, err := pool.Warmer(nil, nil, nil)
	if err != nil {
		t.Fatalf("Warmer() = %v, want nil error", err)
	}
	if err := warm(ctx, b, id); err != nil {
		t.Fatalf("warming container %s: %v", id, err)
	}
	return id
}

// execOutput runs script with sh -c as user and returns its exit code and stdout, failing
// t when Exec fails.
func execOutput(t *testing.T, b *Backend, id, user, script string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr strings.Builder
	result, err := b.Exec(ctx, id, pool.ExecCommand{Cmd: []string{"sh", "-c", script}, User: user, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatalf("Exec(%q) = %v, want nil error", script, err)
	}
	if stderr.Len() > 0 {
		t.Logf("Exec(%q) stderr: %s", script, stderr.String())
	}
	return result.ExitCode, stdout.String()
}

// codeUserProcesses is a script that prints the PID and command name of every process of
// pool.CodeUser, one per line, leaving out itself.
const codeUserProcesses = `for status in /proc/[0-9]*/status; do
	pid=${status#/proc/}; pid=${pid%/status}
	[ "$pid" = "$$" ] && continue
	grep -q -E '^Uid:[[:space:]]+65534[[:space:]]' "$status" 2>/dev/null || continue
	read -r stat <"/proc/$pid/stat" 2>/dev/null && echo "$stat"
done`

func TestRunTimeoutKillsEscapedProcesses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		image := requireEngine(t, e)
		b := newTestBackend(t, e)
		id := warmSandbox(t, b, image)

		// The run keeps a file, then starts a sleeper in a session of its own, a
		// double-forked one, and one with an empty environment, and outlives its timeout.
		code := `echo kept >keep.txt
setsid sleep 300 &
(sleep 301 &)
env -i /bin/sleep 302 &
sleep 303
`
		result, err := pool.Run(context.Background(), b, id, pool.RunRequest{
			FileName: "main.sh", Command: []string{"sh", "main.sh"}, Code: []byte(code),
			Timeout: 2 * time.Second, OutputBytes: 1 << 10,
		})
		if err != nil || !result.TimedOut {
			t.Fatalf("Run(sleepers, timeout 2s) = %+v, %v, want a timed-out run and nil error", result, err)
		}

		if _, left := execOutput(t, b, id, pool.KeeperUser, codeUserProcesses); left != "" {
			t.Errorf("processes of the code user after the timeout:\n%s", left)
		}
		if code, kept := execOutput(t, b, id, pool.CodeUser, "cat "+pool.WorkDir+"/keep.txt"); code != 0 || kept != "kept\n" {
			t.Errorf("keep.txt after the timeout = %d, %q, want %q", code, kept, "kept\n")
		}
	})
}

func TestRunReportsOOMKill(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		image := requireEngine(t, e)
		b := newTestBackend(t, e)
		id := warmSandbox(t, b, image)

		// tail holds 300 MiB without a newline under the 64 MiB limit.
		result, err := pool.Run(context.Background(), b, id, pool.RunRequest{
			FileName: "main.sh", Command: []string{"sh", "main.sh"}, Code: []byte("head -c 300m /dev/zero | tail\n"),
			Timeout: 30 * time.Second, OutputBytes: 1 << 10,
		})
		if err != nil {
			t.Fatalf("Run(tail of 300 MiB) = %v, want nil error", err)
		}
		if result.ExitCode != 137 || !result.OOMKilled {
			t.Errorf("Run(tail of 300 MiB) = exit code %d, OOMKilled %v, want 137 and true (stderr %q)",
				result.ExitCode, result.OOMKilled, result.Stderr.Text)
		}
	})
}

func TestInitReapsOrphans(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		image := requireEngine(t, e)
		b := newTestBackend(t, e)
		id := warmSandbox(t, b, image)

		_, init := execOutput(t, b, id, pool.KeeperUser, `tr '\0' ' ' </proc/1/cmdline`)
		t.Logf("PID 1 on %s: %s", e.backend, init)

		// The orphan's parent exits at once, so the orphan becomes a child of PID 1, which
		// must reap it when it exits.
		execOutput(t, b, id, pool.CodeUser, "sleep 0.2 &")
		time.Sleep(time.Second)
		if _, zombies := execOutput(t, b, id, pool.KeeperUser, `grep -l '^[0-9]* ([^)]*) Z' /proc/[0-9]*/stat`); zombies != "" {
			t.Errorf("zombie processes 1s after an orphan exited:\n%s", zombies)
		}
	})
}

// TestExecMissingCommand records the exit code of an exec whose binary does not exist,
// which pool.Backend leaves to the engine: 126 on Docker 20.10, 127 on Podman 4.3.
func TestExecMissingCommand(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		image := requireEngine(t, e)
		b := newTestBackend(t, e)
		id := warmSandbox(t, b, image)

		var stderr strings.Builder
		result, err := b.Exec(t.Context(), id, pool.ExecCommand{Cmd: []string{"/no/such/binary"}, Stderr: &stderr})
		if err != nil {
			t.Fatalf("Exec(/no/such/binary) = %v, want nil error", err)
		}
		if result.ExitCode != 126 && result.ExitCode != 127 {
			t.Errorf("Exec(/no/such/binary) exit code = %d, want 126 or 127 (stderr %q)", result.ExitCode, stderr.String())
		}
		t.Logf("Exec(/no/such/binary) on %s: exit code %d, stderr %q", e.backend, result.ExitCode, stderr.String())
	})
}
