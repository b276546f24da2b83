package kube

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

func testSpec() pool.Spec {
	spec := pool.SandboxSpec("sandbox-mcp/python:latest", pool.SandboxLimits{
		Limits:       pool.Limits{MemoryBytes: 512 << 20, NanoCPUs: 5e8, Pids: 256, NoFile: 1024},
		WorkDirBytes: 256 << 20,
		TmpBytes:     64 << 20,
	})
	spec.Labels = map[string]string{
		"io.sandbox-mcp.pool":     "python",
		"io.sandbox-mcp.language": "not a valid label value",
	}
	spec.Env = []string{"A=1", "B=x=y"}
	return spec
}

func TestPodForHardening(t *testing.T) {
	pod, err := podFor(testSpec(), PodOptions{CPURequestMilli: 25, MemoryRequestBytes: 32 << 20})
	if err != nil {
		t.Fatalf("podFor() = %v, want nil error", err)
	}
	s := pod.Spec
	if *s.AutomountServiceAccountToken || *s.EnableServiceLinks || s.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("podFor() token %v, service links %v, restart %s, want false, false, Never",
			*s.AutomountServiceAccountToken, *s.EnableServiceLinks, s.RestartPolicy)
	}
	if *s.TerminationGracePeriodSeconds != 1 || !*s.SecurityContext.RunAsNonRoot || s.HostNetwork || s.HostPID {
		t.Errorf("podFor() pod settings = %+v, want grace 1, non-root, no host namespaces", s)
	}
	if s.ShareProcessNamespace != nil && *s.ShareProcessNamespace {
		t.Error("podFor() shares the process namespace, want one per container")
	}

	wantNames := []string{"main", "user-65534-65534"}
	var names []string
	for _, c := range s.Containers {
		names = append(names, c.Name)
		sc := c.SecurityContext
		if !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || *sc.Privileged ||
			!cmp.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
			t.Errorf("container %s security context = %+v, want read-only root, no escalation, drop ALL", c.Name, sc)
		}
		if got := c.Resources.Limits.Memory().Value(); got != 512<<20 {
			t.Errorf("container %s memory limit = %d, want %d", c.Name, got, 512<<20)
		}
		if got := c.Resources.Limits.Cpu().MilliValue(); got != 500 {
			t.Errorf("container %s CPU limit = %dm, want 500m", c.Name, got)
		}
		if got := c.Resources.Requests.Cpu().MilliValue(); got != 25 {
			t.Errorf("container %s CPU request = %dm, want 25m", c.Name, got)
		}
		if diff := cmp.Diff([]corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "x=y"}}, c.Env); diff != "" {
			t.Errorf("container %s env (-want +got):\n%s", c.Name, diff)
		}
		if len(c.VolumeMounts) != 3 {
			t.Errorf("container %s mounts = %v, want the two tmpfs and the stop volume", c.Name, c.VolumeMounts)
		}
		stop := c.VolumeMounts[len(c.VolumeMounts)-1]
		if wantReadOnly := c.Name != mainContainer; stop.MountPath != stopDir || stop.ReadOnly != wantReadOnly {
			t.Errorf("container %s stop mount = %+v, want %s, read-only %v", c.Name, stop, stopDir, wantReadOnly)
		}
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("container names (-want +got):\n%s", diff)
	}
	if got := *s.Containers[0].SecurityContext.RunAsUser; got != 65532 {
		t.Errorf("main container user = %d, want 65532", got)
	}
	if got := *s.Containers[1].SecurityContext.RunAsUser; got != 65534 {
		t.Errorf("exec container user = %d, want 65534", got)
	}
	for _, v := range s.Volumes {
		if v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || v.EmptyDir.SizeLimit == nil {
			t.Errorf("volume %s = %+v, want a memory emptyDir with a size limit", v.Name, v.VolumeSource)
		}
	}
}

func TestPodForLabels(t *testing.T) {
	spec := testSpec()
	pod, err := podFor(spec, PodOptions{Labels: map[string]string{"team": "ml", LabelManagedBy: "someone-else"}})
	if err != nil {
		t.Fatalf("podFor() = %v, want nil error", err)
	}
	want := map[string]string{
		"team":                "ml",
		"io.sandbox-mcp.pool": "python",
		LabelManagedBy:        ManagedBy,
		LabelNetwork:          NetworkNone,
	}
	if diff := cmp.Diff(want, pod.Labels); diff != "" {
		t.Errorf("pod labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(spec.Labels, specLabels(pod)); diff != "" {
		t.Errorf("specLabels(pod) (-want +got):\n%s", diff)
	}
	info, err := podExecInfo(pod)
	if err != nil {
		t.Fatalf("podExecInfo() = %v, want nil error", err)
	}
	wantInfo := execInfo{
		Containers: map[string]string{pool.KeeperUser: "main", pool.CodeUser: "user-65534-65534"},
		NoFile:     1024,
	}
	if diff := cmp.Diff(wantInfo, info, cmp.AllowUnexported(execInfo{})); diff != "" {
		t.Errorf("podExecInfo() (-want +got):\n%s", diff)
	}

	spec.Network = true
	pod, err = podFor(spec, PodOptions{})
	if err != nil {
		t.Fatalf("podFor() = %v, want nil error", err)
	}
	if _, ok := pod.Labels[LabelNetwork]; ok {
		t.Errorf("pod with a network has label %s, want none: the NetworkPolicy would cut it off", LabelNetwork)
	}
}

func TestPodForUsers(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		wantErr bool
	}{
		{"numeric", "1000:1000", false},
		{"root", "0:0", true},
		{"name", "nobody", true},
		{"no group", "1000", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec()
			spec.User = tt.user
			_, err := podFor(spec, PodOptions{})
			if (err != nil) != tt.wantErr {
				t.Errorf("podFor(user %q) = %v, want error %v", tt.user, err, tt.wantErr)
			}
		})
	}
}

func TestResourcesZeroRequests(t *testing.T) {
	r := resources(pool.Limits{MemoryBytes: 16 << 20, NanoCPUs: 1e9}, PodOptions{})
	cpu, ok := r.Requests[corev1.ResourceCPU]
	if !ok || !cpu.IsZero() {
		t.Errorf("CPU request = %v (set %v), want an explicit 0: a missing request defaults to the limit", cpu.String(), ok)
	}
	memory, ok := r.Requests[corev1.ResourceMemory]
	if !ok || !memory.IsZero() {
		t.Errorf("memory request = %v (set %v), want an explicit 0", memory.String(), ok)
	}
}

func TestResourcesRequestsCapped(t *testing.T) {
	r := resources(pool.Limits{MemoryBytes: 16 << 20, NanoCPUs: 1e7}, PodOptions{CPURequestMilli: 100, MemoryRequestBytes: 64 << 20})
	if got := r.Requests.Cpu().MilliValue(); got != 10 {
		t.Errorf("CPU request = %dm, want 10m (the limit)", got)
	}
	if got := r.Requests.Memory().Value(); got != 16<<20 {
		t.Errorf("memory request = %d, want %d (the limit)", got, 16<<20)
	}
}

func TestStarted(t *testing.T) {
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	tests := []struct {
		name     string
		status   corev1.PodStatus
		want     bool
		wantErr  bool
		wantText string
	}{{
		name:   "pending",
		status: corev1.PodStatus{Phase: corev1.PodPending},
	}, {
		name: "running",
		status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: running}, {Name: "user-1-1", State: running}}},
		want: true,
	}, {
		name:     "rejected by the kubelet",
		status:   corev1.PodStatus{Phase: corev1.PodFailed, Reason: "OutOfmemory", Message: "Node didn't have enough resource: memory"},
		wantErr:  true,
		wantText: "OutOfmemory",
	}, {
		name: "image never pulled",
		status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}}}}},
		wantErr:  true,
		wantText: "ErrImageNeverPull",
	}, {
		name: "crash loop",
		status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}},
		wantErr:  true,
		wantText: "CrashLoopBackOff",
	}, {
		name: "container exited",
		status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 127, Reason: "Error"}}}}},
		wantErr:  true,
		wantText: "127",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: make([]corev1.Container, 2)}, Status: tt.status}
			got, err := started(pod)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("started() = %v, %v, want %v, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("started() error = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}
