package pool

import (
	"archive/tar"
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
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
