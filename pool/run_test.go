package pool_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

// TestRunNotStarted checks that a run that never reached the code, because the process
// slots were full, stops every process of the code user and returns ErrNotStarted.
func TestRunNotStarted(t *testing.T) {
	tests := []struct {
		name           string
		exitCode       int
		stdout, stderr string
	}{
		{"exec refused (Docker)", 126, "OCI runtime exec failed: exec failed: unable to start container process: read init-p: connection reset by peer", ""},
		{"run script cannot fork (Kubernetes)", 2, "", pool.SupportDir + "/run: 28: Cannot fork\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kills [][]string
			fake := &backendtest.Fake{ExecFunc: func(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
				if slices.Contains(cmd.Cmd, pool.SupportDir+"/kill") {
					kills = append(kills, cmd.Cmd)
					return pool.ExecResult{}, nil
				}
				if cmd.Stdin != nil {
					io.Copy(io.Discard, cmd.Stdin)
				}
				io.WriteString(cmd.Stdout, tt.stdout)
				io.WriteString(cmd.Stderr, tt.stderr)
				return pool.ExecResult{ExitCode: tt.exitCode}, nil
			}}
			ctx := context.Background()
			id, err := fake.Create(ctx, pool.Spec{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = pool.Run(ctx, fake, id, pool.RunRequest{FileName: "main.py", Command: []string{"python3", "main.py"}, Timeout: time.Minute, OutputBytes: 1024})
			if !errors.Is(err, pool.ErrNotStarted) {
				t.Errorf("Run() = %v, want %v", err, pool.ErrNotStarted)
			}
			if len(kills) != 1 || kills[0][len(kills[0])-1] != "-" {
				t.Errorf("kill execs = %q, want one that stops every process of the code user (-)", kills)
			}
		})
	}
}

// TestRunCodeCannotFork checks that code whose own fork fails is a result, not a run that
// did not start: the message names the code's file, not the run script.
func TestRunCodeCannotFork(t *testing.T) {
	fake := &backendtest.Fake{ExecFunc: func(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
		if slices.Contains(cmd.Cmd, pool.SupportDir+"/kill") {
			return pool.ExecResult{}, nil // the pids limit was hit, so the run's leftovers go
		}
		io.WriteString(cmd.Stderr, "main.sh: 1: Cannot fork\n\n\x1esandbox-mcp-status oom_kill=0 pids_max=3 artifacts=0\n")
		return pool.ExecResult{ExitCode: 2}, nil
	}}
	ctx := context.Background()
	id, err := fake.Create(ctx, pool.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := pool.Run(ctx, fake, id, pool.RunRequest{FileName: "main.sh", Command: []string{"sh", "main.sh"}, Timeout: time.Minute, OutputBytes: 1024})
	if err != nil || res.ExitCode != 2 {
		t.Errorf("Run() = exit code %d, %v, want 2, nil", res.ExitCode, err)
	}
}
