package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
)

func TestArchiveContext(t *testing.T) {
	files := map[string][]byte{
		"support/plots/backend.py": []byte("print(1)\n"),
		"run.sh":                   []byte("#!/bin/sh\n"),
	}
	archive, err := archiveContext([]byte("FROM scratch\n"), files)
	if err != nil {
		t.Fatalf("archiveContext() = %v, want nil error", err)
	}

	type entry struct {
		Name    string
		Mode    int64
		Content string
	}
	var got []entry
	r := tar.NewReader(archive)
	for {
		header, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading archive: %v", err)
		}
		content, _ := io.ReadAll(r)
		got = append(got, entry{header.Name, header.Mode, string(content)})
	}
	want := []entry{
		{"Dockerfile", 0o644, "FROM scratch\n"},
		{"run.sh", 0o644, "#!/bin/sh\n"},
		{"support/", 0o755, ""},
		{"support/plots/", 0o755, ""},
		{"support/plots/backend.py", 0o644, "print(1)\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archive entries mismatch (-want +got):\n%s", diff)
	}
}

func TestArchiveContextInvalidPath(t *testing.T) {
	for _, name := range []string{"../escape", "/abs", "Dockerfile", "a//b", "."} {
		if _, err := archiveContext([]byte("FROM scratch\n"), map[string][]byte{name: nil}); err == nil {
			t.Errorf("archiveContext(file %q) = nil error, want an error", name)
		}
	}
}

func TestCopyBuildLog(t *testing.T) {
	tests := []struct {
		name    string
		stream  string
		want    string
		wantErr error
	}{{
		name: "steps",
		stream: `{"stream":"Step 1/2 : FROM base\n"}` + "\n" +
			`{"stream":" ---\u003e 0123\n"}` +
			`{"aux":{"ID":"sha256:0123"}}` +
			`{"stream":"Successfully built 0123\n"}`,
		want: "Step 1/2 : FROM base\n ---> 0123\nSuccessfully built 0123\n",
	}, {
		name: "pull progress is dropped",
		stream: `{"status":"Pulling from library/debian","id":"bookworm"}` +
			`{"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"abc"}` +
			`{"status":"Pull complete","progressDetail":{},"id":"abc"}`,
		want: "bookworm: Pulling from library/debian\nabc: Pull complete\n",
	}, {
		name: "error",
		stream: `{"stream":"Step 2/2 : RUN false\n"}` +
			`{"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"}`,
		want:    "Step 2/2 : RUN false\n",
		wantErr: ErrBuildFailed,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := copyBuildLog(&out, strings.NewReader(tt.stream))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("copyBuildLog() = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("copyBuildLog() output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildImage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		base := requireEngine(t, e)
		b := newTestBackend(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		tag := fmt.Sprintf("sandbox-mcp/backendtest-build:%d", time.Now().UnixNano())
		t.Cleanup(func() { removeImage(t, b, tag) })

		var log strings.Builder
		arg := "from-arg"
		err := b.BuildImage(ctx, BuildOptions{
			Tag:          tag,
			Dockerfile:   []byte("FROM " + base + "\nARG GREETING\nCOPY files/hello.txt /hello.txt\nRUN grep -x hello /hello.txt && test \"$GREETING\" = from-arg\n"),
			ContextFiles: map[string][]byte{"files/hello.txt": []byte("hello\n")},
			BuildArgs:    map[string]*string{"GREETING": &arg},
			Output:       &log,
		})
		if err != nil {
			t.Fatalf("BuildImage(%q) = %v, want nil error; log:\n%s", tag, err, log.String())
		}
		// Docker writes "Step 4/4 : RUN", Podman "STEP 4/4: RUN".
		if !strings.Contains(strings.ToLower(log.String()), "4/4: run grep") && !strings.Contains(log.String(), "Step 4/4 : RUN grep") {
			t.Errorf("BuildImage(%q) log = %q, want the RUN step", tag, log.String())
		}
		for _, name := range []string{tag, b.profile.buildTag(tag)} {
			if exists, err := b.ImageExists(ctx, name); err != nil || !exists {
				t.Errorf("ImageExists(%q) after BuildImage = %v, %v, want true", name, exists, err)
			}
		}
	})
}

func TestBuildImageFailedStep(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		base := requireEngine(t, e)
		b := newTestBackend(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		tag := fmt.Sprintf("sandbox-mcp/backendtest-build-fails:%d", time.Now().UnixNano())
		t.Cleanup(func() { removeImage(t, b, tag) })

		err := b.BuildImage(ctx, BuildOptions{Tag: tag, Dockerfile: []byte("FROM " + base + "\nRUN exit 3\n")})
		// Docker reports "returned a non-zero code: 3", Podman "exit status 3".
		if !errors.Is(err, ErrBuildFailed) || !strings.Contains(err.Error(), "non-zero code: 3") && !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("BuildImage(RUN exit 3) = %v, want an error wrapping %v with the engine's message", err, ErrBuildFailed)
		}
		if exists, err := b.ImageExists(ctx, tag); err != nil || exists {
			t.Errorf("ImageExists(%q) after a failed build = %v, %v, want false", tag, exists, err)
		}
	})
}

func TestImageExistsMissing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		requireEngine(t, e)
		b := newTestBackend(t, e)
		const image = "sandbox-mcp/backendtest-missing:none"

		if exists, err := b.ImageExists(t.Context(), image); err != nil || exists {
			t.Errorf("ImageExists(%q) = %v, %v, want false, nil", image, exists, err)
		}
	})
}

func TestBuildImageInvalidOptions(t *testing.T) {
	b := &Backend{}
	tests := []struct {
		name string
		opts BuildOptions
	}{
		{"no tag", BuildOptions{Dockerfile: []byte("FROM scratch\n")}},
		{"no Dockerfile", BuildOptions{Tag: "x"}},
		{"unknown network", BuildOptions{Tag: "x", Dockerfile: []byte("FROM scratch\n"), Network: "bridge"}},
	}
	for _, tt := range tests {
		if err := b.BuildImage(t.Context(), tt.opts); err == nil {
			t.Errorf("BuildImage(%s) = nil error, want an error", tt.name)
		}
	}
}

// removeImage removes the image tag that a test built, if it exists.
func removeImage(t *testing.T, b *Backend, tag string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := b.api.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		t.Errorf("cleanup: removing image %q: %v", tag, err)
	}
}
