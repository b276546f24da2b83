package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/sandbox-mcp/sandbox-mcp/config"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/kube"
)

// kubernetesBackend is the config value of backend that selects Kubernetes.
const kubernetesBackend = "kubernetes"

// kubeOptions returns the Kubernetes backend's options from the kubernetes block of cfg.
func kubeOptions(cfg config.Config, log *slog.Logger) kube.Options {
	k := cfg.Kubernetes
	var tolerations []corev1.Toleration
	for _, t := range k.Tolerations {
		tolerations = append(tolerations, corev1.Toleration{
			Key:               t.Key,
			Operator:          corev1.TolerationOperator(t.Operator),
			Value:             t.Value,
			Effect:            corev1.TaintEffect(t.Effect),
			TolerationSeconds: t.TolerationSeconds,
		})
	}
	return kube.Options{
		Kubeconfig: k.Kubeconfig,
		Context:    k.Context,
		Namespace:  k.Namespace,
		Pod: kube.PodOptions{
			NodeName:           k.NodeName,
			RuntimeClassName:   k.RuntimeClassName,
			NodeSelector:       k.NodeSelector,
			Tolerations:        tolerations,
			ImagePullPolicy:    corev1.PullPolicy(k.ImagePullPolicy),
			Labels:             k.PodLabels,
			Annotations:        k.PodAnnotations,
			CPURequestMilli:    int64(k.CPURequest * 1000),
			MemoryRequestBytes: k.MemoryRequest,
		},
		ManageNetworkPolicy: k.ManageNetworkPolicy,
		StartTimeout:        k.StartTimeout,
		Logger:              log,
	}
}

// newKubeBackend returns the Kubernetes backend that cfg selects. It sends client-go's own
// log lines, which would otherwise go to stderr in klog's format, to log at debug level:
// they report conditions that the backend handles, such as the end of an exec stream when
// a call is cancelled.
func newKubeBackend(cfg config.Config, log *slog.Logger) (pool.Backend, error) {
	klog.SetSlogLogger(slog.New(debugHandler{log.Handler()}).With("component", "client-go"))
	b, err := kube.New(kubeOptions(cfg, log))
	if err != nil {
		return nil, fmt.Errorf("connecting to the kubernetes cluster: %w", err)
	}
	log.Info("engine connection", "backend", kubernetesBackend, "host", b.Host(), "namespace", b.Namespace())
	return b, nil
}

// kubeCheckTimeout bounds the dry runs of checkKubePods.
const kubeCheckTimeout = 30 * time.Second

// checkKubePods submits a sandbox pod of each runtime to the cluster as a dry run, when b
// is the Kubernetes backend. A rejection that every pod would meet, such as a missing
// namespace or permission, stops the server's start with the fix. A cluster that
// does not respond is logged: the pools retry until it does.
func checkKubePods(b pool.Backend, cfg config.Config, log *slog.Logger) error {
	kb, ok := b.(*kube.Backend)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), kubeCheckTimeout)
	defer cancel()
	for _, rs := range cfg.EnabledRuntimes() {
		err := kb.Check(ctx, pool.SandboxSpec(rs.Image, sandboxLimits(rs)))
		switch {
		case err == nil:
		case errors.Is(err, pool.ErrEngineUnavailable), ctx.Err() != nil:
			log.Warn("cluster not reachable; sandbox pods start once it is", "error", err)
			return nil
		default:
			return fmt.Errorf("the cluster rejects %s sandbox pods: %w\nfix: %s", rs.Name, err, kubeFix(err, kb.Namespace()))
		}
	}
	return nil
}

// debugHandler passes every record to its handler at debug level.
type debugHandler struct{ slog.Handler }

func (h debugHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelDebug && h.Handler.Enabled(ctx, slog.LevelDebug)
}

// Handle drops r unless the handler takes debug records, for logr's slog bridge calls
// Handle for errors without asking Enabled first. It drops client-go's detail below
// verbosity 4 (slog level -4, LevelDebug) too: request and response dumps.
func (h debugHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelDebug || !h.Handler.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	r.Level = slog.LevelDebug
	return h.Handler.Handle(ctx, r)
}

func (h debugHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return debugHandler{h.Handler.WithAttrs(attrs)}
}

func (h debugHandler) WithGroup(name string) slog.Handler {
	return debugHandler{h.Handler.WithGroup(name)}
}

// doctorKube checks the cluster connection and starts a trial sandbox pod per runtime.
// report is doctor's.
func doctorKube(cfg config.Config, report func(ok bool, what, detail, fix string)) {
	b, err := kube.New(kubeOptions(cfg, nil))
	if err != nil {
		report(false, "cluster connection", err.Error(), "set kubernetes.kubeconfig in the config, or KUBECONFIG, to a kubeconfig with access to the cluster")
		return
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), doctorTimeout)
	defer cancel()
	if err := b.Ping(ctx); err != nil {
		report(false, "cluster", err.Error(), kubeFix(err, b.Namespace()))
		return
	}
	version, err := b.ServerVersion(ctx)
	if err != nil {
		version = "(version unknown: " + err.Error() + ")"
	}
	report(true, "cluster", fmt.Sprintf("Kubernetes %s at %s, namespace %s", version, b.Host(), b.Namespace()), "")

	// Images live on the nodes or in a registry, out of the server's sight, and a pod can
	// fail in ways only a start shows: a trial pod per runtime finds out.
	for _, rs := range cfg.EnabledRuntimes() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.Kubernetes.StartTimeout+doctorTimeout)
		err := startTrialSandbox(ctx, b, rs, false)
		cancel()
		detail := "a sandbox pod starts from " + rs.Image
		if err != nil {
			detail = err.Error()
		}
		report(err == nil, "sandbox start of "+rs.Name, detail, kubeFix(err, b.Namespace()))
	}
}

// kubeFix returns the fix doctor prints for err from the Kubernetes backend.
func kubeFix(err error, namespace string) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, pool.ErrEngineUnavailable):
		return "check the API server address and credentials in the kubeconfig"
	case apierrors.IsNotFound(err) && strings.Contains(err.Error(), "namespaces"):
		return "create the namespace (kubectl create namespace " + namespace + "), or set kubernetes.namespace to an existing one"
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "RuntimeClass"):
		return "set kubernetes.runtime_class_name (or sandbox.oci_runtime) to a RuntimeClass of the cluster (kubectl get runtimeclass), or leave both empty"
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return "apply deploy/kubernetes/role.yaml in namespace " + namespace + " and bind it to the identity of the kubeconfig with a RoleBinding"
	case errors.Is(err, pool.ErrImageNotFound):
		return "make the image available to the nodes: push it to a registry they pull from, or load it into each node's container runtime (scripts/kube/load-images.sh does that for the test cluster)"
	case strings.Contains(err.Error(), "no scheduler assigned"):
		return "set kubernetes.node_name to a node of the cluster, or run a scheduler"
	default:
		return "correct what the message names"
	}
}
