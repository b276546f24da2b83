package docker

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

const (
	// stdinGrace bounds how long Exec waits, once the output has ended, for the goroutine
	// that copies cmd.Stdin to stop. A Read of cmd.Stdin that blocks longer keeps that
	// goroutine alive until the Read returns.
	stdinGrace = 100 * time.Millisecond

	// firstPoll and maxPoll bound the interval between exec inspections while the engine
	// still reports an exec running after its output ended.
	firstPoll = 5 * time.Millisecond
	maxPoll   = 250 * time.Millisecond
)

// Exec runs cmd in the running container id, streams its standard streams and returns its
// exit code as the engine reports it. See pool.Backend for the contract.
//
// Exec returns after its last write to cmd.Stdout and cmd.Stderr, so a writer that blocks
// delays it, also after ctx is done. It copies cmd.Stdin from a goroutine of its own. When
// the process exits before cmd.Stdin reaches EOF, Exec waits at most stdinGrace for that
// copy to stop. A Read of cmd.Stdin still blocked then keeps the goroutine until the Read
// returns, and the data it returns is dropped. Give each Exec its own reader.
func (b *Backend) Exec(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
	began := time.Now()

	// Create the exec.
	created, err := b.api.ExecCreate(ctx, id, client.ExecCreateOptions{
		User:         cmd.User,
		Env:          cmd.Env,
		WorkingDir:   cmd.WorkingDir,
		Cmd:          cmd.Cmd,
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		return pool.ExecResult{}, fmt.Errorf("creating exec in container %s: %w", id, classify(err, pool.ErrContainerNotFound))
	}

	// Attach to it, which starts it, and stream until its output ends.
	attached, err := b.api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return pool.ExecResult{}, fmt.Errorf("starting exec in container %s: %w", id, classify(err, pool.ErrContainerNotFound))
	}
	if err := stream(ctx, &attached.HijackedResponse, cmd); err != nil {
		if ctx.Err() != nil {
			return pool.ExecResult{}, ctx.Err()
		}
		return pool.ExecResult{}, fmt.Errorf("streaming exec in container %s: %w", id, err)
	}

	// Read the exit code.
	result, err := b.waitExit(ctx, created.ID)
	if err != nil {
		return pool.ExecResult{}, fmt.Errorf("waiting for exec in container %s: %w", id, err)
	}
	b.log.Debug("exec finished", "container_id", id, "exec_id", created.ID,
		"exit_code", result.ExitCode, "duration_ms", time.Since(began).Milliseconds())
	return result, nil
}

// stream copies cmd.Stdin to conn and demultiplexes conn's output into cmd.Stdout and
// cmd.Stderr until the output ends or ctx is done, and then closes conn. When ctx is done
// first, it returns ctx's error.
func stream(ctx context.Context, conn *client.HijackedResponse, cmd pool.ExecCommand) error {
	stdinDone := sendStdin(conn, cmd.Stdin)
	outputDone := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(orDiscard(cmd.Stdout), orDiscard(cmd.Stderr), conn.Reader)
		outputDone <- err
	}()

	var err error
	select {
	case err = <-outputDone:
		if err != nil {
			err = fmt.Errorf("reading exec output: %w", err)
		}
	case <-ctx.Done():
		// Closing the connection ends StdCopy's Read; the process keeps running.
		conn.Close()
		<-outputDone
		err = ctx.Err()
	}

	conn.Close()
	waitStdin(stdinDone)
	return err
}

// sendStdin copies stdin to conn from a goroutine and then closes conn's write side, so
// the process reads EOF. A nil stdin closes the write side at once. The returned channel is
// closed when the copy has stopped.
func sendStdin(conn *client.HijackedResponse, stdin io.Reader) <-chan struct{} {
	done := make(chan struct{})
	if stdin == nil {
		_ = conn.CloseWrite()
		close(done)
		return done
	}
	go func() {
		defer close(done)
		// A failed copy means the process exited or the connection was closed, and the
		// output side reports either of those.
		if _, err := io.Copy(conn.Conn, stdin); err == nil {
			_ = conn.CloseWrite()
		}
	}()
	return done
}

// waitStdin waits at most stdinGrace for done to be closed.
func waitStdin(done <-chan struct{}) {
	timer := time.NewTimer(stdinGrace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
}

// waitExit returns the exit code of exec execID once the engine no longer reports it
// running. The engine can report an exec running for a moment after its output ended, and
// a process that closed its standard streams runs on after that, so waitExit polls with a
// growing interval until ctx is done.
func (b *Backend) waitExit(ctx context.Context, execID string) (pool.ExecResult, error) {
	interval := firstPoll
	for {
		inspected, err := b.api.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return pool.ExecResult{}, fmt.Errorf("inspecting exec %s: %w", execID, classify(err, pool.ErrContainerNotFound))
		}
		if !inspected.Running {
			return pool.ExecResult{ExitCode: inspected.ExitCode}, nil
		}
		if err := sleep(ctx, interval); err != nil {
			return pool.ExecResult{}, err
		}
		interval = min(2*interval, maxPoll)
	}
}

// sleep waits for d or until ctx is done, and then returns ctx's error.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// orDiscard returns w, or io.Discard when w is nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
