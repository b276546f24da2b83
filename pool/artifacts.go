package pool

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
)

// Artifact is a file a run left in its artifact directory.
type Artifact struct {
	// Name is the file's path relative to the artifact directory.
	Name string
	Data []byte
}

// collectArtifacts reads the regular files under dir, at most limit bytes in all, then
// deletes dir. Files past the limit are dropped whole and reported by dropped.
func collectArtifacts(b Backend, id, dir string, limit int64) (artifacts []Artifact, dropped bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()

	// The archive may exceed limit by tar's headers and the file that crossed it; reading
	// stops there and the rest of the stream is discarded.
	archive := &limitedBuffer{limit: limit + 64<<10}
	script := `cd "$1" 2>/dev/null || exit 0; tar -c -f - .; status=$?; cd / && rm -rf "$1"; exit $status`
	cmd := ExecCommand{Cmd: []string{"sh", "-c", script, "sh", dir}, User: CodeUser, WorkingDir: "/", Stdout: archive}
	res, err := b.Exec(ctx, id, cmd)
	if err != nil {
		return nil, false, fmt.Errorf("collecting artifacts: %w", err)
	}
	if res.ExitCode != 0 && !archive.full {
		return nil, false, fmt.Errorf("collecting artifacts: tar exited with code %d", res.ExitCode)
	}

	artifacts, dropped = readArtifacts(archive.Bytes(), limit)
	return artifacts, dropped || archive.full, nil
}

// readArtifacts unpacks the regular files of a tar archive, in name order, until limit.
// A truncated archive yields the files before the cut.
func readArtifacts(archive []byte, limit int64) ([]Artifact, bool) {
	var artifacts []Artifact
	var total int64
	dropped := false
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err != nil {
			dropped = dropped || !errors.Is(err, io.EOF)
			break
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if total+hdr.Size > limit {
			dropped = true
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			dropped = true
			break
		}
		total += int64(len(data))
		artifacts = append(artifacts, Artifact{Name: path.Clean(hdr.Name), Data: data})
	}
	sort.Slice(artifacts, func(i, j int) bool { return artifacts[i].Name < artifacts[j].Name })
	return artifacts, dropped
}

// limitedBuffer keeps the first limit bytes written to it and discards the rest, so a
// program cannot make the server hold more.
type limitedBuffer struct {
	bytes.Buffer
	limit int64
	full  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - int64(b.Len()); int64(len(p)) > room {
		b.full = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
