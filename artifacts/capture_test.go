package artifacts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// pythonImage is the image the capture tests run; `sandbox-mcp images build python` builds it.
const pythonImage = "sandbox-mcp/python:latest"

// testLabel marks the containers these tests create, for finding leftovers by hand.
const testLabel = "io.sandbox-mcp.test"

// captureLimits are the limits Collect applies in these tests.
var captureLimits = artifacts.Limits{MaxSide: 1568, ImageBytes: 1 << 20, ResultImages: 8, ResultBytes: 4 << 20, KeptPlots: 100, KeptBytes: 64 << 20, RunBytes: 32 << 20}

// startPythonSandbox starts a hardened Python sandbox with the plot support files installed,
// as the server's pools do, or skips t as enginetest decides.
func startPythonSandbox(t testing.TB) (pool.Backend, string) {
	t.Helper()
	b, err := docker.New(docker.Options{})
	if err != nil {
		t.Fatalf("docker.New() = %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	enginetest.Require(t, b.Ping)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if ok, err := b.ImageExists(ctx, pythonImage); err != nil || !ok {
		enginetest.Skip(t, "image %s is not available (build it with `sandbox-mcp images build python`): %v", pythonImage, err)
	}
	spec := pool.SandboxSpec(pythonImage, pool.SandboxLimits{
		Limits:       pool.Limits{MemoryBytes: 1 << 30, NanoCPUs: 2e9, Pids: 256, NoFile: 1024},
		WorkDirBytes: 128 << 20,
		TmpBytes:     64 << 20,
	})
	spec.Labels = map[string]string{testLabel: "artifacts"}
	id, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create(%s) = %v", pythonImage, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := b.Remove(ctx, id); err != nil {
			t.Errorf("Remove(%s) = %v", id, err)
		}
	})

	support, err := artifacts.SupportFiles("python")
	if err != nil {
		t.Fatal(err)
	}
	warm, err := pool.Warmer(support, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := warm(ctx, b, id); err != nil {
		t.Fatalf("warming the sandbox: %v", err)
	}
	return b, id
}

// runPython runs code as run_code does, with plot capture in format.
func runPython(t testing.TB, b pool.Backend, id, code string, format artifacts.Format) pool.RunResult {
	t.Helper()
	rt, _ := runtimes.Lookup("python")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := pool.Run(ctx, b, id, pool.RunRequest{
		FileName:      rt.FileName,
		Command:       rt.Command,
		Code:          []byte(code),
		Env:           artifacts.MergeEnv(rt.Env, artifacts.Env("python", format)),
		Timeout:       time.Minute,
		OutputBytes:   64 << 10,
		ArtifactBytes: captureLimits.RunBytes,
	})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	return res
}

// describe returns "png 200x100" or "svg" for each plot.
func describe(plots []artifacts.Plot) []string {
	var out []string
	for _, p := range plots {
		if p.Width == 0 {
			out = append(out, p.Extension())
			continue
		}
		out = append(out, fmt.Sprintf("%s %dx%d", p.Extension(), p.Width, p.Height))
	}
	return out
}

func TestPythonCapture(t *testing.T) {
	b, id := startPythonSandbox(t)
	tests := []struct {
		name       string
		code       string
		format     artifacts.Format
		wantExit   int
		wantStdout string
		wantStderr []string // substrings; nil means stderr must be empty
		wantPlots  []string
	}{
		{
			name: "show, savefig and exit in creation order",
			code: `import warnings
warnings.simplefilter("error")
import matplotlib.pyplot as plt
a = plt.figure(figsize=(2, 1)); plt.plot([1, 2])
b = plt.figure(figsize=(3, 1)); plt.plot([2, 1])
b.savefig("b.png")
c, ax = plt.subplots(figsize=(4, 1)); ax.plot([1, 1])
plt.show()
d = plt.figure(figsize=(5, 1)); plt.plot([0, 1])
print("done")
`,
			wantStdout: "done\n",
			wantPlots:  []string{"png 200x100", "png 300x100", "png 400x100", "png 500x100"},
		},
		{
			name: "explicit Agg backend",
			code: `import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.figure(figsize=(2, 1)); plt.plot([1, 2]); plt.savefig("a.png"); plt.show()
plt.figure(figsize=(3, 1)); plt.plot([2, 1])
`,
			wantPlots: []string{"png 200x100", "png 300x100"},
		},
		{
			name: "exception keeps earlier figures",
			code: `from __future__ import annotations
import matplotlib.pyplot as plt

plt.figure(figsize=(2, 1))
plt.plot([1, 2])
raise ValueError("boom")
`,
			wantExit:   1,
			wantStderr: []string{`File "/sandbox/work/.run.py", line 6, in <module>`, "ValueError: boom"},
			wantPlots:  []string{"png 200x100"},
		},
		{
			name: "changed after savefig",
			code: `import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 1)); ax.plot([1, 2]); fig.savefig("x")
ax.set_title("changed")
`,
			wantPlots: []string{"png 200x100", "png 200x100"},
		},
		{
			name:      "empty figure left out",
			code:      "import matplotlib.pyplot as plt\nplt.figure()\nplt.show()\n",
			wantPlots: nil,
		},
		{
			name: "saved formats",
			code: `import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 1)); ax.plot([1, 2]); fig.savefig("x.jpg")
fig2, ax2 = plt.subplots(figsize=(3, 1)); ax2.plot([1, 2]); fig2.savefig("y.pdf")
`,
			wantPlots: []string{"jpg 200x100", "png 300x100"},
		},
		{
			name:      "pandas plot",
			code:      "import pandas as pd\npd.Series([1, 4, 9]).plot()\n",
			wantPlots: []string{"png 640x480"},
		},
		{
			name:      "svg format",
			code:      "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n",
			format:    artifacts.SVG,
			wantPlots: []string{"svg"},
		},
		{
			name: "child process plots too",
			code: `import subprocess, sys
import matplotlib.pyplot as plt
plt.figure(figsize=(2, 1)); plt.plot([1, 2])
child = "import matplotlib.pyplot as plt; plt.figure(figsize=(3, 1)); plt.plot([1])"
subprocess.run([sys.executable, "-c", child], check=True)
`,
			wantPlots: []string{"png 200x100", "png 300x100"},
		},
		{
			name: "hidden sitecustomize still runs",
			code: `import os, subprocess, sys
os.makedirs("site2", exist_ok=True)
with open("site2/sitecustomize.py", "w") as f:
    f.write("print('chained')\n")
env = dict(os.environ, PYTHONPATH=os.environ["PYTHONPATH"] + ":" + os.path.abspath("site2"))
subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
`,
			wantStdout: "chained\n",
		},
		{
			name:       "no matplotlib",
			code:       "print('no plot')\n",
			wantStdout: "no plot\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format := tt.format
			if format == "" {
				format = artifacts.PNG
			}
			res := runPython(t, b, id, tt.code, format)
			if res.ExitCode != tt.wantExit {
				t.Errorf("exit code = %d, want %d (stderr %q)", res.ExitCode, tt.wantExit, res.Stderr.Text)
			}
			if res.Stdout.Text != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", res.Stdout.Text, tt.wantStdout)
			}
			if tt.wantStderr == nil && res.Stderr.Text != "" {
				t.Errorf("stderr = %q, want it empty", res.Stderr.Text)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(res.Stderr.Text, want) {
					t.Errorf("stderr = %q, want it to contain %q", res.Stderr.Text, want)
				}
			}
			plots, notes := artifacts.Collect(res.Artifacts, res.ArtifactsDropped, captureLimits)
			if len(notes) != 0 {
				t.Errorf("Collect() notes = %q, want none", notes)
			}
			if diff := cmp.Diff(tt.wantPlots, describe(plots)); diff != "" {
				t.Errorf("plots mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
