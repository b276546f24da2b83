package kube

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

// testOptions returns the Options of the test cluster, from the environment.
func testOptions() Options {
	return Options{
		Namespace:           enginetest.KubeNamespace(),
		ManageNetworkPolicy: true,
		Pod: PodOptions{
			NodeName:           enginetest.KubeNode(),
			ImagePullPolicy:    corev1.PullNever,
			CPURequestMilli:    10,
			MemoryRequestBytes: 16 << 20,
		},
	}
}

// newTestBackend returns a Backend on the test cluster that t closes when it ends, after
// enginetest decided that the test runs.
func newTestBackend(t testing.TB) *Backend {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping Kubernetes test in -short mode")
	}
	b, err := New(testOptions())
	if err != nil {
		enginetest.RequireBackend(t, "kubernetes", func(context.Context) error { return err })
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close() = %v, want nil error", err)
		}
	})
	enginetest.RequireBackend(t, "kubernetes", b.Ping)
	return b
}

func TestBackendConformance(t *testing.T) {
	newTestBackend(t)
	pids, err := enginetest.KubePidsLimit()
	if err != nil {
		t.Fatal(err)
	}
	diff := backendtest.Differences{
		ExecUsersOnly: true,
		NetworkPolicy: true,
		PidsLimit:     pids,
	}
	backendtest.Run(t, func(t *testing.T) pool.Backend { return newTestBackend(t) }, enginetest.Image(), diff)
}

// testLabels returns labels unique to test t.
func testLabels(t *testing.T) map[string]string {
	return map[string]string{
		backendtest.TestLabel: "kube",
		backendtest.RunLabel:  strconv.FormatInt(time.Now().UnixNano(), 10),
	}
}

// createSandbox creates a hardened sandbox pod for t and removes it when t ends.
func createSandbox(t *testing.T, b *Backend, spec pool.Spec) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create() = %v, want nil error", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := b.Remove(ctx, id); err != nil {
			t.Errorf("Remove(%s) = %v", id, err)
		}
	})
	return id
}

func sandboxSpec(t *testing.T) pool.Spec {
	spec := pool.SandboxSpec(enginetest.Image(), pool.SandboxLimits{
		Limits:       pool.Limits{MemoryBytes: 64 << 20, NanoCPUs: 5e8, NoFile: 1024},
		WorkDirBytes: 16 << 20,
		TmpBytes:     16 << 20,
	})
	spec.Labels = testLabels(t)
	return spec
}

// TestNetworkPolicy checks that a sandbox without a network is selected by the
// NetworkPolicy that denies all its traffic, and one with a network is not.
func TestNetworkPolicy(t *testing.T) {
	b := newTestBackend(t)
	ctx := context.Background()
	id := createSandbox(t, b, sandboxSpec(t))

	policy, err := b.api.NetworkingV1().NetworkPolicies(b.namespace).Get(ctx, NetworkPolicyName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting NetworkPolicy %s = %v, want it created by Create", NetworkPolicyName, err)
	}
	if len(policy.Spec.Ingress) != 0 || len(policy.Spec.Egress) != 0 || len(policy.Spec.PolicyTypes) != 2 {
		t.Errorf("NetworkPolicy spec = %+v, want both policy types and no rule", policy.Spec)
	}
	selector, err := metav1.LabelSelectorAsSelector(&policy.Spec.PodSelector)
	if err != nil {
		t.Fatalf("NetworkPolicy selector: %v", err)
	}
	pod, err := b.api.CoreV1().Pods(b.namespace).Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting pod %s: %v", id, err)
	}
	if !selector.Matches(labels.Set(pod.Labels)) {
		t.Errorf("NetworkPolicy selector %s does not match sandbox pod labels %v", selector, pod.Labels)
	}

	spec := sandboxSpec(t)
	spec.Network = true
	withNetwork := createSandbox(t, b, spec)
	pod, err = b.api.CoreV1().Pods(b.namespace).Get(ctx, withNetwork, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting pod %s: %v", withNetwork, err)
	}
	if selector.Matches(labels.Set(pod.Labels)) {
		t.Errorf("NetworkPolicy selector %s matches the pod with a network, labels %v", selector, pod.Labels)
	}
}

// TestExecUnknownUser checks that an exec as a user without a container fails clearly.
func TestExecUnknownUser(t *testing.T) {
	b := newTestBackend(t)
	id := createSandbox(t, b, sandboxSpec(t))
	_, err := b.Exec(context.Background(), id, pool.ExecCommand{Cmd: []string{"true"}, User: "1000:1000"})
	if !errors.Is(err, errUserNotInSpec) {
		t.Errorf("Exec as 1000:1000 = %v, want %v", err, errUserNotInSpec)
	}
}

// TestExecFromAnotherReplica checks that a backend that did not create a pod, as another
// server replica, finds its containers through the pod's annotation.
func TestExecFromAnotherReplica(t *testing.T) {
	b := newTestBackend(t)
	id := createSandbox(t, b, sandboxSpec(t))
	other := newTestBackend(t)
	var out strings.Builder
	result, err := other.Exec(context.Background(), id, pool.ExecCommand{Cmd: []string{"id", "-u"}, User: pool.CodeUser, Stdout: &out})
	if err != nil || result.ExitCode != 0 || out.String() != "65534\n" {
		t.Errorf("Exec(id -u) from a second backend = %d, %q, %v, want 0, \"65534\\n\"", result.ExitCode, out.String(), err)
	}
}

// TestCreateUnfit checks that a pod the node cannot admit is a create error that names the
// reason, and leaves no pod behind.
func TestCreateUnfit(t *testing.T) {
	b := newTestBackend(t)
	if b.opts.Pod.NodeName == "" {
		t.Skip("needs pods bound to a node: the scheduler would leave an unfit pod pending")
	}
	spec := sandboxSpec(t)
	b.opts.Pod.CPURequestMilli = 1 << 20 // a thousand CPUs
	spec.Limits.NanoCPUs = 1 << 20 * 1e6
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := b.Create(ctx, spec)
	if err == nil {
		b.Remove(ctx, id)
		t.Fatal("Create() of a pod that requests 1048576 CPUs = nil error, want the node's refusal")
	}
	if !strings.Contains(err.Error(), "OutOfcpu") {
		t.Errorf("Create() = %v, want an error that names OutOfcpu", err)
	}
	left, err := b.List(ctx, spec.Labels)
	if err != nil || len(left) != 0 {
		t.Errorf("List() after the failed Create = %v, %v, want no pods", left, err)
	}
}

// TestCodeCannotStopContainer checks that code in the exec container can neither signal
// its PID 1 away nor forge the stop mark, and that Remove still finishes quickly.
func TestCodeCannotStopContainer(t *testing.T) {
	b := newTestBackend(t)
	ctx := context.Background()
	id, err := b.Create(ctx, sandboxSpec(t))
	if err != nil {
		t.Fatalf("Create() = %v, want nil error", err)
	}
	defer b.Remove(context.Background(), id)

	var stderr strings.Builder
	script := `touch ` + stopDir + `/stopping 2>&1; kill -TERM 1; kill -KILL 1; kill -KILL -1; sleep 1.5`
	if _, err := b.Exec(ctx, id, pool.ExecCommand{Cmd: []string{"sh", "-c", script}, User: pool.CodeUser, Stderr: &stderr}); err != nil {
		t.Fatalf("Exec(%q) = %v", script, err)
	}
	status, err := b.Inspect(ctx, id)
	if err != nil || !status.Running {
		t.Fatalf("Inspect() after the code signalled PID 1 = %+v, %v, want running", status, err)
	}
	var out strings.Builder
	result, err := b.Exec(ctx, id, pool.ExecCommand{Cmd: []string{"id", "-u"}, User: pool.CodeUser, Stdout: &out})
	if err != nil || result.ExitCode != 0 || out.String() != "65534\n" {
		t.Errorf("Exec(id -u) after the code signalled PID 1 = %d, %q, %v, want 0, \"65534\\n\"", result.ExitCode, out.String(), err)
	}

	start := time.Now()
	if err := b.Remove(ctx, id); err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	t.Logf("Remove() took %v", time.Since(start).Round(time.Millisecond))
}
