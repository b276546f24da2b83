package pool

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// InstallHome is the home directory of the install command inside an installer container.
// What the command leaves under Paths there is copied to SandboxDir, the sandbox's home.
const InstallHome = "/sandbox/home"

// InstallRequest installs packages for one sandbox.
type InstallRequest struct {
	// Spec is the installer container: the sandbox's image, with a network. The Installer
	// adds its labels.
	Spec Spec
	// Command is the install command's argv, run as CodeUser with HOME=InstallHome.
	Command []string
	Env     []string
	// Paths lists what to copy, relative to InstallHome, such as ".local" or
	// "node_modules". Missing paths are skipped.
	Paths []string
	// Manifest selects the copied files whose contents the result returns, such as
	// package.json files; their total size is capped at 1 MiB.
	Manifest func(name string) bool
	// Timeout bounds the whole install: container, command and copy.
	Timeout time.Duration
	// OutputBytes caps each of the command's stdout and stderr.
	OutputBytes int64
	// MaxBytes caps the size of the copy into the sandbox.
	MaxBytes int64
}

// InstallResult is the outcome of an install.
type InstallResult struct {
	ExitCode int
	Stdout   Output
	Stderr   Output
	TimedOut bool
	Duration time.Duration
	// Entries are the names of the copied files and directories, relative to the home.
	Entries []string
	// Manifests holds the contents of the copied files that InstallRequest.Manifest chose.
	Manifests map[string][]byte
}

var (
	// ErrInstallTooLarge is returned when the installed files exceed
	// InstallRequest.MaxBytes. Some of them may already be in the sandbox.
	ErrInstallTooLarge = errors.New("installed packages exceed the size limit")

	// ErrUnpack is returned when tar -x in the sandbox fails, most often because its
	// tmpfs is full. Some files may already be in the sandbox.
	ErrUnpack = errors.New("unpacking installed packages into the sandbox failed")
)

// Installer installs packages into sandboxes without giving them a network. The install
// command runs in a short-lived installer container of the same image, which has a
// network. The result is then copied into the sandbox as a tar stream through the server.
// Code in the sandbox, including processes an earlier run left behind, never shares a
// network namespace with the installer. An Installer is safe for concurrent use.
type Installer struct {
	Backend Backend
	// Labels are added to every installer container, such as the instance labels.
	Labels map[string]string
	// Logger receives warnings of failed removals; nil discards them.
	Logger *slog.Logger

	mu   sync.Mutex
	live map[string]struct{} // installer containers that exist now; guarded by mu
}

// Tracks reports whether id is an installer container of an install in progress, so that
// the reaper spares it.
func (in *Installer) Tracks(id string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	_, ok := in.live[id]
	return ok
}

// Install runs req in a new installer container and, when the command succeeds, copies
// req.Paths into the sandbox container sandboxID as CodeUser. The installer container is
// removed in every case. A failed or timed-out command leaves the sandbox untouched.
func (in *Installer) Install(ctx context.Context, sandboxID string, req InstallRequest) (InstallResult, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, req.Timeout)
	defer cancel()

	id, err := in.create(ctx, req.Spec)
	if err != nil {
		return InstallResult{TimedOut: ctx.Err() == context.DeadlineExceeded}, err
	}
	defer in.remove(id)

	result, err := in.run(ctx, id, req)
	if err == nil && result.ExitCode == 0 {
		err = in.copy(ctx, id, sandboxID, req, &result)
	}
	result.Duration = time.Since(start)
	if ctx.Err() == context.DeadlineExceeded {
		result.TimedOut = true
		err = nil
	}
	return result, err
}

func (in *Installer) create(ctx context.Context, spec Spec) (string, error) {
	spec.Labels = maps.Clone(spec.Labels)
	if spec.Labels == nil {
		spec.Labels = make(map[string]string)
	}
	maps.Copy(spec.Labels, in.Labels)
	spec.Labels[LabelManaged] = "true"
	spec.Labels[LabelRole] = "installer"
	id, err := in.Backend.Create(ctx, spec)
	if err != nil {
		return "", fmt.Errorf("creating installer container: %w", err)
	}
	in.mu.Lock()
	if in.live == nil {
		in.live = make(map[string]struct{})
	}
	in.live[id] = struct{}{}
	in.mu.Unlock()
	return id, nil
}

// remove deletes an installer container on a context of its own.
func (in *Installer) remove(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	if err := in.Backend.Remove(ctx, id); err != nil {
		logger(in.Logger).Warn("removing installer container failed", "container_id", id, "error", err)
	}
	in.mu.Lock()
	delete(in.live, id)
	in.mu.Unlock()
}

// run executes the install command in the installer container.
func (in *Installer) run(ctx context.Context, id string, req InstallRequest) (InstallResult, error) {
	stdout, stderr := newCappedBuffer(req.OutputBytes), newCappedBuffer(req.OutputBytes)
	cmd := ExecCommand{
		Cmd:        append([]string{"sh", "-c", `mkdir -p "$HOME" && cd "$HOME" && exec "$@"`, "sh"}, req.Command...),
		Env:        append([]string{"HOME=" + InstallHome}, req.Env...),
		User:       CodeUser,
		WorkingDir: "/",
		Stdout:     stdout,
		Stderr:     stderr,
	}
	res, err := in.Backend.Exec(ctx, id, cmd)
	result := InstallResult{ExitCode: res.ExitCode, Stdout: stdout.Output(), Stderr: stderr.Output()}
	if err != nil {
		result.ExitCode = -1
		if ctx.Err() != nil {
			return result, nil // reported as a timeout or cancellation by the caller
		}
		return result, fmt.Errorf("running install command: %w", err)
	}
	return result, nil
}

// copy streams req.Paths from the installer to the sandbox: tar -c in one, tar -x in the
// other, with the stream read on the way for the entry names and manifests.
func (in *Installer) copy(ctx context.Context, installerID, sandboxID string, req InstallRequest, result *InstallResult) error {
	packR, packW := io.Pipe()
	unpackR, unpackW := io.Pipe()
	pack := ExecCommand{
		Cmd:        append([]string{"sh", "-c", packScript, "sh"}, req.Paths...),
		User:       CodeUser,
		WorkingDir: "/",
		Stdout:     packW,
	}
	unpack := ExecCommand{
		Cmd:        []string{"tar", "-x", "-m", "-f", "-", "-C", SandboxDir},
		User:       CodeUser,
		WorkingDir: "/",
		Stdin:      unpackR,
		Stderr:     newCappedBuffer(4096),
	}

	var wg sync.WaitGroup
	var packErr, unpackErr, readErr error
	var packRes, unpackRes ExecResult
	wg.Go(func() {
		packRes, packErr = in.Backend.Exec(ctx, installerID, pack)
		packW.Close()
	})
	wg.Go(func() {
		unpackRes, unpackErr = in.Backend.Exec(ctx, sandboxID, unpack)
		unpackR.CloseWithError(errUnpackEnded) // stops the reader below if tar -x quits early
	})
	wg.Go(func() {
		limited := &limitReader{r: io.TeeReader(packR, unpackW), n: req.MaxBytes}
		result.Entries, result.Manifests, readErr = readInstallStream(limited, req.Manifest)
		if readErr != nil {
			packR.CloseWithError(readErr)
		}
		unpackW.CloseWithError(readErr)
	})
	wg.Wait()

	switch {
	case errors.Is(readErr, ErrInstallTooLarge):
		return fmt.Errorf("%w (%d bytes); nothing more was copied", ErrInstallTooLarge, req.MaxBytes)
	// The pack fails too when tar -x quits early (its output has nowhere to go), so only a
	// pack failure of its own comes before the unpack's.
	case packErr != nil && !errors.Is(packErr, errUnpackEnded):
		return fmt.Errorf("packing installed files: %w", packErr)
	case unpackErr != nil:
		return fmt.Errorf("%w: %w", ErrUnpack, unpackErr)
	case packRes.ExitCode != 0:
		return fmt.Errorf("packing installed files: tar exited with code %d", packRes.ExitCode)
	case unpackRes.ExitCode != 0:
		msg := unpack.Stderr.(*cappedBuffer).Output().Text
		return fmt.Errorf("%w: tar exited with code %d: %s", ErrUnpack, unpackRes.ExitCode, msg)
	case packErr != nil:
		return fmt.Errorf("packing installed files: %w", packErr)
	case readErr != nil && !errors.Is(readErr, errUnpackEnded):
		return fmt.Errorf("reading installed files: %w", readErr)
	}
	return nil
}

// packScript archives the paths given as arguments that exist under InstallHome to
// stdout; with none, an empty archive. The paths come from the runtime table, never from
// the user, and contain no spaces.
const packScript = `cd ` + InstallHome + ` || exit 1
existing=
for p in "$@"; do [ -e "$p" ] && existing="$existing $p"; done
[ -n "$existing" ] || exec tar -c -f - -T /dev/null
exec tar -c -f - $existing`

var errUnpackEnded = errors.New("tar -x ended")

// maxManifestBytes caps the total size of the manifests an install returns.
const maxManifestBytes = 1 << 20

// readInstallStream reads a tar stream to its end and returns its entry names and the
// contents of the files manifest selects.
func readInstallStream(r io.Reader, manifest func(string) bool) ([]string, map[string][]byte, error) {
	var entries []string
	manifests := make(map[string][]byte)
	var manifestBytes int
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			_, err = io.Copy(io.Discard, r) // the end-of-archive padding goes to tar -x too
			return entries, manifests, err
		}
		if err != nil {
			return entries, manifests, err
		}
		entries = append(entries, hdr.Name)
		if manifest == nil || hdr.Typeflag != tar.TypeReg || !manifest(hdr.Name) || manifestBytes+int(hdr.Size) > maxManifestBytes {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return entries, manifests, err
		}
		manifestBytes += len(data)
		manifests[hdr.Name] = data
	}
}

// limitReader fails with ErrInstallTooLarge once more than n bytes were read.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, ErrInstallTooLarge
	}
	return n, err
}
