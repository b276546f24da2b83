package main

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
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

// debugHandler passes every record to its handler at debug level.
type debugHandler struct{ slog.Handler }

func (h debugHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return h.Handler.Enabled(ctx, slog.LevelDebug)
}

func (h debugHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return h.Handler.Handle(ctx, r)
}

func (h debugHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return debugHandler{h.Handler.WithAttrs(attrs)}
}

func (h debugHandler) WithGroup(name string) slog.Handler {
	return debugHandler{h.Handler.WithGroup(name)}
}

// doctorKube checks the cluster connection and starts a trial sandbox pod. report is
// doctor's.
func doctorKube(cfg config.Config, report func(ok bool, what, detail, fix string)) {
	b, err := kube.New(kubeOptions(cfg, nil))
	if err != nil {
		report(false, "cluster connection", err.Error(), "set kubernetes.kubeconfig in the config, or KUBECONFIG, to a kubeconfig with access to the cluster")
		return
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Kubernetes.StartTimeout+doctorTimeout)
	defer cancel()
	if err := b.Ping(ctx); err != nil {
		report(false, "cluster", err.Error(), "check the API server address in the kubeconfig, the namespace, and the RBAC Role in the README")
		return
	}
	version, err := b.ServerVersion(ctx)
	if err != nil {
		version = "(version unknown: " + err.Error() + ")"
	}
	report(true, "cluster", fmt.Sprintf("Kubernetes %s at %s, namespace %s", version, b.Host(), b.Namespace()), "")

	runtimes := cfg.EnabledRuntimes()
	if len(runtimes) == 0 {
		return
	}
	// Images live on the nodes or in a registry, out of the server's sight: a trial pod
	// shows whether one starts.
	rs := runtimes[0]
	err = startTrialSandbox(ctx, b, rs, false)
	detail := "a " + rs.Name + " sandbox pod starts from " + rs.Image
	if err != nil {
		detail = err.Error()
	}
	report(err == nil, "sandbox start", detail,
		"make the image available to the nodes: push it to a registry they pull from, or load it into each node's container runtime (scripts/kube/load-images.sh does that for the test cluster)")
}
