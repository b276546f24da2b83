package pool

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// killTimeout bounds the stopping of a timed-out or cancelled run, all attempts included.
const killTimeout = 10 * time.Second

// killAttempts is how often the exec that stops a run is tried.
const killAttempts = 4

// RunRequest is one execution of source code in a warm container.
type RunRequest struct {
	// FileName is the file Code is written to, relative to WorkDir.
	FileName string
	// Command runs the code; argv, resolved in WorkDir.
	Command []string
	Code    []byte
	Env     []string
	// Timeout bounds the run; when it passes, every process of the run is killed.
	Timeout time.Duration
	// OutputBytes caps each of stdout and stderr.
	OutputBytes int64
	// ArtifactBytes caps the files the run leaves in its artifact directory, such as
	// plots; zero means the run gets no artifact directory. The directory's path is in the
	// run's environment as ArtifactsEnv, and Run collects and deletes it afterwards.
	ArtifactBytes int64
}

// RunResult is the outcome of a run.
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
	// Artifacts are the files the run left in its artifact directory, sorted by name.
	Artifacts []Artifact
	// ArtifactsDropped reports that artifacts were left out because, together, they
	// exceeded RunRequest.ArtifactBytes, or because collecting them failed.
	ArtifactsDropped bool
}

// ErrNotStarted is returned by Run when the engine could not start the run. Every process
// of the code user was stopped, so the next run can start, and the files are kept.
var ErrNotStarted = errors.New("run could not start")

// ErrUnstoppable is returned by Run when the processes of a timed-out or cancelled run
// could not be stopped, for instance because a fork bomb holds every process slot. The
// container must be discarded.
var ErrUnstoppable = errors.New("run could not be stopped")

// Run writes req.Code into container id and runs it as CodeUser in WorkDir, with the
// output of each stream capped at req.OutputBytes. When req.Timeout passes or ctx is
// cancelled, it kills every process the run started and returns the output so far. A
// cancelled run also returns ctx's error. The container and its files stay usable.
func Run(ctx context.Context, b Backend, id string, req RunRequest) (RunResult, error) {
	runID := newRunID()
	env := append([]string{RunIDEnv + "=" + runID}, req.Env...)
	artifactDir := ""
	if req.ArtifactBytes > 0 {
		artifactDir = ArtifactsRoot + "/" + runID
		env = append(env, ArtifactsEnv+"="+artifactDir)
	}
	stdout, stderr := newCappedBuffer(req.OutputBytes), newCappedBuffer(req.OutputBytes)
	cmd := ExecCommand{
		Cmd:        append([]string{"/bin/sh", SupportDir + "/run", req.FileName}, req.Command...),
		Env:        env,
		User:       CodeUser,
		WorkingDir: SandboxDir, // the run script changes to WorkDir, repairing it if needed
		Stdin:      bytes.NewReader(req.Code),
		Stdout:     stdout,
		Stderr:     stderr,
	}

	runCtx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()
	start := time.Now()
	res, err := b.Exec(runCtx, id, cmd)
	result := RunResult{ExitCode: res.ExitCode, Duration: time.Since(start)}
	// The output is final once Exec returned without error, so it is copied out of the
	// buffers once. A stopped run's is copied after the kill, as late as possible.
	exited := err == nil
	var out, errOut Output
	if exited {
		out, errOut = stdout.Output(), stderr.Output()
		if notStarted(res, out, errOut) {
			return result, recoverNotStarted(b, id, out, errOut)
		}
	}
	stopped := err != nil && runCtx.Err() != nil
	if stopped {
		result.TimedOut = ctx.Err() == nil
		result.ExitCode = -1
		err = stopRun(b, id, runID, ctx.Err())
	}

	if !exited {
		out, errOut = stdout.Output(), stderr.Output()
	}
	result.Stdout, result.Stderr = out, errOut
	var st runStatus
	result.Stderr.Text, st = cutStatus(result.Stderr.Text)
	result.OOMKilled = st.oomKills > 0 && result.ExitCode == 137
	if err == nil && (st.oomKills > 0 || st.pidsMax > 0) {
		// A run that hit the memory or pids limit may have left runaway children, such
		// as the rest of a fork bomb. They would starve the next run, so they go too.
		err = stopRun(b, id, runID, nil)
	}
	// A stopped run wrote no status line, so whether it left artifacts is unknown. Its
	// directory is collected, and so deleted, even when the request was cancelled.
	if artifactDir != "" && (st.artifacts > 0 || stopped) && !errors.Is(err, ErrUnstoppable) {
		artifacts, dropped, cerr := collectArtifacts(b, id, artifactDir, req.ArtifactBytes)
		result.Artifacts, result.ArtifactsDropped = artifacts, dropped || cerr != nil
		if errors.Is(cerr, ErrContainerNotFound) && err == nil {
			err = cerr
		}
	}
	return result, err
}

// notStarted reports that the run never reached the code. Docker reports an exec it cannot
// start as exit code 126 with the OCI runtime's message on stdout. On Kubernetes the exec
// starts, and the run script's first fork fails: the shell names the script in its
// message, and the status line is missing. The usual cause is a pids limit kept full by
// processes that an earlier run left.
func notStarted(res ExecResult, stdout, stderr Output) bool {
	if res.ExitCode == 126 && strings.Contains(stdout.Text, "OCI runtime") {
		return true
	}
	text := stderr.Text
	return res.ExitCode != 0 && !strings.Contains(text, statusPrefix) &&
		strings.Contains(text, SupportDir+"/run:") && strings.Contains(strings.ToLower(text), "fork")
}

// recoverNotStarted stops every process of the code user, so that the next run can start.
// The engine's or the shell's message goes into the error for the log; it never reaches
// the model.
func recoverNotStarted(b Backend, id string, stdout, stderr Output) error {
	engineMsg := strings.TrimSpace(stdout.Text + " " + stderr.Text)
	if err := killRun(b, id, "-"); err != nil {
		return fmt.Errorf("%w: %w (the run did not start: %s)", ErrUnstoppable, err, engineMsg)
	}
	return fmt.Errorf("%w: %s", ErrNotStarted, engineMsg)
}

// stopRun kills the processes of a run. It returns ErrUnstoppable when that fails, and
// otherwise cause, which is nil for a timeout.
func stopRun(b Backend, id, runID string, cause error) error {
	if err := killRun(b, id, runID); err != nil {
		return fmt.Errorf("%w: %w", ErrUnstoppable, err)
	}
	return cause
}

// statusPrefix starts the status line the run script appends to stderr.
const statusPrefix = "\n\x1esandbox-mcp-status "

// runStatus is the report of the run script after the code's process exits.
type runStatus struct {
	oomKills  int // OOM kills in the container during the run
	pidsMax   int // forks the pids limit refused during the run
	artifacts int // entries in the artifact directory
}

// cutStatus removes the run script's last status line from stderr and returns its
// counters. It returns the zero runStatus when the line is missing, as after a timeout.
func cutStatus(stderr string) (string, runStatus) {
	i := strings.LastIndex(stderr, statusPrefix)
	if i < 0 {
		return stderr, runStatus{}
	}
	var st runStatus
	line, after, _ := strings.Cut(stderr[i+len(statusPrefix):], "\n")
	if _, err := fmt.Sscanf(line, "oom_kill=%d pids_max=%d artifacts=%d", &st.oomKills, &st.pidsMax, &st.artifacts); err != nil {
		return stderr, runStatus{}
	}
	// A background child may write after the run script's last line; its text is kept.
	return stderr[:i] + after, st
}

// killRun stops every process of run runID, on a context of its own so that a cancelled
// request still cleans up. The exec itself needs a free process slot, which a fork bomb
// may hold, so it is tried a few times.
func killRun(b Backend, id, runID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	cmd := ExecCommand{Cmd: []string{"/bin/sh", SupportDir + "/kill", runID}, User: CodeUser, WorkingDir: "/"}
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
