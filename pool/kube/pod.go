package kube

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

const (
	// LabelManagedBy is set to ManagedBy on every pod the backend creates. List selects on
	// it, so pods of other programs in the namespace are never listed.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "sandbox-mcp"

	// LabelNetwork is set to NetworkNone on pods without a network. The NetworkPolicy
	// selects them.
	LabelNetwork = "io.sandbox-mcp.network"
	NetworkNone  = "none"

	// annotationLabels holds the spec's labels as a JSON object. Kubernetes label values
	// are limited to 63 characters of a small alphabet; the annotation keeps any value, and
	// List matches against it.
	annotationLabels = "io.sandbox-mcp/labels"
	// annotationExec holds what Exec needs to know of a pod: see execInfo.
	annotationExec = "io.sandbox-mcp/exec"

	// namePrefix starts the name of every pod; the API server appends a random suffix.
	namePrefix = "sandbox-mcp-"

	// mainContainer is the name of the container that runs the spec's command as its user.
	mainContainer = "main"
)

// PodOptions are the settings of every sandbox pod that do not come from pool.Spec.
type PodOptions struct {
	// NodeName binds every pod to one node, bypassing the scheduler. Empty lets the
	// scheduler place pods. Clusters without a scheduler, such as the test cluster of
	// scripts/kube, need it.
	NodeName string
	// RuntimeClassName selects a RuntimeClass, such as one for gVisor or Kata. Empty means
	// the spec's Runtime, which names a RuntimeClass here, then the cluster's default.
	RuntimeClassName string
	NodeSelector     map[string]string
	Tolerations      []corev1.Toleration
	// ImagePullPolicy of every container. Empty means IfNotPresent.
	ImagePullPolicy corev1.PullPolicy
	// Labels and Annotations are added to every pod. They cannot replace the backend's own.
	Labels      map[string]string
	Annotations map[string]string
	// CPURequestMilli and MemoryRequestBytes are the requests of each container, capped at
	// its limits. The scheduler and the kubelet admit pods by requests, so they stay small
	// beside the limits: a sandbox is idle most of its life.
	CPURequestMilli    int64
	MemoryRequestBytes int64
	// TerminationGracePeriodSeconds is the time the kubelet gives a deleted pod's processes
	// before it kills them. Zero means 1. The kubelet waits at least 2 seconds for a
	// container whose PID 1 does not exit on SIGTERM.
	TerminationGracePeriodSeconds int64
}

// execInfo is the part of a pod's spec that Exec needs. It is kept in an annotation, so that
// any server replica can exec into any pod. Containers maps each user ("uid:gid") to its
// container.
type execInfo struct {
	Containers map[string]string `json:"containers"`
	NoFile     int64             `json:"nofile,omitempty"`
}

// container returns the container of user; an empty user means the main container.
func (e execInfo) container(user string) (string, bool) {
	if user == "" {
		return mainContainer, true
	}
	name, ok := e.Containers[user]
	return name, ok
}

// The PID 1 of each container is /bin/sh running one of these scripts. A shell waiting in
// the wait builtin collects every child that exits, orphans adopted from execs included,
// so no zombie outlives its parent for long. Signals that a process sends to the PID 1 of
// its own PID namespace arrive only when PID 1 handles them.
//
// When the kubelet stops a pod, it sends SIGTERM to every container at once. The main
// container's PID 1 then marks the pod as stopping in stopDir, which only the main
// container can write, and the other containers' PID 1 exits on seeing the mark. SIGTERM
// that code sends to its container's PID 1 finds no mark, so the container lives on.
const (
	// stopDir is the mount point of the stop volume in every container.
	stopDir = "/run/sandbox-mcp"
	// initScript runs the spec's command and exits on SIGTERM.
	initScript = `trap 'touch ` + stopDir + `/stopping; exit 0' TERM; "$@" & wait $!`
	// idleScript keeps an exec container alive, restarting its sleep when code kills it.
	// On SIGTERM it waits up to a second for the stop mark.
	// Its output goes nowhere, because the code runs as the same user and could otherwise
	// write through /proc/1/fd/1 to the container's log on the node's disk. A wait that a
	// signal interrupts leaves its sleep running, so the loop kills it before the next.
	idleScript = `exec >/dev/null 2>&1
trap 'i=0; while [ $i -lt 10 ]; do [ -e ` + stopDir + `/stopping ] && exit 0; sleep 0.1; i=$((i + 1)); done' TERM
while :; do sleep 86400 & wait $!; kill $! 2>/dev/null; done`
	// stopVolume names the volume mounted at stopDir.
	stopVolume = "stop"
)

// podFor returns the pod that runs spec. Its name is a prefix; the API server completes it.
func podFor(spec pool.Spec, opts PodOptions) (*corev1.Pod, error) {
	users, err := podUsers(spec)
	if err != nil {
		return nil, err
	}
	info := execInfo{Containers: make(map[string]string), NoFile: spec.Limits.NoFile}
	volumes, mounts := tmpfsVolumes(spec.Tmpfs)
	var containers []corev1.Container
	volumes = append(volumes, corev1.Volume{Name: stopVolume, VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: resource.NewQuantity(64<<10, resource.BinarySI)},
	}})
	for i, u := range users {
		stop := corev1.VolumeMount{Name: stopVolume, MountPath: stopDir, ReadOnly: i > 0}
		c := containerFor(spec, opts, u, slices.Concat(mounts, []corev1.VolumeMount{stop}))
		if i == 0 {
			c.Name = mainContainer
			c.Command = spec.Command
			if spec.Init {
				c.Command = append([]string{"/bin/sh", "-c", initScript, "sandbox-init"}, spec.Command...)
			}
		}
		info.Containers[u.spec] = c.Name
		containers = append(containers, c)
	}
	annotations, err := podAnnotations(spec.Labels, info, opts.Annotations)
	if err != nil {
		return nil, err
	}

	runtimeClass := opts.RuntimeClassName
	if runtimeClass == "" {
		runtimeClass = spec.Runtime
	}
	grace := opts.TerminationGracePeriodSeconds
	if grace <= 0 {
		grace = 1
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: namePrefix,
			Labels:       podLabels(spec, opts.Labels),
			Annotations:  annotations,
		},
		Spec: corev1.PodSpec{
			Containers:                    containers,
			Volumes:                       volumes,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			AutomountServiceAccountToken:  new(false),
			EnableServiceLinks:            new(false),
			NodeName:                      opts.NodeName,
			NodeSelector:                  opts.NodeSelector,
			Tolerations:                   opts.Tolerations,
			RuntimeClassName:              optional(runtimeClass),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   new(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}, nil
}

// podUser is one user of a pod: its spec form and its numeric IDs.
type podUser struct {
	spec     string
	uid, gid int64
}

// podUsers returns spec.User and then each of spec.ExecUsers not seen before. Kubernetes
// needs numeric IDs, and the backend runs nothing as root.
func podUsers(spec pool.Spec) ([]podUser, error) {
	var users []podUser
	seen := make(map[string]bool)
	for _, s := range append([]string{spec.User}, spec.ExecUsers...) {
		if seen[s] {
			continue
		}
		seen[s] = true
		u, err := parseUser(s)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, nil
}

// parseUser parses "uid:gid" with numeric IDs other than 0.
func parseUser(s string) (podUser, error) {
	uid, gid, ok := strings.Cut(s, ":")
	u := podUser{spec: s}
	var errU, errG error
	u.uid, errU = strconv.ParseInt(uid, 10, 64)
	u.gid, errG = strconv.ParseInt(gid, 10, 64)
	if !ok || errU != nil || errG != nil || u.uid < 0 || u.gid < 0 {
		return podUser{}, fmt.Errorf("user %q: the kubernetes backend needs a numeric uid:gid", s)
	}
	if u.uid == 0 {
		return podUser{}, fmt.Errorf("user %q: the kubernetes backend runs no container as root", s)
	}
	return u, nil
}

// containerFor returns the container of user u: the idle script as PID 1, the hardened
// security context, the spec's environment and limits, and every tmpfs mount.
func containerFor(spec pool.Spec, opts PodOptions, u podUser, mounts []corev1.VolumeMount) corev1.Container {
	policy := opts.ImagePullPolicy
	if policy == "" {
		policy = corev1.PullIfNotPresent
	}
	return corev1.Container{
		Name:            fmt.Sprintf("user-%d-%d", u.uid, u.gid),
		Image:           spec.Image,
		ImagePullPolicy: policy,
		Command:         []string{"/bin/sh", "-c", idleScript, "sandbox-idle"},
		Env:             envVars(spec.Env),
		Resources:       resources(spec.Limits, opts),
		VolumeMounts:    mounts,
		// NOTE: the kubelet mounts the termination message file from the node's disk,
		// writable by the container's user and without a size limit, so code can fill that
		// disk through /dev/termination-log. No pod setting prevents it.
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext: &corev1.SecurityContext{
			RunAsUser:                &u.uid,
			RunAsGroup:               &u.gid,
			RunAsNonRoot:             new(true),
			ReadOnlyRootFilesystem:   new(spec.ReadOnlyRoot),
			AllowPrivilegeEscalation: new(false),
			Privileged:               new(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

// tmpfsVolumes returns a memory-backed emptyDir volume for each tmpfs, and its mount. The
// kubelet mounts it world-writable with the sticky bit, as Docker mounts a tmpfs.
func tmpfsVolumes(tmpfs []pool.Tmpfs) ([]corev1.Volume, []corev1.VolumeMount) {
	var volumes []corev1.Volume
	var mounts []corev1.VolumeMount
	for i, t := range tmpfs {
		name := fmt.Sprintf("tmpfs-%d", i)
		dir := &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}
		if t.SizeBytes > 0 {
			dir.SizeLimit = resource.NewQuantity(t.SizeBytes, resource.BinarySI)
		}
		volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: dir}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: t.Path})
	}
	return volumes, mounts
}

// resources returns the limits of l and the requests of opts, each request capped at its
// limit. A request of zero is set as zero where there is a limit, because Kubernetes takes
// a missing request to be the limit. Kubernetes has no per-pod pids or open-files limit:
// the kubelet's podPidsLimit caps pids, and Exec sets the open-files limit.
func resources(l pool.Limits, opts PodOptions) corev1.ResourceRequirements {
	limits := corev1.ResourceList{}
	requests := corev1.ResourceList{}
	cpuRequest, memoryRequest := opts.CPURequestMilli, opts.MemoryRequestBytes
	if l.NanoCPUs > 0 {
		milli := max(l.NanoCPUs/1e6, 1)
		limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(milli, resource.DecimalSI)
		cpuRequest = min(cpuRequest, milli)
	}
	if l.MemoryBytes > 0 {
		limits[corev1.ResourceMemory] = *resource.NewQuantity(l.MemoryBytes, resource.BinarySI)
		memoryRequest = min(memoryRequest, l.MemoryBytes)
	}
	if cpuRequest > 0 || l.NanoCPUs > 0 {
		requests[corev1.ResourceCPU] = *resource.NewMilliQuantity(cpuRequest, resource.DecimalSI)
	}
	if memoryRequest > 0 || l.MemoryBytes > 0 {
		requests[corev1.ResourceMemory] = *resource.NewQuantity(memoryRequest, resource.BinarySI)
	}
	return corev1.ResourceRequirements{Limits: limits, Requests: requests}
}

// envVars turns NAME=VALUE strings into container environment variables.
func envVars(env []string) []corev1.EnvVar {
	var vars []corev1.EnvVar
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		vars = append(vars, corev1.EnvVar{Name: name, Value: value})
	}
	return vars
}

// podLabels returns the pod's labels: extra first, then every spec label whose key and
// value Kubernetes accepts as a label, then the backend's own.
func podLabels(spec pool.Spec, extra map[string]string) map[string]string {
	labels := maps.Clone(extra)
	if labels == nil {
		labels = make(map[string]string)
	}
	for k, v := range spec.Labels {
		if validLabel(k, v) {
			labels[k] = v
		}
	}
	labels[LabelManagedBy] = ManagedBy
	if spec.Network {
		delete(labels, LabelNetwork)
	} else {
		labels[LabelNetwork] = NetworkNone
	}
	return labels
}

// validLabel reports whether Kubernetes accepts key=value as a label.
func validLabel(key, value string) bool {
	return len(validation.IsQualifiedName(key)) == 0 && len(validation.IsValidLabelValue(value)) == 0
}

// podAnnotations returns extra plus the annotations that carry the spec's labels and info.
func podAnnotations(labels map[string]string, info execInfo, extra map[string]string) (map[string]string, error) {
	annotations := maps.Clone(extra)
	if annotations == nil {
		annotations = make(map[string]string)
	}
	encodedLabels, err := json.Marshal(labels)
	if err != nil {
		return nil, fmt.Errorf("encoding labels: %w", err)
	}
	encodedInfo, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encoding exec info: %w", err)
	}
	annotations[annotationLabels] = string(encodedLabels)
	annotations[annotationExec] = string(encodedInfo)
	return annotations, nil
}

// specLabels returns the spec labels of pod, from its annotation.
func specLabels(pod *corev1.Pod) map[string]string {
	labels := make(map[string]string)
	if s, ok := pod.Annotations[annotationLabels]; ok {
		_ = json.Unmarshal([]byte(s), &labels)
	}
	return labels
}

// podExecInfo returns the exec info of pod, from its annotation.
func podExecInfo(pod *corev1.Pod) (execInfo, error) {
	var info execInfo
	s, ok := pod.Annotations[annotationExec]
	if !ok {
		return info, fmt.Errorf("pod %s lacks the %s annotation", pod.Name, annotationExec)
	}
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		return info, fmt.Errorf("decoding the %s annotation of pod %s: %w", annotationExec, pod.Name, err)
	}
	return info, nil
}

// optional returns a pointer to s, or nil when s is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
