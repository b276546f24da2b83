package kube

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NetworkPolicyName names the NetworkPolicy that isolates sandbox pods.
const NetworkPolicyName = "sandbox-mcp-no-network"

// NetworkPolicy returns the policy that denies all ingress and egress of pods labelled
// LabelNetwork=NetworkNone. It takes effect only where the cluster's network plugin
// enforces NetworkPolicy.
func NetworkPolicy(namespace string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name:      NetworkPolicyName,
			Namespace: namespace,
			Labels:    map[string]string{LabelManagedBy: ManagedBy},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelNetwork: NetworkNone}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

// ensureNetworkPolicy creates the NetworkPolicy unless it exists. After the first success
// it returns at once.
func (b *Backend) ensureNetworkPolicy(ctx context.Context) error {
	b.policyMu.Lock()
	defer b.policyMu.Unlock()
	if b.policyOK {
		return nil
	}
	policies := b.api.NetworkingV1().NetworkPolicies(b.namespace)
	_, err := policies.Create(ctx, NetworkPolicy(b.namespace), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating NetworkPolicy %s in namespace %s: %w", NetworkPolicyName, b.namespace, classify(err, nil))
	}
	b.policyOK = true
	return nil
}
