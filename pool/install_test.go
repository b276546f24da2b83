package pool_test

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

// TestInstallUnpackFails checks that a tar -x that quits early in the sandbox, as on a full
// disk, is reported as ErrUnpack, although the pack then fails too for want of a reader.
func TestInstallUnpackFails(t *testing.T) {
	fake := &backendtest.Fake{ExecFunc: func(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
		switch {
		case cmd.Cmd[0] == "tar": // the unpack: reads a little, then the disk is full
			io.CopyN(io.Discard, cmd.Stdin, 4096)
			io.WriteString(cmd.Stderr, "tar: .local/big: Cannot write: No space left on device\n")
			return pool.ExecResult{ExitCode: 2}, nil
		case strings.Contains(strings.Join(cmd.Cmd, " "), "cd "+pool.InstallHome): // the pack
			tw := tar.NewWriter(cmd.Stdout)
			err := tw.WriteHeader(&tar.Header{Name: ".local/big", Mode: 0o644, Size: 8 << 20})
			if err == nil {
				_, err = io.CopyN(tw, zeros{}, 8<<20)
			}
			if err != nil {
				// Engines report a failed write of the output as a failed exec.
				return pool.ExecResult{}, fmt.Errorf("reading exec output: %w", err)
			}
			return pool.ExecResult{}, tw.Close()
		default: // the install command
			return pool.ExecResult{}, nil
		}
	}}
	ctx := context.Background()
	sandbox, err := fake.Create(ctx, pool.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	in := &pool.Installer{Backend: fake}
	_, err = in.Install(ctx, sandbox, pool.InstallRequest{
		Command: []string{"pip", "install", "big"}, Paths: []string{".local"},
		Timeout: time.Minute, OutputBytes: 1024, MaxBytes: 64 << 20,
	})
	if !errors.Is(err, pool.ErrUnpack) {
		t.Errorf("Install() with a failing tar -x = %v, want %v", err, pool.ErrUnpack)
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
