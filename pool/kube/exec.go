package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// execScript starts every exec. Kubernetes has no working directory, environment or
// resource limits per exec, so a shell sets them with builtins and then replaces itself
// with the command. Arguments: the open-files limit (0 for none), the working directory
// (empty for the container's), the number of NAME=VALUE arguments that follow, those, and
// the command.
const execScript = `[ "$1" = 0 ] || ulimit -n "$1" || exit 126
[ -z "$2" ] || cd -- "$2" || exit 126
n=$3
shift 3
while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done
exec "$@"`

// Exec runs cmd in the container of pod id that runs as cmd.User, through the API
// server's exec subresource: WebSocket first, SPDY when the server does not offer it. See
// pool.Backend for the contract. A user that no container of the pod runs as is an error.
// A command that does not exist exits 127.
func (b *Backend) Exec(ctx context.Context, id string, cmd pool.ExecCommand) (pool.ExecResult, error) {
	began := time.Now()
	info, err := b.execInfo(ctx, id)
	if err != nil {
		return pool.ExecResult{}, err
	}
	container, ok := info.container(cmd.User)
	if !ok {
		return pool.ExecResult{}, fmt.Errorf("exec as user %q in pod %s: %w", cmd.User, id, errUserNotInSpec)
	}

	executor, err := b.executor(id, container, execArgv(cmd, info.NoFile), cmd.Stdin != nil)
	if err != nil {
		return pool.ExecResult{}, fmt.Errorf("preparing exec in pod %s: %w", id, err)
	}
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{
		Stdin:  cmd.Stdin,
		Stdout: orDiscard(cmd.Stdout),
		Stderr: orDiscard(cmd.Stderr),
	})
	var exitErr exec.CodeExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		b.log.Debug("exec finished", "container_id", id, "exit_code", exitErr.Code, "duration_ms", time.Since(began).Milliseconds())
		return pool.ExecResult{ExitCode: exitErr.Code}, nil
	case ctx.Err() != nil:
		return pool.ExecResult{}, ctx.Err()
	default:
		return pool.ExecResult{}, fmt.Errorf("exec in pod %s: %w", id, b.execError(ctx, id, err))
	}
	b.log.Debug("exec finished", "container_id", id, "exit_code", 0, "duration_ms", time.Since(began).Milliseconds())
	return pool.ExecResult{}, nil
}

// execArgv returns the argv that runs cmd through execScript.
func execArgv(cmd pool.ExecCommand, nofile int64) []string {
	argv := []string{"/bin/sh", "-c", execScript, "sandbox-exec",
		strconv.FormatInt(nofile, 10), cmd.WorkingDir, strconv.Itoa(len(cmd.Env))}
	argv = append(argv, cmd.Env...)
	return append(argv, cmd.Cmd...)
}

// executor returns an executor of argv in container of pod id.
func (b *Backend) executor(id, container string, argv []string, stdin bool) (remotecommand.Executor, error) {
	req := b.api.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(b.namespace).Name(id).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   argv,
			Stdin:     stdin,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)
	websocket, err := remotecommand.NewWebSocketExecutor(b.rest, "GET", req.URL().String())
	if err != nil {
		return nil, err
	}
	spdy, err := remotecommand.NewSPDYExecutor(b.rest, "POST", req.URL())
	if err != nil {
		return nil, err
	}
	return remotecommand.NewFallbackExecutor(websocket, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// execError classifies err from an exec stream: a pod that is gone, or no longer runs,
// wraps pool.ErrContainerNotFound.
func (b *Backend) execError(ctx context.Context, id string, err error) error {
	pod, getErr := b.api.CoreV1().Pods(b.namespace).Get(ctx, id, metav1.GetOptions{})
	if getErr != nil {
		if classified := classify(getErr, pool.ErrContainerNotFound); errors.Is(classified, pool.ErrContainerNotFound) {
			b.forget(id)
			return fmt.Errorf("%w: %w", pool.ErrContainerNotFound, err)
		}
		return err
	}
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return fmt.Errorf("%w: pod is %s: %w", pool.ErrContainerNotFound, phaseText(pod), err)
	}
	return err
}

// phaseText returns pod's phase, or "being deleted".
func phaseText(pod *corev1.Pod) string {
	if pod.DeletionTimestamp != nil {
		return "being deleted"
	}
	return string(pod.Status.Phase)
}

// execInfo returns the exec info of pod id: from the cache Create fills, or from the pod.
func (b *Backend) execInfo(ctx context.Context, id string) (execInfo, error) {
	if info, ok := b.infos.Load(id); ok {
		return info.(execInfo), nil
	}
	pod, err := b.api.CoreV1().Pods(b.namespace).Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		return execInfo{}, fmt.Errorf("exec in pod %s: %w", id, classify(err, pool.ErrContainerNotFound))
	}
	info, err := podExecInfo(pod)
	if err != nil {
		return execInfo{}, err
	}
	b.infos.Store(id, info)
	return info, nil
}

// forget drops the cached exec info of pod id.
func (b *Backend) forget(id string) {
	b.infos.Delete(id)
}

// orDiscard returns w, or io.Discard when w is nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
