package kube

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sandbox-mcp/sandbox-mcp/internal/enginetest"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

const rolePath = "../../deploy/kubernetes/role.yaml"

// TestReadmeShowsRole checks that the README shows the Role file as it is.
func TestReadmeShowsRole(t *testing.T) {
	role, err := os.ReadFile(rolePath)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(role)+"```\n") {
		t.Errorf("README.md does not show %s verbatim in a yaml block", rolePath)
	}
}

// TestRoleSuffices runs a sandbox as a user that has only the Role of
// deploy/kubernetes/role.yaml, on a cluster that enforces RBAC.
func TestRoleSuffices(t *testing.T) {
	newTestBackend(t)
	admin, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	adminAPI := kubernetes.NewForConfigOrDie(admin)
	ns := enginetest.KubeNamespace()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A user without a binding must be refused, or the cluster does not enforce RBAC and
	// the test proves nothing.
	user := "sandbox-mcp-rbac-" + strings.ToLower(rand.Text()[:8])
	asUser := rest.CopyConfig(admin)
	asUser.Impersonate = rest.ImpersonationConfig{UserName: user}
	userAPI := kubernetes.NewForConfigOrDie(asUser)
	if _, err := userAPI.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{Limit: 1}); !apierrors.IsForbidden(err) {
		enginetest.Skip(t, "the cluster lets user %s without any binding list pods (error %v): it does not enforce RBAC", user, err)
	}

	// Grant the Role of the file, under a name of this test's own.
	data, err := os.ReadFile(rolePath)
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("decoding %s: %v", rolePath, err)
	}
	role.Name = user
	if _, err := adminAPI.RbacV1().Roles(ns).Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminAPI.RbacV1().Roles(ns).Delete(context.Background(), user, metav1.DeleteOptions{}) })
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if _, err := adminAPI.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminAPI.RbacV1().RoleBindings(ns).Delete(context.Background(), user, metav1.DeleteOptions{}) })
	waitAllowed(ctx, t, userAPI, ns)

	// Run a sandbox through every call the pool makes.
	b, err := newBackend(asUser, ns, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("Ping() as %s = %v", user, err)
	}
	spec := sandboxSpec(t)
	id, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create() as %s = %v", user, err)
	}
	defer b.Remove(context.Background(), id)
	var out strings.Builder
	cmd := pool.ExecCommand{Cmd: []string{"cat"}, User: pool.CodeUser, Stdin: strings.NewReader("in"), Stdout: &out}
	if result, err := b.Exec(ctx, id, cmd); err != nil || result.ExitCode != 0 || out.String() != "in" {
		t.Errorf("Exec(cat) as %s = %d, %q, %v, want 0, \"in\"", user, result.ExitCode, out.String(), err)
	}
	if _, err := b.Inspect(ctx, id); err != nil {
		t.Errorf("Inspect() as %s = %v", user, err)
	}
	if listed, err := b.List(ctx, spec.Labels); err != nil || len(listed) != 1 {
		t.Errorf("List() as %s = %v, %v, want the sandbox", user, listed, err)
	}
	if err := b.Remove(ctx, id); err != nil {
		t.Errorf("Remove() as %s = %v", user, err)
	}
}

// waitAllowed waits until the new binding lets userAPI list pods: the authorizer learns of
// bindings through a watch.
func waitAllowed(ctx context.Context, t *testing.T, userAPI kubernetes.Interface, ns string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := userAPI.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listing pods 10 s after the binding = %v, want allowed", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
