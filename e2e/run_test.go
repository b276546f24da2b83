package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// leftoverCode prints one line per process of the code's user whose command line mentions
// sleep or python, leaving out itself and its ancestors (the run's own wrapper), then the
// content of keep.txt.
const leftoverCode = `import os
mine = set()
pid = os.getpid()
while pid > 0:
    mine.add(str(pid))
    with open('/proc/%d/stat' % pid) as f:
        pid = int(f.read().rsplit(')', 1)[1].split()[1])
for pid in os.listdir('/proc'):
    if not pid.isdigit() or pid in mine:
        continue
    try:
        if os.stat('/proc/' + pid).st_uid != os.getuid():
            continue
        with open('/proc/' + pid + '/cmdline', 'rb') as f:
            cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        continue
    if 'sleep' in cmd or 'python' in cmd:
        print('left:', pid, cmd)
print('keep:', open('keep.txt').read())
`

func TestRunTimeout(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, backend string) {
		reserveServers(t, 1)
		c := connect(t, startServerOn(t, backend, httpTransport, smallPool), statelessEra)
		id := mustRun(t, c, runArgs{Code: "open('keep.txt', 'w').write('kept')"}).SessionID

		t.Run("busy loop", func(t *testing.T) {
			start := time.Now()
			res := runCode(t, c, runArgs{Code: "while True: pass", SessionID: id, TimeoutSeconds: 2})
			elapsed := time.Since(start)
			out := res.run(t)
			if !res.IsError || !out.TimedOut {
				t.Errorf("run_code(busy loop, timeout 2 s) = isError %v, timed_out %v, want both true; text:\n%s", res.IsError, out.TimedOut, res.Text)
			}
			if elapsed > 4*time.Second {
				t.Errorf("run_code(busy loop, timeout 2 s) returned after %s, want within 4 s", elapsed)
			}
			if out.SessionID != id {
				t.Errorf("run_code(busy loop) session_id = %q, want %q", out.SessionID, id)
			}
		})

		// Each program starts a sleeper that escapes the run's process group in its own way,
		// then sleeps past the timeout itself.
		escapes := []struct {
			name string
			code string
		}{
			{"double fork", `import os, time
if os.fork() == 0:
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
time.sleep(30)
`},
			{"setsid", `import os, time
if os.fork() == 0:
    os.setsid()
    os.execvp('sleep', ['sleep', '300'])
time.sleep(30)
`},
			{"new session with own environment", `import subprocess, time
subprocess.Popen(['sleep', '300'], env={'PATH': '/usr/bin:/bin'}, start_new_session=True)
time.sleep(30)
`},
		}
		// Processes of the code's user that the sandbox itself runs, such as the PID 1 of a
		// Kubernetes exec container, are there before any run and do not count.
		before := leftovers(mustRun(t, c, runArgs{Code: leftoverCode, SessionID: id}).Stdout)
		for _, tc := range escapes {
			t.Run(tc.name, func(t *testing.T) {
				res := runCode(t, c, runArgs{Code: tc.code, SessionID: id, TimeoutSeconds: 2})
				if out := res.run(t); !out.TimedOut {
					t.Errorf("run_code(%s, timeout 2 s) timed_out = false, want true; text:\n%s", tc.name, res.Text)
				}
				out := mustRun(t, c, runArgs{Code: leftoverCode, SessionID: id})
				var left []string
				for _, line := range leftovers(out.Stdout) {
					if !slices.Contains(before, line) {
						left = append(left, line)
					}
				}
				if len(left) > 0 {
					t.Errorf("processes left after the %s run timed out:\n%s", tc.name, strings.Join(left, "\n"))
				}
				if !strings.Contains(out.Stdout, "keep: kept") {
					t.Errorf("keep.txt after the %s run timed out: output %q, want it to contain %q", tc.name, out.Stdout, "keep: kept")
				}
			})
		}
	})
}

// leftovers returns the "left:" lines that leftoverCode printed.
func leftovers(stdout string) []string {
	var lines []string
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "left:") {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	return lines
}

// outputBytes is the per-stream output cap of TestRunOutput's server.
const outputBytes = 64 << 10

func TestRunOutput(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)
	s := startServer(t, httpTransport, smallPool+fmt.Sprintf("sandbox: {output_bytes: %d}\n", outputBytes))
	c := connect(t, s, statelessEra)
	id := mustRun(t, c, runArgs{Code: "print(1)"}).SessionID

	t.Run("50 MB stdout", func(t *testing.T) {
		before := s.rssBytes(t)
		res := runCode(t, c, runArgs{Code: "print('x' * 50_000_000)", SessionID: id})
		after := s.rssBytes(t)
		t.Logf("server RSS %d MiB before, %d MiB after", before>>20, after>>20)

		out := res.run(t)
		if res.IsError || out.ExitCode != 0 {
			t.Fatalf("run_code(50 MB print) = isError %v, exit code %d, want success; text:\n%.2000s", res.IsError, out.ExitCode, res.Text)
		}
		if want := int64(50_000_001 - outputBytes); out.StdoutDropped != want {
			t.Errorf("stdout_dropped_bytes = %d, want %d (50 000 001 bytes written, %d kept)", out.StdoutDropped, want, outputBytes)
		}
		if !strings.HasPrefix(out.Stdout, strings.Repeat("x", 1000)) || !strings.HasSuffix(out.Stdout, strings.Repeat("x", 1000)+"\n") {
			t.Errorf("stdout does not keep the head and the tail of the output: %.200q ... %q", out.Stdout, out.Stdout[max(0, len(out.Stdout)-200):])
		}
		if n := len(out.Stdout); n > outputBytes+200 {
			t.Errorf("len(stdout) = %d, want at most the %d-byte cap and a marker line", n, outputBytes)
		}
		if growth := after - before; growth > 200<<20 {
			t.Errorf("server RSS grew by %d MiB during the run, want under 200 MiB", growth>>20)
		}
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		out := mustRun(t, c, runArgs{Code: `import sys; sys.stdout.buffer.write(b'\xff\xfe ok\n')`, SessionID: id})
		if !strings.Contains(out.Stdout, "\uFFFD") || !strings.Contains(out.Stdout, " ok") {
			t.Errorf("stdout = %q, want U+FFFD for the invalid bytes and %q", out.Stdout, " ok")
		}
	})

	t.Run("exit code", func(t *testing.T) {
		res := runCode(t, c, runArgs{Code: "import sys; print('x'); sys.exit(7)", SessionID: id})
		out := res.run(t)
		if out.ExitCode != 7 {
			t.Errorf("exit_code = %d, want 7", out.ExitCode)
		}
		if !res.IsError {
			t.Errorf("isError = false for exit code 7, want true")
		}
		if out.Stdout != "x\n" {
			t.Errorf("stdout = %q, want %q", out.Stdout, "x\n")
		}
		if !strings.Contains(res.Text, "exit_code: 7") {
			t.Errorf("text %q does not contain %q", res.Text, "exit_code: 7")
		}
	})
}

func TestJavaScript(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)
	config := `
pool: {min_idle: 1, max_size: 4}
runtimes:
  python: {enabled: false}
`
	c := connect(t, startServer(t, httpTransport, config), statelessEra)

	out := mustRun(t, c, runArgs{Language: "javascript", Code: "console.log(1+1)"})
	if out.Stdout != "2\n" {
		t.Errorf("console.log(1+1) printed %q, want %q", out.Stdout, "2\n")
	}
	if out.Language != "javascript" {
		t.Errorf("language = %q, want javascript", out.Language)
	}

	mustRun(t, c, runArgs{Language: "javascript", Code: "require('fs').writeFileSync('x', '1')", SessionID: out.SessionID})
	read := mustRun(t, c, runArgs{Language: "javascript", Code: "console.log(require('fs').readFileSync('x', 'utf8'))", SessionID: out.SessionID})
	if read.Stdout != "1\n" {
		t.Errorf("reading x in the same conversation printed %q, want %q", read.Stdout, "1\n")
	}
	other := mustRun(t, c, runArgs{Language: "javascript", Code: "console.log(require('fs').existsSync('x'))"})
	if other.Stdout != "false\n" {
		t.Errorf("existsSync('x') in another conversation printed %q, want %q", other.Stdout, "false\n")
	}
}
