package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// dockerfileName is the Dockerfile's path inside the build context.
const dockerfileName = "Dockerfile"

// BuildOptions describes an image build.
type BuildOptions struct {
	// Tag names the image, such as "sandbox-mcp/python:3.11". Required. The Podman
	// profile stores a tag without a registry host under "localhost/".
	Tag string
	// Dockerfile is the Dockerfile's content. Required.
	Dockerfile []byte
	// ContextFiles are the other files of the build context, by slash-separated path
	// relative to the context root. Every file gets mode 0644, so a Dockerfile that needs an
	// executable runs chmod. A path may not be "Dockerfile".
	ContextFiles map[string][]byte
	// BuildArgs sets the Dockerfile's ARG values. A nil value passes the variable of that
	// name from the engine's environment.
	BuildArgs map[string]*string
	// Network is the network of the RUN steps: "host", or "default" or "" for the engine's
	// default network.
	Network string
	// Output receives the build log as plain text lines. Nil discards it.
	Output io.Writer
}

// ImageExists reports whether the engine has the image called name.
func (b *Backend) ImageExists(ctx context.Context, name string) (bool, error) {
	_, err := b.api.ImageInspect(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("inspecting image %q: %w", name, classify(err, nil))
	}
}

// PullImage pulls the image called name from its registry and blocks until the pull ends.
// Cancelling ctx stops waiting for it.
func (b *Backend) PullImage(ctx context.Context, name string) error {
	pull, err := b.api.ImagePull(ctx, name, client.ImagePullOptions{})
	if err != nil {
		return fmt.Errorf("pulling image %q: %w", name, classify(err, nil))
	}
	if err := pull.Wait(ctx); err != nil {
		return fmt.Errorf("pulling image %q: %w", name, classify(err, nil))
	}
	return nil
}

// BuildImage builds the image opts describes with the engine's classic builder, and
// blocks until the build ends, writing its log to opts.Output. The build context is
// archived in memory, so it suits small contexts such as a Dockerfile and a few scripts. A
// failed build step returns an error wrapping ErrBuildFailed.
func (b *Backend) BuildImage(ctx context.Context, opts BuildOptions) error {
	// Check the options and archive the context.
	if opts.Tag == "" || len(opts.Dockerfile) == 0 {
		return errors.New("building image: tag and Dockerfile are required")
	}
	networkMode, err := buildNetworkMode(opts.Network)
	if err != nil {
		return err
	}
	buildContext, err := archiveContext(opts.Dockerfile, opts.ContextFiles)
	if err != nil {
		return fmt.Errorf("building image %q: %w", opts.Tag, err)
	}

	// Build, and read the build log to its end.
	built, err := b.api.ImageBuild(ctx, buildContext, client.ImageBuildOptions{
		Tags:        []string{b.profile.buildTag(opts.Tag)},
		Dockerfile:  dockerfileName,
		BuildArgs:   opts.BuildArgs,
		NetworkMode: networkMode,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return fmt.Errorf("building image %q: %w", opts.Tag, classify(err, nil))
	}
	defer built.Body.Close()
	if err := copyBuildLog(orDiscard(opts.Output), built.Body); err != nil {
		return fmt.Errorf("building image %q: %w", opts.Tag, err)
	}
	return nil
}

// buildNetworkMode returns the engine's network mode for the BuildOptions.Network value
// network.
func buildNetworkMode(network string) (string, error) {
	switch network {
	case "", "default":
		return "", nil
	case "host":
		return "host", nil
	default:
		return "", fmt.Errorf("building image: invalid network %q: want \"host\", \"default\" or empty", network)
	}
}

// archiveContext returns a tar archive of the Dockerfile and files, with a directory entry
// for every parent directory. Entries come in path order with a fixed time, so the same
// input gives the same archive.
func archiveContext(dockerfile []byte, files map[string][]byte) (*bytes.Buffer, error) {
	if _, ok := files[dockerfileName]; ok {
		return nil, fmt.Errorf("context file %q conflicts with the Dockerfile", dockerfileName)
	}
	names := []string{dockerfileName}
	for name := range files {
		if !fs.ValidPath(name) || name == "." {
			return nil, fmt.Errorf("invalid context file path %q: want a relative slash-separated path without \"..\"", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)

	var archive bytes.Buffer
	w := tar.NewWriter(&archive)
	written := map[string]bool{}
	for _, name := range names {
		content := files[name]
		if name == dockerfileName {
			content = dockerfile
		}
		if err := writeContextFile(w, written, name, content); err != nil {
			return nil, fmt.Errorf("archiving build context: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("archiving build context: %w", err)
	}
	return &archive, nil
}

// writeContextFile writes the directory entries of name's parents that written lacks, and
// then name itself.
func writeContextFile(w *tar.Writer, written map[string]bool, name string, content []byte) error {
	for _, dir := range parentDirs(name) {
		if written[dir] {
			continue
		}
		written[dir] = true
		header := &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: time.Unix(0, 0)}
		if err := w.WriteHeader(header); err != nil {
			return err
		}
	}
	header := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}
	if err := w.WriteHeader(header); err != nil {
		return err
	}
	_, err := w.Write(content)
	return err
}

// parentDirs returns the directories above the slash-separated path name, outermost first.
func parentDirs(name string) []string {
	var dirs []string
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		dirs = append(dirs, dir)
	}
	slices.Reverse(dirs)
	return dirs
}

// copyBuildLog decodes the engine's JSON build stream from r and writes it to w as plain
// text. Pull progress updates are dropped and other status messages become one line each.
// An error message in the stream returns an error wrapping ErrBuildFailed.
func copyBuildLog(w io.Writer, r io.Reader) error {
	decoder := json.NewDecoder(r)
	for {
		var message jsonstream.Message
		if err := decoder.Decode(&message); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading build log: %w", err)
		}
		if message.Error != nil {
			return fmt.Errorf("%w: %s", ErrBuildFailed, message.Error.Message)
		}
		if err := writeBuildMessage(w, message); err != nil {
			return fmt.Errorf("writing build log: %w", err)
		}
	}
}

// writeBuildMessage writes the text of one build stream message to w.
func writeBuildMessage(w io.Writer, message jsonstream.Message) error {
	switch {
	case message.Stream != "":
		_, err := io.WriteString(w, message.Stream)
		return err
	case message.Status != "" && !isProgressUpdate(message.Progress):
		line := message.Status + "\n"
		if message.ID != "" {
			line = message.ID + ": " + line
		}
		_, err := io.WriteString(w, line)
		return err
	default:
		return nil
	}
}

// isProgressUpdate reports whether p counts bytes of a transfer still under way.
func isProgressUpdate(p *jsonstream.Progress) bool {
	return p != nil && (p.Current > 0 || p.Total > 0)
}
