// Command bench measures sandbox-mcp against the engine it runs on and prints ratios taken
// in one run on one machine:
//
//   - the first run_code of a new conversation, served from the warm pool, against a cold
//     `docker run --rm` of the same code;
//   - a later run_code in the same conversation against a bare exec round trip through the
//     engine API in an already running sandbox container.
//
// It starts the real server binary over stdio with the mcp-go client, so the figures include
// the MCP round trip. Run it with `go run ./bench` from the repository root; the engine and
// the images must be ready (scripts/test.sh prepares both).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
)

func main() {
	n := flag.Int("n", 20, "samples per measurement")
	image := flag.String("image", "sandbox-mcp/python:latest", "python image, as in the server's config")
	flag.Parse()
	if err := run(*n, *image); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const code = "print(1)"

// refillPause is long enough for the pool to create and warm a container here.
const refillPause = 2 * time.Second

func run(n int, image string) error {
	ctx := context.Background()
	bin, cleanup, err := buildServer()
	if err != nil {
		return err
	}
	defer cleanup()

	first, later, err := measureServer(ctx, bin, n)
	if err != nil {
		return err
	}
	cold, err := measureColdRun(image, n)
	if err != nil {
		return err
	}
	rawExec, err := measureRawExec(ctx, image, n)
	if err != nil {
		return err
	}

	fmt.Printf("samples per measurement: %d (code: %s)\n\n", n, code)
	fmt.Printf("%-44s %8s %8s\n", "measurement", "p50", "p90")
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{
		{"cold docker run --rm", cold},
		{"first run_code of a conversation (warm pool)", first},
		{"raw exec round trip (engine API)", rawExec},
		{"later run_code in the conversation", later},
	} {
		fmt.Printf("%-44s %8s %8s\n", m.name, ms(pct(m.d, 50)), ms(pct(m.d, 90)))
	}
	fmt.Printf("\nwarm first call vs cold docker run: %.1fx faster (target >= 5x)\n",
		float64(pct(cold, 50))/float64(pct(first, 50)))
	fmt.Printf("later call minus raw exec: %+.1f ms (target <= +10 ms)\n",
		float64(pct(later, 50)-pct(rawExec, 50))/float64(time.Millisecond))
	return nil
}

func buildServer() (string, func(), error) {
	dir, err := os.MkdirTemp("", "sandbox-mcp-bench")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "sandbox-mcp")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sandbox-mcp")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building the server: %w", err)
	}
	config := "pool:\n  min_idle: 2\n  max_size: 4\nruntimes:\n  javascript:\n    enabled: false\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(config), 0o644); err != nil {
		return "", nil, err
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// measureServer times, n times over: the first run_code of a new conversation, a later
// run_code in it, then end_session. Pauses let the pool refill after the lease and after
// the removal, so that no measured call competes with a container being created, as in a
// conversation where calls are seconds apart.
func measureServer(ctx context.Context, bin string, n int) (first, later []time.Duration, err error) {
	c, err := client.NewStdioMCPClient(bin, nil, "serve", "--config", filepath.Join(filepath.Dir(bin), "config.yaml"))
	if err != nil {
		return nil, nil, fmt.Errorf("starting the server: %w", err)
	}
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-11-25"
	init.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		return nil, nil, fmt.Errorf("initializing: %w", err)
	}
	time.Sleep(10 * time.Second) // pre-warming

	for range n {
		start := time.Now()
		res, err := call(ctx, c, "run_code", map[string]any{"language": "python", "code": code})
		if err != nil {
			return nil, nil, err
		}
		first = append(first, time.Since(start))
		id := res.StructuredContent.(map[string]any)["session_id"].(string)
		time.Sleep(refillPause)

		start = time.Now()
		if _, err := call(ctx, c, "run_code", map[string]any{"language": "python", "code": code, "session_id": id}); err != nil {
			return nil, nil, err
		}
		later = append(later, time.Since(start))

		if _, err := call(ctx, c, "end_session", map[string]any{"session_id": id}); err != nil {
			return nil, nil, err
		}
		time.Sleep(refillPause)
	}
	return first, later, nil
}

func call(ctx context.Context, c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", name, err)
	}
	if res.IsError {
		return nil, fmt.Errorf("%s returned an error: %v", name, res.Content)
	}
	return res, nil
}

// measureColdRun times `docker run --rm` of the same code, the way a sandbox without a pool
// starts a container per call.
func measureColdRun(image string, n int) ([]time.Duration, error) {
	var d []time.Duration
	for range n {
		start := time.Now()
		out, err := exec.Command("docker", "run", "--rm", "--network", "none", image, "python3", "-c", code).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("docker run: %w: %s", err, out)
		}
		d = append(d, time.Since(start))
	}
	return d, nil
}

// measureRawExec times one exec of `python3 -c CODE` through the engine API in a running
// sandbox container: the floor that a later run_code call can approach.
func measureRawExec(ctx context.Context, image string, n int) ([]time.Duration, error) {
	b, err := docker.New(docker.Options{})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	spec := pool.SandboxSpec(image, pool.SandboxLimits{WorkDirBytes: 64 << 20, TmpBytes: 64 << 20})
	spec.Labels = map[string]string{pool.LabelManaged: "bench"}
	id, err := b.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer b.Remove(context.Background(), id)

	var d []time.Duration
	for range n {
		start := time.Now()
		res, err := b.Exec(ctx, id, pool.ExecCommand{Cmd: []string{"python3", "-c", code}, User: pool.CodeUser, WorkingDir: "/"})
		if err != nil || res.ExitCode != 0 {
			return nil, fmt.Errorf("exec: exit %d: %v", res.ExitCode, err)
		}
		d = append(d, time.Since(start))
	}
	return d, nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
