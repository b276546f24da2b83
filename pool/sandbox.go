package pool

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

//go:embed support
var supportFiles embed.FS

// SupportFile is a file installed into every warm container under SupportDir.
type SupportFile struct {
	// Name is the path below SupportDir, such as "python/sitecustomize.py".
	Name string
	Data []byte
	// Executable sets mode 0755 instead of 0644.
	Executable bool
}

// killTimeout bounds the stopping of a timed-out or cancelled run, all attempts included.
const killTimeout = 10 * time.Second

// killAttempts is how often the exec that stops a run is tried.
const killAttempts = 4

// Warmer returns a Config.Warm function. It installs the built-in support scripts and extra
// under SupportDir as KeeperUser, creates WorkDir as CodeUser, then runs probe (argv) in
// WorkDir as CodeUser with env, which must exit 0.
func Warmer(extra []SupportFile, probe, env []string) (func(context.Context, Backend, string) error, error) {
	archive, err := supportArchive(extra)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, b Backend, id string) error {
		install := []string{"sh", "-c", `mkdir -p "$1" && exec tar -x -o -C "$1"`, "sh", SupportDir}
		if err := execOK(ctx, b, id, ExecCommand{Cmd: install, User: KeeperUser, WorkingDir: "/", Stdin: bytes.NewReader(archive)}); err != nil {
			return fmt.Errorf("installing support files: %w", err)
		}
		prepare := append([]string{"sh", "-c", `mkdir -p "$1" && cd "$1" && shift && exec "$@"`, "sh", WorkDir}, probe...)
		if len(probe) == 0 {
			prepare = append(prepare, "true")
		}
		if err := execOK(ctx, b, id, ExecCommand{Cmd: prepare, User: CodeUser, WorkingDir: SandboxDir, Env: env}); err != nil {
			return fmt.Errorf("probing runtime: %w", err)
		}
		return nil
	}, nil
}

// execOK runs cmd and turns a non-zero exit into an error carrying the end of its stderr.
func execOK(ctx context.Context, b Backend, id string, cmd ExecCommand) error {
	stderr := newCappedBuffer(2048)
	cmd.Stderr = stderr
	res, err := b.Exec(ctx, id, cmd)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s exited with code %d: %s", cmd.Cmd[0], res.ExitCode, strings.TrimSpace(stderr.Output().Text))
	}
	return nil
}

// supportArchive packs the built-in scripts and extra into one tar archive.
func supportArchive(extra []SupportFile) ([]byte, error) {
	files := extra
	err := fs.WalkDir(supportFiles, "support", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := supportFiles.ReadFile(name)
		files = append(files, SupportFile{Name: path.Base(name), Data: data, Executable: true})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading support files: %w", err)
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := int64(0o644)
		if f.Executable {
			mode = 0o755
		}
		hdr := &tar.Header{Name: f.Name, Mode: mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("packing %s: %w", f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("packing %s: %w", f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("packing support files: %w", err)
	}
	return buf.Bytes(), nil
}

// RunRequest is one execution of source code in a warm container.
type RunRequest struct {
	// FileName is where Code is written, relative to WorkDir.
	FileName string
	// Command runs the code; argv, resolved in WorkDir.
	Command []string
	Code    []byte
	Env     []string
	// Timeout bounds the run; when it passes, every process of the run is killed.
	Timeout time.Duration
	// OutputBytes caps each of stdout and stderr.
	OutputBytes int64
}

// RunResult is how a run ended.
type RunResult struct {
	ExitCode int
	Stdout   Output
	Stderr   Output
	Duration time.Duration
	// TimedOut reports that Timeout passed and the run was killed.
	TimedOut bool
	// OOMKilled reports that the run was killed (exit code 137) after the kernel's OOM
	// killer acted in the container's memory cgroup during the run.
	OOMKilled bool
}

// ErrUnstoppable is returned by Run when the processes of a timed-out or cancelled run
// could not be stopped, for instance because a fork bomb holds every process slot. The
// container must be discarded.
var ErrUnstoppable = errors.New("run could not be stopped")

// Run writes req.Code into container id and runs it as CodeUser in WorkDir, with the
// output of each stream capped at req.OutputBytes. When req.Timeout passes or ctx is
// cancelled, it kills every process the run started and returns what was output so far;
// a cancelled run also returns ctx's error. The container and its files stay usable.
func Run(ctx context.Context, b Backend, id string, req RunRequest) (RunResult, error) {
	marker := RunIDEnv + "=" + newRunID()
	stdout, stderr := newCappedBuffer(req.OutputBytes), newCappedBuffer(req.OutputBytes)
	cmd := ExecCommand{
		Cmd:        append([]string{"/bin/sh", SupportDir + "/run", req.FileName}, req.Command...),
		Env:        append([]string{marker}, req.Env...),
		User:       CodeUser,
		WorkingDir: WorkDir,
		Stdin:      bytes.NewReader(req.Code),
		Stdout:     stdout,
		Stderr:     stderr,
	}

	runCtx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	start := time.Now()
	res, err := b.Exec(runCtx, id, cmd)
	result := RunResult{ExitCode: res.ExitCode, Duration: time.Since(start)}

	if err != nil && runCtx.Err() != nil {
		result.TimedOut = ctx.Err() == nil
		result.ExitCode = -1
		if kerr := killRun(b, id, marker); kerr != nil {
			err = fmt.Errorf("%w: %w", ErrUnstoppable, kerr)
		} else {
			err = ctx.Err() // nil on a timeout
		}
	}
	result.Stdout, result.Stderr = stdout.Output(), stderr.Output()
	var st runStatus
	result.Stderr.Text, st = cutStatus(result.Stderr.Text)
	result.OOMKilled = st.oomKills > 0 && result.ExitCode == 137
	if err == nil && (st.oomKills > 0 || st.pidsMax > 0) {
		// A run that hit the memory or pids limit may have left runaway children, such
		// as the rest of a fork bomb; they would starve the next run, so they go too.
		if kerr := killRun(b, id, marker); kerr != nil {
			err = fmt.Errorf("%w: %w", ErrUnstoppable, kerr)
		}
	}
	return result, err
}

// statusPrefix starts the status line the run script appends to stderr.
const statusPrefix = "\n\x1esandbox-mcp-status "

// runStatus is what the run script reports after the code's process exits.
type runStatus struct {
	oomKills int // OOM kills in the container during the run
	pidsMax  int // forks the pids limit refused during the run
}

// cutStatus removes the run script's status line from the end of stderr and returns what
// it reports; the zero runStatus when the line is missing, as after a timeout.
func cutStatus(stderr string) (string, runStatus) {
	i := strings.LastIndex(stderr, statusPrefix)
	if i < 0 {
		return stderr, runStatus{}
	}
	var st runStatus
	if _, err := fmt.Sscanf(stderr[i+len(statusPrefix):], "oom_kill=%d pids_max=%d", &st.oomKills, &st.pidsMax); err != nil {
		return stderr, runStatus{}
	}
	return stderr[:i], st
}

// killRun stops every process carrying marker, on a context of its own so that a
// cancelled request still cleans up. The exec itself needs a free process slot, which a
// fork bomb may hold, so it is tried a few times.
func killRun(b Backend, id, marker string) error {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	cmd := ExecCommand{Cmd: []string{"/bin/sh", SupportDir + "/kill", marker}, User: CodeUser, WorkingDir: "/"}
	var err error
	for attempt := range killAttempts {
		if err = execOK(ctx, b, id, cmd); err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return err
}

func newRunID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
