// Package kube is a pool.Backend on Kubernetes. A sandbox container is a Pod. Execs and file
// copies go through the API server's exec subresource, so the server needs no access to the
// nodes.
//
// Kubernetes cannot choose the user of an exec, so a pod holds one container per user of
// pool.Spec (User first, then ExecUsers), all from the same image and sharing the spec's
// tmpfs mounts as memory-backed emptyDir volumes. Each container has a PID namespace of its
// own, whose PID 1 reaps orphans.
package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// cleanupTimeout bounds the removal of a pod that Create could not start. The removal runs
// on a context detached from the caller's, so a cancelled Create still frees it.
const cleanupTimeout = 30 * time.Second

// Options configures New. The zero value uses the kubeconfig found by the usual rules, or
// the in-cluster credentials, and that context's namespace.
type Options struct {
	// Kubeconfig is the path of a kubeconfig file. Empty means the KUBECONFIG environment
	// variable, then ~/.kube/config, then the in-cluster service account.
	Kubeconfig string
	// Context names the kubeconfig context. Empty means the current context.
	Context string
	// Namespace holds the sandbox pods. Empty means the context's namespace, then "default".
	Namespace string

	// Pod holds the settings of every sandbox pod that do not come from pool.Spec.
	Pod PodOptions

	// ManageNetworkPolicy makes Create ensure the NetworkPolicy that denies all traffic to
	// and from pods without a network. When false, the cluster's administrator creates it
	// (see NetworkPolicy).
	ManageNetworkPolicy bool

	// StartTimeout bounds the wait of Create for a pod to run. Zero means two minutes.
	StartTimeout time.Duration

	// Logger receives debug records of API calls and warnings of failed cleanups. Nil
	// discards them.
	Logger *slog.Logger
}

// Backend is a pool.Backend on one Kubernetes namespace. It is safe for concurrent use.
type Backend struct {
	api       kubernetes.Interface
	rest      *rest.Config
	namespace string
	opts      Options
	log       *slog.Logger

	// infos caches the exec info of pods by name.
	infos sync.Map

	policyMu sync.Mutex
	policyOK bool // guarded by policyMu: the NetworkPolicy is known to exist
}

var _ pool.Backend = (*Backend)(nil)

// New returns a Backend for the cluster and namespace that opts select. It reads the
// kubeconfig but does not contact the cluster: call Ping for that.
func New(opts Options) (*Backend, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	config, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubernetes credentials: %w", err)
	}
	namespace := opts.Namespace
	if namespace == "" {
		if namespace, _, err = loader.Namespace(); err != nil {
			return nil, fmt.Errorf("reading the kubeconfig namespace: %w", err)
		}
	}
	return newBackend(config, namespace, opts)
}

// newBackend returns a Backend on the cluster that config reaches.
func newBackend(config *rest.Config, namespace string, opts Options) (*Backend, error) {
	if err := opts.Pod.validate(); err != nil {
		return nil, fmt.Errorf("invalid pod settings: %w", err)
	}
	config = rest.CopyConfig(config)
	config.UserAgent = "sandbox-mcp"
	// Pools create and remove pods in bursts, which the client's default of 5 requests
	// per second would queue.
	config.QPS, config.Burst = 50, 100
	api, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("creating kubernetes client: %w", err)
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Backend{api: api, rest: config, namespace: namespace, opts: opts, log: log}, nil
}

// Name returns "kubernetes".
func (b *Backend) Name() string {
	return "kubernetes"
}

// Namespace returns the namespace of the sandbox pods.
func (b *Backend) Namespace() string {
	return b.namespace
}

// Host returns the address of the API server.
func (b *Backend) Host() string {
	return b.rest.Host
}

// Ping checks that the API server at Host responds and lets the backend list pods in its
// namespace. An API server that does not respond returns an error wrapping
// pool.ErrEngineUnavailable. A refusal, such as a missing RBAC permission, does not wrap it.
func (b *Backend) Ping(ctx context.Context) error {
	if _, err := b.api.CoreV1().Pods(b.namespace).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return fmt.Errorf("listing pods in namespace %s at %s: %w", b.namespace, b.rest.Host, classify(err, nil))
	}
	return nil
}

// ServerVersion returns the API server's version, such as "v1.37.2".
func (b *Backend) ServerVersion(ctx context.Context) (string, error) {
	body, err := b.api.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", fmt.Errorf("reading the kubernetes version: %w", classify(err, nil))
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("decoding the kubernetes version: %w", err)
	}
	return v.GitVersion, nil
}

// Close does nothing, because client-go shares its connections between clients and has no
// call to close them. It does not remove pods.
func (b *Backend) Close() error {
	return nil
}
