package docker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

// The benchmarks report the median of their iterations as "median-ms" besides the mean.
// Run them as `go test -run '^$' -bench . -benchtime 20x ./pool/docker/` for the median
// of 20.

// benchSpec returns a sandbox spec as the pool creates them, labelled for the benchmarks.
func benchSpec(image string) pool.Spec {
	return pool.Spec{
		Image:        image,
		Labels:       map[string]string{backendtest.TestLabel: "docker-bench"},
		Command:      pool.KeeperCommand,
		User:         pool.KeeperUser,
		ReadOnlyRoot: true,
		Tmpfs:        []pool.Tmpfs{{Path: pool.SandboxDir, SizeBytes: 64 << 20}, {Path: pool.TmpDir, SizeBytes: 64 << 20}},
		Init:         true,
		Limits:       pool.Limits{MemoryBytes: 256 << 20, NanoCPUs: 1e9, Pids: 128, NoFile: 1024},
	}
}

// forEachEngineBench runs bench as a sub-benchmark per engine, named after its backend,
// with a backend on that engine and the test image. Engines that enginetest skips are
// skipped.
func forEachEngineBench(b *testing.B, bench func(b *testing.B, backend *Backend, image string)) {
	for _, e := range testEngines() {
		b.Run(e.backend, func(b *testing.B) {
			image := requireEngine(b, e)
			bench(b, newTestBackend(b, e), image)
		})
	}
}

// reportMedian reports the median of durations in milliseconds.
func reportMedian(b *testing.B, durations []time.Duration) {
	slices.Sort(durations)
	median := durations[len(durations)/2]
	if len(durations)%2 == 0 {
		median = (durations[len(durations)/2-1] + median) / 2
	}
	b.ReportMetric(float64(median.Microseconds())/1000, "median-ms")
}

// BenchmarkCreate measures Create: creating and starting a container.
func BenchmarkCreate(b *testing.B) {
	forEachEngineBench(b, func(b *testing.B, backend *Backend, image string) {
		ctx := context.Background()
		var durations []time.Duration
		for b.Loop() {
			began := time.Now()
			id, err := backend.Create(ctx, benchSpec(image))
			durations = append(durations, time.Since(began))
			if err != nil {
				b.Fatalf("Create() = %v", err)
			}
			b.StopTimer()
			removeForBench(b, backend, id)
			b.StartTimer()
		}
		reportMedian(b, durations)
	})
}

// BenchmarkExecTrue measures the round trip of an exec of `true`.
func BenchmarkExecTrue(b *testing.B) {
	forEachEngineBench(b, func(b *testing.B, backend *Backend, image string) {
		ctx := context.Background()
		id, err := backend.Create(ctx, benchSpec(image))
		if err != nil {
			b.Fatalf("Create() = %v", err)
		}
		b.Cleanup(func() { removeForBench(b, backend, id) })

		var durations []time.Duration
		for b.Loop() {
			began := time.Now()
			result, err := backend.Exec(ctx, id, pool.ExecCommand{Cmd: []string{"true"}, User: pool.CodeUser})
			durations = append(durations, time.Since(began))
			if err != nil || result.ExitCode != 0 {
				b.Fatalf("Exec(true) = %v, %v", result, err)
			}
		}
		reportMedian(b, durations)
	})
}

// BenchmarkRemove measures Remove of a running container.
func BenchmarkRemove(b *testing.B) {
	forEachEngineBench(b, func(b *testing.B, backend *Backend, image string) {
		ctx := context.Background()
		var durations []time.Duration
		for b.Loop() {
			b.StopTimer()
			id, err := backend.Create(ctx, benchSpec(image))
			if err != nil {
				b.Fatalf("Create() = %v", err)
			}
			b.StartTimer()
			began := time.Now()
			err = backend.Remove(ctx, id)
			durations = append(durations, time.Since(began))
			if err != nil {
				b.Fatalf("Remove(%s) = %v", id, err)
			}
		}
		reportMedian(b, durations)
	})
}

func removeForBench(b *testing.B, backend *Backend, id string) {
	if err := backend.Remove(context.Background(), id); err != nil {
		b.Errorf("Remove(%s) = %v", id, err)
	}
}
