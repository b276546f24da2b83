package backendtest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

var execTests = []test{
	{"ExecExitCode", testExecExitCode},
	{"ExecDemultiplex", testExecDemultiplex},
	{"ExecStdin", testExecStdin},
	{"ExecInteractive", testExecInteractive},
	{"ExecLargeOutput", testExecLargeOutput},
	{"ExecUserDirEnv", testExecUserDirEnv},
	{"ExecCancel", testExecCancel},
}

func testExecExitCode(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	tests := []struct {
		name string
		cmd  []string
		want int
	}{
		{"true", []string{"true"}, 0},
		{"false", []string{"false"}, 1},
		{"exit 7", []string{"sh", "-c", "exit 7"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.exec(t, id, pool.ExecCommand{Cmd: tt.cmd})
			if got.exitCode != tt.want {
				t.Errorf("Exec(%q).ExitCode = %d, want %d", tt.cmd, got.exitCode, tt.want)
			}
		})
	}
}

func testExecDemultiplex(t *testing.T, e *env) {
	id := e.create(t, e.spec())

	got := e.exec(t, id, sh(pool.CodeUser, "echo out; echo err >&2; echo out2"))
	if got.stdout != "out\nout2\n" {
		t.Errorf("Exec stdout = %q, want %q", got.stdout, "out\nout2\n")
	}
	if got.stderr != "err\n" {
		t.Errorf("Exec stderr = %q, want %q", got.stderr, "err\n")
	}
}

func testExecStdin(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	tests := []struct {
		name  string
		stdin io.Reader
		want  string
	}{
		{"text", strings.NewReader("hello\nworld"), "hello\nworld"},
		{"empty", strings.NewReader(""), ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// cat exits only when it reads EOF on its standard input.
			got := e.exec(t, id, pool.ExecCommand{Cmd: []string{"cat"}, Stdin: tt.stdin})
			if got.exitCode != 0 || got.stdout != tt.want {
				t.Errorf("Exec(cat) = %d, %q, want 0, %q", got.exitCode, got.stdout, tt.want)
			}
		})
	}
}

// testExecInteractive drives a long-lived process through pipes: each reply must arrive
// before the next line is written, which proves that input and output stream both ways
// while the process runs.
func testExecInteractive(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	stdinReader, stdinWriter := io.Pipe()
	stdoutReader, stdoutWriter := io.Pipe()
	cmd := sh(pool.CodeUser, `while read -r line; do echo "got $line"; done; echo bye`)
	cmd.Stdin, cmd.Stdout = stdinReader, stdoutWriter

	type execReturn struct {
		result pool.ExecResult
		err    error
	}
	done := make(chan execReturn, 1)
	go func() {
		result, err := e.backend.Exec(e.ctx, id, cmd)
		stdoutWriter.Close()
		done <- execReturn{result, err}
	}()
	replies := readLines(stdoutReader)
	// On a failure, closing stdin ends the process, Exec and then readLines.
	defer func() {
		for range replies {
		}
	}()
	defer stdinWriter.Close()

	for _, line := range []string{"one", "two", "three"} {
		if _, err := io.WriteString(stdinWriter, line+"\n"); err != nil {
			t.Fatalf("writing %q to stdin: %v", line, err)
		}
		wantLine(t, replies, "got "+line)
	}
	stdinWriter.Close()
	wantLine(t, replies, "bye")

	got := <-done
	if got.err != nil || got.result.ExitCode != 0 {
		t.Errorf("Exec(%q) = %v, %v, want exit code 0", cmd.Cmd, got.result, got.err)
	}
}

// readLines sends the lines of r, without their newline, to the returned channel, which
// it closes when r ends.
func readLines(r io.Reader) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(r)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
	}()
	return lines
}

// wantLine fails t unless the next line from lines is want and comes within 10 seconds.
func wantLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	select {
	case got, ok := <-lines:
		if !ok || got != want {
			t.Fatalf("next output line = %q (output open: %v), want %q", got, ok, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no output line within 10s, want %q", want)
	}
}

// testExecLargeOutput streams 20 MiB through a writer that records each write. The first
// bytes must arrive a second before the process ends, so the backend does not hold the
// output back, and no single write may exceed 1 MiB.
func testExecLargeOutput(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	const half = 10 * mib
	var stdout recordingWriter
	cmd := sh(pool.CodeUser, "head -c 10485760 /dev/zero; sleep 1; head -c 10485760 /dev/zero")
	cmd.Stdout = &stdout

	result, err := e.backend.Exec(e.ctx, id, cmd)
	returned := time.Now()
	if err != nil || result.ExitCode != 0 {
		t.Fatalf("Exec(%q) = %v, %v, want exit code 0", cmd.Cmd, result, err)
	}

	if stdout.total != 2*half || stdout.nonZero {
		t.Errorf("stdout had %d bytes (non-zero bytes: %v), want %d zero bytes", stdout.total, stdout.nonZero, 2*half)
	}
	if stdout.maxWrite > mib {
		t.Errorf("largest write to stdout = %d bytes, want at most %d", stdout.maxWrite, mib)
	}
	if early := returned.Sub(stdout.first); early < 800*time.Millisecond {
		t.Errorf("first write to stdout came %v before Exec returned, want at least 800ms", early)
	}
}

// recordingWriter counts what is written to it and keeps no data.
type recordingWriter struct {
	mu       sync.Mutex
	first    time.Time
	total    int
	maxWrite int
	nonZero  bool
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first.IsZero() {
		w.first = time.Now()
	}
	w.total += len(p)
	w.maxWrite = max(w.maxWrite, len(p))
	for _, b := range p {
		w.nonZero = w.nonZero || b != 0
	}
	return len(p), nil
}

func testExecUserDirEnv(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	cmd := pool.ExecCommand{
		Cmd:        []string{"sh", "-c", `id -u; id -g; pwd; echo "$GREETING"`},
		User:       pool.CodeUser,
		WorkingDir: pool.TmpDir,
		Env:        []string{"GREETING=hello there"},
	}

	got := e.exec(t, id, cmd)
	want := "65534\n65534\n/tmp\nhello there\n"
	if got.exitCode != 0 || got.stdout != want {
		t.Errorf("Exec(%q) = %d, %q, want 0, %q (stderr %q)", cmd.Cmd, got.exitCode, got.stdout, want, got.stderr)
	}
}

// testExecCancel checks that Exec returns soon after its context is done, and that the
// container stays usable.
func testExecCancel(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
	defer cancel()

	began := time.Now()
	_, err := e.backend.Exec(ctx, id, sh(pool.CodeUser, "sleep 60"))
	if elapsed := time.Since(began); elapsed > 5*time.Second {
		t.Errorf("Exec(sleep 60) returned %v after it began, want within 5s of the 300ms deadline", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Exec(sleep 60) with a 300ms deadline = %v, want %v", err, context.DeadlineExceeded)
	}

	if got := e.exec(t, id, pool.ExecCommand{Cmd: []string{"true"}}); got.exitCode != 0 {
		t.Errorf("Exec(true) after a cancelled exec = %d, want 0", got.exitCode)
	}
}
