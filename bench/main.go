// Command bench measures sandbox-mcp against the engines it runs on and prints ratios taken
// in one run on one machine, for each backend side by side:
//
//   - the first run_code of a new conversation, served from the warm pool, against a cold
//     `docker run --rm` (or `podman run --rm`) of the same code, and on Kubernetes against
//     creating a sandbox pod and running the code in it;
//   - a later run_code in the same conversation against a bare exec round trip through the
//     engine API in an already running sandbox container.
//
// It starts the real server binary over stdio with the mcp-go client, once per backend, so
// the figures include the MCP round trip. Run it with `go run ./bench` from the repository
// root; the engines and the images must be ready (scripts/test.sh prepares both). A backend
// whose engine does not respond is reported and left out.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	corev1 "k8s.io/api/core/v1"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/docker"
	"github.com/sandbox-mcp/sandbox-mcp/pool/kube"
)

func main() {
	n := flag.Int("n", 20, "samples per measurement")
	image := flag.String("image", "sandbox-mcp/python:latest", "python image, as in the server's config")
	backends := flag.String("backends", "docker,podman,kubernetes", "backends to measure, separated by commas")
	flag.Parse()
	if err := run(*n, *image, strings.Split(*backends, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const code = "print(1)"

// refillPause is long enough for the pool to create and warm a container here.
const refillPause = 2 * time.Second

// pingTimeout bounds the check that a backend's engine responds.
const pingTimeout = 5 * time.Second

// backend is the bench's connection to one engine.
type backend struct {
	// name is the config's backend value, such as "docker".
	name string
	// coldRun is the command line of a cold run up to the image: the engine's CLI and the
	// flags of its run command. Nil means a sandbox created through the backend per run.
	coldRun []string
	// open connects to the engine the server uses, for the raw exec measurement.
	open func() (pool.Backend, error)
	// config holds the server's config lines for this backend besides the backend key.
	config string
}

// newBackend returns the bench's view of the backend called name. The Podman CLI gets the
// rlimits that the server's Podman profile sets, without which its containers do not start
// on hosts whose hard limits are below Podman's defaults.
func newBackend(name string) (backend, error) {
	switch name {
	case "docker":
		return backend{
			name:    name,
			coldRun: []string{"docker", "run", "--rm", "--network", "none"},
			open:    func() (pool.Backend, error) { return docker.New(docker.Options{}) },
		}, nil
	case "podman":
		profile := docker.PodmanProfile()
		return backend{
			name: name,
			coldRun: []string{"podman", "run", "--rm", "--network", "none",
				"--ulimit", "nofile=" + strconv.FormatInt(profile.NoFile, 10),
				"--ulimit", "nproc=" + strconv.FormatInt(profile.NProc, 10)},
			open: func() (pool.Backend, error) {
				return docker.New(docker.Options{Host: docker.PodmanHost(""), Profile: profile})
			},
		}, nil
	case "kubernetes":
		// The cluster of the current kubeconfig, set up as for the tests (scripts/kube).
		opts := kube.Options{
			Namespace:           enginetest.KubeNamespace(),
			ManageNetworkPolicy: true,
			Pod:                 kube.PodOptions{NodeName: enginetest.KubeNode(), ImagePullPolicy: corev1.PullNever},
		}
		return backend{
			name: name,
			open: func() (pool.Backend, error) { return kube.New(opts) },
			config: fmt.Sprintf("kubernetes: {namespace: %q, node_name: %q, image_pull_policy: Never}\n",
				opts.Namespace, opts.Pod.NodeName),
		}, nil
	default:
		return backend{}, fmt.Errorf("unknown backend %q: want docker, podman or kubernetes", name)
	}
}

// results are the samples of one backend.
type results struct {
	cold, first, rawExec, later []time.Duration
}

func run(n int, image string, names []string) error {
	ctx := context.Background()
	dir, cleanup, err := buildServer()
	if err != nil {
		return err
	}
	defer cleanup()

	var measured []backend
	var all []results
	for _, name := range names {
		b, err := newBackend(strings.TrimSpace(name))
		if err != nil {
			return err
		}
		if err := ping(ctx, b); err != nil {
			fmt.Printf("%s: left out, its engine does not respond: %v\n", b.name, err)
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: measuring %s\n", b.name)
		r, err := measure(ctx, dir, b, image, n)
		if err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		measured, all = append(measured, b), append(all, r)
	}
	if len(measured) == 0 {
		return fmt.Errorf("no engine responds")
	}
	printResults(n, measured, all)
	return nil
}

// ping checks that b's engine responds.
func ping(ctx context.Context, b backend) error {
	engine, err := b.open()
	if err != nil {
		return err
	}
	defer engine.Close()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return engine.Ping(ctx)
}

// measure takes every measurement of one backend.
func measure(ctx context.Context, dir string, b backend, image string, n int) (results, error) {
	var r results
	var err error
	if err := writeConfig(dir, b); err != nil {
		return r, err
	}
	if r.first, r.later, err = measureServer(ctx, dir, b.name, n); err != nil {
		return r, err
	}
	engine, err := b.open()
	if err != nil {
		return r, err
	}
	defer engine.Close()
	if b.coldRun != nil {
		r.cold, err = measureColdRun(b.coldRun, image, n)
	} else {
		r.cold, err = measureColdSandbox(ctx, engine, image, n)
	}
	if err != nil {
		return r, err
	}
	r.rawExec, err = measureRawExec(ctx, engine, image, n)
	return r, err
}

// printResults prints a table with the p50 and p90 of every measurement, a column pair per
// backend, and then each backend's ratios.
func printResults(n int, backends []backend, all []results) {
	fmt.Printf("samples per measurement: %d (code: %s)\n\n", n, code)
	fmt.Printf("%-44s", "measurement")
	for _, b := range backends {
		fmt.Printf(" %10s %10s", b.name+" p50", b.name+" p90")
	}
	fmt.Println()
	rows := []struct {
		name   string
		sample func(r results) []time.Duration
	}{
		{"cold run (CLI run --rm; kubernetes: new pod)", func(r results) []time.Duration { return r.cold }},
		{"first run_code of a conversation (warm pool)", func(r results) []time.Duration { return r.first }},
		{"raw exec round trip (engine API)", func(r results) []time.Duration { return r.rawExec }},
		{"later run_code in the conversation", func(r results) []time.Duration { return r.later }},
	}
	for _, row := range rows {
		fmt.Printf("%-44s", row.name)
		for _, r := range all {
			fmt.Printf(" %10s %10s", ms(pct(row.sample(r), 50)), ms(pct(row.sample(r), 90)))
		}
		fmt.Println()
	}

	fmt.Println()
	for i, b := range backends {
		r := all[i]
		fmt.Printf("%s: warm first call vs cold run: %.1fx faster (target >= 5x)\n",
			b.name, float64(pct(r.cold, 50))/float64(pct(r.first, 50)))
		fmt.Printf("%s: later call minus raw exec: %+.1f ms (target <= +10 ms)\n",
			b.name, float64(pct(r.later, 50)-pct(r.rawExec, 50))/float64(time.Millisecond))
	}
}

// buildServer builds the server into a temporary directory. The returned function removes
// the directory.
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
	return dir, func() { os.RemoveAll(dir) }, nil
}

// writeConfig writes the server's config for b into dir as BACKEND.yaml.
func writeConfig(dir string, b backend) error {
	config := "backend: " + b.name + "\n" + b.config + "pool:\n  min_idle: 2\n  max_size: 4\nruntimes:\n  javascript:\n    enabled: false\n"
	return os.WriteFile(filepath.Join(dir, b.name+".yaml"), []byte(config), 0o644)
}

// measureServer times, n times over: the first run_code of a new conversation, a later
// run_code in it, then end_session. Pauses let the pool refill after the lease and after
// the removal, so that no measured call competes with a container being created, as in a
// conversation where calls are seconds apart.
func measureServer(ctx context.Context, dir, backend string, n int) (first, later []time.Duration, err error) {
	c, err := client.NewStdioMCPClient(filepath.Join(dir, "sandbox-mcp"), nil, "serve", "--config", filepath.Join(dir, backend+".yaml"))
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

// measureColdRun times coldRun (such as `docker run --rm`) of the same code, the way a
// sandbox without a pool starts a container per call.
func measureColdRun(coldRun []string, image string, n int) ([]time.Duration, error) {
	argv := append(slices.Clone(coldRun), image, "python3", "-c", code)
	var d []time.Duration
	for range n {
		start := time.Now()
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
		}
		d = append(d, time.Since(start))
	}
	return d, nil
}

// benchSpec returns the spec of the sandboxes the bench creates itself.
func benchSpec(image string) pool.Spec {
	spec := pool.SandboxSpec(image, pool.SandboxLimits{WorkDirBytes: 64 << 20, TmpBytes: 64 << 20})
	spec.Labels = map[string]string{pool.LabelManaged: "bench"}
	return spec
}

// measureColdSandbox times creating a sandbox through b and running the code in it, the
// way a sandbox without a pool serves a call. The removal, which a caller need not wait
// for, is not timed.
func measureColdSandbox(ctx context.Context, b pool.Backend, image string, n int) ([]time.Duration, error) {
	var d []time.Duration
	for range n {
		start := time.Now()
		id, err := b.Create(ctx, benchSpec(image))
		if err != nil {
			return nil, err
		}
		res, err := b.Exec(ctx, id, pool.ExecCommand{Cmd: []string{"python3", "-c", code}, User: pool.CodeUser, WorkingDir: "/"})
		elapsed := time.Since(start)
		if removeErr := b.Remove(context.WithoutCancel(ctx), id); removeErr != nil && err == nil {
			err = removeErr
		}
		if err != nil || res.ExitCode != 0 {
			return nil, fmt.Errorf("cold sandbox exec: exit %d: %v", res.ExitCode, err)
		}
		d = append(d, elapsed)
	}
	return d, nil
}

// measureRawExec times one exec of `python3 -c CODE` through the engine API in a running
// sandbox container: the floor that a later run_code call can approach.
func measureRawExec(ctx context.Context, b pool.Backend, image string, n int) ([]time.Duration, error) {
	id, err := b.Create(ctx, benchSpec(image))
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
