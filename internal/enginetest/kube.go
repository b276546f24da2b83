package enginetest

import (
	"fmt"
	"os"
	"strconv"
)

// The Kubernetes tests run against the cluster of the current kubeconfig (KUBECONFIG),
// such as the test cluster that scripts/kube/up.sh brings up. These variables adapt them
// to another cluster.
const (
	// KubeNamespaceEnv names the namespace of the test pods; default "sandbox-mcp".
	KubeNamespaceEnv = "SANDBOX_MCP_TEST_KUBE_NAMESPACE"
	// KubeNodeEnv names the node to bind test pods to; default "127.0.0.1", the node of
	// the test cluster, which has no scheduler. "-" leaves pods to the scheduler.
	KubeNodeEnv = "SANDBOX_MCP_TEST_KUBE_NODE"
	// KubePidsEnv is the kubelet's podPidsLimit; default 256, as scripts/kube sets it.
	KubePidsEnv = "SANDBOX_MCP_TEST_KUBE_PIDS"
)

// KubeNamespace returns the namespace of Kubernetes test pods.
func KubeNamespace() string {
	if ns := os.Getenv(KubeNamespaceEnv); ns != "" {
		return ns
	}
	return "sandbox-mcp"
}

// KubeNode returns the node that Kubernetes test pods are bound to, or "" to leave them to
// the scheduler.
func KubeNode() string {
	switch node := os.Getenv(KubeNodeEnv); node {
	case "":
		return "127.0.0.1"
	case "-":
		return ""
	default:
		return node
	}
}

// KubePidsLimit returns the pids limit of every pod of the test cluster.
func KubePidsLimit() (int64, error) {
	s := os.Getenv(KubePidsEnv)
	if s == "" {
		return 256, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", KubePidsEnv, s, err)
	}
	return n, nil
}
