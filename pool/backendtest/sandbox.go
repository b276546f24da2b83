package backendtest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

var sandboxTests = []test{
	{"Hardening", testHardening},
	{"Network", testNetwork},
	{"PidsLimit", testPidsLimit},
	{"MemoryLimit", testMemoryLimit},
	{"KillCodeUser", testKillCodeUser},
}

// root is the user of execs that check what even root cannot do in the sandbox.
const root = "0:0"

// testHardening checks the hardened spec from inside the container, through /proc.
func testHardening(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	// The checks of what even root cannot do run as root where the backend can exec as root.
	strongest := root
	if e.diff.ExecUsersOnly {
		strongest = pool.KeeperUser
	}
	tests := []struct {
		name       string
		cmd        pool.ExecCommand
		skip       string // the reason the check does not apply; empty means it applies
		wantExit   int
		wantStdout string
		wantStderr string // a substring; empty means any
	}{{
		name:       "every process runs as the spec's user",
		cmd:        sh(pool.KeeperUser, `grep -h -E '^(Uid|Gid):' /proc/[0-9]*/status | tr -s '\t' ' ' | sort -u`),
		wantStdout: "Gid: 65532 65532 65532 65532\nUid: 65532 65532 65532 65532\n",
	}, {
		name:       "no capabilities",
		cmd:        sh(strongest, `grep -E '^Cap(Eff|Bnd):' /proc/self/status | tr -s '\t' ' '`),
		wantStdout: "CapEff: 0000000000000000\nCapBnd: 0000000000000000\n",
	}, {
		name:       "no new privileges",
		cmd:        sh(pool.CodeUser, `grep '^NoNewPrivs:' /proc/self/status | tr -s '\t' ' '`),
		wantStdout: "NoNewPrivs: 1\n",
	}, {
		name:       "only loopback",
		cmd:        sh(pool.CodeUser, `tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '`),
		skip:       skipIf(e.diff.NetworkPolicy, "the backend isolates sandboxes with a network policy, which its own tests check"),
		wantStdout: "lo\n",
	}, {
		name:       "root file system is read-only",
		cmd:        pool.ExecCommand{Cmd: []string{"touch", "/probe"}, User: strongest},
		wantExit:   1,
		wantStderr: "Read-only file system",
	}, {
		name: "tmp is writable and executable",
		cmd:  sh(pool.CodeUser, `cp /bin/true /tmp/t && /tmp/t`),
	}, {
		name: "sandbox dir is writable and executable",
		cmd:  sh(pool.CodeUser, `mkdir /sandbox/work && cp /bin/true /sandbox/work/t && /sandbox/work/t`),
	}, {
		name:       "tmpfs mounts are world-writable and sticky",
		cmd:        pool.ExecCommand{Cmd: []string{"stat", "-c", "%a", pool.TmpDir, pool.SandboxDir}},
		wantStdout: "1777\n1777\n",
	}, {
		name:       "open files limit",
		cmd:        sh(pool.CodeUser, `ulimit -S -n; ulimit -H -n`),
		wantStdout: "1024\n1024\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			got := e.exec(t, id, tt.cmd)
			if got.exitCode != tt.wantExit {
				t.Errorf("Exec(%q).ExitCode = %d, want %d (stderr %q)", tt.cmd.Cmd, got.exitCode, tt.wantExit, got.stderr)
			}
			if got.stdout != tt.wantStdout {
				t.Errorf("Exec(%q) stdout = %q, want %q", tt.cmd.Cmd, got.stdout, tt.wantStdout)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("Exec(%q) stderr = %q, want it to contain %q", tt.cmd.Cmd, got.stderr, tt.wantStderr)
			}
		})
	}
}

// testNetwork checks that Spec.Network adds an interface besides loopback.
func testNetwork(t *testing.T, e *env) {
	spec := e.spec()
	spec.Network = true
	id := e.create(t, spec)

	got := e.exec(t, id, sh(pool.CodeUser, `tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | grep -v -x lo`))
	if got.exitCode != 0 || got.stdout == "" {
		t.Errorf("interfaces besides lo with Network true = %q (exit code %d), want at least one", got.stdout, got.exitCode)
	}
}

// skipIf returns reason when skip is true, and "" otherwise.
func skipIf(skip bool, reason string) string {
	if skip {
		return reason
	}
	return ""
}

// testPidsLimit spawns more processes than the limit allows. The shell's fork fails with
// EAGAIN, which dash reports as "Cannot fork" and bash as "Resource temporarily
// unavailable", and the loop never completes.
func testPidsLimit(t *testing.T, e *env) {
	spec := e.spec()
	id := e.create(t, spec)
	limit := e.pidsLimit(spec)
	n := limit + 36
	script := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do sleep 10 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; echo spawned all`, n)

	got := e.exec(t, id, sh(pool.CodeUser, script))
	if got.exitCode == 0 || strings.Contains(got.stdout, "spawned all") {
		t.Errorf("spawning %d processes under a limit of %d = exit code %d, %q, want a failure", n, limit, got.exitCode, got.stdout)
	}
	if stderr := strings.ToLower(got.stderr); !strings.Contains(stderr, "fork") && !strings.Contains(stderr, "temporarily unavailable") {
		t.Errorf("spawning %d processes: exit code %d, stderr = %q, want a failed fork", n, got.exitCode, got.stderr)
	}
}

// testMemoryLimit makes tail hold 300 MiB without a newline under a 64 MiB limit. The OOM
// killer must kill it (exit code 137) while the container keeps running. Whether
// Status.OOMKilled reports that is engine-specific, so the test logs it.
func testMemoryLimit(t *testing.T, e *env) {
	id := e.create(t, e.spec())

	got := e.exec(t, id, sh(pool.CodeUser, "head -c 300m /dev/zero | tail"))
	if got.exitCode != 137 {
		t.Errorf("Exec(tail of 300 MiB) exit code = %d, want 137 (stderr %q)", got.exitCode, got.stderr)
	}

	status, err := e.backend.Inspect(e.ctx, id)
	if err != nil {
		t.Fatalf("Inspect(%s) = %v, want nil error", id, err)
	}
	if !status.Running {
		t.Errorf("Inspect(%s).Running = false after an exec was OOM-killed, want true", id)
	}
	t.Logf("Status.OOMKilled after the OOM killer killed an exec's process: %v", status.OOMKilled)
}

// testKillCodeUser runs `kill -KILL -1` as the code user, which is how the sandbox stops
// runaway code. It must kill every process of that user, including one that left its
// session with setsid. It must spare the main process, which runs as the keeper user.
func testKillCodeUser(t *testing.T, e *env) {
	id := e.create(t, e.spec())

	// Start code-user processes, one of them in a session of its own.
	type execReturn struct {
		exitCode int
		err      error
	}
	done := make(chan execReturn, 1)
	go func() {
		result, err := e.backend.Exec(e.ctx, id, sh(pool.CodeUser, "setsid sleep 300 & sleep 300"))
		done <- execReturn{result.ExitCode, err}
	}()
	// The count runs as the code user, who can read the code's processes in /proc on every
	// backend.
	// The pattern does not match the counting shell's own command line.
	countScript := `for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f"; echo; done | grep -c '^sleep 30[0]'`
	waitForCount(t, e, id, countScript, func(n int) bool { return n >= 2 })

	// Kill them all.
	if got := e.exec(t, id, sh(pool.CodeUser, "kill -KILL -1")); got.exitCode != 0 {
		t.Errorf("Exec(kill -KILL -1) exit code = %d, want 0 (stderr %q)", got.exitCode, got.stderr)
	}
	select {
	case got := <-done:
		if got.err != nil || got.exitCode != 137 {
			t.Errorf("Exec of the killed shell = %d, %v, want exit code 137", got.exitCode, got.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Exec of the killed shell did not return within 30s")
	}
	waitForCount(t, e, id, countScript, func(n int) bool { return n == 0 })

	// The main process and the container live on.
	status, err := e.backend.Inspect(e.ctx, id)
	if err != nil || !status.Running {
		t.Errorf("Inspect(%s) after kill -KILL -1 = %+v, %v, want running", id, status, err)
	}
	if got := e.exec(t, id, pool.ExecCommand{Cmd: []string{"true"}}); got.exitCode != 0 {
		t.Errorf("Exec(true) after kill -KILL -1 = %d, want 0", got.exitCode)
	}
}

// waitForCount runs script as the code user until ok accepts the number it prints, and
// fails t when that takes over 10 seconds.
func waitForCount(t *testing.T, e *env, id, script string, ok func(int) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.exec(t, id, sh(pool.CodeUser, script))
		n, err := strconv.Atoi(strings.TrimSpace(got.stdout))
		if err == nil && ok(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Exec(%q) = %q after 10s, want a count that passes", script, got.stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
