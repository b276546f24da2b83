package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// Create creates a pod that runs spec and waits until every container of it runs. A pod
// that fails to start is deleted, and the error carries the reason: the pod's (such as
// OutOfmemory when the node cannot admit it) or a container's (such as ErrImageNeverPull,
// which wraps pool.ErrImageNotFound, or CrashLoopBackOff). Create gives up after
// Options.StartTimeout with the pod's last condition.
func (b *Backend) Create(ctx context.Context, spec pool.Spec) (string, error) {
	began := time.Now()
	if !spec.Network && b.opts.ManageNetworkPolicy {
		if err := b.ensureNetworkPolicy(ctx); err != nil {
			return "", err
		}
	}
	if spec.Limits.Pids > 0 {
		b.log.Debug("pids limit left to the kubelet's podPidsLimit", "pids", spec.Limits.Pids)
	}

	// Create the pod.
	pod, err := podFor(spec, b.opts.Pod)
	if err != nil {
		return "", err
	}
	created, err := b.api.CoreV1().Pods(b.namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("creating pod in namespace %s: %w", b.namespace, classify(err, nil))
	}
	id := created.Name
	if info, err := podExecInfo(created); err == nil {
		b.infos.Store(id, info)
	}

	// Wait until it runs, and delete it when it does not.
	if err := b.waitRunning(ctx, created); err != nil {
		b.removeDetached(id)
		return "", fmt.Errorf("starting pod %s: %w", id, err)
	}
	b.log.Debug("pod running", "container_id", id, "duration_ms", time.Since(began).Milliseconds())
	return id, nil
}

// removeDetached removes pod id on a context of its own, so that a cancelled Create still
// frees it, and logs a failure.
func (b *Backend) removeDetached(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := b.Remove(ctx, id); err != nil {
		b.log.Warn("removing a pod that did not start failed", "container_id", id, "error", err)
	}
}

// waitRunning watches pod until all its containers run, it fails, ctx is done or the start
// timeout passes.
func (b *Backend) waitRunning(parent context.Context, pod *corev1.Pod) error {
	ctx, cancel := context.WithTimeout(parent, b.opts.StartTimeout)
	defer cancel()
	last := pod
	for {
		done, err := b.watchRunning(ctx, pod.Name, last.ResourceVersion, &last)
		if done || err != nil {
			return err
		}
		if err := parent.Err(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("pod did not run within %v: %s", b.opts.StartTimeout, pending(last))
		}
		// The API server ended the watch early, which it may do at any time, so the wait
		// starts again from the newest state.
		fresh, err := b.api.CoreV1().Pods(b.namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return classify(err, pool.ErrContainerNotFound)
		}
		last = fresh
		if done, err := started(fresh); done || err != nil {
			return err
		}
	}
}

// watchRunning watches pod name from resourceVersion and stores each state it receives in
// last. It returns true when the pod runs, an error when it failed, and false with a nil
// error when the watch ended or ctx is done.
func (b *Backend) watchRunning(ctx context.Context, name, resourceVersion string, last **corev1.Pod) (bool, error) {
	w, err := b.api.CoreV1().Pods(b.namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: resourceVersion,
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return false, fmt.Errorf("watching pod: %w", classify(err, nil))
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case event, ok := <-w.ResultChan():
			if !ok {
				return false, nil
			}
			switch event.Type {
			case watch.Deleted:
				return false, fmt.Errorf("pod was deleted while starting: %w", pool.ErrContainerNotFound)
			case watch.Error:
				return false, nil
			}
			pod, ok := event.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			*last = pod
			if done, err := started(pod); done || err != nil {
				return done, err
			}
		}
	}
}

// imageReasons are the container waiting reasons that mean the node lacks the image and
// cannot get it.
var imageReasons = map[string]bool{
	"ErrImageNeverPull": true,
	"ErrImagePull":      true,
	"ImagePullBackOff":  true,
	"InvalidImageName":  true,
}

// fatalReasons are the other container waiting reasons that retrying will not cure.
var fatalReasons = map[string]bool{
	"CrashLoopBackOff":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
	"ContainerCannotRun":         true,
}

// started reports whether every container of pod runs, or returns an error when the pod
// or one of its containers failed for good.
func started(pod *corev1.Pod) (bool, error) {
	switch pod.Status.Phase {
	case corev1.PodFailed, corev1.PodSucceeded:
		return false, fmt.Errorf("pod %s: %s", strings.ToLower(string(pod.Status.Phase)), reasonText(pod.Status.Reason, pod.Status.Message))
	}
	if pod.DeletionTimestamp != nil {
		return false, errors.New("pod is being deleted")
	}
	statuses := pod.Status.ContainerStatuses
	for _, s := range statuses {
		if w := s.State.Waiting; w != nil {
			text := fmt.Sprintf("container %s: %s", s.Name, reasonText(w.Reason, w.Message))
			if imageReasons[w.Reason] {
				return false, fmt.Errorf("%w: %s", pool.ErrImageNotFound, text)
			}
			if fatalReasons[w.Reason] {
				return false, errors.New(text)
			}
		}
		if t := s.State.Terminated; t != nil {
			return false, fmt.Errorf("container %s exited with code %d: %s", s.Name, t.ExitCode, reasonText(t.Reason, t.Message))
		}
	}
	if pod.Status.Phase != corev1.PodRunning || len(statuses) != len(pod.Spec.Containers) {
		return false, nil
	}
	for _, s := range statuses {
		if s.State.Running == nil {
			return false, nil
		}
	}
	return true, nil
}

// pending describes why pod is not running yet, from its conditions and container states.
func pending(pod *corev1.Pod) string {
	var parts []string
	for _, c := range pod.Status.Conditions {
		if c.Status != corev1.ConditionTrue && (c.Reason != "" || c.Message != "") {
			parts = append(parts, fmt.Sprintf("%s: %s", c.Type, reasonText(c.Reason, c.Message)))
		}
	}
	for _, s := range pod.Status.ContainerStatuses {
		if w := s.State.Waiting; w != nil {
			parts = append(parts, fmt.Sprintf("container %s: %s", s.Name, reasonText(w.Reason, w.Message)))
		}
	}
	if pod.Spec.NodeName == "" && !hasCondition(pod, corev1.PodScheduled) {
		parts = append(parts, "no scheduler assigned the pod to a node (on a cluster without a scheduler, set kubernetes.node_name)")
	}
	if len(parts) == 0 {
		return fmt.Sprintf("phase %s", pod.Status.Phase)
	}
	return strings.Join(parts, "; ")
}

// hasCondition reports whether pod has a condition of type kind, whatever its status.
func hasCondition(pod *corev1.Pod, kind corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == kind {
			return true
		}
	}
	return false
}

// reasonText joins a Kubernetes reason and message.
func reasonText(reason, message string) string {
	switch {
	case reason == "" && message == "":
		return "no reason given"
	case message == "":
		return reason
	case reason == "":
		return message
	}
	return reason + " (" + message + ")"
}

// classify wraps err from an API call with the pool sentinel it matches:
// pool.ErrEngineUnavailable when the API server could not be reached, and notFound, when
// not nil, when the object is missing. Other errors come back unchanged.
func classify(err, notFound error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case notFound != nil && apierrors.IsNotFound(err):
		return fmt.Errorf("%w: %w", notFound, err)
	case apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsInternalError(err):
		return fmt.Errorf("%w: %w", pool.ErrEngineUnavailable, err)
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		// The error is not a response of the API server, so the request did not reach it.
		return fmt.Errorf("%w: %w", pool.ErrEngineUnavailable, err)
	}
	return err
}
