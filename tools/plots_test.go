package tools_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
	"github.com/sandbox-mcp/sandbox-mcp/tools"
)

// testLabel marks the containers these tests create, for finding leftovers by hand.
const testLabel = "io.sandbox-mcp.test"

// plotLimits are the default limits of the configuration.
var plotLimits = artifacts.Limits{
	MaxSide:      1568,
	ImageBytes:   512 << 10,
	ResultImages: 8,
	ResultBytes:  512 << 10,
	KeptPlots:    100,
	KeptBytes:    32 << 20,
	RunBytes:     32 << 20,
}

// sessionEra is the protocol version of clients that have a protocol session.
const sessionEra = "2025-11-25"

// pythonPool is a pool of Python sandboxes on the engine, warmed as the sandbox-mcp binary
// warms them.
type pythonPool struct {
	backend pool.Backend
	pool    *pool.Pool
	runtime runtimes.Runtime
}

// startPythonPool starts a pythonPool, or skips t as enginetest decides.
func startPythonPool(t testing.TB) pythonPool {
	t.Helper()
	b, err := docker.New(docker.Options{})
	if err != nil {
		t.Fatalf("docker.New() = %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	enginetest.Require(t, b.Ping)
	rt, _ := runtimes.Lookup("python")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ok, err := b.ImageExists(ctx, rt.Image); err != nil || !ok {
		enginetest.Skip(t, "image %s is not available (build it with `sandbox-mcp images build python`): %v", rt.Image, err)
	}

	support, err := artifacts.SupportFiles(rt.Name)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := pool.Warmer(support, rt.Probe, artifacts.MergeEnv(rt.Env, artifacts.Env(rt.Name, artifacts.PNG)))
	if err != nil {
		t.Fatal(err)
	}
	spec := pool.SandboxSpec(rt.Image, pool.SandboxLimits{
		Limits:       pool.Limits{MemoryBytes: 1 << 30, NanoCPUs: 2e9, Pids: 256, NoFile: 1024},
		WorkDirBytes: 128 << 20,
		TmpBytes:     64 << 20,
	})
	spec.Labels = map[string]string{testLabel: "tools-plots"}
	instance := make([]byte, 6)
	_, _ = rand.Read(instance)
	p := pool.New(b, pool.Config{
		Name: rt.Name, Language: rt.Name, Spec: spec,
		MinIdle: 2, MaxSize: 6, Prewarm: true, Warm: warm,
		Instance: "tools-test-" + hex.EncodeToString(instance), Host: "test",
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("closing the pool: %v", err)
		}
	})
	return pythonPool{backend: b, pool: p, runtime: rt}
}

// newServer returns a tools.Server that runs Python in pp, with plots configured as plots.
func newServer(t testing.TB, pp pythonPool, plots tools.Plots) *tools.Server {
	t.Helper()
	srv := tools.New(tools.Options{
		Backend: pp.backend,
		Languages: []tools.Language{{
			Runtime: pp.runtime,
			Pool:    pp.pool,
			Limits:  tools.Limits{MemoryBytes: 1 << 30, CodeBytes: 256 << 10, OutputBytes: 64 << 10, DefaultTimeout: time.Minute, MaxTimeout: time.Minute},
		}},
		Plots: plots,
	})
	t.Cleanup(srv.Close)
	return srv
}

// newClient connects an in-process MCP client to srv. With version sessionEra it has a
// protocol session of its own; with "" it speaks the stateless era.
func newClient(t testing.TB, srv *tools.Server, version string) *client.Client {
	t.Helper()
	var opts []client.ClientOption
	if version != "" {
		opts = append(opts, client.WithProtocolVersion(version))
	}
	c, err := client.NewInProcessClientWithOptions(srv.MCP(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		t.Fatalf("Initialize() = %v", err)
	}
	return c
}

// toolResult is a tool result taken apart.
type toolResult struct {
	raw        *mcp.CallToolResult
	text       string
	images     []mcp.ImageContent
	links      []mcp.ResourceLink
	structured map[string]any
}

func callTool(t testing.TB, c *client.Client, name string, args map[string]any) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("CallTool(%s) = %v", name, err)
	}
	r := toolResult{raw: res}
	for _, content := range res.Content {
		switch content := content.(type) {
		case mcp.TextContent:
			r.text += content.Text
		case mcp.ImageContent:
			r.images = append(r.images, content)
		case mcp.ResourceLink:
			r.links = append(r.links, content)
		default:
			t.Errorf("CallTool(%s) content of type %T, want text, image or resource_link", name, content)
		}
	}
	data, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(data, &r.structured)
	return r
}

// runCode calls run_code with Python code in conversation session ("" starts one).
func runCode(t testing.TB, c *client.Client, session, code string) toolResult {
	t.Helper()
	args := map[string]any{"language": "python", "code": code}
	if session != "" {
		args["session_id"] = session
	}
	return callTool(t, c, "run_code", args)
}

func (r toolResult) session(t testing.TB) string {
	t.Helper()
	id, _ := r.structured["session_id"].(string)
	if id == "" {
		t.Fatalf("result has no session_id: %s", r.text)
	}
	return id
}

// decodePNG decodes an image content as PNG.
func decodePNG(t testing.TB, mimeType, data string) image.Image {
	t.Helper()
	if mimeType != "image/png" {
		t.Fatalf("image MIME type = %q, want image/png", mimeType)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatalf("decoding base64 image: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("png.Decode(image) = %v", err)
	}
	return img
}

// differentPixels counts the pixels where a and b differ; images of different sizes
// differ everywhere.
func differentPixels(a, b image.Image) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	n := 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				n++
			}
		}
	}
	return n
}

func TestPlots(t *testing.T) {
	srv := newServer(t, startPythonPool(t), tools.Plots{Format: artifacts.PNG, Limits: plotLimits})

	t.Run("run without plot after run with plot", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		first := runCode(t, c, "", "import matplotlib.pyplot as plt\nplt.plot([1,2]); plt.title('a'); plt.show()\n")
		if len(first.images) != 1 {
			t.Fatalf("run 1: %d images, want 1\n%s", len(first.images), first.text)
		}
		if first.structured["run"] != 1.0 {
			t.Errorf("run 1: run = %v, want 1", first.structured["run"])
		}
		session := first.session(t)
		second := runCode(t, c, session, "print('no plot')\n")
		if len(second.images) != 0 || len(second.links) != 0 {
			t.Errorf("run 2: %d images, %d links, want none\n%s", len(second.images), len(second.links), second.text)
		}
		if second.structured["run"] != 2.0 {
			t.Errorf("run 2: run = %v, want 2", second.structured["run"])
		}

		all := callTool(t, c, "get_plots", map[string]any{"session_id": session})
		if all.raw.IsError {
			t.Errorf("get_plots: isError = true, want false\n%s", all.text)
		}
		if len(all.images) != 1 {
			t.Errorf("get_plots: %d images, want 1\n%s", len(all.images), all.text)
		}
		ofRun2 := callTool(t, c, "get_plots", map[string]any{"session_id": session, "run": 2})
		if ofRun2.raw.IsError {
			t.Errorf("get_plots(run=2): isError = true, want false: no plots is not an error\n%s", ofRun2.text)
		}
		if len(ofRun2.images) != 0 {
			t.Errorf("get_plots(run=2): %d images, want 0", len(ofRun2.images))
		}
		if !strings.Contains(ofRun2.text, "No plots match for run=2") {
			t.Errorf("get_plots(run=2) text = %q, want it to say that no plots match", ofRun2.text)
		}
	})

	t.Run("two runs give two images", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		first := runCode(t, c, "", "import matplotlib.pyplot as plt\nplt.plot([1,2]); plt.title('first')\n")
		second := runCode(t, c, first.session(t), "import matplotlib.pyplot as plt\nplt.plot([1,2]); plt.title('second')\n")
		if len(first.images) != 1 || len(second.images) != 1 {
			t.Fatalf("images = %d and %d, want 1 each", len(first.images), len(second.images))
		}
		a := decodePNG(t, first.images[0].MIMEType, first.images[0].Data)
		b := decodePNG(t, second.images[0].MIMEType, second.images[0].Data)
		if a.Bounds() != b.Bounds() {
			t.Fatalf("image sizes = %v and %v, want equal", a.Bounds(), b.Bounds())
		}
		if n := differentPixels(a, b); n == 0 {
			t.Errorf("the images of the two runs have the same pixels, want the titles to differ")
		}
	})

	t.Run("three figures without show in order", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		res := runCode(t, c, "", `import matplotlib.pyplot as plt
plt.figure(figsize=(2, 1)); plt.plot([1, 2])
fig, ax = plt.subplots(figsize=(3, 1)); ax.plot([2, 1])
plt.figure(figsize=(4, 1)); plt.plot([1, 1])
`)
		if len(res.images) != 3 {
			t.Fatalf("%d images, want 3\n%s", len(res.images), res.text)
		}
		for i, want := range []image.Point{{200, 100}, {300, 100}, {400, 100}} {
			if got := decodePNG(t, res.images[i].MIMEType, res.images[i].Data).Bounds().Size(); got != want {
				t.Errorf("image %d size = %v, want %v", i, got, want)
			}
		}
	})

	t.Run("large figure scaled", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		res := runCode(t, c, "", "import matplotlib.pyplot as plt\nplt.figure(figsize=(40, 40), dpi=100)\nplt.plot([1, 2])\nplt.show()\n")
		if len(res.images) != 1 {
			t.Fatalf("%d images, want 1\n%s", len(res.images), res.text)
		}
		if got := decodePNG(t, res.images[0].MIMEType, res.images[0].Data).Bounds().Size(); got != image.Pt(1568, 1568) {
			t.Errorf("image size = %v, want (1568,1568)", got)
		}
		if !strings.Contains(res.text, "scaled down from 4000x4000 to 1568x1568 pixels") {
			t.Errorf("text does not say the plot was scaled:\n%s", res.text)
		}
	})

	t.Run("thirty figures linked past the limit", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		res := runCode(t, c, "", "import matplotlib.pyplot as plt\nfor i in range(30):\n    plt.figure(); plt.plot([0, i])\n")
		if len(res.images) != plotLimits.ResultImages || len(res.links) != 30-plotLimits.ResultImages {
			t.Fatalf("%d images and %d links, want %d and %d\n%s", len(res.images), len(res.links), plotLimits.ResultImages, 30-plotLimits.ResultImages, res.text)
		}
		if got := strings.Count(res.text, "linked, not shown, because the result already shows 8 images"); got != len(res.links) {
			t.Errorf("text names %d linked plots, want %d:\n%s", got, len(res.links), res.text)
		}
		for _, link := range res.links {
			img := readPlot(t, c, link.URI)
			if got := img.Bounds().Size(); got != image.Pt(640, 480) {
				t.Errorf("resource %s size = %v, want (640,480)", link.URI, got)
			}
		}
		next := callTool(t, c, "get_plots", map[string]any{"session_id": res.session(t), "after": 8})
		if len(next.images) != 8 || len(next.links) != 14 {
			t.Errorf("get_plots(after=8): %d images and %d links, want 8 and 14", len(next.images), len(next.links))
		}
	})

	t.Run("plots stay in their conversation", func(t *testing.T) {
		owner := newClient(t, srv, sessionEra)
		other := newClient(t, srv, sessionEra)
		res := runCode(t, owner, "", "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n")
		session := res.session(t)
		uri := "sandbox://sessions/" + session + "/plots/1.png"
		readPlot(t, owner, uri)

		mine := runCode(t, other, "", "print('other conversation')\n")
		own := callTool(t, other, "get_plots", map[string]any{"session_id": mine.session(t)})
		if len(own.images) != 0 {
			t.Errorf("get_plots of the other conversation: %d images, want 0", len(own.images))
		}
		if !strings.Contains(own.text, "No plots yet") {
			t.Errorf("get_plots of the other conversation: text %q, want it to say there are no plots yet", own.text)
		}

		stolen := callTool(t, other, "get_plots", map[string]any{"session_id": session})
		if !stolen.raw.IsError || !strings.Contains(stolen.text, "Unknown session_id") {
			t.Errorf("get_plots from another protocol session: isError %v, text %q; want the unknown session error", stolen.raw.IsError, stolen.text)
		}
		if len(stolen.images) != 0 {
			t.Errorf("get_plots from another protocol session: %d images, want 0", len(stolen.images))
		}
		if _, err := readResource(other, uri); err == nil || !strings.Contains(err.Error(), "Unknown session_id") {
			t.Errorf("ReadResource(%s) from another protocol session error = %v, want the unknown session error", uri, err)
		}
	})

	t.Run("stateless handle reads its plots", func(t *testing.T) {
		first := newClient(t, srv, "")
		res := runCode(t, first, "", "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n")
		if len(res.images) != 1 {
			t.Fatalf("%d images, want 1\n%s", len(res.images), res.text)
		}
		second := newClient(t, srv, "")
		readPlot(t, second, "sandbox://sessions/"+res.session(t)+"/plots/1.png")
		if _, err := readResource(second, "sandbox://sessions/"+res.session(t)+"/plots/2.png"); err == nil {
			t.Errorf("ReadResource(plot 2) error = nil, want an error: the conversation has one plot")
		}
	})

	t.Run("future import and exception", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		res := runCode(t, c, "", `from __future__ import annotations
import matplotlib.pyplot as plt

plt.plot([1, 2])
plt.figure()
plt.plot([2, 1])
raise RuntimeError("after two figures")
`)
		if !res.raw.IsError {
			t.Errorf("isError = false, want true for the exception")
		}
		if len(res.images) != 2 {
			t.Errorf("%d images, want the 2 figures made before the exception\n%s", len(res.images), res.text)
		}
		if !strings.Contains(res.text, `File "/sandbox/work/.run.py", line 7, in <module>`) {
			t.Errorf("traceback does not point at line 7 of the user's code:\n%s", res.text)
		}
		if !strings.Contains(res.text, "RuntimeError: after two figures") {
			t.Errorf("text lacks the exception message:\n%s", res.text)
		}
	})

	t.Run("decoded PNG has the figure size", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		res := runCode(t, c, "", "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])\nplt.show()\n")
		if len(res.images) != 1 {
			t.Fatalf("%d images, want 1\n%s", len(res.images), res.text)
		}
		img := decodePNG(t, res.images[0].MIMEType, res.images[0].Data)
		if got := img.Bounds().Size(); got != image.Pt(640, 480) {
			t.Errorf("image size = %v, want matplotlib's default (640,480)", got)
		}
		if r, g, b, _ := img.At(5, 5).RGBA(); r>>8 != 255 || g>>8 != 255 || b>>8 != 255 {
			t.Errorf("corner pixel = (%d,%d,%d), want the white figure background", r>>8, g>>8, b>>8)
		}
	})

	t.Run("svg on request", func(t *testing.T) {
		c := newClient(t, srv, sessionEra)
		res := callTool(t, c, "run_code", map[string]any{"language": "python", "code": "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n", "plot_format": "svg"})
		if len(res.images) != 1 || res.images[0].MIMEType != "image/svg+xml" {
			t.Fatalf("images = %d, want 1 of type image/svg+xml\n%s", len(res.images), res.text)
		}
		svg, _ := base64.StdEncoding.DecodeString(res.images[0].Data)
		if !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("image is not an SVG document: %.100q", svg)
		}
	})
}

func readResource(c *client.Client, uri string) (*mcp.ReadResourceResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	return c.ReadResource(ctx, req)
}

// readPlot reads a PNG plot resource and decodes it.
func readPlot(t testing.TB, c *client.Client, uri string) image.Image {
	t.Helper()
	res, err := readResource(c, uri)
	if err != nil {
		t.Fatalf("ReadResource(%s) = %v", uri, err)
	}
	if len(res.Contents) != 1 {
		t.Fatalf("ReadResource(%s) = %d contents, want 1", uri, len(res.Contents))
	}
	blob, ok := res.Contents[0].(mcp.BlobResourceContents)
	if !ok {
		t.Fatalf("ReadResource(%s) content of type %T, want a blob", uri, res.Contents[0])
	}
	return decodePNG(t, blob.MIMEType, blob.Blob)
}
