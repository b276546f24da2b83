package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// A graceful delete takes about a second on a healthy node. Past gracefulRemoveTimeout the
// node is taken to be gone, and a forced delete gets forcedRemoveTimeout to take effect.
const (
	gracefulRemoveTimeout = 20 * time.Second
	forcedRemoveTimeout   = 5 * time.Second
)

// Inspect returns the state of pod id. The pod runs while every container of it runs and
// it is not being deleted. OOMKilled reports a container that the OOM killer ended; ExitCode
// is the main container's.
func (b *Backend) Inspect(ctx context.Context, id string) (pool.Status, error) {
	pod, err := b.api.CoreV1().Pods(b.namespace).Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		return pool.Status{}, fmt.Errorf("inspecting pod %s: %w", id, classify(err, pool.ErrContainerNotFound))
	}
	return podStatus(pod), nil
}

// podStatus returns the pool's view of pod.
func podStatus(pod *corev1.Pod) pool.Status {
	running, _ := started(pod)
	status := pool.Status{Running: running}
	if pod.Status.StartTime != nil {
		status.StartedAt = pod.Status.StartTime.Time
	}
	for _, s := range pod.Status.ContainerStatuses {
		t := s.State.Terminated
		if t == nil {
			continue
		}
		status.OOMKilled = status.OOMKilled || t.Reason == "OOMKilled"
		if s.Name == mainContainer {
			status.ExitCode = int(t.ExitCode)
		}
	}
	return status
}

// Remove deletes pod id and waits until it is gone, so that its name and resources are
// free when Remove returns. The kubelet gives the pod's processes the termination grace
// period. A pod that is still there after gracefulRemoveTimeout, because its node does not
// respond or it was never bound to a node, is deleted at once without waiting for the node
// to confirm. A pod that is already gone is success.
func (b *Backend) Remove(ctx context.Context, id string) error {
	if err := b.delete(ctx, id, nil); err != nil {
		return err
	}
	graceful, cancel := context.WithTimeout(ctx, gracefulRemoveTimeout)
	err := b.waitGone(graceful, id)
	cancel()
	if err == nil || ctx.Err() != nil {
		return wrapGone(id, err)
	}

	b.log.Warn("pod did not go after a graceful delete; deleting it without the node's confirmation",
		"container_id", id, "waited_ms", gracefulRemoveTimeout.Milliseconds())
	if err := b.delete(ctx, id, new(int64(0))); err != nil {
		return err
	}
	forced, cancel := context.WithTimeout(ctx, forcedRemoveTimeout)
	defer cancel()
	return wrapGone(id, b.waitGone(forced, id))
}

// wrapGone adds the pod to an error of waitGone.
func wrapGone(id string, err error) error {
	if err != nil {
		return fmt.Errorf("waiting for pod %s to go: %w", id, err)
	}
	return nil
}

// waitGone returns when pod id no longer exists. It watches the pod, and starts again
// when the API server ends the watch.
func (b *Backend) waitGone(ctx context.Context, id string) error {
	pods := b.api.CoreV1().Pods(b.namespace)
	for {
		pod, err := pods.Get(ctx, id, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return classify(err, nil)
		}
		w, err := pods.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", id).String(),
			ResourceVersion: pod.ResourceVersion,
		})
		if err != nil {
			return classify(err, nil)
		}
		deleted := waitDeleted(ctx, w)
		w.Stop()
		if deleted {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// waitDeleted reports whether w delivered a Deleted event before it ended or ctx was done.
func waitDeleted(ctx context.Context, w watch.Interface) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case event, ok := <-w.ResultChan():
			if !ok {
				return false
			}
			if event.Type == watch.Deleted {
				return true
			}
		}
	}
}

// delete deletes pod id without waiting for it to go, with the pod's own grace period when
// grace is nil. A pod that is already gone is success.
func (b *Backend) delete(ctx context.Context, id string, grace *int64) error {
	b.forget(id)
	background := metav1.DeletePropagationBackground
	err := b.api.CoreV1().Pods(b.namespace).Delete(ctx, id, metav1.DeleteOptions{PropagationPolicy: &background, GracePeriodSeconds: grace})
	if apierrors.IsNotFound(err) {
		b.log.Debug("pod already gone", "container_id", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting pod %s: %w", id, classify(err, nil))
	}
	return nil
}

// List returns the backend's pods that carry every label in want. Label values that
// Kubernetes cannot select on are matched against the labels annotation.
func (b *Backend) List(ctx context.Context, want map[string]string) ([]pool.Container, error) {
	selector := labels.Set{LabelManagedBy: ManagedBy}
	for k, v := range want {
		if validLabel(k, v) {
			selector[k] = v
		}
	}
	pods, err := b.api.CoreV1().Pods(b.namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, fmt.Errorf("listing pods in namespace %s: %w", b.namespace, classify(err, nil))
	}
	var containers []pool.Container
	for i := range pods.Items {
		pod := &pods.Items[i]
		got := specLabels(pod)
		if !pool.HasLabels(got, want) {
			continue
		}
		containers = append(containers, pool.Container{
			ID:      pod.Name,
			Labels:  got,
			Created: pod.CreationTimestamp.Time,
			Running: podStatus(pod).Running,
		})
	}
	return containers, nil
}
